"""An alert's scheduled work: the fan-out (channel posts and direct messages), the live
tally of its posts, the nudge before the deadline, the closing at it, and its lines in the
digest."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import posts
from bot.digests import digest_section
from bot.messages import Message
from bot.reply import Reply
from bot.scheduler import DueContext
from bot.timefmt import Moment, TimedText
from bot.unit import UnitOfWork
from commands.alerts import group
from commands.alerts.render import alert_buttons, alert_dm, alert_post, tally_line, typed_line
from commands.alerts.rules import OPEN, closed_at
from storage import alerts as store
from storage import audit
from storage.alerts import AlertRecord, Counts
from storage.queue import DueRow


async def _due_alerts(ctx: DueContext, *states: str) -> list[tuple[DueRow, AlertRecord]]:
    """The due items of a batch with the alert each names, where it is in one of ``states``."""
    alerts = await store.get_alerts(ctx.conn, [i.ref_id for i in ctx.items if i.ref_id])
    return [
        (item, alerts[item.ref_id])
        for item in ctx.items
        if item.ref_id in alerts and alerts[item.ref_id].state in states
    ]


@group.on_due("alert_send")
async def fan_out(ctx: DueContext) -> None:
    """Post each alert in every alert channel and DM its audience, in a few statements."""
    for item, alert in await _due_alerts(ctx, "scheduled"):
        if closed_at(alert, ctx.now) is None:
            sent = replace(alert, state="sent", sent_at=ctx.now)
            await _send_alert(ctx, sent, str(item.payload.get("notify") or ""))


async def _send_alert(ctx: DueContext, alert: AlertRecord, notify: str) -> None:
    """The channel posts (pinging ``notify``, if the organizer asked) and the DMs."""
    record, org = ctx.services.orgs.by_id(alert.org_id)
    tz = ZoneInfo(record.timezone)
    conn = ctx.conn
    await store.mark_sent(conn, alert.id, ctx.now)
    post = replace(alert_post(alert, Counts(), tz, now=ctx.now), notify=notify)
    await posts.announce(
        ctx, "alert", alert.id, post, kind="alert", channels=org.alert_channels, org_id=alert.org_id
    )
    targets = await store.alert_targets(conn, alert.id)
    messages = [
        Message(
            r.platform,
            "user",
            r.user_id,
            alert_dm(alert, targets, r, ZoneInfo(r.timezone) if r.timezone else tz, now=ctx.now),
            f"alert:{alert.id}:dm:{r.member_id}",
            r.member_id,
        )
        for r in await store.audience(conn, alert.org_id, alert.audience, org.dm_platforms())
    ]
    await ctx.messages.add_all(messages, kind="alert", org_id=alert.org_id)
    await store.record_deliveries(conn, alert.id, [(m.member_id or 0, m.key) for m in messages])


@group.live_view("alert", edit_kind="tally", interval=lambda config: config.alerts.tally_interval)
async def channel_view(ctx: UnitOfWork, alert_id: int) -> Reply | None:
    """An alert's channel post as it should look now: its tally, or closed with the final one.
    Posts are edited at most once per ``[alerts] tally_interval``."""
    alert = await store.get_alert(ctx.conn, alert_id)
    if alert is None or alert.state not in ("sent", "closed", "cancelled"):
        return None
    counts = await store.counts(ctx.conn, alert_id)
    record, _ = ctx.services.orgs.by_id(alert.org_id)
    return alert_post(alert, counts, ZoneInfo(record.timezone), now=ctx.now)


@group.on_due("alert_close")
async def close(ctx: DueContext) -> None:
    """Close alerts at their deadline: final tally, buttons disabled; later answers refused."""
    await close_alerts(
        ctx,
        [(alert, item.key or "") for item, alert in await _due_alerts(ctx, "scheduled", "sent")],
    )


async def close_alerts(
    unit: UnitOfWork, closing: list[tuple[AlertRecord, str]], *, by: int | None = None
) -> None:
    """Close alerts now (at the deadline, or early by organizer ``by``): each audited, its
    posts edited with the final tally and buttons disabled, keyed ``{key}:…`` per post."""
    for alert, _ in closing:
        await store.mark_closed(unit.conn, alert.id, unit.now)
        detail = {"title": alert.title}
        await audit.add_entry(
            unit.conn, alert.org_id, by, "alert.close", f"alert {alert.id}", detail, at=unit.now
        )
    await posts.refresh(unit, "alert", {a.id: key for a, key in closing}, kind="alert_close")


@group.on_due("alert_nudge")
async def nudge(ctx: DueContext) -> None:
    """One reminder to members sent an alert who have not answered it; skipped if missed."""
    for item, alert in await _due_alerts(ctx, "sent"):
        if alert.deadline is None or ctx.missed(item):
            continue
        record, org = ctx.services.orgs.by_id(alert.org_id)
        messages = []
        for r in await store.to_nudge(ctx.conn, alert.id, org.dm_platforms()):
            when = Moment(alert.deadline, r.timezone or record.timezone, now=ctx.now)
            text = TimedText(
                f"A reminder: “{alert.title}” closes ",
                when,
                ". If it is for you, there is still time; if not, tap Not for me and we won't "
                f"ask again.\n\n{typed_line(alert)}",
            )
            reply = Reply(text=text, actions=alert_buttons(alert), ephemeral=False)
            key = f"alert:{alert.id}:nudge:{r.member_id}"
            messages.append(Message(r.platform, "user", r.user_id, reply, key, r.member_id))
        await ctx.messages.add_all(messages, kind="alert_nudge", org_id=alert.org_id)
        await store.mark_nudged(ctx.conn, alert.id)


@group.on_digest
async def digest(ctx: DueContext, org_id: int, since: datetime) -> list[str]:
    """Open alerts with their counts and deadlines."""
    alerts = [
        a for a in await store.org_alerts(ctx.conn, org_id, OPEN) if closed_at(a, ctx.now) is None
    ]
    return await digest_section(
        ctx, org_id, "Open action alerts:", alerts, store.counts_of, _digest_line
    )


def _digest_line(a: AlertRecord, counts: Counts, tz: ZoneInfo, now: datetime) -> str:
    closes = (", closes ", Moment(a.deadline, tz.key, now=now)) if a.deadline else ()
    return TimedText(f"• Alert {a.id}: {a.title}: {tally_line(a, counts)}", *closes)

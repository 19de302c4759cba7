"""The organizers' /alert commands: create (a draft with a preview), send (now or at a
time, with the nudge and the closing scheduled), status and signers."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from bot import posts
from bot.context import Context
from bot.errors import ValidationError
from bot.options import (
    NOTIFY,
    Text,
)
from bot.registry import Role
from bot.reply import Action, File, Reply, Table
from bot.timefmt import Moment, TimedText
from bot.when import parse_moment
from bot.wording import counted, plural
from commands.alerts import group
from commands.alerts.access import caller, org_alert
from commands.alerts.options import CREATE_OPTIONS, ID, placeholders
from commands.alerts.render import alert_dm
from commands.alerts.rules import check_script, check_send_at
from storage import alerts as store
from storage.alerts import TargetRecord


@group.command(
    "create",
    options=CREATE_OPTIONS,
    role=Role.ORGANIZER,
    form_title="New action alert",
    help="Create an alert as a draft and see a preview",
)
async def create(
    ctx: Context,
    title: str,
    body: str,
    kind: str,
    link: str | None,
    states: tuple[str, ...] | None,
    library_types: tuple[str, ...] | None,
    classifications: tuple[str, ...] | None,
    deadline: str | None,
    script: str | None,
    targets: tuple[TargetRecord, ...] | None,
) -> Reply:
    """Store a draft alert and show it as members will see it."""
    org_tz = ZoneInfo(ctx.org.timezone)
    closes = parse_moment(deadline, "deadline", ctx.now, org_tz) if deadline else None
    check_script(script, bool(targets), "target" in placeholders(script or ""))
    audience = {
        "states": list(states or ()),
        "library_types": list(library_types or ()),
        "classifications": list(classifications or ()),
    }
    member = await ctx.member()
    conn = ctx.conn
    new = store.NewAlert(
        org_id=ctx.org.id,
        title=title,
        body=body,
        kind=kind,
        link=link,
        audience=audience,
        script=script,
        deadline=closes,
        created_by=member.id,
        created_at=ctx.now,
    )
    alert = await store.create_alert(conn, new, list(targets or ()))
    alert_id = alert.id
    await ctx.audit("alert.create", f"alert {alert_id}", title=title, kind=kind)
    who, tz = await caller(ctx)
    dm = alert_dm(alert, list(targets or ()), who, tz, now=ctx.now)
    reach = len(await store.audience(conn, ctx.org.id, audience, ctx.org_config.dm_platforms()))
    channels = posts.place_names(posts.places(ctx.org_config.alert_channels), ctx.org_config)
    buttons = "  ".join(f"[{b.label}]" for b in dm.actions if isinstance(b, Action))
    text = TimedText(
        f"Members will see (the script is filled in from your profile as an example):\n\n"
        f"**{dm.title}**\n",
        dm.text,
        f"\n{buttons}\n\n"
        f"It goes by DM to {counted(reach, 'member')} of its audience who "
        f"{plural(reach, 'takes', 'take')} alert DMs and is posted in ",
        channels or "no channel (none is configured)",
        f". Send it with the button or /alert send id:{alert_id}, or later with "
        f'/alert send id:{alert_id} at:"tomorrow 9am".',
    )
    return Reply(
        title=f"Preview of alert {alert_id} (draft)",
        text=text,
        actions=[Action("Send now", "alert send", {"id": str(alert_id)}, style="primary")],
    )


@group.command(
    "send",
    options=[
        ID,
        Text("at", max_length=100, help='when to send it, e.g. "tomorrow 9am"; now if left out'),
        NOTIFY,
    ],
    role=Role.ORGANIZER,
    help="Send an alert now, or at a time",
)
async def send(ctx: Context, id: int, at: str | None, notify: str | None) -> Reply:
    """Schedule the fan-out (now or at ``at``), the nudge and the closing. ``notify`` is kept
    with the fan-out, so the channel posts ping what was asked whenever they go out."""
    alert = await org_alert(ctx, id)
    tz, now = ZoneInfo(ctx.org.timezone), ctx.now
    if alert.state != "draft":
        done = "scheduled" if alert.state == "scheduled" else "sent"
        return Reply(text=f"Alert {id} is already {done}; see /alert status id:{id}.")
    send_at = parse_moment(at, "at", now, tz) if at else now
    check_send_at(alert, send_at, now, tz)
    if not await store.mark_scheduled(ctx.conn, id, send_at):
        return Reply(text=f"Alert {id} is already sent or scheduled.")
    common = {"ref_id": id, "org_id": ctx.org.id}
    await ctx.schedule(
        kind="alert_send",
        due_at=send_at,
        key=f"alert:{id}:send",
        payload={"notify": notify} if notify else None,
        **common,
    )
    if alert.deadline is not None:
        nudge_at = alert.deadline - ctx.services.config.alerts.nudge_before
        if send_at < nudge_at < alert.deadline:
            await ctx.schedule(
                kind="alert_nudge", due_at=nudge_at, key=f"alert:{id}:nudge", **common
            )
        await ctx.schedule(
            kind="alert_close", due_at=alert.deadline, key=f"alert:{id}:close", **common
        )
    await ctx.audit("alert.send", f"alert {id}", at=send_at.isoformat(), notify=notify or "")
    when = Moment(send_at, tz.key, now=now) if at else "now"
    pinging = f" (pinging {notify})" if notify else ""
    return Reply(
        text=TimedText(
            f"Alert {id} goes out ",
            when,
            f": posted in the alert channels{pinging} and sent by DM to its audience. "
            f"Follow it with /alert status id:{id}.",
        )
    )


@group.command(
    "status",
    options=[ID],
    role=Role.ORGANIZER,
    help="An alert's answers and deliveries",
    read_only=True,
)
async def status(ctx: Context, id: int) -> Reply:
    """Answers by state and platform, and how its messages are getting out."""
    alert = await org_alert(ctx, id)
    conn = ctx.conn
    totals = await store.counts(conn, id)
    figures = await store.delivery_figures(conn, id)
    rows: list[list[str]] = []
    for by in ("state", "platform"):
        for value, found in sorted((await store.breakdown(conn, id, by)).items()):
            label = f"no {by} given" if value == "—" else f"{by} {value}"
            rows.append([label, *(str(found[k]) for k in ("signed", "acted", "declined"))])

    def delivery(found: dict[str, int]) -> str:
        queued = found.get("pending", 0) + found.get("sending", 0)
        return f"{queued} queued · {found.get('sent', 0)} sent · {found.get('failed', 0)} failed"

    tz = ZoneInfo(ctx.org.timezone)
    closes = Moment(alert.deadline, tz.key, now=ctx.now) if alert.deadline else "no deadline"
    return Reply(
        title=f"Alert {id}: {alert.title}",
        fields=[
            ("state", TimedText(f"{alert.state} (closes ", closes, ")")),
            ("signed", str(totals.signed)),
            ("acted", str(totals.acted)),
            ("declined", str(totals.declined)),
            ("direct messages", delivery(figures["dm"])),
            ("channel posts", delivery(figures["post"])),
        ],
        table=Table(["", "signed", "acted", "declined"], rows) if rows else None,
    )


@group.command("signers", options=[ID], role=Role.ORGANIZER, help="The signers as a CSV file")
async def signers(ctx: Context, id: int) -> Reply:
    """Export an alert's signers."""
    alert = await org_alert(ctx, id)
    if alert.kind != "sign-on":
        raise ValidationError("id", f"alert {id} is not a sign-on letter, so it has no signers")
    data = await store.export_signers_csv(ctx.conn, id)
    count = sum(1 for _ in csv.reader(io.StringIO(data.decode()))) - 1
    await ctx.audit("alert.signers", f"alert {id}", signers=count)
    return Reply(
        text=f"{count} signer{'s' if count != 1 else ''} of alert {id}.",
        files=[File(f"alert-{id}-signers.csv", data, "text/csv")],
    )

"""The organizers' /alert commands that change an alert once created: edit (before and after
sending; channel posts edited in place), close (early, with the final tally) and cancel (one
sent in error). Signers are told by DM when a letter they signed changes or is cancelled."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot import posts
from bot.context import Context
from bot.errors import ValidationError
from bot.messages import Message
from bot.options import Text
from bot.registry import Role
from bot.reply import Action, Reply
from bot.when import parse_moment
from bot.wording import counted
from commands.alerts import group
from commands.alerts.access import org_alert
from commands.alerts.due import close_alerts
from commands.alerts.options import EDIT_OPTIONS, ID, placeholders
from commands.alerts.render import tally_line
from commands.alerts.rules import check_changeable, check_deadline, check_script
from storage import alerts as store
from storage.alerts import AlertRecord, TargetRecord

#: the fields whose change is a change of a letter's text
_LETTER_TEXT = ("title", "body", "script")


async def _tell_signers(ctx: Context, alert: AlertRecord, reply: Reply, key: str) -> int:
    """DM ``reply`` to each signer of ``alert`` once (keyed ``{key}:{member}``); how many."""
    platforms = ctx.org_config.dm_platforms()
    messages = [
        Message(r.platform, "user", r.user_id, reply, f"{key}:{r.member_id}", r.member_id)
        for r in await store.signers(ctx.conn, alert.id, platforms)
    ]
    await ctx.messages.add_all(messages, kind="alert", org_id=alert.org_id)
    return len(messages)


async def _move_deadline(ctx: Context, alert: AlertRecord, deadline: datetime) -> None:
    """Move a scheduled or sent alert's closing (and its nudge) to the new deadline."""
    common = {"ref_id": alert.id, "org_id": alert.org_id}
    key = f"alert:{alert.id}"
    await ctx.reschedule(kind="alert_close", due_at=deadline, key=f"{key}:close", **common)
    nudge_at = deadline - ctx.services.config.alerts.nudge_before
    if max(alert.send_at or ctx.now, ctx.now) < nudge_at < deadline:
        await ctx.reschedule(kind="alert_nudge", due_at=nudge_at, key=f"{key}:nudge", **common)
    else:
        await ctx.cancel_due("alert_nudge", alert.id)


@group.command(
    "edit",
    options=EDIT_OPTIONS,
    role=Role.ORGANIZER,
    help="Change an alert's title, body, script, targets or deadline, before or after sending",
)
async def edit(
    ctx: Context,
    id: int,
    title: str | None,
    body: str | None,
    deadline: str | None,
    script: str | None,
    targets: tuple[TargetRecord, ...] | None,
    confirm: bool | None,
) -> Reply:
    """Change an alert; its channel posts are edited in place, DMs already sent are not (members
    who open it see the new text); a letter's signers are told of a change to its text."""
    alert = await org_alert(ctx, id)
    tz = ZoneInfo(ctx.org.timezone)
    check_changeable(alert, ctx.now, tz)
    values: dict[str, object] = {
        name: value
        for name, value in (("title", title), ("body", body), ("script", script))
        if value is not None and value != getattr(alert, name)
    }
    closes = parse_moment(deadline, "deadline", ctx.now, tz) if deadline else None
    if closes is not None:
        check_deadline(alert, closes, ctx.now, tz)
        values["deadline"] = closes
    if not values and targets is None:
        raise ValidationError("id", "say what to change: title, body, deadline, script or targets")
    new_script = script if script is not None else alert.script
    has_targets = (
        bool(targets) if targets is not None else bool(await store.alert_targets(ctx.conn, id))
    )
    check_script(new_script, has_targets, "target" in placeholders(new_script or ""))
    letter_changed = alert.kind == "sign-on" and any(f in values for f in _LETTER_TEXT)
    signed = (await store.counts(ctx.conn, id)).signed if letter_changed else 0
    if signed and not confirm:
        raise ValidationError(
            "confirm",
            f"{counted(signed, 'member')} signed this letter; add confirm:yes to change its "
            "text, and each signer is told by DM and may withdraw",
        )
    await store.update_alert(ctx.conn, id, values, list(targets) if targets is not None else None)
    changed = [*values, *(["targets"] if targets is not None else [])]
    stamp = int(ctx.now.timestamp() * 1_000_000)  # two edits in one second are two edits
    if closes is not None and alert.state in ("scheduled", "sent"):
        await _move_deadline(ctx, alert, closes)
    if alert.state == "sent":
        await posts.refresh(ctx, "alert", {id: f"alert:{id}:edit:{stamp}"})
    told = 0
    if signed:
        shown = title or alert.title
        note = Reply(
            title=f"Alert {id} changed: {shown}",
            text=f"The text of the letter you signed, “{shown}”, has changed. Read it with "
            f"/alert show id:{id}. If you no longer want to sign it, withdraw your signature "
            f"with the button or /alert withdraw id:{id}.",
            actions=[Action("Withdraw my signature", "alert withdraw", {"id": str(id)})],
            ephemeral=False,
        )
        told = await _tell_signers(ctx, alert, note, f"alert:{id}:changed:{stamp}")
    await ctx.audit("alert.edit", f"alert {id}", changed=",".join(changed), signers_told=told)
    where = (
        " Its channel posts are updated; direct messages already sent are not, and members "
        "who open it see the new text."
        if alert.state == "sent"
        else ""
    )
    signers = f" {counted(told, 'signer')} told by DM." if signed else ""
    return Reply(text=f"Alert {id} changed ({', '.join(changed)}).{where}{signers}")


@group.command("close", options=[ID], role=Role.ORGANIZER, help="Close an alert now, early")
async def close(ctx: Context, id: int) -> Reply:
    """End a sent alert before its deadline, the same closing the deadline runs."""
    alert = await org_alert(ctx, id)
    check_changeable(alert, ctx.now, ZoneInfo(ctx.org.timezone))
    if alert.state != "sent":
        raise ValidationError(
            "id", f"alert {id} has not been sent yet; to stop it, use /alert cancel id:{id}"
        )
    member = await ctx.member()
    await close_alerts(ctx, [(alert, f"alert:{id}:close")], by=member.id)
    for kind in ("alert_close", "alert_nudge"):
        await ctx.cancel_due(kind, id)
    final = tally_line(alert, await store.counts(ctx.conn, id))
    return Reply(text=f"Alert {id} is closed. Final: {final}. Its channel posts show it.")


@group.command(
    "cancel",
    options=[ID, Text("reason", max_length=300, help="why, told to those who signed")],
    role=Role.ORGANIZER,
    help="Cancel an alert sent in error, telling those who signed",
)
async def cancel(ctx: Context, id: int, reason: str | None) -> Reply:
    """Mark the alert cancelled, its posts "Cancelled" with buttons closed, nothing more
    scheduled for it, and each signer told once."""
    alert = await org_alert(ctx, id)
    check_changeable(alert, ctx.now, ZoneInfo(ctx.org.timezone))
    await store.mark_cancelled(ctx.conn, id, ctx.now)
    for kind in ("alert_send", "alert_close", "alert_nudge"):
        await ctx.cancel_due(kind, id)
    if alert.state == "sent":
        await posts.refresh(ctx, "alert", {id: f"alert:{id}:cancel"})
    why = f" {reason}" if reason else ""
    note = Reply(
        title=f"Alert {id} cancelled: {alert.title}",
        text=f"“{alert.title}”, which you signed, was cancelled: it was sent in error.{why} "
        "Your signature will not be used.",
        ephemeral=False,
    )
    told = await _tell_signers(ctx, alert, note, f"alert:{id}:cancelled")
    await ctx.audit("alert.cancel", f"alert {id}", reason=reason or "", signers_told=told)
    posts_note = " Its channel posts say so." if alert.state == "sent" else ""
    return Reply(
        text=f"Alert {id} is cancelled; nothing more goes out for it.{posts_note} "
        f"{counted(told, 'signer')} told by DM."
    )

"""/reminder: reminders by direct message, in the member's timezone, never lost, never twice."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.errors import UserError, ValidationError
from bot.messages import Message
from bot.options import Ref, Text
from bot.registry import CommandGroup
from bot.reply import Action, Reply, Table
from bot.scheduler import DueContext
from bot.timefmt import Moment, TimedText, local_time
from bot.timeparse import format_duration
from bot.when import RuleRepeat, describe_stored, next_time, parse_when
from bot.wording import counted
from storage import members
from storage.queue import NewDueItem
from storage.reminders import (
    active_reminders,
    add_reminder,
    count_active,
    get_reminder,
    get_reminders,
    move_reminders,
    record_fired,
    set_reminder_state,
)

group = CommandGroup("reminder", help="Reminders by direct message")
group.home_section("My reminders", "list", rank=40)


async def _timezone(ctx: Context, member_id: int) -> ZoneInfo:
    profile = await members.profile(ctx.conn, member_id)
    return ZoneInfo(profile.timezone or ctx.org.timezone)


def _key(reminder_id: int, due_at: datetime) -> str:
    return f"reminder:{reminder_id}:{due_at.isoformat()}"


def _repeats(recurrence: str | None, next_at: datetime | None, tz: ZoneInfo) -> str | None:
    """How a stored reminder repeats, in words; None for a one-time reminder."""
    if recurrence is None:
        return None
    return describe_stored(recurrence, next_at.astimezone(tz) if next_at else None)


def _how_soon(minutes: int) -> str:
    """How far off a reminder is, as a person says it: ``2h30m`` within a day, else whole
    days (``5 days``, not ``5d19m``)."""
    if minutes < 24 * 60:
        return format_duration(timedelta(minutes=minutes))
    return counted(round(minutes / (24 * 60)), "day")


@group.command(
    "add",
    options=[
        Text(
            "when",
            required=True,
            max_length=100,
            help='when: "in 2 hours", "tomorrow 9am", "Dec 25 9am", "every monday 9am", '
            '"every month"',
        ),
        Text("text", required=True, max_length=500, long=True, help="what to remind you of"),
    ],
    form_title="New reminder",
    help="Set a reminder, once or repeating",
)
async def add(ctx: Context, when: str, text: str) -> Reply:
    """Store a reminder and schedule its first time."""
    member = await ctx.member()
    tz = await _timezone(ctx, member.id)
    parsed = parse_when(when, ctx.now, tz)
    rule = parsed.recurrence
    await members.lock_member(ctx.conn, member.id)
    quota = ctx.services.config.limits.reminders_per_member
    waiting = await count_active(ctx.conn, member.id)
    if waiting >= quota:
        most = "the most" if waiting == quota else f"more than the {quota}"
        raise UserError(
            f"You have {waiting} reminder{'s' if waiting != 1 else ''} waiting, {most} one "
            "member may have; cancel one with /reminder cancel id:… first "
            "(/reminder list shows their ids)."
        )
    reminder_id = await add_reminder(
        ctx.conn,
        member_id=member.id,
        identity_id=member.identity_id,
        org_id=ctx.org.id,
        text=text,
        when_text=when,
        recurrence=rule.to_text() if rule else None,
        timezone=tz.key,
        next_at=parsed.first,
        now=ctx.now,
    )
    await ctx.schedule(
        kind="reminder",
        due_at=parsed.first,
        key=_key(reminder_id, parsed.first),
        ref_id=reminder_id,
        member_id=member.id,
        org_id=ctx.org.id,
    )
    if isinstance(rule, RuleRepeat):
        repeat = f", then {rule.describe(parsed.first.astimezone(tz))}"
    else:
        repeat = f", then {rule.describe()}" if rule else ""
    minutes = max(1, round((parsed.first - ctx.now).total_seconds() / 60))
    return Reply(
        text=TimedText(
            f"Reminder {reminder_id} set for ",
            Moment(parsed.first, tz.key, now=ctx.now),
            f" (in {_how_soon(minutes)}){repeat}. "
            f"I'll send it by direct message. Cancel with /reminder cancel id:{reminder_id}.",
        )
    )


@group.command("list", help="Your reminders still to come", read_only=True)
async def list_reminders(ctx: Context) -> Reply:
    """The caller's active reminders."""
    member = await ctx.existing_member()
    reminders = [] if member is None else await active_reminders(ctx.conn, member.id)
    if not reminders:
        return Reply(text="You have no reminders. Add one with /reminder add when:… text:…")
    rows = []
    for r in reminders:
        tz = ZoneInfo(r.timezone)
        repeat = _repeats(r.recurrence, r.next_at, tz) or "once"
        next_at = local_time(r.next_at, tz, now=ctx.now) if r.next_at else "—"
        rows.append([str(r.id), next_at, repeat, r.text])
    return Reply(title="Your reminders", table=Table(["id", "next", "repeats", "text"], rows))


@group.command(
    "cancel",
    options=[Ref("id", required=True, help="the reminder's number")],
    help="Cancel one of your reminders",
)
async def cancel(ctx: Context, id: int) -> Reply:
    """Cancel a reminder of the caller's, and everything scheduled for it."""
    member = await ctx.existing_member()
    reminder = await get_reminder(ctx.conn, id)
    if reminder is None or member is None or reminder.member_id != member.id:
        raise ValidationError("id", f"you have no reminder {id}; see /reminder list")
    if reminder.state != "active":
        return Reply(text=f"Reminder {id} is already {reminder.state}.")
    await set_reminder_state(ctx.conn, id, state="cancelled", next_at=None)
    await ctx.cancel_due("reminder", id)
    return Reply(text=f"Reminder {id} cancelled: “{reminder.text}”.")


@group.on_due("reminder")
async def fire(ctx: DueContext) -> None:
    """Send each reminder (or, after downtime past the grace window, say it was missed) and
    schedule the next time of a repeating one, for a whole batch at once."""
    reminders = await get_reminders(ctx.conn, [i.ref_id for i in ctx.items if i.ref_id])
    messages: list[Message] = []
    fired: list[tuple[int, str, datetime | None]] = []
    follow_ups: list[NewDueItem] = []
    for item in ctx.items:
        reminder = reminders.get(item.ref_id or 0)
        if reminder is None or reminder.state != "active":
            continue
        tz = ZoneInfo(reminder.timezone)
        if ctx.missed(item):
            text: str = TimedText(
                f"While rallybot was offline, your reminder was missed: “{reminder.text}” (due ",
                Moment(item.due_at, tz.key, now=ctx.now),
                ").",
            )
        else:
            text = f"⏰ Reminder: {reminder.text}"
        actions = []
        if reminder.recurrence:
            actions.append(
                Action("Stop this reminder", "reminder cancel", {"id": str(reminder.id)})
            )
        messages.append(
            Message(
                reminder.platform,
                "user",
                reminder.user_id,
                Reply(text=text, actions=actions, ephemeral=False),
                f"{item.key}:dm",
                reminder.member_id,
            )
        )
        if not reminder.recurrence:
            fired.append((reminder.id, "done", None))
            continue
        upcoming = next_time(reminder.recurrence, item.due_at, ctx.now, tz)
        fired.append((reminder.id, "active", upcoming))
        follow_ups.append(
            NewDueItem(
                "reminder",
                upcoming,
                _key(reminder.id, upcoming),
                ref_id=reminder.id,
                org_id=reminder.org_id,
                member_id=reminder.member_id,
            )
        )
    await ctx.messages.add_all(messages, kind="reminder")
    await record_fired(ctx.conn, fired)
    await ctx.schedule_many(follow_ups)


@group.on_export
async def export(ctx: Context, member_id: int) -> list[dict[str, object]]:
    """A member's active reminders, for /privacy export."""
    return [
        {
            "id": r.id,
            "text": r.text,
            "next": r.next_at.isoformat() if r.next_at else None,
            "repeats": _repeats(r.recurrence, r.next_at, ZoneInfo(r.timezone)),
            "timezone": r.timezone,
        }
        for r in await active_reminders(ctx.conn, member_id)
    ]


@group.on_merge
async def merge(ctx: Context, keep: int, drop: int) -> None:
    """Reminders follow the person when /link joins two members."""
    await move_reminders(ctx.conn, drop, keep)

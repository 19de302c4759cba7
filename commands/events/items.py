"""The organizers' commands that change an event's delegation meetings and milestones once
added: edit (its reminders move with a new time) and remove (its reminders are cancelled).
Each is named by its own number, shown to organizers in /event show."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.errors import ValidationError
from bot.offsets import Offsets, schedule_reminders
from bot.options import Integer, Text, UsState
from bot.registry import Role
from bot.reply import Reply
from bot.timefmt import TimedText
from bot.when import parse_moment
from commands.events import group
from commands.events.access import tz_of
from commands.events.due import fresh_version
from commands.events.options import MEETING_OFFSETS, WHEN_HELP
from commands.events.render import moment
from commands.events.rules import check_changeable
from storage import event_changes as changes
from storage import events as store
from storage.events import EventRecord, MeetingRecord, MilestoneRecord

MEETING = Integer("meeting", required=True, minimum=1, help="the meeting's number (/event show)")
MILESTONE = Integer(
    "milestone", required=True, minimum=1, help="the milestone's number (/event show)"
)


Item = TypeVar("Item", MeetingRecord, MilestoneRecord)


async def _org_item(
    ctx: Context, option: str, item_id: int, found: Item | None
) -> tuple[Item, EventRecord]:
    """The organization's meeting or milestone ``found`` (numbered ``item_id``, named by
    ``option``) and its event, still to come; a refusal naming ``option`` otherwise."""
    event = None if found is None else await store.get_event(ctx.conn, found.event_id)
    if found is None or event is None or event.org_id != ctx.org.id:
        raise ValidationError(option, f"there is no {option} {item_id} here; see /event show")
    check_changeable(event, ctx.now)
    return found, event


async def _org_meeting(ctx: Context, meeting_id: int) -> tuple[MeetingRecord, EventRecord]:
    """The organization's meeting by its number, and its event, still to come."""
    found = (await store.get_meetings(ctx.conn, [meeting_id])).get(meeting_id)
    return await _org_item(ctx, "meeting", meeting_id, found)


async def _org_milestone(ctx: Context, milestone_id: int) -> tuple[MilestoneRecord, EventRecord]:
    """The organization's milestone by its number, and its event, still to come."""
    found = (await store.get_milestones(ctx.conn, [milestone_id])).get(milestone_id)
    return await _org_item(ctx, "milestone", milestone_id, found)


async def _move_reminders(
    ctx: Context, kind: str, item_id: int, at: datetime, offsets: tuple[str, ...], tz: ZoneInfo
) -> None:
    """Cancel the reminders of a meeting or milestone (due kind ``event_<kind>``) and schedule
    them afresh before ``at``, under keys of their own (a cancelled key cannot be scheduled
    again)."""
    await ctx.cancel_due(f"event_{kind}", item_id)
    await schedule_reminders(
        ctx,
        f"event_{kind}",
        f"{kind}:{item_id}:{fresh_version()}",
        at,
        offsets,
        tz,
        ref_id=item_id,
        org_id=ctx.org.id,
    )


def _changed(current: object, given: dict[str, object], option: str, say: str) -> dict[str, object]:
    """The given values that differ from ``current``'s; a refusal naming ``option`` when
    nothing was given at all."""
    if all(value is None for value in given.values()):
        raise ValidationError(option, f"say what to change: {say}")
    return {k: v for k, v in given.items() if v is not None and getattr(current, k) != v}


@group.command(
    "meeting-edit",
    options=[
        MEETING,
        UsState("state", help="the delegation that meets"),
        Text("office", max_length=200, help="whose office"),
        Text("legislator", max_length=200, help="the member of Congress"),
        Text("at", max_length=100, help=f"when, {WHEN_HELP}"),
        Text("place", max_length=300, help="where"),
    ],
    role=Role.ORGANIZER,
    help="Change a delegation's meeting; its reminders move with it",
)
async def meeting_edit(
    ctx: Context,
    meeting: int,
    state: str | None,
    office: str | None,
    legislator: str | None,
    at: str | None,
    place: str | None,
) -> Reply:
    """Change the meeting; a new time cancels its reminders and schedules them afresh."""
    found, event = await _org_meeting(ctx, meeting)
    tz = ZoneInfo(event.timezone)
    starts = parse_moment(at, "at", ctx.now, tz) if at else None
    given: dict[str, object] = {
        "state": state,
        "office": office,
        "legislator": legislator,
        "starts_at": starts,
        "place": place,
    }
    wanted = _changed(found, given, "meeting", "state, office, legislator, at or place")
    if not wanted:
        return Reply(text=f"Meeting {meeting} already says that; nothing changed.")
    after = await changes.update_meeting(ctx.conn, meeting, wanted)
    moved = ""
    if "starts_at" in wanted:
        await _move_reminders(ctx, "meeting", meeting, after.starts_at, MEETING_OFFSETS, tz)
        moved = " Its reminders move with it."
    names = ["at" if name == "starts_at" else name for name in wanted]
    await ctx.audit("event.meeting_edit", f"meeting {meeting}", changed=",".join(names))
    return Reply(
        text=TimedText(
            f"Meeting {meeting} changed ({', '.join(names)}): the {after.state} delegation meets "
            f"{after.legislator} ({after.office}), ",
            moment(event, after.starts_at, await tz_of(ctx), now=ctx.now),
            (f", {after.place}" if after.place else "") + f".{moved}",
        )
    )


@group.command(
    "meeting-remove",
    options=[MEETING],
    role=Role.ORGANIZER,
    help="Remove a delegation's meeting; its reminders are cancelled",
)
async def meeting_remove(ctx: Context, meeting: int) -> Reply:
    """Delete the meeting and cancel its reminders."""
    found, _ = await _org_meeting(ctx, meeting)
    await ctx.cancel_due("event_meeting", meeting)
    await changes.remove_meeting(ctx.conn, meeting)
    await ctx.audit("event.meeting_remove", f"meeting {meeting}", event=found.event_id)
    return Reply(
        text=f"Meeting {meeting} ({found.state} delegation with {found.legislator}) is removed; "
        "no reminder will be sent for it."
    )


@group.command(
    "milestone-edit",
    options=[
        MILESTONE,
        Text("title", max_length=200, help="what it is"),
        Text("at", max_length=100, help=f"when, {WHEN_HELP}"),
        Offsets("reminders", help='reminders before it, e.g. "1d"; none for none'),
    ],
    role=Role.ORGANIZER,
    help="Change a milestone of an event; its reminders move with it",
)
async def milestone_edit(
    ctx: Context,
    milestone: int,
    title: str | None,
    at: str | None,
    reminders: tuple[str, ...] | None,
) -> Reply:
    """Change the milestone; a new time or new reminder times schedule its reminders
    afresh."""
    found, event = await _org_milestone(ctx, milestone)
    tz = ZoneInfo(event.timezone)
    at_time = parse_moment(at, "at", ctx.now, tz) if at else None
    given: dict[str, object] = {"title": title, "at": at_time, "reminder_offsets": reminders}
    wanted = _changed(found, given, "milestone", "title, at or reminders")
    if not wanted:
        return Reply(text=f"Milestone {milestone} already says that; nothing changed.")
    after = await changes.update_milestone(ctx.conn, milestone, wanted)
    moved = ""
    if "at" in wanted or "reminder_offsets" in wanted:
        await _move_reminders(ctx, "milestone", milestone, after.at, after.reminder_offsets, tz)
        moved = " Its reminders move with it." if after.reminder_offsets else " No reminders."
    names = ["reminders" if name == "reminder_offsets" else name for name in wanted]
    await ctx.audit("event.milestone_edit", f"milestone {milestone}", changed=",".join(names))
    return Reply(
        text=TimedText(
            f"Milestone {milestone} changed ({', '.join(names)}): {after.title}, ",
            moment(event, after.at, await tz_of(ctx), now=ctx.now),
            f".{moved}",
        )
    )


@group.command(
    "milestone-remove",
    options=[MILESTONE],
    role=Role.ORGANIZER,
    help="Remove a milestone of an event; its reminders are cancelled",
)
async def milestone_remove(ctx: Context, milestone: int) -> Reply:
    """Delete the milestone and cancel its reminders."""
    found, _ = await _org_milestone(ctx, milestone)
    await ctx.cancel_due("event_milestone", milestone)
    await changes.remove_milestone(ctx.conn, milestone)
    await ctx.audit("event.milestone_remove", f"milestone {milestone}", event=found.event_id)
    return Reply(
        text=f"Milestone {milestone} ({found.title}) is removed; no reminder will be sent for it."
    )


async def listed_for_organizers(ctx: Context, event: EventRecord) -> list[str]:
    """An event's meetings and milestones with their numbers, for organizers to change."""
    tz = await tz_of(ctx)
    lines: list[str] = []
    for m in await store.meetings(ctx.conn, event.id):
        lines.append(
            TimedText(
                f"Meeting {m.id}: {m.state} delegation with {m.legislator} ({m.office}), ",
                moment(event, m.starts_at, tz, now=ctx.now),
            )
        )
    for ms in await store.milestones(ctx.conn, event.id):
        lines.append(
            TimedText(f"Milestone {ms.id}: {ms.title}, ", moment(event, ms.at, tz, now=ctx.now))
        )
    return lines

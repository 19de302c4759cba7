"""An event changed once announced: edited (every announcement edited in place, those coming
told what changed, reminders and the start message moved with the time, seats given when the
capacity grows) or cancelled (announcements say "Cancelled" with buttons closed, nothing more
scheduled, everyone who answered told once).

The core is reusable for one event at a time: ``apply_edit`` and ``cancel_event`` take the
event record, and ``after_change`` is the one place an event's posts follow a change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from bot import posts
from bot.context import Context
from bot.errors import ValidationError
from bot.messages import Message
from bot.options import Text
from bot.registry import Role
from bot.reply import Reply
from bot.timefmt import TimedText
from bot.unit import UnitOfWork
from bot.wording import counted
from commands.events import group, series_changes
from commands.events import series as rolling
from commands.events.access import org_event
from commands.events.due import cancel_event_work, fresh_version, schedule_event_work
from commands.events.mirrors import sync_mirrors
from commands.events.occurrences import named_occurrence
from commands.events.options import CREATE_OPTIONS, FROM, ID, OCCURRENCE, START_MESSAGE
from commands.events.render import announcement, cancel_note, change_note, edit_form
from commands.events.rules import check_changeable, edited_times
from commands.events.waitlist import tell_promoted
from storage import event_changes as changes
from storage import events as store
from storage import posts as post_store
from storage.events import ATTENDING, TOLD_OF_CANCEL, EventRecord, Recipient

#: the fields whose change a calendar shows: each edit of one bumps the event's sequence
CALENDAR_FIELDS = ("title", "description", "starts_at", "ends_at", "timezone", "place", "link")
#: the fields those coming are told of by DM when they change
TOLD_FIELDS = ("title", "description", "starts_at", "ends_at", "place", "link")
#: the fields whose change moves the event's scheduled work (reminders, start message)
SCHEDULE_FIELDS = ("starts_at", "timezone", "reminder_offsets", "start_message")


@dataclass(frozen=True)
class EditOutcome:
    """What an edit did: the event as it is now and the fields changed (none: nothing to
    change), members told by DM, members given a seat from the waitlist, how many going are
    above a smaller capacity (none is removed), and where it was announced afresh (an event
    announced before its posts were recorded)."""

    event: EventRecord
    changed: tuple[str, ...] = ()
    told: int = 0
    promoted: tuple[int, ...] = ()
    over_capacity: int = 0
    announced: list[tuple[str, str]] = field(default_factory=list)


async def _tell(
    unit: UnitOfWork,
    event: EventRecord,
    statuses: tuple[str, ...],
    key: str,
    note: Callable[[Recipient, ZoneInfo], Reply],
) -> int:
    """DM ``note`` (in each member's own timezone) to every member whose answer is one of
    ``statuses``, once each (keyed ``{key}:{member}``); how many were told."""
    record, org = unit.services.orgs.by_id(event.org_id)
    found = await store.recipients(unit.conn, event.id, org.dm_platforms(), statuses=statuses)
    messages = [
        Message(
            r.platform,
            "user",
            r.user_id,
            note(r, ZoneInfo(r.timezone or record.timezone)),
            f"{key}:{r.member_id}",
            r.member_id,
        )
        for r in found
    ]
    await unit.messages.add_all(messages, kind="event", org_id=event.org_id)
    return len(messages)


async def apply_edit(
    unit: UnitOfWork, event: EventRecord, values: Mapping[str, object]
) -> EditOutcome:
    """Change ``event`` (fields of ``EventRecord`` to their new values, already checked);
    values equal to the event's are no change. The sequence is bumped for a change a calendar
    shows; reminders, members' own reminders and the start message are scheduled afresh for
    a new time; a larger capacity gives seats to the waitlist; those coming (going, maybe)
    get one DM saying what changed; the posts follow (``after_change``)."""
    conn = unit.conn
    locked = await store.lock_event(conn, event.id) or event
    wanted = {k: v for k, v in values.items() if getattr(locked, k) != v}
    if not wanted:
        return EditOutcome(locked)
    bump = any(name in CALENDAR_FIELDS for name in wanted)
    after = await changes.update_event(conn, event.id, wanted, bump=bump)
    version = fresh_version()
    if any(name in SCHEDULE_FIELDS for name in wanted):
        await cancel_event_work(unit, after)
        await schedule_event_work(unit, after, version)
    promoted: tuple[int, ...] = ()
    over = 0
    if "capacity" in wanted:
        promoted = await store.promote(conn, after, unit.now)
        await tell_promoted(unit, after, promoted)
        if after.capacity is not None:
            going = (await store.counts_of(conn, [after.id]))[after.id]["going"]
            over = max(0, going - after.capacity)
    told = 0
    if any(name in TOLD_FIELDS for name in wanted):
        told = await _tell(
            unit,
            after,
            ATTENDING,
            f"event:{after.id}:changed:{version}",
            lambda r, tz: change_note(locked, after, r, tz, now=unit.now),
        )
    announced = await after_change(unit, after)
    return EditOutcome(after, tuple(wanted), told, promoted, over, announced)


async def cancel_event(unit: UnitOfWork, event: EventRecord, reason: str | None) -> int:
    """Cancel ``event``: stored cancelled (when, and why), every pending reminder of it
    (its own, members' own, its meetings' and milestones', its start message) cancelled,
    its posts edited to "Cancelled", and each member going, maybe or waiting told once (keyed
    by event and member, so doing it again tells no one twice). Returns how many were told."""
    conn = unit.conn
    after = await changes.cancel_event(conn, event.id, unit.now, reason)
    await cancel_event_work(unit, after)
    for meeting in await store.meetings(conn, event.id):
        await unit.cancel_due("event_meeting", meeting.id)
    for milestone in await store.milestones(conn, event.id):
        await unit.cancel_due("event_milestone", milestone.id)
    told = await _tell(
        unit,
        after,
        TOLD_OF_CANCEL,
        f"event:{after.id}:cancelled",
        lambda r, tz: cancel_note(after, tz, now=unit.now),
    )
    await after_change(unit, after)
    return told


async def after_change(unit: UnitOfWork, event: EventRecord) -> list[tuple[str, str]]:
    """Have an event's posts show it as it is now: every recorded post edited in place; an
    event announced before its posts were recorded (none is) is announced afresh in the
    alert channels, unless cancelled, but a date of a repeating event whose announcement is
    still to come has it moved with its time. Its copies as Discord Scheduled Events follow
    too. Returns where it was announced afresh."""
    await sync_mirrors(unit, event)
    if await post_store.posts_of(unit.conn, "event", [event.id]):
        await posts.refresh(unit, "event", {event.id: f"event:{event.id}:edit:{fresh_version()}"})
        return []
    if event.cancelled:
        return []
    before = unit.services.config.events.announce_before
    if event.series_id is not None and event.starts_at - before > unit.now:
        # a date of a repeating event not announced yet: its announcement follows its time
        await unit.reschedule(
            kind=rolling.ANNOUNCE,
            due_at=event.starts_at - before,
            key=f"event:{event.id}:announce",
            ref_id=event.id,
            org_id=event.org_id,
        )
        return []
    _, org = unit.services.orgs.by_id(event.org_id)
    return await posts.announce(
        unit,
        "event",
        event.id,
        announcement(event, now=unit.now),
        kind="event",
        channels=org.alert_channels,
        org_id=event.org_id,
        key=f"event:{event.id}:post:{fresh_version()}",
    )


# the commands -----------------------------------------------------------------------------

#: how the fields of an event are named in the options of /event edit
_OPTION_NAMES = {
    "starts_at": "start",
    "ends_at": "end",
    "rsvp_deadline": "rsvp_by",
    "reminder_offsets": "reminders",
}
EDIT_OPTIONS = (
    ID,
    *(replace(opt, required=False) for opt in CREATE_OPTIONS),
    START_MESSAGE,
    OCCURRENCE,
    FROM,
)
SERIES_HELP = (
    ". On a repeating event: occurrence:DATE for that date only, from:DATE for it and later "
    "ones, neither for every date"
)


@group.command(
    "edit",
    options=EDIT_OPTIONS,
    role=Role.ORGANIZER,
    form_title="Edit event",
    help="Change an event: its announcements are edited and those coming are told" + SERIES_HELP,
)
async def edit(
    ctx: Context,
    id: int,
    title: str | None,
    kind: str | None,
    start: str | None,
    end: str | None,
    timezone: str | None,
    description: str | None,
    place: str | None,
    link: str | None,
    capacity: int | None,
    rsvp_by: str | None,
    reminders: tuple[str, ...] | None,
    start_message: bool | None,
    occurrence: str | None,
    **span: str | None,
) -> Reply:
    """Check the changes as on create, apply them (``apply_edit``) and say what happened; a
    click on Edit (nothing given) opens the form filled in with the event as it is. On a
    repeating event, ``occurrence`` edits one date; ``from`` (in ``span``) or neither, the
    dates from it or all of them (``series_changes.edit_series``)."""
    event = await org_event(ctx, id)
    since = span.get("from")
    series_changes.check_scope(occurrence, since)
    if occurrence is not None:
        event = await named_occurrence(ctx, event, occurrence)
        id = event.id
    elif since is not None or event.series_id is not None:
        typed = {
            "title": title,
            "kind": kind,
            "start": start,
            "end": end,
            "timezone": timezone,
            "description": description,
            "place": place,
            "link": link,
            "capacity": capacity,
            "rsvp_by": rsvp_by,
            "reminders": reminders,
            "start_message": start_message,
        }
        if all(v is None for v in typed.values()) and ctx.invocation.interactive:
            return Reply(text=f"Change what you need in event {id}.", form=edit_form(event))
        return await series_changes.edit_series(ctx, event, since, typed)
    check_changeable(event, ctx.now)
    plain = {
        "title": title,
        "kind": kind,
        "description": description,
        "place": place,
        "link": link,
        "capacity": capacity,
        "reminder_offsets": reminders,
        "start_message": start_message,
    }
    if all(v is None for v in (*plain.values(), start, end, timezone, rsvp_by)):
        if ctx.invocation.interactive:
            return Reply(text=f"Change what you need in event {id}.", form=edit_form(event))
        raise ValidationError(
            "id", "say what to change, e.g. start, end, place, link, capacity or title"
        )
    tz = ZoneInfo(timezone or event.timezone)
    starts, ends, deadline = edited_times(event, start, end, rsvp_by, ctx.now, tz)
    if kind not in (None, event.kind) and "legislative-day" in (kind, event.kind):
        if sum((await store.counts_of(ctx.conn, [id]))[id].values()):
            raise ValidationError(
                "kind", "cannot change to or from a legislative day once people have answered"
            )
    values: dict[str, object] = {k: v for k, v in plain.items() if v is not None}
    values |= {"starts_at": starts, "ends_at": ends, "rsvp_deadline": deadline, "timezone": tz.key}
    outcome = await apply_edit(ctx, event, values)
    if not outcome.changed:
        return Reply(text=f"Event {id} already says that; nothing changed.")
    names = [_OPTION_NAMES.get(name, name) for name in outcome.changed]
    await ctx.audit("event.edit", f"event {id}", changed=",".join(names), told=outcome.told)
    return Reply(text=_edited(outcome, names, event.capacity, ctx))


def _edited(
    outcome: EditOutcome, names: list[str], capacity_before: int | None, ctx: Context
) -> TimedText:
    """What an edit did, for the organizer."""
    after = outcome.event
    parts: list[str] = [f"Event {after.id} changed ({', '.join(names)})."]
    if outcome.announced:
        where = posts.place_names(outcome.announced, ctx.org_config)
        parts.append(
            TimedText(
                " It had no announcement on record, so it was announced afresh in ", where, "."
            )
        )
    else:
        parts.append(" Its announcements are updated in every channel.")
    if outcome.told:
        parts.append(f" {counted(outcome.told, 'member')} coming told by DM.")
    if "start" in names:
        parts.append(" Reminders move with the new time.")
    if outcome.promoted:
        parts.append(f" {counted(len(outcome.promoted), 'member')} moved up from the waitlist.")
    smaller = capacity_before is None or (after.capacity or 0) < capacity_before
    if "capacity" in names and after.capacity is not None and smaller:
        parts.append(" No one going loses their place")
        if outcome.over_capacity:
            going = after.capacity + outcome.over_capacity
            parts.append(
                f": {going} are going for {counted(after.capacity, 'place')}, and new answers "
                "join the waitlist"
            )
        parts.append(".")
    return TimedText(*parts)


@group.command(
    "cancel",
    options=[
        ID,
        Text("reason", max_length=300, help="why, told to those who answered"),
        OCCURRENCE,
        FROM,
    ],
    role=Role.ORGANIZER,
    help="Cancel an event: announcements say so and those who answered are told" + SERIES_HELP,
)
async def cancel(
    ctx: Context, id: int, reason: str | None, occurrence: str | None, **span: str | None
) -> Reply:
    """Cancel the event (``cancel_event``) and say whom that reached. On a repeating event,
    ``occurrence`` cancels one date; ``from`` (in ``span``) or neither, the dates from it or
    the whole series (``series_changes.cancel_series``)."""
    event = await org_event(ctx, id, lock=True)
    since = span.get("from")
    series_changes.check_scope(occurrence, since)
    if occurrence is not None:
        event = await named_occurrence(ctx, event, occurrence)
        id = event.id
    elif since is not None or event.series_id is not None:
        return await series_changes.cancel_series(ctx, event, reason, since)
    check_changeable(event, ctx.now)
    told = await cancel_event(ctx, event, reason)
    await ctx.audit("event.cancel", f"event {id}", reason=reason or "", told=told)
    return Reply(
        text=f"Event {id} is cancelled. Its announcements say so, with their buttons closed, "
        f"and no reminder will be sent. {counted(told, 'member')} who answered told by DM."
    )

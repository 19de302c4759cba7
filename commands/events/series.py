"""Repeating events: a series made at ``/event create … repeat:``, its occurrences made as
events of their own as they come near, each announced ``[events] announce_before`` ahead.

An occurrence is made a day before it is announced (``MARGIN``), by a due item that rolls the
series forward and schedules the next roll; an occurrence someone names by its date
(``occurrence:``) is made at once, whenever it falls. Every occurrence made gets the
template's reminders and, when its time comes, its announcement in the alert channels. All of
it is stored (due items, the series' ``rolled_until``) and an occurrence is never made twice,
so a restart, or a roll run twice, changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot import posts
from bot.repeats import Repeat
from bot.scheduler import DueContext
from bot.timefmt import local_time
from bot.unit import UnitOfWork
from commands.events import group
from commands.events.due import schedule_event_work
from commands.events.mirrors import sync_mirrors
from commands.events.render import announcement
from storage import events as event_store
from storage import posts as post_store
from storage import series as store
from storage.events import EventRecord
from storage.series import SeriesRecord

#: occurrences are made this long before they are announced
MARGIN = timedelta(days=1)
#: how far after the first occurrence ``until:`` may be
MAX_SPAN = timedelta(days=731)
ROLL = "event_series_roll"
ANNOUNCE = "event_announce"


def rule_of(series: SeriesRecord) -> Repeat:
    """The series' repeat rule."""
    return Repeat.from_rrule(series.rule)


def starts(
    series: SeriesRecord, *, after: datetime | None = None, limit: int | None = None
) -> Iterator[datetime]:
    """The starts the series' rule gives (aware UTC), within its until and count."""
    return rule_of(series).occurrences(
        series.first_start,
        ZoneInfo(series.timezone),
        until=series.until,
        count=series.count,
        after=after,
        limit=limit,
    )


def planned_start(series: SeriesRecord, start: datetime) -> datetime:
    """When the date the rule starts at ``start`` begins if made now: at the series' time of
    day (changed for later dates by an edit), on that date's day in its timezone."""
    time = series.template.get("time")
    if not time:
        return start
    tz = ZoneInfo(series.timezone)
    hour, minute = (int(part) for part in str(time).split(":"))
    day = start.astimezone(tz).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(UTC)


def describe(series: SeriesRecord) -> str:
    """The series in words: "every 2 weeks on Tuesday at 7:00 PM, until Jun 30, 2027"."""
    tz = ZoneInfo(series.timezone)
    first = planned_start(series, series.first_start).astimezone(tz)
    hour = first.strftime("%I").lstrip("0")
    words = f"{rule_of(series).describe(first)} at {hour}:{first:%M %p}"
    if series.until is not None:
        last = series.until.astimezone(tz)
        words += f", until {last:%b} {last.day}, {last.year}"
    elif series.count is not None:
        words += f", {series.count} times"
    return words


def next_dates(series: SeriesRecord, now: datetime, n: int = 3) -> list[str]:
    """The next ``n`` dates of the series after ``now`` (by their rule start), as people
    read them."""
    tz = ZoneInfo(series.timezone)
    found = starts(series, after=now, limit=n)
    return [local_time(planned_start(series, at), tz, now=now) for at in found]


async def repeats_of(unit: UnitOfWork, events: list[EventRecord]) -> dict[int, str]:
    """For each of ``events`` that is a date of a series: "repeats every 2 weeks on …"."""
    found = await store.series_of(unit.conn, sorted({e.series_id for e in events if e.series_id}))
    return {e.id: f"repeats {describe(found[e.series_id])}" for e in events if e.series_id in found}


async def series_note(unit: UnitOfWork, event: EventRecord) -> str | None:
    """What /event show says of a date of a series: the rule, its date's name, the next dates
    and how to answer for another; None for an event that does not repeat."""
    if event.series_id is None or event.occurrence_start is None:
        return None
    series = await store.get_series(unit.conn, event.series_id)
    if series is None:
        return None
    tz = ZoneInfo(series.timezone)
    named = event.occurrence_start.astimezone(tz)
    state = " (the series is cancelled)" if series.cancelled else ""
    upcoming = "; ".join(next_dates(series, unit.now)) or "none"
    return (
        f"Repeats {describe(series)}{state}. This is the date of {named:%a %b} {named.day}, "
        f"{named.year}. Next dates: {upcoming}. Answer for another date: "
        f"/event rsvp id:{event.id} status:going occurrence:DATE"
    )


def template(
    *,
    title: str,
    kind: str,
    length: timedelta,
    description: str | None,
    place: str | None,
    link: str | None,
    capacity: int | None,
    rsvp_before: timedelta | None,
    reminder_offsets: tuple[str, ...],
    start_message: bool,
) -> dict[str, Any]:
    """The fields each occurrence of a series copies, as stored (JSON)."""
    return {
        "title": title,
        "kind": kind,
        "length": int(length.total_seconds()),
        "description": description,
        "place": place,
        "link": link,
        "capacity": capacity,
        "rsvp_before": None if rsvp_before is None else int(rsvp_before.total_seconds()),
        "reminder_offsets": list(reminder_offsets),
        "start_message": start_message,
    }


def _occurrence_values(series: SeriesRecord, start: datetime, now: datetime) -> dict[str, Any]:
    t = series.template
    rsvp_before = t.get("rsvp_before")
    starts_at = planned_start(series, start)
    return {
        "org_id": series.org_id,
        "title": t["title"],
        "description": t.get("description"),
        "kind": t["kind"],
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(seconds=int(t["length"])),
        "timezone": series.timezone,
        "place": t.get("place"),
        "link": t.get("link"),
        "capacity": t.get("capacity"),
        "rsvp_deadline": (
            None if rsvp_before is None else starts_at - timedelta(seconds=rsvp_before)
        ),
        "reminder_offsets": list(t.get("reminder_offsets") or ()),
        "start_message": t.get("start_message", True),
        "created_by": series.created_by,  # None once that member's records are erased
        "created_at": now,
        "series_id": series.id,
        "occurrence_start": start,
    }


async def make_occurrence(
    unit: UnitOfWork, series: SeriesRecord, start: datetime, *, notify: str = ""
) -> tuple[EventRecord, bool]:
    """The occurrence the rule starts at ``start``, made now (with its reminders and its
    announcement scheduled, or posted now, pinging ``notify``, if its time has come) if it
    was not made before; and whether it was made now."""
    found = await store.occurrence(unit.conn, series.id, start)
    if found is not None:  # looked up first, so that no event number is used up for nothing
        return found, False
    made = await store.add_occurrence(unit.conn, **_occurrence_values(series, start, unit.now))
    if made is None:  # another process made it a moment ago
        found = await store.occurrence(unit.conn, series.id, start)
        if found is None:  # pragma: no cover - the unique pair was there a moment ago
            raise LookupError(f"occurrence {start} of series {series.id} vanished")
        return found, False
    await schedule_event_work(unit, made)
    await sync_mirrors(unit, made)
    announce_at = made.starts_at - unit.services.config.events.announce_before
    if announce_at <= unit.now:
        await announce(unit, made, notify=notify)
    else:
        await unit.schedule(
            kind=ANNOUNCE,
            due_at=announce_at,
            key=f"event:{made.id}:announce",
            ref_id=made.id,
            org_id=made.org_id,
        )
    return made, True


async def announce(
    unit: UnitOfWork, event: EventRecord, *, notify: str = ""
) -> list[tuple[str, str]]:
    """Post the occurrence in its organization's alert channels (once: posting it again adds
    nothing), pinging ``notify`` if given; where it was posted now."""
    _, org = unit.services.orgs.by_id(event.org_id)
    return await posts.announce(
        unit,
        "event",
        event.id,
        replace(announcement(event, now=unit.now), notify=notify),
        kind="event",
        channels=org.alert_channels,
        org_id=event.org_id,
    )


def horizon(unit: UnitOfWork) -> datetime:
    """Occurrences starting up to this moment are made now."""
    return unit.now + unit.services.config.events.announce_before + MARGIN


async def roll(unit: UnitOfWork, series: SeriesRecord) -> list[EventRecord]:
    """Make the series' occurrences that start within the horizon and were not made yet, and
    schedule the next roll (none once the rule has no more dates or the series is cancelled).
    Returns the occurrences made now."""
    if series.cancelled:
        return []
    made = []
    last = series.rolled_until
    until = horizon(unit)
    for start in starts(series, after=series.rolled_until):
        if start > until:
            break
        event, new = await make_occurrence(unit, series, start)
        if new:
            made.append(event)
        last = start
    if last != series.rolled_until:
        await store.update_series(unit.conn, series.id, rolled_until=last)
    following = next(starts(series, after=last, limit=1), None)
    if following is not None:
        due = following - unit.services.config.events.announce_before - MARGIN
        await unit.schedule(
            kind=ROLL,
            due_at=max(due, unit.now),
            key=f"event_series:{series.id}:roll:{following:%Y%m%dT%H%M}",
            ref_id=series.id,
            org_id=series.org_id,
        )
    return made


@group.on_due(ROLL)
async def roll_due(ctx: DueContext) -> None:
    """Roll each series forward (each locked, so two processes do it one after the other)."""
    for series_id in sorted({item.ref_id for item in ctx.items if item.ref_id}):
        series = await store.get_series(ctx.conn, series_id, lock=True)
        if series is not None:
            await roll(ctx, series)


@group.on_due(ANNOUNCE)
async def announce_due(ctx: DueContext) -> None:
    """Announce each occurrence whose time came, unless it was cancelled, has begun or was
    announced already (when a change to it came first)."""
    found = await event_store.get_events(ctx.conn, [i.ref_id for i in ctx.items if i.ref_id])
    for event in found.values():
        shown = await post_store.posts_of(ctx.conn, "event", [event.id])
        if event.state == "scheduled" and event.starts_at > ctx.now and not shown:
            await announce(ctx, event)

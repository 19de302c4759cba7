"""/event edit and /event cancel on a repeating event: ``occurrence:DATE`` (that date only),
``from:DATE`` (that date and every later one) or neither (the whole series).

Each date already made is changed with the lifecycle core (``apply_edit``, ``cancel_event``),
so its posts, reminders and those coming follow as for any event. The series itself changes
too, so dates made later follow: an edit changes its template (title, place, time of day …),
a cancel from a date ends its rule the day before, and cancelling the whole series stops it.
A date's own name (its ``occurrence_start``) never changes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.errors import ValidationError
from bot.reply import Reply
from bot.timefmt import local_time
from bot.when import parse_moment
from bot.wording import counted
from commands.events import lifecycle
from commands.events import series as rolling
from commands.events.occurrences import find_start, series_for
from storage import series as store
from storage.events import EventRecord
from storage.series import CANCELLED, SeriesRecord

_BARE_TIME = re.compile(r"(?:at\s+)?(?:\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?|noon|midnight)")
#: the options an edit of several dates cannot take, and what to do instead
_PER_DATE = {
    "timezone": "cannot change for a repeating event; create a new one in the other timezone",
    "rsvp_by": "give it for one date with occurrence:DATE",
}
#: fields the series' template keeps under the name of the event's field
_TEMPLATE_FIELDS = (
    "title",
    "kind",
    "description",
    "place",
    "link",
    "capacity",
    "reminder_offsets",
    "start_message",
)
#: the option of each template field, in the order of ``_TEMPLATE_FIELDS``
_OPTION_OF = ("title", "kind", "description", "place", "link", "capacity", "reminders")
_OPTION_OF += ("start_message",)


def check_scope(occurrence: str | None, since: str | None) -> None:
    """``occurrence:`` and ``from:`` name one date or a date and those after: not both."""
    if occurrence is not None and since is not None:
        raise ValidationError("from", "give occurrence (one date) or from (it and later), not both")


async def _scope(
    ctx: Context, event: EventRecord, since: str | None
) -> tuple[SeriesRecord, datetime | None]:
    """The event's series, locked, and the rule start ``from:`` names (None: every date)."""
    series = await series_for(ctx, event, "from")
    locked = await store.get_series(ctx.conn, series.id, lock=True) or series
    if locked.cancelled:
        raise ValidationError("id", f"the series of event {event.id} is cancelled")
    start = None if since is None else find_start(locked, since, "from", ctx.now)
    return locked, start


async def _open_dates(
    ctx: Context, series: SeriesRecord, since: datetime | None
) -> list[EventRecord]:
    """The series' dates made so far, from ``since`` on, that are neither over nor cancelled."""
    found = await store.occurrences(ctx.conn, series.id, since=since)
    return [e for e in found if e.state != CANCELLED and e.ends_at > ctx.now]


def _which(series: SeriesRecord, since: datetime | None, now: datetime) -> str:
    """“Title” and the dates meant: "on every date", "from Tue Dec 8, 7:00 PM CST on"."""
    tz = ZoneInfo(series.timezone)
    title = series.template.get("title", "")
    if since is None:
        return f"“{title}” on every date"
    return f"“{title}” from {local_time(since, tz, now=now)} on"


async def cancel_series(
    ctx: Context, event: EventRecord, reason: str | None, since: str | None
) -> Reply:
    """Cancel the dates made from ``since`` (every one, if None) with ``cancel_event``, and end
    the rule there, or stop the whole series, so no later date is made."""
    series, start = await _scope(ctx, event, since)
    told = 0
    dates = await _open_dates(ctx, series, start)
    for date in dates:
        told += await lifecycle.cancel_event(ctx, date, reason)
    whole = start is None or start <= series.first_start
    if whole:
        await store.update_series(
            ctx.conn, series.id, state=CANCELLED, sequence=series.sequence + 1
        )
        await ctx.cancel_due(rolling.ROLL, series.id)
    else:
        assert start is not None
        await store.update_series(
            ctx.conn,
            series.id,
            until=start - timedelta(seconds=1),
            count=None,
            sequence=series.sequence + 1,
        )
    await ctx.audit(
        "event.cancel",
        f"series {series.id}",
        event=str(event.id),
        since=since or "",
        reason=reason or "",
        told=told,
    )
    return Reply(
        text=f"Cancelled: {_which(series, None if whole else start, ctx.now)} "
        f"({counted(len(dates), 'date')} to come made so far); no later date will be made. "
        "Their announcements say so, and no reminder will be sent. "
        f"{counted(told, 'member')} who answered told by DM."
    )


def _time_of_day(text: str, option: str) -> str:
    """A bare time ("18:00", "6pm") typed for several dates, checked."""
    if not _BARE_TIME.fullmatch(text.strip().lower()):
        raise ValidationError(
            option,
            'for several dates, give a time of day such as "18:00" or "6pm"; to move one '
            "date to another day, use occurrence:DATE",
        )
    return text


def _on_day(date: EventRecord, text: str, option: str) -> datetime:
    """The time of day ``text`` on the date's own day, in its timezone."""
    tz = ZoneInfo(date.timezone)
    day = date.starts_at.astimezone(tz).date()
    reference = date.starts_at - timedelta(days=1)  # read on its day, wherever now is
    return parse_moment(f"{day.isoformat()} {text}", option, reference, tz)


def _date_values(
    date: EventRecord, plain: Mapping[str, Any], start: str | None, end: str | None, now: datetime
) -> dict[str, Any]:
    """What one date becomes: the plain fields, and its time moved on its own day."""
    values = dict(plain)
    starts = _on_day(date, start, "start") if start else date.starts_at
    if end:
        ends = _on_day(date, end, "end")
    else:
        ends = starts + (date.ends_at - date.starts_at)
    if ends <= starts:
        raise ValidationError("end", "must be after the start")
    if starts != date.starts_at:
        if starts <= now:
            raise ValidationError("start", f"event {date.id}'s new time would be in the past")
        values["starts_at"] = starts
        if date.rsvp_deadline is not None:
            values["rsvp_deadline"] = date.rsvp_deadline + (starts - date.starts_at)
    if ends != date.ends_at:
        values["ends_at"] = ends
    return values


async def edit_series(
    ctx: Context, event: EventRecord, since: str | None, typed: Mapping[str, Any]
) -> Reply:
    """Edit the dates from ``since`` (every date, if None) with ``apply_edit``, and the
    series' template so that dates made later follow. ``typed`` holds the options given
    (``start``/``end`` as a time of day)."""
    for name, rule in _PER_DATE.items():
        if typed.get(name) is not None:
            raise ValidationError(name, rule)
    start = _time_of_day(typed["start"], "start") if typed.get("start") else None
    end = _time_of_day(typed["end"], "end") if typed.get("end") else None
    plain = {
        name: typed[option]
        for name, option in zip(_TEMPLATE_FIELDS, _OPTION_OF, strict=True)
        if typed.get(option) is not None
    }
    if not plain and start is None and end is None:
        raise ValidationError("id", "say what to change, e.g. start, end, place, link or title")
    if "legislative-day" in (plain.get("kind"), event.kind) and "kind" in plain:
        raise ValidationError("kind", "change it date by date with occurrence:DATE")
    series, since_start = await _scope(ctx, event, since)
    if since_start is not None:
        await _make_until(ctx, series, since_start)
    dates = await _open_dates(ctx, series, since_start)
    values = [(date, _date_values(date, plain, start, end, ctx.now)) for date in dates]
    told = changed = 0
    for date, wanted in values:
        outcome = await lifecycle.apply_edit(ctx, date, wanted)
        told += outcome.told
        changed += bool(outcome.changed)
    template = dict(series.template) | {
        k: list(v) if k == "reminder_offsets" else v for k, v in plain.items()
    }
    if start is not None or end is not None:
        template |= _template_times(series, start, end)
    await store.update_series(ctx.conn, series.id, template=template, sequence=series.sequence + 1)
    names = [*plain, *(["start"] if start else []), *(["end"] if end else [])]
    await ctx.audit(
        "event.edit",
        f"series {series.id}",
        event=str(event.id),
        since=since or "",
        changed=",".join(names),
        told=told,
    )
    return Reply(
        text=f"Changed: {_which(series, since_start, ctx.now)} "
        f"({counted(changed, 'date')} to come made so far, and every later date as it is made). "
        f"Their announcements are updated; {counted(told, 'member')} coming told by DM."
    )


async def _make_until(ctx: Context, series: SeriesRecord, since_start: datetime) -> None:
    """Make the dates before ``since_start`` that are not made yet, so that a change of the
    template from that date on leaves them as they were."""
    last = series.rolled_until
    for start in rolling.starts(series, after=series.rolled_until):
        if start >= since_start:
            break
        await rolling.make_occurrence(ctx, series, start)
        last = start
    if last != series.rolled_until:
        await store.update_series(ctx.conn, series.id, rolled_until=last)


def _template_times(series: SeriesRecord, start: str | None, end: str | None) -> dict[str, Any]:
    """The template's time of day ("18:00") and length (seconds) after ``start`` or ``end``
    (times of day) changed, read on the series' first day."""
    tz = ZoneInfo(series.timezone)
    day = series.first_start.astimezone(tz).date().isoformat()
    reference = series.first_start - timedelta(days=1)  # the first day may be past
    t = series.template
    if start:
        begins = parse_moment(f"{day} {start}", "start", reference, tz)
    else:
        begins = parse_moment(f"{day} {_time_of(series)}", "start", reference, tz)
    ends = (
        parse_moment(f"{day} {end}", "end", reference, tz)
        if end
        else begins + timedelta(seconds=int(t["length"]))
    )
    if ends <= begins:
        raise ValidationError("end", "must be after the start")
    return {
        "time": f"{begins.astimezone(tz):%H:%M}",
        "length": int((ends - begins).total_seconds()),
    }


def _time_of(series: SeriesRecord) -> str:
    """The series' time of day now: its template's, else its first date's."""
    t = series.template
    if t.get("time"):
        return str(t["time"])
    return f"{series.first_start.astimezone(ZoneInfo(series.timezone)):%H:%M}"

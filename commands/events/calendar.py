"""A repeating event in a calendar file (RFC 5545): one VEVENT with the series' RRULE (its
DTSTART in the series' timezone), a cancelled date as an EXDATE, a date that differs from the
series (moved, retitled, edited) as an override with its RECURRENCE-ID and its own SEQUENCE,
and STATUS:CANCELLED once the whole series is. UIDs are stable: the series' own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from commands.events.render import _entry
from storage.events import EventRecord
from storage.series import SeriesRecord


def _time_of_day(series: SeriesRecord, tz: ZoneInfo) -> tuple[int, int]:
    """The series' time of day now: its template's (after a change), else its first date's."""
    time = series.template.get("time")
    if time:
        hour, minute = (int(part) for part in str(time).split(":"))
        return hour, minute
    first = series.first_start.astimezone(tz)
    return first.hour, first.minute


def instance(series: SeriesRecord, occurrence_start: datetime) -> datetime:
    """Where the series' VEVENT puts the date its rule started at ``occurrence_start``: that
    day at the series' time of day, in its timezone (the date's RECURRENCE-ID)."""
    tz = ZoneInfo(series.timezone)
    day = occurrence_start.astimezone(tz).date()
    hour, minute = _time_of_day(series, tz)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def _differs(series: SeriesRecord, date: EventRecord) -> bool:
    """The date shows something else than the series would: it needs an override."""
    t = series.template
    assert date.occurrence_start is not None
    return (
        date.starts_at != instance(series, date.occurrence_start)
        or date.ends_at - date.starts_at != timedelta(seconds=int(t["length"]))
        or (date.title, date.description, date.place, date.link)
        != (t.get("title"), t.get("description"), t.get("place"), t.get("link"))
        or date.sequence > 0
    )


def series_entries(
    series: SeriesRecord, dates: Sequence[EventRecord], now: datetime
) -> tuple[list[icalendar.Event], list[datetime]]:
    """The series' VEVENT and one override per date that differs from it; and the times the
    file spans (for its VTIMEZONE)."""
    tz = ZoneInfo(series.timezone)
    t = series.template
    uid = f"series-{series.id}-{series.created_at:%Y%m%dT%H%M%S}@rallybot"
    start = instance(series, series.first_start)
    length = timedelta(seconds=int(t["length"]))
    master = _entry(
        uid,
        now,
        start,
        str(t["title"]),
        end=start + length,
        description=t.get("description"),
        location=t.get("place"),
        url=t.get("link"),
    )
    rule = icalendar.vRecur.from_ical(series.rule)
    if series.until is not None:
        rule["UNTIL"] = series.until  # UTC, as RFC 5545 asks beside a DTSTART with a TZID
    elif series.count is not None:
        rule["COUNT"] = series.count
    master.add("rrule", rule)
    master.add("sequence", series.sequence)
    master.add("status", "CANCELLED" if series.cancelled else "CONFIRMED")
    dated = [d for d in dates if d.occurrence_start is not None]
    skipped = [instance(series, d.occurrence_start) for d in dated if d.cancelled]
    if skipped and not series.cancelled:
        master.add("exdate", skipped)
    entries = [master]
    for date in dated:
        if date.cancelled or not _differs(series, date):
            continue
        assert date.occurrence_start is not None
        override = _entry(
            uid,
            now,
            date.starts_at.astimezone(tz),
            date.title,
            end=date.ends_at.astimezone(tz),
            description=date.description,
            location=date.place,
            url=date.link,
        )
        override.add("recurrence-id", instance(series, date.occurrence_start))
        override.add("sequence", date.sequence)
        override.add("status", "CONFIRMED")
        entries.append(override)
    last = series.until or (series.first_start + timedelta(days=731))
    span = [series.first_start, last, *(d.starts_at for d in dated)]
    return entries, span

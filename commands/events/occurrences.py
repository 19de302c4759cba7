"""Naming one occurrence of a repeating event by its date: ``occurrence:DATE`` (that one) and
``from:DATE`` (that one and later) on /event rsvp, edit and cancel.

An occurrence is named by the date the series' rule gave it, in the series' timezone, even
after it was moved. ``id:`` may be the number of any occurrence of the series. Dates are typed
``2026-12-08``, ``12/8``, ``12/8/2026``, ``Dec 8`` or ``December 8, 2026``; without its year,
the nearest such date that the series has.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.errors import ValidationError
from commands.events import series as rolling
from storage import series as store
from storage.events import EventRecord
from storage.series import SeriesRecord

DATE_FORMS = 'a date such as "2026-12-08", "12/8" or "Dec 8"'
_MONTHS = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_US = re.compile(r"(\d{1,2})/(\d{1,2})(?:/(\d{4}))?")
_NAMED = re.compile(r"(?:[a-z]+,? )?([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?(?:,? (\d{4}))?")
_NAMED_FIRST = re.compile(r"(?:[a-z]+,? )?(\d{1,2})(?:st|nd|rd|th)? ([a-z]+)\.?(?:,? (\d{4}))?")


def _month(word: str) -> int | None:
    if len(word) >= 3 and word[:3] in _MONTHS and word != "mon":
        return _MONTHS.index(word[:3]) + 1
    return None


def parse_day(text: str, option: str) -> tuple[int | None, int, int]:
    """A typed date as (year or None, month, day); a refusal names ``option``."""
    cleaned = " ".join(text.strip().lower().split())
    year: str | None
    if match := _ISO.fullmatch(cleaned):
        year, month, day = match[1], int(match[2]), int(match[3])
    elif match := _US.fullmatch(cleaned):
        month, day, year = int(match[1]), int(match[2]), match[3]
    elif (match := _NAMED.fullmatch(cleaned)) and _month(match[1]):
        month, day, year = _month(match[1]) or 0, int(match[2]), match[3]
    elif (match := _NAMED_FIRST.fullmatch(cleaned)) and _month(match[2]):
        day, month, year = int(match[1]), _month(match[2]) or 0, match[3]
    else:
        raise ValidationError(option, f"{text.strip()!r} is not a date; give {DATE_FORMS}")
    try:
        date(int(year) if year else 2028, month, day)  # 2028 is a leap year: Feb 29 is fine
    except ValueError:
        raise ValidationError(
            option, f"{text.strip()!r} is not a date; give {DATE_FORMS}"
        ) from None
    return (int(year) if year else None, month, day)


def _candidates(typed: tuple[int | None, int, int], today: date) -> list[date]:
    """The dates a typed date may mean, nearest to ``today`` first."""
    year, month, day = typed
    years = [year] if year else [today.year, today.year + 1, today.year - 1, today.year + 2]
    found = []
    for y in years:
        try:
            found.append(date(y, month, day))
        except ValueError:
            continue
    return sorted(found, key=lambda d: abs((d - today).days))


def find_start(series: SeriesRecord, text: str, option: str, now: datetime) -> datetime:
    """The rule start of the series' occurrence on the typed date (in the series' timezone),
    or a refusal naming ``option`` and the series' next dates."""
    tz = ZoneInfo(series.timezone)
    typed = parse_day(text, option)
    today = now.astimezone(tz).date()
    for day in _candidates(typed, today):
        end_of_day = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        for start in rolling.starts(series):
            local = start.astimezone(tz).date()
            if local == day:
                return start
            if start >= end_of_day:
                break
    upcoming = "; ".join(rolling.next_dates(series, now)) or "none are left"
    raise ValidationError(
        option,
        f"the series ({rolling.describe(series)}) has no date on {text.strip()}; "
        f"its next dates: {upcoming}",
    )


async def series_for(ctx: Context, event: EventRecord, option: str) -> SeriesRecord:
    """The series the event belongs to, or a refusal naming ``option``."""
    series = None
    if event.series_id is not None:
        series = await store.get_series(ctx.conn, event.series_id)
    if series is None or series.org_id != ctx.org.id:
        raise ValidationError(option, f"event {event.id} does not repeat; leave {option} out")
    return series


async def named_occurrence(ctx: Context, event: EventRecord, text: str) -> EventRecord:
    """The occurrence of the event's series on the date ``text`` (the ``occurrence:``
    option), made now if it lies beyond those made so far."""
    series = await series_for(ctx, event, "occurrence")
    start = find_start(series, text, "occurrence", ctx.now)
    if series.cancelled:
        raise ValidationError("occurrence", f"the series of event {event.id} was cancelled")
    found = await store.occurrence(ctx.conn, series.id, start)
    if found is not None:
        return found
    length = timedelta(seconds=int(series.template["length"]))
    if start + length <= ctx.now:
        raise ValidationError("occurrence", f"the date {text.strip()} is over")
    if start - ctx.now > rolling.MAX_SPAN:
        raise ValidationError("occurrence", "give a date within two years from today")
    made, _ = await rolling.make_occurrence(ctx, series, start)
    return made

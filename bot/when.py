"""The ``when:`` option of ``/reminder add``: times as people type them, to an exact UTC instant.

Accepted forms (case-insensitive, extra spaces ignored, "at" before a time optional):

- relative: ``in 2 hours``, ``in 1h30m``, ``in 3 days``, or a bare duration such as ``2h``;
- ``today 5pm``, ``tonight 8pm`` (``tonight`` alone is 20:00), ``tomorrow 9am``, ``tomorrow``;
- a bare time, ``9am``, ``17:30``, ``noon``, ``midnight``: today if still ahead, else tomorrow;
- a weekday, ``monday 9am``, ``next fri 14:00``: the next such day, today only if still ahead;
  ``next tuesday`` typed on a Tuesday is a week later, never today;
- a date, ``2026-12-01 09:00``, ``2026-12-01T09:00``, ``12/1 9am``, ``12/1/2026 9am``, or with
  the month's name, ``Dec 25 9am``, ``December 25 at 9am``, ``25 Dec 9:30``, ``Dec 25th, 2027``;
  a date without its year is this year's, and once it has passed the person is asked for the
  year (``2027-12-01 09:00``) rather than having it moved to next year unseen;
- a day of the month, ``the 3rd at noon``, ``the 15th``: the next such day, this month's while
  it is still ahead, else the next month that has it;
- a repeat, ``every monday 9am``, ``every day 8:30am``, ``every weekday 9am``, ``daily 9am``,
  ``weekly monday 9am``: the first occurrence is the next one after now. Every other repeat of
  the one repeat grammar (``bot/repeats.py``) is taken too, ``every month``, ``every 2 weeks
  at noon``, ``every first monday 9am``, ``every month on the 15th``: its first occurrence is
  the first the rule gives from the next such time of day, and a rule that keeps the first
  occurrence's day ("every month", "every 2 weeks") keeps that one's.

A repeat is stored as text (:func:`read_recurrence` reads both forms): the first five forms as
they always were (``weekly:0:09:00``, :class:`Recurrence`), the others as their time of day and
RRULE (``rrule:09:00:FREQ=MONTHLY;BYDAY=1MO``, :class:`RuleRepeat`).

A day given without a time means 9:00. Times are ``9am``, ``9:30 pm``, ``09:00``, ``21:15``;
``12am`` is midnight and ``12pm`` noon. Nothing more than two years (731 days) ahead is taken.

Relative times are exact elapsed durations, added in UTC: ``in 24 hours`` across a daylight-saving
change is 24 real hours. Everything else is a wall-clock time in the member's timezone, so
``tomorrow 9am`` and ``every sunday 9am`` stay at 9:00 local, 23 or 25 real hours apart across a
change. Local times follow the ``fold=0`` rule of PEP 495, which zoneinfo implements:

- a local time that does not exist (spring forward: 2:30am on 2026-03-08 in America/Chicago) is
  read with the offset in force before the change, which moves it forward by the gap (3:30am CDT);
- an ambiguous local time (fall back: 1:30am on 2026-11-01 in America/Chicago) takes the first,
  earlier instant (1:30am CDT).

The grammar is our own, not dateparser's. dateparser 1.5 was tried on these phrases with our
settings (``RELATIVE_BASE`` now, ``TIMEZONE`` the member's, ``RETURN_AS_TIMEZONE_AWARE``,
``PREFER_DATES_FROM="future"``, English only). It reads ``Dec 25 9am``, ``25 Dec 9:30`` and
``December 25 at 9am`` well and imports in about 0.1 s, but: it reads ``the 3rd at noon`` as
March 2nd (``3rd`` taken for the month); it reads garbage as dates (``a`` is January 2nd,
``may`` and ``12`` are dates), so a typo would be stored as a reminder; with ``future`` it moves
a passed ``Oct 3`` to next year silently and with its default (``current_period``) it returns
the past date, where we ask for the year; it returns naive datetimes unless told otherwise
and localises through pytz, so our ``fold=0`` rule would have to be re-applied around it; and
it brings three more packages (pytz, regex, tzlocal). Checking its answers would take as
much code as reading the few forms above, so they are read here, under the rules and tests
that already hold for the other forms.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.errors import ValidationError
from bot.repeats import FORMS, Repeat, parse_repeat
from bot.timeparse import parse_duration

MAX_LENGTH = 100
MAX_AHEAD = timedelta(days=731)
_NAMES = (
    ("monday", "mon"),
    ("tuesday", "tue", "tues"),
    ("wednesday", "wed"),
    ("thursday", "thu", "thur", "thurs"),
    ("friday", "fri"),
    ("saturday", "sat"),
    ("sunday", "sun"),
)
_WEEKDAYS = {name: number for number, names in enumerate(_NAMES) for name in names}
_KINDS = ("daily", "weekdays", "weekly")
_TIME = re.compile(
    r"(?:^|\s|(?<=\d)t)(?:at\s+)?(?P<clock>(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?:(?P<ap>[ap])\.?m\.?)?"
    r"|noon|midnight)$"
)
_WEEKDAY = re.compile(r"(?:(?P<word>next|this|on) )?(?P<day>\w+)")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_US = re.compile(r"(\d{1,2})/(\d{1,2})(?:/(\d{4}))?")
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_TH = r"(?:st|nd|rd|th)?"
_MONTH_FIRST = re.compile(rf"(?P<mon>[a-z]+)\.? (?P<dom>\d{{1,2}}){_TH}(?:,? (?P<year>\d{{4}}))?,?")
_DAY_FIRST = re.compile(
    rf"(?:the )?(?P<dom>\d{{1,2}}){_TH} (?:of )?(?P<mon>[a-z]+)\.?(?:,? (?P<year>\d{{4}}))?,?"
)
_ORDINAL = re.compile(r"the (?P<dom>\d{1,2})(?:st|nd|rd|th)?|(?P<bare>\d{1,2})(?:st|nd|rd|th)")
_REPEAT = re.compile(r"(every|each|daily|weekly|monthly|fortnightly|biweekly)(?: (.+))?")
_HELP = 'try "in 2 hours", "tomorrow 9am", "2026-12-01 09:00" or "every monday 9am"'
#: the forms offered where a repeat is not taken (a deadline, an event's start ...)
_ONE_TIME_HELP = 'try "in 2 hours", "tomorrow 9am" or "2026-12-01 09:00"'
_NOT_A_REPEAT = 'must be one time, not a repeat; e.g. "friday 5pm"'


def _refuse(rule: str = _HELP) -> ValidationError:
    return ValidationError("when", rule)


def _local(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time in tz (fold=0: gaps move forward, overlaps earlier)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class Recurrence:
    """A repeat at a wall-clock time: every day, every weekday (Mon–Fri) or one day a week."""

    kind: str
    hour: int
    minute: int
    weekday: int | None = None

    def __post_init__(self) -> None:
        weekdays = range(7) if self.kind == "weekly" else (None,)
        if (
            self.kind not in _KINDS
            or self.hour not in range(24)
            or self.minute not in range(60)
            or self.weekday not in weekdays
        ):
            raise ValueError(f"not a valid recurrence: {self!r}")

    def _falls_on(self, day: date) -> bool:
        if self.kind == "weekdays":
            return day.weekday() < 5
        return self.kind == "daily" or day.weekday() == self.weekday

    def next_after(self, after: datetime, tz: ZoneInfo) -> datetime:
        """The first occurrence strictly after ``after`` (aware), as aware UTC.

        Computed on the wall clock of ``tz``, so 9:00 stays 9:00 across daylight-saving changes.
        """
        start = after.astimezone(tz).date()
        days = (start + timedelta(days=n) for n in range(8))  # any kind falls within 8 days
        times = (_local(day, self.hour, self.minute, tz) for day in days if self._falls_on(day))
        return next(at for at in times if at > after)

    def describe(self) -> str:
        """Plain words: "every Monday at 9:00", "every day at 8:30", "every weekday at 9:00"."""
        if self.weekday is not None:
            days = _NAMES[self.weekday][0].title()
        else:
            days = "day" if self.kind == "daily" else "weekday"
        return f"every {days} at {self.hour}:{self.minute:02d}"

    def to_text(self) -> str:
        """A compact form to store: "daily:08:30", "weekdays:09:00", "weekly:0:09:00"."""
        day = f"{self.weekday}:" if self.kind == "weekly" else ""
        return f"{self.kind}:{day}{self.hour:02d}:{self.minute:02d}"

    @classmethod
    def from_text(cls, text: str) -> Recurrence:
        """Read back what :meth:`to_text` wrote; raise ValueError for anything else."""
        kind, *rest = text.split(":")
        try:
            weekday = int(rest.pop(0)) if kind == "weekly" else None
            hour, minute = (int(part) for part in rest)
        except (IndexError, ValueError) as exc:
            raise ValueError(f"not a stored recurrence: {text!r}") from exc
        return cls(kind, hour, minute, weekday)


_RULE_PREFIX = "rrule:"


@dataclass(frozen=True)
class RuleRepeat:
    """A repeat of the one repeat grammar (``bot/repeats.py``) at a wall-clock time."""

    repeat: Repeat
    hour: int
    minute: int

    def next_after(self, after: datetime, tz: ZoneInfo, since: datetime) -> datetime:
        """The first occurrence strictly after ``after`` (aware), as aware UTC, counting from
        the occurrence at or before it, ``since`` (a rule that keeps a day or alternates weeks
        keeps them from there). Wall-clock times in ``tz``, as :class:`Recurrence`."""
        day = since.astimezone(tz).date()
        start = datetime(day.year, day.month, day.day, self.hour, self.minute, tzinfo=tz)
        return next(self.repeat.occurrences(start, tz, after=after, limit=1))

    def describe(self, first: datetime | None = None) -> str:
        """Plain words: "the first Monday of each month at 9:00"; ``first`` (in its own
        timezone) names the day a rule such as "every month" keeps."""
        return f"{self.repeat.describe(first)} at {self.hour}:{self.minute:02d}"

    def to_text(self) -> str:
        """The form to store: "rrule:09:00:FREQ=MONTHLY;BYDAY=1MO"."""
        return f"{_RULE_PREFIX}{self.hour:02d}:{self.minute:02d}:{self.repeat.rrule()}"

    @classmethod
    def from_text(cls, text: str) -> RuleRepeat:
        """Read back what :meth:`to_text` wrote; raise ValueError for anything else."""
        match = re.fullmatch(re.escape(_RULE_PREFIX) + r"(\d{2}):(\d{2}):(.+)", text)
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise ValueError(f"not a stored repeat: {text!r}")
        return cls(Repeat.from_rrule(match[3]), int(match[1]), int(match[2]))


def read_recurrence(text: str) -> Recurrence | RuleRepeat:
    """A stored repeat, in either form (see the module's notes); ValueError for anything else."""
    if text.startswith(_RULE_PREFIX):
        return RuleRepeat.from_text(text)
    return Recurrence.from_text(text)


def next_time(stored: str, since: datetime, now: datetime, tz: ZoneInfo) -> datetime:
    """The time after ``since`` (an occurrence, aware) and after ``now`` of a stored repeat."""
    rule = read_recurrence(stored)
    after = max(since, now)
    if isinstance(rule, RuleRepeat):
        return rule.next_after(after, tz, since)
    return rule.next_after(after, tz)


def describe_stored(stored: str, first: datetime | None = None) -> str:
    """A stored repeat in plain words; ``first`` (an occurrence, in its timezone) names the
    day that "every month" keeps."""
    rule = read_recurrence(stored)
    return rule.describe(first) if isinstance(rule, RuleRepeat) else rule.describe()


@dataclass(frozen=True)
class When:
    """The first instant (aware UTC) and, for a repeat, its rule."""

    first: datetime
    recurrence: Recurrence | RuleRepeat | None


def _split_time(text: str) -> tuple[str, tuple[int, int] | None]:
    """Split a trailing time off the text: ("tomorrow", (9, 0)) for "tomorrow at 9am".

    A bare number after a month's name is its day ("dec 25"), not a time."""
    match = _TIME.search(text)
    if not match:
        return text, None
    clock = match["clock"]
    if clock in ("noon", "midnight"):
        return text[: match.start()], (12 if clock == "noon" else 0, 0)
    before = text[: match.start()].rstrip(".").rpartition(" ")[2]
    if not (match["m"] or match["ap"]) and before in _MONTHS:
        return text, None
    hour, minute = int(match["h"]), int(match["m"] or 0)
    if match["ap"]:
        valid = 1 <= hour <= 12
        hour = hour % 12 + (12 if match["ap"] == "p" else 0)
    else:
        valid = match["m"] is not None and hour <= 23
    if not valid or minute > 59:
        raise _refuse(f'"{clock}" is not a time; try 9am, 9:30pm, 17:30 or noon')
    return text[: match.start()], (hour, minute)


def _recurrence(
    day: str, hour: int, minute: int, *, repeats: bool
) -> Recurrence | RuleRepeat | None:
    """The repeat that ``day`` names ("every monday", "daily", "every 2 weeks"), or None when
    it is no repeat. Where ``repeats`` is false, any repeat form is refused as one."""
    match = _REPEAT.fullmatch(day)
    if not match:
        return None
    if not repeats:
        raise _refuse(_NOT_A_REPEAT)
    word, rest = match.groups()
    if (word, rest) in (("every", "day"), ("daily", None)):
        return Recurrence("daily", hour, minute)
    if (word, rest) == ("every", "weekday"):
        return Recurrence("weekdays", hour, minute)
    if word in ("every", "weekly") and rest in _WEEKDAYS:
        return Recurrence("weekly", hour, minute, _WEEKDAYS[rest])
    try:
        return RuleRepeat(parse_repeat(day, "when"), hour, minute)
    except ValidationError as exc:
        unknown = exc.rule.endswith(f"is not a repeat I know; try {FORMS}")
        raise _refuse(_HELP if unknown else exc.rule) from None


def _first_of(rule: RuleRepeat, now: datetime, tz: ZoneInfo) -> datetime:
    """The first occurrence of ``rule``: the first it gives from the next time of its time of
    day (today's if still ahead, else tomorrow's)."""
    today = now.astimezone(tz).date()
    start = next(
        day
        for day in (today, today + timedelta(days=1))
        if _local(day, rule.hour, rule.minute, tz) > now
    )
    return rule.next_after(now, tz, datetime.combine(start, datetime.min.time(), tz))


def _calendar_date(day: str) -> tuple[int | None, int, int] | None:
    """(year or None, month, day) of a date typed as a date ("2026-12-01", "12/1", "Dec 25",
    "25th of December 2027"); None when ``day`` is not written as one."""
    if match := _ISO.fullmatch(day):
        return int(match[1]), int(match[2]), int(match[3])
    if match := _US.fullmatch(day):
        return (int(match[3]) if match[3] else None), int(match[1]), int(match[2])
    for form in (_MONTH_FIRST, _DAY_FIRST):
        if (match := form.fullmatch(day)) and match["mon"] in _MONTHS:
            year = int(match["year"]) if match["year"] else None
            return year, _MONTHS[match["mon"]], int(match["dom"])
    return None


def _days_of_month(dom: int, today: date) -> list[date]:
    """The next two dates falling on day ``dom`` of a month, from this month on, skipping a
    month that has no such day (the 31st skips November)."""
    found: list[date] = []
    year, month = today.year, today.month
    while len(found) < 2:
        with suppress(ValueError):
            found.append(date(year, month, dom))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def _dates(day: str, today: date, hint: str) -> list[date]:
    """The local dates ``day`` may mean, earliest first; "" (a bare time) is today or tomorrow."""
    tomorrow = today + timedelta(days=1)
    if day in ("today", "tonight"):
        return [today]
    if day == "tomorrow":
        return [tomorrow]
    if not day:
        return [today, tomorrow]
    if (match := _WEEKDAY.fullmatch(day)) and match["day"] in _WEEKDAYS:
        ahead = (_WEEKDAYS[match["day"]] - today.weekday()) % 7
        if match["word"] == "next" and not ahead:
            return [today + timedelta(days=7)]  # "next tuesday" on a Tuesday: not today
        return [today + timedelta(days=ahead), today + timedelta(days=ahead + 7)]
    day = day.removeprefix("on ")
    if match := _ORDINAL.fullmatch(day):
        dom = int(match["dom"] or match["bare"])
        if not 1 <= dom <= 31:
            raise _refuse(f'"{day}" is not a day of the month; use the 1st to the 31st')
        return _days_of_month(dom, today)
    found = _calendar_date(day)
    if found is None:
        raise _refuse(hint)
    year, month, dom = found
    try:
        return [date(year or today.year, month, dom)]
    except ValueError:
        raise _refuse(f"{day} is not a date; try 2026-12-01 or 12/1") from None


def _with_year(day: str, today: date, hour: int, minute: int) -> str | None:
    """For a date typed without its year ("12/1", "Dec 1"), the same day and time in the next
    year it falls in, written out in full ("2027-12-01 10:00"); None when ``day`` gives its
    year or is no date."""
    found = _calendar_date(day.removeprefix("on "))
    if found is None or found[0] is not None:
        return None
    _, month, dom = found
    for year in range(today.year + 1, today.year + 5):  # February 29 comes back within 4
        with suppress(ValueError):
            return f"{date(year, month, dom)} {hour:02d}:{minute:02d}"
    return None


def _parse(text: str, now: datetime, tz: ZoneInfo, *, repeats: bool) -> When:
    hint = _HELP if repeats else _ONE_TIME_HELP
    if len(text) > MAX_LENGTH:
        raise _refuse(f"use at most {MAX_LENGTH} characters; {hint}")
    cleaned = " ".join(text.lower().split())
    if not cleaned:
        raise _refuse(hint)
    too_far = _refuse("more than two years ahead")
    try:
        delta = parse_duration(cleaned)  # it drops a leading "in " itself
    except ValueError:
        if cleaned.startswith("in "):
            raise _refuse(hint) from None
    else:
        if not delta:
            raise _refuse('give a time in the future, such as "in 2 hours"')
        if delta > MAX_AHEAD:
            raise too_far
        return When(now + delta, None)
    day, clock = _split_time(cleaned)
    hour, minute = clock or ((20, 0) if day == "tonight" else (9, 0))
    recurrence = _recurrence(day, hour, minute, repeats=repeats)
    if isinstance(recurrence, RuleRepeat):
        first = _first_of(recurrence, now, tz)
    elif recurrence:
        first = recurrence.next_after(now, tz)
    else:
        today = now.astimezone(tz).date()
        days = [d for d in _dates(day, today, hint) if d >= today]
        if any(d - today > MAX_AHEAD for d in days):
            raise too_far
        times = (_local(d, hour, minute, tz) for d in days)
        found = next((at for at in times if at > now), None)
        if found is None:
            dated = _with_year(day, today, hour, minute)
            if dated:
                raise _refuse(f'{cleaned} has passed this year; give the year, e.g. "{dated}"')
            raise _refuse(f"{cleaned} has already passed")
        first = found
    if first - now > MAX_AHEAD:
        raise too_far
    return When(first, recurrence)


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> When:
    """Turn the ``when:`` text into its first instant (aware UTC) and optional repeat.

    ``now`` is the bot's clock (aware UTC); wall-clock forms are read in ``tz``. Raises
    ``ValidationError("when", rule)`` with a plain rule for anything it cannot take.
    """
    return _parse(text, now, tz, repeats=True)


def parse_moment(text: str, option: str, now: datetime, tz: ZoneInfo) -> datetime:
    """A one-time ``when`` form as an instant (aware UTC), read in ``tz``; a repeat is refused,
    and an unreadable text is answered with the one-time forms only.

    Errors name ``option`` (``deadline``, ``closes``, ``start`` …) rather than ``when``."""
    try:
        return _parse(text, now, tz, repeats=False).first
    except ValidationError as exc:
        raise ValidationError(option, exc.rule) from None

"""The one repeat grammar: "every 2 weeks", "every 2nd tuesday", "every month on the 15th".

A :class:`Repeat` is the rule alone, with no time of day and no start: the start (an event's,
a reminder's) gives the wall-clock time and the first date. It is pure (no database) and reads:

- ``every day``, ``daily``, ``every 3 days``;
- ``every week``, ``weekly`` (on the first occurrence's weekday), ``every 2 weeks``,
  ``every other week``, ``fortnightly`` (alternate weeks);
- ``every monday``, ``every monday and thursday``, ``every weekday`` (Monday to Friday),
  ``every 2 tuesdays`` (alternate Tuesdays);
- ``every 2nd tuesday``, ``every second tuesday``, ``every first monday``, ``every last friday``
  (that weekday of each month; "of the month" may follow);
- ``every month``, ``monthly`` (on the first occurrence's day), ``every month on the 15th``,
  ``every 15th``, ``every month on the last day``, ``every 3 months``.

A month without the day a rule asks for (the 31st, a 5th Tuesday, February 30) is skipped, as
RFC 5545's RRULE does. :meth:`Repeat.rrule` writes the RRULE value (``FREQ=MONTHLY;BYDAY=2TU``)
and :meth:`Repeat.from_rrule` reads it back.

:meth:`Repeat.occurrences` keeps the first start's wall-clock time in the given timezone across
daylight-saving changes, with the rules of ``bot/when.py`` (PEP 495 ``fold=0``): a time in the
spring-forward gap moves forward by the gap; a time in the fall-back overlap is the earlier
instant.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil import rrule as du

from bot.errors import ValidationError

DAILY, WEEKLY, MONTHLY = "DAILY", "WEEKLY", "MONTHLY"
MAX_LENGTH = 100
#: the largest interval taken for each frequency: a year of days, weeks or months
MAX_INTERVAL = {DAILY: 366, WEEKLY: 52, MONTHLY: 12}
FORMS = (
    '"every week", "every 2 weeks", "every monday", "every weekday", "every 2nd tuesday", '
    '"every last friday", "every month", "every month on the 15th" or "every day"'
)
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_ALIASES = (
    ("monday", "mon", "mondays"),
    ("tuesday", "tue", "tues", "tuesdays"),
    ("wednesday", "wed", "wednesdays"),
    ("thursday", "thu", "thur", "thurs", "thursdays"),
    ("friday", "fri", "fridays"),
    ("saturday", "sat", "saturdays"),
    ("sunday", "sun", "sundays"),
)
_WEEKDAYS = {name: number for number, names in enumerate(_ALIASES) for name in names}
_ORDINAL_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1}
_ORDINAL = r"(?P<ord>first|second|third|fourth|fifth|last|\d{1,2}(?:st|nd|rd|th))"
_NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "other": 2}
_UNITS = {"day": DAILY, "days": DAILY, "week": WEEKLY, "weeks": WEEKLY}
_UNITS |= {"month": MONTHLY, "months": MONTHLY}
_SINGLE = {"daily": DAILY, "weekly": WEEKLY, "monthly": MONTHLY, "fortnightly": WEEKLY}
_OF_MONTH = r"(?: (?:of|in) (?:the|each|every) month)?"
_NTH_WEEKDAY = re.compile(rf"(?:every|monthly on the|each) {_ORDINAL} (?P<day>[a-z]+){_OF_MONTH}")
_MONTHDAY = re.compile(
    rf"(?:(?:every|each) month (?:on )?(?:the )?|monthly (?:on )?(?:the )?|every (?:the )?)"
    rf"{_ORDINAL}(?: day)?{_OF_MONTH}"
)
_EVERY_N = re.compile(r"every (?P<n>\d{1,3}|two|three|four|other) (?P<unit>[a-z]+)")


def _ordinal(text: str) -> int:
    return _ORDINAL_WORDS.get(text) or int(text[:-2])


def _suffix(number: int) -> str:
    if number % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")


@dataclass(frozen=True)
class Repeat:
    """A repeat rule: ``freq`` DAILY, WEEKLY or MONTHLY every ``interval``; ``weekdays``
    (0 is Monday) for the days of a week; ``nth`` (1 to 5, or -1 for the last) with one
    weekday for that weekday of each month; ``monthday`` (1 to 31, or -1 for the last day)
    for that day of each month. Without days, the first occurrence's weekday or day is kept.
    """

    freq: str
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    nth: int | None = None
    monthday: int | None = None

    def __post_init__(self) -> None:
        problems = (
            self.freq not in MAX_INTERVAL,
            not 1 <= self.interval <= MAX_INTERVAL.get(self.freq, 0),
            any(day not in range(7) for day in self.weekdays),
            list(self.weekdays) != sorted(set(self.weekdays)),
            self.nth not in (None, -1, 1, 2, 3, 4, 5),
            (self.nth is not None) != (self.freq == MONTHLY and len(self.weekdays) == 1),
            self.monthday is not None
            and (self.freq != MONTHLY or self.monthday not in (-1, *range(1, 32))),
            self.freq == DAILY and bool(self.weekdays),
            self.nth is not None and self.monthday is not None,
        )
        if any(problems):
            raise ValueError(f"not a valid repeat: {self!r}")

    def rrule(self) -> str:
        """The RFC 5545 RRULE value, e.g. ``FREQ=MONTHLY;BYDAY=2TU``."""
        parts = [f"FREQ={self.freq}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.weekdays:
            prefix = str(self.nth) if self.nth is not None else ""
            parts.append("BYDAY=" + ",".join(prefix + _CODES[day] for day in self.weekdays))
        if self.monthday is not None:
            parts.append(f"BYMONTHDAY={self.monthday}")
        return ";".join(parts)

    @classmethod
    def from_rrule(cls, value: str) -> Repeat:
        """Read back an RRULE value that :meth:`rrule` wrote; ValueError for anything else."""
        try:
            fields = dict(part.split("=", 1) for part in value.strip().upper().split(";"))
            known = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY"}
            if not fields.keys() <= known:
                raise ValueError(value)
            nth = None
            weekdays = []
            for code in filter(None, fields.get("BYDAY", "").split(",")):
                prefix, day = code[:-2], code[-2:]
                if prefix:
                    nth = int(prefix)
                weekdays.append(_CODES.index(day))
            monthday = fields.get("BYMONTHDAY")
            return cls(
                freq=fields["FREQ"],
                interval=int(fields.get("INTERVAL", 1)),
                weekdays=tuple(weekdays),
                nth=nth,
                monthday=int(monthday) if monthday else None,
            )
        except (KeyError, ValueError, IndexError) as exc:
            raise ValueError(f"not a stored repeat rule: {value!r}") from exc

    def describe(self, first: datetime | None = None) -> str:
        """Plain words: "every 2 weeks on Tuesday", "the second Tuesday of each month".

        ``first`` (the first occurrence, in its own timezone) names the day kept by a rule
        that gives none ("every week" is "every week on Tuesday")."""
        every = {DAILY: "day", WEEKLY: "week", MONTHLY: "month"}[self.freq]
        if self.interval == 2 and self.freq == WEEKLY:
            every = "2 weeks"
        elif self.interval > 1:
            every = f"{self.interval} {every}s"
        if self.nth is not None:
            ordinal = {-1: "last", 1: "first", 2: "second", 3: "third", 4: "fourth"}
            which = ordinal.get(self.nth, "fifth")
            each = "each month" if self.interval == 1 else f"every {every}"
            return f"the {which} {_DAY_NAMES[self.weekdays[0]]} of {each}"
        if self.freq == WEEKLY:
            days = self.weekdays or ((first.weekday(),) if first else ())
            if days == (0, 1, 2, 3, 4) and self.interval == 1:
                return "every weekday (Monday to Friday)"
            if days:
                names = [_DAY_NAMES[day] for day in days]
                listed = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
                return f"every {every} on {listed}"
        if self.freq == MONTHLY:
            day = self.monthday if self.monthday is not None else (first.day if first else None)
            if day == -1:
                return f"every {every} on the last day"
            if day is not None:
                return f"every {every} on the {day}{_suffix(day)}"
        return f"every {every}"

    def _rule(self, first: datetime) -> du.rrule:
        """The dateutil rule over naive wall-clock times from ``first`` (naive)."""
        days = None
        if self.weekdays:
            day_objects = [du.weekday(day) for day in self.weekdays]
            days = [d(self.nth) for d in day_objects] if self.nth is not None else day_objects
        freq = {DAILY: du.DAILY, WEEKLY: du.WEEKLY, MONTHLY: du.MONTHLY}[self.freq]
        return du.rrule(
            freq,
            dtstart=first,
            interval=self.interval,
            byweekday=days,
            bymonthday=self.monthday,
            wkst=du.MO,
        )

    def occurrences(
        self,
        first_start: datetime,
        tz: ZoneInfo,
        *,
        until: datetime | None = None,
        count: int | None = None,
        after: datetime | None = None,
        limit: int | None = None,
    ) -> Iterator[datetime]:
        """The occurrences as aware UTC instants, in order, at ``first_start``'s wall-clock
        time in ``tz``: from ``first_start`` (the first on or after it that the rule gives),
        none later than ``until`` (an aware instant), at most ``count`` in all (counted from
        the first), only those strictly after ``after``, and at most ``limit`` of those."""
        local = first_start.astimezone(tz).replace(tzinfo=None, fold=0)
        numbered = enumerate(self._rule(local))
        if count is not None:
            numbered = islice(numbered, count)
        found = (wall.replace(tzinfo=tz).astimezone(UTC) for _, wall in numbered)
        kept = _kept(found, until, after)
        yield from islice(kept, limit) if limit is not None else kept


def _kept(
    found: Iterator[datetime], until: datetime | None, after: datetime | None
) -> Iterator[datetime]:
    for at in found:
        if until is not None and at > until:
            return
        if after is None or at > after:
            yield at


def _number(text: str) -> int:
    return _NUMBER_WORDS.get(text) or int(text)


def _days(text: str) -> tuple[int, ...] | None:
    """Weekday names joined by commas or "and" ("monday and thursday"); None if not that."""
    if text in ("weekday", "weekdays"):
        return (0, 1, 2, 3, 4)
    names = [name for name in re.split(r",\s*|\s+and\s+|\s*&\s*|\s+", text) if name]
    if not names or any(name not in _WEEKDAYS for name in names):
        return None
    return tuple(sorted({_WEEKDAYS[name] for name in names}))


def _read(text: str) -> Repeat | None:
    """The repeat ``text`` (lower case, single spaces) names, or None."""
    if text in _SINGLE:
        return Repeat(_SINGLE[text], 2 if text == "fortnightly" else 1)
    if text.startswith("every ") and text[6:] in _UNITS:
        return Repeat(_UNITS[text[6:]])
    if match := _NTH_WEEKDAY.fullmatch(text):
        if match["day"] in _WEEKDAYS:
            nth = _ordinal(match["ord"])
            return Repeat(MONTHLY, weekdays=(_WEEKDAYS[match["day"]],), nth=nth)
    if (match := _MONTHDAY.fullmatch(text)) and text != "every last":
        return Repeat(MONTHLY, monthday=_ordinal(match["ord"]))
    if text.startswith(("every ", "weekly on ", "each ")):
        days = _days(text.split(" ", 1)[1].removeprefix("on ").strip())
        if days:
            return Repeat(WEEKLY, weekdays=days)
    if match := _EVERY_N.fullmatch(text):
        number, unit = _number(match["n"]), match["unit"]
        if unit in _UNITS:
            return Repeat(_UNITS[unit], number)
        days = _days(unit)
        if days and len(days) == 1:
            return Repeat(WEEKLY, number, weekdays=days)
    return None


def parse_repeat(text: str, option: str = "repeat") -> Repeat:
    """Read a repeat as people type it ("every 2nd tuesday"); refusals are a
    ``ValidationError`` naming ``option`` and the accepted forms."""
    if len(text) > MAX_LENGTH:
        raise ValidationError(option, f"use at most {MAX_LENGTH} characters; try {FORMS}")
    cleaned = " ".join(text.lower().replace(",", ", ").split()).removesuffix(".")
    if cleaned == "biweekly":
        raise ValidationError(
            option, 'biweekly can mean twice a week or every 2 weeks; write "every 2 weeks"'
        )
    match = re.fullmatch(r"every (\d+) (day|week|month)s?", cleaned)
    if match:
        number, unit = int(match[1]), _UNITS[match[2]]
        if not 1 <= number <= MAX_INTERVAL[unit]:
            rule = f"repeats every 1 to {MAX_INTERVAL[unit]} {match[2]}s"
            raise ValidationError(option, rule)
    if (match := re.search(rf"\b{_ORDINAL}\b", cleaned)) and match["ord"][0].isdigit():
        if not 1 <= _ordinal(match["ord"]) <= 31:
            raise ValidationError(option, f"{match['ord']} is not a day of a month")
    nth = _NTH_WEEKDAY.fullmatch(cleaned)
    if nth and nth["day"] in _WEEKDAYS and _ordinal(nth["ord"]) > 5:
        rule = f'a month has at most 5 {nth["day"]}s; try "every 2nd {nth["day"]}" or "every last"'
        raise ValidationError(option, rule)
    try:
        found = _read(cleaned)
    except ValueError:
        found = None
    if found is None:
        raise ValidationError(option, f"{text.strip()!r} is not a repeat I know; try {FORMS}")
    return found

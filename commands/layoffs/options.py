"""The options of /layoff: the kinds of report, the number of workers, dates typed with or
without their year, the report's reference, and the options of /layoff report."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from bot.errors import ValidationError
from bot.options import Choice, Option, Ref, Text, TextList, Url, UsState, YesNo, normalise_choice
from bot.vocabulary import CLASSIFICATIONS, LAYOFF_KINDS, LIBRARY_TYPES

KINDS = LAYOFF_KINDS


@dataclass(frozen=True)
class Workers(Option):
    """Workers affected: a whole number from 1 to 100,000 (``1,200`` is fine) or ``unknown``,
    which is stored like an answer not given."""

    max_length: int = 20

    def convert(self, text: str) -> int | None:
        if normalise_choice(text) in ("unknown", "not-sure", "?"):
            return None
        if re.fullmatch(r"[0-9]{1,6}|[0-9]{1,3}(,[0-9]{3})+", text):
            value = int(text.replace(",", ""))
            if 1 <= value <= 100_000:
                return value
        raise self.error("must be a whole number from 1 to 100,000, or unknown")


@dataclass(frozen=True)
class MonthDay:
    """A date typed without its year (``12/1``); the year is chosen when the command runs."""

    month: int
    day: int


@dataclass(frozen=True)
class Day(Option):
    """A date: ``2026-12-01``, ``12/1/2026`` or ``12/1``."""

    max_length: int = 20

    def convert(self, text: str) -> date | MonthDay:
        iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text, re.ASCII)
        us = re.fullmatch(r"(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?", text, re.ASCII)
        if iso:
            year, month, day = (int(g) for g in iso.groups())
        elif us:
            month, day = int(us[1]), int(us[2])
            year = 0 if us[3] is None else int(us[3]) + (2000 if len(us[3]) == 2 else 0)
        else:
            raise self.error("must be a date such as 2026-12-01, 12/1/2026 or 12/1")
        if year == 0:
            if 1 <= month <= 12 and 1 <= day <= calendar.monthrange(2000, month)[1]:
                return MonthDay(month, day)
            raise self.error(f"{text} is not a real date")
        if not 1900 <= year <= 2100:
            raise self.error("must be a date between the years 1900 and 2100")
        try:
            return date(year, month, day)
        except ValueError:
            raise self.error(f"{text} is not a real date") from None


def on_date(value: date | MonthDay | None, today: date, field: str, *, past: bool) -> date | None:
    """A typed date as a date: a month and day take the nearest year (with ``past``, the
    latest such date not after today)."""
    if not isinstance(value, MonthDay):
        return value
    years = (today.year - 1, today.year, today.year + 1)
    candidates = [
        date(y, value.month, value.day)
        for y in years
        if value.day <= calendar.monthrange(y, value.month)[1]
    ]
    if past:
        candidates = [d for d in candidates if d <= today]
    if not candidates:
        raise ValidationError(field, f"{value.month}/{value.day} needs its year, e.g. 2/29/2028")
    return min(candidates, key=lambda d: (abs((d - today).days), d))


ID = Ref("id", required=True, prefix="L", help="the report, e.g. L-42")

REPORT_OPTIONS = [
    Text("employer", required=True, help="library or library system"),
    UsState("state", help="US state, e.g. IL"),
    Text("city", max_length=100, help="city"),
    Choice("kind", values=KINDS, help="what happened (default layoff)"),
    Workers("workers", help="workers affected: a number, or unknown"),
    Day("effective_date", help="when it takes effect: 2026-12-01, 12/1/2026 or 12/1"),
    Choice("library_type", values=LIBRARY_TYPES, forgiving=True, help="library type"),
    TextList(
        "classifications",
        allowed=CLASSIFICATIONS,
        forgiving=True,
        help="classifications affected",
    ),
    Choice("schedule", values=("full-time", "part-time", "both"), help="full- or part-time"),
    Choice("union", values=("yes", "no", "unknown"), help="union-represented?"),
    Url("source", help="a news story or notice, http(s)://…"),
    Text("details", max_length=2000, long=True, help="anything else (up to 2,000 characters)"),
    YesNo("anonymous", help="leave your name off (default yes)"),
    YesNo("ok_to_contact", help="organizers may contact you (named reports only)"),
]

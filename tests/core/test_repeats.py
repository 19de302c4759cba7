"""The repeat grammar: every form, RRULE both ways, words, and occurrences across daylight-saving
changes (America/Chicago, Europe/London), short months, 5th weekdays, count and until."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import ValidationError
from bot.repeats import DAILY, MONTHLY, WEEKLY, Repeat, parse_repeat

CHICAGO = ZoneInfo("America/Chicago")
LONDON = ZoneInfo("Europe/London")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local(tz: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=tz)


@pytest.mark.parametrize(
    ("text", "expected", "rrule"),
    [
        ("every week", Repeat(WEEKLY), "FREQ=WEEKLY"),
        ("Weekly", Repeat(WEEKLY), "FREQ=WEEKLY"),
        ("every 2 weeks", Repeat(WEEKLY, 2), "FREQ=WEEKLY;INTERVAL=2"),
        ("every other week", Repeat(WEEKLY, 2), "FREQ=WEEKLY;INTERVAL=2"),
        ("fortnightly", Repeat(WEEKLY, 2), "FREQ=WEEKLY;INTERVAL=2"),
        ("every 2nd tuesday", Repeat(MONTHLY, weekdays=(1,), nth=2), "FREQ=MONTHLY;BYDAY=2TU"),
        ("every second Tuesday", Repeat(MONTHLY, weekdays=(1,), nth=2), "FREQ=MONTHLY;BYDAY=2TU"),
        ("every first monday", Repeat(MONTHLY, weekdays=(0,), nth=1), "FREQ=MONTHLY;BYDAY=1MO"),
        ("every last friday", Repeat(MONTHLY, weekdays=(4,), nth=-1), "FREQ=MONTHLY;BYDAY=-1FR"),
        (
            "every last friday of the month",
            Repeat(MONTHLY, weekdays=(4,), nth=-1),
            "FREQ=MONTHLY;BYDAY=-1FR",
        ),
        ("every 5th thursday", Repeat(MONTHLY, weekdays=(3,), nth=5), "FREQ=MONTHLY;BYDAY=5TH"),
        ("every month on the 15th", Repeat(MONTHLY, monthday=15), "FREQ=MONTHLY;BYMONTHDAY=15"),
        ("monthly on the 31st", Repeat(MONTHLY, monthday=31), "FREQ=MONTHLY;BYMONTHDAY=31"),
        ("every 15th", Repeat(MONTHLY, monthday=15), "FREQ=MONTHLY;BYMONTHDAY=15"),
        ("every month on the last day", Repeat(MONTHLY, monthday=-1), "FREQ=MONTHLY;BYMONTHDAY=-1"),
        ("every month", Repeat(MONTHLY), "FREQ=MONTHLY"),
        ("monthly", Repeat(MONTHLY), "FREQ=MONTHLY"),
        ("every 3 months", Repeat(MONTHLY, 3), "FREQ=MONTHLY;INTERVAL=3"),
        ("every day", Repeat(DAILY), "FREQ=DAILY"),
        ("  daily ", Repeat(DAILY), "FREQ=DAILY"),
        ("every 3 days", Repeat(DAILY, 3), "FREQ=DAILY;INTERVAL=3"),
        ("every monday", Repeat(WEEKLY, weekdays=(0,)), "FREQ=WEEKLY;BYDAY=MO"),
        ("every Mon and Thu", Repeat(WEEKLY, weekdays=(0, 3)), "FREQ=WEEKLY;BYDAY=MO,TH"),
        ("every 2 tuesdays", Repeat(WEEKLY, 2, weekdays=(1,)), "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"),
        (
            "every weekday",
            Repeat(WEEKLY, weekdays=(0, 1, 2, 3, 4)),
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        ),
    ],
)
def test_forms_and_their_rrule(text: str, expected: Repeat, rrule: str) -> None:
    repeat = parse_repeat(text)
    assert repeat == expected
    assert repeat.rrule() == rrule
    assert Repeat.from_rrule(rrule) == repeat


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("every week", "every week on Tuesday"),
        ("every 2 weeks", "every 2 weeks on Tuesday"),
        ("every 2nd tuesday", "the second Tuesday of each month"),
        ("every last friday", "the last Friday of each month"),
        ("every month", "every month on the 8th"),
        ("every month on the 22nd", "every month on the 22nd"),
        ("every month on the last day", "every month on the last day"),
        ("every weekday", "every weekday (Monday to Friday)"),
        ("every monday and thursday", "every week on Monday and Thursday"),
        ("every day", "every day"),
        ("every 3 months", "every 3 months on the 8th"),
    ],
)
def test_describe_in_plain_words(text: str, words: str) -> None:
    first = local(CHICAGO, 2026, 12, 8, 19)  # a Tuesday
    assert parse_repeat(text).describe(first) == words


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("sometimes", "every 2nd tuesday"),
        ("the 15th", "every month on the 15th"),
        ("every 6th tuesday", "at most 5 tuesdays"),
        ("every 32nd", "32nd is not a day of a month"),
        ("every 60 weeks", "every 1 to 52 weeks"),
        ("every 0 days", "every 1 to 366 days"),
        ("every 13 months", "every 1 to 12 months"),
        ("biweekly", 'write "every 2 weeks"'),
        ("every funday", "is not a repeat I know"),
        ("x" * 101, "at most 100 characters"),
    ],
)
def test_refusals_name_the_option_and_the_forms(text: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_repeat(text, "every")
    assert err.value.field == "every"
    assert fragment in err.value.rule


@pytest.mark.parametrize("value", ["FREQ=YEARLY", "FREQ=WEEKLY;COUNT=3", "BYDAY=MO", "nonsense"])
def test_from_rrule_refuses_what_it_did_not_write(value: str) -> None:
    with pytest.raises(ValueError):
        Repeat.from_rrule(value)


def test_weekly_keeps_wall_clock_across_both_chicago_changes() -> None:
    first = local(CHICAGO, 2026, 2, 24, 19)  # Tuesday 7pm CST
    found = list(parse_repeat("every 2 weeks").occurrences(first, CHICAGO, count=20))
    assert found[0] == utc(2026, 2, 25, 1)
    assert utc(2026, 3, 11, 0) in found  # 7pm CDT after the March change
    assert {at.astimezone(CHICAGO).hour for at in found} == {19}
    assert len({at.astimezone(CHICAGO).weekday() for at in found}) == 1
    offsets = {at.astimezone(CHICAGO).utcoffset().total_seconds() / 3600 for at in found}
    assert offsets == {-6, -5}  # the run crosses spring forward and fall back


def test_london_keeps_wall_clock_across_both_changes() -> None:
    first = local(LONDON, 2026, 3, 1, 18, 30)
    found = list(parse_repeat("every month").occurrences(first, LONDON, count=12))
    assert found[:2] == [utc(2026, 3, 1, 18, 30), utc(2026, 4, 1, 17, 30)]  # GMT, then BST
    assert found[-1] == utc(2027, 2, 1, 18, 30)
    assert all(at.astimezone(LONDON).time().isoformat() == "18:30:00" for at in found)


def test_spring_forward_gap_moves_forward_and_fall_back_takes_the_earlier() -> None:
    first = local(CHICAGO, 2026, 3, 7, 2, 30)
    found = list(parse_repeat("every day").occurrences(first, CHICAGO, count=3))
    # 2:30 does not exist on 2026-03-08: 3:30 CDT, as bot/when.py reads it
    assert found == [utc(2026, 3, 7, 8, 30), utc(2026, 3, 8, 8, 30), utc(2026, 3, 9, 7, 30)]
    first = local(CHICAGO, 2026, 10, 31, 1, 30)
    found = list(parse_repeat("every day").occurrences(first, CHICAGO, count=3))
    # 1:30 happens twice on 2026-11-01: the first, CDT
    assert found == [utc(2026, 10, 31, 6, 30), utc(2026, 11, 1, 6, 30), utc(2026, 11, 2, 7, 30)]


def test_months_without_the_day_are_skipped() -> None:
    first = local(CHICAGO, 2027, 1, 31, 18)
    days = [
        at.astimezone(CHICAGO).date().isoformat()
        for at in parse_repeat("every month").occurrences(first, CHICAGO, count=4)
    ]
    assert days == ["2027-01-31", "2027-03-31", "2027-05-31", "2027-07-31"]
    first = local(CHICAGO, 2027, 1, 1, 18)
    days = [
        at.astimezone(CHICAGO).date().isoformat()
        for at in parse_repeat("every month on the 29th").occurrences(first, CHICAGO, count=3)
    ]
    assert days == ["2027-01-29", "2027-03-29", "2027-04-29"]  # 2027 has no February 29
    first = local(CHICAGO, 2028, 1, 1, 18)
    days = [
        at.astimezone(CHICAGO).date().isoformat()
        for at in parse_repeat("every month on the 30th").occurrences(first, CHICAGO, count=2)
    ]
    assert days == ["2028-01-30", "2028-03-30"]  # February 30 never comes
    leap = list(parse_repeat("every month on the 29th").occurrences(first, CHICAGO, count=2))
    assert leap[1].astimezone(CHICAGO).date().isoformat() == "2028-02-29"


def test_fifth_weekday_only_in_months_that_have_one() -> None:
    first = local(CHICAGO, 2026, 1, 1, 12)
    days = [
        at.astimezone(CHICAGO).date().isoformat()
        for at in parse_repeat("every 5th friday").occurrences(first, CHICAGO, count=4)
    ]
    assert days == ["2026-01-30", "2026-05-29", "2026-07-31", "2026-10-30"]
    last = [
        at.astimezone(CHICAGO).date().isoformat()
        for at in parse_repeat("every last friday").occurrences(first, CHICAGO, count=3)
    ]
    assert last == ["2026-01-30", "2026-02-27", "2026-03-27"]


def test_first_occurrence_is_the_first_the_rule_gives_on_or_after_the_start() -> None:
    first = local(CHICAGO, 2026, 12, 3, 19)  # a Thursday
    found = list(parse_repeat("every 2nd tuesday").occurrences(first, CHICAGO, limit=2))
    assert found == [utc(2026, 12, 9, 1), utc(2027, 1, 13, 1)]  # Dec 8 and Jan 12, 7pm CST


def test_count_until_after_and_limit() -> None:
    first = local(CHICAGO, 2026, 12, 1, 9)
    repeat = parse_repeat("every week")
    assert len(list(repeat.occurrences(first, CHICAGO, count=5))) == 5
    until = utc(2026, 12, 22, 15)  # the 22nd's 9:00 CST exactly: included
    found = list(repeat.occurrences(first, CHICAGO, until=until))
    assert [at.day for at in found] == [1, 8, 15, 22]
    later = list(repeat.occurrences(first, CHICAGO, count=5, after=utc(2026, 12, 8, 15)))
    assert [at.day for at in later] == [15, 22, 29]  # count runs from the first, after is strict
    assert [at.day for at in repeat.occurrences(first, CHICAGO, limit=2)] == [1, 8]
    assert list(repeat.occurrences(first, CHICAGO, until=utc(2026, 11, 1))) == []


@given(
    text=st.sampled_from(
        [
            "every week",
            "every 2 weeks",
            "every 2nd tuesday",
            "every month on the 31st",
            "every last friday",
            "every weekday",
            "every month",
            "every 3 days",
        ]
    ),
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)),
    zone=st.sampled_from(["America/Chicago", "Europe/London", "Australia/Sydney"]),
)
def test_occurrences_match_rfc5545_expansion(text: str, start: datetime, zone: str) -> None:
    """Our instants are what any calendar expanding the RRULE in the zone shows."""
    tz = ZoneInfo(zone)
    first = start.replace(second=0, microsecond=0, tzinfo=tz)
    repeat = parse_repeat(text)
    ours = list(repeat.occurrences(first, tz, count=15))
    naive = first.replace(tzinfo=None)
    theirs = list(rrulestr(f"RRULE:{repeat.rrule()};COUNT=15", dtstart=naive))
    assert ours == [wall.replace(tzinfo=tz).astimezone(UTC) for wall in theirs]
    assert all(at.tzinfo is UTC for at in ours)

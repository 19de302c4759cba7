"""Dates as people say them: month names, "the 3rd", the year rule and the DST rules for them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import ValidationError
from bot.when import (
    Recurrence,
    RuleRepeat,
    describe_stored,
    next_time,
    parse_moment,
    parse_when,
    read_recurrence,
)
from tests.core.test_when import CHICAGO, NOWS, ZONES, check_outcome

# Thursday 2026-12-03, 10:00 CST (UTC-6)
THURSDAY = datetime(2026, 12, 3, 16, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    """An aware UTC datetime, for short expected values."""
    return datetime(*parts, tzinfo=UTC)


def first(text: str, now: datetime = THURSDAY) -> datetime:
    """The first instant of ``text`` in Chicago."""
    return parse_when(text, now, CHICAGO).first


def refusal(text: str, now: datetime = THURSDAY) -> str:
    """The rule of the refusal of ``text`` on the ``when`` field."""
    with pytest.raises(ValidationError) as err:
        parse_when(text, now, CHICAGO)
    assert err.value.field == "when"
    return err.value.rule


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dec 25 9am", utc(2026, 12, 25, 15)),
        ("December 25 at 9am", utc(2026, 12, 25, 15)),
        ("25 Dec 9:30", utc(2026, 12, 25, 15, 30)),
        ("Dec 25", utc(2026, 12, 25, 15)),  # a day without a time is 9:00
        ("dec. 25, 5pm", utc(2026, 12, 25, 23)),
        ("on Dec 25th at noon", utc(2026, 12, 25, 18)),
        ("the 25th of December", utc(2026, 12, 25, 15)),
        ("25 december 2027 9am", utc(2027, 12, 25, 15)),
        ("Dec 3 5pm", utc(2026, 12, 3, 23)),  # today, still ahead
        ("the 15th", utc(2026, 12, 15, 15)),
        ("the 3rd at noon", utc(2026, 12, 3, 18)),  # this month's 3rd, noon still ahead
        ("the 3rd at 9am", utc(2027, 1, 3, 15)),  # this month's 9:00 has passed: January's
        ("on the 1st", utc(2027, 1, 1, 15)),
        ("15th at 5pm", utc(2026, 12, 15, 23)),
        ("the 31st", utc(2026, 12, 31, 15)),
    ],
)
def test_date_phrases(text: str, expected: datetime) -> None:
    assert first(text) == expected


def test_the_nth_skips_a_month_without_that_day() -> None:
    november_1st = utc(2026, 11, 1, 20)
    assert first("the 31st", november_1st) == utc(2026, 12, 31, 15)  # November has no 31st
    january_31st_evening = utc(2027, 2, 1, 3)  # 21:00 CST on January 31st
    assert first("the 30th", january_31st_evening) == utc(2027, 3, 30, 14)  # no February 30th


def test_a_month_name_date_that_has_passed_asks_for_the_year() -> None:
    assert refusal("Dec 1 10am") == (
        'dec 1 10am has passed this year; give the year, e.g. "2027-12-01 10:00"'
    )
    assert refusal("Jan 4") == 'jan 4 has passed this year; give the year, e.g. "2027-01-04 09:00"'
    assert refusal("3 December 8am") == (
        '3 december 8am has passed this year; give the year, e.g. "2027-12-03 08:00"'
    )
    assert refusal("Feb 29 9am", utc(2028, 3, 1, 16)) == (
        'feb 29 9am has passed this year; give the year, e.g. "2032-02-29 09:00"'
    )


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Feb 30", "feb 30 is not a date; try 2026-12-01 or 12/1"),
        ("the 32nd", '"the 32nd" is not a day of the month; use the 1st to the 31st'),
        ("the 0th", '"the 0th" is not a day of the month; use the 1st to the 31st'),
        ("Dec 25 9", '"9" is not a time; try 9am, 9:30pm, 17:30 or noon'),
        ("Dec 25 13pm", '"13pm" is not a time; try 9am, 9:30pm, 17:30 or noon'),
        (
            "Smarch 25 9am",
            'try "in 2 hours", "tomorrow 9am", "2026-12-01 09:00" or "every monday 9am"',
        ),
        ("a", 'try "in 2 hours", "tomorrow 9am", "2026-12-01 09:00" or "every monday 9am"'),
        ("may", 'try "in 2 hours", "tomorrow 9am", "2026-12-01 09:00" or "every monday 9am"'),
        ("Dec 25 2029", "more than two years ahead"),
    ],
)
def test_phrase_refusals(text: str, rule: str) -> None:
    assert refusal(text) == rule


def test_spring_forward_gap_in_a_phrase_moves_forward() -> None:
    at = first("March 14 2027 2:30am")
    local = at.astimezone(CHICAGO)
    assert (at, local.hour, local.tzname()) == (utc(2027, 3, 14, 8, 30), 3, "CDT")


def test_fall_back_overlap_in_a_phrase_takes_the_first_instant() -> None:
    at = first("Nov 1 1:30am", utc(2026, 10, 25))
    assert at == utc(2026, 11, 1, 6, 30)
    assert at.astimezone(CHICAGO).tzname() == "CDT"


def test_the_nth_across_a_dst_change_keeps_wall_clock() -> None:
    # asked in October (CDT, UTC-5) for the 3rd: November 3rd is after fall back (CST, UTC-6)
    assert first("the 3rd at 9am", utc(2026, 10, 20, 14)) == utc(2026, 11, 3, 15)


@pytest.mark.parametrize("field", ["deadline", "closes", "start", "rsvp_by"])
def test_every_time_option_takes_phrases(field: str) -> None:
    assert parse_moment("Dec 25 9am", field, THURSDAY, CHICAGO) == utc(2026, 12, 25, 15)
    assert parse_moment("the 15th at noon", field, THURSDAY, CHICAGO) == utc(2026, 12, 15, 18)
    with pytest.raises(ValidationError) as err:
        parse_moment("Dec 1 9am", field, THURSDAY, CHICAGO)
    assert err.value.field == field
    assert "give the year" in err.value.rule


PHRASE_WORDS = st.sampled_from(
    [
        "dec", "december", "may", "25", "3rd", "the", "of", "on", "31st", "0th", "99th", "at",
        "9am", "noon", "2027", ",", "feb", "29", "30", "sept.", "15th", "12/1", "2:30am",
        "every", "month", "monthly", "2", "weeks", "first", "monday", "last", "other",
    ]
)  # fmt: skip


@given(st.lists(PHRASE_WORDS, max_size=5).map(" ".join), NOWS, ZONES)
def test_any_date_phrase_parses_or_is_refused(text: str, now: datetime, zone: str) -> None:
    check_outcome(text, now, zone)


# --- repeats of the one repeat grammar --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "stored", "described"),
    [
        ("every month", utc(2026, 12, 4, 15), "rrule:09:00:FREQ=MONTHLY", "every month on the 4th"),
        (
            "monthly at noon",
            utc(2026, 12, 3, 18),
            "rrule:12:00:FREQ=MONTHLY",
            "every month on the 3rd",
        ),
        (
            "every 2 weeks",
            utc(2026, 12, 4, 15),
            "rrule:09:00:FREQ=WEEKLY;INTERVAL=2",
            "every 2 weeks on Friday",
        ),
        (
            "every first monday 9am",
            utc(2026, 12, 7, 15),
            "rrule:09:00:FREQ=MONTHLY;BYDAY=1MO",
            "the first Monday of each month",
        ),
        (
            "every month on the 15th at 5pm",
            utc(2026, 12, 15, 23),
            "rrule:17:00:FREQ=MONTHLY;BYMONTHDAY=15",
            "every month on the 15th",
        ),
        (
            "each 2nd tuesday at 6pm",
            utc(2026, 12, 9, 0),
            "rrule:18:00:FREQ=MONTHLY;BYDAY=2TU",
            "the second Tuesday of each month",
        ),
        (
            "every last friday",
            utc(2026, 12, 25, 15),
            "rrule:09:00:FREQ=MONTHLY;BYDAY=-1FR",
            "the last Friday of each month",
        ),
    ],
)
def test_repeat_grammar_forms(text: str, expected: datetime, stored: str, described: str) -> None:
    when = parse_when(text, THURSDAY, CHICAGO)
    assert when.first == expected
    assert isinstance(when.recurrence, RuleRepeat)
    assert when.recurrence.to_text() == stored
    assert read_recurrence(stored) == when.recurrence
    hour = stored[6:11].lstrip("0")
    assert describe_stored(stored, expected.astimezone(CHICAGO)) == f"{described} at {hour}"


def test_the_older_forms_keep_their_stored_text() -> None:
    for text, stored in [
        ("every monday 9am", "weekly:0:09:00"),
        ("daily 8:30am", "daily:08:30"),
        ("every weekday 9am", "weekdays:09:00"),
    ]:
        when = parse_when(text, THURSDAY, CHICAGO)
        assert isinstance(when.recurrence, Recurrence)
        assert when.recurrence.to_text() == stored
        assert read_recurrence(stored) == when.recurrence


@pytest.mark.parametrize(
    "text",
    ["rrule:9:00:FREQ=MONTHLY", "rrule:24:00:FREQ=MONTHLY", "rrule:09:00:FREQ=HOURLY", "rrule:"],
)
def test_read_recurrence_refuses_what_to_text_never_writes(text: str) -> None:
    with pytest.raises(ValueError):
        read_recurrence(text)


def test_next_time_counts_from_the_last_occurrence() -> None:
    stored = "rrule:09:00:FREQ=WEEKLY;INTERVAL=2"
    friday = utc(2026, 12, 4, 15)
    assert next_time(stored, friday, friday, CHICAGO) == utc(2026, 12, 18, 15)
    # after downtime past the next one, the one after it, still on the alternate weeks
    assert next_time(stored, friday, utc(2026, 12, 20), CHICAGO) == utc(2027, 1, 1, 15)
    # the older forms: the next after now
    assert next_time("daily:08:30", friday, friday, CHICAGO) == utc(2026, 12, 5, 14, 30)


def test_a_monthly_repeat_in_the_spring_gap_keeps_its_wall_clock_time() -> None:
    # 2:30am on the 8th: daylight time starts at 2:00 on 2026-03-08 in Chicago
    when = parse_when("every month on the 8th 2:30am", utc(2026, 2, 10), CHICAGO)
    assert when.first == utc(2026, 3, 8, 8, 30)  # 2:30 CST does not exist: 3:30 CDT
    stored = when.recurrence.to_text()  # type: ignore[union-attr]
    assert next_time(stored, when.first, when.first, CHICAGO) == utc(2026, 4, 8, 7, 30)  # 2:30


def test_a_repeat_in_a_one_time_field_is_refused() -> None:
    for text in ("every month", "every 2 weeks", "monthly", "every first monday"):
        with pytest.raises(ValidationError) as err:
            parse_moment(text, "closes", THURSDAY, CHICAGO)
        assert err.value.rule == 'must be one time, not a repeat; e.g. "friday 5pm"'

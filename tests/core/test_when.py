"""The ``when:`` parser: every accepted form, both 2026 US daylight-saving changes, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import ValidationError
from bot.when import Recurrence, When, parse_moment, parse_when

CHICAGO = ZoneInfo("America/Chicago")
# Monday 2026-11-02, 9:00 CST (UTC-6), the day after daylight time ended.
NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    """An aware UTC datetime, for short expected values."""
    return datetime(*parts, tzinfo=UTC)


def first(text: str, now: datetime = NOW) -> datetime:
    """The first instant of ``text`` in Chicago."""
    return parse_when(text, now, CHICAGO).first


def refusal(text: str, now: datetime = NOW) -> str:
    """The rule of the refusal of ``text``, checking it names the field ``when``."""
    with pytest.raises(ValidationError) as err:
        parse_when(text, now, CHICAGO)
    assert err.value.field == "when"
    assert str(err.value) == f"when: {err.value.rule}"
    return err.value.rule


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in 2 hours", utc(2026, 11, 2, 17)),
        ("in 90 minutes", utc(2026, 11, 2, 16, 30)),
        ("in 1h30m", utc(2026, 11, 2, 16, 30)),
        ("in 3 days", utc(2026, 11, 5, 15)),
        ("in 2 weeks", utc(2026, 11, 16, 15)),
        ("2h", utc(2026, 11, 2, 17)),
        ("30m", utc(2026, 11, 2, 15, 30)),
        ("today 5pm", utc(2026, 11, 2, 23)),
        ("tonight 8pm", utc(2026, 11, 3, 2)),
        ("tonight", utc(2026, 11, 3, 2)),
        ("tomorrow 9am", utc(2026, 11, 3, 15)),
        ("tomorrow at 9:30", utc(2026, 11, 3, 15, 30)),
        ("tomorrow 17:00", utc(2026, 11, 3, 23)),
        ("tomorrow", utc(2026, 11, 3, 15)),
        ("9am", utc(2026, 11, 3, 15)),  # 9:00 is now, not ahead: tomorrow
        ("10am", utc(2026, 11, 2, 16)),
        ("17:30", utc(2026, 11, 2, 23, 30)),
        ("noon", utc(2026, 11, 2, 18)),
        ("midnight", utc(2026, 11, 3, 6)),
        ("at 9pm", utc(2026, 11, 3, 3)),
        ("monday 9am", utc(2026, 11, 9, 15)),  # today is Monday, but 9:00 is not ahead
        ("monday 10am", utc(2026, 11, 2, 16)),
        ("next friday 14:00", utc(2026, 11, 6, 20)),
        ("fri 9am", utc(2026, 11, 6, 15)),
        ("on thursday at 8:15am", utc(2026, 11, 5, 14, 15)),
        ("sunday", utc(2026, 11, 8, 15)),
        ("2026-12-01 09:00", utc(2026, 12, 1, 15)),
        ("2026-12-01T09:00", utc(2026, 12, 1, 15)),
        ("2026-12-01 9am", utc(2026, 12, 1, 15)),
        ("2026-12-01", utc(2026, 12, 1, 15)),
        ("12/01 9am", utc(2026, 12, 1, 15)),
        ("12/1/2026 9am", utc(2026, 12, 1, 15)),
        ("tomorrow 9 am", utc(2026, 11, 3, 15)),
        ("tomorrow 9:30am", utc(2026, 11, 3, 15, 30)),
        ("tomorrow 9:30 pm", utc(2026, 11, 4, 3, 30)),
        ("tomorrow 9 p.m.", utc(2026, 11, 4, 3)),
        ("tomorrow 09:00", utc(2026, 11, 3, 15)),
        ("tomorrow 21:15", utc(2026, 11, 4, 3, 15)),
        ("tomorrow 12am", utc(2026, 11, 3, 6)),
        ("tomorrow 12pm", utc(2026, 11, 3, 18)),
        ("  TOMORROW   At  9AM ", utc(2026, 11, 3, 15)),
    ],
)
def test_accepted_forms(text: str, expected: datetime) -> None:
    when = parse_when(text, NOW, CHICAGO)
    assert when == When(expected, None)
    assert when.first.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "expected", "recurrence", "described"),
    [
        (
            "every monday 9am",
            utc(2026, 11, 9, 15),
            Recurrence("weekly", 9, 0, 0),
            "every Monday at 9:00",
        ),
        ("Every Day 8:30am", utc(2026, 11, 3, 14, 30), Recurrence("daily", 8, 30), None),
        ("every day at 17:00", utc(2026, 11, 2, 23), Recurrence("daily", 17, 0), None),
        ("daily 9am", utc(2026, 11, 3, 15), Recurrence("daily", 9, 0), "every day at 9:00"),
        ("every weekday 9am", utc(2026, 11, 3, 15), Recurrence("weekdays", 9, 0), None),
        ("weekly monday 9am", utc(2026, 11, 9, 15), Recurrence("weekly", 9, 0, 0), None),
        ("every sat", utc(2026, 11, 7, 15), Recurrence("weekly", 9, 0, 5), None),
    ],
)
def test_repeats(
    text: str, expected: datetime, recurrence: Recurrence, described: str | None
) -> None:
    assert parse_when(text, NOW, CHICAGO) == When(expected, recurrence)
    if described:
        assert recurrence.describe() == described


def test_describe() -> None:
    assert Recurrence("daily", 8, 30).describe() == "every day at 8:30"
    assert Recurrence("weekdays", 9, 0).describe() == "every weekday at 9:00"
    assert Recurrence("weekly", 17, 5, 6).describe() == "every Sunday at 17:05"


def test_every_weekday_skips_the_weekend() -> None:
    friday_after_nine = utc(2026, 11, 6, 16)
    assert first("every weekday 9am", friday_after_nine) == utc(2026, 11, 9, 15)


# --- daylight saving: starts 2026-03-08 02:00 CST, ends 2026-11-01 02:00 CDT in Chicago -------


def test_every_sunday_across_spring_forward() -> None:
    sundays = Recurrence("weekly", 9, 0, 6)
    at = first("every sunday 9am", utc(2026, 2, 25, 12))
    seen = [at]
    for _ in range(3):
        at = sundays.next_after(at, CHICAGO)
        seen.append(at)
    # 9:00 local each week: 15:00 UTC in CST, then 14:00 UTC in CDT.
    assert seen == [
        utc(2026, 3, 1, 15),
        utc(2026, 3, 8, 14),
        utc(2026, 3, 15, 14),
        utc(2026, 3, 22, 14),
    ]
    assert {t.astimezone(CHICAGO).hour for t in seen} == {9}


def test_every_sunday_across_fall_back() -> None:
    sundays = Recurrence.from_text("weekly:6:09:00")
    at = first("every sunday 9am", utc(2026, 10, 20, 12))
    seen = [at]
    for _ in range(2):
        at = sundays.next_after(at, CHICAGO)
        seen.append(at)
    assert seen == [utc(2026, 10, 25, 14), utc(2026, 11, 1, 15), utc(2026, 11, 8, 15)]


def test_next_after_is_strictly_after() -> None:
    daily = Recurrence("daily", 9, 0)
    assert daily.next_after(utc(2026, 11, 2, 15), CHICAGO) == utc(2026, 11, 3, 15)
    assert daily.next_after(utc(2026, 11, 2, 14, 59), CHICAGO) == utc(2026, 11, 2, 15)


def test_relative_is_elapsed_time_but_tomorrow_is_wall_clock() -> None:
    saturday_before_spring = utc(2026, 3, 7, 15)  # 9:00 CST
    assert first("in 24 hours", saturday_before_spring) == utc(2026, 3, 8, 15)  # 10:00 CDT
    spring = first("tomorrow 9am", saturday_before_spring)
    assert spring == utc(2026, 3, 8, 14)
    assert spring - saturday_before_spring == timedelta(hours=23)

    saturday_before_fall = utc(2026, 10, 31, 14)  # 9:00 CDT
    assert first("in 24 hours", saturday_before_fall) == utc(2026, 11, 1, 14)  # 8:00 CST
    fall = first("tomorrow 9am", saturday_before_fall)
    assert fall == utc(2026, 11, 1, 15)
    assert fall - saturday_before_fall == timedelta(hours=25)


def test_nonexistent_time_moves_forward_by_the_gap() -> None:
    at = first("2026-03-08 2:30am", utc(2026, 3, 1))
    assert at == utc(2026, 3, 8, 8, 30)
    local = at.astimezone(CHICAGO)
    assert (local.hour, local.minute, local.tzname()) == (3, 30, "CDT")


def test_ambiguous_time_takes_the_first_instant() -> None:
    at = first("2026-11-01 1:30am", utc(2026, 10, 25))
    assert at == utc(2026, 11, 1, 6, 30)
    assert at.astimezone(CHICAGO).tzname() == "CDT"


def test_daily_repeat_through_the_spring_gap() -> None:
    when = parse_when("every day 2:30am", utc(2026, 3, 7, 9), CHICAGO)
    assert when.first == utc(2026, 3, 8, 8, 30)  # 2:30 CST does not exist: 3:30 CDT
    assert when.recurrence is not None
    assert when.recurrence.next_after(when.first, CHICAGO) == utc(2026, 3, 9, 7, 30)


# --- storage form -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recurrence", "text"),
    [
        (Recurrence("weekly", 9, 0, 0), "weekly:0:09:00"),
        (Recurrence("daily", 8, 30), "daily:08:30"),
        (Recurrence("weekdays", 17, 5), "weekdays:17:05"),
    ],
)
def test_text_round_trip(recurrence: Recurrence, text: str) -> None:
    assert recurrence.to_text() == text
    assert Recurrence.from_text(text) == recurrence


@pytest.mark.parametrize(
    "text", ["", "weekly:09:00", "daily:0:09:00", "hourly:09:00", "daily:24:00", "weekly:7:09:00"]
)
def test_from_text_refuses_what_to_text_never_writes(text: str) -> None:
    with pytest.raises(ValueError, match="recurrence"):
        Recurrence.from_text(text)


# --- refusals ---------------------------------------------------------------------------------

HELP = 'try "in 2 hours", "tomorrow 9am", "2026-12-01 09:00" or "every monday 9am"'


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("", HELP),
        ("   ", HELP),
        ("banana", HELP),
        ("in a while", HELP),
        ("every 2 hours", HELP),
        ("9am tomorrow", HELP),
        ("2026-01-01 09:00", "2026-01-01 09:00 has already passed"),
        ("today 8am", "today 8am has already passed"),
        ("25:00", '"25:00" is not a time; try 9am, 9:30pm, 17:30 or noon'),
        ("tomorrow 13pm", '"13pm" is not a time; try 9am, 9:30pm, 17:30 or noon'),
        ("tomorrow 9:75", '"9:75" is not a time; try 9am, 9:30pm, 17:30 or noon'),
        ("tomorrow 9", '"9" is not a time; try 9am, 9:30pm, 17:30 or noon'),
        ("2026-02-30", "2026-02-30 is not a date; try 2026-12-01 or 12/1"),
        ("2029-01-01", "more than two years ahead"),
        ("12/31/9999 11pm", "more than two years ahead"),
        ("in 800 days", "more than two years ahead"),
        ("in 0m", 'give a time in the future, such as "in 2 hours"'),
    ],
)
def test_refusals_name_the_rule(text: str, rule: str) -> None:
    assert refusal(text) == rule


# --- dates never surprise (Thursday 2026-12-03, 10:00 CST) ------------------------------------

THURSDAY = utc(2026, 12, 3, 16)
ONE_TIME_HELP = 'try "in 2 hours", "tomorrow 9am" or "2026-12-01 09:00"'


def test_next_weekday_named_on_that_day_is_a_week_later() -> None:
    assert first("next thursday 5pm", THURSDAY) == utc(2026, 12, 10, 23)
    assert first("next thu", THURSDAY) == utc(2026, 12, 10, 15)
    # without "next", the same day is today while its time is still ahead
    assert first("thursday 5pm", THURSDAY) == utc(2026, 12, 3, 23)
    assert first("next friday 5pm", THURSDAY) == utc(2026, 12, 4, 23)


def test_a_date_without_its_year_that_has_passed_asks_for_the_year() -> None:
    assert refusal("12/1 10am", THURSDAY) == (
        '12/1 10am has passed this year; give the year, e.g. "2027-12-01 10:00"'
    )
    assert refusal("1/15 9am", THURSDAY) == (
        '1/15 9am has passed this year; give the year, e.g. "2027-01-15 09:00"'
    )
    assert refusal("12/3 8am", THURSDAY) == (
        '12/3 8am has passed this year; give the year, e.g. "2027-12-03 08:00"'
    )
    # still ahead this year, or the year given: taken as typed
    assert first("12/3 5pm", THURSDAY) == utc(2026, 12, 3, 23)
    assert first("12/24", THURSDAY) == utc(2026, 12, 24, 15)
    assert first("1/15/2027 9am", THURSDAY) == utc(2027, 1, 15, 15)


def test_february_29_without_its_year_is_suggested_in_its_next_leap_year() -> None:
    after_leap_day = utc(2028, 3, 1, 16)
    assert refusal("2/29 9am", after_leap_day) == (
        '2/29 9am has passed this year; give the year, e.g. "2032-02-29 09:00"'
    )


@pytest.mark.parametrize("field", ["at", "deadline", "closes", "start", "end", "rsvp_by"])
def test_a_one_time_field_refuses_the_past_naming_itself(field: str) -> None:
    for text, rule in [
        ("2026-12-01 10:00", "2026-12-01 10:00 has already passed"),
        ("today 8am", "today 8am has already passed"),
        ("12/1 10am", '12/1 10am has passed this year; give the year, e.g. "2027-12-01 10:00"'),
    ]:
        with pytest.raises(ValidationError) as err:
            parse_moment(text, field, THURSDAY, CHICAGO)
        assert (err.value.field, err.value.rule) == (field, rule)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("banana", ONE_TIME_HELP),
        ("in a while", ONE_TIME_HELP),
        ("", ONE_TIME_HELP),
        ("every monday 9am", 'must be one time, not a repeat; e.g. "friday 5pm"'),
        ("every 2 hours", 'must be one time, not a repeat; e.g. "friday 5pm"'),
        ("daily", 'must be one time, not a repeat; e.g. "friday 5pm"'),
        ("tomorrow 9am" + " " * 89, f"use at most 100 characters; {ONE_TIME_HELP}"),
    ],
)
def test_a_one_time_field_suggests_only_one_time_forms(text: str, rule: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_moment(text, "closes", THURSDAY, CHICAGO)
    assert (err.value.field, err.value.rule) == ("closes", rule)
    assert "every" not in err.value.rule


def test_a_repeat_field_still_suggests_repeats() -> None:
    assert refusal("banana", THURSDAY) == HELP
    assert "every monday 9am" in HELP


def test_two_years_is_the_limit() -> None:
    assert first("in 731 days") == NOW + timedelta(days=731)
    assert refusal("in 732 days") == "more than two years ahead"


def test_text_longer_than_100_characters() -> None:
    assert refusal("tomorrow 9am" + " " * 89).startswith("use at most 100 characters")
    assert first("tomorrow 9am" + " " * 88) == utc(2026, 11, 3, 15)


# --- property: any text either parses to a future UTC instant or is refused on "when" ----------

WORDS = st.sampled_from(
    [
        "in", "every", "daily", "weekly", "next", "at", "today", "tonight", "tomorrow",
        "monday", "fri", "day", "weekday", "noon", "midnight", "9am", "12pm", "9:30",
        "25:00", "0", "99", "2h", "30m", "1h30m", "999999w", "2026-12-01", "2026-12-01T09:00",
        "0000-01-01", "9999-12-31", "12/1", "2/29", "12/1/2026", "am", "pm", "p.m.", ":", "/",
        "-", "t",
    ]
)  # fmt: skip
ZONES = st.sampled_from(
    ["America/Chicago", "Europe/London", "Australia/Lord_Howe", "Pacific/Kiritimati", "UTC"]
)
NOWS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


def check_outcome(text: str, now: datetime, zone: str) -> None:
    """``parse_when`` returns a future aware UTC instant or raises ValidationError on "when"."""
    try:
        when = parse_when(text, now, ZoneInfo(zone))
    except ValidationError as err:
        assert err.field == "when"
        return
    assert when.first.tzinfo is UTC
    assert now < when.first <= now + timedelta(days=731)


@given(st.text(max_size=120), NOWS, ZONES)
def test_any_text_parses_or_is_refused(text: str, now: datetime, zone: str) -> None:
    check_outcome(text, now, zone)


@given(st.lists(WORDS, max_size=5).map(" ".join), NOWS, ZONES)
def test_any_phrase_parses_or_is_refused(text: str, now: datetime, zone: str) -> None:
    check_outcome(text, now, zone)

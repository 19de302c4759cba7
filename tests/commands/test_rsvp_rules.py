"""The rules of events and RSVPs, on their own: no database, no command context."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import UserError, ValidationError
from bot.offsets import reminder_time
from commands.events.rules import (
    check_answer_open,
    check_details,
    check_legislative,
    end_time,
    event_times,
)
from storage.events import Details, EventRecord

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # Monday 9:00 in Chicago
CHICAGO = ZoneInfo("America/Chicago")


def event(kind: str = "legislative-day", **changes: object) -> EventRecord:
    fields: dict[str, object] = {
        "id": 4,
        "org_id": 1,
        "title": "Library Lobby Day",
        "description": None,
        "kind": kind,
        "starts_at": NOW + timedelta(days=10),
        "ends_at": NOW + timedelta(days=10, hours=8),
        "timezone": "America/Chicago",
        "place": None,
        "link": None,
        "capacity": None,
        "rsvp_deadline": None,
        "reminder_offsets": ("1d",),
        "created_at": NOW,
    }
    fields.update(changes)
    return EventRecord(**fields)  # type: ignore[arg-type]


def test_an_end_given_as_a_bare_time_is_on_the_start_day() -> None:
    start = datetime(2026, 11, 12, 15, 0, tzinfo=UTC)  # 9:00 AM CST
    assert end_time("5pm", start, NOW, CHICAGO) == datetime(2026, 11, 12, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize("end", ["1am", "9am", "at 8:30"])
def test_an_end_before_the_start_is_refused_not_moved_to_the_next_day(end: str) -> None:
    start = datetime(2026, 11, 12, 15, 0, tzinfo=UTC)  # 9:00 AM CST
    with pytest.raises(ValidationError) as err:
        end_time(end, start, NOW, CHICAGO)
    assert err.value.field == "end"
    assert err.value.rule.startswith("must be after the start, Thu Nov 12, 9:00 AM CST; ")
    with pytest.raises(ValidationError):
        event_times("2026-11-12 09:00", end, None, NOW, CHICAGO)


def test_an_overnight_event_gives_its_end_date() -> None:
    start = datetime(2026, 11, 12, 15, 0, tzinfo=UTC)  # 9:00 AM CST
    with pytest.raises(ValidationError) as err:
        end_time("1am", start, NOW, CHICAGO)
    assert err.value.rule.endswith(
        'for an end the next day, give its date, e.g. "2026-11-13 01:00"'
    )
    _, ends, _ = event_times("2026-11-12 21:00", "2026-11-13 01:00", None, NOW, CHICAGO)
    assert ends == datetime(2026, 11, 13, 7, 0, tzinfo=UTC)


def test_an_event_ends_after_it_starts_within_two_weeks_and_closes_answers_before() -> None:
    starts, ends, deadline = event_times("2026-11-12 09:00", None, None, NOW, CHICAGO)
    assert (ends - starts, deadline) == (timedelta(hours=1), None)
    with pytest.raises(ValidationError) as early:
        event_times("2026-11-12 09:00", "2026-11-12 08:00", None, NOW, CHICAGO)
    assert early.value.rule == "must be after the start, Thu Nov 12, 9:00 AM CST"
    with pytest.raises(ValidationError) as long:
        event_times("2026-11-12 09:00", "2026-11-27 09:00", None, NOW, CHICAGO)
    assert long.value.rule == "must be within 14 days of the start"
    with pytest.raises(ValidationError) as late:
        event_times("2026-11-12 09:00", None, "2026-11-13 09:00", NOW, CHICAGO)
    assert late.value.field == "rsvp_by"
    assert "Thu Nov 12, 9:00 AM CST" in late.value.rule


def test_details_are_asked_only_of_those_going_to_a_legislative_day() -> None:
    check_details(event(), "going", Details(state="IL", district="7"))
    check_details(event("rally"), "maybe", Details())
    with pytest.raises(ValidationError) as rally:
        check_details(event("rally"), "going", Details(district="7"))
    assert rally.value.field == "district" and "event 4 is not one" in rally.value.rule
    with pytest.raises(ValidationError) as maybe:
        check_details(event(), "maybe", Details(attend="virtual"))
    assert (maybe.value.field, maybe.value.rule) == ("attend", "is asked only of those going")
    with pytest.raises(ValidationError) as lead:
        check_legislative(event("webinar"), "id")
    assert lead.value.rule == "event 4 is a webinar; this is for legislative days"


def test_answers_close_at_the_deadline_and_the_start_but_no_is_taken_until_the_end() -> None:
    deadline = NOW + timedelta(days=3)
    open_event = event(rsvp_deadline=deadline)
    check_answer_open(open_event, "going", NOW, CHICAGO)
    after_deadline = deadline + timedelta(minutes=1)
    with pytest.raises(UserError, match=r"RSVPs for event 4 closed on Thu Nov 5, 9:00 AM CST"):
        check_answer_open(open_event, "going", after_deadline, CHICAGO)
    check_answer_open(open_event, "no", after_deadline, CHICAGO)
    begun = open_event.starts_at + timedelta(hours=1)
    with pytest.raises(UserError, match="has already begun"):
        check_answer_open(open_event, "maybe", begun, CHICAGO)
    check_answer_open(open_event, "no", begun, CHICAGO)
    with pytest.raises(UserError, match="Event 4 is over"):
        check_answer_open(open_event, "no", open_event.ends_at, CHICAGO)


def test_a_days_reminder_keeps_the_wall_clock_across_a_daylight_saving_change() -> None:
    # Sunday Nov 1, 2026 is the end of daylight saving time in Chicago
    monday_9am = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    assert reminder_time(monday_9am, "2d", CHICAGO) == datetime(2026, 10, 31, 14, 0, tzinfo=UTC)
    assert reminder_time(monday_9am, "1d2h", CHICAGO) == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)

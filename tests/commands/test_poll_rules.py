"""The ballot rules of polls, on their own: no database, no command context."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import MissingFields, ValidationError
from commands.polls.render import count_ballots
from commands.polls.rules import (
    check_open,
    closed_at,
    describe_ballot,
    new_ballot,
    option_key,
    option_positions,
)
from storage.polls import PollRecord

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
CHICAGO = ZoneInfo("America/Chicago")


def poll(kind: str = "single", *, max_choices: int | None = None, **changes: object) -> PollRecord:
    fields: dict[str, object] = {
        "id": 7,
        "org_id": 1,
        "question": "What matters most?",
        "options": ("Compensation", "Benefits", "Training"),
        "kind": kind,
        "max_choices": max_choices,
        "anonymous": True,
        "results": "after-close",
        "closes_at": None,
        "state": "open",
        "closed_at": None,
        "created_at": NOW - timedelta(days=1),
    }
    fields.update(changes)
    return PollRecord(**fields)  # type: ignore[arg-type]


def test_options_alike_after_width_case_and_invisible_characters_are_one() -> None:
    assert option_key("ＢＥＮＥＦＩＴＳ") == option_key("bene\u200bfits") == "benefits"
    assert option_key("  Pro   development\u202e ") == "pro development"


def test_an_option_is_named_by_its_text_or_its_number_and_each_once() -> None:
    ranked = poll("ranked")
    assert option_positions(ranked, "training > 1", "ranking", ">") == [2, 0]
    with pytest.raises(ValidationError) as twice:
        option_positions(ranked, "Benefits > 2", "ranking", ">")
    assert twice.value.field == "ranking" and "twice" in twice.value.rule
    with pytest.raises(ValidationError) as unknown:
        option_positions(ranked, "Parking", "ranking", ">")
    assert "1. Compensation, 2. Benefits, 3. Training" in unknown.value.rule


def test_a_click_adds_or_removes_an_option_and_a_ranked_click_ranks_it_next() -> None:
    approval = poll("approval")
    assert new_ballot(approval, (0,), "Training", None, None) == [0, 2]
    assert new_ballot(approval, (0, 2), "1", None, None) == [2]
    ranked = poll("ranked")
    assert new_ballot(ranked, (1,), "Compensation", None, None) == [1, 0]
    with pytest.raises(ValidationError) as again:
        new_ballot(ranked, (1, 0), "Benefits", None, None)
    assert "already your choice number 1" in again.value.rule
    assert describe_ballot(ranked, [1, 0]) == "Benefits > Compensation"


def test_a_vote_names_one_way_of_voting_that_suits_the_poll() -> None:
    with pytest.raises(MissingFields) as none:
        new_ballot(poll(), None, None, None, None)
    assert none.value.fields == ["choice"]
    with pytest.raises(ValidationError) as both:
        new_ballot(poll("approval"), None, "1", "1 | 2", None)
    assert both.value.field == "choices"
    with pytest.raises(ValidationError) as ranking:
        new_ballot(poll("multiple", max_choices=2), None, None, None, "1 > 2")
    assert ranking.value.field == "ranking" and "not ranked" in ranking.value.rule


def test_a_multiple_choice_ballot_keeps_to_the_most_options_allowed() -> None:
    multiple = poll("multiple", max_choices=2)
    assert new_ballot(multiple, None, None, "Benefits | Training", None) == [1, 2]
    with pytest.raises(ValidationError) as too_many:
        new_ballot(multiple, (1, 2), "Compensation", None, None)
    assert too_many.value.field == "choice"
    assert "at most 2 options; you have Benefits | Training" in too_many.value.rule


def test_typed_choices_over_the_maximum_say_the_maximum_and_what_was_given() -> None:
    multiple = poll("multiple", max_choices=2)
    with pytest.raises(ValidationError) as too_many:
        new_ballot(multiple, (0,), None, "Benefits | Training | 1", None)
    assert too_many.value.field == "choices"
    assert too_many.value.rule == (
        "poll 7 takes at most 2 options; you gave 3: Benefits | Training | Compensation"
    )


def test_a_poll_is_closed_from_its_time_even_before_the_closing_runs() -> None:
    due = NOW - timedelta(minutes=1)
    assert closed_at(poll(closes_at=NOW + timedelta(hours=1)), NOW) is None
    assert closed_at(poll(closes_at=due), NOW) == due
    assert closed_at(poll(state="closed", closed_at=due, closes_at=None), NOW) == due
    with pytest.raises(ValidationError) as closed:
        check_open(poll(closes_at=due), NOW, CHICAGO)
    assert closed.value.field == "id"
    assert "poll 7 closed on Mon Nov 2, 8:59 AM CST" in closed.value.rule


def test_counts_of_one_read_in_the_singular() -> None:
    tie = count_ballots(poll(), [(0,), (1,)], final=True)
    assert tie.lines == ["A tie: Compensation and Benefits, 1 vote each."]
    two = count_ballots(poll(), [(0,), (1,), (0,), (1,)], final=True)
    assert two.lines == ["A tie: Compensation and Benefits, 2 votes each."]
    ranked = count_ballots(poll("ranked"), [(2, 0), (2,), (1,)], final=True)
    assert ranked.lines[-1] == "Training wins by instant runoff after 1 round."


def test_a_choice_may_be_the_start_of_one_option() -> None:
    days = poll(options=("Wednesday evening", "Thursday noon", "Tuesday noon"))
    assert new_ballot(days, None, "Wed", None, None) == [0]
    assert new_ballot(days, None, "thurs", None, None) == [1]
    with pytest.raises(ValidationError) as err:
        new_ballot(days, None, "T", None, None)
    assert err.value.field == "choice"
    assert err.value.rule.startswith("'T' starts 'Thursday noon' and 'Tuesday noon'; give more")


def test_a_near_spelling_of_a_choice_is_refused_naming_the_nearest() -> None:
    with pytest.raises(ValidationError) as err:
        new_ballot(poll(), None, "Benfits", None, None)
    assert err.value.field == "choice"
    assert err.value.rule.startswith(
        "'Benfits' is not an option of poll 7 (did you mean 'Benefits'?); its options: "
    )
    with pytest.raises(ValidationError) as err:
        new_ballot(poll(kind="ranked"), None, None, None, "Training > Compnsation")
    assert err.value.field == "ranking"
    assert "(did you mean 'Compensation'?)" in err.value.rule

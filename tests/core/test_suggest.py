""" "Did you mean": the one matcher, and the grammar and typed choices that use it."""

from __future__ import annotations

import pytest

from bot.errors import ValidationError
from bot.grammar import tokenize
from bot.options import Choice
from bot.registry import CommandGroup, Registry
from bot.reply import Reply
from bot.suggest import accept_near, did_you_mean, nearest
from bot.vocabulary import CLASSIFICATION_ALIASES, CLASSIFICATIONS


def test_nearest_finds_close_words_and_nothing_for_strangers() -> None:
    assert nearest("reprot", ["report", "list", "show"]) == ["report"]
    assert nearest("REMIND", ["reminder", "help"]) == ["reminder"]
    assert nearest("zebra", ["report", "list"]) == []
    assert did_you_mean("layof", ["layoff", "poll"], "/{}") == " (did you mean /layoff?)"
    assert did_you_mean("zebra", ["layoff", "poll"]) == ""


def test_a_near_spelling_is_taken_only_when_close_to_one_word() -> None:
    assert accept_near("libarian", ["librarian", "page"]) == "librarian"
    assert accept_near("pa", ["librarian", "page"]) is None  # close, but not close enough
    assert accept_near("cat", ["bat", "hat"]) is None  # two equally near: no guess


layoff = CommandGroup("layoff")


@layoff.command("report", options=[Choice("employer", values=("a", "b")), Choice("kind")])
async def _report(ctx, employer, kind):  # pragma: no cover - resolution only
    return Reply()


@layoff.command("list")
async def _list(ctx):  # pragma: no cover - resolution only
    return Reply()


reminder = CommandGroup("reminder")


@reminder.command("set")
async def _set(ctx):  # pragma: no cover - resolution only
    return Reply()


registry = Registry([layoff, reminder])


def test_an_unknown_action_names_the_nearest() -> None:
    with pytest.raises(ValidationError) as err:
        registry.resolve("layoff", tokenize("reprot"))
    assert err.value.field == "action"
    assert (
        err.value.rule
        == "/layoff needs one of: list, report ('reprot' is not one (did you mean report?))"
    )


def test_an_unknown_option_name_names_the_nearest() -> None:
    with pytest.raises(ValidationError) as err:
        registry.resolve("layoff", tokenize("report employr:a"))
    assert err.value.field == "employr"
    assert err.value.rule == (
        "is not an option of /layoff report (did you mean employer:?) (options: employer, kind)"
    )


@pytest.mark.parametrize(("typed", "meant"), [("layof", "/layoff"), ("remind", "/reminder")])
def test_an_unknown_group_names_the_nearest(typed: str, meant: str) -> None:
    with pytest.raises(ValidationError) as err:
        registry.resolve(typed, tokenize(""))
    assert err.value.field == "command"
    assert err.value.rule == f"/{typed} is not a command (did you mean {meant}?); try /help"


def test_a_far_unknown_group_gets_no_guess() -> None:
    with pytest.raises(ValidationError) as err:
        registry.resolve("nosuch", tokenize(""))
    assert err.value.rule == "/nosuch is not a command; try /help"


CLASSIFICATION = Choice(
    "classification", values=CLASSIFICATIONS, aliases=CLASSIFICATION_ALIASES, forgiving=True
)


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("library assistants", "library-assistant"),
        ("pages", "page"),
        ("Librarians", "librarian"),
        ("shelvers", "page"),
        ("libarian", "librarian"),
        ("techncian", "technician"),
    ],
)
def test_a_forgiving_choice_takes_plurals_and_near_spellings(typed: str, value: str) -> None:
    assert CLASSIFICATION.parse(typed) == value


def test_a_forgiving_choice_refuses_a_far_word_naming_the_nearest() -> None:
    with pytest.raises(ValidationError) as err:
        CLASSIFICATION.parse("techn")
    assert err.value.field == "classification"
    assert err.value.rule.startswith("must be one of librarian, library-assistant")
    assert err.value.rule.endswith("(did you mean technician?)")


def test_a_strict_choice_suggests_but_never_guesses() -> None:
    status = Choice("status", values=("going", "maybe", "no"))
    with pytest.raises(ValidationError) as err:
        status.parse("goin")
    assert str(err.value) == "status: must be one of going, maybe, no (did you mean going?)"
    with pytest.raises(ValidationError):
        status.parse("nos")  # no plural taken either

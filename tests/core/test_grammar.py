"""The key:value grammar and the typed options, as a person types them."""

from __future__ import annotations

import pytest

from bot.errors import MissingFields, ValidationError
from bot.grammar import Token, split_command, tokenize
from bot.options import (
    NOTIFY,
    Choice,
    Integer,
    Ref,
    Text,
    TextList,
    Timezone,
    Url,
    UsState,
    YesNo,
)
from bot.registry import CommandGroup, Registry, Role
from bot.reply import Action, Reply, decode_action, encode_action, truncate


def test_tokens_bare_quoted_and_positional() -> None:
    tokens = tokenize('report employer:"Springfield Public Library" workers:12 extra')
    assert tokens == [
        Token(None, "report"),
        Token("employer", "Springfield Public Library"),
        Token("workers", "12"),
        Token(None, "extra"),
    ]


def test_curly_quotes_escapes_and_colons_in_values() -> None:
    tokens = tokenize('text:“Call Rep. Smith” note:"say \\"no cuts\\"" source:https://x.org/a?b=1')
    assert tokens == [
        Token("text", "Call Rep. Smith"),
        Token("note", 'say "no cuts"'),
        Token("source", "https://x.org/a?b=1"),
    ]


def test_keys_fold_case_and_dashes() -> None:
    assert tokenize("Library-Type:public") == [Token("library_type", "public")]


def test_unterminated_quote_names_the_text() -> None:
    with pytest.raises(ValidationError) as err:
        tokenize('text:"never closed')
    assert err.value.field == "text"
    assert "never closed" in err.value.rule


def test_split_command_with_prefix() -> None:
    assert split_command("/rb-layoff report x:1", prefix="rb-") == ("layoff", "report x:1")
    assert split_command("/Help", prefix="rb-") == ("help", "")
    with pytest.raises(ValidationError):
        split_command("help")
    with pytest.raises(ValidationError):
        split_command("/")


group = CommandGroup("event")


@group.command(
    "rsvp",
    options=[
        Ref("id", required=True, prefix="E"),
        Choice("status", required=True, values=("going", "maybe", "no")),
    ],
)
async def _rsvp(ctx, id, status):  # pragma: no cover - resolution only
    return Reply()


@group.command("list", options=[Text("note")], positional="note")
async def _list(ctx, note):  # pragma: no cover - resolution only
    return Reply()


registry = Registry([group])


def test_resolve_finds_action_and_collects_options() -> None:
    command, raw = registry.resolve("event", tokenize("rsvp id:E-3 status:Going"))
    assert command.name == "event rsvp"
    assert raw == {"id": "E-3", "status": "Going"}
    assert command.parse(raw) == {"id": 3, "status": "going"}


def test_resolve_refuses_unknown_and_repeated_keys() -> None:
    with pytest.raises(ValidationError) as err:
        registry.resolve("event", tokenize("rsvp id:3 colour:red"))
    assert err.value.field == "colour"
    assert "options: id, status" in err.value.rule
    with pytest.raises(ValidationError) as err:
        registry.resolve("event", tokenize("rsvp id:3 id:4"))
    assert err.value.field == "id" and "twice" in err.value.rule


def test_resolve_positional_and_missing_action() -> None:
    _command, raw = registry.resolve("event", tokenize("list two words"))
    assert raw == {"note": "two words"}
    with pytest.raises(ValidationError) as err:
        registry.resolve("event", tokenize("dance"))
    assert err.value.field == "action" and "list, rsvp" in err.value.rule
    with pytest.raises(ValidationError) as err:
        registry.resolve("event", tokenize("rsvp 3"))
    assert err.value.field == "text"


def test_a_value_with_spaces_needs_quotes_and_the_refusal_shows_them() -> None:
    with pytest.raises(ValidationError) as err:
        registry.resolve("event", tokenize("list note:two words here"))
    assert err.value.field == "note"
    assert err.value.rule == 'a value with spaces needs quotes: note:"two words here"'
    with pytest.raises(ValidationError) as err:
        registry.resolve("event", tokenize('rsvp id:3 status:say"hi" there'))
    assert err.value.field == "status"
    assert err.value.rule == 'a value with spaces needs quotes: status:"say\\"hi\\" there"'
    # words before any key stay the positional value
    _command, raw = registry.resolve("event", tokenize("list two words"))
    assert raw == {"note": "two words"}


def test_missing_required_fields_are_all_named() -> None:
    command, raw = registry.resolve("event", tokenize("rsvp"))
    with pytest.raises(MissingFields) as err:
        command.parse(raw)
    assert err.value.fields == ["id", "status"]
    assert "id, status" in err.value.message


@pytest.mark.parametrize("typed", ["sign-on", "sign_on", "Sign on", "SIGN-ON", " sign  on "])
def test_choice_values_match_loosely(typed: str) -> None:
    assert Choice("kind", values=("sign-on", "call")).parse(typed) == "sign-on"


def test_a_list_over_its_length_says_the_most_it_takes_in_words_that_agree() -> None:
    with pytest.raises(ValidationError) as err:
        TextList("topics", max_items=1).parse("pay equity, layoffs")
    assert str(err.value) == "topics: takes at most 1 item (got 2)"
    with pytest.raises(ValidationError) as err:
        TextList("topics", max_items=2).parse("a, b, c")
    assert str(err.value) == "topics: takes at most 2 items (got 3)"


def test_choice_refusal_lists_values() -> None:
    with pytest.raises(ValidationError) as err:
        Choice("kind", values=("sign-on", "call")).parse("tweet")
    assert str(err.value) == "kind: must be one of sign-on, call"


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("yes", True),
        ("Y", True),
        ("true", True),
        ("1", True),
        ("no", False),
        ("N", False),
        ("false", False),
        ("0", False),
    ],
)
def test_yes_no(typed: str, value: bool) -> None:
    assert YesNo("anonymous").parse(typed) is value


def test_refs_take_both_forms() -> None:
    ref = Ref("id", prefix="L")
    assert ref.parse("L-42") == 42
    assert ref.parse("l42") == 42
    assert ref.parse("42") == 42
    for bad in ("L-", "x42", "0", "L-4.2", "-3"):
        with pytest.raises(ValidationError) as err:
            ref.parse(bad)
        assert err.value.field == "id" and "L-42 or 42" in err.value.rule


def test_integer_bounds_and_commas() -> None:
    workers = Integer("workers", minimum=1, maximum=100_000)
    assert workers.parse("1,200") == 1200
    with pytest.raises(ValidationError, match="workers: must be from 1 to 100,000"):
        workers.parse("100001")
    with pytest.raises(ValidationError, match="workers: must be a whole number"):
        workers.parse("many")


def test_states_timezones_urls() -> None:
    assert UsState("state").parse("il") == "IL"
    assert UsState("state").parse("New York") == "NY"
    assert Timezone("timezone").parse("america/chicago") == "America/Chicago"
    with pytest.raises(ValidationError, match=r"^timezone: must be an IANA"):
        Timezone("timezone").parse("Mars/Olympus")
    with pytest.raises(ValidationError, match=r"^state: must be a US state"):
        UsState("state").parse("ZZ")
    assert Url("source").parse("https://example.org/x") == "https://example.org/x"
    for bad in ("javascript:alert(1)", "ftp://x.org", "https://", "example.org"):
        with pytest.raises(ValidationError, match=r"^source: must be an http"):
            Url("source").parse(bad)


def test_text_length_and_emptiness() -> None:
    details = Text("details", max_length=2000)
    with pytest.raises(ValidationError, match="at most 2,000 characters"):
        details.parse("x" * 2001)
    with pytest.raises(ValidationError, match="details: must not be empty"):
        details.parse("   ")


def test_action_ids_round_trip_and_stay_short() -> None:
    action = Action("Going", "event rsvp", {"id": "3", "status": "going"})
    assert action.id == "event.rsvp?id=3&status=going"
    assert decode_action(action.id) == ("event rsvp", {"id": "3", "status": "going"})
    assert decode_action(encode_action("poll vote", {"choice": "PD & MLS = yes"})) == (
        "poll vote",
        {"choice": "PD & MLS = yes"},
    )
    with pytest.raises(ValueError):
        encode_action("poll vote", {"choice": "x" * 120})


def test_truncate_adds_an_ellipsis() -> None:
    assert truncate("short", 10) == "short"
    cut = truncate("a" * 50, 10)
    assert len(cut) == 10 and cut.endswith("…")


def test_roles_are_ordered() -> None:
    assert Role.MEMBER < Role.ORGANIZER < Role.ADMIN


def test_nul_characters_and_unparsable_addresses_are_refused_by_name() -> None:
    with pytest.raises(ValidationError, match=r"^city: must not contain the NUL character"):
        Text("city").parse("Spring\x00field")
    with pytest.raises(ValidationError, match=r"^source: must be an http"):
        Url("source").parse("http://[")


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("here", "here"),
        ("@Here", "here"),
        ("CHANNEL", "channel"),
        ("@everyone", "everyone"),
        ("500000000000000010", "500000000000000010"),
        ("<@&500000000000000010>", "500000000000000010"),  # a Discord role mention, pasted
        ("<!subteam^S0STEWARDS|@stewards>", "S0STEWARDS"),  # as Slack sends a group mention
        ("Stewards", "Stewards"),  # a Discord role name, kept exactly
    ],
)
def test_notify_reads_everyone_values_and_roles(typed: str, value: str) -> None:
    assert NOTIFY.parse(typed) == value


def test_notify_refuses_markup_and_names_the_field() -> None:
    with pytest.raises(ValidationError) as refused:
        NOTIFY.parse("<!channel> hi")
    assert str(refused.value).startswith("notify: must be here, channel, everyone, or a role")

"""A refusal carries every field in error as data, through the dispatcher to the adapters."""

from __future__ import annotations

import pytest

from bot.errors import FieldError, InvalidFields, ValidationError
from bot.options import Integer, Text, UsState
from bot.registry import CommandGroup, Role
from bot.reply import Reply
from storage.db import Database
from tests.support import Person, start_bot

group = CommandGroup("check")


@group.command(
    "many",
    options=[
        Text("who", required=True),
        Integer("count", minimum=1, maximum=10),
        UsState("state"),
    ],
)
async def _many(ctx, who, count, state):  # pragma: no cover - refused before it runs
    return Reply(text=f"{who} {count} {state}")


def test_parse_names_every_value_in_error_at_once() -> None:
    command = group.commands["many"]
    with pytest.raises(InvalidFields) as err:
        command.parse({"who": "Ana", "count": "many", "state": "ZZ"})
    assert err.value.errors == [
        FieldError("count", "must be a whole number from 1 to 10"),
        FieldError("state", "must be a US state or territory, as a two-letter code such as IL"),
    ]
    assert err.value.message.splitlines() == [e.text for e in err.value.errors]


def test_parse_keeps_one_error_as_it_was() -> None:
    command = group.commands["many"]
    with pytest.raises(ValidationError) as err:
        command.parse({"who": "Ana", "count": "99"})
    assert err.value.message == "count: must be from 1 to 10 (got 99)"
    assert err.value.errors == [FieldError("count", "must be from 1 to 10 (got 99)")]


async def test_a_refusal_of_values_carries_the_fields(database: Database) -> None:
    bot = await start_bot(database, extra_groups=[group])
    reply = await bot.say("ana", "/check many who:Ana count:0 state:Narnia")
    assert reply.error
    assert [e.field for e in reply.errors] == ["count", "state"]
    assert reply.text == "\n".join(e.text for e in reply.errors)
    # a rule of the command itself (not of one option) names its field too
    organizer = Person("olu", roles=frozenset({"organizer"}))
    ended = await bot.say(
        organizer,
        '/event create title:T kind:meeting start:"2026-11-20 18:00" end:"2026-11-20 17:00"',
    )
    assert ended.error and [e.field for e in ended.errors] == ["end"]
    assert ended.text.startswith("end: must be after the start")
    # a refusal about something else names no field
    denied = await bot.say("ana", '/event create title:T kind:meeting start:"2026-11-20 18:00"')
    assert denied.error and denied.errors == []
    assert Role.ORGANIZER.label in denied.text

"""The stand-in's Guild Scheduled Events, called through discord.py's own HTTP client as the
adapter calls them: what Discord documents it refuses (lengths, fields an EXTERNAL event
requires, a start in the past, an end before the start, status changes, the 100-event
limit, a guild without the permission), and the adapter's fields staying within Discord's
limits.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest

from adapters.discord.scheduled import description, fields
from bot.mirrors import MirrorSpec
from standins.discord.scheduled import ACTIVE, CANCELED, COMPLETED, SCHEDULED
from tests.discord_support import GUILD, STRANGER_GUILD, DiscordRig


def http(rig: DiscordRig) -> Any:
    """discord.py's HTTP client of the connected bot."""
    assert rig.adapter is not None and rig.adapter.client is not None
    return rig.adapter.client.http


def external(rig: DiscordRig, **changes: Any) -> dict[str, Any]:
    """A valid EXTERNAL event starting tomorrow, with ``changes``."""
    start = rig.clock.now() + timedelta(days=1)
    return {
        "name": "Budget rally",
        "description": "Bring a sign",
        "privacy_level": 2,
        "entity_type": 3,
        "entity_metadata": {"location": "City Hall"},
        "scheduled_start_time": start.isoformat(),
        "scheduled_end_time": (start + timedelta(hours=2)).isoformat(),
        **changes,
    }


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"description": "x" * 1001}, "description"),
        ({"entity_metadata": None}, "location"),
        ({"entity_metadata": {"location": "x" * 101}}, "location"),
        ({"scheduled_end_time": None}, "scheduled_end_time"),
        ({"privacy_level": 1}, "privacy_level"),
        ({"channel_id": "200000000000000001"}, "channel_id"),
    ],
)
async def test_create_refuses_what_discord_refuses(
    rig: DiscordRig, changes: dict[str, Any], problem: str
) -> None:
    with pytest.raises(discord.HTTPException) as refused:
        await http(rig).create_guild_scheduled_event(GUILD, **external(rig, **changes))
    assert refused.value.status == 400 and problem in str(refused.value.text)
    assert rig.standin.events_in(GUILD) == {}


async def test_times_must_be_in_the_future_and_in_order(rig: DiscordRig) -> None:
    now = rig.clock.now()
    with pytest.raises(discord.HTTPException, match="cannot be in the past"):
        await http(rig).create_guild_scheduled_event(
            GUILD, **external(rig, scheduled_start_time=(now - timedelta(minutes=1)).isoformat())
        )
    start = now + timedelta(days=1)
    with pytest.raises(discord.HTTPException, match="must be after"):
        await http(rig).create_guild_scheduled_event(
            GUILD, **external(rig, scheduled_end_time=start.isoformat())
        )


async def test_status_changes_follow_discords_transitions(rig: DiscordRig) -> None:
    client = http(rig)
    made = await client.create_guild_scheduled_event(GUILD, **external(rig))
    assert made["status"] == SCHEDULED and made["guild_id"] == GUILD
    with pytest.raises(discord.HTTPException, match="cannot go from 1 to 3"):
        await client.edit_scheduled_event(GUILD, made["id"], status=COMPLETED)
    moved = await client.edit_scheduled_event(GUILD, made["id"], name="Budget rally, moved")
    assert moved["name"] == "Budget rally, moved"
    cancelled = await client.edit_scheduled_event(GUILD, made["id"], status=CANCELED)
    assert cancelled["status"] == CANCELED
    for change in ({"status": SCHEDULED}, {"status": ACTIVE}, {"name": "Again"}):
        with pytest.raises(discord.HTTPException, match="can no longer be changed"):
            await client.edit_scheduled_event(GUILD, made["id"], **change)
    listed = await client.get_scheduled_events(GUILD, False)
    assert [e["id"] for e in listed] == [made["id"]]
    await client.delete_scheduled_event(GUILD, made["id"])
    with pytest.raises(discord.NotFound):
        await client.get_scheduled_event(GUILD, made["id"], False)


async def test_a_guild_holds_at_most_100_live_events(rig: DiscordRig) -> None:
    client = http(rig)
    for _ in range(100):
        rig.standin.events_in(GUILD)[rig.standin.snowflake()] = {"status": ACTIVE}
    with pytest.raises(discord.HTTPException) as refused:
        await client.create_guild_scheduled_event(GUILD, **external(rig))
    assert refused.value.code == 30038
    next(iter(rig.standin.events_in(GUILD).values()))["status"] = COMPLETED
    await client.create_guild_scheduled_event(GUILD, **external(rig))


async def test_without_the_permission_discord_answers_403(rig: DiscordRig) -> None:
    rig.standin.guilds[GUILD].manage_events = False
    with pytest.raises(discord.Forbidden) as refused:
        await http(rig).create_guild_scheduled_event(GUILD, **external(rig))
    assert refused.value.code == 50013
    with pytest.raises(discord.NotFound):
        await http(rig).create_guild_scheduled_event("999", **external(rig))
    assert STRANGER_GUILD in rig.standin.guilds  # the bot is there, but it lists no event
    assert await http(rig).get_scheduled_events(STRANGER_GUILD, False) == []


def test_the_adapters_fields_stay_within_discords_limits() -> None:
    start = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)
    spec = MirrorSpec("create", 7, "n" * 100, "d" * 5000, "l" * 100, start, start + timedelta(1))
    text = description(spec, "https://discord.com/channels/1/2/3")
    assert len(text) == 1000 and text.endswith(
        "RSVP: https://discord.com/channels/1/2/3\nAnswer with /event rsvp id:7"
    )
    sent = fields(spec, "")
    assert sent["scheduled_start_time"] == "2026-11-21T00:00:00+00:00"
    assert sent["entity_metadata"] == {"location": "l" * 100}
    assert description(MirrorSpec("create", 7, "n", "", "l", start, start), "") == (
        "Answer with /event rsvp id:7"
    )

"""Fixtures shared by the Discord tests: the stand-in with its guilds and people, and the bot
connected to it.

A test module that needs other guilds, people, stand-in settings or configuration overrides
the small fixture that gives them (``discord_guilds``, ``discord_people``,
``standin_settings``, ``ballot_secret``); ``standin`` and ``rig`` stay the ones here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.config import Config
from standins.discord import DiscordStandIn, Guild
from storage.db import Database
from tests.discord_support import DiscordRig, GuildMember, discord_config, guilds, people


@pytest.fixture
def discord_guilds() -> list[Guild]:
    """The stand-in's guilds: the organization's and one no organization lists."""
    return guilds()


@pytest.fixture
def discord_people() -> list[GuildMember]:
    """The people the stand-in knows, with their roles in each guild."""
    return people()


@pytest.fixture
def standin_settings() -> dict[str, Any]:
    """Keyword settings of the stand-in (its token, its limits); none by default."""
    return {}


@pytest.fixture
async def standin(
    discord_guilds: list[Guild],
    discord_people: list[GuildMember],
    standin_settings: dict[str, Any],
) -> AsyncIterator[DiscordStandIn]:
    """The Discord stand-in, started, with its guilds and people."""
    server = DiscordStandIn(discord_guilds, **standin_settings)
    await server.start()
    for person in discord_people:
        server.add_user(
            person.user_id, person.name, guild_id=person.guild_id, roles=list(person.roles)
        )
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def ballot_secret() -> str:
    """The polls' ballot secret in the bot's configuration; none by default."""
    return ""


@pytest.fixture
def bot_config(standin: DiscordStandIn, ballot_secret: str) -> Config:
    """The bot's configuration: Discord enabled, pointed at the stand-in."""
    config = discord_config(standin)
    config.polls.ballot_secret = ballot_secret
    return config


@pytest.fixture
async def rig(
    standin: DiscordStandIn, database: Database, bot_config: Config
) -> AsyncIterator[DiscordRig]:
    """The bot connected to the stand-in, its commands synced to the guild."""
    rig = DiscordRig(standin, database, bot_config)
    await rig.start_bot()
    await rig.sync()
    try:
        yield rig
    finally:
        await rig.stop_bot()

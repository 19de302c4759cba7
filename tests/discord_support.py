"""Helpers for the Discord tests: the real adapter and discord.py, against the stand-in.

``DiscordRig`` starts the local Discord stand-in, an application on a test database with the
Discord adapter in front of it, and offers people who type slash commands, click buttons
and submit modals, reading what the bot answered from the stand-in's records.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from adapters.discord import DiscordAdapter, sync_commands
from bot.app import Application
from bot.clock import MovableClock
from bot.config import Config, DiscordConfig, OrgConfig, RoleSources
from bot.registry import CommandGroup
from rallybot.groups import default_groups
from standins.discord import DiscordStandIn, Guild, Interaction
from storage.db import Database
from tests.support import START

GUILD = "100000000000000001"
ALERTS = "200000000000000001"
MODS = "200000000000000002"
GENERAL = "200000000000000003"
STRANGER_GUILD = "400000000000000001"
ORGANIZER_ROLE = "500000000000000001"
ADMIN_ROLE = "500000000000000002"
ANA = "700000000000000001"  # an organizer, by role name
BEA = "700000000000000002"  # a member
CAL = "700000000000000003"  # an admin, by role id


def org_config() -> OrgConfig:
    """The organization on the stand-in's guild: organizers by role name, admins by id."""
    return OrgConfig(
        slug="il-library-workers",
        name="Illinois Library Workers",
        timezone="America/Chicago",
        discord_guild_ids=[GUILD],
        alert_channels={"discord": [ALERTS]},
        moderation_channels={"discord": [MODS]},
        organizers=RoleSources(discord_roles=["Organizer"]),
        admins=RoleSources(discord_roles=[ADMIN_ROLE]),
    )


def guilds() -> list[Guild]:
    """The stand-in's guilds: the organization's and one no organization lists."""
    return [
        Guild(
            GUILD,
            "Illinois Library Workers",
            roles={ORGANIZER_ROLE: "Organizer", ADMIN_ROLE: "Admin"},
            channels=[ALERTS, MODS, GENERAL],
        ),
        Guild(STRANGER_GUILD, "Somewhere else", channels=["400000000000000002"]),
    ]


@dataclass(frozen=True)
class GuildMember:
    """A person the stand-in knows, in one guild, with role ids there."""

    user_id: str
    name: str
    guild_id: str = GUILD
    roles: tuple[str, ...] = ()


def people() -> list[GuildMember]:
    """The organization's organizer (by role name), a member and an admin (by role id); the
    member is also in the guild no organization lists."""
    return [
        GuildMember(ANA, "ana", roles=(ORGANIZER_ROLE,)),
        GuildMember(BEA, "bea"),
        GuildMember(CAL, "cal", roles=(ADMIN_ROLE,)),
        GuildMember(BEA, "bea", STRANGER_GUILD),
    ]


def discord_config(standin: DiscordStandIn, **settings: Any) -> Config:
    """A configuration with Discord enabled, pointed at the stand-in."""
    # the most a deferral may wait: the tests run on busy machines
    settings.setdefault("defer_after", timedelta(milliseconds=2500))
    discord = DiscordConfig(
        enabled=True, token=standin.token, api_url=standin.api_url, **settings
    )
    return Config(orgs=[org_config()], discord=discord)


@dataclass
class DiscordRig:
    """The stand-in, and the bot (application + Discord adapter) connected to it."""

    standin: DiscordStandIn
    database: Database
    config: Config
    clock: MovableClock = field(default_factory=lambda: MovableClock(START, frozen=True))
    app: Application | None = None
    adapter: DiscordAdapter | None = None
    #: features beside the default ones (a test's own commands)
    extra_groups: list[CommandGroup] = field(default_factory=list)

    async def start_bot(self) -> None:
        """Start the application and connect the adapter (as `rallybot run` would)."""
        self.adapter = DiscordAdapter(self.config)
        self.app = Application(
            self.config,
            groups=[*default_groups(), *self.extra_groups],
            clock=self.clock,
            db=self.database,
            senders=self.adapter.senders(),
        )
        await self.app.start(upgrade=False, background=False)
        # the stand-in tells the future (a scheduled event's start) by the bot's clock
        self.standin.clock = self.clock.now
        await self.adapter.start(self.app)

    async def stop_bot(self) -> None:
        """Disconnect the adapter (the database stays, as across a restart)."""
        if self.adapter is not None:
            await self.adapter.stop()
        self.adapter = None

    async def sync(self) -> int:
        """`rallybot discord sync --guild` for the organization's guild."""
        assert self.app is not None
        return await sync_commands(self.config, self.app.services.registry, GUILD)

    async def settle(self, *, retries: bool = False) -> None:
        """Run what is due and send the outbox now (with ``retries``, on a running clock,
        also what was put off by a rate limit)."""
        assert self.app is not None
        await self.app.scheduler.run_due()
        await self.app.delivery.drain(retries=retries, give_up_after=30)

    async def wait(self, interaction: Interaction, *, final: bool = True) -> Interaction:
        """Wait for the bot's answer (with ``final``, past a deferral to its edit)."""
        await asyncio.wait_for(interaction.answered.wait(), 10)
        if final and interaction.responses[0]["type"] == 5:
            for _ in range(500):
                if len(interaction.responses) > 1:
                    break
                await asyncio.sleep(0.02)
        return interaction

    async def slash(
        self, user: str, name: str, options: dict[str, Any] | None = None, *,
        sub: str | None = None, guild: str | None = GUILD, channel: str = GENERAL,
    ) -> Interaction:
        """Type a slash command and wait for its answer."""
        sent = await self.standin.slash(
            user, name, options, sub=sub, guild_id=guild,
            channel_id=channel if guild is not None else None,
        )
        return await self.wait(sent)

    async def click(
        self, user: str, message_id: str, label: str, *, guild: str | None = GUILD
    ) -> Interaction:
        """Click the button labelled ``label`` on a message and wait for the answer."""
        custom_id = button_id(self.standin.messages[message_id], label)
        return await self.wait(
            await self.standin.click(user, message_id, custom_id, guild_id=guild)
        )

    def message(self, interaction: Interaction, index: int = 0) -> dict[str, Any]:
        """The ``index``-th message an interaction's answers made (the first: its answer)."""
        assert interaction.messages, "the answer made no message"
        return self.standin.messages[interaction.messages[index]]

    async def submit(
        self, user: str, custom_id: str, values: dict[str, str], *, guild: str | None = GUILD
    ) -> Interaction:
        """Submit a modal and wait for the answer."""
        return await self.wait(
            await self.standin.submit(
                user, custom_id, values, guild_id=guild,
                channel_id=GENERAL if guild is not None else None,
            )
        )


def final(interaction: Interaction) -> dict[str, Any]:
    """The answer as it stands: the response, or, when it was deferred, its edit."""
    return interaction.responses[-1]


def text_of(interaction: Interaction) -> str:
    """Everything the bot said in answer: content, embed titles, descriptions and fields."""
    parts: list[str] = []
    for response in interaction.responses:
        parts.append(message_text(response["data"]))
    return "\n".join(p for p in parts if p)


def message_text(data: dict[str, Any]) -> str:
    """A message's visible text."""
    parts = [data.get("content") or ""]
    for embed in data.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields") or []]
    return "\n".join(p for p in parts if p)


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """A message's buttons: label -> custom id."""
    return {
        item["label"]: item["custom_id"]
        for row in message.get("components") or []
        for item in row["components"]
        if item.get("type") == 2
    }


def button_id(message: dict[str, Any], label: str) -> str:
    """The custom id of the button labelled ``label``."""
    found = buttons(message)
    assert label in found, f"no {label!r} button among {sorted(found)}"
    return found[label]

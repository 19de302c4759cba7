"""`rallybot run` and `rallybot discord sync` as processes against the Discord stand-in, and
two shard processes' worth of clients sharing one guild list.

The bot runs as a real subprocess from a config file whose ``[discord] api_url`` points at
the stand-in (the token comes from the environment); the stand-in answers late callbacks
as Discord does (unknown interaction after 3 seconds), so every answered command was
answered in time.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from standins.config import run_config
from standins.discord import DiscordStandIn, Guild, Interaction
from storage.db import Database
from tests.discord_support import (
    ALERTS,
    ANA,
    BEA,
    GENERAL,
    GUILD,
    MODS,
    ORGANIZER_ROLE,
    DiscordRig,
    GuildMember,
    button_id,
    discord_config,
    text_of,
)
from tests.support import ROOT

DAN = "700000000000000044"  # files an anonymous layoff report, and nothing else


def run_config_text(standin: DiscordStandIn, db: Path, *, sync_on_start: bool = True) -> str:
    """The config.toml of a `rallybot run` on the Discord stand-in, one organization on GUILD."""
    discord: dict[str, object] = {"enabled": True, "api_url": standin.api_url}
    if sync_on_start:
        discord["sync_on_start"] = True
    org = {"slug": "il-library-workers", "name": "Illinois Library Workers"}
    org |= {"timezone": "America/Chicago", "discord_guild_ids": [GUILD]}
    org["alert_channels"] = {"discord": [ALERTS]}
    org["moderation_channels"] = {"discord": [MODS]}
    org["organizers"] = {"discord_roles": ["Organizer"]}
    return run_config(db, orgs=[org], bot={"log_level": "DEBUG"}, discord=discord)


@pytest.fixture
def standin_settings() -> dict[str, Any]:
    """The stand-in's own token, which the bot process reads from its environment."""
    return {"token": "process-token-0123456789abcdef"}


@pytest.fixture
def discord_people() -> list[GuildMember]:
    """An organizer, a member and an anonymous reporter."""
    return [
        GuildMember(ANA, "ana", roles=(ORGANIZER_ROLE,)),
        GuildMember(BEA, "bea"),
        GuildMember(DAN, "dan"),
    ]


class BotProcess:
    """`rallybot run --config FILE` in a subprocess, its log collected."""

    def __init__(self, config: Path, token: str) -> None:
        self.config = config
        self.env = {**os.environ, "RALLYBOT_DISCORD__TOKEN": token}
        self.proc: asyncio.subprocess.Process | None = None
        self.log = b""

    async def start(self) -> None:
        """Start the process."""
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "rallybot",
            "run",
            "--config",
            str(self.config),
            cwd=ROOT,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )

    async def stop(self) -> int:
        """SIGTERM, as a service manager stops it; the exit status."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(self.proc.communicate(), 30)
        self.log += out
        return self.proc.returncode or 0


async def answered(interaction: Interaction) -> Interaction:
    """Wait for the bot's first answer (and a deferred one's edit)."""
    await asyncio.wait_for(interaction.answered.wait(), 10)
    if interaction.responses[0]["type"] == 5:
        for _ in range(500):
            if len(interaction.responses) > 1:
                break
            await asyncio.sleep(0.02)
    return interaction


async def test_rallybot_run_serves_every_group_and_its_buttons_survive_a_restart(
    standin: DiscordStandIn, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(run_config_text(standin, tmp_path / "bot.db"))
    bot = BotProcess(config, standin.token)
    await bot.start()
    try:
        await standin.wait_connected(1, within=60)
        assert standin.commands[GUILD], "sync_on_start put the commands on the guild"
        said = []
        for user, name, options, sub in [
            (BEA, "help", None, None),
            (BEA, "profile", {"state": "IL", "alert_dms": True}, None),
            (BEA, "link", None, None),
            (BEA, "privacy", None, "export"),
            (BEA, "reminder", {"when": "in 1 hour", "text": "Call"}, "add"),
            (DAN, "layoff", {"employer": "Oak Park Library", "workers": "4"}, "report"),
            (
                ANA,
                "alert",
                {"title": "Call the mayor", "body": "Budget.", "kind": "call"},
                "create",
            ),
            (ANA, "alert", {"id": 1}, "send"),
        ]:
            got = await answered(
                await standin.slash(
                    user, name, options, sub=sub, guild_id=GUILD, channel_id=GENERAL
                )
            )
            said.append(text_of(got))
            assert not got.late and not said[-1].startswith("Something went wrong"), said[-1]
        assert re.search(r"Your report is L-\d{4,5}\. It is anonymous", said[5]), said[5]
        for _ in range(500):  # the alert goes out through the running delivery engine
            if standin.messages_in(ALERTS):
                break
            await asyncio.sleep(0.02)
        posts = standin.messages_in(ALERTS)
        assert len(posts) == 1, [(m["content"], m["embeds"]) for m in posts]
        post = posts[0]
        assert await bot.stop() == 0

        await bot.start()  # a new process: the old message's buttons still work
        await standin.wait_connected(1, within=60)
        acted = await answered(
            await standin.click(BEA, post["id"], button_id(post, "I took action"), guild_id=GUILD)
        )
        assert "action" in text_of(acted).lower() and not acted.late
    finally:
        assert await bot.stop() == 0
    log = bot.log.decode(errors="replace")
    assert "connected to Discord" in log
    assert standin.token not in log  # the token never reaches the log
    assert DAN not in log  # nor who filed the anonymous report


async def test_rallybot_discord_sync_replaces_the_guilds_commands(
    standin: DiscordStandIn, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(run_config_text(standin, tmp_path / "bot.db", sync_on_start=False))
    env = {**os.environ, "RALLYBOT_DISCORD__TOKEN": standin.token}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "rallybot",
        "discord",
        "sync",
        "--config",
        str(config),
        "--guild",
        GUILD,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert out.decode().strip() == f"synced 10 slash commands to guild {GUILD}"
    assert len(standin.commands[GUILD]) == 10 and standin.command_writes[GUILD] == 10
    assert None not in standin.commands  # nothing global

    bad = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "rallybot",
        "discord",
        "sync",
        "--config",
        str(config),
        "--guild",
        "not-an-id",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(bad.communicate(), 60)
    assert bad.returncode == 2 and "--guild: 'not-an-id' is not a Discord guild id" in err.decode()


async def test_two_shard_processes_split_the_guilds(database: Database) -> None:
    # guild ids whose shard (id >> 22) % 2 is 0 and 1
    first, second = str(0 << 22 | 1), str(1 << 22 | 1)
    standin = DiscordStandIn(
        [Guild(first, channels=["10"]), Guild(second, channels=["11"])], shard_count=2
    )
    await standin.start()
    config = discord_config(standin, shard_count=2, shard_ids=[0])
    config.orgs[0].discord_guild_ids = [first, second]
    config.orgs[0].alert_channels = {"discord": []}
    config.orgs[0].moderation_channels = {"discord": []}
    other = discord_config(standin, shard_count=2, shard_ids=[1])
    other.orgs = config.orgs
    rigs = [DiscordRig(standin, database, config), DiscordRig(standin, database, other)]
    try:
        for rig in rigs:
            await rig.start_bot()
        assert standin.connected_shards() == [0, 1]
        for guild in (first, second):
            got = await answered(await standin.slash(BEA, "help", guild_id=guild))
            assert "/layoff — Report layoffs" in text_of(got)
        assert len(rigs[0].adapter.client.guilds) == 1  # type: ignore[union-attr]
        assert rigs[0].adapter.client.guilds[0].id == int(first)  # type: ignore[union-attr]
    finally:
        for rig in rigs:
            await rig.stop_bot()
        await standin.stop()

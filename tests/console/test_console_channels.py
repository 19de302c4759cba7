"""Channels are shown to people by name on the console: in replies that list where something
was posted and in the place tags of what the console prints for each platform."""

from __future__ import annotations

import io
from pathlib import Path

from adapters.console import Screen, console_senders
from bot.config import BotConfig, Config, demo_org
from storage.db import Database
from tests.support import ConsoleBot, Person, run_rallybot, start_bot

ORGANIZER = Person("olu", roles=frozenset({"organizer"}))
POLL = '/poll create question:"Strike?" options:"Yes | No" anonymous:no'


async def test_channels_are_named_in_replies_and_place_tags(
    database: Database, tmp_path: Path
) -> None:
    config = Config(
        orgs=[demo_org(named_channels=True)], bot=BotConfig(files_dir=str(tmp_path / "files"))
    )
    out = io.StringIO()
    screen = Screen(out, tmp_path / "files")
    bot = await start_bot(
        database, config=config, senders=console_senders(screen, config.channel_names())
    )
    t = ConsoleBot(bot, out, screen)
    created = await t.ok(ORGANIZER, POLL)
    assert "is posted in #alerts, discord #alerts, slack #alerts." in created.text
    await bot.app.settle()
    for place in ("#alerts", "slack #alerts", "discord #alerts"):
        assert any("Poll 1: Strike?" in text for text in t.at(place)), place
    shown = out.getvalue()
    assert "CALERTS" not in shown and "200000000000000001" not in shown


def test_rallybot_console_shows_the_names_a_config_gives(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[[orgs]]\nslug = "il"\nslack_team_ids = ["T0001"]\n'
        'discord_guild_ids = ["100000000000000009"]\n'
        'organizers = { console_roles = ["organizer"] }\n'
        'alert_channels = { slack = ["C0ALERTS#statewide"], discord = [{ id = '
        '"200000000000000009", name = "rally-room" }], console = ["alerts"] }\n'
    )
    script = f"!as olu organizer\n{POLL}\n"
    done = run_rallybot(["console", "--config", "config.toml"], tmp_path, script)
    assert done.returncode == 0, done.stderr
    shown = done.stdout
    assert "is posted in #alerts, discord #rally-room, slack #statewide." in shown
    assert "[slack #statewide] == Poll 1: Strike? ==" in shown
    assert "[discord #rally-room] == Poll 1: Strike? ==" in shown
    assert "C0ALERTS" not in shown and "200000000000000009" not in shown

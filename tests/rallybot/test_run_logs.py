"""The logs of a real `rallybot run` on both stand-ins with ``[bot] log_format = "json"``:
every line one JSON object, each adapter's one INFO line (where Slack listens, that Discord
connected), no voice warning, and no secret anywhere."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from standins.config import run_config
from standins.discord import DiscordStandIn
from standins.slack import SlackStandIn
from tests.discord_support import ALERTS, GUILD, guilds
from tests.slack_support import SECRET, TEAM
from tests.support import ROOT

SLACK_TOKEN = "xoxb-run-logs-0123456789"
DISCORD_TOKEN = "run-logs-discord-token-0123456789"


async def _lines_until(
    stream: asyncio.StreamReader, wanted: list[str], within: float
) -> list[dict[str, Any]]:
    """JSON lines read from ``stream`` until each of ``wanted`` began a message."""
    records: list[dict[str, Any]] = []
    async with asyncio.timeout(within):
        while not all(any(r["message"].startswith(w) for r in records) for w in wanted):
            line = await stream.readline()
            assert line, f"the process ended; it logged {records}"
            records.append(json.loads(line))
    return records


async def test_a_run_logs_json_lines_with_one_line_per_adapter(tmp_path: Path) -> None:
    slack = SlackStandIn(team_id=TEAM, bot_token=SLACK_TOKEN)
    discord = DiscordStandIn(guilds(), token=DISCORD_TOKEN)
    await slack.start()
    await discord.start()
    org = {
        "slug": "il-library-workers",
        "slack_team_ids": [TEAM],
        "discord_guild_ids": [GUILD],
        "alert_channels": {"slack": ["C0ALERTS"], "discord": [ALERTS]},
    }
    config = run_config(
        tmp_path / "run.db",
        orgs=[org],
        bot={"log_level": "INFO", "log_format": "json"},
        slack={"enabled": True, "host": "127.0.0.1", "port": 0, "api_url": slack.api_url},
        discord={"enabled": True, "api_url": discord.api_url},
    )
    (tmp_path / "config.toml").write_text(config, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RALLYBOT_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "RALLYBOT_SLACK__SIGNING_SECRET": SECRET,
        "RALLYBOT_SLACK__BOT_TOKEN": SLACK_TOKEN,
        "RALLYBOT_DISCORD__TOKEN": DISCORD_TOKEN,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "rallybot", "run", "--config", "config.toml"),
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stderr is not None
        records = await _lines_until(
            proc.stderr, ["Slack: listening on http://127.0.0.1:", "connected to Discord"], 60
        )
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        _, rest = await asyncio.wait_for(proc.communicate(), 30)
        await discord.stop()
        await slack.stop()
    records += [json.loads(line) for line in rest.decode().splitlines()]
    assert proc.returncode == 0
    for record in records:
        assert {"time", "level", "logger", "message"} <= set(record)
    text = json.dumps(records)
    for secret in (SECRET, SLACK_TOKEN, DISCORD_TOKEN):
        assert secret not in text
    assert "voice will NOT be supported" not in text
    listening = [r for r in records if r["message"].startswith("Slack: listening")]
    connected = [r for r in records if r["message"].startswith("connected to Discord")]
    assert [r["level"] for r in listening + connected] == ["INFO", "INFO"]
    assert connected[0]["message"] == "connected to Discord: 2 guild(s)"

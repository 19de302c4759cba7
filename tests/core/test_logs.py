"""Logs: ``[bot] log_format`` (text, or one JSON object a line) with secrets scrubbed in both;
the key checked like every other; no routine chatter at INFO (APScheduler's runs of the
polling job, discord.py's voice warnings); and one INFO line per adapter saying where it
listens or that it connected, without a secret."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import discord
import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import ConfigError, load_config
from bot.logs import CHATTY, DISCORD_CLIENT_LOG, REDACTED, configure_logging
from standins.discord import DiscordStandIn
from storage.db import Database
from tests.discord_support import DiscordRig, discord_config, guilds
from tests.slack_support import SECRET, slack_rig

TOKEN = "discord-token-not-for-logs"
SLACK_TOKEN = "xoxb-1234-from-an-oauth-install"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Each test may reconfigure logging; the next one finds it as it was."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in CHATTY}
    client_filters = list(logging.getLogger(DISCORD_CLIENT_LOG).filters)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)
    logging.getLogger(DISCORD_CLIENT_LOG).filters[:] = client_filters


def _log_with_secrets() -> None:
    log = logging.getLogger("rallybot.test")
    log.info("sending with %s and %s", TOKEN, SLACK_TOKEN)
    try:
        raise RuntimeError(f"Discord refused {TOKEN}")
    except RuntimeError:
        log.exception("a send failed")


def test_text_lines_are_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", [TOKEN], "text")
    _log_with_secrets()
    err = capsys.readouterr().err
    assert f"INFO rallybot.test: sending with {REDACTED} and {REDACTED}" in err
    assert f"RuntimeError: Discord refused {REDACTED}" in err
    assert TOKEN not in err and SLACK_TOKEN not in err


def test_json_lines_are_one_object_each_and_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", [TOKEN], "json")
    _log_with_secrets()
    err = capsys.readouterr().err
    assert TOKEN not in err and SLACK_TOKEN not in err
    first, second = (json.loads(line) for line in err.splitlines())
    assert set(first) == {"time", "level", "logger", "message"}
    assert first["level"] == "INFO" and first["logger"] == "rallybot.test"
    assert first["message"] == f"sending with {REDACTED} and {REDACTED}"
    when = datetime.fromisoformat(first["time"])
    assert when.tzinfo is not None and abs(datetime.now(UTC) - when).total_seconds() < 60
    assert second["level"] == "ERROR" and second["message"] == "a send failed"
    assert second["exception"].startswith("Traceback (most recent call last):")
    assert second["exception"].endswith(f"RuntimeError: Discord refused {REDACTED}")


def test_log_format_is_text_unless_set() -> None:
    assert load_config(None, environ={}).bot.log_format == "text"
    environ = {"RALLYBOT_BOT__LOG_FORMAT": "json"}
    assert load_config(None, environ=environ).bot.log_format == "json"


@pytest.mark.parametrize("value", ["JSON", "xml", ""])
def test_a_log_format_that_is_not_one_is_refused(tmp_path, value: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[bot]\nlog_format = "{value}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(path, environ={})
    assert str(refused.value) == (
        f'{path}: [bot] log_format: {value!r} is not a log format; use "text" or "json"'
    )
    with pytest.raises(ConfigError, match=r"\[bot\] log_format"):
        load_config(None, environ={"RALLYBOT_BOT__LOG_FORMAT": value})


async def test_the_schedulers_runs_say_nothing_at_info(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", [], "text")
    ran = asyncio.Event()
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(ran.set, "date", run_date=datetime.now(UTC), id="due-poll")
    scheduler.start()
    try:
        await asyncio.wait_for(ran.wait(), 10)
        await asyncio.sleep(0.05)  # the executor logs once the job returned
    finally:
        scheduler.shutdown(wait=False)
    logging.getLogger("rallybot.scheduler").warning("a late item")
    err = capsys.readouterr().err
    assert "Running job" not in err and "executed successfully" not in err
    assert "WARNING rallybot.scheduler: a late item" in err  # the handler did write


async def test_discord_voice_warnings_are_dropped(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", [], "text")
    voice = discord.VoiceClient
    before = (voice.warn_nacl, voice.warn_dave)
    voice.warn_nacl = voice.warn_dave = True  # as in a fresh process
    try:
        client = discord.Client(intents=discord.Intents.none())
        await client.close()
    finally:
        voice.warn_nacl, voice.warn_dave = before
    logging.getLogger(DISCORD_CLIENT_LOG).warning("the gateway asked us to reconnect")
    err = capsys.readouterr().err
    assert "voice will NOT be supported" not in err
    assert "WARNING discord.client: the gateway asked us to reconnect" in err


async def test_the_slack_adapter_says_where_it_listens(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rallybot.slack")
    async with slack_rig(database) as rig:
        port = rig.adapter.port
        tokens = [rig.standin.bot_token, rig.standin.app_token]
    lines = [r.getMessage() for r in caplog.records if r.name == "rallybot.slack"]
    assert lines == [f"Slack: listening on http://127.0.0.1:{port}/slack/events (and /healthz)"]
    for secret in [SECRET, *tokens]:
        assert secret not in caplog.text


async def test_the_slack_adapter_says_it_connected_in_socket_mode(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rallybot.slack")
    async with slack_rig(database, mode="socket", signing_secret="") as rig:
        api_url = rig.standin.api_url
        tokens = [rig.standin.bot_token, rig.standin.app_token]
    lines = [r.getMessage() for r in caplog.records if r.name == "rallybot.slack"]
    assert lines == [f"Slack: connected in Socket Mode to {api_url}"]
    for secret in tokens:
        assert secret not in caplog.text


async def test_the_discord_adapter_says_it_connected(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="adapters.discord")
    standin = DiscordStandIn(guilds(), token=TOKEN)
    await standin.start()
    rig = DiscordRig(standin, database, discord_config(standin))
    try:
        await rig.start_bot()
        await rig.stop_bot()
    finally:
        await standin.stop()
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("adapters.discord")]
    assert "connected to Discord: 2 guild(s)" in lines
    assert TOKEN not in caplog.text

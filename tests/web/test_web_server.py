"""The web server itself: ``/healthz`` and the tracker while the database is away, one
server shared with the Slack HTTP endpoint on the same port or two on different ports
(`rallybot run`'s adapters), the ``[web]`` keys and their refusals, and `rallybot console
--web PORT`."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from asyncio.subprocess import PIPE
from pathlib import Path

import aiohttp
import pytest

from bot.app import Application
from bot.clock import MovableClock
from bot.config import ConfigError, WebConfig, load_config
from rallybot.groups import default_groups
from rallybot.runner import enabled_adapters
from standins.slack import SlackStandIn
from storage.db import Database
from tests.rallybot.test_startup import relayed_postgres
from tests.slack_support import TEAM, slack_config
from tests.support import ROOT, START, run_rallybot
from tests.web_support import web_rig


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_healthz_and_the_tracker_answer_503_while_the_database_is_unreachable(
    pg_url: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    async with relayed_postgres(pg_url) as (relay, database), web_rig(database) as rig:
        status, _, body = await rig.get("/healthz")
        assert status == 200 and body == b'{"ok": true}'
        assert (await rig.get("/o/demo/layoffs"))[0] == 200
        await relay.stop()
        status, _, body = await rig.get("/healthz")
        assert status == 503 and body == b'{"ok": false, "database": "unreachable"}'
        status, _, body = await rig.get("/o/demo/layoffs?state=IL")
        assert status == 503 and b"cannot be shown right now" in body
    assert "Traceback" not in caplog.text


async def serving(database: Database, web: WebConfig) -> tuple[SlackStandIn, Application, list]:
    """`rallybot run`'s adapters for Slack in HTTP mode on port 0 and ``web``, started."""
    standin = SlackStandIn(team_id=TEAM)
    await standin.start()
    config = slack_config(standin)
    config.web = web
    config.orgs[0].public_tracker = True
    adapters = enabled_adapters(config)
    app = Application(
        config,
        clock=MovableClock(START, frozen=True),
        db=database,
        groups=default_groups(),
        senders={name: s for a in adapters for name, s in a.senders().items()},
    )
    await app.start(upgrade=False, background=False)
    for adapter in adapters:
        await adapter.start(app)
    return standin, app, adapters


async def stop(standin: SlackStandIn, app: Application, adapters: list) -> None:
    for adapter in reversed(adapters):
        await adapter.stop()
    await app.stop()
    await standin.stop()


async def test_the_pages_share_the_slack_server_on_the_same_host_and_port(
    database: Database,
) -> None:
    standin, app, adapters = await serving(
        database, WebConfig(enabled=True, host="127.0.0.1", port=0)
    )
    try:
        assert [a.name for a in adapters] == ["slack"]
        base = f"http://127.0.0.1:{adapters[0].port}"
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/o/il-library-workers/layoffs") as page:
                assert page.status == 200 and "Illinois Library Workers" in await page.text()
            async with session.get(f"{base}/healthz") as health:
                assert (await health.json())["ok"] is True
            async with session.post(f"{base}/slack/events", data=b"{}") as unsigned:
                assert unsigned.status == 401  # Slack's endpoint is still checked as before
    finally:
        await stop(standin, app, adapters)


async def test_the_pages_have_a_server_of_their_own_on_another_port(database: Database) -> None:
    port = free_port()
    standin, app, adapters = await serving(
        database, WebConfig(enabled=True, host="127.0.0.1", port=port)
    )
    try:
        assert [a.name for a in adapters] == ["slack", "web"]
        async with aiohttp.ClientSession() as session:
            base = f"http://127.0.0.1:{port}"
            async with session.get(f"{base}/o/il-library-workers/layoffs.json") as data:
                assert data.status == 200 and (await data.json())["totals"]["reports"] == 0
            async with session.get(f"{base}/healthz") as health:
                assert await health.json() == {"ok": True}
            slack = f"http://127.0.0.1:{adapters[0].port}/o/il-library-workers/layoffs"
            async with session.get(slack) as elsewhere:
                assert elsewhere.status == 404
    finally:
        await stop(standin, app, adapters)


@pytest.mark.parametrize(
    ("text", "env", "named"),
    [
        ("[web]\nport = 70000\n", {}, "[web] port: must be from 0 to 65535"),
        ('[web]\nbase_url = "ftp://x.example"\n', {}, "[web] base_url: 'ftp://x.example' is not"),
        ('[web]\nhost = ""\n', {}, "[web] host: must not be empty"),
        ("", {"RALLYBOT_WEB__PORT": "eighty"}, "RALLYBOT_WEB__PORT: must be a whole number"),
        ('[[orgs]]\nslug = "a"\npublic_tracker = "yes"\n', {}, "public_tracker: must be true"),
    ],
)
def test_bad_web_settings_are_refused_naming_the_key(
    tmp_path: Path, text: str, env: dict[str, str], named: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(path, env)
    assert named in str(refused.value)


def test_web_settings_come_from_the_file_and_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[web]\nenabled = true\nbase_url = "https://rally.example.org/"\n'
        '[[orgs]]\nslug = "il"\npublic_tracker = true\n',
        encoding="utf-8",
    )
    config = load_config(path, {"RALLYBOT_WEB__PORT": "9000", "RALLYBOT_WEB__HOST": "127.0.0.1"})
    assert (config.web.enabled, config.web.host, config.web.port) == (True, "127.0.0.1", 9000)
    assert config.web.tracker_url("il") == "https://rally.example.org/o/il/layoffs"
    assert config.orgs[0].public_tracker is True


def test_the_console_serves_the_web_pages_when_asked(tmp_path: Path) -> None:
    port = free_port()
    done = run_rallybot(["console", "--web", str(port)], tmp_path, "!quit\n")
    assert done.returncode == 0, done.stderr
    assert f"The web pages are at http://127.0.0.1:{port}/o/demo/layoffs" in done.stdout
    refused = run_rallybot(["console", "--web", "0"], tmp_path, "!quit\n")
    assert refused.returncode == 2 and "--web: '0' is not a port" in refused.stderr


async def test_the_console_shows_a_verified_report_on_its_tracker(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RALLYBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    console = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "rallybot", "console", "--web", str(port),
        cwd=tmp_path, env=env, stdin=PIPE, stdout=PIPE, stderr=PIPE,
    )  # fmt: skip
    assert console.stdin is not None and console.stdout is not None

    async def said(line: str, until: str) -> str:
        assert console.stdin is not None and console.stdout is not None
        console.stdin.write(line.encode() + b"\n")
        await console.stdin.drain()
        while True:
            out = (await asyncio.wait_for(console.stdout.readline(), 60)).decode()
            assert out, "the console ended"
            if until in out:
                return out

    try:
        answer = await said(
            '/layoff report "Oak Park PL" state:IL workers:12 '
            "source:https://news.example/oak anonymous:no",
            "Your report is L-",
        )
        assert f"http://127.0.0.1:{port}/o/demo/layoffs" in answer
        ref = answer.split("Your report is L-")[1].split(".")[0]
        await said("!as olu organizer", "You are now olu")
        await said(f"/layoff verify id:{ref}", "is now marked verified")
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/o/demo/layoffs.json") as data:
                found = await data.json()
        assert found["totals"] == {"reports": 1, "workers": 12, "libraries": 1}
        console.stdin.write(b"!quit\n")
        await console.stdin.drain()
        assert await asyncio.wait_for(console.wait(), 60) == 0
    finally:
        if console.returncode is None:
            console.kill()
            await console.wait()

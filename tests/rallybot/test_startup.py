"""Start-up failures of the real `rallybot` command, each told in one line: a database that
cannot be used (a missing folder, a file that is not a database, a lock held elsewhere, a
PostgreSQL server that is not there or has no such database), the Slack port in use, a
bad log level or JSON override; ``/healthz`` answering 503 while the database is away; and
``[database] echo`` logs going through the secret filter."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sqlite3
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.config import ConfigError
from storage.db import LOCK_WAIT, Database
from tests.conftest import PG_URL, require_postgres
from tests.slack_support import SECRET, slack_rig
from tests.support import run_rallybot

RUN_CONFIG = """\
[slack]
enabled = true
mode = "http"
host = "127.0.0.1"
port = {port}
api_url = "http://127.0.0.1:9/api/"

[[orgs]]
slug = "il-library-workers"
slack_team_ids = ["T0001"]
"""


def run_with(
    tmp_path: Path, *, url: str | None = None, port: int = 0, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`rallybot run` with Slack in HTTP mode on ``port`` and the database at ``url``."""
    (tmp_path / "config.toml").write_text(RUN_CONFIG.format(port=port), encoding="utf-8")
    full_env = {
        "RALLYBOT_SLACK__SIGNING_SECRET": SECRET,
        "RALLYBOT_SLACK__BOT_TOKEN": "xoxb-startup-test-token",
        "RALLYBOT_DATABASE__URL": url or f"sqlite+aiosqlite:///{tmp_path / 'rallybot.db'}",
        **(env or {}),
    }
    return run_rallybot(["run", "--config", "config.toml"], tmp_path, env=full_env)


def one_line(done: subprocess.CompletedProcess[str], setting: str) -> str:
    """The one line a failed start wrote, checked: non-zero exit, no traceback, the setting."""
    assert done.returncode != 0, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    (line,) = lines
    assert line.startswith("rallybot: ") and setting in line, line
    return line


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_sqlite_file_in_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "folder"
    line = one_line(
        run_with(tmp_path, url=f"sqlite+aiosqlite:///{missing / 'rallybot.db'}"), "[database] url"
    )
    assert str(missing) in line and "does not exist" in line
    assert not missing.exists()


def test_a_sqlite_file_that_does_not_exist_yet_is_made(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    done = run_rallybot(
        ["db", "upgrade"], tmp_path, env={"RALLYBOT_DATABASE__URL": f"sqlite+aiosqlite:///{path}"}
    )
    assert done.returncode == 0, done.stderr
    assert path.exists() and "database is at revision" in done.stdout


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"These are meeting notes, not a database.\n" * 200)
    line = one_line(run_with(tmp_path, url=f"sqlite+aiosqlite:///{path}"), "[database] url")
    assert "is not a SQLite database" in line
    assert path.read_bytes().startswith(b"These are meeting notes")  # left as it was


def test_a_sqlite_database_locked_by_another_program_fails_fast(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("CREATE TABLE held (x)")
        holder.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        done = run_with(tmp_path, url=f"sqlite+aiosqlite:///{path}")
        took = time.monotonic() - started
    finally:
        holder.close()
    line = one_line(done, "[database] url")
    assert "is locked by another program" in line
    assert took < LOCK_WAIT + 15


async def test_a_postgresql_database_that_does_not_exist(tmp_path: Path) -> None:
    await require_postgres()
    url = PG_URL.rsplit("/", 1)[0] + "/no_such_db_xyz"
    line = one_line(run_with(tmp_path, url=url), "[database] url")
    assert "'no_such_db_xyz'" in line and "no such database" in line


def test_postgresql_that_does_not_answer(tmp_path: Path) -> None:
    port = free_port()
    url = f"postgresql+asyncpg://rallybot:pw-not-shown@127.0.0.1:{port}/rallybot"
    line = one_line(run_with(tmp_path, url=url), "[database] url")
    assert f"127.0.0.1:{port}" in line and "refused" in line
    assert "pw-not-shown" not in line


@pytest.mark.parametrize("server", ["slack", "web"])
def test_a_port_in_use(tmp_path: Path, server: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        if server == "slack":
            done = run_with(tmp_path, port=port)
        else:  # the web pages on a port of their own, the Slack endpoint elsewhere
            web = {
                "RALLYBOT_WEB__ENABLED": "true",
                "RALLYBOT_WEB__HOST": "127.0.0.1",
                "RALLYBOT_WEB__PORT": str(port),
                # the Slack endpoint starts first and says where it listens, at INFO
                "RALLYBOT_BOT__LOG_LEVEL": "WARNING",
            }
            done = run_with(tmp_path, port=free_port(), env=web)
        line = one_line(done, f"[{server}] port")
    assert f"{port} on 127.0.0.1 is in use by another program" in line


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("RALLYBOT_BOT__LOG_LEVEL", "LOUD", "[bot] log_level"),
        ("RALLYBOT_DISCORD__SHARD_IDS", "[0, 1", "RALLYBOT_DISCORD__SHARD_IDS"),
    ],
)
def test_a_bad_setting_from_the_environment_names_its_key(
    tmp_path: Path, variable: str, value: str, named: str
) -> None:
    line = one_line(run_with(tmp_path, env={variable: value}), named)
    assert value.split(",")[0] in line or "JSON" in line


# --- /healthz -------------------------------------------------------------------------------


class Relay:
    """A TCP relay on 127.0.0.1 to another port, that can be stopped (cutting every
    connection through it) to make what is behind it unreachable."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()


@contextlib.asynccontextmanager
async def relayed_postgres(pg_url: tuple[str, str]) -> AsyncIterator[tuple[Relay, Database]]:
    """A migrated database on the test's PostgreSQL schema, reached through a relay."""
    url, schema = pg_url
    from sqlalchemy.engine import make_url

    target = make_url(url)
    relay = Relay(target.host or "127.0.0.1", target.port or 5432)
    await relay.start()
    database = Database(
        target.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False),
        schema=schema,
    )
    await database.upgrade()
    try:
        yield relay, database
    finally:
        await database.dispose()


async def test_healthz_answers_503_while_the_database_is_unreachable(pg_url, caplog) -> None:
    async with relayed_postgres(pg_url) as (relay, database), slack_rig(database) as rig:
        health = f"http://127.0.0.1:{rig.adapter.port}/healthz"
        async with aiohttp.ClientSession() as session:
            async with session.get(health) as up:
                assert up.status == 200 and (await up.json())["ok"] is True
            await relay.stop()
            async with session.get(health) as down:
                assert down.status == 503
                assert (await down.json()) == {
                    "ok": False,
                    "mode": "http",
                    "database": "unreachable",
                }
        assert "Traceback" not in caplog.text


# --- [database] echo ------------------------------------------------------------------------


def test_echo_logs_go_through_the_secret_filter(tmp_path: Path) -> None:
    configured = "xoxb-1111-2222-configuredTokenValue"
    installed = "xoxb-3333-4444-installedThroughOauth"
    script = f'!as ana\n/reminder add when:"in 2 hours" text:"paste {configured} and {installed}"\n'
    done = run_rallybot(
        ["console"],
        tmp_path,
        script,
        env={"RALLYBOT_DATABASE__ECHO": "true", "RALLYBOT_SLACK__BOT_TOKEN": configured},
    )
    assert done.returncode == 0, done.stderr
    echoed = [
        line for line in (done.stdout + done.stderr).splitlines() if "sqlalchemy.engine" in line
    ]
    assert any("INSERT INTO reminders" in line for line in echoed)  # the statement log is on
    assert not [line for line in echoed if configured in line or installed in line]
    assert any("paste [redacted] and [redacted]" in line for line in echoed)


def test_an_adapter_setting_that_is_missing_is_one_line_naming_it(tmp_path: Path) -> None:
    line = one_line(
        run_with(tmp_path, env={"RALLYBOT_SLACK__SIGNING_SECRET": ""}), "[slack] signing_secret"
    )
    assert "needed in http mode" in line


def test_an_unknown_organization_for_the_console_is_named(tmp_path: Path) -> None:
    env = {"RALLYBOT_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"}
    done = run_rallybot(["console", "--org", "nope"], tmp_path, env=env)
    assert done.returncode == 2
    line = one_line(done, "no organization with slug 'nope'")
    assert line.startswith("rallybot: ")


def test_a_config_error_names_section_and_key() -> None:
    error = ConfigError.at("discord", "token", "is empty", source="config.toml")
    assert str(error) == "config.toml: [discord] token: is empty"
    assert str(ConfigError.at("slack", "port", "must be from 0 to 65535")) == (
        "[slack] port: must be from 0 to 65535"
    )

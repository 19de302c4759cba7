"""`rallybot backup` and `rallybot restore` through the command line, on SQLite files and on
scratch PostgreSQL databases: a backup taken while an alert's fan-out is being delivered
restores every message sent and every ballot cast before it began, marks the messages that
were in flight, refuses a database that is not empty, is written 0600 and never shows the
database password."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import stat
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.clock import MovableClock
from bot.config import BotConfig, Config, PollsConfig, demo_org
from rallybot.backup import libpq_command
from rallybot.check import check_restored
from rallybot.cli import main
from storage.db import Database
from storage.models import Member, OutboxMessage, PollBallot
from storage.restore import RESTORED_ERROR, restored_unknown
from tests.conftest import PG_URL, REQUIRE_PG, require_postgres
from tests.sink import Sink, SinkFaults, SinkSender
from tests.support import START, Person, ok, start_bot

ORGANIZER = Person("olu", roles=frozenset({"organizer"}))
MEMBERS = 80
#: a password the local server (trust authentication) ignores, unless the tests' URL has one
PASSWORD = make_url(PG_URL).password or "pw-never-shown-4f1c"


@dataclass
class Databases:
    """Where the bot runs and where its backup is restored, each with its config file."""

    source: str
    target: str
    source_config: Path
    target_config: Path
    password: str | None


def _config_file(path: Path, url: str, *, secret: bool) -> Path:
    polls = '[polls]\nballot_secret = "a-ballot-secret-for-tests-only"\n' if secret else ""
    path.write_text(f'[database]\nurl = "{url}"\n{polls}', encoding="utf-8")
    return path


async def _admin(statement: str) -> None:
    conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def databases(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Databases]:
    """Two SQLite files, or two scratch PostgreSQL databases made and dropped here."""
    if request.param == "sqlite":
        source = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        target = f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
        yield Databases(
            source,
            target,
            _config_file(tmp_path / "bot.toml", source, secret=False),
            _config_file(tmp_path / "restored.toml", target, secret=False),
            None,
        )
        return
    await require_postgres()
    missing = [p for p in ("pg_dump", "pg_restore") if shutil.which(p) is None]
    if missing:
        said = f"{' and '.join(missing)} not installed (apt install postgresql-client)"
        if REQUIRE_PG:
            pytest.fail(said)
        pytest.skip(said)
    suffix = uuid.uuid4().hex[:12]
    names = (f"rallybot_backup_{suffix}", f"rallybot_restore_{suffix}")
    base = make_url(PG_URL).set(password=PASSWORD)
    source, target = (base.set(database=n).render_as_string(hide_password=False) for n in names)
    for name in names:
        await _admin(f'CREATE DATABASE "{name}"')
    try:
        fresh = Database(target)  # a freshly upgraded schema counts as empty
        try:
            await fresh.upgrade()
        finally:
            await fresh.dispose()
        yield Databases(
            source,
            target,
            _config_file(tmp_path / "bot.toml", source, secret=True),
            _config_file(tmp_path / "restored.toml", target, secret=True),
            PASSWORD,
        )
    finally:
        for name in names:
            await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _bot_config(secret: bool, folder: Path) -> Config:
    polls = PollsConfig(ballot_secret="a-ballot-secret-for-tests-only" if secret else "")
    return Config(orgs=[demo_org()], bot=BotConfig(files_dir=str(folder / "files")), polls=polls)


async def _snapshot(db: Database) -> tuple[set[int], set[tuple[int, str]], int]:
    """The messages sent, the ballots cast and the members, as the database has them now."""
    async with db.reading() as conn:
        sent = set(
            (await conn.execute(select(OutboxMessage.id).where(OutboxMessage.state == "sent")))
            .scalars()
            .all()
        )
        ballots = {
            (p, k) for p, k in await conn.execute(select(PollBallot.poll_id, PollBallot.voter_key))
        }
        members = (await conn.execute(select(func.count()).select_from(Member))).scalar_one()
    return sent, ballots, members


async def _in_flight(db: Database) -> int:
    async with db.reading() as conn:
        return (
            await conn.execute(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.state == "sending")
            )
        ).scalar_one()


async def _fingerprint(url: str) -> dict[str, object]:
    """Everything a refused restore must leave as it was: every outbox row's state, the
    ballots and the members."""
    db = Database(url)
    try:
        async with db.reading() as conn:
            outbox = sorted(await conn.execute(select(OutboxMessage.id, OutboxMessage.state)))
        sent, ballots, members = await _snapshot(db)
    finally:
        await db.dispose()
    return {"outbox": outbox, "sent": sent, "ballots": ballots, "members": members}


async def test_a_backup_under_a_running_fan_out_restores_all_it_saw(
    databases: Databases, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = Database(databases.source)
    await db.upgrade()
    # every tenth call hangs for a second and a half, so some messages are always in flight
    sink = Sink(rate=400, burst=20, faults=SinkFaults(hang=0.1, hang_seconds=1.5))
    await sink.start()
    senders = {
        p: SinkSender(sink.url, platform=p, concurrency=8) for p in ("console", "slack", "discord")
    }
    bot = await start_bot(
        db,
        config=_bot_config(databases.password is not None, tmp_path),
        senders=senders,
        clock=MovableClock(START, frozen=True),
    )
    backup_file = tmp_path / "nightly.backup"
    try:
        for n in range(MEMBERS):
            await ok(bot, Person(f"m{n}"), "/profile state:IL")
        await ok(bot, ORGANIZER, '/poll create question:"Strike vote?" options:"Yes | No"')
        for n in range(0, MEMBERS, 2):
            await ok(bot, Person(f"m{n}"), "/poll vote id:1 choice:Yes")
        preview = await ok(
            bot,
            ORGANIZER,
            '/alert create title:"Save the Elm St branch" kind:"Sign on" states:IL '
            'body:"The council votes Friday on closing the Elm St branch."',
        )
        await ok(bot, ORGANIZER, f"/alert send id:{preview.actions[0].args['id']}")
        await bot.app.scheduler.run_due()  # the fan-out: a DM to each member, channel posts
        await bot.app.delivery.start()
        async with asyncio.timeout(30):
            while True:
                sent, ballots, members = await _snapshot(db)
                if len(sent) >= 20 and await _in_flight(db):
                    break
                await asyncio.sleep(0.01)
        assert 20 <= len(sent) < MEMBERS

        async def votes_during_backup() -> None:
            for n in range(1, MEMBERS, 2):
                await ok(bot, Person(f"m{n}"), "/poll vote id:1 choice:No")

        old_umask = os.umask(0)  # a file made with the default mode would be world-readable
        try:
            code, _ = await asyncio.gather(
                asyncio.to_thread(
                    main, ["backup", str(backup_file), "--config", str(databases.source_config)]
                ),
                votes_during_backup(),
            )
        finally:
            os.umask(old_umask)
        assert code == 0
    finally:
        await bot.app.delivery.stop()
        await bot.app.stop()
        for sender in senders.values():
            await sender.close()
        await sink.stop()
    said = capsys.readouterr().out
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600
    assert f"Backed up the database to {backup_file} (" in said
    assert "keep it as private as the database" in said
    if databases.password is None:
        assert f"the ballot secret, the file {tmp_path / 'bot.db'}.ballot-secret" in said
    else:
        assert "the ballot secret, [polls] ballot_secret in " in said
        assert databases.password not in said
    assert "without it, members could vote a second time" in said
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".partial")]

    restore = ["restore", str(backup_file), "--config", str(databases.target_config)]
    assert await asyncio.to_thread(main, restore) == 0
    said = capsys.readouterr().out
    restored = Database(databases.target)
    try:
        restored_sent, restored_ballots, restored_members = await _snapshot(restored)
        assert sent <= restored_sent
        assert ballots <= restored_ballots
        assert restored_members == members
        assert await _in_flight(restored) == 0
        async with restored.reading() as conn:
            unknown = await restored_unknown(conn)
            errors = set(
                (
                    await conn.execute(
                        select(OutboxMessage.error).where(
                            OutboxMessage.id.in_(u.id for u in unknown)
                        )
                    )
                ).scalars()
            )
        current, head = await restored.revision()
        (listed,) = await check_restored(restored)
    finally:
        await restored.dispose()
    # rallybot check lists them for someone to look at by hand, without failing
    assert listed.ok and listed.said.startswith(f"{len(unknown)} message(s) were being sent")
    assert f"{unknown[0].id} ({unknown[0].kind} to " in listed.said
    assert unknown and errors == {RESTORED_ERROR}
    assert f"{len(unknown)} message(s) were being sent when the backup was taken" in said
    assert current == head
    assert "Members deleted after the backup was taken are back" in said
    if databases.password is not None:
        assert databases.password not in said

    # a second restore finds the database in use: refused, and nothing in it changes
    before = await _fingerprint(databases.target)
    assert await asyncio.to_thread(main, restore) == 2
    refused = capsys.readouterr()
    assert refused.out == ""
    assert refused.err.startswith("rallybot: [database] url: the database is not empty (")
    assert f"{restored_members} members" in refused.err and "Nothing was changed." in refused.err
    assert await _fingerprint(databases.target) == before


def test_the_password_goes_through_the_environment_never_the_command_line() -> None:
    url = make_url("postgresql+asyncpg://rally:s3cret%2Fpw@db.example.org:6543/chapter")
    argv, env = libpq_command("/usr/bin/pg_dump", url, "--format=custom")
    assert argv == [
        "/usr/bin/pg_dump",
        "--format=custom",
        "--dbname=postgresql://rally@db.example.org:6543/chapter",
    ]
    assert not any("s3cret" in arg for arg in argv)
    assert env["PGPASSWORD"] == "s3cret/pw"
    argv, _ = libpq_command("pg_restore", make_url("postgresql+asyncpg://rally@db/c?ssl=require"))
    assert argv == ["pg_restore", "--dbname=postgresql://rally@db/c?sslmode=require"]


def test_a_missing_pg_dump_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a folder without PostgreSQL's programs
    config = _config_file(
        tmp_path / "pg.toml", "postgresql+asyncpg://rally:pw@127.0.0.1:1/nowhere", secret=True
    )
    assert main(["backup", str(tmp_path / "x.backup"), "--config", str(config)]) == 2
    assert capsys.readouterr().err == (
        "rallybot: pg_dump is not installed: install PostgreSQL's client programs (on Debian "
        "or Ubuntu: apt install postgresql-client), of the server's major version or newer\n"
    )
    assert not (tmp_path / "x.backup").exists()


async def _sqlite_file(path: Path, revision: str = "head") -> str:
    url = f"sqlite+aiosqlite:///{path}"
    db = Database(url)
    try:
        await db.upgrade(revision)
    finally:
        await db.dispose()
    return url


def _sqlite_rows(path: Path, query: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def test_a_sqlite_backup_holds_what_is_still_in_the_write_ahead_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_sqlite_file(tmp_path / "bot.db"))
    config = _config_file(
        tmp_path / "bot.toml", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", secret=False
    )
    writer = sqlite3.connect(tmp_path / "bot.db")
    try:
        assert writer.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        writer.execute("PRAGMA wal_autocheckpoint = 0")  # as a busy bot leaves it: not yet copied
        writer.execute("INSERT INTO members (display_name) VALUES ('Ana')")
        writer.commit()
        assert (tmp_path / "bot.db-wal").stat().st_size > 0
        assert main(["backup", str(tmp_path / "copy.backup"), "--config", str(config)]) == 0
    finally:
        writer.close()
    assert _sqlite_rows(tmp_path / "copy.backup", "SELECT display_name FROM members") == [("Ana",)]
    # one file on its own, with no write-ahead log to carry along
    assert _sqlite_rows(tmp_path / "copy.backup", "PRAGMA journal_mode") == [("delete",)]
    assert "Backed up the database to" in capsys.readouterr().out


async def test_an_older_backup_is_brought_to_this_rallybots_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = await _sqlite_file(tmp_path / "old.db", "0014")
    target = f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"
    backup_file = str(tmp_path / "old.backup")
    config = str(_config_file(tmp_path / "old.toml", source, secret=False))
    assert await asyncio.to_thread(main, ["backup", backup_file, "--config", config]) == 0
    config = str(_config_file(tmp_path / "new.toml", target, secret=False))
    assert await asyncio.to_thread(main, ["restore", backup_file, "--config", config]) == 0
    assert "No message was being sent when the backup was taken." in capsys.readouterr().out
    restored = Database(target)
    try:
        current, head = await restored.revision()
    finally:
        await restored.dispose()
    assert current == head != "0014"


@pytest.mark.parametrize(
    ("content", "url", "message"),
    [
        (
            b"PGDMP\x01\x0f\x00",
            "sqlite+aiosqlite:///{folder}/new.db",
            "{file}: is a PostgreSQL backup, but [database] url is a SQLite database",
        ),
        (
            b"name,state\nAna,IL\n",
            "sqlite+aiosqlite:///{folder}/new.db",
            "{file}: is not a rallybot backup (neither SQLite nor pg_dump's format)",
        ),
        (
            b"SQLite format 3\x00",
            "postgresql+asyncpg://rally:pw@127.0.0.1:1/chapter",
            "{file}: is a SQLite backup, but [database] url is a PostgreSQL database",
        ),
    ],
)
def test_a_file_that_is_not_a_backup_for_this_database_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, url: str, message: str
) -> None:
    file = tmp_path / "given.backup"
    file.write_bytes(content)
    config = _config_file(tmp_path / "new.toml", url.format(folder=tmp_path), secret=True)
    assert main(["restore", str(file), "--config", str(config)]) == 2
    assert capsys.readouterr().err == f"rallybot: {message.format(file=file)}\n"
    assert not (tmp_path / "new.db").exists()

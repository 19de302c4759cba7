"""`rallybot backup FILE` and `rallybot restore FILE`: a copy of the database that can be
taken while the bot runs, and its return into an empty database.

SQLite is copied with SQLite's online backup API, one consistent snapshot that includes what
is still in the write-ahead log. PostgreSQL is dumped with ``pg_dump`` (custom format) and
read back with ``pg_restore``; the password goes to them through ``PGPASSWORD``, never on
their command line, where every user of the machine could read it. A backup file is made
with mode 0600 under a temporary name and takes its own name only once it is complete.

A restore goes only into a database that holds no members, reports, alerts, events or polls,
so nothing it holds can be lost. Messages that were being sent when the backup was taken are
marked failed (``storage.restore.RESTORED_ERROR``), so nothing is sent twice, and the schema
is brought up to this rallybot's migrations.

The ballot secret is not in the database (see ``bot.ballot_secret``); the output says where
it is, because a restore needs it back, and it has to be kept apart from the backups.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import URL, Connection

from bot.config import Config
from storage.db import Database, alembic_config
from storage.restore import fail_in_flight, work_counts

_SQLITE_MAGIC = b"SQLite format 3\x00"
_PG_DUMP_MAGIC = b"PGDMP"
_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
_WHY_SECRET = (
    "without it, members could vote a second time in anonymous polls still open; with it, "
    "whoever holds a backup could tell who voted how."
)


class BackupError(Exception):
    """A backup or restore cannot be done; the message says why and what to do."""


def libpq_command(program: str, url: URL, *args: str) -> tuple[list[str], dict[str, str]]:
    """The command line and environment to run a PostgreSQL client ``program`` on the
    database of ``url``: the URL without its driver (``postgresql+asyncpg://`` becomes
    ``postgresql://``, asyncpg's ``ssl=`` as libpq's ``sslmode=``) and without its password,
    which goes in ``PGPASSWORD``."""
    query = dict(url.query)
    if "ssl" in query and "sslmode" not in query:  # asyncpg's name for libpq's sslmode
        query["sslmode"] = query.pop("ssl")
    bare = URL.create(  # URL.set would keep the password: it ignores a None
        "postgresql", url.username, None, url.host, url.port, url.database, query
    )
    dsn = bare.render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return [program, *args, f"--dbname={dsn}"], env


def _program(name: str) -> str:
    """The path of a PostgreSQL client program, or a clear error when it is missing."""
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: install PostgreSQL's client programs "
            f"(on Debian or Ubuntu: apt install postgresql-client), of the server's major "
            "version or newer"
        )
    return found


async def _run(argv: list[str], env: dict[str, str], url: URL, stdout: int | None) -> None:
    """Run a client program; its complaint, without the password, when it fails."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=stdout,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    if proc.returncode != 0:
        said = err.decode("utf-8", "replace").strip()
        if url.password:
            said = said.replace(str(url.password), "***")
        raise BackupError(f"{Path(argv[0]).name} failed (exit {proc.returncode}): {said}")


@contextlib.contextmanager
def _private_file(target: Path) -> Iterator[tuple[int, Path]]:
    """A new file (mode 0600 from its creation) beside ``target`` that replaces it when the
    block ends well, and is removed when it does not."""
    folder = target.parent
    if not folder.is_dir():
        raise BackupError(f"{target}: the folder {folder} does not exist")
    if target.is_dir():
        raise BackupError(f"{target}: is a folder; give the backup file's name")
    fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=folder)
    try:
        yield fd, Path(partial)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(partial, target)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        Path(partial).unlink(missing_ok=True)
        raise


def _sqlite_path(db: Database) -> Path:
    """The configured SQLite file, made absolute."""
    name = db.url.database or ""
    if name in ("", ":memory:") or name.startswith("file:"):
        raise BackupError(
            "[database] url: an in-memory SQLite database has no file to back up or restore into"
        )
    return Path(name).resolve()


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy the SQLite database ``source`` into ``target`` with the online backup API: one
    consistent snapshot, including what is still in the write-ahead log."""
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dst.close()
    finally:
        src.close()


def _size(path: Path) -> str:
    """A file's size as people read it: 388.0 KB."""
    size = path.stat().st_size
    if size < 1024:
        return f"{size} bytes"
    value, units = size / 1024, ["KB", "MB", "GB"]
    while value >= 1024 and len(units) > 1:
        value /= 1024
        units.pop(0)
    return f"{value:.1f} {units[0]}"


def ballot_secret_place(config: Config, db: Database) -> str | None:
    """Where the ballot secret is kept (it is never in the database), or None when none is
    configured on PostgreSQL."""
    if config.polls.ballot_secret:
        return (
            f"[polls] ballot_secret in {config.source} (or the environment's "
            "RALLYBOT_POLLS__BALLOT_SECRET)"
        )
    if not db.is_sqlite:
        return None
    return f"the file {_sqlite_path(db)}.ballot-secret"


def backup(config: Config, file: str) -> str:
    """Write a backup of the configured database to ``file`` (mode 0600); what to tell the
    person who asked."""
    return asyncio.run(_backup(config, file, Path(file).resolve()))


async def _backup(config: Config, file: str, target: Path) -> str:
    db = Database(config.database.url)
    try:
        if db.is_sqlite:
            source = _sqlite_path(db)
            if not source.is_file():
                raise BackupError(
                    f"[database] url: the SQLite file {source} does not exist: nothing to back up"
                )
            if source == target:
                raise BackupError(f"{file}: is the database itself; give another file's name")
            with _private_file(target) as (_, partial):
                await asyncio.to_thread(_sqlite_copy, source, partial)
        else:
            argv, env = libpq_command(_program("pg_dump"), db.url, "--format=custom")
            await db.probe()
            with _private_file(target) as (fd, _):
                await _run(argv, env, db.url, fd)
        place = ballot_secret_place(config, db)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"[database] url: the SQLite file cannot be read ({exc})") from None
    finally:
        await db.dispose()
    secret = (
        f"Not in the backup: the ballot secret, {place}. Keep a copy of it somewhere safe, "
        f"apart from the backups: {_WHY_SECRET}"
        if place
        else "No ballot secret is configured ([polls] ballot_secret): none to keep."
    )
    return (
        f"Backed up the database to {target} ({_size(target)}, readable by this user only).\n"
        "It holds everything the database holds: keep it as private as the database.\n"
        f"{secret}"
    )


def _kind_of(file: Path) -> str:
    """``sqlite`` or ``postgresql``: the kind of backup a file is."""
    try:
        with file.open("rb") as f:
            head = f.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"{file}: cannot be read ({exc.strerror})") from None
    if head.startswith(_SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(_PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{file}: is not a rallybot backup (neither SQLite nor pg_dump's format)")


def _check_sqlite_backup(file: Path) -> None:
    """Refuse a SQLite file that is damaged or is not a rallybot database."""
    conn = sqlite3.connect(f"{file.as_uri()}?mode=ro", uri=True)
    try:
        (ok,) = conn.execute("PRAGMA quick_check").fetchone()
        found = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{file}: is damaged ({exc})") from None
    finally:
        conn.close()
    if ok != "ok":
        raise BackupError(f"{file}: is damaged ({ok})")
    if not found:
        raise BackupError(f"{file}: is a SQLite file but not a rallybot database")


async def _refuse_unless_empty(db: Database) -> None:
    """Refuse a database that holds any organizing work, saying what it holds."""
    await db.probe()
    async with db.reading() as conn:
        counts = await work_counts(conn)
    if counts:
        held = ", ".join(f"{n} {label}" for label, n in counts.items())
        raise BackupError(
            f"[database] url: the database is not empty ({held}); a restore goes into an empty "
            "database only, so nothing in it is lost. Point [database] url at a new database "
            "and run restore again. Nothing was changed."
        )


async def _clear_schema(db: Database) -> None:
    """Take an empty database's tables away (its migrations, downgraded), so a dump can be
    restored into it."""

    def run(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "base")

    async with db.engine.begin() as conn:
        await conn.run_sync(run)
        await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def restore(config: Config, file: str) -> str:
    """Restore the backup ``file`` into the configured database, which must be empty; what
    to tell the person who asked."""
    source = Path(file).resolve()
    if not source.is_file():
        raise BackupError(f"{file}: no such file")
    return asyncio.run(_restore(config, file, source, _kind_of(source)))


async def _restore(config: Config, file: str, source: Path, kind: str) -> str:
    db = Database(config.database.url)
    try:
        if kind != db.dialect:
            raise BackupError(
                f"{file}: is a {_NAMES[kind]} backup, but [database] url is a "
                f"{_NAMES[db.dialect]} database"
            )
        if db.is_sqlite:
            target = _sqlite_path(db)
            if target == source:
                raise BackupError(f"{file}: is the database itself")
            await asyncio.to_thread(_check_sqlite_backup, source)
        else:
            argv, env = libpq_command(
                _program("pg_restore"),
                db.url,
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                str(source),
            )
        await _refuse_unless_empty(db)
        await db.dispose()
        if db.is_sqlite:
            await asyncio.to_thread(_sqlite_copy, source, target)
        else:
            await _clear_schema(db)
            await _run(argv, env, db.url, None)
        try:
            await db.upgrade()
        except Exception as exc:  # alembic's own errors: a revision this code does not know
            raise BackupError(
                f"{file}: restored, but its schema cannot be brought to this rallybot's "
                f"({exc}); restore it with the rallybot that made it"
            ) from None
        async with db.transaction() as conn:
            marked = await fail_in_flight(conn)
        place = ballot_secret_place(config, db)
    finally:
        await db.dispose()
    unsent = (
        f"{marked} message(s) were being sent when the backup was taken; they are marked failed "
        '("unknown: restored from backup") so that none is sent twice: `rallybot check` lists '
        "them, to check by hand."
        if marked
        else "No message was being sent when the backup was taken."
    )
    return (
        f"Restored {source} into the database; its schema is up to date.\n"
        f"{unsent}\n"
        "Members deleted after the backup was taken are back: delete them again.\n"
        + (
            f"Before starting the bot, put back the ballot secret you kept apart from the "
            f"backups ({place}): {_WHY_SECRET}"
            if place
            else ""
        )
    ).strip()

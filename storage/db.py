"""The database handle: one engine per process, chosen by URL, and units of work on it.

SQLite (through aiosqlite) runs in WAL mode with a busy timeout and foreign keys on, and
every write transaction begins with ``BEGIN IMMEDIATE`` behind a process-wide lock, so
there is one writer at a time and no transaction fails half-way on a lock upgrade.
PostgreSQL (through asyncpg) is the scale-out path.

``probe`` is the first contact at start-up: whatever keeps the database from being used
(a folder that does not exist, a file that is not a database, a lock held by another
program for longer than ``LOCK_WAIT``, a PostgreSQL server that does not answer or has no
such database) comes back as one ``DatabaseError`` naming ``[database] url``. ``ping`` is
the health check's question. With ``echo``, SQLAlchemy's statement log goes to the
process's own log handlers (and so through their secret filter), not to a handler of its
own.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import socket
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)

from storage.sqlite_driver import connector

MIGRATIONS = Path(__file__).with_name("migrations")

_DRIVERS = {"aiosqlite": "aiosqlite", "asyncpg": "asyncpg"}
#: how long start-up waits for another program's lock on a SQLite file, in seconds
LOCK_WAIT = 5.0
#: how long start-up waits for PostgreSQL to answer, in seconds
CONNECT_WAIT = 10.0


class DatabaseError(Exception):
    """The database cannot be used as configured; the message says what to do."""


def alembic_config() -> AlembicConfig:
    """Alembic's configuration for the bundled migrations."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


class Database:
    """An engine and session factory for one database URL."""

    def __init__(self, url: str, *, schema: str | None = None, echo: bool = False) -> None:
        try:
            parsed = make_url(url)
        except Exception as exc:
            raise DatabaseError(
                "[database] url: not a database URL (e.g. sqlite+aiosqlite:///rallybot.db)"
            ) from exc
        backend = parsed.get_backend_name()
        driver = parsed.get_driver_name()
        if backend not in ("sqlite", "postgresql"):
            raise DatabaseError(
                f"[database] url: {backend} is not supported; use sqlite+aiosqlite:// "
                "or postgresql+asyncpg://"
            )
        if driver not in _DRIVERS:
            wanted = "aiosqlite" if backend == "sqlite" else "asyncpg"
            raise DatabaseError(
                f"[database] url: use the async driver, {backend}+{wanted}://… (got {driver})"
            )
        try:
            importlib.import_module(_DRIVERS[driver])
        except ImportError as exc:
            raise DatabaseError(
                f"[database] url: the {driver} driver is not installed (pip install {driver})"
            ) from exc
        self.url = parsed
        self.is_sqlite = backend == "sqlite"
        self.schema = schema
        if echo:
            # Records go up to the root handlers (and their secret filter); SQLAlchemy's own
            # echo would add a handler of its own that prints them unfiltered.
            logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            kwargs["async_creator"] = connector(parsed.database or "", timeout=30)
            # Every unit of work ends in COMMIT or ROLLBACK itself; a reset on check-in
            # would only cost another round trip to the database thread.
            kwargs["pool_reset_on_return"] = None
        else:
            kwargs["pool_size"] = 10
            kwargs["max_overflow"] = 10
            if schema:
                kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
        self.engine: AsyncEngine = create_async_engine(parsed, **kwargs)
        if self.is_sqlite:
            _sqlite_pragmas(self.engine)
        self._engine_options = kwargs
        self._quiet: AsyncEngine | None = None
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock()
        #: SQLite's one writer: a connection kept open for every unit of work
        self._writer: AsyncConnection | None = None

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return "sqlite" if self.is_sqlite else "postgresql"

    async def probe(self) -> None:
        """Check that the database can be used, fast: a ``DatabaseError`` naming
        ``[database] url`` and the cause when it cannot. A SQLite file that does not exist
        yet is made (in a folder that does)."""
        if self.is_sqlite:
            await asyncio.to_thread(self._probe_sqlite)
            return
        await self.ping(within=CONNECT_WAIT)

    def _probe_sqlite(self) -> None:
        path = self.url.database or ""
        if path in ("", ":memory:") or path.startswith("file:"):
            return
        folder = Path(path).resolve().parent
        if not folder.is_dir():
            raise DatabaseError(
                f"[database] url: the folder {folder} does not exist (the SQLite file goes there)"
            )
        try:
            conn = sqlite3.connect(path, timeout=LOCK_WAIT, isolation_level=None)
            try:
                conn.execute("PRAGMA schema_version")
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(_sqlite_problem(path, exc)) from None

    async def ping(self, within: float = 5.0) -> None:
        """Ask the database a trivial question; a ``DatabaseError`` when it does not answer
        within ``within`` seconds or answers with an error."""
        where = self._where()
        try:
            async with asyncio.timeout(within), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except TimeoutError:
            raise DatabaseError(
                f"[database] url: {where} did not answer within {within:g} s"
            ) from None
        except Exception as exc:  # every driver's own errors, told apart below
            raise DatabaseError(f"[database] url: {where}: {_describe(exc)}") from None

    def _where(self) -> str:
        if self.is_sqlite:
            return f"the SQLite file {self.url.database}"
        host = self.url.host or "localhost"
        return f"PostgreSQL database {self.url.database!r} at {host}:{self.url.port or 5432}"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One unit of work: committed when the block ends, rolled back if it raises."""
        if self.is_sqlite:
            async with self._write_lock:
                if self._writer is None or self._writer.closed or self._writer.invalidated:
                    self._writer = await self.engine.connect()
                async with self._writer.begin():
                    yield self._writer
        else:
            async with self.engine.begin() as conn:
                yield conn

    @asynccontextmanager
    async def reading(self, *, quiet: bool = False) -> AsyncIterator[AsyncConnection]:
        """A unit of work that only reads: on SQLite it does not wait for, or hold, the writer.
        With ``quiet``, its statements are logged without their parameters (a lookup by the
        account of someone who must leave no trace)."""
        async with (self._quiet_engine() if quiet else self.engine).connect() as conn:
            if self.is_sqlite:
                conn = await conn.execution_options(rallybot_read_only=True)
            async with conn.begin():
                yield conn

    def _quiet_engine(self) -> AsyncEngine:
        """An engine that logs statements without their parameters, made when first needed.
        It has connections of its own, so a unit of work that holds one of the main pool never
        waits for another from the same pool."""
        if self._quiet is None:
            options = dict(self._engine_options, hide_parameters=True)
            if not self.is_sqlite:
                options.update(pool_size=2, max_overflow=8)
            self._quiet = create_async_engine(self.url, **options)
            if self.is_sqlite:
                _sqlite_pragmas(self._quiet)
        return self._quiet

    async def upgrade(self, revision: str = "head") -> None:
        """Apply the migrations up to ``revision``."""
        cfg = alembic_config()

        def run(connection: Connection) -> None:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)

        async with self._write_lock if self.is_sqlite else _null(), self.engine.begin() as conn:
            await conn.run_sync(run)

    async def revision(self) -> tuple[str | None, str]:
        """The schema's current revision and the newest one this code knows."""
        head = ScriptDirectory.from_config(alembic_config()).get_current_head() or ""

        def current(connection: Connection) -> str | None:
            return MigrationContext.configure(connection).get_current_revision()

        async with self.engine.connect() as conn:
            return await conn.run_sync(current), head

    async def check_schema(self) -> None:
        """Refuse to run on a schema older or newer than this code."""
        current, head = await self.revision()
        if current != head:
            raise DatabaseError(
                f"the database schema is at {current or 'nothing'}, this rallybot needs {head}: "
                "run `rallybot db upgrade`"
            )

    async def dispose(self) -> None:
        """Close the writer and every pooled connection."""
        if self._writer is not None:
            await self._writer.close()
            self._writer = None
        if self._quiet is not None:
            await self._quiet.dispose()
            self._quiet = None
        await self.engine.dispose()


def _sqlite_problem(path: str, exc: sqlite3.DatabaseError) -> str:
    """What a SQLite error at start-up means, in one line."""
    reason = str(exc)
    if "not a database" in reason or "malformed" in reason:
        return f"[database] url: {path} is not a SQLite database"
    if "locked" in reason or "busy" in reason:
        return (
            f"[database] url: {path} is locked by another program "
            f"(waited {LOCK_WAIT:g} s); stop it or try again"
        )
    return f"[database] url: cannot use the SQLite file {path} ({reason})"


def _describe(exc: BaseException) -> str:
    """A driver's error in a few words, never with the password."""
    cause: BaseException = exc
    while getattr(cause, "orig", None) is not None:  # SQLAlchemy's wrapper of the driver's
        cause = cause.orig  # type: ignore[attr-defined]
    sqlstate = getattr(cause, "sqlstate", None)  # PostgreSQL's error code, through asyncpg
    if sqlstate == "3D000":
        return "no such database (create it first)"
    if sqlstate in ("28000", "28P01"):
        return "the user or password was refused"
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused (is the server running, on that port?)"
    if isinstance(cause, socket.gaierror):
        return "the host name is not known"
    if isinstance(cause, OSError):
        return cause.strerror or type(cause).__name__
    first_line = str(cause).strip().splitlines()[:1]
    return first_line[0] if first_line else type(cause).__name__


@asynccontextmanager
async def _null() -> AsyncIterator[None]:
    yield None


def _sqlite_pragmas(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Manage transactions ourselves so a write starts with BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Connection) -> None:
        # Sent with the transaction's first statement, in the same trip to SQLite's thread.
        # Readers begin deferred and never take the write lock (WAL lets them read alongside).
        read_only = conn.get_execution_options().get("rallybot_read_only", False)
        conn.connection.driver_connection.defer_begin("BEGIN" if read_only else "BEGIN IMMEDIATE")

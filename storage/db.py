"""The database handle: one engine per process, chosen by URL, and units of work on it.

SQLite (through aiosqlite) runs in WAL mode with a busy timeout and foreign keys on, and
every write transaction begins with ``BEGIN IMMEDIATE`` behind a process-wide lock, so
there is one writer at a time and no transaction fails half-way on a lock upgrade.
PostgreSQL (through asyncpg) is the scale-out path: one transaction per unit of work.

On SQLite, units of work queued behind the writer share a transaction (group commit):
each runs in a savepoint of its own, so one that raises rolls back alone, and hands the
writer to the next one waiting; the last of the group commits for all. A unit's
``transaction()`` block returns only once that shared COMMIT is done (and raises its
error in every unit of the group if it fails), so nothing is answered, cached or woken
for before it is stored. A unit that finds nobody waiting commits at once; a group takes
in at most ``GROUP_MAX_UNITS`` units and none more once ``GROUP_MAX_AGE`` has passed since
it began. Readers (``reading()``) have connections of their own and see a group's rows
only once it has committed.

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
from collections.abc import AsyncIterator, Awaitable
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
    AsyncTransaction,
    async_sessionmaker,
    create_async_engine,
)

from storage.sqlite_driver import OneTripConnection, connector

MIGRATIONS = Path(__file__).with_name("migrations")
log = logging.getLogger(__name__)

_DRIVERS = {"aiosqlite": "aiosqlite", "asyncpg": "asyncpg"}
#: how long start-up waits for another program's lock on a SQLite file, in seconds
LOCK_WAIT = 5.0
#: how long start-up waits for PostgreSQL to answer, in seconds
CONNECT_WAIT = 10.0
#: the most units of work one SQLite COMMIT takes in (group commit)
GROUP_MAX_UNITS = 64
#: how long after a group began, in seconds, it stops taking in more units of work
GROUP_MAX_AGE = 0.02


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
        #: SQLite: the group commit under way on the writer, if any
        self._group: _Group | None = None
        #: SQLite: units of work waiting for the writer
        self._waiting = 0
        self._units = 0
        #: groups being closed (a task holds a reference only while it runs)
        self._closing: set[asyncio.Task[None]] = set()

    @property
    def stores_transaction_ids(self) -> bool:
        """Whether a row keeps the id of the transaction that wrote it (PostgreSQL's
        ``xmin``), so that rows written in one transaction can be told to belong together
        long after. SQLite stores none: the rows of one COMMIT are told apart from others'
        by nothing but the order the WAL keeps, which links separate transactions as much."""
        return not self.is_sqlite

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
        """One unit of work: committed when the block ends, rolled back if it raises. On
        SQLite it may share its COMMIT with the units queued behind it (see the module's
        docstring); the block returns once that COMMIT is done."""
        if not self.is_sqlite:
            async with self.engine.begin() as conn:
                yield conn
            return
        await self._take_writer()
        try:
            group = self._group or await self._open_group()
        except BaseException:
            self._write_lock.release()
            raise
        group.units += 1
        self._units += 1
        savepoint = f"rallybot_unit_{self._units}"
        group.driver.defer(f"SAVEPOINT {savepoint}")
        try:
            yield group.writer
        except BaseException as exc:
            try:
                await self._undo(group, savepoint, exc)
            finally:
                self._pass_on(group)
            raise
        if not group.driver.withdraw(f"SAVEPOINT {savepoint}"):
            group.driver.defer(f"RELEASE {savepoint}")
        self._pass_on(group)
        # Cancelled while waiting, the unit's work still commits (or not) with its group.
        await asyncio.shield(group.done)

    async def _take_writer(self) -> None:
        """Wait for SQLite's writer, counted among the units waiting for it."""
        self._waiting += 1
        try:
            await self._write_lock.acquire()
        except BaseException:
            self._waiting -= 1
            if self._group is not None and not self._write_lock.locked() and not self._waiting:
                # The group was handed on to this unit, which gave up: someone must close it.
                self._spawn(self._close_open_group())
            raise
        self._waiting -= 1

    async def _open_group(self) -> _Group:
        """Begin a transaction on the writer (opened if need be) for a group of units."""
        if self._writer is None or self._writer.closed or self._writer.invalidated:
            self._writer = await self.engine.connect()
        writer = self._writer
        if writer.in_transaction():  # a group whose opening was interrupted
            await writer.rollback()
        transaction = await writer.begin()
        driver = writer.sync_connection.connection.driver_connection  # type: ignore[union-attr]
        self._group = _Group(writer, transaction, driver)
        return self._group

    async def _undo(self, group: _Group, savepoint: str, error: BaseException) -> None:
        """Roll back what one unit of work wrote, and only that; when SQLite has ended the
        whole transaction (a full disk, an I/O error), the group is lost with it."""
        if group.driver.withdraw(f"SAVEPOINT {savepoint}"):
            return  # it ran no statement

        def rollback_to(conn: sqlite3.Connection) -> bool:
            if not conn.in_transaction:
                return False
            conn.execute(f"ROLLBACK TO {savepoint}")
            conn.execute(f"RELEASE {savepoint}")
            return True

        try:
            kept = await group.driver.run_in_thread(rollback_to)
        except Exception:
            kept = False
        if not kept and group.lost is None:
            group.lost = error

    def _pass_on(self, group: _Group) -> None:
        """Called by the unit holding the writer once its block has ended: hand the writer
        and the open group to the next unit waiting, or close the group."""
        loop = asyncio.get_running_loop()
        if (
            group.lost is None
            and self._waiting
            and group.units < GROUP_MAX_UNITS
            and loop.time() - group.began < GROUP_MAX_AGE
        ):
            self._write_lock.release()
        else:
            self._spawn(self._close(group))

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close(self, group: _Group, *, release: bool = True) -> None:
        """Commit the group (roll it back when lost), tell its units, and release the writer
        unless told not to."""
        error: BaseException | None = group.lost
        try:
            if error is None:
                try:
                    await group.transaction.commit()
                except BaseException as exc:
                    error = exc
            if error is not None:
                # Closing the connection rolls back whatever SQLite still holds open.
                await self._drop_writer(group.writer)
        finally:
            group.driver.drop_pending()
            self._group = None
            if error is None:
                group.done.set_result(None)
            elif isinstance(error, asyncio.CancelledError):
                group.done.cancel()
            else:
                group.done.set_exception(error)
            if release:
                self._write_lock.release()

    async def _drop_writer(self, writer: AsyncConnection) -> None:
        if self._writer is writer:
            self._writer = None
        try:
            await writer.invalidate()
        except Exception:
            log.warning("the SQLite writer could not be closed cleanly", exc_info=True)

    async def _close_open_group(self) -> None:
        """Take the writer and close the group left open on it, if any."""
        await self._write_lock.acquire()
        if self._group is not None:
            await self._close(self._group)
        else:
            self._write_lock.release()

    @asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[None]:
        """Hold SQLite's writer lock with no group open on it."""
        await self._write_lock.acquire()
        try:
            if self._group is not None:
                await self._close(self._group, release=False)
            yield
        finally:
            self._write_lock.release()

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

        async with self._exclusive() if self.is_sqlite else _null(), self.engine.begin() as conn:
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
        """Close the writer (once the group on it, if any, has committed) and every pooled
        connection."""
        if self._group is not None and not self._write_lock.locked():
            await self._close_open_group()
        if self._writer is not None:
            await self._writer.close()
            self._writer = None
        if self._quiet is not None:
            await self._quiet.dispose()
            self._quiet = None
        await self.engine.dispose()


class _Group:
    """Units of work sharing one SQLite transaction on the writer (see the module's
    docstring)."""

    def __init__(
        self, writer: AsyncConnection, transaction: AsyncTransaction, driver: OneTripConnection
    ) -> None:
        self.writer = writer
        self.transaction = transaction
        self.driver = driver
        self.began = asyncio.get_running_loop().time()
        self.units = 0
        #: the error that ended the transaction before its COMMIT, if one did
        self.lost: BaseException | None = None
        #: done once the group has committed; its error when it did not
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.done.add_done_callback(_seen)


def _seen(future: asyncio.Future[None]) -> None:
    # Every unit of a group may have stopped waiting (cancelled); its error is still known.
    if not future.cancelled():
        future.exception()


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

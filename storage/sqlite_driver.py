"""A one-round-trip cursor for SQLite under SQLAlchemy's aiosqlite dialect.

aiosqlite runs SQLite in a thread of its own and every call on it is a round trip to that
thread. SQLAlchemy's adapter makes four for each query (open a cursor, execute, fetch all,
close); this connection's cursor does the whole statement in one, which is most of what a
short command costs. It is handed to SQLAlchemy through ``create_async_engine``'s
documented ``async_creator`` hook; everything else is aiosqlite's own connection.

Inside a write transaction the trip is not needed at all. Once ``BEGIN IMMEDIATE`` has
returned, the connection holds the database's one write lock (in WAL mode readers never
block it), so no statement until the transaction ends can wait for a lock: each takes
SQLite tens of microseconds, while a trip to the thread and back costs several times that
in thread hand-offs. Those statements run where they are called, and so does the
``BEGIN IMMEDIATE`` itself when the lock is free (tried without waiting). What may wait
stays in the thread: a ``BEGIN IMMEDIATE`` while another program holds the lock, the write
transaction's ``COMMIT`` (it may checkpoint the log to disk), statements run for many rows
at once (``executemany``), and every statement of a reading transaction (which may read
many rows); that one's ``COMMIT``, which only lets go of its snapshot, does not need the
thread either.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import aiosqlite

#: how a write transaction begins: it holds the write lock once this returns
WRITE_BEGIN = "BEGIN IMMEDIATE"


class OneTripCursor:
    """A cursor whose execute runs, fetches and closes in one trip to the SQLite thread."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self._rows: list[Any] = []
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def _run(
        self, call: Callable[[sqlite3.Cursor], Any], *, short: bool = True
    ) -> OneTripCursor:
        connection = self._connection
        ahead = connection.take_pending()
        if ahead[:1] == (WRITE_BEGIN,) and short and connection.begin_if_free():
            ahead = ahead[1:]
        ran = 0

        def trip(conn: sqlite3.Connection) -> tuple[Any, list[Any], int, int | None]:
            nonlocal ran
            for statement in ahead:
                conn.execute(statement)
                ran += 1
                if statement in (WRITE_BEGIN, "BEGIN"):
                    connection.writing = statement == WRITE_BEGIN
            cursor = conn.cursor()
            try:
                call(cursor)
                description = cursor.description
                rows = cursor.fetchall() if description else []
                return description, rows, cursor.rowcount, cursor.lastrowid
            finally:
                cursor.close()

        try:
            if short and connection.writing and WRITE_BEGIN not in ahead:
                # The write lock is held: nothing here can wait (a savepoint's statements
                # kept ahead included).
                result = trip(connection.sqlite)
            else:
                result = await connection.run_in_thread(trip)
        except Exception:
            # The trip ran and stopped at a statement; those kept ahead of it that did not
            # run go ahead of the next one (a BEGIN IMMEDIATE that timed out is sent again).
            connection.restore(ahead[ran:])
            raise
        self.description, self._rows, self.rowcount, self.lastrowid = result
        return self

    async def execute(self, sql: str, parameters: Any = None) -> OneTripCursor:
        """Run one statement and keep its rows."""
        if parameters is None:
            return await self._run(lambda c: c.execute(sql))
        return await self._run(lambda c: c.execute(sql, parameters))

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneTripCursor:
        """Run one statement for each set of parameters (in the thread: there may be many)."""
        batch = list(parameters)
        return await self._run(lambda c: c.executemany(sql, batch), short=False)

    async def fetchall(self) -> list[Any]:
        """The rows of the last statement."""
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Any:
        """The next row, or None."""
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        """Up to ``size`` rows."""
        count = size or self.arraysize
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def close(self) -> None:
        """Nothing to release: the SQLite cursor was closed in its trip."""
        self._rows = []


class OneTripConnection(aiosqlite.Connection):
    """aiosqlite's connection, handing out one-trip cursors.

    ``defer_begin`` keeps a BEGIN until the transaction's first statement and sends both in
    one trip; a transaction that runs no statement never begins, and its COMMIT is a no-op.
    ``defer`` does the same for the statements that open and close a unit of work's savepoint
    in a group commit, so a savepoint costs no trip of its own.
    """

    _pending: tuple[str, ...] = ()
    #: the connection's own busy timeout in milliseconds, read when first needed
    _busy_timeout: int | None = None
    #: a write transaction has begun (``WRITE_BEGIN`` returned) and not yet ended: its
    #: statements run in the caller's thread
    writing = False

    @property
    def sqlite(self) -> sqlite3.Connection:
        """The SQLite connection itself (opened to be used from either thread, one at a time)."""
        return self._conn

    async def commit(self) -> None:
        """End the transaction, keeping its changes: in the thread for a write transaction
        (it may checkpoint the log to disk); where called for a reading one, which only lets
        go of its snapshot."""
        if self.writing:
            self.writing = False
            await super().commit()
        else:
            self._conn.commit()

    async def rollback(self) -> None:
        """End the transaction, undoing its changes (in the thread)."""
        self.writing = False
        await super().rollback()

    async def close(self) -> None:
        """Close the connection (in the thread)."""
        self.writing = False
        await super().close()

    def begin_if_free(self) -> bool:
        """Begin a write transaction where called if the write lock is free this instant
        (as it is unless another program holds it): True if begun. Otherwise nothing has
        changed, and the BEGIN is to wait for the lock in the thread."""
        conn = self._conn
        if self._busy_timeout is None:
            self._busy_timeout = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])
        conn.execute("PRAGMA busy_timeout=0")
        try:
            conn.execute(WRITE_BEGIN)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                raise
            return False
        finally:
            conn.execute(f"PRAGMA busy_timeout={self._busy_timeout}")
        self.writing = True
        return True

    def defer_begin(self, statement: str) -> None:
        """Send ``statement`` (e.g. BEGIN IMMEDIATE) ahead of the next one, in its trip; it
        replaces whatever was kept for a transaction that ran no statement."""
        self._pending = (statement,)

    def defer(self, statement: str) -> None:
        """Send ``statement`` ahead of the next one, after those already kept."""
        self._pending = (*self._pending, statement)

    def withdraw(self, statement: str) -> bool:
        """Keep ``statement`` from being sent; True if it had not been sent yet."""
        if statement not in self._pending:
            return False
        self._pending = tuple(s for s in self._pending if s != statement)
        return True

    def drop_pending(self) -> None:
        """Forget every statement kept (the transaction they belonged to has ended)."""
        self._pending = ()

    def restore(self, statements: Sequence[str]) -> None:
        """Keep ``statements`` again, ahead of any kept since (they did not run)."""
        self._pending = (*statements, *self._pending)

    def take_pending(self) -> tuple[str, ...]:
        """The statements kept to go ahead of the next one, now owned by the caller."""
        pending, self._pending = self._pending, ()
        return pending

    async def run_in_thread(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``fn(sqlite3_connection)`` in the connection's thread."""
        return await self._execute(lambda: fn(self._conn))

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        """A cursor that costs no trip until it executes (SQLAlchemy enters it with async with)."""
        return OneTripCursor(self)


def connector(path: str, timeout: float) -> Callable[[], OneTripConnection]:
    """An ``async_creator`` for SQLAlchemy: opens ``path`` through a one-trip connection."""

    def create() -> OneTripConnection:
        connection = OneTripConnection(
            lambda: sqlite3.connect(
                path, timeout=timeout, isolation_level=None, check_same_thread=False
            ),
            iter_chunk_size=64,
        )
        connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connect
        return connection

    return create

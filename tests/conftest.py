"""Shared fixtures: a real database per test (a SQLite file, and PostgreSQL where reachable),
migrated by Alembic, and a guard that fails any connection leaving this machine."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import asyncpg
import pytest

from storage.db import Database
from tests.support import Bot, start_bot

PG_URL = os.environ.get(
    "RALLYBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_PG = os.environ.get("RALLYBOT_REQUIRE_POSTGRES") == "1"

# --- no connection leaves the machine ------------------------------------------------------

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def check_address(address: object) -> None:
    """Refuse any TCP/UDP destination that is not loopback (Unix sockets are fine)."""
    if isinstance(address, tuple) and address:
        host = str(address[0])
        try:
            ip = ipaddress.ip_address(host.split("%")[0])
        except ValueError:
            if host != "localhost":
                raise ConnectionRefusedError(
                    f"test network guard: {host} is not loopback"
                ) from None
            return
        if not ip.is_loopback:
            raise ConnectionRefusedError(f"test network guard: {host} is not loopback")


def _guarded_connect(self: socket.socket, address: object) -> None:
    check_address(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    check_address(address)
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]

# --- databases -----------------------------------------------------------------------------


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


_pg_state: dict[str, bool] = {}


async def _pg_reachable() -> bool:
    if "ok" not in _pg_state:
        try:
            conn = await asyncio.wait_for(asyncpg.connect(_asyncpg_dsn(PG_URL)), 5)
            await conn.close()
            _pg_state["ok"] = True
        except (OSError, asyncpg.PostgresError, TimeoutError):
            _pg_state["ok"] = False
    return _pg_state["ok"]


async def require_postgres() -> None:
    """Skip (or, in CI, fail) when PostgreSQL is not reachable."""
    if not await _pg_reachable():
        if REQUIRE_PG:
            pytest.fail(
                f"PostgreSQL is required (RALLYBOT_REQUIRE_POSTGRES=1) but {PG_URL} "
                "is not reachable"
            )
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")


class PgSchema:
    """A fresh PostgreSQL schema for one test, dropped afterwards."""

    def __init__(self) -> None:
        self.name = f"t_{uuid.uuid4().hex[:16]}"

    async def create(self) -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(PG_URL))
        try:
            await conn.execute(f'CREATE SCHEMA "{self.name}"')
        finally:
            await conn.close()

    async def drop(self) -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(PG_URL))
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')
        finally:
            await conn.close()


@asynccontextmanager
async def fresh_schema() -> AsyncIterator[tuple[str, str]]:
    """PostgreSQL's URL and a new schema, dropped afterwards (skips or fails without it)."""
    await require_postgres()
    schema = PgSchema()
    await schema.create()
    try:
        yield PG_URL, schema.name
    finally:
        await schema.drop()


@pytest.fixture
async def pg_url() -> AsyncIterator[tuple[str, str]]:
    """PostgreSQL only, for what only PostgreSQL can do (several processes on one database)."""
    async with fresh_schema() as found:
        yield found


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[tuple[str, str | None]]:
    """A database URL (and PostgreSQL schema) with nothing in it yet."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'rallybot.db'}", None
        return
    async with fresh_schema() as found:
        yield found


@pytest.fixture
async def database(db_url: tuple[str, str | None]) -> AsyncIterator[Database]:
    """A migrated database, on SQLite and on PostgreSQL."""
    url, schema = db_url
    db = Database(url, schema=schema)
    await db.upgrade()
    try:
        yield db
    finally:
        await db.dispose()


@contextmanager
def database_on_own_loop(
    backend: str, folder: Path
) -> Iterator[tuple[asyncio.AbstractEventLoop, Database]]:
    """For hypothesis tests, which are synchronous: a new event loop and a migrated database
    on it (a SQLite file, or a fresh PostgreSQL schema). Stop what uses it before leaving."""
    loop = asyncio.new_event_loop()
    schema = None
    try:
        if backend == "sqlite":
            database = Database(f"sqlite+aiosqlite:///{folder / 'own-loop.db'}")
        else:
            if not loop.run_until_complete(_pg_reachable()):
                if REQUIRE_PG:
                    pytest.fail("PostgreSQL is required but not reachable")
                pytest.skip("PostgreSQL not reachable")
            schema = PgSchema()
            loop.run_until_complete(schema.create())
            database = Database(PG_URL, schema=schema.name)
        loop.run_until_complete(database.upgrade())
        yield loop, database
    finally:
        if schema is not None:
            loop.run_until_complete(schema.drop())
        loop.close()


@contextmanager
def bot_on_own_loop(
    backend: str, folder: Path, **options: object
) -> Iterator[tuple[asyncio.AbstractEventLoop, Bot]]:
    """For hypothesis tests: a bot started on a database of :func:`database_on_own_loop`
    (``options`` go to ``start_bot``), stopped when the block ends."""
    with database_on_own_loop(backend, folder) as (loop, database):
        bot = loop.run_until_complete(start_bot(database, **options))  # type: ignore[arg-type]
        try:
            yield loop, bot
        finally:
            loop.run_until_complete(bot.app.stop())


@pytest.fixture(params=["sqlite", "postgresql"])
def own_loop_bot(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[asyncio.AbstractEventLoop, Bot]]:
    """A bot of :func:`bot_on_own_loop` with the defaults, on SQLite and on PostgreSQL."""
    with bot_on_own_loop(request.param, tmp_path) as found:
        yield found

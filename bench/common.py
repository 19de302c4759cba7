"""What the benchmarks share: their fixed moment, a percentile, someone at the console, an
application started on a database with nothing running in the background, the baseline
of bare one-row insert transactions (one after another, or all at once as a burst), a
burst's figures, the command line, and alerts queued and delivered through the engine."""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Protocol

import aiosqlite
import asyncpg
from sqlalchemy import text

from bot.app import Application
from bot.clock import MovableClock
from bot.config import Config, demo_org
from bot.context import Invocation
from bot.messages import Message, Messages
from rallybot.groups import default_groups
from storage.db import Database

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def percentile(samples: list[float], pct: float) -> float:
    """The ``pct``-th percentile of ``samples``."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def person(name: str, role: str = "member") -> Invocation:
    """Someone at the console of the demo organization."""
    return Invocation(
        platform="console",
        space_id="demo",
        channel_id="general",
        user_id=name,
        display_name=name,
        platform_roles=frozenset({role}),
        console=True,
    )


async def start_app(db: Database, config: Config | None = None) -> Application:
    """An application on ``db`` (the demo organization unless ``config`` is given), its clock
    frozen at ``NOW``; nothing runs in the background, the benchmark settles it."""
    app = Application(
        config or Config(orgs=[demo_org()]),
        groups=default_groups(),
        clock=MovableClock(NOW, frozen=True),
        db=db,
    )
    await app.start(background=False)
    return app


def counts_parser(
    description: str | None, *, db_help: str | None = None, **counts: int
) -> argparse.ArgumentParser:
    """A benchmark's command line: ``--db`` (described by ``db_help``) where asked for, and a
    whole-number option for each of ``counts`` (``--members``, …) with its default."""
    parser = argparse.ArgumentParser(description=description)
    if db_help is not None:
        parser.add_argument("--db", help=db_help)
    for name, default in counts.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    return parser


async def bare_burst(
    db: Database, statement: str, rows: Iterable[tuple[object, ...]]
) -> dict[str, float]:
    """The baseline of a burst: ``statement`` (``?`` placeholders) run once for each row of
    parameters, each in a transaction of its own, all started at once on a bare driver
    connection to ``db`` (SQLite: one aiosqlite connection, one writer at a time behind a
    lock, as the bot writes; PostgreSQL: an asyncpg pool as large as the bot's). Gives
    the seconds taken in all (``total_s``) and each transaction's time from its start to
    its commit (``p50_s``, ``p99_s``)."""
    params = list(rows)
    latencies: list[float] = []
    if db.is_sqlite:
        lock = asyncio.Lock()
        async with aiosqlite.connect(db.url.database or "", isolation_level=None) as conn:

            async def one(values: tuple[object, ...]) -> None:
                began = time.perf_counter()
                async with lock:
                    await conn.execute("BEGIN IMMEDIATE")
                    await conn.execute(statement, values)
                    await conn.execute("COMMIT")
                latencies.append(time.perf_counter() - began)

            began = time.perf_counter()
            await asyncio.gather(*(one(values) for values in params))
            total = time.perf_counter() - began
    else:
        numbered = iter(range(1, statement.count("?") + 1))
        sql = re.sub(r"\?", lambda _: f"${next(numbered)}", statement)
        async with _bare_pool(db) as pool:

            async def one(values: tuple[object, ...]) -> None:
                began = time.perf_counter()
                async with pool.acquire() as conn, conn.transaction():
                    await conn.execute(sql, *values)
                latencies.append(time.perf_counter() - began)

            began = time.perf_counter()
            await asyncio.gather(*(one(values) for values in params))
            total = time.perf_counter() - began
    return {
        "total_s": total,
        "p50_s": statistics.median(latencies),
        "p99_s": percentile(latencies, 99),
    }


@asynccontextmanager
async def _bare_pool(db: Database) -> AsyncIterator[asyncpg.Pool]:
    """An asyncpg pool on ``db``'s PostgreSQL database and schema, as large as the bot's."""
    dsn = db.url.set(drivername="postgresql").render_as_string(hide_password=False)
    settings = {"search_path": db.schema} if db.schema else {}
    pool = await asyncpg.create_pool(dsn, min_size=10, max_size=20, server_settings=settings)
    try:
        yield pool
    finally:
        await pool.close()


async def count_rows(db: Database, query: str) -> int:
    """The single number ``query`` (plain SQL) gives on ``db``."""
    async with db.reading() as conn:
        return int((await conn.execute(text(query))).scalar_one())


async def burst_figures(
    app: Application,
    burst: Awaitable[list[float]],
    *,
    count: str,
    insert: str,
    rows: Iterable[tuple[object, ...]],
    expected: int,
    shortfall: str,
) -> dict[str, float]:
    """Time ``burst`` (commands at once on ``app``'s database, each giving how long it took),
    stop ``app``, count the rows the burst stored (``count``), time as many bare ``insert``
    transactions started at once (``rows``; see ``bare_burst``), and give the burst's
    figures. Fewer or more rows stored than ``expected`` end the benchmark with
    ``shortfall`` (``{stored}`` filled in)."""
    began = time.perf_counter()
    latencies = await burst
    total = time.perf_counter() - began
    await app.stop()
    stored = await count_rows(app.db, count)
    bare = await bare_burst(app.db, insert, rows)
    if stored != expected:
        raise SystemExit(shortfall.format(stored=stored))
    return {
        "total_s": total,
        "p50_s": statistics.median(latencies),
        "p99_s": percentile(latencies, 99),
        "raw_s": bare["total_s"],
        "raw_p99_s": bare["p99_s"],
        "stored": stored,
    }


def burst_json(burst: dict[str, float], each: str) -> dict[str, float]:
    """The JSON figures of a burst (see ``burst_figures``), ``each`` naming one command: the
    burst's total and per-command p50 and p99, the bare baseline's total and p99, and the
    burst's ratios to them (totals: ``burst_ratio_to_bare_inserts``; p99s: ``p99_ratio``)."""
    return {
        "burst_s": round(burst["total_s"], 3),
        f"{each}_p50_ms": round(burst["p50_s"] * 1000, 1),
        f"{each}_p99_ms": round(burst["p99_s"] * 1000, 1),
        "p99_s": round(burst["p99_s"], 3),
        "bare_s": round(burst["raw_s"], 3),
        "bare_p99_s": round(burst["raw_p99_s"], 3),
        "burst_ratio_to_bare_inserts": round(burst["total_s"] / burst["raw_s"], 2),
        "p99_ratio": round(burst["p99_s"] / burst["raw_p99_s"], 2),
    }


def burst_line(burst: dict[str, float], what: str, each: str) -> str:
    """A burst's figures in one line: ``what`` stored, and the times per ``each``."""
    return (
        f"{what} after {burst['total_s']:.2f} s, p50 {burst['p50_s'] * 1000:.0f} ms, "
        f"p99 {burst['p99_s'] * 1000:.0f} ms per {each}; as many bare one-row insert "
        f"transactions at once: {burst['raw_s']:.2f} s, p99 {burst['raw_p99_s'] * 1000:.0f} ms"
    )


class _Adapter(Protocol):
    async def start(self, app: Application) -> None: ...

    async def stop(self) -> None: ...


@asynccontextmanager
async def serving(app: Application, adapter: _Adapter) -> AsyncIterator[Application]:
    """``app`` started on a database already upgraded, nothing running in the background,
    with ``adapter`` serving it; both stopped afterwards, the adapter first."""
    await app.start(upgrade=False, background=False)
    await adapter.start(app)
    try:
        yield app
    finally:
        await adapter.stop()
        await app.stop()


async def deliver_alerts(app: Application, db: Database, messages: Iterable[Message]) -> float:
    """Queue ``messages`` as alerts in one transaction and deliver every one through ``app``'s
    engine, retrying as it would; seconds taken."""
    start = time.perf_counter()
    async with db.transaction() as conn:
        await Messages(conn, app.services.clock.now()).add_all(messages, kind="alert")
    await app.delivery.drain(retries=True, give_up_after=900)
    return time.perf_counter() - start

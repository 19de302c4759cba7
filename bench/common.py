"""What the benchmarks share: their fixed moment, a percentile, someone at the console, an
application started on a database with nothing running in the background, the baseline
of bare one-row insert transactions, a burst's figures, the command line, and alerts
queued and delivered through the engine."""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import aiosqlite

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


async def bare_insert_transactions(
    conn: aiosqlite.Connection, statement: str, rows: Iterable[tuple[object, ...]]
) -> float:
    """The baseline: ``statement`` run once for each row of parameters, each in a
    transaction of its own (``conn`` opened with ``isolation_level=None``); seconds taken."""
    began = time.perf_counter()
    for params in rows:
        await conn.execute("BEGIN IMMEDIATE")
        await conn.execute(statement, params)
        await conn.execute("COMMIT")
    return time.perf_counter() - began


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


async def burst_figures(
    app: Application,
    path: Path,
    burst: Awaitable[list[float]],
    *,
    count: str,
    insert: str,
    rows: Iterable[tuple[object, ...]],
    expected: int,
    shortfall: str,
) -> dict[str, float]:
    """Time ``burst`` (commands at once on the SQLite file ``path``, each giving how long it
    took), stop ``app``, count the rows the burst stored (``count``), time as many bare
    ``insert`` transactions (``rows``), and give the burst's figures. Fewer or more rows
    stored than ``expected`` end the benchmark with ``shortfall`` (``{stored}`` filled in)."""
    began = time.perf_counter()
    latencies = await burst
    total = time.perf_counter() - began
    await app.stop()
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        cursor = await conn.execute(count)
        row = await cursor.fetchone()
        stored = row[0] if row else 0
        raw = await bare_insert_transactions(conn, insert, rows)
    if stored != expected:
        raise SystemExit(shortfall.format(stored=stored))
    return {
        "total_s": total,
        "p50_s": statistics.median(latencies),
        "p99_s": percentile(latencies, 99),
        "raw_s": raw,
        "stored": stored,
    }


def burst_json(burst: dict[str, float], each: str) -> dict[str, float]:
    """The JSON figures of a burst (see ``burst_figures``), ``each`` naming one command."""
    return {
        "burst_s": round(burst["total_s"], 3),
        f"{each}_p50_ms": round(burst["p50_s"] * 1000, 1),
        f"{each}_p99_ms": round(burst["p99_s"] * 1000, 1),
        "burst_ratio_to_bare_inserts": round(burst["total_s"] / burst["raw_s"], 2),
    }


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

"""What the benchmarks share: their fixed moment, a percentile, someone at the console, an
application started on a database with nothing running in the background, and the baseline
of bare one-row insert transactions."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime

import aiosqlite

from bot.app import Application
from bot.clock import MovableClock
from bot.config import Config, demo_org
from bot.context import Invocation
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

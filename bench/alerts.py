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
from datetime import date, timedelta
from pathlib import Path

import aiosqlite

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bench.common import bare_insert_transactions, percentile, person, start_app  # noqa: E402
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


async def sign_on_burst(path: Path, members: int) -> dict[str, float]:
    app = await start_app(Database(f"sqlite+aiosqlite:///{path}"))
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

    began = time.perf_counter()
    latencies = await asyncio.gather(*(sign(who) for who in people))
    total = time.perf_counter() - began
    await app.stop()
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        cursor = await conn.execute("SELECT count(*) FROM alert_responses WHERE kind = 'signed'")
        stored = (await cursor.fetchone())[0]
        raw = await bare_insert_transactions(
            conn,
            "INSERT INTO alert_responses (alert_id, member_id, kind, platform, created_at)"
            " VALUES (1, NULL, 'acted', 'console', '2026-11-02 15:00:00')",
            (() for _ in range(members)),
        )
    if stored != members:
        raise SystemExit(f"{stored} signatures stored of {members}")
    return {
        "total_s": total,
        "p50_s": statistics.median(latencies),
        "p99_s": percentile(list(latencies), 99),
        "raw_s": raw,
        "stored": stored,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--signers", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stats = await layoff_stats(Path(tmp) / "stats.db", args.reports)
        burst = await sign_on_burst(Path(tmp) / "burst.db", args.signers)
    print(
        f"/layoff stats over {args.reports:,} reports: first {stats['cold_s'] * 1000:.0f} ms "
        f"(chart drawn), then {stats['warm_s'] * 1000:.0f} ms; a bare count of the verified "
        f"rows: {stats['raw_s'] * 1000:.0f} ms"
    )
    print(
        f"{args.signers:,} sign-ons at once: all stored after {burst['total_s']:.2f} s, "
        f"p50 {burst['p50_s'] * 1000:.0f} ms, p99 {burst['p99_s'] * 1000:.0f} ms per sign-on; "
        f"as many bare one-row insert transactions: {burst['raw_s']:.2f} s"
    )
    print(
        json.dumps(
            {
                "bench": "alerts",
                "signers": args.signers,
                "signed": burst["stored"],
                "burst_s": round(burst["total_s"], 3),
                "sign_p50_ms": round(burst["p50_s"] * 1000, 1),
                "sign_p99_ms": round(burst["p99_s"] * 1000, 1),
                "burst_ratio_to_bare_inserts": round(burst["total_s"] / burst["raw_s"], 2),
                "reports": args.reports,
                "stats_first_ms": round(stats["cold_s"] * 1000, 1),
                "stats_ms": round(stats["warm_s"] * 1000, 1),
                "stats_ratio_to_bare_count": round(stats["warm_s"] / stats["raw_s"], 2),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())

"""Benchmark: a rush of RSVPs to an event with a capacity, and cancellations meeting it.

(1) 1,000 members say Going at once (asyncio tasks through the dispatcher) to an event of
capacity 500: the first 500 get places, the rest a waitlist number; every answer takes the
event's row lock. (2) Then 200 of those with a place cancel while 200 newcomers say Going,
all at once: each cancellation promotes the first in line and queues their direct message.
Reported: time in all and per answer (p50, p99), against as many bare one-row insert
transactions into the same table started at once in the same run (their total and p99),
and a check that the capacity held.
``--db postgresql+asyncpg://…`` runs it on PostgreSQL (a schema of its own). Last line JSON.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.benchdb import bench_database  # noqa: E402
from bench.common import bare_burst, counts_parser, percentile, person, start_app  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import EventRsvp, Member  # noqa: E402


async def _seated(db: Database) -> tuple[int, int]:
    async with db.transaction() as conn:
        rows = await conn.execute(select(EventRsvp.status, func.count()).group_by(EventRsvp.status))
        found = dict(rows.all())
    return found.get("going", 0), found.get("waitlisted", 0)


async def rush(db: Database, members: int, capacity: int, churn: int) -> dict[str, float]:
    """The rush, the churn and the baseline on ``db``; exits if the capacity did not hold."""
    app = await start_app(db)
    dispatch = app.dispatcher
    await dispatch.handle_text(
        person("olu", "organizer"),
        '/event create title:"Legislative day" kind:meeting start:"2027-04-12 09:00" '
        f"capacity:{capacity}",
    )

    async def answer(name: str, status: str) -> float:
        """One answer through the dispatcher; its time."""
        began = time.perf_counter()
        reply = await dispatch.handle_text(person(name), f"/event rsvp id:1 status:{status}")
        if reply.error:
            raise SystemExit(f"unexpected answer: {reply.text}")
        return time.perf_counter() - began

    began = time.perf_counter()
    first = await asyncio.gather(*(answer(f"m{n}", "going") for n in range(members)))
    first_total = time.perf_counter() - began
    after_first = await _seated(db)
    began = time.perf_counter()
    second = await asyncio.gather(
        *(answer(f"m{n}", "no") for n in range(churn)),
        *(answer(f"new{n}", "going") for n in range(churn)),
    )
    second_total = time.perf_counter() - began
    after_second = await _seated(db)
    for going, _ in (after_first, after_second):
        if going != min(capacity, members):
            raise SystemExit(f"{going} going for a capacity of {capacity}")
    # the baseline: one bare one-row insert transaction per member, into a second event
    await dispatch.handle_text(
        person("olu", "organizer"),
        '/event create title:Baseline kind:meeting start:"2027-04-13 09:00"',
    )
    await app.stop()
    async with db.transaction() as conn:
        ids = [mid for (mid,) in await conn.execute(select(Member.id).limit(members))]
    bare = await bare_burst(
        db,
        "INSERT INTO event_rsvps (event_id, member_id, status, platform, created_at, updated_at)"
        " VALUES (2, ?, 'going', 'console', '2026-11-02 15:00:00', '2026-11-02 15:00:00')",
        ((member_id,) for member_id in ids),
    )
    return {
        "first_s": first_total,
        "first_p50_s": statistics.median(first),
        "first_p99_s": percentile(list(first), 99),
        "second_s": second_total,
        "second_p99_s": percentile(list(second), 99),
        "raw_s": bare["total_s"],
        "raw_p99_s": bare["p99_s"],
        "going": after_second[0],
        "waitlisted": after_second[1],
    }


async def main() -> None:
    """Run the benchmark and print its figures, the last line as JSON."""
    args = counts_parser(
        __doc__,
        db_help="a database URL (default: a SQLite file)",
        members=1000,
        capacity=500,
        churn=200,
    ).parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        async with bench_database(args.db, Path(tmp)) as db:
            found = await rush(db, args.members, args.capacity, args.churn)
            backend = db.dialect
    print(
        f"{args.members:,} Going at once for {args.capacity:,} places ({backend}): "
        f"{found['first_s']:.2f} s, p50 {found['first_p50_s'] * 1000:.0f} ms, "
        f"p99 {found['first_p99_s'] * 1000:.0f} ms per answer"
    )
    print(
        f"{args.churn} cancellations with {args.churn} new answers at once: "
        f"{found['second_s']:.2f} s (p99 {found['second_p99_s'] * 1000:.0f} ms); "
        f"{found['going']} going, {found['waitlisted']} waitlisted"
    )
    print(
        f"{args.members:,} bare one-row transactions at once on the same database: "
        f"{found['raw_s']:.2f} s, p99 {found['raw_p99_s'] * 1000:.0f} ms"
    )
    print(
        json.dumps(
            {
                "bench": "events",
                "db": backend,
                "members": args.members,
                "capacity": args.capacity,
                "rush_s": round(found["first_s"], 3),
                "rush_p50_ms": round(found["first_p50_s"] * 1000, 1),
                "rush_p99_ms": round(found["first_p99_s"] * 1000, 1),
                "p99_s": round(found["first_p99_s"], 3),
                "bare_s": round(found["raw_s"], 3),
                "bare_p99_s": round(found["raw_p99_s"], 3),
                "churn_s": round(found["second_s"], 3),
                "going": found["going"],
                "waitlisted": found["waitlisted"],
                "rush_ratio_to_bare_transactions": round(found["first_s"] / found["raw_s"], 2),
                "p99_ratio": round(found["first_p99_s"] / found["raw_p99_s"], 2),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())

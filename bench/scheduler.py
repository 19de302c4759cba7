"""Benchmark: the scheduler with 100,000 pending reminders on a SQLite file.

Measures (1) start-up: a fresh process builds the application and starts the scheduler and
delivery engine over 100,000 pending reminders; the baseline is the same process starting
the application without them (database, migrations check, organizations); peak RSS of the
full start; and (2) 1,000 reminders falling due in the same second: the time until all
1,000 direct messages are in the outbox, against raw aiosqlite inserting 1,000 outbox rows
in one transaction in the same run. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from bot.app import Application  # noqa: E402
from bot.clock import MovableClock  # noqa: E402
from bot.config import Config, demo_org  # noqa: E402
from rallybot.groups import default_groups  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import DueItem, Identity, Member, OutboxMessage, Reminder  # noqa: E402

T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
BURST_AT = T0 + timedelta(days=1)


def app_for(path: Path, clock: MovableClock) -> Application:
    return Application(
        Config(orgs=[demo_org()]),
        groups=default_groups(),
        clock=clock,
        db=Database(f"sqlite+aiosqlite:///{path}"),
    )


async def populate(path: Path, reminders: int, burst: int) -> None:
    """Members, identities, reminders and their due items, inserted in bulk."""
    app = app_for(path, MovableClock(T0, frozen=True))
    await app.start(background=False)
    org_id = app.services.orgs.by_slug("demo")[0].id
    members = 1000
    async with app.db.transaction() as conn:
        await conn.execute(
            insert(Member), [{"id": i + 1, "display_name": f"m{i}"} for i in range(members)]
        )
        await conn.execute(
            insert(Identity),
            [
                {
                    "id": i + 1,
                    "member_id": i + 1,
                    "platform": "console",
                    "user_id": f"m{i}",
                    "display_name": f"m{i}",
                }
                for i in range(members)
            ],
        )
        for start in range(0, reminders, 10_000):
            rows, items = [], []
            for n in range(start, min(start + 10_000, reminders)):
                due = BURST_AT if n < burst else T0 + timedelta(days=2, seconds=n * 25)
                member = n % members + 1
                rows.append(
                    {
                        "id": n + 1,
                        "member_id": member,
                        "identity_id": member,
                        "org_id": org_id,
                        "text": f"Reminder {n}",
                        "when_text": "bench",
                        "recurrence": None,
                        "timezone": "America/Chicago",
                        "next_at": due,
                        "state": "active",
                        "created_at": T0,
                        "fired": 0,
                    }
                )
                items.append(
                    {
                        "kind": "reminder",
                        "ref_id": n + 1,
                        "org_id": org_id,
                        "member_id": member,
                        "due_at": due,
                        "key": f"reminder:{n + 1}:{due.isoformat()}",
                        "payload": "{}",
                        "state": "pending",
                        "attempts": 0,
                    }
                )
            await conn.execute(insert(Reminder), rows)
            await conn.execute(insert(DueItem), items)
    await app.stop()


def child(path: Path, bare: bool) -> None:
    """Run in a fresh process: start the application, print seconds and peak RSS."""

    async def go() -> None:
        start = time.perf_counter()
        app = app_for(path, MovableClock(T0, frozen=True))
        await app.start(background=not bare)
        seconds = time.perf_counter() - start
        await app.stop()
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"seconds": seconds, "rss_mb": rss_mb}))

    asyncio.run(go())


def measure_start(path: Path, bare: bool) -> dict[str, float]:
    """Start the application in a fresh process; add the whole process's wall time."""
    began = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path)] + (["--bare"] if bare else []),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    figures["process_s"] = time.perf_counter() - began
    return figures


async def burst(path: Path, expected: int) -> float:
    clock = MovableClock(T0, frozen=True)
    app = app_for(path, clock)
    await app.start(background=False)
    clock.advance(BURST_AT - T0)
    start = time.perf_counter()
    ran = await app.scheduler.run_due()
    seconds = time.perf_counter() - start
    async with app.db.transaction() as conn:
        queued = (await conn.execute(select(func.count()).select_from(OutboxMessage))).scalar_one()
    await app.stop()
    if ran != expected or queued != expected:
        raise SystemExit(f"ran {ran}, queued {queued}, expected {expected}")
    return seconds


async def raw_inserts(path: Path, count: int) -> float:
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        start = time.perf_counter()
        await conn.execute("BEGIN IMMEDIATE")
        await conn.executemany(
            "INSERT INTO outbox (platform, target_kind, target, kind, payload, idempotency_key,"
            " state, attempts, next_attempt_at, created_at) VALUES"
            " ('console', 'user', ?, 'raw', '{}', ?, 'sent', 0, '2026-12-02', '2026-12-02')",
            [(f"m{n}", f"raw:{n}") for n in range(count)],
        )
        await conn.execute("COMMIT")
        return time.perf_counter() - start


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scheduler.db"
        await populate(path, args.reminders, args.burst)
        bare = measure_start(path, bare=True)
        full = measure_start(path, bare=False)
        burst_s = await burst(path, args.burst)
        raw_s = await raw_inserts(path, args.burst)
    print(
        f"start with {args.reminders:,} pending: {full['seconds']:.3f} s "
        f"(without scheduler and engine {bare['seconds']:.3f} s; a whole new process, "
        f"imports included, {full['process_s']:.2f} s), peak RSS {full['rss_mb']:.0f} MB"
    )
    print(
        f"{args.burst:,} due in one second: all in the outbox after {burst_s:.3f} s "
        f"(raw insert of as many rows: {raw_s:.3f} s)"
    )
    print(
        json.dumps(
            {
                "bench": "scheduler",
                "pending": args.reminders,
                "start_s": round(full["seconds"], 3),
                "start_ratio_to_bare": round(full["seconds"] / bare["seconds"], 3),
                "process_start_s": round(full["process_s"], 3),
                "peak_rss_mb": round(full["rss_mb"], 1),
                "due_together": args.burst,
                "enqueue_s": round(burst_s, 3),
                "enqueue_ratio_to_raw_insert": round(burst_s / raw_s, 1),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reminders", type=int, default=100_000)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child), args.bare)
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()

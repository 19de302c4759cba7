"""Benchmark: /profile updates dispatched through the whole core, against raw aiosqlite.

10,000 `/profile` updates from 100 members go through the dispatcher (grammar, registry,
validation, role check, unit of work, storage) on a SQLite file. The baseline, measured
in the same run on a file with the same schema and pragmas, is raw aiosqlite doing the same
one-row UPDATE in its own BEGIN IMMEDIATE … COMMIT transaction. The two alternate in rounds
so that a noisy machine slows both alike; the ratio is the median of the rounds' ratios.
The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiosqlite

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import Application
from bot.clock import MovableClock
from bot.config import Config, demo_org
from bot.context import Invocation
from rallybot.groups import default_groups
from storage.db import Database

STATES = ["IL", "WI", "OR", "NY", "TX", "CA", "MN", "GA"]
ZONES = ["America/Chicago", "America/New_York", "America/Los_Angeles", "America/Denver"]


def percentile(samples: list[float], pct: float) -> float:
    """The ``pct``-th percentile of ``samples``."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


class ThroughCore:
    """The whole application on a SQLite file, with 100 members already stored."""

    def __init__(self, path: Path, members: int) -> None:
        self.app = Application(
            Config(orgs=[demo_org()]),
            groups=default_groups(),
            clock=MovableClock(),
            db=Database(f"sqlite+aiosqlite:///{path}"),
        )
        self.people = [
            Invocation(
                platform="console",
                space_id="demo",
                channel_id="general",
                user_id=f"member{i}",
                display_name=f"Member {i}",
                console=True,
            )
            for i in range(members)
        ]
        self.done = 0

    async def start(self) -> None:
        await self.app.start()
        for person in self.people:  # first contact stores the member; not what is measured
            await self.app.dispatcher.handle_text(person, "/profile state:IL")

    async def run(self, count: int) -> list[float]:
        latencies = []
        for _ in range(count):
            n = self.done
            self.done += 1
            line = f"/profile state:{STATES[n % len(STATES)]} timezone:{ZONES[n % len(ZONES)]}"
            start = time.perf_counter()
            reply = await self.app.dispatcher.handle_text(self.people[n % len(self.people)], line)
            latencies.append(time.perf_counter() - start)
            if reply.error:
                raise SystemExit(f"unexpected refusal: {reply.text}")
        return latencies

    async def stop(self) -> None:
        await self.app.stop()


class RawSqlite:
    """aiosqlite alone on a file with the same schema and pragmas."""

    def __init__(self, path: Path, members: int) -> None:
        self.path = path
        self.members = members
        self.done = 0
        self.conn: aiosqlite.Connection | None = None

    async def start(self) -> None:
        db = Database(f"sqlite+aiosqlite:///{self.path}")
        await db.upgrade()
        await db.dispose()
        self.conn = await aiosqlite.connect(self.path, isolation_level=None)
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "busy_timeout=30000",
        ):
            await self.conn.execute(f"PRAGMA {pragma}")
        for i in range(self.members):
            await self.conn.execute(
                "INSERT INTO members (id, display_name) VALUES (?, ?)", (i + 1, f"Member {i}")
            )
            await self.conn.execute(
                "INSERT INTO profiles (member_id, alert_dms, topics) VALUES (?, 1, '[]')", (i + 1,)
            )

    async def run(self, count: int) -> list[float]:
        assert self.conn is not None
        latencies = []
        for _ in range(count):
            n = self.done
            self.done += 1
            start = time.perf_counter()
            await self.conn.execute("BEGIN IMMEDIATE")
            await self.conn.execute(
                "UPDATE profiles SET state = ?, timezone = ? WHERE member_id = ?",
                (STATES[n % len(STATES)], ZONES[n % len(ZONES)], n % self.members + 1),
            )
            await self.conn.execute("COMMIT")
            latencies.append(time.perf_counter() - start)
        return latencies

    async def stop(self) -> None:
        if self.conn is not None:
            await self.conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    per_round = args.updates // args.rounds
    with tempfile.TemporaryDirectory() as tmp:
        raw = RawSqlite(Path(tmp) / "raw.db", args.members)
        core = ThroughCore(Path(tmp) / "core.db", args.members)
        await raw.start()
        await core.start()
        raw_all: list[float] = []
        core_all: list[float] = []
        ratios = []
        for _ in range(args.rounds):
            raw_lat = await raw.run(per_round)
            core_lat = await core.run(per_round)
            raw_all += raw_lat
            core_all += core_lat
            ratios.append(sum(raw_lat) / sum(core_lat))
        await raw.stop()
        await core.stop()
    raw_ops = len(raw_all) / sum(raw_all)
    core_ops = len(core_all) / sum(core_all)
    print(f"raw aiosqlite: {raw_ops:,.0f} ops/s, p50 {statistics.median(raw_all) * 1000:.2f} ms")
    print(
        f"through core:  {core_ops:,.0f} ops/s, p50 {statistics.median(core_all) * 1000:.2f} ms,"
        f" p99 {percentile(core_all, 99) * 1000:.2f} ms ({len(core_all):,} updates)"
    )
    print("ratio by round: " + ", ".join(f"{r:.3f}" for r in ratios))
    print(
        json.dumps(
            {
                "bench": "core",
                "ops_per_s": round(core_ops, 1),
                "p50_ms": round(statistics.median(core_all) * 1000, 3),
                "p99_ms": round(percentile(core_all, 99) * 1000, 3),
                "ratio_to_raw_sqlite": round(statistics.median(ratios), 3),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())

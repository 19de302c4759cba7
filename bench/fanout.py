"""Benchmark: a fan-out of 5,000 messages through the delivery engine into a rate-limited sink.

The sink (``tests/sink.py``, its own process on 127.0.0.1) answers 429 with Retry-After past
``--rate`` calls a second, as a platform does. The engine is told the platform's rate and
must stay close to the floor (recipients / rate) without losing or doubling a message. The
baseline, in the same run against a fresh sink with the same limit, is the naive loop: send
one by one, sleep on 429. Timing starts before the 5,000 rows are stored in the outbox and
ends when the last is recorded sent. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.benchdb import bench_database  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.delivery import DeliveryEngine, EngineSettings  # noqa: E402
from bot.messages import Message, Messages  # noqa: E402
from bot.reply import Reply  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import OutboxMessage  # noqa: E402
from tests.sink import SinkSender  # noqa: E402


class SinkProcess:
    """A sink in a child process."""

    def __init__(self, rate: float, burst: float) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.sink",
                "--rate",
                str(rate),
                "--burst",
                str(burst),
                "--retry-after",
                "0.05",
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()

    async def stats(self) -> dict[str, int]:
        async with aiohttp.ClientSession() as session, session.get(f"{self.url}/stats") as r:
            return await r.json()

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(10)


async def through_engine(url: str, db: Database, count: int, rate: float) -> float:
    clock = SystemClock()
    sender = SinkSender(url, rate=rate, burst=max(1.0, rate / 50), concurrency=32, timeout=5.0)
    engine = DeliveryEngine(db, clock, {"sink": sender}, EngineSettings(batch=200))
    start = time.perf_counter()
    async with db.transaction() as conn:
        await Messages(conn, clock.now()).add_all(
            (
                Message(
                    "sink",
                    "user",
                    f"U{n:05d}",
                    Reply(text=f"Action alert {n}"),
                    f"alert:1:U{n:05d}",
                )
                for n in range(count)
            ),
            kind="alert",
        )
    await engine.drain(retries=True, give_up_after=600)
    seconds = time.perf_counter() - start
    async with db.transaction() as conn:
        sent = (
            await conn.execute(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "sent")
            )
        ).scalar_one()
    await sender.close()
    if sent != count:
        raise SystemExit(f"only {sent} of {count} recorded sent")
    return seconds


async def naive(url: str, count: int) -> float:
    start = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        for n in range(count):
            body = {"key": f"alert:1:U{n:05d}", "target": f"U{n:05d}", "text": f"Action alert {n}"}
            while True:
                async with session.post(f"{url}/send", json=body) as response:
                    await response.read()
                    if response.status != 429:
                        break
                    await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
    return time.perf_counter() - start


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=500.0, help="the sink's limit, calls/s")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--platform", choices=("sink", "discord"), default="sink")
    parser.add_argument("--global-rate", type=int, default=500, help="discord: requests/s")
    args = parser.parse_args()
    if args.platform == "discord":
        from bench.fanout_discord import run

        with tempfile.TemporaryDirectory() as tmp:
            figures = await run(args.recipients, args.global_rate, args.db, Path(tmp))
        print(json.dumps(figures))
        return
    floor = args.recipients / args.rate
    with tempfile.TemporaryDirectory() as tmp:
        sink = SinkProcess(args.rate, burst=20)
        try:
            async with bench_database(args.db, Path(tmp)) as db:
                engine_s = await through_engine(sink.url, db, args.recipients, args.rate)
            engine_stats = await sink.stats()
        finally:
            sink.close()
        naive_sink = SinkProcess(args.rate, burst=20)
        try:
            naive_s = await naive(naive_sink.url, args.recipients)
            naive_stats = await naive_sink.stats()
        finally:
            naive_sink.close()
    print(
        f"engine: {engine_s:.2f} s for {args.recipients:,} ({engine_stats['limited']} 429s); "
        f"floor {floor:.2f} s"
    )
    print(f"naive loop: {naive_s:.2f} s ({naive_stats['limited']} 429s)")
    print(
        json.dumps(
            {
                "bench": "fanout",
                "recipients": args.recipients,
                "seconds": round(engine_s, 3),
                "floor_seconds": round(floor, 3),
                "ratio_to_floor": round(engine_s / floor, 3),
                "ratio_to_naive": round(engine_s / naive_s, 3),
                "duplicates": engine_stats["duplicated"],
                "lost": args.recipients - engine_stats["unique"],
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())

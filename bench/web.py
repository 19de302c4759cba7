"""Benchmark: the public layoff tracker over 100,000 verified reports, against a bare handler.

An organization with a public tracker gets 100,000 verified reports (most with a source
link, some published by organizers, across every state, kind and five years). The web
adapter serves three answers: the tracker page, the page of one state, and the JSON. Each
one's first request renders it cold (reported apart); then each is asked for again and
again, and revalidated with its ETag (304). The baseline, in the same run, is a bare aiohttp
handler returning the same bytes. Latency is measured one request at a time (p50, p99);
throughput with 16 requests in flight; the ratio is the tracker's throughput over the bare
handler's (target: at least 0.3, with p99 under 100 ms). The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.web import WebAdapter
from bench.benchdb import bench_database
from bot.app import Application
from bot.clock import MovableClock
from bot.config import Config, WebConfig, demo_org
from bot.options import US_STATES
from bot.vocabulary import LAYOFF_KINDS, LIBRARY_TYPES
from rallybot.groups import default_groups
from storage.models import LayoffReport

TARGETS = {
    "page": "/o/demo/layoffs",
    "page, one state": "/o/demo/layoffs?state=IL",
    "json": "/o/demo/layoffs.json",
}


def percentile(samples: list[float], pct: float) -> float:
    """The ``pct``-th percentile of ``samples``."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


async def seed(app: Application, count: int) -> None:
    """``count`` verified reports of the demo organization, stored in chunks."""
    org_id = app.services.orgs.by_slug("demo")[0].id
    states, rng = list(US_STATES), random.Random(16)
    rows = []
    for i in range(count):
        counted = date(2022, 1, 1) + timedelta(days=rng.randrange(5 * 365))
        employer = f"Library {rng.randrange(count // 4)}"
        rows.append(
            {
                "org_id": org_id,
                "ref": 1000 + i,
                "employer": employer,
                "employer_key": employer.lower(),
                "library_type": rng.choice(LIBRARY_TYPES),
                "city": f"City {rng.randrange(500)}",
                "state": rng.choice(states),
                "kind": rng.choice(LAYOFF_KINDS),
                "workers": rng.choice((None, *range(1, 60))),
                "classifications": [],
                "source_url": f"https://news.example/{i}" if i % 10 < 7 else None,
                # with a source link, or without one and published by an organizer
                "published": i % 10 <= 7,
                "anonymous": True,
                "ok_to_contact": False,
                "status": "verified",
                "received_week": counted - timedelta(days=counted.weekday()),
                "counted_on": counted,
                "month": f"{counted:%Y-%m}",
            }
        )
    async with app.db.transaction() as conn:
        for start in range(0, count, 5000):
            await conn.execute(insert(LayoffReport.__table__), rows[start : start + 5000])


async def latencies(
    session: aiohttp.ClientSession, url: str, rounds: int, headers: dict[str, str] | None = None
) -> list[float]:
    """Seconds per request, one request at a time."""
    found = []
    for _ in range(rounds):
        start = time.perf_counter()
        async with session.get(url, headers=headers) as response:
            await response.read()
        found.append(time.perf_counter() - start)
    return found


async def throughput(session: aiohttp.ClientSession, url: str, total: int) -> float:
    """Requests a second with 16 in flight."""
    left = total

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            async with session.get(url) as response:
                await response.read()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(16)))
    return total / (time.perf_counter() - start)


async def bare_server(bodies: dict[str, tuple[bytes, str]]) -> tuple[web.AppRunner, int]:
    """An aiohttp server answering each path with the given bytes, and nothing else."""

    async def answer(request: web.Request) -> web.Response:
        body, content_type = bodies[request.path_qs]
        return web.Response(body=body, content_type=content_type)

    bare = web.Application()
    bare.router.add_get("/{tail:.*}", answer)
    runner = web.AppRunner(bare, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


async def main(reports: int, rounds: int, url: str | None) -> dict[str, object]:
    org = demo_org()
    org.public_tracker = True
    config = Config(orgs=[org], web=WebConfig(enabled=True, host="127.0.0.1", port=0))
    results: dict[str, object] = {"reports": reports}
    with tempfile.TemporaryDirectory() as folder:
        async with bench_database(url, Path(folder)) as db:
            app = Application(config, groups=default_groups(), clock=MovableClock(), db=db)
            await app.start(upgrade=False, background=False)
            await seed(app, reports)
            adapter = WebAdapter(config, per_minute=10**9, burst=10**9)
            await adapter.start(app)
            try:
                async with aiohttp.ClientSession() as session:
                    await measure(session, f"http://127.0.0.1:{adapter.port}", rounds, results)
            finally:
                await adapter.stop()
                await app.stop()
    return results


async def measure(
    session: aiohttp.ClientSession, base: str, rounds: int, results: dict[str, object]
) -> None:
    """Each target cold, then warm against the bare handler, the two alternating in five
    rounds so that a noisy machine slows both alike (the ratio is the rounds' median)."""
    bodies: dict[str, tuple[bytes, str]] = {}
    etags: dict[str, str] = {}
    for name, path in TARGETS.items():
        start = time.perf_counter()
        async with session.get(base + path) as response:
            bodies[path] = (await response.read(), response.content_type)
            etags[path] = response.headers["ETag"]
        results[name] = {"bytes": len(bodies[path][0]), "cold_ms": ms(time.perf_counter() - start)}
    runner, port = await bare_server(bodies)
    try:
        for name, path in TARGETS.items():
            ours, bare, ratios = [], [], []
            ours_per_s, bare_per_s = [], []
            for _ in range(5):
                ours += await latencies(session, base + path, rounds // 5)
                bare += await latencies(session, f"http://127.0.0.1:{port}{path}", rounds // 5)
                ours_per_s.append(await throughput(session, base + path, rounds))
                bare_per_s.append(
                    await throughput(session, f"http://127.0.0.1:{port}{path}", rounds)
                )
                ratios.append(ours_per_s[-1] / bare_per_s[-1])
            revalidated = await latencies(
                session, base + path, rounds, {"If-None-Match": etags[path]}
            )
            entry = results[name]
            assert isinstance(entry, dict)
            entry.update(
                p50_ms=ms(percentile(ours, 50)),
                p99_ms=ms(percentile(ours, 99)),
                revalidated_p50_ms=ms(percentile(revalidated, 50)),
                per_s=round(statistics.median(ours_per_s)),
                bare_p50_ms=ms(percentile(bare, 50)),
                bare_p99_ms=ms(percentile(bare, 99)),
                bare_per_s=round(statistics.median(bare_per_s)),
                ratio=round(statistics.median(ratios), 2),
            )
    finally:
        await runner.cleanup()


def ms(seconds: float) -> float:
    """Seconds as milliseconds, rounded for reading."""
    return round(seconds * 1000, 2)


def report(results: dict[str, object]) -> None:
    """Print each answer's figures, then the JSON line."""
    print(f"public tracker over {results['reports']:,} verified reports")
    for name in TARGETS:
        r = results[name]
        assert isinstance(r, dict)
        print(
            f"{name:16} cold {r['cold_ms']:>7} ms | p50 {r['p50_ms']:>6} ms"
            f" p99 {r['p99_ms']:>6} ms | 304 p50 {r['revalidated_p50_ms']:>6} ms"
            f" | {r['per_s']:>6}/s vs bare {r['bare_per_s']:>6}/s"
            f" (p50 {r['bare_p50_ms']} ms, p99 {r['bare_p99_ms']} ms): ratio {r['ratio']}"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a SQLite file)")
    args = parser.parse_args()
    report(asyncio.run(main(args.reports, args.rounds, args.database_url)))

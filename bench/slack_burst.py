"""Benchmark: 1,000 signed Sign-on submissions at once against `rallybot run` on Slack HTTP mode.

`rallybot run --config` serves Slack in HTTP mode (its own process, a SQLite file) with the
Slack stand-in (``python -m standins.slack``, its own process) as its Web API and response
URLs. An organizer creates and sends a sign-on alert through signed slash commands; then
1,000 members submit the Sign-on form (the modal's submit click, ``view_submission``), 100
at a time, each request signed as Slack signs it. Measured: the acknowledgement's latency
(p50, p99; Slack wants it within 3 s, the target is p99 < 300 ms), that all 1,000
signatures are stored, and the throughput against a bare bolt app that only acknowledges
(same signing, same aiohttp serving, its own process), measured in the same run (target:
at least 0.7 of it). The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.child import Child  # noqa: E402
from standins.config import run_config  # noqa: E402
from standins.slack import (  # noqa: E402
    SlackCaller,
    slash_command_body,
    view_submission_body,
)

SECRET = "bench-signing-secret"
TOKEN = "xoxb-standin-token"
TEAM = "T0BENCH"


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def wait_healthy(session: aiohttp.ClientSession, base: str) -> None:
    for _ in range(600):
        try:
            async with session.get(f"{base}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise SystemExit(f"nothing answered at {base}/healthz")


async def burst(caller: SlackCaller, bodies: list[tuple[str, str]], concurrency: int) -> dict:
    """Send every body, ``concurrency`` at a time; latencies and wall time."""
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    failures = 0

    async def one(body: tuple[str, str]) -> None:
        nonlocal failures
        async with gate:
            status, _, seconds = await caller.post(body)
            if status != 200:
                failures += 1
            latencies.append(seconds)

    started = time.perf_counter()
    await asyncio.gather(*(one(b) for b in bodies))
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
        "throughput": round(len(bodies) / wall, 1),
        "failures": failures,
    }


def config_text(db: Path, port: int, api_url: str) -> str:
    slack = {"enabled": True, "mode": "http", "host": "127.0.0.1", "port": port, "api_url": api_url}
    org = {"slug": "bench", "name": "Bench Library Workers", "timezone": "America/Chicago"}
    org["slack_team_ids"] = [TEAM]
    org["alert_channels"] = {"slack": ["C0ALERTS"]}
    org["organizers"] = {"slack_users": ["U0ORG"]}
    return run_config(db, orgs=[org], bot={"log_level": "WARNING"}, slack=slack)


def signatures(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT count(*) FROM alert_responses WHERE kind = 'signed'"
        ).fetchone()[0]


async def stored_within(db: Path, wanted: int, seconds: float) -> int:
    """Wait (another process writes them) until ``wanted`` signatures are stored."""
    for _ in range(int(seconds * 10)):
        found = signatures(db)
        if found >= wanted:
            return found
        await asyncio.sleep(0.1)
    return signatures(db)


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        standin = Child(["-m", "standins.slack", "--team", TEAM, "--rate", "5000"])
        bot = bare = None
        try:
            api_url = standin.first_line() + "/api/"
            port = free_port()
            config = Path(tmp) / "config.toml"
            config.write_text(config_text(db, port, api_url), encoding="utf-8")
            env = {"RALLYBOT_SLACK__SIGNING_SECRET": SECRET, "RALLYBOT_SLACK__BOT_TOKEN": TOKEN}
            bot = Child(["-m", "rallybot", "run", "--config", str(config)], env)
            connector = aiohttp.TCPConnector(limit=args.concurrency)
            async with aiohttp.ClientSession(connector=connector) as session:
                base = f"http://127.0.0.1:{port}"
                await wait_healthy(session, base)
                caller = SlackCaller(f"{base}/slack/events", SECRET, session)
                deadline = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%d %H:%M")
                hook = api_url.replace("/api/", "/response/")
                for line in (
                    f'create title:"Save the branch" body:"Sign by Friday." kind:sign-on '
                    f'deadline:"{deadline}"',
                    "send id:1",
                ):
                    status, _, _ = await caller.post(
                        slash_command_body(
                            "/alert", line, team_id=TEAM, user_id="U0ORG", response_url=hook + "o"
                        )
                    )
                    assert status == 200
                    await asyncio.sleep(0.5)
                metadata = json.dumps({"channel": "C0ALERTS", "response_url": hook + "sign"})
                bodies = [
                    view_submission_body(
                        "alert.sign?id=1",
                        {"name": f"Member {n}", "state": "IL"},
                        team_id=TEAM,
                        user_id=f"U{n:06d}",
                        private_metadata=metadata,
                    )
                    for n in range(args.clicks)
                ]
                ours = await burst(caller, bodies, args.concurrency)
                started = time.perf_counter()
                stored = await stored_within(db, args.clicks, 120)
                all_stored_s = time.perf_counter() - started
                bot.close(terminate=True, timeout=20)
                bot = None

                bare_port = free_port()
                bare = Child(
                    [str(Path(__file__)), "--bare", str(bare_port), "--api-url", api_url],
                    {"RALLYBOT_BENCH_SECRET": SECRET},
                )
                await wait_healthy(session, f"http://127.0.0.1:{bare_port}")
                bare_caller = SlackCaller(
                    f"http://127.0.0.1:{bare_port}/slack/events", SECRET, session
                )
                baseline = await burst(bare_caller, bodies, args.concurrency)
        finally:
            for child in (bot, bare, standin):
                if child is not None:
                    child.close(terminate=True, timeout=20)
    ratio = ours["throughput"] / baseline["throughput"]
    print(
        f"rallybot: ack p50 {ours['p50_ms']} ms, p99 {ours['p99_ms']} ms, "
        f"{ours['throughput']} req/s, {stored}/{args.clicks} stored "
        f"({all_stored_s:.2f} s after the last ack), {ours['failures']} failed"
    )
    print(
        f"bare bolt app: ack p50 {baseline['p50_ms']} ms, p99 {baseline['p99_ms']} ms, "
        f"{baseline['throughput']} req/s"
    )
    print(
        json.dumps(
            {
                "bench": "slack_burst",
                "clicks": args.clicks,
                "concurrency": args.concurrency,
                "ack_p50_ms": ours["p50_ms"],
                "ack_p99_ms": ours["p99_ms"],
                "stored": stored,
                "throughput": ours["throughput"],
                "bare_throughput": baseline["throughput"],
                "ratio_to_bare": round(ratio, 3),
                "bare_p99_ms": baseline["p99_ms"],
                "failures": ours["failures"],
            }
        )
    )


async def serve_bare(port: int, api_url: str) -> None:
    """A bolt app that only acknowledges, served like rallybot's (for the baseline)."""
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    session = aiohttp.ClientSession()
    client = AsyncWebClient(token=TOKEN, base_url=api_url, session=session)
    bolt = AsyncApp(client=client, signing_secret=os.environ["RALLYBOT_BENCH_SECRET"])

    @bolt.view_submission(re.compile(".+"))
    async def only_ack(ack) -> None:  # type: ignore[no-untyped-def]
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/slack/events", events)
    app.router.add_get("/healthz", health)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until closed
    await runner.cleanup()
    await session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clicks", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--bare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        asyncio.run(serve_bare(args.bare, args.api_url))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()

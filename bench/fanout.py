"""Benchmark: a fan-out of 5,000 messages through the delivery engine into a rate-limited sink.

With ``--platform slack`` the messages are Slack direct messages, sent by the Slack sender
through the real slack_sdk into the Slack stand-in (``python -m standins.slack``, its own
process, answering 429 with Retry-After past ``--rate`` chat.postMessage calls a second, in
whole seconds as Slack does); the naive baseline is then a slack_sdk loop that sleeps on
each 429. The Slack sender paces a little under the stated rate (``LIMIT_SHARE``), so its
floor is ``recipients / rate / LIMIT_SHARE``; a 429 would cost it a second.

With ``--platforms slack,discord`` one delivery engine sends ``--recipients`` Slack DMs and
as many Discord DMs at once, into the Slack stand-in and the Discord stand-in (each its own
process, with its own limit); the platforms' limits are independent, so the two fan-outs
overlap and the total is measured against the larger of the two floors (and their sum).

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
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from adapters.slack.sender import SlackSender  # noqa: E402
from bench.benchdb import bench_database  # noqa: E402
from bench.child import Child  # noqa: E402
from bench.common import deliver_alerts, serving  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.delivery import DeliveryEngine, EngineSettings  # noqa: E402
from bot.messages import Message, Messages  # noqa: E402
from bot.reply import Reply  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import OutboxMessage  # noqa: E402
from tests.sink import SinkSender  # noqa: E402

SLACK_TOKEN = "xoxb-standin-token"


class SinkProcess(Child):
    """A sink (or, with ``slack``, the Slack stand-in) in a child process."""

    def __init__(self, rate: float, burst: float, *, slack: bool = False) -> None:
        module = (
            ["-m", "standins.slack"] if slack else ["-m", "tests.sink", "--retry-after", "0.05"]
        )
        super().__init__([*module, "--rate", str(rate), "--burst", str(burst)])
        self.url = self.first_line()

    async def stats(self) -> dict[str, int]:
        async with aiohttp.ClientSession() as session, session.get(f"{self.url}/stats") as r:
            return await r.json()


async def through_engine(
    url: str, db: Database, count: int, rate: float, *, slack: bool = False
) -> float:
    clock = SystemClock()
    burst = max(1.0, rate / 50)
    sender: SinkSender | SlackSender
    if slack:
        sender = SlackSender(SLACK_TOKEN, f"{url}/api/", rate=rate, burst=burst, concurrency=32)
    else:
        sender = SinkSender(url, rate=rate, burst=burst, concurrency=32, timeout=5.0)
    platform = sender.platform
    engine = DeliveryEngine(db, clock, {platform: sender}, EngineSettings(batch=200))
    start = time.perf_counter()
    async with db.transaction() as conn:
        await Messages(conn, clock.now()).add_all(
            (
                Message(
                    platform,
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


async def naive_slack(url: str, count: int) -> float:
    """One slack_sdk call after another, sleeping out each 429."""
    start = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(token=SLACK_TOKEN, base_url=f"{url}/api/", session=session)
        for n in range(count):
            while True:
                try:
                    await client.chat_postMessage(channel=f"U{n:05d}", text=f"Action alert {n}")
                    break
                except SlackApiError as exc:
                    if exc.response.status_code != 429:
                        raise
                    await asyncio.sleep(float(exc.response.headers.get("Retry-After", "1")))
    return time.perf_counter() - start


async def both_platforms(
    recipients: int, rate: float, global_rate: int, db_url: str | None, tmp: Path
) -> dict:
    """Slack and Discord DMs through one engine at once; the JSON figures."""
    from adapters.discord import DiscordAdapter
    from bench.fanout_discord import StandInProcess, _config
    from bench.fanout_discord import through_engine as discord_alone
    from bot.app import Application
    from rallybot.groups import default_groups

    slack_floor = recipients / rate
    discord_floor = 2 * recipients / global_rate  # open the DM channel, post the message
    slack_standin = SinkProcess(rate, burst=20, slack=True)
    discord_standin = StandInProcess(global_rate)
    try:
        async with bench_database(db_url, tmp) as db:
            config = _config(discord_standin.api_url, global_rate, "sqlite+aiosqlite://")
            adapter = DiscordAdapter(config)
            slack_sender = SlackSender(
                SLACK_TOKEN,
                f"{slack_standin.url}/api/",
                rate=rate,
                burst=rate / 50,
                concurrency=32,
            )
            senders = {**adapter.senders(), "slack": slack_sender}
            app = Application(
                config,
                groups=default_groups(),
                db=db,
                senders=senders,
                engine_settings=EngineSettings(batch=200),
            )
            async with serving(app, adapter):
                try:
                    seconds = await deliver_alerts(
                        app,
                        db,
                        (
                            Message(*to, Reply(text=f"Action alert {n}"), f"alert:1:{to[2]}")
                            for n in range(recipients)
                            for to in (
                                ("slack", "user", f"U{n:05d}"),
                                ("discord", "user", str(810000000000000000 + n)),
                            )
                        ),
                    )
                finally:
                    await slack_sender.close()
        slack_stats = await slack_standin.stats()
        discord_stats = await discord_standin.get("/stats")
    finally:
        slack_standin.close()
        discord_standin.close()
    # the baseline in the same run: the slower platform's fan-out alone, on a fresh stand-in
    alone_standin = StandInProcess(global_rate)
    (tmp / "alone").mkdir()
    try:
        async with bench_database(db_url, tmp / "alone") as db:
            alone, _ = await discord_alone(alone_standin, db, recipients, global_rate)
    finally:
        alone_standin.close()
    floor = max(slack_floor, discord_floor)
    print(f"discord alone: {alone:.2f} s for {recipients:,} DMs")
    print(
        f"slack + discord: {seconds:.2f} s for {recipients:,} DMs on each; floors: slack "
        f"{slack_floor:.2f} s, discord {discord_floor:.2f} s (larger {floor:.2f} s, "
        f"one after the other {slack_floor + discord_floor:.2f} s)"
    )
    return {
        "bench": "fanout",
        "platforms": ["slack", "discord"],
        "recipients_each": recipients,
        "seconds": round(seconds, 3),
        "floor_seconds": round(floor, 3),
        "ratio_to_floor": round(seconds / floor, 3),
        "ratio_to_sum_of_floors": round(seconds / (slack_floor + discord_floor), 3),
        "discord_alone_seconds": round(alone, 3),
        "ratio_to_discord_alone": round(seconds / alone, 3),
        "slack_429s": slack_stats["limited"],
        "discord_invalid_requests": discord_stats["invalid_requests"],
        "duplicates": slack_stats["duplicated"]
        + discord_stats["dm_messages"]
        - discord_stats["dm_recipients"],
        "lost": 2 * recipients - slack_stats["unique"] - discord_stats["dm_recipients"],
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=500.0, help="the sink's limit, calls/s")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--platform", choices=("sink", "slack", "discord"), default="sink")
    parser.add_argument("--global-rate", type=int, default=500, help="discord: requests/s")
    parser.add_argument(
        "--platforms", choices=("slack,discord",), help="both platforms through one engine"
    )
    args = parser.parse_args()
    if args.platforms:
        with tempfile.TemporaryDirectory() as tmp:
            figures = await both_platforms(
                args.recipients, args.rate, args.global_rate, args.db, Path(tmp)
            )
        print(json.dumps(figures))
        return
    if args.platform == "discord":
        from bench.fanout_discord import run

        with tempfile.TemporaryDirectory() as tmp:
            figures = await run(args.recipients, args.global_rate, args.db, Path(tmp))
        print(json.dumps(figures))
        return
    slack = args.platform == "slack"
    floor = args.recipients / args.rate
    with tempfile.TemporaryDirectory() as tmp:
        sink = SinkProcess(args.rate, burst=20, slack=slack)
        try:
            async with bench_database(args.db, Path(tmp)) as db:
                engine_s = await through_engine(
                    sink.url, db, args.recipients, args.rate, slack=slack
                )
            engine_stats = await sink.stats()
        finally:
            sink.close()
        naive_sink = SinkProcess(args.rate, burst=20, slack=slack)
        try:
            send_naively = naive_slack if slack else naive
            naive_s = await send_naively(naive_sink.url, args.recipients)
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
                "bench": "fanout" if not slack else "fanout_slack",
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

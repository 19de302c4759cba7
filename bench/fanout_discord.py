"""Benchmark, Discord mode of ``bench/fanout.py`` (``--platform discord``).

Against the Discord stand-in (``standins/discord.py``, its own process), through the real
discord.py client and the Discord adapter:

1. 5,000 direct messages through the delivery engine. Each DM to an account not seen before
   costs two REST requests (open the DM channel, post the message), all within the global
   limit (``--global-rate`` requests a second, the stand-in's and the bot's; Discord's own
   is 50, which would make the run take minutes). The floor is requests / rate.
2. The baseline in the same run, against a fresh stand-in with the same limit: a naive
   loop of ``(await client.fetch_user(id)).send(text)``, one after the other, leaving
   429s to discord.py.
3. 100 people typing ``/profile state:IL`` at the same moment: the seconds until each got
   its first answer (Discord allows 3), p50 and p99.

The last line is JSON.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import aiohttp
import discord

from adapters.discord import DiscordAdapter
from adapters.discord.client import RoutedHTTP
from bench.benchdb import bench_database
from bench.child import Child
from bench.common import deliver_alerts, serving
from bot.app import Application
from bot.config import Config, DiscordConfig, OrgConfig
from bot.messages import Message
from bot.reply import Reply
from rallybot.groups import default_groups
from storage.db import Database

GUILD = "100000000000000001"
TOKEN = "bench-token-0123456789"


class StandInProcess(Child):
    """The Discord stand-in in a child process."""

    def __init__(self, global_rate: float) -> None:
        flags = {"--global-rate": str(global_rate), "--token": TOKEN, "--guild": GUILD}
        super().__init__(["-m", "standins.discord", *(x for f in flags.items() for x in f)])
        self.api_url = self.first_line()
        self.url = self.api_url.rsplit("/api/", 1)[0]

    async def get(self, path: str) -> dict:
        """A control or statistics endpoint."""
        async with aiohttp.ClientSession() as session, session.get(self.url + path) as r:
            return await r.json()

    async def post(self, path: str, body: dict) -> dict:
        """A control endpoint."""
        async with aiohttp.ClientSession() as session:
            async with session.post(self.url + path, json=body) as r:
                return await r.json()


def _config(api_url: str, global_rate: int, db_url: str) -> Config:
    config = Config(
        orgs=[OrgConfig(slug="bench", name="Bench", discord_guild_ids=[GUILD])],
        discord=DiscordConfig(enabled=True, token=TOKEN, api_url=api_url, global_rate=global_rate),
    )
    config.database.url = db_url
    return config


async def through_engine(
    standin: StandInProcess, db: Database, count: int, rate: int
) -> tuple[float, dict]:
    """5,000 DMs through the outbox, the engine and the adapter's sender."""
    config = _config(standin.api_url, rate, "sqlite+aiosqlite://")
    adapter = DiscordAdapter(config)
    app = Application(config, groups=default_groups(), db=db, senders=adapter.senders())
    async with serving(app, adapter):
        seconds = await deliver_alerts(
            app,
            db,
            (
                Message(
                    "discord",
                    "user",
                    str(810000000000000000 + n),
                    Reply(text=f"Action alert {n}: please sign"),
                    f"alert:1:{n}",
                )
                for n in range(count)
            ),
        )
        latency = await standin.post(
            "/control/burst",
            {"count": 100, "guild_id": GUILD, "name": "profile", "options": {"state": "IL"}},
        )
    return seconds, {**latency, **dict(app.delivery.stats)}


async def naive(standin: StandInProcess, count: int, rate: int) -> float:
    """The baseline: fetch each user and ``user.send`` it, one by one."""
    client = discord.Client(intents=discord.Intents.none())
    client.http = RoutedHTTP(client.loop, api_url=standin.api_url, global_rate=10_000)
    client._connection.http = client.http
    await client.login(TOKEN)
    start = time.perf_counter()
    try:
        for n in range(count):
            user = await client.fetch_user(820000000000000000 + n)
            await user.send(f"Action alert {n}: please sign")
        return time.perf_counter() - start
    finally:
        await client.close()


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(recipients: int, global_rate: int, db_url: str | None, tmp: Path) -> dict:
    """Both parts of the benchmark; the JSON figures."""
    floor = 2 * recipients / global_rate  # open the DM channel, post the message
    standin = StandInProcess(global_rate)
    try:
        async with bench_database(db_url, tmp) as db:
            engine_s, figures = await through_engine(standin, db, recipients, global_rate)
        engine_stats = await standin.get("/stats")
    finally:
        standin.close()
    baseline = StandInProcess(global_rate)
    try:
        naive_s = await naive(baseline, recipients, global_rate)
        naive_stats = await baseline.get("/stats")
    finally:
        baseline.close()
    latencies = [x for x in figures["latencies"] if x is not None]
    print(
        f"discord engine: {engine_s:.2f} s for {recipients:,} DMs "
        f"({engine_stats['invalid_requests']} invalid requests); floor {floor:.2f} s"
    )
    print(f"naive user.send loop: {naive_s:.2f} s ({naive_stats['invalid_requests']} invalid)")
    print(
        f"100 concurrent /profile: first answer p50 {statistics.median(latencies) * 1000:.0f} ms,"
        f" p99 {_quantile(latencies, 0.99) * 1000:.0f} ms, {figures['deferred']} deferred, "
        f"{figures['late']} late"
    )
    return {
        "bench": "fanout",
        "platform": "discord",
        "recipients": recipients,
        "global_rate": global_rate,
        "seconds": round(engine_s, 3),
        "floor_seconds": round(floor, 3),
        "ratio_to_floor": round(engine_s / floor, 3),
        "naive_seconds": round(naive_s, 3),
        "ratio_to_naive": round(engine_s / naive_s, 3),
        "delivered": engine_stats["dm_messages"],
        "duplicates": engine_stats["dm_messages"] - engine_stats["dm_recipients"],
        "lost": recipients - engine_stats["dm_recipients"],
        "invalid_requests": engine_stats["invalid_requests"],
        "interaction_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "interaction_p99_ms": round(_quantile(latencies, 0.99) * 1000, 1),
        "interactions_late": figures["late"],
    }

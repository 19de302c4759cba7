"""Benchmark: an action alert's direct messages while one member's 2,000 reminders fall due.

Two runs of the whole application in one process, each on a fresh database and a fresh
Slack stand-in (``python -m standins.slack``, its own process: ``--rate`` chat.postMessage
calls a second, and about one a second per channel, as Slack allows), sent through the
Slack sender and slack_sdk by the delivery engine running in the background:

- alone: 200 members have alert DMs on; an organizer types ``/alert send``;
- flooded: the same, but one member first set 2,000 reminders for the same moment (the
  configuration it builds raises ``[limits] reminders_per_member`` to let them), and the
  clock is moved so that they all fall due as the alert is sent.

Each alert DM's latency runs from ``/alert send`` to its row being recorded sent. The
figures are the p50 and p99 latencies of both runs and their ratio (target: the flooded
p99 within 1.5 times the p99 alone), and how many of the flood's reminders went out in
the flooded run meanwhile. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from adapters.slack.sender import SlackSender  # noqa: E402
from bench.benchdb import bench_database  # noqa: E402
from bench.common import percentile, person  # noqa: E402
from bench.fanout import SLACK_TOKEN, SinkProcess  # noqa: E402
from bot.app import Application  # noqa: E402
from bot.clock import MovableClock  # noqa: E402
from bot.config import Config, LimitsConfig, demo_org  # noqa: E402
from bot.context import Invocation  # noqa: E402
from rallybot.groups import default_groups  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import OutboxMessage  # noqa: E402

FLOODER = "U0FLOOD"


def slack_person(user_id: str) -> Invocation:
    """A member typing in the demo organization's Slack workspace."""
    return Invocation(
        platform="slack",
        space_id="TDEMO",
        channel_id="CGENERAL",
        user_id=user_id,
        display_name=user_id,
        platform_roles=frozenset(),
    )


async def ask(app: Application, who: Invocation, line: str) -> None:
    """Type a command; stop the benchmark if it is refused."""
    reply = await app.dispatcher.handle_text(who, line)
    if reply.error:
        raise SystemExit(f"{line!r} was refused: {reply.text}")


async def sent_dms(db: Database) -> list[float]:
    """When each alert DM was recorded sent (seconds since the epoch, the app's clock)."""
    async with db.reading() as conn:
        rows = await conn.execute(
            select(OutboxMessage.sent_at).where(
                OutboxMessage.kind == "alert",
                OutboxMessage.target_kind == "user",
                OutboxMessage.state == "sent",
            )
        )
        return [at.timestamp() for (at,) in rows]


async def reminders_sent(db: Database) -> int:
    """How many of the flood's reminders were sent."""
    async with db.reading() as conn:
        return (
            await conn.execute(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.kind == "reminder", OutboxMessage.state == "sent")
            )
        ).scalar_one()


async def one_run(
    db_url: str | None, folder: Path, members: int, flood: int, rate: float
) -> dict[str, float]:
    """Send the alert to ``members`` members with ``flood`` reminders falling due; figures."""
    standin = SinkProcess(rate, burst=rate / 2, slack=True)
    try:
        async with bench_database(db_url, folder) as db:
            config = Config(
                orgs=[demo_org()], limits=LimitsConfig(reminders_per_member=max(50, flood))
            )
            clock = MovableClock()
            sender = SlackSender(SLACK_TOKEN, f"{standin.url}/api/")
            app = Application(
                config, groups=default_groups(), clock=clock, db=db, senders={"slack": sender}
            )
            await app.start(upgrade=False, background=False)
            try:
                for n in range(members):
                    await ask(app, slack_person(f"U{n:05d}"), "/profile state:WI")
                for n in range(flood):
                    await ask(
                        app, slack_person(FLOODER), f'/reminder add when:"in 1 hour" text:"r{n}"'
                    )
                organizer = person("olu", "organizer")
                await ask(
                    app,
                    organizer,
                    '/alert create title:"Save the library jobs" body:"Call the council." '
                    'kind:call deadline:"in 3 days"',
                )
                await app.settle()  # the profile answers, if any; nothing else is due yet
                clock.advance(timedelta(hours=1, minutes=1))
                await app.delivery.start()
                began = clock.now().timestamp()
                await ask(app, organizer, "/alert send id:1")
                await app.scheduler.run_due()
                app.delivery.wake()
                deadline = time.monotonic() + 600
                while len(done := await sent_dms(db)) < members:
                    if time.monotonic() > deadline:
                        raise SystemExit(f"only {len(done)} of {members} alert DMs sent")
                    await asyncio.sleep(0.05)
                flood_sent = await reminders_sent(db)
            finally:
                await app.delivery.stop()
                await sender.close()
                await app.stop()
        stats = await standin.stats()
    finally:
        standin.close()
    latencies = [at - began for at in done]
    return {
        "p50_s": percentile(latencies, 50),
        "p99_s": percentile(latencies, 99),
        "last_s": max(latencies),
        "flood_sent": flood_sent,
        "limited": stats["limited"],
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--reminders", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0, help="chat.postMessage calls/s")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        alone = await one_run(args.db, Path(tempfile.mkdtemp(dir=tmp)), args.members, 0, args.rate)
        flooded = await one_run(
            args.db, Path(tempfile.mkdtemp(dir=tmp)), args.members, args.reminders, args.rate
        )
    ratio = flooded["p99_s"] / alone["p99_s"]
    print(
        f"alert DMs to {args.members} members alone: p50 {alone['p50_s']:.2f} s, "
        f"p99 {alone['p99_s']:.2f} s"
    )
    print(
        f"with {args.reminders:,} reminders of one member due at once: p50 "
        f"{flooded['p50_s']:.2f} s, p99 {flooded['p99_s']:.2f} s ({ratio:.2f} times alone; "
        f"target at most 1.5); {flooded['flood_sent']} of the reminders sent meanwhile"
    )
    print(
        json.dumps(
            {
                "bench": "abuse",
                "members": args.members,
                "reminders": args.reminders,
                "alone_p50_s": round(alone["p50_s"], 3),
                "alone_p99_s": round(alone["p99_s"], 3),
                "flooded_p50_s": round(flooded["p50_s"], 3),
                "flooded_p99_s": round(flooded["p99_s"], 3),
                "p99_ratio": round(ratio, 3),
                "target_ratio": 1.5,
                "flood_sent_meanwhile": flooded["flood_sent"],
                "slack_429s": alone["limited"] + flooded["limited"],
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())

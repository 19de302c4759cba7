"""A bot process for tests that need real processes: killed mid-fan-out, or two at once.

``python -m tests.worker --db URL [--schema S] --sink URL [--enqueue N] [--due N]``
starts the application (scheduler and delivery engine in the background) with a sender to
the sink. ``--enqueue N`` first adds N messages to the outbox; ``--due N`` adds N due items
of kind "ping", each of which sends one message. With ``--until-idle`` it exits once the
outbox and the due items are all done (and at least ``--expect`` items are); otherwise it
runs until killed. Leases and timeouts are the engine's realistic ones unless ``--lease``
(and ``--send-timeout``) shorten them, for a test that waits for a dead process's lease.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from bot.app import Application
from bot.clock import SystemClock
from bot.config import Config, DatabaseConfig, demo_org
from bot.delivery import EngineSettings
from bot.messages import Messages
from bot.registry import CommandGroup
from bot.reply import Reply
from bot.scheduler import DueContext
from rallybot.groups import default_groups
from storage.db import Database
from storage.models import DueItem, OutboxMessage
from storage.queue import schedule
from tests.sink import SinkSender

pings = CommandGroup("ping", help="test due items")
#: ping items this process has handled
handled = Counter[str]()


@pings.on_due("ping")
async def ping(ctx: DueContext) -> None:
    """Each ping item sends one message to the sink."""
    handled["ping"] += len(ctx.items)
    for item in ctx.items:
        await ctx.messages.to_channel(
            "sink",
            f"c{item.ref_id}",
            Reply(text=f"ping {item.ref_id}"),
            kind="ping",
            key=f"ping:{item.ref_id}",
        )


async def _done(db: Database) -> int:
    async with db.transaction() as conn:
        return (
            await conn.execute(
                select(func.count()).select_from(DueItem).where(DueItem.state == "done")
            )
        ).scalar_one()


async def _pending(db: Database) -> int:
    async with db.transaction() as conn:
        outbox = (
            await conn.execute(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.state.in_(("pending", "sending")))
            )
        ).scalar_one()
        due = (
            await conn.execute(
                select(func.count())
                .select_from(DueItem)
                .where(DueItem.state.in_(("pending", "running")))
            )
        ).scalar_one()
    return outbox + due


async def main(args: argparse.Namespace) -> None:
    clock = SystemClock()
    db = Database(args.db, schema=args.schema)
    sender = SinkSender(
        args.sink, rate=args.rate, concurrency=args.concurrency, timeout=args.send_timeout
    )
    app = Application(
        Config(database=DatabaseConfig(url=args.db), orgs=[demo_org()]),
        clock=clock,
        db=db,
        groups=[*default_groups(), pings],
        senders={"sink": sender},
        engine_settings=EngineSettings(
            lease=timedelta(seconds=args.lease),
            lease_margin=timedelta(seconds=args.lease_margin),
            send_timeout=args.send_timeout + 1.0,  # the sender's own timeout fires first
            backoff=0.05,
            poll=0.2,
        ),
    )
    app.scheduler.poll = 0.2
    if args.enqueue or args.due:
        async with db.transaction() as conn:
            messages = Messages(conn, clock.now())
            for n in range(args.enqueue):
                await messages.to_channel(
                    "sink", f"c{n}", Reply(text=f"message {n}"), kind="test", key=f"msg:{n}"
                )
            for n in range(args.due):
                await schedule(
                    conn, kind="ping", due_at=clock.now(), key=f"ping-item:{n}", ref_id=n
                )
        print("enqueued", flush=True)
    await app.start(upgrade=False)
    print("started", flush=True)
    try:
        while True:
            await asyncio.sleep(0.2)
            if args.until_idle and await _pending(db) == 0 and await _done(db) >= args.expect:
                print(f"ran {handled['ping']} due items", flush=True)
                return
    finally:
        await app.stop()
        await sender.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--schema")
    parser.add_argument("--sink", required=True)
    parser.add_argument("--enqueue", type=int, default=0)
    parser.add_argument("--due", type=int, default=0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--lease", type=float, default=30.0, help="message lease, seconds")
    parser.add_argument("--lease-margin", type=float, default=2.0)
    parser.add_argument("--send-timeout", type=float, default=3.0, help="per call, seconds")
    parser.add_argument("--until-idle", action="store_true")
    parser.add_argument("--expect", type=int, default=0, help="due items done before idle counts")
    asyncio.run(main(parser.parse_args()))

"""Posts with a live view (bot/posts.py): alerts, polls and events announced to every alert
channel, recorded in one table, and refreshed through one due-item kind, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot import posts
from bot.registry import CommandGroup, Registry
from bot.reply import Reply
from bot.scheduler import DueContext
from bot.unit import UnitOfWork
from storage import queue
from storage.db import Database
from storage.models import ChannelPost, DueItem, OutboxMessage
from tests.support import ConsoleBot, Person

START = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # Monday 9:00 in Chicago
ORGANIZER = Person("olu", roles=frozenset({"organizer"}))
PLACES = ("#alerts", "discord #200000000000000001", "slack #CALERTS")
MEETING = (
    '/event create title:"Chapter meeting" kind:meeting start:"2026-11-20 18:00" end:"19:30" '
    'place:"Main library, room B"'
)


async def posted(t: ConsoleBot, subject_kind: str) -> list[tuple[int, str, str, int, str]]:
    """The recorded posts of a kind of subject: (subject, platform, channel, outbox row's
    kind, outbox row's key)."""
    async with t.bot.app.db.transaction() as conn:
        rows = await conn.execute(
            select(
                ChannelPost.subject_id,
                ChannelPost.platform,
                ChannelPost.channel,
                OutboxMessage.kind,
                OutboxMessage.idempotency_key,
            )
            .join(OutboxMessage, OutboxMessage.id == ChannelPost.outbox_id)
            .where(ChannelPost.subject_kind == subject_kind)
            .order_by(ChannelPost.platform)
        )
        return [tuple(row) for row in rows]


async def test_an_event_announcement_is_recorded_so_a_change_edits_its_posts(
    database: Database, tmp_path: Path
) -> None:
    t = await ConsoleBot.start(database, tmp_path, start=START)
    bot = t.bot
    await t.ok(ORGANIZER, MEETING)
    await bot.app.settle()
    assert await posted(t, "event") == [
        (1, "console", "alerts", "event", "event:1:post:console:alerts"),
        (1, "discord", "200000000000000001", "event", "event:1:post:discord:200000000000000001"),
        (1, "slack", "CALERTS", "event", "event:1:post:slack:CALERTS"),
    ]

    async def refresh(key: str) -> None:
        async with bot.app.db.transaction() as conn:
            await queue.schedule(
                conn,
                kind=posts.REFRESH,
                due_at=bot.clock.now(),
                key=key,
                ref_id=1,
                payload={"subject": "event"},
            )
        await bot.app.settle()

    # nothing changed: the posts are left as they are
    await refresh("event:1:edit:1")
    assert await t.count(OutboxMessage, kind="event") == 3
    assert not any(t.edits(place) for place in PLACES)
    # the event moves to another room: each post is edited, once
    async with bot.app.db.transaction() as conn:
        await conn.execute(text("UPDATE events SET place = 'Room C' WHERE id = 1"))
    await refresh("event:1:edit:2")
    await refresh("event:1:edit:3")
    for place in PLACES:
        (edit,) = t.edits(place)
        assert edit.startswith("== Meeting: Chapter meeting (event 1) ==")
        assert "Where: Room C" in edit and "[1] Going  [2] Maybe  [3] Can't go" in edit
    assert await t.count(OutboxMessage, kind="event") == 6


async def test_alert_and_poll_posts_refresh_through_one_kind_each_in_its_class(
    database: Database, tmp_path: Path
) -> None:
    t = await ConsoleBot.start(database, tmp_path, start=START)
    bot = t.bot
    await t.ok(ORGANIZER, '/alert create title:"Call the council" body:"Today." kind:call')
    await t.ok(ORGANIZER, "/alert send id:1")
    await t.ok(
        ORGANIZER,
        '/poll create question:"Meet when?" options:"Tuesday | Thursday" results:live anonymous:no',
    )
    await bot.app.settle()
    assert [p[3] for p in await posted(t, "alert")] == ["alert"] * 3
    assert [p[3] for p in await posted(t, "poll")] == ["poll"] * 3
    for i in range(3):
        await t.ok(Person(f"m{i}"), "/alert acted id:1")
        await t.ok(Person(f"m{i}"), "/poll vote id:1 choice:Tuesday")
    # one refresh per subject and interval, whoever answered
    assert await t.count(DueItem, kind=posts.REFRESH) == 2
    bot.clock.advance(timedelta(seconds=5))
    await bot.app.settle()
    assert await t.count(DueItem, kind=posts.REFRESH, state="done") == 2
    for place in PLACES:
        alert_edit, poll_edit = t.edits(place)
        assert "3 acted" in alert_edit and "3 ballots so far · Tuesday 3" in poll_edit
    # each feature's edits keep their priority class: alert tallies are urgent, polls routine
    async with bot.app.db.transaction() as conn:
        ranks = dict(
            (
                await conn.execute(
                    select(OutboxMessage.kind, OutboxMessage.priority)
                    .where(OutboxMessage.kind.in_(("tally", "poll_edit")))
                    .distinct()
                )
            ).all()
        )
    assert ranks == {
        "tally": queue.priority_rank("tally"),
        "poll_edit": queue.priority_rank("poll_edit"),
    }
    assert queue.priority_of("tally") == "urgent" and queue.priority_of("poll_edit") == "routine"


def test_a_subject_kind_has_one_live_view() -> None:
    async def render(ctx: UnitOfWork, subject_id: int) -> Reply | None:
        return Reply(text=f"subject {subject_id}")

    first, second = CommandGroup("first"), CommandGroup("second")
    first.live_view("note", edit_kind="note")(render)
    assert Registry([first]).live_views()["note"].render is render
    assert posts.REFRESH in Registry([first]).due_handlers()
    second.live_view("note", edit_kind="note")(render)
    with pytest.raises(ValueError, match="'note' are declared twice"):
        Registry([first, second]).live_views()


async def test_scheduled_work_asks_for_a_refresh_and_writes_separately_like_a_command(
    database: Database, tmp_path: Path
) -> None:
    """A due item's unit of work is the same kind as a command's: it asks for a coalesced
    refresh with the same call, and a write left for after its commit runs in a unit of work
    of its own, woken for like any other."""
    nudges = CommandGroup("nudges")

    @nudges.on_due("nudge")
    async def nudge(ctx: DueContext) -> None:
        for item in ctx.items:
            assert item.ref_id is not None and item.org_id is not None
            await posts.refresh_soon(ctx, "poll", item.ref_id, org_id=item.org_id)

            async def follow_up(ref_id: int = item.ref_id) -> None:
                async with ctx.separate() as unit:
                    await unit.schedule(
                        kind="nudge.done", due_at=unit.now, key=f"nudge.done:{ref_id}"
                    )

            ctx.after_commit(follow_up)

    t = await ConsoleBot.start(database, tmp_path, start=START, extra_groups=[nudges])
    bot = t.bot
    await t.ok(
        ORGANIZER,
        '/poll create question:"Meet when?" options:"Tuesday | Thursday" results:live anonymous:no',
    )
    await bot.app.settle()
    await t.ok(Person("m0"), "/poll vote id:1 choice:Tuesday")
    bot.clock.advance(timedelta(seconds=5))
    await bot.app.settle()
    assert len(t.edits("#alerts")) == 1
    await t.ok(Person("m1"), "/poll vote id:1 choice:Thursday")
    # the scheduled work, not a command, asks for the tally to be shown
    async with bot.app.db.transaction() as conn:
        org_id = (await conn.execute(select(DueItem.org_id).limit(1))).scalar_one()
        await queue.schedule(
            conn, kind="nudge", due_at=bot.clock.now(), key="n", ref_id=1, org_id=org_id
        )
    await bot.app.scheduler.run_due()
    assert await t.count(DueItem, kind="nudge", state="done") == 1
    assert await t.count(DueItem, kind="nudge.done") == 1
    bot.clock.advance(timedelta(seconds=5))
    await bot.app.settle()
    assert await t.count(DueItem, kind=posts.REFRESH, state="done") == 2
    assert "2 ballots so far" in t.edits("#alerts")[-1]


async def test_an_edit_whose_key_was_used_leaves_the_post_to_the_next_refresh(
    database: Database, tmp_path: Path
) -> None:
    """A refresh whose edit key is already taken queues nothing, so the post must not be
    taken as showing the new text: the next refresh, under a fresh key, edits it."""
    t = await ConsoleBot.start(database, tmp_path, start=START)
    bot = t.bot
    await t.ok(ORGANIZER, MEETING)
    await bot.app.settle()

    async def move_and_refresh(room: str, key: str) -> None:
        async with bot.app.db.transaction() as conn:
            await conn.execute(text(f"UPDATE events SET place = '{room}' WHERE id = 1"))
            unit = UnitOfWork(bot.app.services, conn, at=bot.clock.now())
            await posts.refresh(unit, "event", {1: key})
        unit.committed()
        await bot.app.settle()

    await move_and_refresh("Room C", "event:1:same")
    await move_and_refresh("Room D", "event:1:same")  # the key is taken: nothing is queued
    assert [len(t.edits(place)) for place in PLACES] == [1, 1, 1]
    await move_and_refresh("Room D", "event:1:fresh")
    for place in PLACES:
        assert "Where: Room D" in t.edits(place)[-1]

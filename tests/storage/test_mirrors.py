"""Copies of events on platforms (``storage.mirrors``) on both databases: recording what a
copy shows and its platform id, one row per event and space, reading an event's state and
its announcements with their message ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from bot.reply import Reply, to_payload
from storage import events, mirrors, orgs, posts, queue
from storage.db import Database
from storage.models import EventMirror, OutboxMessage
from storage.posts import NewPost
from storage.queue import NewMessage

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


async def an_event(conn) -> int:
    org = await orgs.sync_org(conn, "il", "Illinois", "America/Chicago", [("discord", "G1")])
    event = await events.create_event(
        conn,
        org_id=org.id,
        title="Budget rally",
        description=None,
        kind="rally",
        starts_at=NOW + timedelta(days=3),
        ends_at=NOW + timedelta(days=3, hours=2),
        timezone="America/Chicago",
        place=None,
        link=None,
        capacity=None,
        rsvp_deadline=None,
        reminder_offsets=(),
        created_by=None,
        created_at=NOW,
    )
    return event.id


async def test_a_copy_is_recorded_once_per_space_and_updated(database: Database) -> None:
    async with database.transaction() as conn:
        event_id = await an_event(conn)
        assert await mirrors.mirrors_of(conn, event_id, "discord") == {}
        await mirrors.set_shown(conn, event_id, "discord", "G1", "digest-1", NOW)
        await mirrors.set_shown(conn, event_id, "discord", "G2", "digest-2", NOW)
        await mirrors.set_shown(conn, event_id, "discord", "G1", "digest-3", NOW)
        await mirrors.set_external_id(conn, event_id, "discord", "G1", "999", NOW)
        found = await mirrors.mirrors_of(conn, event_id, "discord")
        assert {s: (m.shown, m.external_id) for s, m in found.items()} == {
            "G1": ("digest-3", "999"),
            "G2": ("digest-2", None),
        }
        assert await mirrors.mirrors_of(conn, event_id, "slack") == {}
        assert await mirrors.event_state(conn, event_id) == "scheduled"
        assert await mirrors.event_state(conn, event_id + 1) is None
    with pytest.raises(IntegrityError):
        async with database.transaction() as conn:
            await conn.execute(
                EventMirror.__table__.insert().values(
                    event_id=event_id, platform="discord", space="G1", updated_at=NOW
                )
            )


async def test_announcements_carry_their_message_ids_once_sent(database: Database) -> None:
    async with database.transaction() as conn:
        event_id = await an_event(conn)
        row = await queue.add_message(
            conn,
            NewMessage("discord", "channel", "C1", to_payload(Reply("hi")), "event", "k:1"),
            NOW,
        )
        event = await events.get_event(conn, event_id)
        assert row is not None and event is not None
        await posts.add_posts(
            conn, [NewPost("event", event_id, event.org_id, "discord", "C1", row, "x")], NOW
        )
        (post,) = await mirrors.announced_posts(conn, "event", event_id, "discord")
        assert (post.channel, post.outbox_id, post.platform_ref) == ("C1", row, None)
        await conn.execute(
            update(OutboxMessage).where(OutboxMessage.id == row).values(platform_ref="555")
        )
        (post,) = await mirrors.announced_posts(conn, "event", event_id, "discord")
        assert post.platform_ref == "555"
        assert await mirrors.announced_posts(conn, "event", event_id, "slack") == []
        assert await mirrors.outbox_row(conn, "k:1") == (row, "pending")
        assert await mirrors.outbox_row(conn, "k:2") is None

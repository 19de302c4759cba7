"""Copies of events on platforms that keep events of their own (``event_mirrors``): where each
copy lives, the platform's id of it once made, and a digest of what it last showed, so that
an unchanged event asks the platform for nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import ChannelPost, Event, EventMirror, OutboxMessage
from storage.records import columns, from_row

_mirrors = EventMirror.__table__
_events = Event.__table__
_outbox = OutboxMessage.__table__
_posts = ChannelPost.__table__


@dataclass(frozen=True)
class MirrorRecord:
    """An event's copy in one space of a platform."""

    event_id: int
    platform: str
    space: str
    external_id: str | None
    shown: str


@dataclass(frozen=True)
class AnnouncedPost:
    """An announcement of a subject in one channel: its outbox row and, once sent, the
    platform's message id."""

    channel: str
    outbox_id: int
    platform_ref: str | None


_MIRROR_COLUMNS = columns(MirrorRecord, _mirrors)


async def mirrors_of(
    conn: AsyncConnection, event_id: int, platform: str
) -> dict[str, MirrorRecord]:
    """The copies of an event on a platform, by space."""
    rows = await conn.execute(
        select(*_MIRROR_COLUMNS).where(
            _mirrors.c.event_id == event_id, _mirrors.c.platform == platform
        )
    )
    return {r.space: r for r in (from_row(MirrorRecord, row) for row in rows)}


async def set_shown(
    conn: AsyncConnection, event_id: int, platform: str, space: str, shown: str, now: datetime
) -> None:
    """Remember what the copy in ``space`` was asked to show (recording the copy if new)."""
    changed = await conn.execute(
        update(_mirrors)
        .where(
            _mirrors.c.event_id == event_id,
            _mirrors.c.platform == platform,
            _mirrors.c.space == space,
        )
        .values(shown=shown, updated_at=now)
    )
    if not changed.rowcount:
        await conn.execute(
            _mirrors.insert().values(
                event_id=event_id, platform=platform, space=space, shown=shown, updated_at=now
            )
        )


async def set_external_id(
    conn: AsyncConnection,
    event_id: int,
    platform: str,
    space: str,
    external_id: str,
    now: datetime,
) -> None:
    """Record the platform's id of the copy in ``space`` once the platform made it."""
    await conn.execute(
        update(_mirrors)
        .where(
            _mirrors.c.event_id == event_id,
            _mirrors.c.platform == platform,
            _mirrors.c.space == space,
        )
        .values(external_id=external_id, updated_at=now)
    )


async def event_state(conn: AsyncConnection, event_id: int) -> str | None:
    """An event's state (scheduled or cancelled); None for no such event."""
    return (
        await conn.execute(select(_events.c.state).where(_events.c.id == event_id))
    ).scalar_one_or_none()


async def outbox_row(conn: AsyncConnection, key: str) -> tuple[int, str] | None:
    """The outbox row stored under an idempotency key and its state (pending, sending, sent
    or failed), if there is one."""
    row = (
        await conn.execute(
            select(_outbox.c.id, _outbox.c.state).where(_outbox.c.idempotency_key == key)
        )
    ).first()
    return None if row is None else (row.id, row.state)


async def announced_posts(
    conn: AsyncConnection, subject_kind: str, subject_id: int, platform: str
) -> list[AnnouncedPost]:
    """A subject's announcements on a platform, oldest first."""
    rows = await conn.execute(
        select(_posts.c.channel, _posts.c.outbox_id, _outbox.c.platform_ref)
        .join(_outbox, _outbox.c.id == _posts.c.outbox_id)
        .where(
            _posts.c.subject_kind == subject_kind,
            _posts.c.subject_id == subject_id,
            _posts.c.platform == platform,
        )
        .order_by(_posts.c.id)
    )
    return [AnnouncedPost(r.channel, r.outbox_id, r.platform_ref) for r in rows]

"""Channel posts of alerts, polls and events: where each was posted, by which outbox row, and
a digest of what it last showed (so an edit that changes nothing is not sent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import ChannelPost
from storage.records import columns, from_row

_posts = ChannelPost.__table__
_SET_SHOWN = (
    update(_posts)
    .where(_posts.c.id == bindparam("post_id"))
    .values(shown=bindparam("digest"), shown_at=bindparam("at"))
)


@dataclass(frozen=True)
class NewPost:
    """A post to record: its subject, where it went and the outbox row that posts it."""

    subject_kind: str
    subject_id: int
    org_id: int
    platform: str
    channel: str
    outbox_id: int
    #: a digest of what it shows
    shown: str


@dataclass(frozen=True)
class PostRecord(NewPost):
    """A recorded post of a subject in one channel."""

    id: int


_POST_COLUMNS = columns(PostRecord, _posts)


async def add_posts(conn: AsyncConnection, posts: list[NewPost], now: datetime) -> None:
    """Record posts in one statement."""
    if posts:
        await conn.execute(
            _posts.insert(),
            [
                {
                    "subject_kind": p.subject_kind,
                    "subject_id": p.subject_id,
                    "org_id": p.org_id,
                    "platform": p.platform,
                    "channel": p.channel,
                    "outbox_id": p.outbox_id,
                    "shown": p.shown,
                    "posted_at": now,
                    "shown_at": now,
                }
                for p in posts
            ],
        )


async def posts_of(
    conn: AsyncConnection, subject_kind: str, subject_ids: list[int]
) -> list[PostRecord]:
    """The posts of these subjects, oldest first."""
    if not subject_ids:
        return []
    rows = await conn.execute(
        select(*_POST_COLUMNS)
        .where(_posts.c.subject_kind == subject_kind, _posts.c.subject_id.in_(subject_ids))
        .order_by(_posts.c.id)
    )
    return [from_row(PostRecord, row) for row in rows]


async def set_shown(conn: AsyncConnection, shown: list[tuple[int, str]], now: datetime) -> None:
    """Remember what each edited post now shows: (post id, digest), in one statement."""
    if shown:
        await conn.execute(
            _SET_SHOWN, [{"post_id": pid, "digest": digest, "at": now} for pid, digest in shown]
        )


def outbox_ids(subject_kind: str, subject_id: int) -> Select[tuple[int]]:
    """A subquery of the outbox rows of a subject's posts, for delivery figures."""
    return select(_posts.c.outbox_id).where(
        _posts.c.subject_kind == subject_kind, _posts.c.subject_id == subject_id
    )

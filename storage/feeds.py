"""Calendar feeds (``calendar_feeds``): a member's private subscription address for one
organization's events. A feed is found by the SHA-256 digest of its token; the token itself
is never stored. One feed per member and organization: a new one replaces the old, which
stops working at once."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.events import CANCELLED, EventRecord
from storage.models import CalendarFeed, Event, EventRsvp, Organization, OutboxMessage
from storage.records import columns, from_row

_feeds = CalendarFeed.__table__
_orgs = Organization.__table__
_events = Event.__table__
_rsvps = EventRsvp.__table__
_outbox = OutboxMessage.__table__
#: a feed's token in the text of a message that sent it
_TOKEN_IN_TEXT = re.compile(r"(/calendar/)[A-Za-z0-9_-]{16,128}(\.ics)")


@dataclass(frozen=True)
class FeedRecord:
    """A member's calendar feed for one organization."""

    id: int
    member_id: int
    org_id: int
    created_at: datetime
    last_used_at: datetime | None


_FEED_COLUMNS = columns(FeedRecord, _feeds)
_EVENT_COLUMNS = columns(EventRecord, _events)


def token_digest(token: str) -> str:
    """The SHA-256 digest of a feed token, in hex: what is stored and looked up."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh random feed token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


async def member_feed(conn: AsyncConnection, member_id: int, org_id: int) -> FeedRecord | None:
    """The member's feed for the organization, if they have one."""
    row = (
        await conn.execute(
            select(*_FEED_COLUMNS).where(_feeds.c.member_id == member_id, _feeds.c.org_id == org_id)
        )
    ).first()
    return None if row is None else from_row(FeedRecord, row)


async def replace_feed(conn: AsyncConnection, member_id: int, org_id: int, now: datetime) -> str:
    """Give the member a new feed for the organization, revoking the one they had; the new
    token is returned, and only its digest kept."""
    token = new_token()
    await conn.execute(
        delete(_feeds).where(_feeds.c.member_id == member_id, _feeds.c.org_id == org_id)
    )
    await conn.execute(
        insert(_feeds).values(
            member_id=member_id, org_id=org_id, token_hash=token_digest(token), created_at=now
        )
    )
    return token


async def feed_by_token(conn: AsyncConnection, token: str) -> FeedRecord | None:
    """The feed a token opens, or None for an unknown or revoked one."""
    row = (
        await conn.execute(select(*_FEED_COLUMNS).where(_feeds.c.token_hash == token_digest(token)))
    ).first()
    return None if row is None else from_row(FeedRecord, row)


async def mark_used(conn: AsyncConnection, feed_id: int, now: datetime) -> None:
    """Note that a calendar fetched the feed."""
    await conn.execute(update(_feeds).where(_feeds.c.id == feed_id).values(last_used_at=now))


async def member_feeds(conn: AsyncConnection, member_id: int) -> list[dict[str, object]]:
    """A member's feeds for /privacy export: the organization, when made and last used;
    never the token."""
    rows = await conn.execute(
        select(_orgs.c.slug, _feeds.c.created_at, _feeds.c.last_used_at)
        .join(_orgs, _orgs.c.id == _feeds.c.org_id)
        .where(_feeds.c.member_id == member_id)
        .order_by(_feeds.c.id)
    )
    return [
        {
            "calendar_feed": "a private calendar address exists",
            "organization": row.slug,
            "created_at": row.created_at.isoformat(),
            "last_used_at": None if row.last_used_at is None else row.last_used_at.isoformat(),
        }
        for row in rows
    ]


async def forget_member(conn: AsyncConnection, member_id: int) -> None:
    """Remove every feed of a member: their addresses stop working."""
    await conn.execute(delete(_feeds).where(_feeds.c.member_id == member_id))


async def merge_members(conn: AsyncConnection, keep: int, drop: int) -> None:
    """Keep one feed per organization when two members are one person: ``keep``'s where both
    have one, else ``drop``'s, moved over."""
    kept = select(_feeds.c.org_id).where(_feeds.c.member_id == keep).scalar_subquery()
    await conn.execute(delete(_feeds).where(_feeds.c.member_id == drop, _feeds.c.org_id.in_(kept)))
    await conn.execute(update(_feeds).where(_feeds.c.member_id == drop).values(member_id=keep))


async def feed_events(conn: AsyncConnection, org_id: int, since: datetime) -> list[EventRecord]:
    """An organization's events not over by ``since``, cancelled ones too, soonest first."""
    rows = await conn.execute(
        select(*_EVENT_COLUMNS)
        .where(_events.c.org_id == org_id, _events.c.ends_at > since)
        .order_by(_events.c.starts_at, _events.c.id)
    )
    return [from_row(EventRecord, row) for row in rows]


async def member_delegations(
    conn: AsyncConnection, member_id: int, event_ids: list[int]
) -> dict[int, str | None]:
    """The events among ``event_ids`` (not cancelled) the member answered other than "no",
    each with the state delegation they go with, if any."""
    rows = await conn.execute(
        select(_rsvps.c.event_id, _rsvps.c.state)
        .join(_events, _events.c.id == _rsvps.c.event_id)
        .where(
            _rsvps.c.member_id == member_id,
            _rsvps.c.event_id.in_(event_ids),
            _rsvps.c.status != "no",
            _events.c.state != CANCELLED,
        )
    )
    return {row.event_id: row.state for row in rows}


async def scrub_sent(conn: AsyncConnection, outbox_id: int) -> bool:
    """Take the token out of the stored copy of the message that sent it, once that message
    is no longer waiting to be sent; False while it still is."""
    row = (
        await conn.execute(
            select(_outbox.c.state, _outbox.c.payload).where(_outbox.c.id == outbox_id)
        )
    ).first()
    if row is None:
        return True
    if row.state in ("pending", "sending"):
        return False
    scrubbed = _TOKEN_IN_TEXT.sub(r"\g<1>[removed]\g<2>", row.payload)
    if scrubbed != row.payload:
        await conn.execute(
            update(_outbox).where(_outbox.c.id == outbox_id).values(payload=scrubbed)
        )
    return True

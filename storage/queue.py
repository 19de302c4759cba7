"""The two work queues in the database: the outbox (messages to send) and due items.

Rows are claimed with a lease: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
processes take disjoint rows, and under SQLite's single writer (``BEGIN IMMEDIATE``). A row
whose lease ran out (its process died) can be claimed again. Finishing a row checks that the
lease is still held, so a slow process never overwrites what another already did.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    String,
    Table,
    and_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from storage.models import DueItem, OutboxMessage

_outbox = OutboxMessage.__table__
_due = DueItem.__table__


@dataclass(frozen=True)
class OutboxRow:
    """A claimed message."""

    id: int
    org_id: int | None
    platform: str
    target_kind: str
    target: str
    member_id: int | None
    kind: str
    payload: str
    idempotency_key: str
    attempts: int
    lease_expires_at: datetime
    edit_ref: str | None


@dataclass(frozen=True)
class DueRow:
    """A claimed due item."""

    id: int
    kind: str
    ref_id: int | None
    org_id: int | None
    member_id: int | None
    due_at: datetime
    key: str | None
    payload: dict[str, Any]
    attempts: int


_OUTBOX_FIELDS = (
    "platform",
    "target_kind",
    "target",
    "payload",
    "kind",
    "priority",
    "idempotency_key",
    "org_id",
    "member_id",
    "edit_of",
    "state",
    "attempts",
    "next_attempt_at",
    "created_at",
)


@cache
def _insert_once(
    table: Table, fields: tuple[str, ...], key: str, dialect: str, returning: bool
) -> Any:
    """INSERT … ON CONFLICT (key) DO NOTHING [RETURNING id], built once per table and dialect."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(table)
        .values({name: bindparam(name) for name in fields})
        .on_conflict_do_nothing(index_elements=[key])
    )
    return stmt.returning(table.c.id) if returning else stmt


#: The priority classes of outgoing messages, first served first. ``urgent``: answers to
#: something a person just did, action alerts (posts, DMs, nudges, tallies, closing),
#: moderation posts and waitlist news; ``event``: event announcements and reminders (and
#: an event's copies as Discord Scheduled Events);
#: ``routine``: personal reminders, digests and polls. A row stores its class's rank.
PRIORITY_CLASSES = ("urgent", "event", "routine")

#: The class of each kind of message; a kind not named here is ``DEFAULT_PRIORITY``.
KIND_PRIORITY = {
    "alert": "urgent",
    "alert_nudge": "urgent",
    "tally": "urgent",
    "alert_close": "urgent",
    "moderation": "urgent",
    "dashboard_link": "urgent",
    "event_promoted": "urgent",
    "event": "event",
    "event_reminder": "event",
    "event_lead": "event",
    "event_mirror": "event",
    "event_feed": "event",
    "reminder": "routine",
    "digest": "routine",
    "poll": "routine",
    "poll_results": "routine",
    "poll_edit": "routine",
}
DEFAULT_PRIORITY = "routine"


def priority_of(kind: str) -> str:
    """The priority class of a kind of message."""
    return KIND_PRIORITY.get(kind, DEFAULT_PRIORITY)


def priority_rank(kind: str) -> int:
    """The stored rank of a kind's priority class (0 is served first)."""
    return PRIORITY_CLASSES.index(priority_of(kind))


@dataclass(frozen=True)
class NewMessage:
    """A message to add to the outbox."""

    platform: str
    target_kind: str  # channel or user
    target: str
    payload: str
    kind: str
    key: str
    org_id: int | None = None
    member_id: int | None = None
    edit_of: int | None = None
    not_before: datetime | None = None


def _message_params(message: NewMessage, now: datetime) -> dict[str, Any]:
    if message.target_kind not in ("channel", "user"):
        raise ValueError(f"target_kind must be channel or user, not {message.target_kind!r}")
    return {
        "platform": message.platform,
        "target_kind": message.target_kind,
        "target": message.target,
        "payload": message.payload,
        "kind": message.kind,
        "priority": priority_rank(message.kind),
        "idempotency_key": message.key,
        "org_id": message.org_id,
        "member_id": message.member_id,
        "edit_of": message.edit_of,
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": message.not_before or now,
        "created_at": message.not_before or now,
    }


async def add_message(conn: AsyncConnection, message: NewMessage, now: datetime) -> int | None:
    """Store a message in the caller's unit of work, due ``now`` unless it waits; one with a
    key already stored is ignored (None)."""
    stmt = _insert_once(_outbox, _OUTBOX_FIELDS, "idempotency_key", conn.dialect.name, True)
    return (await conn.execute(stmt, _message_params(message, now))).scalar_one_or_none()


async def add_messages(conn: AsyncConnection, messages: list[NewMessage], now: datetime) -> None:
    """Store many messages in one statement (a fan-out); repeated keys are ignored."""
    if messages:
        stmt = _insert_once(_outbox, _OUTBOX_FIELDS, "idempotency_key", conn.dialect.name, False)
        await conn.execute(stmt, [_message_params(m, now) for m in messages])


#: the rows still to send, written as the claim index's own condition so that the
#: databases see that index serves the query
_UNSENT = _outbox.c.state.in_([literal_column("'pending'"), literal_column("'sending'")])


def _claimable(
    original: Any, platform: str, owner: str, full: Collection[str], waiting: Collection[str]
) -> list[Any]:
    """What makes a message of a platform claimable, whenever it falls due: waiting, or
    leased by another process (claimable once that lease runs out); not an edit whose
    original is still to be sent; not for a destination that can take nothing now, nor a
    new post for one that can take no new post now (``original`` is the outer-joined row
    an edit edits: a row without its reference is sent as a new post)."""
    clauses = [
        _outbox.c.platform == platform,
        _UNSENT,
        or_(
            _outbox.c.state == "pending",
            and_(_outbox.c.state == "sending", _outbox.c.lease_owner != owner),
        ),
        or_(_outbox.c.edit_of.is_(None), original.c.state.in_(("sent", "failed"))),
    ]
    if full:
        clauses.append(_outbox.c.target.not_in(list(full)))
    if waiting:
        clauses.append(
            or_(original.c.platform_ref.is_not(None), _outbox.c.target.not_in(list(waiting)))
        )
    return clauses


async def claim_outbox(
    conn: AsyncConnection,
    platform: str,
    owner: str,
    now: datetime,
    until: datetime,
    limit: int,
    *,
    full: Collection[str] = (),
    waiting: Collection[str] = (),
    accept: Callable[[str, bool], bool] | None = None,
) -> list[OutboxRow]:
    """Lease up to ``limit`` messages of a platform that are due now: the first priority
    class first, then the earliest due, then the oldest.

    Destinations in ``full`` are left out, and new posts to those in ``waiting``. ``accept``
    is asked in that order about each candidate (its destination, and whether it is a new
    post rather than an edit) and only those it accepts are leased. An edit whose original
    failed is closed as failed with the reason instead: it can never be sent."""
    original = aliased(_outbox, name="original")
    candidates = (
        select(
            _outbox.c.id,
            _outbox.c.target,
            original.c.state.label("original_state"),
            original.c.platform_ref.label("original_ref"),
        )
        .outerjoin(original, original.c.id == _outbox.c.edit_of)
        .where(
            *_claimable(original, platform, owner, full, waiting),
            or_(_outbox.c.state == "pending", _outbox.c.lease_expires_at < now),
            _outbox.c.next_attempt_at <= now,
        )
        .order_by(_outbox.c.priority, _outbox.c.next_attempt_at, _outbox.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True, of=_outbox)
    found = list(await conn.execute(candidates))
    orphans = [r.id for r in found if r.original_state == "failed"]
    if orphans:
        reason = select(original.c.error).where(original.c.id == _outbox.c.edit_of)
        await conn.execute(
            update(_outbox)
            .where(_outbox.c.id.in_(orphans))
            .values(
                state="failed",
                error=literal("the message it edits was not sent: ", String)
                + func.coalesce(reason.scalar_subquery(), "failed"),
                lease_owner=None,
                lease_expires_at=None,
            )
        )
    ids = [
        r.id
        for r in found
        if r.original_state != "failed"
        and (accept is None or accept(r.target, r.original_ref is None))
    ]
    if not ids:
        return []
    await conn.execute(
        update(_outbox)
        .where(_outbox.c.id.in_(ids))
        .values(state="sending", lease_owner=owner, lease_expires_at=until)
    )
    rows = await conn.execute(
        select(_outbox, original.c.platform_ref.label("edit_ref"))
        .outerjoin(original, original.c.id == _outbox.c.edit_of)
        .where(_outbox.c.id.in_(ids))
        .order_by(_outbox.c.priority, _outbox.c.next_attempt_at, _outbox.c.id)
    )
    return [
        OutboxRow(
            r.id,
            r.org_id,
            r.platform,
            r.target_kind,
            r.target,
            r.member_id,
            r.kind,
            r.payload,
            r.idempotency_key,
            r.attempts,
            until,
            r.edit_ref,
        )
        for r in rows
    ]


_MARK_SENT = (
    update(_outbox)
    .where(
        _outbox.c.id == bindparam("row_id"),
        _outbox.c.lease_owner == bindparam("owner"),
        _outbox.c.state == "sending",
    )
    .values(
        state="sent",
        sent_at=bindparam("now"),
        platform_ref=bindparam("ref"),
        attempts=_outbox.c.attempts + 1,
        lease_owner=None,
        lease_expires_at=None,
    )
)


async def mark_sent(
    conn: AsyncConnection, row_id: int, owner: str, now: datetime, ref: str | None
) -> bool:
    """Record a delivery; False if the lease was lost meanwhile."""
    result = await conn.execute(
        _MARK_SENT, {"row_id": row_id, "owner": owner, "now": now, "ref": ref}
    )
    return result.rowcount == 1


async def reschedule(
    conn: AsyncConnection,
    row_id: int,
    owner: str,
    at: datetime,
    *,
    count_attempt: bool,
    error: str | None = None,
) -> None:
    """Put a message back to wait until ``at`` (a retry, or a rate-limit pause)."""
    values: dict[str, Any] = {
        "state": "pending",
        "next_attempt_at": at,
        "lease_owner": None,
        "lease_expires_at": None,
    }
    if count_attempt:
        values["attempts"] = _outbox.c.attempts + 1
    if error is not None:
        values["error"] = error[:1000]
    await conn.execute(
        update(_outbox)
        .where(_outbox.c.id == row_id, _outbox.c.lease_owner == owner, _outbox.c.state == "sending")
        .values(**values)
    )


async def mark_failed(conn: AsyncConnection, row_id: int, owner: str, error: str) -> None:
    """Give up on a message, keeping the reason."""
    await conn.execute(
        update(_outbox)
        .where(_outbox.c.id == row_id, _outbox.c.lease_owner == owner)
        .values(
            state="failed",
            error=error[:1000],
            attempts=_outbox.c.attempts + 1,
            lease_owner=None,
            lease_expires_at=None,
        )
    )


async def next_outbox_time(
    conn: AsyncConnection,
    platform: str,
    owner: str,
    *,
    full: Collection[str] = (),
    waiting: Collection[str] = (),
) -> datetime | None:
    """When the first message of a platform that ``claim_outbox`` could take (with the same
    ``full`` and ``waiting``) becomes claimable: its due time, or when another process's
    lease on it runs out."""
    original = aliased(_outbox, name="original")
    at = case(
        (_outbox.c.state == "sending", _outbox.c.lease_expires_at),
        else_=_outbox.c.next_attempt_at,
    )
    return (
        await conn.execute(
            select(func.min(at))
            .select_from(_outbox)
            .outerjoin(original, original.c.id == _outbox.c.edit_of)
            .where(*_claimable(original, platform, owner, full, waiting))
        )
    ).scalar_one_or_none()


# due items ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewDueItem:
    """Something to do at a time; ``key`` names the occurrence so it is scheduled once."""

    kind: str
    due_at: datetime
    key: str
    ref_id: int | None = None
    org_id: int | None = None
    member_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)


_DUE_FIELDS = (
    "kind",
    "due_at",
    "key",
    "ref_id",
    "org_id",
    "member_id",
    "payload",
    "state",
    "attempts",
)


def _due_params(item: NewDueItem) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "due_at": item.due_at,
        "key": item.key,
        "ref_id": item.ref_id,
        "org_id": item.org_id,
        "member_id": item.member_id,
        "payload": json.dumps(item.payload),
        "state": "pending",
        "attempts": 0,
    }


async def schedule(
    conn: AsyncConnection,
    *,
    kind: str,
    due_at: datetime,
    key: str,
    ref_id: int | None = None,
    org_id: int | None = None,
    member_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> int | None:
    """Add a due item; an item with the same key already scheduled is left as it is (None)."""
    item = NewDueItem(kind, due_at, key, ref_id, org_id, member_id, payload or {})
    stmt = _insert_once(_due, _DUE_FIELDS, "key", conn.dialect.name, True)
    return (await conn.execute(stmt, _due_params(item))).scalar_one_or_none()


async def schedule_many(conn: AsyncConnection, items: list[NewDueItem]) -> None:
    """Add many due items in one statement."""
    if items:
        await conn.execute(
            _insert_once(_due, _DUE_FIELDS, "key", conn.dialect.name, False),
            [_due_params(i) for i in items],
        )


async def move_due(conn: AsyncConnection, key: str, due_at: datetime) -> bool:
    """Move the pending item with this key to ``due_at``; False if none is pending."""
    moved = await conn.execute(
        update(_due).where(_due.c.key == key, _due.c.state == "pending").values(due_at=due_at)
    )
    return bool(moved.rowcount)


async def cancel_due(
    conn: AsyncConnection, kind: str, ref_id: int, member_id: int | None = None
) -> None:
    """Cancel every pending item of a kind for one row (a cancelled reminder, say), or only
    one member's items of it."""
    query = update(_due).where(
        _due.c.kind == kind, _due.c.ref_id == ref_id, _due.c.state == "pending"
    )
    if member_id is not None:
        query = query.where(_due.c.member_id == member_id)
    await conn.execute(query.values(state="cancelled"))


async def claim_due(
    conn: AsyncConnection, owner: str, now: datetime, until: datetime, limit: int
) -> list[DueRow]:
    """Lease up to ``limit`` items due by ``now``, earliest first."""
    ready = or_(
        _due.c.state == "pending",
        and_(_due.c.state == "running", _due.c.lease_expires_at < now),
    )
    candidates = (
        select(_due.c.id)
        .where(ready, _due.c.due_at <= now)
        .order_by(_due.c.due_at, _due.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = [row[0] for row in await conn.execute(candidates)]
    if not ids:
        return []
    await conn.execute(
        update(_due)
        .where(_due.c.id.in_(ids))
        .values(
            state="running", lease_owner=owner, lease_expires_at=until, attempts=_due.c.attempts + 1
        )
    )
    rows = await conn.execute(
        select(_due).where(_due.c.id.in_(ids)).order_by(_due.c.due_at, _due.c.id)
    )
    return [
        DueRow(
            r.id,
            r.kind,
            r.ref_id,
            r.org_id,
            r.member_id,
            r.due_at,
            r.key,
            json.loads(r.payload or "{}"),
            r.attempts,
        )
        for r in rows
    ]


async def finish_due(
    conn: AsyncConnection,
    item_ids: list[int],
    owner: str,
    state: str,
    now: datetime,
    error: str | None = None,
) -> int:
    """Close claimed items (done, missed or failed); return how many were still ours."""
    if not item_ids:
        return 0
    result = await conn.execute(
        update(_due)
        .where(_due.c.id.in_(item_ids), _due.c.lease_owner == owner, _due.c.state == "running")
        .values(
            state=state,
            finished_at=now,
            lease_owner=None,
            lease_expires_at=None,
            error=None if error is None else error[:1000],
        )
    )
    return result.rowcount


async def next_due_time(conn: AsyncConnection) -> datetime | None:
    """When the earliest pending item falls due."""
    return (
        await conn.execute(
            select(_due.c.due_at).where(_due.c.state == "pending").order_by(_due.c.due_at).limit(1)
        )
    ).scalar_one_or_none()

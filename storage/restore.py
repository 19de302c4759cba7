"""The database's side of a backup and its restore: whether a database holds an
organization's work yet, and the messages a restore found half-sent.

A message claimed by the delivery engine (``sending``) when the backup was taken may or may
not have reached the platform; sending it again could post it twice. A restore marks each
such message failed with ``RESTORED_ERROR``, and ``restored_unknown`` lists them so that
people can be told which ones to check by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Alert, Event, LayoffReport, Member, OutboxMessage, Poll

#: the error of a message that was being sent when its backup was taken
RESTORED_ERROR = "unknown: restored from backup"

#: what makes a database not empty: the people and the organizing work kept for them
WORK_TABLES = {
    "members": Member,
    "layoff reports": LayoffReport,
    "alerts": Alert,
    "events": Event,
    "polls": Poll,
}

_outbox = OutboxMessage.__table__


@dataclass(frozen=True)
class UnknownMessage:
    """A message that may or may not have been delivered before the backup was taken."""

    id: int
    org_id: int | None
    platform: str
    target_kind: str
    target: str
    kind: str
    created_at: datetime


async def work_counts(conn: AsyncConnection) -> dict[str, int]:
    """How many rows of each kind of work the database holds, the kinds it has any of
    (empty when it has none, or no tables at all yet)."""

    def tables(sync: Connection) -> set[str]:
        return set(inspect(sync).get_table_names())

    present = await conn.run_sync(tables)
    counts: dict[str, int] = {}
    for label, model in WORK_TABLES.items():
        if model.__tablename__ not in present:
            continue
        found = (await conn.execute(select(func.count()).select_from(model))).scalar_one()
        if found:
            counts[label] = found
    return counts


async def fail_in_flight(conn: AsyncConnection) -> int:
    """Mark every message that was being sent as failed with ``RESTORED_ERROR``, so that the
    delivery engine never sends it a second time; how many were marked."""
    result = await conn.execute(
        update(_outbox)
        .where(_outbox.c.state == "sending")
        .values(state="failed", error=RESTORED_ERROR, lease_owner=None, lease_expires_at=None)
    )
    return result.rowcount


async def restored_unknown(conn: AsyncConnection) -> list[UnknownMessage]:
    """The messages a restore marked failed because nobody knows whether they went out,
    oldest first (for ``rallybot check``)."""
    rows = await conn.execute(
        select(
            _outbox.c.id,
            _outbox.c.org_id,
            _outbox.c.platform,
            _outbox.c.target_kind,
            _outbox.c.target,
            _outbox.c.kind,
            _outbox.c.created_at,
        )
        .where(_outbox.c.state == "failed", _outbox.c.error == RESTORED_ERROR)
        .order_by(_outbox.c.id)
    )
    return [UnknownMessage(*row) for row in rows]

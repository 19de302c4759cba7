"""What /metrics reads from the queues at scrape time: one cheap query each.

Only rows that are due count. A message or due item whose time has not come yet (an
anonymous layoff report's moderation post, held back a random while) is not waiting for
anything, so nothing here moves when it is stored: it counts once its time comes, like any
other row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import DueItem, OutboxMessage
from storage.queue import PRIORITY_CLASSES

_outbox = OutboxMessage.__table__
_due = DueItem.__table__

#: outbox states of a message not yet sent (``sending``: claimed, under way)
_WAITING = ("pending", "sending")


@dataclass(frozen=True)
class QueueFigures:
    """The queues as they stand at one moment."""

    #: messages due and not yet sent, by (platform, priority class)
    outbox_depth: dict[tuple[str, str], int]
    #: seconds since the longest-waiting due message fell due (0 with none waiting)
    oldest_due_seconds: float
    #: due items whose time has come and that have not finished
    due_pending: int
    #: of those, the ones that fell due more than ``late_after`` ago
    due_late: int


def _class_name(rank: int) -> str:
    """The priority class of a stored rank."""
    return PRIORITY_CLASSES[rank] if 0 <= rank < len(PRIORITY_CLASSES) else str(rank)


async def queue_figures(
    conn: AsyncConnection, now: datetime, late_after: timedelta
) -> QueueFigures:
    """Read the outbox and the due items as they stand at ``now``."""
    waiting = _outbox.c.state.in_(_WAITING) & (_outbox.c.next_attempt_at <= now)
    depth_rows = await conn.execute(
        select(_outbox.c.platform, _outbox.c.priority, func.count())
        .where(waiting)
        .group_by(_outbox.c.platform, _outbox.c.priority)
    )
    depth: dict[tuple[str, str], int] = {}
    for platform, rank, count in depth_rows:
        key = (platform, _class_name(rank))
        depth[key] = depth.get(key, 0) + count
    oldest = await conn.scalar(select(func.min(_outbox.c.next_attempt_at)).where(waiting))
    due = await conn.execute(
        select(
            func.count(),
            func.count().filter(_due.c.due_at < now - late_after),
        ).where(_due.c.state.in_(("pending", "running")), _due.c.due_at <= now)
    )
    pending, late = due.one()
    return QueueFigures(
        outbox_depth=depth,
        oldest_due_seconds=max((now - oldest).total_seconds(), 0.0) if oldest else 0.0,
        due_pending=int(pending),
        due_late=int(late),
    )

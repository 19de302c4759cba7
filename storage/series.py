"""Repeating events: a series (its rule, start, end and template) and its occurrences, each an
``events`` row of its own named by ``(series_id, occurrence_start)``.

An occurrence is added with ``INSERT … ON CONFLICT DO NOTHING`` on that unique pair, so
rolling a series forward twice (two processes, or a restart in between) never makes one twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.events import _EVENT_COLUMNS, EventRecord
from storage.models import Event, EventSeries
from storage.records import as_dict, columns, convert, from_row

_series = EventSeries.__table__
_events = Event.__table__

SCHEDULED = "scheduled"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class SeriesRecord:
    """A repeating event as stored."""

    id: int
    org_id: int
    #: the rule as typed, e.g. "every 2nd tuesday"
    repeat: str
    #: the RRULE value, e.g. "FREQ=MONTHLY;BYDAY=2TU"
    rule: str
    timezone: str
    first_start: datetime
    until: datetime | None
    count: int | None
    template: dict[str, Any] = field(metadata=convert(as_dict))
    sequence: int
    state: str
    rolled_until: datetime | None
    created_by: int | None
    created_at: datetime

    @property
    def cancelled(self) -> bool:
        """The whole series was cancelled: nothing more is rolled forward."""
        return self.state == CANCELLED


_SERIES_COLUMNS = columns(SeriesRecord, _series)


async def create_series(conn: AsyncConnection, **values: Any) -> SeriesRecord:
    """Store a series (the columns of ``event_series`` as keyword arguments)."""
    row = (await conn.execute(insert(_series).values(**values).returning(*_SERIES_COLUMNS))).one()
    return from_row(SeriesRecord, row)


async def get_series(
    conn: AsyncConnection, series_id: int, *, lock: bool = False
) -> SeriesRecord | None:
    """One series (its row locked until the unit of work ends, if asked)."""
    query = select(*_SERIES_COLUMNS).where(_series.c.id == series_id)
    row = (await conn.execute(query.with_for_update() if lock else query)).first()
    return None if row is None else from_row(SeriesRecord, row)


async def series_of(conn: AsyncConnection, ids: list[int]) -> dict[int, SeriesRecord]:
    """Several series by id."""
    rows = await conn.execute(select(*_SERIES_COLUMNS).where(_series.c.id.in_(ids)))
    return {row.id: from_row(SeriesRecord, row) for row in rows}


async def update_series(conn: AsyncConnection, series_id: int, **values: Any) -> None:
    """Change columns of a series."""
    await conn.execute(update(_series).where(_series.c.id == series_id).values(**values))


async def add_occurrence(conn: AsyncConnection, **values: Any) -> EventRecord | None:
    """Store an occurrence (the columns of ``events``, ``series_id`` and ``occurrence_start``
    among them); None when that occurrence is already stored."""
    values["reminder_offsets"] = list(values.get("reminder_offsets") or ())
    dialect = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = (
        dialect(_events)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["series_id", "occurrence_start"])
        .returning(*_EVENT_COLUMNS)
    )
    row = (await conn.execute(stmt)).first()
    return None if row is None else from_row(EventRecord, row)


async def occurrences(
    conn: AsyncConnection, series_id: int, *, since: datetime | None = None
) -> list[EventRecord]:
    """A series' occurrences made so far (cancelled ones too), in rule order; only those whose
    rule start is at or after ``since``, if given."""
    query = select(*_EVENT_COLUMNS).where(_events.c.series_id == series_id)
    if since is not None:
        query = query.where(_events.c.occurrence_start >= since)
    rows = await conn.execute(query.order_by(_events.c.occurrence_start))
    return [from_row(EventRecord, row) for row in rows]


async def occurrence(
    conn: AsyncConnection, series_id: int, occurrence_start: datetime
) -> EventRecord | None:
    """The occurrence the rule started at ``occurrence_start``, if it has been made."""
    row = (
        await conn.execute(
            select(*_EVENT_COLUMNS).where(
                _events.c.series_id == series_id,
                _events.c.occurrence_start == occurrence_start,
            )
        )
    ).first()
    return None if row is None else from_row(EventRecord, row)

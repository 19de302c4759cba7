"""Repeating events' storage on both databases: a series and its dates, each date stored once
whatever asks for it twice, read back in rule order, and removed with its series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from storage import orgs as org_store
from storage import series as store
from storage.db import Database
from storage.models import Event, EventSeries

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
FIRST = datetime(2026, 11, 11, 1, 0, tzinfo=UTC)


def date_of(org_id: int, series_id: int, start: datetime) -> dict[str, Any]:
    """The columns of one date of the series."""
    return {
        "org_id": org_id,
        "title": "Book club",
        "kind": "meeting",
        "starts_at": start,
        "ends_at": start + timedelta(hours=1),
        "timezone": "America/Chicago",
        "reminder_offsets": ("1d",),
        "created_at": NOW,
        "series_id": series_id,
        "occurrence_start": start,
    }


async def test_a_date_is_stored_once_and_read_in_rule_order(database: Database) -> None:
    async with database.transaction() as conn:
        org = await org_store.sync_org(
            conn, "il", "Illinois", "America/Chicago", [("console", "il")]
        )
        series = await store.create_series(
            conn,
            org_id=org.id,
            repeat="every 2 weeks",
            rule="FREQ=WEEKLY;INTERVAL=2",
            timezone="America/Chicago",
            first_start=FIRST,
            template={"title": "Book club", "length": 3600},
            created_at=NOW,
        )
        assert series.state == "scheduled" and series.sequence == 0 and not series.cancelled
        assert series.rolled_until is None and series.template["length"] == 3600
        later = FIRST + timedelta(days=14)
        second = await store.add_occurrence(conn, **date_of(org.id, series.id, later))
        first = await store.add_occurrence(conn, **date_of(org.id, series.id, FIRST))
        assert first is not None and second is not None
        assert (first.series_id, first.occurrence_start) == (series.id, FIRST)
        assert first.reminder_offsets == ("1d",)
        # the same date again, from a second roll or a repeated answer: nothing stored
        assert await store.add_occurrence(conn, **date_of(org.id, series.id, FIRST)) is None
        found = await store.occurrences(conn, series.id)
        assert [e.id for e in found] == [first.id, second.id]
        assert [e.id for e in await store.occurrences(conn, series.id, since=later)] == [second.id]
        assert (await store.occurrence(conn, series.id, later)) == second
        assert await store.occurrence(conn, series.id, FIRST + timedelta(days=1)) is None
        await store.update_series(conn, series.id, state="cancelled", rolled_until=later)
        locked = await store.get_series(conn, series.id, lock=True)
        assert locked is not None and locked.cancelled and locked.rolled_until == later
        assert list(await store.series_of(conn, [series.id, 999])) == [series.id]
    async with database.transaction() as conn:
        await conn.execute(delete(EventSeries).where(EventSeries.id == series.id))
        left = await conn.execute(select(Event.id).where(Event.series_id == series.id))
        assert left.all() == []  # a series' dates go with it

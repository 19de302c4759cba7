"""The public layoff tracker's reads: verified reports that are public, counted and listed.

A report is public when it is verified and ``published``: every report filed with a source
link is, and one without becomes so when an organizer publishes it. Nothing here reads who
filed a report, its details, its classifications or any moderation field: a public row is
employer, city, state, month, workers, kind and source link, and the counts are of those.
Pending, rejected and duplicate reports never appear.

Each organization's row in ``layoff_trackers`` carries a version, bumped in the same
transaction as any change to what the tracker shows (a report verified, published or
unpublished), so a web server caches its pages under that number and revalidates them with
one primary-key read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Date, Select, String, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import LayoffReport, LayoffTracker
from storage.records import columns, from_row
from storage.types import UTCDateTime

_reports = LayoffReport.__table__
_trackers = LayoffTracker.__table__
_r = _reports.c

#: the one rule of every public read (a verified report is always visible: moderation made
#: it so), answered from the covering indexes ix_layoff_reports_public and _public_list
_PUBLIC = (_r.org_id == bindparam("org_id")) & (_r.status == "verified") & _r.published


@dataclass(frozen=True)
class TrackerFilter:
    """Which public reports a tracker page shows: all, or of one state, kind and year."""

    state: str | None = None
    kind: str | None = None
    year: int | None = None


@dataclass(frozen=True)
class Tally:
    """Public reports and their known workers in one group (a state, a month, a kind)."""

    label: str
    reports: int
    workers: int


@dataclass(frozen=True)
class TrackerSummary:
    """The public reports counted: in all, and by state, month, library type and kind."""

    reports: int
    workers: int
    #: distinct employers (libraries or library systems)
    libraries: int
    by_state: list[Tally]
    by_month: list[Tally]
    by_type: list[Tally]
    by_kind: list[Tally]


@dataclass(frozen=True)
class PublicReport:
    """What the world sees of one report: never who filed it, nor its reference."""

    employer: str
    city: str | None
    state: str | None
    month: str
    workers: int | None
    kind: str
    source_url: str | None


@dataclass(frozen=True)
class TrackerStamp:
    """How current an organization's tracker is: its version and when that last changed."""

    version: int
    changed_at: datetime | None


def _where(state: bool, kind: bool, year: bool) -> list[Any]:
    """The public rule and the conditions of the filters given."""
    where: list[Any] = [_PUBLIC]
    if state:
        where.append(_r.state == bindparam("state", type_=String))
    if kind:
        where.append(_r.kind == bindparam("kind", type_=String))
    if year:
        where.append(_r.counted_on >= bindparam("first", type_=Date))
        where.append(_r.counted_on < bindparam("after", type_=Date))
    return where


def _given(filters: TrackerFilter) -> tuple[bool, bool, bool]:
    """Which filters are given: the shape of the statement, built once per shape."""
    return filters.state is not None, filters.kind is not None, filters.year is not None


def _params(org_id: int, filters: TrackerFilter) -> dict[str, Any]:
    """The parameters of a filtered statement."""
    params: dict[str, Any] = {"org_id": org_id}
    if filters.state is not None:
        params["state"] = filters.state
    if filters.kind is not None:
        params["kind"] = filters.kind
    if filters.year is not None:
        params["first"] = date(filters.year, 1, 1)
        params["after"] = date(filters.year + 1, 1, 1)
    return params


#: the groups the tracker counts by, each its own small GROUP BY (together they would make
#: nearly a group per report)
_GROUPS = (_r.state, _r.month, _r.library_type, _r.kind)


@cache
def _summary_statements(state: bool, kind: bool, year: bool) -> tuple[Select[Any], ...]:
    """The totals (reports, workers, distinct employers), then a count by each of
    ``_GROUPS``, built once per set of filters."""
    where = _where(state, kind, year)
    totals = select(
        func.count(), func.sum(_r.workers), func.count(func.distinct(_r.employer_key))
    ).where(*where)
    return (
        totals,
        *(
            select(column, func.count(), func.sum(_r.workers)).where(*where).group_by(column)
            for column in _GROUPS
        ),
    )


def _tallies(rows: Any, unnamed: str, *, by_label: bool = False) -> list[Tally]:
    found = [Tally(label or unnamed, n, int(w or 0)) for label, n, w in rows]
    if by_label:
        return sorted(found, key=lambda t: t.label)
    return sorted(found, key=lambda t: (-t.reports, t.label))


async def tracker_summary(
    conn: AsyncConnection, org_id: int, filters: TrackerFilter
) -> TrackerSummary:
    """The public reports of an organization that match ``filters``, counted."""
    totals, by_state, by_month, by_type, by_kind = _summary_statements(*_given(filters))
    params = _params(org_id, filters)
    reports, workers, libraries = (await conn.execute(totals, params)).one()
    return TrackerSummary(
        reports,
        int(workers or 0),
        libraries,
        _tallies(await conn.execute(by_state, params), "not given"),
        _tallies(await conn.execute(by_month, params), "", by_label=True),
        _tallies(await conn.execute(by_type, params), "not given"),
        _tallies(await conn.execute(by_kind, params), ""),
    )


_LISTED = columns(PublicReport, _reports)


@cache
def _list_statement(state: bool, kind: bool, year: bool, paged: bool) -> Select[Any]:
    where = _where(state, kind, year)
    statement = select(*_LISTED).where(*where).order_by(_r.counted_on.desc(), _r.id.desc())
    if paged:
        statement = statement.limit(bindparam("limit")).offset(bindparam("offset"))
    return statement


async def tracker_reports(
    conn: AsyncConnection,
    org_id: int,
    filters: TrackerFilter,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> list[PublicReport]:
    """The public reports that match ``filters``, latest first; a page of them with
    ``limit``, else all."""
    statement = _list_statement(*_given(filters), limit is not None)
    params = _params(org_id, filters)
    if limit is not None:
        params.update(limit=limit, offset=offset)
    return [from_row(PublicReport, row) for row in await conn.execute(statement, params)]


_STAMP = select(_trackers.c.version, _trackers.c.changed_at).where(
    _trackers.c.org_id == bindparam("org_id")
)


@cache
def _bump(dialect: str) -> Any:
    """INSERT … ON CONFLICT (org_id) DO UPDATE SET version = version + 1, once per dialect."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(_trackers).values(
        org_id=bindparam("org_id"), version=1, changed_at=bindparam("at", type_=UTCDateTime())
    )
    return statement.on_conflict_do_update(
        index_elements=["org_id"],
        set_={"version": _trackers.c.version + 1, "changed_at": statement.excluded.changed_at},
    )


async def tracker_stamp(conn: AsyncConnection, org_id: int) -> TrackerStamp:
    """How current an organization's tracker is (version 0: never changed)."""
    row = (await conn.execute(_STAMP, {"org_id": org_id})).first()
    return TrackerStamp(0, None) if row is None else TrackerStamp(row[0], row[1])


async def tracker_changed(conn: AsyncConnection, org_id: int, at: datetime) -> None:
    """What the organization's tracker shows may have changed at ``at``: bump its version."""
    await conn.execute(_bump(conn.dialect.name), {"org_id": org_id, "at": at})


async def set_published(
    conn: AsyncConnection, org_id: int, report_id: int, published: bool, at: datetime
) -> None:
    """Show (or stop showing) a report without a source link on the tracker."""
    await conn.execute(
        update(_reports).where(_r.org_id == org_id, _r.id == report_id).values(published=published)
    )
    await tracker_changed(conn, org_id, at)

"""Layoff reports: storing and moderating them, and counting the verified ones in SQL.

An anonymous report has no reporter and no time of arrival finer than ``received_week``;
nothing here adds one, and its ``moderated_at`` is stored as the start of its day (UTC).
Until its ``visible_from`` (when its moderation post is due) every read here passes it over,
so its reference answers like one that does not exist. People see and
type a report's ``ref``, a random number unique in its organization, never its row id.
Counts are GROUP BY queries on the (org_id, status) index, so statistics stay fast over a
hundred thousand reports. The hourly limit keeps, per person, only a keyed hash and a count
for the current clock hour.

Every report counts on one date, ``counted_on`` (:func:`counting_date`): its effective date,
else the Thursday of the week it was received. Its month, its year and ``since:`` in
statistics, and the CSV export, all use that date.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    Date,
    Select,
    String,
    bindparam,
    case,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.csvfile import write_csv
from storage.models import LayoffReport, LayoffReportCount, Member, OutboxMessage
from storage.records import as_tuple, column_names, columns, convert, from_row
from storage.tracker import tracker_changed
from storage.types import UTCDateTime

_reports = LayoffReport.__table__
_counts = LayoffReportCount.__table__
_outbox = OutboxMessage.__table__
_reporters = Member.__table__.alias("reporters")
_moderators = Member.__table__.alias("moderators")
_duplicates = _reports.alias("duplicates")
_possible = _reports.alias("possible")
_r = _reports.c

#: The one rule of every read: a report is passed over until its moderation post is due.
_VISIBLE = or_(_r.visible_from.is_(None), _r.visible_from <= bindparam("now", type_=UTCDateTime()))

#: where a new report's reference is drawn: a few tries among 4 and 5 digits, then wider
REF_RANGES = ((1000, 99_999),) * 8 + ((100_000, 999_999),) * 8 + ((1_000_000, 99_999_999),) * 8
_RANDOM = secrets.SystemRandom()


def counting_date(effective_date: date | None, received_week: date) -> date:
    """The one date a report counts on: its effective date, else the Thursday of the week it
    was received (``received_week`` is that week's Monday), so a week counts in the month and
    year its Thursday is in, as ISO weeks do."""
    return effective_date or received_week + timedelta(days=3)


def day_of(moment: datetime) -> datetime:
    """The start (UTC) of the day of ``moment``: all an anonymous report keeps of a moment."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def employer_key(name: str) -> str:
    """An employer's name folded for matching: "The Springfield Public Library." and
    "springfield  public library" give the same key."""
    folded = unicodedata.normalize("NFKD", name).casefold()
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    words = re.findall(r"[^\W_]+", re.sub(r"['’`]", "", folded))
    return " ".join(w for w in words if w != "the")[:200]


@dataclass(frozen=True)
class ReportedLayoff:
    """What a report says happened, where, and to how many: the first fields of a report as
    filed and as stored alike."""

    employer: str
    library_type: str | None
    city: str | None
    state: str | None
    kind: str
    workers: int | None


@dataclass(frozen=True)
class NewReport(ReportedLayoff):
    """A report as filed, its fields named as /layoff report names them;
    ``reporter_member_id`` is None for an anonymous one."""

    org_id: int
    classifications: list[str]
    effective_date: date | None
    source: str | None
    schedule: str | None
    union: str | None
    details: str | None
    anonymous: bool
    ok_to_contact: bool
    reporter_member_id: int | None
    #: the row id of an earlier report on the same employer
    possible_duplicate_of: int | None
    received_week: date
    #: when the report may be seen (its moderation post is due); None: at once
    visible_from: datetime | None


@dataclass(frozen=True)
class LayoffRecord(ReportedLayoff):
    """A stored report, with its named reporter's display name (for organizers only);
    ``duplicate_of`` and ``possible_duplicate_of`` are the other reports' references."""

    classifications: tuple[str, ...] = field(metadata=convert(as_tuple))
    effective_date: date | None
    source_url: str | None
    schedule: str | None
    union_represented: str | None
    details: str | None
    anonymous: bool
    ok_to_contact: bool
    reporter_name: str | None
    status: str
    duplicate_of: int | None
    possible_duplicate_of: int | None
    received_week: date
    #: last, so that what the report says (``employer`` to ``ok_to_contact``) stays one run
    id: int
    ref: int
    #: shown on the public tracker once verified (a source link, or published by an organizer)
    published: bool


@dataclass(frozen=True)
class ListedReport:
    """What `/layoff list` shows of a verified report: never who sent it."""

    ref: int
    employer: str
    city: str | None
    state: str | None
    kind: str
    workers: int | None
    effective_date: date | None


@dataclass(frozen=True)
class Count:
    """Reports and known workers of one group (a state, a library type, a month)."""

    label: str | None
    reports: int
    workers: int


@dataclass(frozen=True)
class LayoffStats:
    """Verified reports counted: in all, and by state, library type and month."""

    reports: int
    workers: int
    #: reports whose number of workers is unknown (not in ``workers``)
    unknown_workers: int
    by_state: list[Count]
    by_type: list[Count]
    by_month: list[Count]


@dataclass(frozen=True)
class ModerationPost:
    """A report's moderation message in one channel, to be edited once it is decided; its
    fields are, in order, what ``Messages.edit`` takes first."""

    outbox_id: int
    platform: str
    target_kind: str
    target: str


_GET = (
    select(
        *columns(
            LayoffRecord,
            _reports,
            reporter_name=_reporters.c.display_name,
            duplicate_of=_duplicates.c.ref,
            possible_duplicate_of=_possible.c.ref,
        )
    )
    .outerjoin(_reporters, _reporters.c.id == _r.reporter_member_id)
    .outerjoin(_duplicates, _duplicates.c.id == _r.duplicate_of)
    .outerjoin(_possible, _possible.c.id == _r.possible_duplicate_of)
    .where(_r.org_id == bindparam("org_id"), _r.ref == bindparam("ref"), _VISIBLE)
)
#: what a report says: the fields of :class:`LayoffRecord` from ``employer`` to
#: ``ok_to_contact``, in its order, which is also that of the CSV columns
_SAID = column_names(LayoffRecord)
_FIELDS = tuple(_r[n] for n in _SAID[_SAID.index("employer") : _SAID.index("ok_to_contact") + 1])
_POSSIBLE_DUPLICATE = (
    select(_r.id)
    .where(
        _r.org_id == bindparam("org_id"),
        _r.employer_key == bindparam("key"),
        _r.received_week >= bindparam("since", type_=Date),
        _r.status != "rejected",
        _VISIBLE,
    )
    .order_by(_r.id.desc())
    .limit(1)
)
_MODERATE = (
    update(_reports)
    .where(
        _r.org_id == bindparam("in_org"),
        _r.id == bindparam("report_id"),
        _r.status == "pending",
    )
    .values(
        status=bindparam("new_status"),
        moderated_by=bindparam("by"),
        # of an anonymous report, the day only
        moderated_at=case(
            (_r.anonymous, bindparam("day", type_=UTCDateTime())),
            else_=bindparam("at", type_=UTCDateTime()),
        ),
        duplicate_of=bindparam("of"),
        # seen and decided: visible to every reader from now on, whatever its clock
        visible_from=None,
    )
    .returning(_r.id)
)
_POSTS = select(*columns(ModerationPost, _outbox, outbox_id=_outbox.c.id)).where(
    _outbox.c.idempotency_key.in_(bindparam("keys", expanding=True)),
    _outbox.c.edit_of.is_(None),
)
_VERIFIED_SINCE = select(func.count(), func.sum(_r.workers)).where(
    _r.org_id == bindparam("org_id"),
    _r.status == "verified",
    _r.moderated_at >= bindparam("since"),
    _VISIBLE,
)


@cache
def _insert_report(dialect: str) -> Any:
    """INSERT … ON CONFLICT (org_id, ref) DO NOTHING RETURNING id, once per dialect."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(_reports).on_conflict_do_nothing(index_elements=["org_id", "ref"]).returning(_r.id)
    )


async def add_report(conn: AsyncConnection, report: NewReport) -> tuple[int, int]:
    """Store a new (pending) report under a random reference free in its organization;
    return its row id and its reference."""
    values = asdict(report)
    values["source_url"] = values.pop("source")
    values["union_represented"] = values.pop("union")
    values["employer_key"] = employer_key(report.employer)
    values["counted_on"] = counting_date(report.effective_date, report.received_week)
    values["month"] = f"{values['counted_on']:%Y-%m}"
    values["status"] = "pending"
    values["published"] = report.source is not None
    statement = _insert_report(conn.dialect.name)
    for low, high in REF_RANGES:
        values["ref"] = _RANDOM.randint(low, high)
        report_id = (await conn.execute(statement, values)).scalar_one_or_none()
        if report_id is not None:
            return report_id, values["ref"]
    raise RuntimeError(f"no free report reference found in organization {report.org_id}")


async def possible_duplicate(
    conn: AsyncConnection, org_id: int, employer: str, since: date, now: datetime
) -> int | None:
    """The row id of the latest report on the same employer received since ``since``
    (rejected ones and ones not yet visible aside)."""
    key = employer_key(employer)
    if not key:
        return None
    params = {"org_id": org_id, "key": key, "since": since, "now": now}
    return (await conn.execute(_POSSIBLE_DUPLICATE, params)).scalar_one_or_none()


async def get_report(
    conn: AsyncConnection, org_id: int, ref: int, now: datetime
) -> LayoffRecord | None:
    """The report of an organization with this reference, if it is visible ``now``."""
    row = (await conn.execute(_GET, {"org_id": org_id, "ref": ref, "now": now})).first()
    return None if row is None else from_row(LayoffRecord, row)


async def moderate(
    conn: AsyncConnection,
    org_id: int,
    report_id: int,
    *,
    status: str,
    by: int,
    at: datetime,
    duplicate_of: int | None = None,
) -> bool:
    """Decide a pending report (by row id, as :func:`get_report` found it); False if it was
    no longer pending. The moment ``at`` is stored as it is for a named report, and as the
    start of its day for an anonymous one. A report verified may show on the public
    tracker, whose version is bumped."""
    params = {
        "in_org": org_id,
        "report_id": report_id,
        "new_status": status,
        "by": by,
        "at": at,
        "day": day_of(at),
        "of": duplicate_of,
    }
    decided = (await conn.execute(_MODERATE, params)).first() is not None
    if decided and status == "verified":
        await tracker_changed(conn, org_id, at)
    return decided


async def moderator_name(conn: AsyncConnection, report_id: int) -> str | None:
    """The display name of whoever decided a report (by row id), if they are still known."""
    found = await conn.execute(
        select(_moderators.c.display_name)
        .select_from(_reports.join(_moderators, _moderators.c.id == _r.moderated_by))
        .where(_r.id == report_id)
    )
    return found.scalar_one_or_none()


async def moderation_posts(conn: AsyncConnection, keys: list[str]) -> list[ModerationPost]:
    """The posted moderation messages among these idempotency keys."""
    if not keys:
        return []
    rows = await conn.execute(_POSTS, {"keys": keys})
    return [from_row(ModerationPost, row) for row in rows]


# statistics ---------------------------------------------------------------------------------


@cache
def _stats_statement(by_state: bool, by_since: bool) -> Select[Any]:
    """One pass over the verified reports in the covering index, grouped by state, library
    type and month (a few thousand groups at most), built once per set of filters."""
    where = [_r.org_id == bindparam("org_id"), _r.status == "verified", _VISIBLE]
    if by_state:
        where.append(_r.state == bindparam("state", type_=String))
    if by_since:
        where.append(_r.counted_on >= bindparam("since", type_=Date))
    return (
        select(
            _r.state,
            _r.library_type,
            _r.month,
            func.count(),
            func.sum(_r.workers),
            func.count(_r.workers),
        )
        .where(*where)
        .group_by(_r.state, _r.library_type, _r.month)
    )


def _ranked(totals: dict[str | None, list[int]], *, by_label: bool = False) -> list[Count]:
    counts = [Count(label, n, w) for label, (n, w) in totals.items()]
    if by_label:
        return sorted(counts, key=lambda c: c.label or "")
    return sorted(counts, key=lambda c: (-c.reports, c.label is None, c.label or ""))


async def layoff_stats(
    conn: AsyncConnection,
    org_id: int,
    now: datetime,
    *,
    state: str | None = None,
    since: date | None = None,
) -> LayoffStats:
    """Verified reports of an organization counted in SQL, optionally of one state and from
    a date on, each report in the month of its counting date (:func:`counting_date`)."""
    statement = _stats_statement(state is not None, since is not None)
    params: dict[str, Any] = {"org_id": org_id, "now": now}
    if state is not None:
        params["state"] = state
    if since is not None:
        params["since"] = since
    by: tuple[dict[str | None, list[int]], ...] = ({}, {}, {})
    reports = workers = known = 0
    for group_state, library_type, month, n, worker_sum, with_number in await conn.execute(
        statement, params
    ):
        reports += n
        workers += int(worker_sum or 0)
        known += with_number
        for totals, label in zip(by, (group_state, library_type, month), strict=True):
            entry = totals.setdefault(label, [0, 0])
            entry[0] += n
            entry[1] += int(worker_sum or 0)
    return LayoffStats(
        reports,
        workers,
        reports - known,
        _ranked(by[0]),
        _ranked(by[1]),
        _ranked(by[2], by_label=True),
    )


_LISTED_COLUMNS = columns(ListedReport, _reports)


@cache
def _recent_statement(by_state: bool) -> Select[Any]:
    where = [_r.org_id == bindparam("org_id"), _r.status == "verified", _VISIBLE]
    if by_state:
        where.append(_r.state == bindparam("state", type_=String))
    return select(*_LISTED_COLUMNS).where(*where).order_by(_r.id.desc()).limit(bindparam("limit"))


async def recent_verified(
    conn: AsyncConnection,
    org_id: int,
    now: datetime,
    *,
    state: str | None = None,
    limit: int = 20,
) -> list[ListedReport]:
    """The latest verified reports, newest first."""
    params: dict[str, Any] = {"org_id": org_id, "now": now, "limit": limit}
    if state is not None:
        params["state"] = state
    rows = await conn.execute(_recent_statement(state is not None), params)
    return [from_row(ListedReport, row) for row in rows]


async def verified_since(
    conn: AsyncConnection, org_id: int, since: datetime, now: datetime
) -> tuple[int, int]:
    """How many reports were verified since ``since``, and their known workers."""
    params = {"org_id": org_id, "since": since, "now": now}
    count, workers = (await conn.execute(_VERIFIED_SINCE, params)).one()
    return count, int(workers or 0)


# export and privacy ---------------------------------------------------------------------------

CSV_HEADERS = (
    "ref",
    "status",
    "employer",
    "library_type",
    "city",
    "state",
    "kind",
    "workers",
    "classifications",
    "effective_date",
    "source",
    "schedule",
    "union_represented",
    "details",
    "anonymous",
    "ok_to_contact",
    "reporter",
    "received_week",
    "counted_on",
    "duplicate_of",
    "possible_duplicate_of",
    "moderated_by",
    "moderated_at",
)
_EXPORT = (
    select(
        _r.ref,
        _r.status,
        *_FIELDS,
        _reporters.c.display_name,
        _r.received_week,
        _r.counted_on,
        _duplicates.c.ref,
        _possible.c.ref,
        _moderators.c.display_name,
        _r.moderated_at,
    )
    .outerjoin(_reporters, (_reporters.c.id == _r.reporter_member_id) & ~_r.anonymous)
    .outerjoin(_moderators, _moderators.c.id == _r.moderated_by)
    .outerjoin(_duplicates, _duplicates.c.id == _r.duplicate_of)
    .outerjoin(_possible, _possible.c.id == _r.possible_duplicate_of)
    .where(_r.org_id == bindparam("org_id"), _VISIBLE)
    .order_by(_r.id)
)
_OF_MEMBER = (
    select(_r.ref, _r.employer, _r.kind, _r.status, _r.ok_to_contact, _r.received_week)
    .where(_r.reporter_member_id == bindparam("member_id"), _VISIBLE)
    .order_by(_r.id)
)


def _ref(ref: int | None) -> str:
    return "" if ref is None else f"L-{ref}"


async def export_layoffs_csv(conn: AsyncConnection, org_id: int, now: datetime) -> bytes:
    """Every report of an organization visible ``now`` as CSV (UTF-8), with its status. The
    reporter column holds the display name of a named reporter and is empty for every
    anonymous report, whose ``moderated_at`` is its day only."""
    rows = []
    for row in await conn.execute(_EXPORT, {"org_id": org_id, "now": now}):
        values = list(row)
        values[0] = _ref(values[0])
        values[7] = "unknown" if values[7] is None else values[7]
        values[8] = ", ".join(values[8] or ())
        values[19] = _ref(values[19])
        values[20] = _ref(values[20])
        if values[14] and values[22] is not None:
            values[22] = values[22].date().isoformat()
        rows.append(values)
    return write_csv(CSV_HEADERS, rows)


async def reports_of_member(
    conn: AsyncConnection, member_id: int, now: datetime
) -> list[dict[str, Any]]:
    """A member's own named reports, for /privacy export (anonymous ones name no one)."""
    rows = await conn.execute(_OF_MEMBER, {"member_id": member_id, "now": now})
    return [
        {
            "ref": f"L-{rid}",
            "employer": employer,
            "kind": kind,
            "status": status,
            "ok_to_contact": ok,
            "received_week": week.isoformat(),
        }
        for rid, employer, kind, status, ok, week in rows
    ]


async def move_reports(conn: AsyncConnection, from_member: int, to_member: int) -> None:
    """Give a merged member's reports and moderation decisions to the member kept."""
    for column in (_r.reporter_member_id, _r.moderated_by):
        await conn.execute(
            update(_reports).where(column == from_member).values({column.name: to_member})
        )


# the hourly limit ----------------------------------------------------------------------------


@cache
def _count_report(dialect: str) -> Any:
    """One more report for a person this hour, unless the count has reached the limit:
    INSERT … ON CONFLICT DO UPDATE … WHERE count < limit RETURNING count, once per dialect."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(_counts).values(
        person=bindparam("person"), hour=bindparam("hour", type_=UTCDateTime()), count=1
    )
    return statement.on_conflict_do_update(
        index_elements=["person", "hour"],
        set_={"count": _counts.c.count + 1},
        where=_counts.c.count < bindparam("limit"),
    ).returning(_counts.c.count)


async def count_report(conn: AsyncConnection, person: str, hour: datetime, limit: int) -> bool:
    """Count a report for ``person`` (a keyed hash) in the clock hour starting at ``hour``,
    in one atomic statement; False, counting nothing, if ``limit`` were passed. Rows of
    hours already over are deleted first."""
    await forget_past_hours(conn, hour)
    params = {"person": person, "hour": hour, "limit": limit}
    return (await conn.execute(_count_report(conn.dialect.name), params)).first() is not None


async def forget_past_hours(conn: AsyncConnection, hour: datetime) -> None:
    """Delete the counts of every hour before the one starting at ``hour``."""
    await conn.execute(delete(_counts).where(_counts.c.hour < hour))

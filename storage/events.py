"""Events and RSVP: events, answers with the waitlist, delegations, meetings and milestones.

Every change to who is going takes the event's row lock first (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite has one writer at a time), so seats are counted and given under the lock
and the capacity is never exceeded, whatever arrives at the same moment.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.csvfile import write_csv
from storage.models import (
    Event,
    EventDelegation,
    EventMeeting,
    EventMilestone,
    EventRsvp,
    Identity,
    Member,
    Profile,
)
from storage.records import as_tuple, columns, convert, from_row, nested, width

_events = Event.__table__
_rsvps = EventRsvp.__table__
_delegations = EventDelegation.__table__
_meetings = EventMeeting.__table__
_milestones = EventMilestone.__table__
_identities = Identity.__table__
_members = Member.__table__
_profiles = Profile.__table__

#: answers that hold or wait for a seat, and those that are told of the event
SEATED = "going"
WAITLISTED = "waitlisted"
ATTENDING = ("going", "maybe")
#: the answers of those told when an event is cancelled
TOLD_OF_CANCEL = ("going", "maybe", "waitlisted")
#: an event's state once cancelled
CANCELLED = "cancelled"
CSV_HEADERS = (
    "name",
    "platform",
    "status",
    "waitlist_position",
    "state",
    "district",
    "attend",
    "first_time",
    "accessibility",
    "willing_to_lead",
    "attendance",
    "answered_at",
)


@dataclass(frozen=True)
class EventRecord:
    """An event as stored."""

    id: int
    org_id: int
    title: str
    description: str | None
    kind: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str | None
    link: str | None
    capacity: int | None
    rsvp_deadline: datetime | None
    reminder_offsets: tuple[str, ...] = field(metadata=convert(as_tuple))
    created_at: datetime
    #: the iCalendar SEQUENCE, bumped by each edit that changes what a calendar shows
    sequence: int = 0
    #: scheduled or cancelled
    state: str = "scheduled"
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    #: whether the event's channels get a message when it starts
    start_message: bool = True
    #: for an occurrence of a repeating event: its series
    series_id: int | None = None
    #: the start the series' rule gave this occurrence: it names the occurrence even after
    #: the occurrence is moved (its iCalendar RECURRENCE-ID)
    occurrence_start: datetime | None = None

    @property
    def cancelled(self) -> bool:
        """The event was cancelled."""
        return self.state == CANCELLED


@dataclass(frozen=True)
class Details:
    """What a legislative day asks of someone going; ``None`` means not given."""

    state: str | None = None
    district: str | None = None
    attend: str | None = None
    first_time: bool | None = None
    accessibility: str | None = None
    willing_to_lead: bool | None = None


def _offsets_or_none(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


@dataclass(frozen=True)
class RsvpRecord:
    """A member's answer to an event."""

    event_id: int
    member_id: int
    status: str
    platform: str
    #: the order of the waitlist: lower goes first
    waitlist_seq: int | None
    details: Details = field(metadata=nested(Details))
    #: None: the event's own offsets
    reminder_offsets: tuple[str, ...] | None = field(metadata=convert(_offsets_or_none))
    attendance: str | None
    updated_at: datetime


@dataclass(frozen=True)
class Outcome:
    """What an answer did: the member's status now and before, their place on the waitlist,
    and the members moved from the waitlist to going because a seat came free."""

    status: str
    previous: str | None
    position: int | None
    promoted: tuple[int, ...] = ()


@dataclass(frozen=True)
class Recipient:
    """A member to tell something, on one account (the one they answered from if it can
    receive a DM), with their timezone and their answer."""

    member_id: int
    platform: str
    user_id: str
    name: str
    timezone: str | None
    status: str
    state: str | None
    reminder_offsets: tuple[str, ...] | None


@dataclass(frozen=True)
class MeetingRecord:
    """A delegation's meeting with a member of Congress's office."""

    id: int
    event_id: int
    state: str
    office: str
    legislator: str
    starts_at: datetime
    place: str | None


@dataclass(frozen=True)
class MilestoneRecord:
    """A dated item of an event."""

    id: int
    event_id: int
    title: str
    at: datetime
    reminder_offsets: tuple[str, ...] = field(metadata=convert(as_tuple))


@dataclass(frozen=True)
class Attendee:
    """One answer with the name of the member, for organizers."""

    member_id: int
    name: str
    platform: str
    rsvp: RsvpRecord
    position: int | None


_EVENT_COLUMNS = columns(EventRecord, _events)
_RSVP_COLUMNS = columns(RsvpRecord, _rsvps)
_MEETING_COLUMNS = columns(MeetingRecord, _meetings)
_MILESTONE_COLUMNS = columns(MilestoneRecord, _milestones)
_NAME = func.coalesce(_profiles.c.name, _members.c.display_name)


# events ----------------------------------------------------------------------------------


async def create_event(conn: AsyncConnection, **values: Any) -> EventRecord:
    """Store an event (the columns of ``events`` as keyword arguments)."""
    values["reminder_offsets"] = list(values.get("reminder_offsets") or ())
    row = (await conn.execute(insert(_events).values(**values).returning(*_EVENT_COLUMNS))).one()
    return from_row(EventRecord, row)


# Statements on the path of every answer are built once; the database layer caches their SQL.
_GET_EVENT = select(*_EVENT_COLUMNS).where(_events.c.id == bindparam("event_id"))
_LOCK_EVENT = _GET_EVENT.with_for_update()
_GET_RSVP = select(*_RSVP_COLUMNS).where(
    _rsvps.c.event_id == bindparam("event_id"), _rsvps.c.member_id == bindparam("member_id")
)


async def get_event(conn: AsyncConnection, event_id: int) -> EventRecord | None:
    """One event."""
    row = (await conn.execute(_GET_EVENT, {"event_id": event_id})).first()
    return None if row is None else from_row(EventRecord, row)


def one_writer(conn: AsyncConnection) -> bool:
    """Whether ``conn``'s unit of work holds the database's one write lock since its first
    statement (SQLite, whose write transactions begin IMMEDIATE): what it read is then
    still current, and reading it again under a row lock would find the same."""
    return conn.dialect.name == "sqlite"


async def lock_event(
    conn: AsyncConnection, event_id: int, *, read: EventRecord | None = None
) -> EventRecord | None:
    """One event, its row locked until the unit of work ends (PostgreSQL; SQLite has one
    writer already): answers to it are then counted and changed one at a time. An event
    ``read`` earlier in the same unit of work comes back as it is where that read is still
    current (``one_writer``)."""
    if read is not None and read.id == event_id and one_writer(conn):
        return read
    row = (await conn.execute(_LOCK_EVENT, {"event_id": event_id})).first()
    return None if row is None else from_row(EventRecord, row)


async def get_events(conn: AsyncConnection, ids: list[int]) -> dict[int, EventRecord]:
    """Several events by id."""
    rows = await conn.execute(select(*_EVENT_COLUMNS).where(_events.c.id.in_(ids)))
    return {row.id: from_row(EventRecord, row) for row in rows}


async def upcoming_events(
    conn: AsyncConnection, org_id: int, now: datetime, until: datetime | None = None
) -> list[EventRecord]:
    """An organization's events not yet over and not cancelled (starting before ``until``),
    soonest first."""
    query = select(*_EVENT_COLUMNS).where(
        _events.c.org_id == org_id, _events.c.ends_at > now, _events.c.state != CANCELLED
    )
    if until is not None:
        query = query.where(_events.c.starts_at < until)
    rows = await conn.execute(query.order_by(_events.c.starts_at, _events.c.id))
    return [from_row(EventRecord, row) for row in rows]


async def past_events(
    conn: AsyncConnection, org_id: int, now: datetime, limit: int = 25
) -> list[EventRecord]:
    """An organization's events that are over, the latest first (at most ``limit``)."""
    query = (
        select(*_EVENT_COLUMNS)
        .where(_events.c.org_id == org_id, _events.c.ends_at <= now)
        .order_by(_events.c.starts_at.desc(), _events.c.id.desc())
        .limit(limit)
    )
    return [from_row(EventRecord, row) for row in await conn.execute(query)]


async def counts_of(conn: AsyncConnection, event_ids: list[int]) -> dict[int, Counter[str]]:
    """Answers by status for several events: event id → status → count."""
    found: dict[int, Counter[str]] = {event_id: Counter() for event_id in event_ids}
    rows = await conn.execute(
        select(_rsvps.c.event_id, _rsvps.c.status, func.count())
        .where(_rsvps.c.event_id.in_(event_ids))
        .group_by(_rsvps.c.event_id, _rsvps.c.status)
    )
    for event_id, status, n in rows:
        found[event_id][status] = n
    return found


# answers ---------------------------------------------------------------------------------


async def get_rsvp(conn: AsyncConnection, event_id: int, member_id: int) -> RsvpRecord | None:
    """A member's answer to an event."""
    row = (await conn.execute(_GET_RSVP, {"event_id": event_id, "member_id": member_id})).first()
    return None if row is None else from_row(RsvpRecord, row)


# A new answer: the columns given are bound by name (the compiled SQL is cached per set).
_INSERT_RSVP = insert(_rsvps)
# The places taken, the members waiting and the highest waitlist number given, in one
# statement.
_SEATS = select(
    func.count().filter(_rsvps.c.status == SEATED),
    func.count().filter(_rsvps.c.status == WAITLISTED),
    func.max(_rsvps.c.waitlist_seq),
).where(_rsvps.c.event_id == bindparam("event_id"))


async def _going(conn: AsyncConnection, event_id: int) -> int:
    return (
        await conn.execute(
            select(func.count()).where(_rsvps.c.event_id == event_id, _rsvps.c.status == SEATED)
        )
    ).scalar_one()


async def position(conn: AsyncConnection, event_id: int, member_id: int) -> int | None:
    """A member's place on an event's waitlist (1 is next), or None if not on it."""
    mine = (
        await conn.execute(
            select(_rsvps.c.waitlist_seq).where(
                _rsvps.c.event_id == event_id,
                _rsvps.c.member_id == member_id,
                _rsvps.c.status == WAITLISTED,
            )
        )
    ).scalar_one_or_none()
    if mine is None:
        return None
    ahead = (
        await conn.execute(
            select(func.count()).where(
                _rsvps.c.event_id == event_id,
                _rsvps.c.status == WAITLISTED,
                _rsvps.c.waitlist_seq < mine,
            )
        )
    ).scalar_one()
    return ahead + 1


async def promote(conn: AsyncConnection, event: EventRecord, now: datetime) -> tuple[int, ...]:
    """Give every free seat to the first waitlisted members; call with the event locked.
    Returns the members promoted, first first."""
    if event.capacity is None:
        free = None
    else:
        free = event.capacity - await _going(conn, event.id)
        if free <= 0:
            return ()
    query = (
        select(_rsvps.c.id, _rsvps.c.member_id)
        .where(_rsvps.c.event_id == event.id, _rsvps.c.status == WAITLISTED)
        .order_by(_rsvps.c.waitlist_seq)
    )
    if free is not None:
        query = query.limit(free)
    chosen = (await conn.execute(query)).all()
    if chosen:
        await conn.execute(
            update(_rsvps)
            .where(_rsvps.c.id.in_([row_id for row_id, _ in chosen]))
            .values(status=SEATED, waitlist_seq=None, updated_at=now)
        )
    return tuple(member_id for _, member_id in chosen)


async def answer(
    conn: AsyncConnection,
    event: EventRecord,
    member_id: int,
    status: str,
    *,
    platform: str,
    details: Details,
    now: datetime,
    before: RsvpRecord | None,
) -> Outcome:
    """Record going, maybe or no; call with the event locked (``lock_event``) and the
    member's answer so far (``get_rsvp``, read under the lock).

    Going past the capacity puts the member on the waitlist (keeping their place if already
    on it); leaving a seat gives it to the first waitlisted member."""
    previous = before.status if before else None
    new = status
    seq = before.waitlist_seq if before else None
    place = None
    if status == SEATED and previous not in (SEATED, WAITLISTED):
        if event.capacity is not None:
            going, waiting, last = (await conn.execute(_SEATS, {"event_id": event.id})).one()
            if going >= event.capacity:
                # last in line: behind everyone waiting, whose numbers are all lower
                new, seq, place = WAITLISTED, (last or 0) + 1, waiting + 1
    elif status == SEATED:
        new = previous  # already going, or keeps their place in line
    if new != WAITLISTED:
        seq = None
    given = {k: v for k, v in vars(details).items() if v is not None}
    values = {"status": new, "platform": platform, "waitlist_seq": seq, **given}
    if before is None:
        await conn.execute(
            _INSERT_RSVP,
            {"event_id": event.id, "member_id": member_id, "created_at": now, "updated_at": now}
            | values,
        )
    elif new != previous or given:
        if new == previous:
            values.pop("waitlist_seq")
        await conn.execute(
            update(_rsvps)
            .where(_rsvps.c.event_id == event.id, _rsvps.c.member_id == member_id)
            .values(updated_at=now, **values)
        )
    promoted = await promote(conn, event, now) if previous == SEATED and new != SEATED else ()
    if new == WAITLISTED and place is None:
        place = await position(conn, event.id, member_id)
    return Outcome(new, previous, place, promoted)


async def set_reminder_offsets(
    conn: AsyncConnection, event_id: int, member_id: int, offsets: tuple[str, ...] | None
) -> None:
    """A member's own reminder offsets for an event (None: the event's)."""
    await conn.execute(
        update(_rsvps)
        .where(_rsvps.c.event_id == event_id, _rsvps.c.member_id == member_id)
        .values(reminder_offsets=None if offsets is None else list(offsets))
    )


async def recipients(
    conn: AsyncConnection,
    event_id: int,
    platforms: tuple[str, ...],
    *,
    statuses: tuple[str, ...] = ATTENDING,
    member_ids: list[int] | None = None,
    state: str | None = None,
) -> list[Recipient]:
    """Members who answered an event with one of ``statuses`` (optionally only some, or one
    delegation), each on one account that can receive a DM, the answering one first."""
    query = (
        select(
            _rsvps.c.member_id,
            _identities.c.platform,
            _identities.c.user_id,
            _NAME,
            _profiles.c.timezone,
            _rsvps.c.status,
            _rsvps.c.state,
            _rsvps.c.reminder_offsets,
        )
        .join(_members, _members.c.id == _rsvps.c.member_id)
        .join(
            _identities,
            and_(_identities.c.member_id == _members.c.id, _identities.c.platform.in_(platforms)),
        )
        .outerjoin(_profiles, _profiles.c.member_id == _members.c.id)
        .where(_rsvps.c.event_id == event_id, _rsvps.c.status.in_(statuses))
        .order_by(
            _rsvps.c.member_id,
            case((_identities.c.platform == _rsvps.c.platform, 0), else_=1),
            _identities.c.id,
        )
    )
    if member_ids is not None:
        query = query.where(_rsvps.c.member_id.in_(member_ids))
    if state is not None:
        query = query.where(_rsvps.c.state == state)
    found: list[Recipient] = []
    for row in await conn.execute(query):
        if not found or found[-1].member_id != row[0]:
            offsets = None if row[7] is None else tuple(row[7])
            found.append(Recipient(*row[:7], offsets))
    return found


async def member_rsvps(
    conn: AsyncConnection, member_id: int, org_id: int, now: datetime
) -> list[tuple[EventRecord, RsvpRecord]]:
    """A member's answers to an organization's events not yet over nor cancelled, soonest
    first."""
    rows = await conn.execute(
        select(*_EVENT_COLUMNS, *(c.label(f"r_{c.name}") for c in _RSVP_COLUMNS))
        .join(_rsvps, _rsvps.c.event_id == _events.c.id)
        .where(
            _rsvps.c.member_id == member_id,
            _events.c.org_id == org_id,
            _events.c.ends_at > now,
            _events.c.state != CANCELLED,
        )
        .order_by(_events.c.starts_at, _events.c.id)
    )
    after = width(EventRecord)
    return [(from_row(EventRecord, row), from_row(RsvpRecord, row, after)) for row in rows]


async def attendees(conn: AsyncConnection, event_id: int) -> list[Attendee]:
    """Every answer to an event with the member's name, going first, then the waitlist in
    order, then maybe and no."""
    order = case(
        (_rsvps.c.status == "going", 0),
        (_rsvps.c.status == WAITLISTED, 1),
        (_rsvps.c.status == "maybe", 2),
        else_=3,
    )
    rows = await conn.execute(
        select(*_RSVP_COLUMNS, _NAME.label("name"))
        .join(_members, _members.c.id == _rsvps.c.member_id)
        .outerjoin(_profiles, _profiles.c.member_id == _members.c.id)
        .where(_rsvps.c.event_id == event_id)
        .order_by(order, _rsvps.c.waitlist_seq, _rsvps.c.id)
    )
    found: list[Attendee] = []
    waiting = 0
    for row in rows:
        rsvp = from_row(RsvpRecord, row)
        if rsvp.status == WAITLISTED:
            waiting += 1
        place = waiting if rsvp.status == WAITLISTED else None
        found.append(Attendee(rsvp.member_id, row.name, rsvp.platform, rsvp, place))
    return found


async def export_rsvps_csv(conn: AsyncConnection, event_id: int) -> bytes:
    """An event's answers as CSV, accessibility needs included (for organizers only)."""
    rows = []
    for a in await attendees(conn, event_id):
        d = a.rsvp.details
        rows.append(
            (
                a.name,
                a.platform,
                a.rsvp.status,
                a.position,
                d.state,
                d.district,
                d.attend,
                d.first_time,
                d.accessibility,
                d.willing_to_lead,
                a.rsvp.attendance,
                a.rsvp.updated_at,
            )
        )
    return write_csv(CSV_HEADERS, rows)


async def mark_attendance(
    conn: AsyncConnection, event_id: int, member_ids: list[int], attendance: str
) -> None:
    """Mark members attended or no-show."""
    await conn.execute(
        update(_rsvps)
        .where(_rsvps.c.event_id == event_id, _rsvps.c.member_id.in_(member_ids))
        .values(attendance=attendance)
    )


# delegations, meetings and milestones ---------------------------------------------------


async def set_lead(conn: AsyncConnection, event_id: int, state: str, member_id: int) -> None:
    """Name the lead of a state's delegation (replacing an earlier one)."""
    result = await conn.execute(
        update(_delegations)
        .where(_delegations.c.event_id == event_id, _delegations.c.state == state)
        .values(lead_member_id=member_id)
    )
    if result.rowcount == 0:
        await conn.execute(
            insert(_delegations).values(event_id=event_id, state=state, lead_member_id=member_id)
        )


async def leads(conn: AsyncConnection, event_id: int) -> dict[str, tuple[int, str]]:
    """The delegation leads of an event: state → (member id, name)."""
    rows = await conn.execute(
        select(_delegations.c.state, _members.c.id, _NAME)
        .join(_members, _members.c.id == _delegations.c.lead_member_id)
        .outerjoin(_profiles, _profiles.c.member_id == _members.c.id)
        .where(_delegations.c.event_id == event_id)
    )
    return {state: (member_id, name) for state, member_id, name in rows}


async def add_meeting(
    conn: AsyncConnection,
    event_id: int,
    state: str,
    office: str,
    legislator: str,
    starts_at: datetime,
    place: str | None,
) -> MeetingRecord:
    """Store a delegation's meeting."""
    row = (
        await conn.execute(
            insert(_meetings)
            .values(
                event_id=event_id,
                state=state,
                office=office,
                legislator=legislator,
                starts_at=starts_at,
                place=place,
            )
            .returning(*_MEETING_COLUMNS)
        )
    ).one()
    return from_row(MeetingRecord, row)


async def meetings(
    conn: AsyncConnection, event_id: int, state: str | None = None
) -> list[MeetingRecord]:
    """An event's meetings (of one delegation), in time order."""
    query = select(*_MEETING_COLUMNS).where(_meetings.c.event_id == event_id)
    if state is not None:
        query = query.where(_meetings.c.state == state)
    rows = await conn.execute(query.order_by(_meetings.c.starts_at, _meetings.c.id))
    return [from_row(MeetingRecord, row) for row in rows]


async def get_meetings(conn: AsyncConnection, ids: list[int]) -> dict[int, MeetingRecord]:
    """Several meetings by id."""
    rows = await conn.execute(select(*_MEETING_COLUMNS).where(_meetings.c.id.in_(ids)))
    return {row.id: from_row(MeetingRecord, row) for row in rows}


async def add_milestone(
    conn: AsyncConnection, event_id: int, title: str, at: datetime, offsets: tuple[str, ...]
) -> MilestoneRecord:
    """Store a dated item of an event."""
    row = (
        await conn.execute(
            insert(_milestones)
            .values(event_id=event_id, title=title, at=at, reminder_offsets=list(offsets))
            .returning(*_MILESTONE_COLUMNS)
        )
    ).one()
    return from_row(MilestoneRecord, row)


async def milestones(conn: AsyncConnection, event_id: int) -> list[MilestoneRecord]:
    """An event's milestones in time order."""
    rows = await conn.execute(
        select(*_MILESTONE_COLUMNS)
        .where(_milestones.c.event_id == event_id)
        .order_by(_milestones.c.at, _milestones.c.id)
    )
    return [from_row(MilestoneRecord, row) for row in rows]


async def get_milestones(conn: AsyncConnection, ids: list[int]) -> dict[int, MilestoneRecord]:
    """Several milestones by id."""
    rows = await conn.execute(select(*_MILESTONE_COLUMNS).where(_milestones.c.id.in_(ids)))
    return {row.id: from_row(MilestoneRecord, row) for row in rows}


# privacy ---------------------------------------------------------------------------------


async def member_data(conn: AsyncConnection, member_id: int) -> list[dict[str, object]]:
    """Everything kept of a member's answers, for /privacy export."""
    rows = await conn.execute(
        select(*_RSVP_COLUMNS, _events.c.title)
        .join(_events, _events.c.id == _rsvps.c.event_id)
        .where(_rsvps.c.member_id == member_id)
        .order_by(_rsvps.c.event_id)
    )
    lead_of = await conn.execute(
        select(_delegations.c.event_id, _delegations.c.state).where(
            _delegations.c.lead_member_id == member_id
        )
    )
    leading = {(event_id, state) for event_id, state in lead_of}
    out: list[dict[str, object]] = []
    for row in rows:
        rsvp = from_row(RsvpRecord, row)
        out.append(
            {
                "event": rsvp.event_id,
                "title": row.title,
                "status": rsvp.status,
                **vars(rsvp.details),
                "reminder_offsets": rsvp.reminder_offsets,
                "attendance": rsvp.attendance,
                "answered_at": rsvp.updated_at.isoformat(),
                "delegation_lead": (rsvp.event_id, rsvp.details.state) in leading,
            }
        )
    return out


async def seated_events(conn: AsyncConnection, member_id: int) -> list[int]:
    """The events where a member holds a seat."""
    rows = await conn.execute(
        select(_rsvps.c.event_id).where(_rsvps.c.member_id == member_id, _rsvps.c.status == SEATED)
    )
    return [event_id for (event_id,) in rows]


async def forget_member(conn: AsyncConnection, member_id: int) -> None:
    """Erase a member's answers (accessibility needs with them) and leads."""
    await conn.execute(delete(_rsvps).where(_rsvps.c.member_id == member_id))
    await conn.execute(
        update(_delegations)
        .where(_delegations.c.lead_member_id == member_id)
        .values(lead_member_id=None)
    )


_RANK = {"going": 4, "waitlisted": 3, "maybe": 2, "no": 1}


async def merge_members(conn: AsyncConnection, keep: int, drop: int) -> list[int]:
    """Join two members' answers: where both answered one event, the answer that goes
    furthest stays (going over waitlisted over maybe over no). Returns the events where a
    seat may have come free, to be given to the waitlist."""
    rows = await conn.execute(
        select(_rsvps.c.id, _rsvps.c.event_id, _rsvps.c.member_id, _rsvps.c.status).where(
            or_(_rsvps.c.member_id == keep, _rsvps.c.member_id == drop)
        )
    )
    by_event: dict[int, list[tuple[int, int, str]]] = {}
    for row_id, event_id, member_id, status in rows:
        by_event.setdefault(event_id, []).append((row_id, member_id, status))
    freed: list[int] = []
    for event_id, answers in by_event.items():
        if len(answers) == 2:
            answers.sort(key=lambda a: (_RANK[a[2]], a[1] == keep), reverse=True)
            loser, _, lost = answers[1]
            await conn.execute(delete(_rsvps).where(_rsvps.c.id == loser))
            if lost == SEATED:
                freed.append(event_id)
    await conn.execute(update(_rsvps).where(_rsvps.c.member_id == drop).values(member_id=keep))
    await conn.execute(
        update(_delegations)
        .where(_delegations.c.lead_member_id == drop)
        .values(lead_member_id=keep)
    )
    return freed

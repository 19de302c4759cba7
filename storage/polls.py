"""Polls: the polls and their ballots (one per voter key and poll)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from sqlalchemy import Insert, bindparam, delete, func, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import OrgMember, Poll, PollBallot, Profile
from storage.records import as_tuple, columns, convert, from_row

_polls = Poll.__table__
_ballots = PollBallot.__table__
_org_members = OrgMember.__table__
_profiles = Profile.__table__


@dataclass(frozen=True)
class PollRecord:
    """A poll as stored."""

    id: int
    org_id: int
    question: str
    options: tuple[str, ...] = field(metadata=convert(as_tuple))
    kind: str
    max_choices: int | None
    anonymous: bool
    results: str
    closes_at: datetime | None
    state: str
    closed_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class BallotRecord:
    """A stored ballot: its voter key, the member on named polls, the chosen positions."""

    voter_key: str
    member_id: int | None
    choices: tuple[int, ...] = field(metadata=convert(as_tuple))


_POLL_COLUMNS = columns(PollRecord, _polls)
_BALLOT_COLUMNS = columns(BallotRecord, _ballots)


async def create_poll(
    conn: AsyncConnection,
    *,
    org_id: int,
    question: str,
    options: list[str],
    kind: str,
    max_choices: int | None,
    anonymous: bool,
    results: str,
    closes_at: datetime | None,
    created_by: int,
    now: datetime,
) -> PollRecord:
    """Store a new open poll."""
    row = (
        await conn.execute(
            insert(_polls)
            .values(
                org_id=org_id,
                question=question,
                options=options,
                kind=kind,
                max_choices=max_choices,
                anonymous=anonymous,
                results=results,
                closes_at=closes_at,
                state="open",
                created_by=created_by,
                created_at=now,
            )
            .returning(*_POLL_COLUMNS)
        )
    ).one()
    return from_row(PollRecord, row)


async def created_since(conn: AsyncConnection, member_id: int, since: datetime) -> list[datetime]:
    """When a member created each of their polls after ``since``, oldest first."""
    rows = await conn.execute(
        select(_polls.c.created_at)
        .where(_polls.c.created_by == member_id, _polls.c.created_at > since)
        .order_by(_polls.c.created_at)
    )
    return list(rows.scalars())


async def move_created_polls(conn: AsyncConnection, from_member: int, to_member: int) -> None:
    """The polls a merged member created become the kept member's (one person, one count)."""
    await conn.execute(
        update(_polls).where(_polls.c.created_by == from_member).values(created_by=to_member)
    )


# Statements on the path of every vote are built once; the database layer caches their SQL.
_GET_POLL = select(*_POLL_COLUMNS).where(_polls.c.id == bindparam("poll_id"))
_GET_POLL_HELD = _GET_POLL.with_for_update(read=True)
_GET_BALLOT = select(_ballots.c.choices).where(
    _ballots.c.poll_id == bindparam("poll_id"), _ballots.c.voter_key == bindparam("voter_key")
)


@cache
def _put_ballot(dialect_name: str) -> Insert:
    """The ballot's upsert in a dialect's words, built once for each."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    stmt = dialect.insert(_ballots).values(
        poll_id=bindparam("poll_id"),
        voter_key=bindparam("voter_key"),
        member_id=bindparam("member_id"),
        choices=bindparam("choices", type_=_ballots.c.choices.type),
    )
    return stmt.on_conflict_do_update(
        index_elements=[_ballots.c.poll_id, _ballots.c.voter_key],
        set_={"choices": stmt.excluded.choices},
    )


async def get_poll(conn: AsyncConnection, poll_id: int, *, lock: bool = False) -> PollRecord | None:
    """One poll; with ``lock``, held against closing until this unit of work ends (PostgreSQL)."""
    held = lock and conn.dialect.name == "postgresql"
    row = (await conn.execute(_GET_POLL_HELD if held else _GET_POLL, {"poll_id": poll_id})).first()
    return from_row(PollRecord, row) if row else None


async def poll_creator(conn: AsyncConnection, poll_id: int) -> int | None:
    """The member who created a poll (None once that member is erased)."""
    return (
        await conn.execute(select(_polls.c.created_by).where(_polls.c.id == poll_id))
    ).scalar_one_or_none()


async def get_polls(conn: AsyncConnection, ids: Iterable[int]) -> dict[int, PollRecord]:
    """Polls by id."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await conn.execute(select(*_POLL_COLUMNS).where(_polls.c.id.in_(wanted)))
    return {row.id: from_row(PollRecord, row) for row in rows}


async def org_polls(
    conn: AsyncConnection, org_id: int, states: tuple[str, ...]
) -> list[PollRecord]:
    """An organization's polls in these states, newest first."""
    rows = await conn.execute(
        select(*_POLL_COLUMNS)
        .where(_polls.c.org_id == org_id, _polls.c.state.in_(states))
        .order_by(_polls.c.id.desc())
    )
    return [from_row(PollRecord, row) for row in rows]


async def anonymous_poll_ids(conn: AsyncConnection) -> list[int]:
    """Every anonymous poll (for a member's export, erasure or merge)."""
    rows = await conn.execute(select(_polls.c.id).where(_polls.c.anonymous.is_(True)))
    return [poll_id for (poll_id,) in rows]


async def mark_closed(conn: AsyncConnection, poll_id: int, now: datetime) -> bool:
    """Close an open poll; False if it was already closed.

    Its ballots are rewritten in the same statement-set, so on PostgreSQL they all carry the
    transaction id of the closing rather than each the id of the vote that wrote it."""
    closed = await conn.execute(
        update(_polls)
        .where(_polls.c.id == poll_id, _polls.c.state == "open")
        .values(state="closed", closed_at=now)
    )
    if not closed.rowcount:
        return False
    await conn.execute(
        update(_ballots).where(_ballots.c.poll_id == poll_id).values(choices=_ballots.c.choices)
    )
    return True


async def edit_poll(
    conn: AsyncConnection, poll_id: int, *, question: str, options: list[str]
) -> bool:
    """Change an open poll's question and options while it has no ballot; False if it is
    closed or has a ballot by now (checked in the same statement)."""
    has_ballot = select(_ballots.c.poll_id).where(_ballots.c.poll_id == poll_id).exists()
    changed = await conn.execute(
        update(_polls)
        .where(_polls.c.id == poll_id, _polls.c.state == "open", ~has_ballot)
        .values(question=question, options=options)
    )
    return bool(changed.rowcount)


async def set_closes_at(conn: AsyncConnection, poll_id: int, closes_at: datetime) -> bool:
    """Move an open poll's closing time; False if it is closed."""
    changed = await conn.execute(
        update(_polls)
        .where(_polls.c.id == poll_id, _polls.c.state == "open")
        .values(closes_at=closes_at)
    )
    return bool(changed.rowcount)


# ballots ---------------------------------------------------------------------------------


async def get_ballot(conn: AsyncConnection, poll_id: int, voter_key: str) -> tuple[int, ...] | None:
    """The choices of one voter's ballot, if they have one."""
    choices = (
        await conn.execute(_GET_BALLOT, {"poll_id": poll_id, "voter_key": voter_key})
    ).scalar_one_or_none()
    return None if choices is None else tuple(choices)


async def put_ballot(
    conn: AsyncConnection,
    poll_id: int,
    voter_key: str,
    member_id: int | None,
    choices: list[int],
) -> None:
    """Store a voter's ballot, replacing theirs if they have one: one statement, so two
    clicks at once leave one ballot (the later)."""
    await conn.execute(
        _put_ballot(conn.dialect.name),
        {"poll_id": poll_id, "voter_key": voter_key, "member_id": member_id, "choices": choices},
    )


async def remove_ballot(conn: AsyncConnection, poll_id: int, voter_key: str) -> bool:
    """Take a voter's ballot back; False if they had none."""
    removed = await conn.execute(
        delete(_ballots).where(_ballots.c.poll_id == poll_id, _ballots.c.voter_key == voter_key)
    )
    return bool(removed.rowcount)


async def ballots(conn: AsyncConnection, poll_id: int) -> list[BallotRecord]:
    """Every ballot of a poll, in the order of their keys (which tells nothing of time)."""
    rows = await conn.execute(
        select(*_BALLOT_COLUMNS).where(_ballots.c.poll_id == poll_id).order_by(_ballots.c.voter_key)
    )
    return [from_row(BallotRecord, row) for row in rows]


async def ballot_counts(conn: AsyncConnection, poll_ids: list[int]) -> dict[int, int]:
    """How many ballots each poll has."""
    if not poll_ids:
        return {}
    rows = await conn.execute(
        select(_ballots.c.poll_id, func.count())
        .where(_ballots.c.poll_id.in_(poll_ids))
        .group_by(_ballots.c.poll_id)
    )
    found = dict.fromkeys(poll_ids, 0)
    found.update({poll_id: n for poll_id, n in rows})
    return found


async def org_profiles(conn: AsyncConnection, org_id: int) -> dict[int, tuple[str | None, ...]]:
    """Each member of an organization: (state, classification) from their profile."""
    rows = await conn.execute(
        select(_org_members.c.member_id, _profiles.c.state, _profiles.c.classification)
        .outerjoin(_profiles, _profiles.c.member_id == _org_members.c.member_id)
        .where(_org_members.c.org_id == org_id)
    )
    return {member_id: (state, classification) for member_id, state, classification in rows}


async def profiles_of(conn: AsyncConnection, member_ids: list[int]) -> dict[int, tuple]:
    """(state, classification) of these members."""
    if not member_ids:
        return {}
    rows = await conn.execute(
        select(_profiles.c.member_id, _profiles.c.state, _profiles.c.classification).where(
            _profiles.c.member_id.in_(member_ids)
        )
    )
    return {member_id: (state, classification) for member_id, state, classification in rows}


async def ballots_by_keys(
    conn: AsyncConnection, keys: list[tuple[int, str]]
) -> dict[tuple[int, str], tuple[int, ...]]:
    """The ballots with these (poll id, voter key) pairs."""
    if not keys:
        return {}
    rows = await conn.execute(
        select(_ballots.c.poll_id, _ballots.c.voter_key, _ballots.c.choices).where(
            tuple_(_ballots.c.poll_id, _ballots.c.voter_key).in_(keys)
        )
    )
    return {(poll_id, key): tuple(choices) for poll_id, key, choices in rows}


async def named_ballots(conn: AsyncConnection, member_id: int) -> list[tuple[int, str, tuple]]:
    """A member's ballots on named polls: (poll id, voter key, choices)."""
    rows = await conn.execute(
        select(_ballots.c.poll_id, _ballots.c.voter_key, _ballots.c.choices).where(
            _ballots.c.member_id == member_id
        )
    )
    return [(poll_id, key, tuple(choices)) for poll_id, key, choices in rows]


async def rekey_ballot(
    conn: AsyncConnection, poll_id: int, old: str, new: str, member_id: int | None
) -> None:
    """Give a ballot another voter key (and member, on named polls)."""
    await conn.execute(
        update(_ballots)
        .where(_ballots.c.poll_id == poll_id, _ballots.c.voter_key == old)
        .values(voter_key=new, member_id=member_id)
    )

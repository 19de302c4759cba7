"""Members: their platform accounts (identities), the organizations they belong to, their
profiles, and joining two members into one or erasing one."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Update, bindparam, delete, exists, insert, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    DueItem,
    Identity,
    Member,
    OrgMember,
    OutboxMessage,
    PendingOptout,
    Profile,
)
from storage.records import as_list, column_names, columns, convert, from_row

_members = Member.__table__
_identities = Identity.__table__
_org_members = OrgMember.__table__
_profiles = Profile.__table__
_outbox = OutboxMessage.__table__
_due = DueItem.__table__
_pending_optouts = PendingOptout.__table__


@dataclass(frozen=True)
class MemberRecord:
    """A member and the identity through which they are acting."""

    id: int
    display_name: str
    identity_id: int


@dataclass
class ProfileRecord:
    """A member's profile; ``None`` means not given."""

    member_id: int
    name: str | None = None
    title: str | None = None
    institution: str | None = None
    city: str | None = None
    state: str | None = None
    district: str | None = None
    library_type: str | None = None
    classification: str | None = None
    timezone: str | None = None
    alert_dms: bool = True
    topics: list[str] = field(default_factory=list, metadata=convert(as_list))


@dataclass(frozen=True)
class IdentityRecord:
    """One platform account of a member."""

    id: int
    member_id: int
    platform: str
    user_id: str
    display_name: str


#: the fields a member sets on their profile
PROFILE_FIELDS = tuple(name for name in column_names(ProfileRecord) if name != "member_id")

_PROFILE_COLUMNS = columns(ProfileRecord, _profiles)
_IDENTITY_COLUMNS = columns(IdentityRecord, _identities)

# Statements on the path of every command are built once; the database layer caches their SQL.
_FIND_IDENTITY_IN_ORG = (
    select(
        _identities.c.id, _identities.c.member_id, _identities.c.display_name, _org_members.c.org_id
    )
    .outerjoin(
        _org_members,
        (_org_members.c.member_id == _identities.c.member_id)
        & (_org_members.c.org_id == bindparam("org_id")),
    )
    .where(
        _identities.c.platform == bindparam("platform"),
        _identities.c.user_id == bindparam("user_id"),
    )
)
_FIND_MEMBER = (
    select(*columns(MemberRecord, _members, identity_id=_identities.c.id))
    .join(_members, _members.c.id == _identities.c.member_id)
    .where(
        _identities.c.platform == bindparam("platform"),
        _identities.c.user_id == bindparam("user_id"),
    )
)
_SELECT_PROFILE = select(*_PROFILE_COLUMNS).where(_profiles.c.member_id == bindparam("mid"))
# A first contact: one statement per table, each giving back what the next one needs.
_INSERT_MEMBER = (
    insert(_members).values(display_name=bindparam("display_name")).returning(_members.c.id)
)
_INSERT_IDENTITY = (
    insert(_identities)
    .values(
        member_id=bindparam("member_id"),
        platform=bindparam("platform"),
        user_id=bindparam("user_id"),
        display_name=bindparam("display_name"),
    )
    .returning(_identities.c.id)
)
# Joining an organization says in the same statement whether an opt-out was imported for the
# account there, so the common case (none) costs no statement of its own.
_JOIN_ORG = (
    insert(_org_members)
    .values(org_id=bindparam("org_id"), member_id=bindparam("member_id"))
    .returning(
        exists()
        .where(
            _pending_optouts.c.org_id == bindparam("org_id"),
            _pending_optouts.c.platform == bindparam("platform"),
            _pending_optouts.c.account == bindparam("user_id"),
        )
        .label("pending_optout")
    )
)
# PostgreSQL runs the statements of a WITH that change rows once each, in one statement: the
# member, their account and their place in the organization, with whether an opt-out was
# imported for the account there.
_CREATE_MEMBER_PG = text(
    """
    WITH new_member AS (
        INSERT INTO members (display_name) VALUES (:display_name) RETURNING id
    ), new_identity AS (
        INSERT INTO identities (member_id, platform, user_id, display_name)
        SELECT id, :platform, :user_id, :display_name FROM new_member
        RETURNING id, member_id
    ), joined AS (
        INSERT INTO org_members (org_id, member_id)
        SELECT :org_id, member_id FROM new_identity
        RETURNING member_id
    )
    SELECT new_identity.member_id, new_identity.id, EXISTS (
        SELECT 1 FROM pending_optouts
        WHERE org_id = :org_id AND platform = :platform AND account = :user_id
    ) FROM new_identity
    """
)
_RENAME_IDENTITY = (
    update(_identities)
    .where(_identities.c.id == bindparam("identity_id"))
    .values(display_name=bindparam("display_name"))
)
_RENAME_MEMBER = (
    update(_members)
    .where(_members.c.id == bindparam("member_id"))
    .values(display_name=bindparam("display_name"))
)
# An account's first appearance in an organization takes any opt-out imported for it there.
_TAKE_PENDING_OPTOUT = (
    delete(_pending_optouts)
    .where(
        _pending_optouts.c.org_id == bindparam("org_id"),
        _pending_optouts.c.platform == bindparam("platform"),
        _pending_optouts.c.account == bindparam("user_id"),
    )
    .returning(_pending_optouts.c.org_id)
)


@cache
def _update_profile(fields: tuple[str, ...]) -> Update:
    """UPDATE … RETURNING for one set of changed fields (few sets exist; each is built once)."""
    return (
        update(_profiles)
        .where(_profiles.c.member_id == bindparam("mid"))
        .values({name: bindparam(name) for name in fields})
        .returning(*_PROFILE_COLUMNS)
    )


# members and identities ------------------------------------------------------------------


async def find_member(conn: AsyncConnection, platform: str, user_id: str) -> MemberRecord | None:
    """The member behind a platform account, if the bot has stored one."""
    row = (await conn.execute(_FIND_MEMBER, {"platform": platform, "user_id": user_id})).first()
    return None if row is None else from_row(MemberRecord, row)


async def ensure_member(
    conn: AsyncConnection, platform: str, user_id: str, display_name: str, org_id: int
) -> MemberRecord:
    """The member behind a platform account, stored now if new, and in the organization."""
    member, _ = await find_or_create_member(conn, platform, user_id, display_name, org_id)
    return member


async def find_or_create_member(
    conn: AsyncConnection, platform: str, user_id: str, display_name: str, org_id: int
) -> tuple[MemberRecord, ProfileRecord | None]:
    """As ``ensure_member``, with the member's profile as stored when the member was stored
    now (None for a member found)."""
    row = (
        await conn.execute(
            _FIND_IDENTITY_IN_ORG,
            {"platform": platform, "user_id": user_id, "org_id": org_id},
        )
    ).first()
    if row is None:
        return await create_member(conn, platform, user_id, display_name, org_id)
    identity_id, member_id, known_name, in_org = row
    if in_org is None:
        await _join_org(conn, org_id, platform, user_id, member_id)
    if display_name and display_name != known_name:
        names = {"identity_id": identity_id, "member_id": member_id, "display_name": display_name}
        await conn.execute(_RENAME_IDENTITY, names)
        await conn.execute(_RENAME_MEMBER, names)
    return MemberRecord(member_id, display_name or known_name, identity_id), None


async def create_member(
    conn: AsyncConnection, platform: str, user_id: str, display_name: str, org_id: int
) -> tuple[MemberRecord, ProfileRecord]:
    """Store a new member for an account the database does not know yet (its unique key
    refuses a second one), in the organization; with their profile, as stored (empty, or with
    alert DMs off when an opt-out was imported for the account). On PostgreSQL one statement
    (one round trip to the server) stores all three rows; on SQLite, whose statements cost no
    trip in a write transaction, one statement per table."""
    if conn.dialect.name == "postgresql":
        ids = {"org_id": org_id, "platform": platform, "user_id": user_id}
        row = (await conn.execute(_CREATE_MEMBER_PG, {**ids, "display_name": display_name})).one()
        member_id, identity_id, pending = row
        stored = None
        if pending:
            await conn.execute(_TAKE_PENDING_OPTOUT, ids)
            stored = await update_profile(conn, member_id, {"alert_dms": False})
        member = MemberRecord(member_id, display_name, identity_id)
        return member, stored or ProfileRecord(member_id)
    member_id = (await conn.execute(_INSERT_MEMBER, {"display_name": display_name})).scalar_one()
    identity_id = (
        await conn.execute(
            _INSERT_IDENTITY,
            {
                "member_id": member_id,
                "platform": platform,
                "user_id": user_id,
                "display_name": display_name,
            },
        )
    ).scalar_one()
    stored = await _join_org(conn, org_id, platform, user_id, member_id)
    return MemberRecord(member_id, display_name, identity_id), stored or ProfileRecord(member_id)


async def _join_org(
    conn: AsyncConnection, org_id: int, platform: str, user_id: str, member_id: int
) -> ProfileRecord | None:
    """Put a member in an organization through one of their accounts. An account appearing
    in an organization for the first time takes an opt-out its organizers imported for it:
    it becomes the member's own choice (alert DMs off), and is removed; the profile is then
    given back as stored."""
    ids = {"org_id": org_id, "member_id": member_id, "platform": platform, "user_id": user_id}
    if not (await conn.execute(_JOIN_ORG, ids)).scalar_one():
        return None
    await conn.execute(_TAKE_PENDING_OPTOUT, ids)
    return await update_profile(conn, member_id, {"alert_dms": False})


async def identities(conn: AsyncConnection, member_id: int) -> list[IdentityRecord]:
    """Every platform account of a member."""
    rows = await conn.execute(
        select(*_IDENTITY_COLUMNS)
        .where(_identities.c.member_id == member_id)
        .order_by(_identities.c.id)
    )
    return [from_row(IdentityRecord, row) for row in rows]


async def org_ids_of(conn: AsyncConnection, member_id: int) -> list[int]:
    """The organizations a member belongs to."""
    rows = await conn.execute(
        select(_org_members.c.org_id)
        .where(_org_members.c.member_id == member_id)
        .order_by(_org_members.c.org_id)
    )
    return [row[0] for row in rows]


# profiles ----------------------------------------------------------------------------------


async def profile(conn: AsyncConnection, member_id: int) -> ProfileRecord:
    """A member's profile; an empty one if they never set any field."""
    row = (await conn.execute(_SELECT_PROFILE, {"mid": member_id})).first()
    return ProfileRecord(member_id=member_id) if row is None else from_row(ProfileRecord, row)


async def update_profile(
    conn: AsyncConnection, member_id: int, changes: dict[str, Any]
) -> ProfileRecord:
    """Set the given profile fields, creating the profile if needed; return the result."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    values = {k: (list(v) if k == "topics" else v) for k, v in changes.items()}
    fields = tuple(sorted(values))
    if fields:
        row = (await conn.execute(_update_profile(fields), {"mid": member_id, **values})).first()
        if row is not None:
            return from_row(ProfileRecord, row)
    row = (
        await conn.execute(
            insert(_profiles)
            .values(member_id=member_id, **{"alert_dms": True, "topics": [], **values})
            .returning(*_PROFILE_COLUMNS)
        )
    ).one()
    return from_row(ProfileRecord, row)


# joining and erasing -----------------------------------------------------------------------


async def move_identities(conn: AsyncConnection, from_member: int, to_member: int) -> None:
    """Join every account of ``from_member`` to ``to_member``, with their queued messages
    and due items (each feature merges its own records). Alert DMs stay off if either had
    them off, or if an organization of the joined member listed one of its accounts."""
    for table in (_identities, _outbox, _due):
        await conn.execute(
            update(table).where(table.c.member_id == from_member).values(member_id=to_member)
        )
    have = set(await org_ids_of(conn, to_member))
    for org_id in await org_ids_of(conn, from_member):
        if org_id not in have:
            await conn.execute(insert(_org_members).values(org_id=org_id, member_id=to_member))
    kept, dropped = await profile(conn, to_member), await profile(conn, from_member)
    fill: dict[str, Any] = {
        name: getattr(dropped, name)
        for name in PROFILE_FIELDS
        if name not in ("alert_dms", "topics")
        and getattr(kept, name) is None
        and getattr(dropped, name) is not None
    }
    fill["alert_dms"] = kept.alert_dms and dropped.alert_dms
    fill["topics"] = list(dict.fromkeys([*kept.topics, *dropped.topics]))
    await update_profile(conn, to_member, fill)
    # an account may now be in an organization that listed it as pending
    mine = (
        select(_org_members.c.org_id, _identities.c.platform, _identities.c.user_id)
        .join(_identities, _identities.c.member_id == _org_members.c.member_id)
        .where(_org_members.c.member_id == to_member)
    )
    taken = await conn.execute(
        delete(_pending_optouts)
        .where(
            tuple_(
                _pending_optouts.c.org_id,
                _pending_optouts.c.platform,
                _pending_optouts.c.account,
            ).in_(mine)
        )
        .returning(_pending_optouts.c.org_id)
    )
    if taken.first() is not None:
        await update_profile(conn, to_member, {"alert_dms": False})


async def lock_member(conn: AsyncConnection, member_id: int) -> None:
    """Hold the member's row until this unit of work ends (``SELECT … FOR UPDATE`` on
    PostgreSQL; SQLite has one writer at a time), so that what one person may have a
    limited number of is counted and added by one command at a time."""
    await conn.execute(select(_members.c.id).where(_members.c.id == member_id).with_for_update())


async def delete_member(conn: AsyncConnection, member_id: int) -> None:
    """Erase a member and everything that cascades from them."""
    await conn.execute(delete(_members).where(_members.c.id == member_id))

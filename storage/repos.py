"""Repositories: the queries the core and commands need, returning plain objects."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Update, bindparam, delete, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    AuditEntry,
    DueItem,
    Identity,
    LinkCode,
    Member,
    Organization,
    OrgMember,
    OutboxMessage,
    PendingOptout,
    Profile,
    RoleGrant,
    Space,
)

PROFILE_FIELDS = (
    "name",
    "title",
    "institution",
    "city",
    "state",
    "district",
    "library_type",
    "classification",
    "timezone",
    "alert_dms",
    "topics",
)


@dataclass(frozen=True)
class OrgRecord:
    """An organization as stored."""

    id: int
    slug: str
    name: str
    timezone: str


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
    topics: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IdentityRecord:
    """One platform account of a member."""

    id: int
    member_id: int
    platform: str
    user_id: str
    display_name: str


@dataclass(frozen=True)
class LinkCodeRecord:
    """A one-time link code: whose it is, made on which platform, until when, and the
    account that entered it (None until one does)."""

    member_id: int
    platform: str
    expires_at: datetime
    entered_by: int | None


def hash_code(code: str) -> str:
    """The stored form of a one-time code."""
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


_orgs = Organization.__table__
_spaces = Space.__table__
_members = Member.__table__
_identities = Identity.__table__
_org_members = OrgMember.__table__
_profiles = Profile.__table__
_roles = RoleGrant.__table__
_codes = LinkCode.__table__
_audit = AuditEntry.__table__
_outbox = OutboxMessage.__table__
_due = DueItem.__table__
_pending_optouts = PendingOptout.__table__
_CODE_COLUMNS = (_codes.c.member_id, _codes.c.platform, _codes.c.expires_at, _codes.c.entered_by)

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
    select(_identities.c.id, _members.c.id, _members.c.display_name)
    .join(_members, _members.c.id == _identities.c.member_id)
    .where(
        _identities.c.platform == bindparam("platform"),
        _identities.c.user_id == bindparam("user_id"),
    )
)
_PROFILE_COLUMNS = [_profiles.c[name] for name in PROFILE_FIELDS]
_SELECT_PROFILE = select(*_PROFILE_COLUMNS).where(_profiles.c.member_id == bindparam("mid"))
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
_GRANTED_ROLE = select(_roles.c.role).where(
    _roles.c.org_id == bindparam("org_id"), _roles.c.member_id == bindparam("member_id")
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


def _profile_record(member_id: int, row: Any) -> ProfileRecord:
    values = dict(row._mapping)
    values["topics"] = list(values["topics"] or [])
    return ProfileRecord(member_id=member_id, **values)


class Repos:
    """Every repository over one connection in a transaction (one unit of work)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    # organizations ---------------------------------------------------------------------

    async def sync_org(
        self, slug: str, name: str, timezone: str, spaces: list[tuple[str, str]]
    ) -> OrgRecord:
        """Make the stored organization and its spaces match the configuration."""
        conn = self.conn
        org_id = (
            await conn.execute(select(_orgs.c.id).where(_orgs.c.slug == slug))
        ).scalar_one_or_none()
        if org_id is None:
            org_id = (
                await conn.execute(
                    insert(_orgs)
                    .values(slug=slug, name=name, timezone=timezone)
                    .returning(_orgs.c.id)
                )
            ).scalar_one()
        else:
            await conn.execute(
                update(_orgs).where(_orgs.c.id == org_id).values(name=name, timezone=timezone)
            )
        wanted = set(spaces)
        # Spaces are the configured teams and guilds: few rows, read whole.
        rows = await conn.execute(
            select(_spaces.c.id, _spaces.c.org_id, _spaces.c.platform, _spaces.c.space_id)
        )
        have: set[tuple[str, str]] = set()
        for space_pk, owner, platform, space_id in rows:
            key = (platform, space_id)
            if owner == org_id and key not in wanted:
                await conn.execute(delete(_spaces).where(_spaces.c.id == space_pk))
            elif key in wanted:
                have.add(key)
                if owner != org_id:  # a space handed over from another organization
                    await conn.execute(
                        update(_spaces).where(_spaces.c.id == space_pk).values(org_id=org_id)
                    )
        for platform, space_id in sorted(wanted - have):
            await conn.execute(
                insert(_spaces).values(org_id=org_id, platform=platform, space_id=space_id)
            )
        return OrgRecord(org_id, slug, name, timezone)

    # members and identities ------------------------------------------------------------

    async def find_member(self, platform: str, user_id: str) -> MemberRecord | None:
        """The member behind a platform account, if the bot has stored one."""
        row = (
            await self.conn.execute(_FIND_MEMBER, {"platform": platform, "user_id": user_id})
        ).first()
        if row is None:
            return None
        return MemberRecord(id=row[1], display_name=row[2], identity_id=row[0])

    async def ensure_member(
        self, platform: str, user_id: str, display_name: str, org_id: int
    ) -> MemberRecord:
        """The member behind a platform account, stored now if new, and in the organization."""
        conn = self.conn
        row = (
            await conn.execute(
                _FIND_IDENTITY_IN_ORG,
                {"platform": platform, "user_id": user_id, "org_id": org_id},
            )
        ).first()
        if row is None:
            member_id = (
                await conn.execute(
                    insert(_members).values(display_name=display_name).returning(_members.c.id)
                )
            ).scalar_one()
            identity_id = (
                await conn.execute(
                    insert(_identities)
                    .values(
                        member_id=member_id,
                        platform=platform,
                        user_id=user_id,
                        display_name=display_name,
                    )
                    .returning(_identities.c.id)
                )
            ).scalar_one()
            await conn.execute(insert(_org_members).values(org_id=org_id, member_id=member_id))
            await self._take_pending_optout(org_id, platform, user_id, member_id)
            return MemberRecord(member_id, display_name, identity_id)
        identity_id, member_id, known_name, in_org = row
        if in_org is None:
            await conn.execute(insert(_org_members).values(org_id=org_id, member_id=member_id))
            await self._take_pending_optout(org_id, platform, user_id, member_id)
        if display_name and display_name != known_name:
            await conn.execute(
                update(_identities)
                .where(_identities.c.id == identity_id)
                .values(display_name=display_name)
            )
            await conn.execute(
                update(_members).where(_members.c.id == member_id).values(display_name=display_name)
            )
        return MemberRecord(member_id, display_name or known_name, identity_id)

    async def _take_pending_optout(
        self, org_id: int, platform: str, user_id: str, member_id: int
    ) -> None:
        """An account appears in an organization for the first time: an opt-out its organizers
        imported for it becomes the member's own choice (alert DMs off), and is removed."""
        taken = await self.conn.execute(
            _TAKE_PENDING_OPTOUT, {"org_id": org_id, "platform": platform, "user_id": user_id}
        )
        if taken.first() is not None:
            await self.update_profile(member_id, {"alert_dms": False})

    async def identities(self, member_id: int) -> list[IdentityRecord]:
        """Every platform account of a member."""
        rows = await self.conn.execute(
            select(
                _identities.c.id,
                _identities.c.member_id,
                _identities.c.platform,
                _identities.c.user_id,
                _identities.c.display_name,
            )
            .where(_identities.c.member_id == member_id)
            .order_by(_identities.c.id)
        )
        return [IdentityRecord(*row) for row in rows]

    async def org_ids_of(self, member_id: int) -> list[int]:
        """The organizations a member belongs to."""
        rows = await self.conn.execute(
            select(_org_members.c.org_id)
            .where(_org_members.c.member_id == member_id)
            .order_by(_org_members.c.org_id)
        )
        return [row[0] for row in rows]

    async def org_names_of(self, member_id: int) -> list[str]:
        """The names of the organizations a member belongs to."""
        rows = await self.conn.execute(
            select(_orgs.c.name)
            .join(_org_members, _org_members.c.org_id == _orgs.c.id)
            .where(_org_members.c.member_id == member_id)
            .order_by(_orgs.c.id)
        )
        return [row[0] for row in rows]

    async def granted_role(self, org_id: int, member_id: int) -> str | None:
        """A role granted to the member in the organization, beyond platform roles."""
        return (
            await self.conn.execute(_GRANTED_ROLE, {"org_id": org_id, "member_id": member_id})
        ).scalar_one_or_none()

    async def grant_role(self, org_id: int, member_id: int, role: str | None) -> None:
        """Give (or with ``None`` take back) a role in an organization."""
        await self.conn.execute(
            delete(_roles).where(_roles.c.org_id == org_id, _roles.c.member_id == member_id)
        )
        if role is not None:
            await self.conn.execute(
                insert(_roles).values(org_id=org_id, member_id=member_id, role=role)
            )

    async def granted_roles(self, org_id: int) -> list[tuple[int, str]]:
        """Every role granted in an organization, as (member id, role), by member id."""
        rows = await self.conn.execute(
            select(_roles.c.member_id, _roles.c.role)
            .where(_roles.c.org_id == org_id)
            .order_by(_roles.c.member_id)
        )
        return [(row[0], row[1]) for row in rows]

    # profiles ----------------------------------------------------------------------------

    async def profile(self, member_id: int) -> ProfileRecord:
        """A member's profile; an empty one if they never set any field."""
        row = (await self.conn.execute(_SELECT_PROFILE, {"mid": member_id})).first()
        if row is None:
            return ProfileRecord(member_id=member_id)
        return _profile_record(member_id, row)

    async def update_profile(self, member_id: int, changes: dict[str, Any]) -> ProfileRecord:
        """Set the given profile fields, creating the profile if needed; return the result."""
        unknown = set(changes) - set(PROFILE_FIELDS)
        if unknown:
            raise ValueError(f"not profile fields: {sorted(unknown)}")
        values = {k: (list(v) if k == "topics" else v) for k, v in changes.items()}
        fields = tuple(sorted(values))
        if fields:
            row = (
                await self.conn.execute(_update_profile(fields), {"mid": member_id, **values})
            ).first()
            if row is not None:
                return _profile_record(member_id, row)
        row = (
            await self.conn.execute(
                insert(_profiles)
                .values(member_id=member_id, **{"alert_dms": True, "topics": [], **values})
                .returning(*_PROFILE_COLUMNS)
            )
        ).one()
        return _profile_record(member_id, row)

    # linking -----------------------------------------------------------------------------

    async def store_link_code(
        self, code: str, member_id: int, platform: str, expires_at: datetime, now: datetime
    ) -> None:
        """Keep a one-time code's hash; any earlier code of the member stops working, and
        every expired code is dropped (with the account that entered it, if any)."""
        await self.conn.execute(
            delete(_codes).where(or_(_codes.c.member_id == member_id, _codes.c.expires_at <= now))
        )
        await self.conn.execute(
            insert(_codes).values(
                code_hash=hash_code(code),
                member_id=member_id,
                platform=platform,
                expires_at=expires_at,
            )
        )

    async def enter_link_code(self, code: str, identity_id: int) -> LinkCodeRecord | None:
        """Mark a code as entered by this account, unless another account entered it first:
        the code as stored, or None if there is no such code or another account holds it."""
        row = (
            await self.conn.execute(
                update(_codes)
                .where(
                    _codes.c.code_hash == hash_code(code),
                    or_(_codes.c.entered_by.is_(None), _codes.c.entered_by == identity_id),
                )
                .values(entered_by=identity_id)
                .returning(*_CODE_COLUMNS)
            )
        ).first()
        return None if row is None else LinkCodeRecord(*row)

    async def find_link_code(self, code: str) -> LinkCodeRecord | None:
        """A code as stored, whoever entered it; changes nothing."""
        row = (
            await self.conn.execute(
                select(*_CODE_COLUMNS).where(_codes.c.code_hash == hash_code(code))
            )
        ).first()
        return None if row is None else LinkCodeRecord(*row)

    async def take_link_code(self, code: str, identity_id: int) -> LinkCodeRecord | None:
        """Use up a code entered by this account: the code as it was, or None if there is no
        such code or this account did not enter it."""
        row = (
            await self.conn.execute(
                delete(_codes)
                .where(_codes.c.code_hash == hash_code(code), _codes.c.entered_by == identity_id)
                .returning(*_CODE_COLUMNS)
            )
        ).first()
        return None if row is None else LinkCodeRecord(*row)

    async def move_identities(self, from_member: int, to_member: int) -> None:
        """Join every account of ``from_member`` to ``to_member``, with their queued messages
        and due items (each feature merges its own records). Alert DMs stay off if either had
        them off, or if an organization of the joined member listed one of its accounts."""
        conn = self.conn
        for table in (_identities, _outbox, _due):
            await conn.execute(
                update(table).where(table.c.member_id == from_member).values(member_id=to_member)
            )
        have = set(await self.org_ids_of(to_member))
        for org_id in await self.org_ids_of(from_member):
            if org_id not in have:
                await conn.execute(insert(_org_members).values(org_id=org_id, member_id=to_member))
        kept, dropped = await self.profile(to_member), await self.profile(from_member)
        fill: dict[str, Any] = {
            name: getattr(dropped, name)
            for name in PROFILE_FIELDS
            if name not in ("alert_dms", "topics")
            and getattr(kept, name) is None
            and getattr(dropped, name) is not None
        }
        fill["alert_dms"] = kept.alert_dms and dropped.alert_dms
        fill["topics"] = list(dict.fromkeys([*kept.topics, *dropped.topics]))
        await self.update_profile(to_member, fill)
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
            await self.update_profile(to_member, {"alert_dms": False})

    async def lock_member(self, member_id: int) -> None:
        """Hold the member's row until this unit of work ends (``SELECT … FOR UPDATE`` on
        PostgreSQL; SQLite has one writer at a time), so that what one person may have a
        limited number of is counted and added by one command at a time."""
        await self.conn.execute(
            select(_members.c.id).where(_members.c.id == member_id).with_for_update()
        )

    async def delete_member(self, member_id: int) -> None:
        """Erase a member and everything that cascades from them."""
        await self.conn.execute(delete(_members).where(_members.c.id == member_id))

    # audit -------------------------------------------------------------------------------

    async def audit(
        self,
        org_id: int | None,
        actor: int | None,
        action: str,
        target: str = "",
        detail: dict[str, Any] | None = None,
        *,
        at: datetime,
    ) -> None:
        """Record an organizer's or admin's action."""
        await self.conn.execute(
            insert(_audit).values(
                org_id=org_id,
                actor_member_id=actor,
                action=action,
                target=target,
                detail=json.dumps(detail or {}, sort_keys=True),
                at=at,
            )
        )

    async def audit_entries(
        self, org_id: int | None = None, actor: int | None = None
    ) -> list[dict[str, Any]]:
        """Audit entries, oldest first, filtered by organization or actor."""
        query = select(_audit.c.action, _audit.c.target, _audit.c.detail, _audit.c.at).order_by(
            _audit.c.id
        )
        if org_id is not None:
            query = query.where(_audit.c.org_id == org_id)
        if actor is not None:
            query = query.where(_audit.c.actor_member_id == actor)
        return [
            {
                "action": action,
                "target": target,
                "detail": json.loads(detail or "{}"),
                "at": at.isoformat(),
            }
            for action, target, detail, at in await self.conn.execute(query)
        ]

"""Repositories: the queries the core and commands need, returning plain objects."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AuditEntry,
    Identity,
    LinkCode,
    Member,
    Organization,
    OrgMember,
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


def hash_code(code: str) -> str:
    """The stored form of a one-time code."""
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


class Repos:
    """Every repository over one session (one unit of work)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # organizations ---------------------------------------------------------------------

    async def sync_org(
        self, slug: str, name: str, timezone: str, spaces: list[tuple[str, str]]
    ) -> OrgRecord:
        """Make the stored organization and its spaces match the configuration."""
        session = self.session
        org = (
            await session.execute(select(Organization).where(Organization.slug == slug))
        ).scalar_one_or_none()
        if org is None:
            org = Organization(slug=slug, name=name, timezone=timezone)
            session.add(org)
            await session.flush()
        else:
            org.name, org.timezone = name, timezone
        wanted = set(spaces)
        existing = (
            (await session.execute(select(Space).where(Space.org_id == org.id))).scalars().all()
        )
        for space in existing:
            if (space.platform, space.space_id) not in wanted:
                await session.delete(space)
        have = {(s.platform, s.space_id) for s in existing}
        for platform, space_id in sorted(wanted - have):
            taken = (
                await session.execute(
                    select(Space).where(Space.platform == platform, Space.space_id == space_id)
                )
            ).scalar_one_or_none()
            if taken is not None:
                taken.org_id = org.id
            else:
                session.add(Space(org_id=org.id, platform=platform, space_id=space_id))
        await session.flush()
        return OrgRecord(org.id, org.slug, org.name, org.timezone)

    # members and identities ------------------------------------------------------------

    async def find_member(self, platform: str, user_id: str) -> MemberRecord | None:
        """The member behind a platform account, if the bot has stored one."""
        row = (
            await self.session.execute(
                select(Identity.id, Member.id, Member.display_name)
                .join(Member, Member.id == Identity.member_id)
                .where(Identity.platform == platform, Identity.user_id == user_id)
            )
        ).first()
        if row is None:
            return None
        return MemberRecord(id=row[1], display_name=row[2], identity_id=row[0])

    async def ensure_member(
        self, platform: str, user_id: str, display_name: str, org_id: int
    ) -> MemberRecord:
        """The member behind a platform account, stored now if new, and in the organization."""
        session = self.session
        row = (
            await session.execute(
                select(Identity.id, Identity.member_id, Identity.display_name, OrgMember.org_id)
                .outerjoin(
                    OrgMember,
                    (OrgMember.member_id == Identity.member_id) & (OrgMember.org_id == org_id),
                )
                .where(Identity.platform == platform, Identity.user_id == user_id)
            )
        ).first()
        if row is None:
            member = Member(display_name=display_name)
            session.add(member)
            await session.flush()
            identity = Identity(
                member_id=member.id, platform=platform, user_id=user_id, display_name=display_name
            )
            session.add(identity)
            session.add(OrgMember(org_id=org_id, member_id=member.id))
            await session.flush()
            return MemberRecord(member.id, display_name, identity.id)
        identity_id, member_id, known_name, in_org = row
        if in_org is None:
            session.add(OrgMember(org_id=org_id, member_id=member_id))
        if display_name and display_name != known_name:
            await session.execute(
                update(Identity).where(Identity.id == identity_id).values(display_name=display_name)
            )
            await session.execute(
                update(Member).where(Member.id == member_id).values(display_name=display_name)
            )
        return MemberRecord(member_id, display_name or known_name, identity_id)

    async def identities(self, member_id: int) -> list[IdentityRecord]:
        """Every platform account of a member."""
        rows = (
            await self.session.execute(
                select(Identity).where(Identity.member_id == member_id).order_by(Identity.id)
            )
        ).scalars()
        return [
            IdentityRecord(i.id, i.member_id, i.platform, i.user_id, i.display_name) for i in rows
        ]

    async def org_ids_of(self, member_id: int) -> list[int]:
        """The organizations a member belongs to."""
        rows = await self.session.execute(
            select(OrgMember.org_id).where(OrgMember.member_id == member_id)
        )
        return [r[0] for r in rows]

    async def granted_role(self, org_id: int, member_id: int) -> str | None:
        """A role granted to the member in the organization, beyond platform roles."""
        return (
            await self.session.execute(
                select(RoleGrant.role).where(
                    RoleGrant.org_id == org_id, RoleGrant.member_id == member_id
                )
            )
        ).scalar_one_or_none()

    async def grant_role(self, org_id: int, member_id: int, role: str | None) -> None:
        """Give (or with ``None`` take back) a role in an organization."""
        await self.session.execute(
            delete(RoleGrant).where(RoleGrant.org_id == org_id, RoleGrant.member_id == member_id)
        )
        if role is not None:
            self.session.add(RoleGrant(org_id=org_id, member_id=member_id, role=role))
            await self.session.flush()

    # profiles ----------------------------------------------------------------------------

    async def profile(self, member_id: int) -> ProfileRecord:
        """A member's profile; an empty one if they never set any field."""
        row = await self.session.get(Profile, member_id)
        if row is None:
            return ProfileRecord(member_id=member_id)
        return ProfileRecord(
            member_id=member_id,
            **{name: getattr(row, name) for name in PROFILE_FIELDS if name != "topics"},
            topics=list(row.topics or []),
        )

    async def update_profile(self, member_id: int, changes: dict[str, Any]) -> None:
        """Set the given profile fields, creating the profile if needed."""
        unknown = set(changes) - set(PROFILE_FIELDS)
        if unknown:
            raise ValueError(f"not profile fields: {sorted(unknown)}")
        values = {k: (list(v) if k == "topics" else v) for k, v in changes.items()}
        result = await self.session.execute(
            update(Profile).where(Profile.member_id == member_id).values(**values)
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            self.session.add(Profile(member_id=member_id, **{"topics": [], **values}))
            await self.session.flush()

    # linking -----------------------------------------------------------------------------

    async def store_link_code(
        self, code: str, member_id: int, platform: str, expires_at: datetime
    ) -> None:
        """Keep a one-time code's hash; any earlier code of the member stops working."""
        await self.session.execute(delete(LinkCode).where(LinkCode.member_id == member_id))
        self.session.add(
            LinkCode(
                code_hash=hash_code(code),
                member_id=member_id,
                platform=platform,
                expires_at=expires_at,
            )
        )
        await self.session.flush()

    async def take_link_code(self, code: str) -> tuple[int, str, datetime] | None:
        """Use up a code: its member, platform and expiry, or None if there is none."""
        row = await self.session.get(LinkCode, hash_code(code))
        if row is None:
            return None
        found = (row.member_id, row.platform, row.expires_at)
        await self.session.delete(row)
        await self.session.flush()
        return found

    async def move_identities(self, from_member: int, to_member: int) -> None:
        """Join every account of ``from_member`` to ``to_member`` (the caller merges the rest)."""
        session = self.session
        await session.execute(
            update(Identity).where(Identity.member_id == from_member).values(member_id=to_member)
        )
        have = set(await self.org_ids_of(to_member))
        for org_id in await self.org_ids_of(from_member):
            if org_id not in have:
                session.add(OrgMember(org_id=org_id, member_id=to_member))
        kept, dropped = await self.profile(to_member), await self.profile(from_member)
        fill = {
            name: getattr(dropped, name)
            for name in PROFILE_FIELDS
            if name not in ("alert_dms", "topics")
            and getattr(kept, name) is None
            and getattr(dropped, name) is not None
        }
        fill["alert_dms"] = kept.alert_dms and dropped.alert_dms
        fill["topics"] = list(dict.fromkeys([*kept.topics, *dropped.topics]))
        await self.update_profile(to_member, fill)
        await session.flush()

    async def delete_member(self, member_id: int) -> None:
        """Erase a member and everything that cascades from them."""
        await self.session.execute(delete(Member).where(Member.id == member_id))

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
        self.session.add(
            AuditEntry(
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
        query = select(AuditEntry).order_by(AuditEntry.id)
        if org_id is not None:
            query = query.where(AuditEntry.org_id == org_id)
        if actor is not None:
            query = query.where(AuditEntry.actor_member_id == actor)
        rows = (await self.session.execute(query)).scalars()
        return [
            {
                "action": r.action,
                "target": r.target,
                "detail": json.loads(r.detail or "{}"),
                "at": r.at.isoformat(),
            }
            for r in rows
        ]

"""Organizations, their spaces (the configured teams and guilds) and the roles granted in
them beyond platform roles."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Organization, OrgMember, RoleGrant, Space


@dataclass(frozen=True)
class OrgRecord:
    """An organization as stored."""

    id: int
    slug: str
    name: str
    timezone: str


_orgs = Organization.__table__
_spaces = Space.__table__
_roles = RoleGrant.__table__
_org_members = OrgMember.__table__

# On the path of every command that checks a role: built once, its SQL cached.
_GRANTED_ROLE = select(_roles.c.role).where(
    _roles.c.org_id == bindparam("org_id"), _roles.c.member_id == bindparam("member_id")
)


async def sync_org(
    conn: AsyncConnection, slug: str, name: str, timezone: str, spaces: list[tuple[str, str]]
) -> OrgRecord:
    """Make the stored organization and its spaces match the configuration."""
    org_id = (
        await conn.execute(select(_orgs.c.id).where(_orgs.c.slug == slug))
    ).scalar_one_or_none()
    if org_id is None:
        org_id = (
            await conn.execute(
                insert(_orgs).values(slug=slug, name=name, timezone=timezone).returning(_orgs.c.id)
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


async def granted_role(conn: AsyncConnection, org_id: int, member_id: int) -> str | None:
    """A role granted to the member in the organization, beyond platform roles."""
    return (
        await conn.execute(_GRANTED_ROLE, {"org_id": org_id, "member_id": member_id})
    ).scalar_one_or_none()


async def grant_role(conn: AsyncConnection, org_id: int, member_id: int, role: str | None) -> None:
    """Give (or with ``None`` take back) a role in an organization."""
    await conn.execute(
        delete(_roles).where(_roles.c.org_id == org_id, _roles.c.member_id == member_id)
    )
    if role is not None:
        await conn.execute(insert(_roles).values(org_id=org_id, member_id=member_id, role=role))


async def granted_roles(conn: AsyncConnection, org_id: int) -> list[tuple[int, str]]:
    """Every role granted in an organization, as (member id, role), by member id."""
    rows = await conn.execute(
        select(_roles.c.member_id, _roles.c.role)
        .where(_roles.c.org_id == org_id)
        .order_by(_roles.c.member_id)
    )
    return [(row[0], row[1]) for row in rows]


async def org_names_of(conn: AsyncConnection, member_id: int) -> list[str]:
    """The names of the organizations a member belongs to."""
    rows = await conn.execute(
        select(_orgs.c.name)
        .join(_org_members, _org_members.c.org_id == _orgs.c.id)
        .where(_org_members.c.member_id == member_id)
        .order_by(_orgs.c.id)
    )
    return [row[0] for row in rows]

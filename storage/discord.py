"""What the Discord adapter reads and keeps: DM channel ids, and an account's home guilds.

Opening a DM channel is a REST request of its own; the channel id is kept on the account's
identity row (``identities.dm_channel``), so every later direct message to that account is
one request, in every process. Accounts the bot has no identity for (it only writes to
members) are simply not remembered.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Identity, OrgMember, Space

_identities = Identity.__table__


async def dm_channel(conn: AsyncConnection, user_id: str) -> str | None:
    """The DM channel id remembered for a Discord account."""
    return (
        await conn.execute(
            select(_identities.c.dm_channel).where(
                _identities.c.platform == "discord", _identities.c.user_id == user_id
            )
        )
    ).scalar_one_or_none()


async def remember_dm_channel(conn: AsyncConnection, user_id: str, channel_id: str) -> None:
    """Remember the DM channel id of a Discord account the bot knows."""
    await conn.execute(
        update(_identities)
        .where(_identities.c.platform == "discord", _identities.c.user_id == user_id)
        .values(dm_channel=channel_id)
    )


async def home_guilds(conn: AsyncConnection, user_id: str) -> list[str]:
    """The Discord guilds of the organizations a Discord account's member belongs to
    (for a click in a DM, which carries no guild)."""
    members = OrgMember.__table__
    spaces = Space.__table__
    rows = await conn.execute(
        select(spaces.c.space_id)
        .select_from(
            _identities.join(members, members.c.member_id == _identities.c.member_id).join(
                spaces, spaces.c.org_id == members.c.org_id
            )
        )
        .where(
            _identities.c.platform == "discord",
            _identities.c.user_id == user_id,
            spaces.c.platform == "discord",
        )
        .order_by(spaces.c.space_id)
    )
    return [row[0] for row in rows]

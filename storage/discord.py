"""What the Discord adapter reads and keeps: DM channel ids, and an account's home guilds.

Opening a DM channel is a REST request of its own; the channel id is kept on the account's
identity row (``identities.dm_channel``), so every later direct message to that account is
one request, in every process. Accounts the bot has no identity for (it only writes to
members) are simply not remembered.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Identity, OrgMember, Space

_identities = Identity.__table__


async def dm_channels(conn: AsyncConnection) -> dict[str, str]:
    """Every DM channel id remembered, by Discord account (read once at start: a few
    megabytes for a hundred thousand members, and no database trip per message)."""
    rows = await conn.execute(
        select(_identities.c.user_id, _identities.c.dm_channel).where(
            _identities.c.platform == "discord", _identities.c.dm_channel.is_not(None)
        )
    )
    return {user: channel for user, channel in rows}


async def remember_dm_channels(conn: AsyncConnection, channels: dict[str, str]) -> None:
    """Remember the DM channel ids (by account) of Discord accounts the bot knows."""
    if not channels:
        return
    await conn.execute(
        update(_identities)
        .where(_identities.c.platform == "discord", _identities.c.user_id == bindparam("uid"))
        .values(dm_channel=bindparam("cid")),
        [{"uid": user, "cid": channel} for user, channel in channels.items()],
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

"""Until the last callers move to the module functions (``storage.members`` and the rest),
the member lookups they use over one connection."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from storage import members
from storage.members import MemberRecord


class Repos:
    """The member lookups over one connection in a transaction (one unit of work)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def find_member(self, platform: str, user_id: str) -> MemberRecord | None:
        """The member behind a platform account, if the bot has stored one."""
        return await members.find_member(self.conn, platform, user_id)

"""Messages a unit of work sends: stored in the outbox in the same transaction, sent after."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.reply import Reply, to_payload
from storage.queue import Outbox


class Messages:
    """Adds posts, direct messages and edits to the outbox of one unit of work."""

    def __init__(self, conn: AsyncConnection, now: datetime) -> None:
        self._outbox = Outbox(conn, now)

    @property
    def added(self) -> int:
        """How many messages this unit of work added."""
        return self._outbox.added

    async def to_channel(
        self,
        platform: str,
        channel: str,
        reply: Reply,
        *,
        kind: str,
        key: str,
        org_id: int | None = None,
    ) -> int | None:
        """Post in a channel; ``key`` makes a second post of the same thing a no-op."""
        return await self._outbox.add(
            platform=platform,
            target_kind="channel",
            target=channel,
            payload=to_payload(reply),
            kind=kind,
            key=key,
            org_id=org_id,
        )

    async def to_person(
        self,
        platform: str,
        user_id: str,
        reply: Reply,
        *,
        kind: str,
        key: str,
        member_id: int | None = None,
        org_id: int | None = None,
    ) -> int | None:
        """Send a direct message to one platform account."""
        return await self._outbox.add(
            platform=platform,
            target_kind="user",
            target=user_id,
            payload=to_payload(reply),
            kind=kind,
            key=key,
            member_id=member_id,
            org_id=org_id,
        )

    async def edit(
        self,
        original: int,
        platform: str,
        target_kind: str,
        target: str,
        reply: Reply,
        *,
        kind: str,
        key: str,
        org_id: int | None = None,
    ) -> int | None:
        """Replace the content of a message this bot posted earlier (outbox row ``original``)."""
        return await self._outbox.add(
            platform=platform,
            target_kind=target_kind,
            target=target,
            payload=to_payload(reply),
            kind=kind,
            key=key,
            edit_of=original,
            org_id=org_id,
        )

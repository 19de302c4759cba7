"""Messages a unit of work sends: stored in the outbox in the same transaction, sent after."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.reply import Reply, to_payload
from storage.queue import NewMessage, Outbox


class Messages:
    """Adds posts, direct messages and edits to the outbox of one unit of work."""

    def __init__(self, conn: AsyncConnection, now: datetime) -> None:
        self._outbox = Outbox(conn, now)

    @property
    def added(self) -> int:
        """How many messages this unit of work offered to the outbox."""
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
            NewMessage(
                platform,
                "channel",
                channel,
                to_payload(reply),
                kind,
                key,
                org_id=org_id,
            )
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
            NewMessage(
                platform,
                "user",
                user_id,
                to_payload(reply),
                kind,
                key,
                org_id=org_id,
                member_id=member_id,
            )
        )

    async def to_people(
        self,
        platform: str,
        recipients: Iterable[tuple[str, int | None, Reply, str]],
        *,
        kind: str,
        org_id: int | None = None,
    ) -> None:
        """Direct messages to many accounts in one statement: (user id, member id, reply, key)."""
        await self._outbox.add_many(
            [
                NewMessage(
                    platform,
                    "user",
                    user_id,
                    to_payload(reply),
                    kind,
                    key,
                    org_id=org_id,
                    member_id=member_id,
                )
                for user_id, member_id, reply, key in recipients
            ]
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
            NewMessage(
                platform,
                target_kind,
                target,
                to_payload(reply),
                kind,
                key,
                org_id=org_id,
                edit_of=original,
            )
        )

"""Messages a unit of work sends: stored in the outbox in the same transaction, sent after."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.reply import Reply, to_payload
from storage import queue
from storage.queue import NewMessage


@dataclass(frozen=True)
class Message:
    """One message for ``Messages.add_all``: a post (target_kind "channel") or a DM ("user")."""

    platform: str
    target_kind: str
    target: str
    reply: Reply
    key: str
    member_id: int | None = None


class Messages:
    """Adds posts, direct messages and edits to the outbox of one unit of work."""

    def __init__(self, conn: AsyncConnection, now: datetime) -> None:
        self._conn = conn
        self._now = now
        #: how many messages this unit of work offered to the outbox (one repeated by key
        #: included)
        self.added = 0

    async def _add(self, message: NewMessage) -> int | None:
        new_id = await queue.add_message(self._conn, message, self._now)
        self.added += 1
        return new_id

    async def to_channel(
        self,
        platform: str,
        channel: str,
        reply: Reply,
        *,
        kind: str,
        key: str,
        org_id: int | None = None,
        not_before: datetime | None = None,
    ) -> int | None:
        """Post in a channel; ``key`` makes a second post of the same thing a no-op.

        With ``not_before`` the post waits until then, and the outbox row records that time
        as its creation: nothing stored tells when the unit of work really ran (anonymity)."""
        return await self._add(
            NewMessage(
                platform,
                "channel",
                channel,
                to_payload(reply),
                kind,
                key,
                org_id=org_id,
                not_before=not_before,
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
        return await self._add(
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

    async def add_all(
        self, messages: Iterable[Message], *, kind: str, org_id: int | None = None
    ) -> None:
        """Many posts or direct messages in one statement (a fan-out, a batch of reminders)."""
        batch = [
            NewMessage(
                m.platform,
                m.target_kind,
                m.target,
                to_payload(m.reply),
                kind,
                m.key,
                org_id=org_id,
                member_id=m.member_id,
            )
            for m in messages
        ]
        await queue.add_messages(self._conn, batch, self._now)
        self.added += len(batch)

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
        return await self._add(
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

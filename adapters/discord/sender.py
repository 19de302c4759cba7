"""The delivery engine's Discord sender: channel posts, DMs and edits through discord.py.

- A post goes to the channel id of the outbox row; a DM first needs the account's DM
  channel, opened once (``POST /users/@me/channels``) and then remembered in the database.
- An edit (a live tally) replaces the message named by the row's ``edit_ref``.
- Every new message carries a nonce derived from the row's idempotency key, with
  ``enforce_nonce``: if a crash made the engine send a row twice, Discord keeps one.
- Rate limits: discord.py waits out each route's bucket (``X-RateLimit-*``) before it is
  empty and retries a 429 after its ``retry_after``; the client paces every request within
  the global limit (``[discord] global_rate``). A 429 that discord.py gives up on comes back
  to the engine as "retry after", which pauses the whole platform. The engine sends one
  call at a time to each channel (the sender's declared pace). An account that refuses
  DMs (403) or a channel that is gone (404) is a permanent failure: retrying would only
  add to Discord's invalid-request count.
- Event copies (``MIRROR_KIND``, addressed to a guild) become the guild's Scheduled
  Events (``adapters.discord.scheduled``).
- Mentions: nothing a message says pings anyone, except an organizer's ``notify:`` on a
  new channel post (never a DM or an edit); a role given by name is looked up among the
  channel's guild's roles.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

import aiohttp
import discord

from adapters.discord.render import Rendered, render, with_ping
from adapters.discord.scheduled import ScheduledEvents
from bot.delivery import Outgoing, SendResult
from bot.mirrors import MIRROR_KIND
from bot.ratelimit import Pace
from storage import discord as store
from storage.db import Database

log = logging.getLogger(__name__)

#: Discord's longest nonce
NONCE_LENGTH = 25
#: newly opened DM channels are stored together this many seconds later
SAVE_DELAY = 0.5


def nonce_for(key: str) -> str:
    """The message nonce for an outbox row's idempotency key (stable, at most 25 chars)."""
    return hashlib.blake2b(key.encode(), digest_size=12).hexdigest()[:NONCE_LENGTH]


class DiscordSender:
    """Sends outbox rows of platform ``discord`` through a connected client."""

    platform = "discord"

    def __init__(self, db: Database | None = None, *, rate: float = 50.0) -> None:
        self.db = db
        #: the engine's pace; the client's own bucket counts every REST request
        self.rate = rate
        self.burst = max(1.0, rate / 10)
        self.concurrency = 32
        #: one call at a time per channel (the engine keeps to it): posts keep their order,
        #: and discord.py's bucket for the channel is never raced by calls it has not seen
        #: answered. Discord: "rate limits are applied on a per-route basis", the channel
        #: id being a top-level resource of the route
        #: (https://discord.com/developers/docs/topics/rate-limits#rate-limits).
        self.pace = Pace(inflight=1)
        self.client: discord.Client | None = None
        #: copies of events as the guilds' Scheduled Events (requests of ``MIRROR_KIND``)
        self.scheduled = ScheduledEvents()
        self.scheduled.db = db
        self._dm_channels: dict[str, int] = {}
        self._opening: dict[str, asyncio.Future[int]] = {}
        self._unsaved: dict[str, str] = {}
        self._saving: asyncio.Task[None] | None = None

    def attach(self, client: discord.Client, db: Database) -> None:
        """Send through ``client``, keeping DM channel ids in ``db``."""
        self.client, self.db = client, db
        self.scheduled.db = db

    async def _dm_channel(self, client: discord.Client, user_id: str) -> int:
        """The account's DM channel: remembered, or opened once (even when several messages
        to the account are in flight at the same moment)."""
        known = self._dm_channels.get(user_id)
        if known is not None:
            return known
        opening = self._opening.get(user_id)
        if opening is None:
            opening = asyncio.ensure_future(self._open_dm(client, user_id))
            self._opening[user_id] = opening
            opening.add_done_callback(lambda _: self._opening.pop(user_id, None))
        return await asyncio.shield(opening)

    async def load(self) -> None:
        """Read the DM channels remembered in the database (one query, at start). A channel
        another process opens later costs this one request more; Discord answers the same."""
        if self.db is not None:
            async with self.db.reading() as conn:
                stored = await store.dm_channels(conn)
            self._dm_channels.update({user: int(channel) for user, channel in stored.items()})

    async def _open_dm(self, client: discord.Client, user_id: str) -> int:
        data = await client.http.start_private_message(int(user_id))
        channel = str(data["id"])
        self._unsaved[user_id] = channel
        if self._saving is None or self._saving.done():
            self._saving = asyncio.create_task(self._save_soon())
        self._dm_channels[user_id] = int(channel)
        return int(channel)

    async def _save_soon(self) -> None:
        """Store newly opened DM channels together, a moment later, in one transaction (a
        fan-out opens thousands; one write each would slow it to the database's pace)."""
        await asyncio.sleep(SAVE_DELAY)
        await self.flush()

    async def flush(self) -> None:
        """Store the DM channels opened and not stored yet (losing them would only cost a
        request each later)."""
        if not self._unsaved or self.db is None:
            return
        batch, self._unsaved = self._unsaved, {}
        try:
            async with self.db.transaction() as conn:
                await store.remember_dm_channels(conn, batch)
        except Exception:
            log.exception("could not store %d DM channel ids; they will be asked again", len(batch))

    @staticmethod
    def _pinging(
        client: discord.Client, channel_id: int, rendered: Rendered, notify: str
    ) -> Rendered:
        """The post with the organizer's ping; as it was (with a warning) when the role is
        not one of the channel's guild."""
        channel = client.get_channel(channel_id)
        guild = getattr(channel, "guild", None)
        roles = {role.name: role.id for role in guild.roles} if guild is not None else {}
        pinging = with_ping(rendered, notify, roles)
        if pinging is None:
            log.warning("notify: no role %r in the guild of channel %s", notify, channel_id)
            return rendered
        return pinging

    async def send(self, message: Outgoing) -> SendResult:
        """Post, DM or edit one message; map Discord's answer onto the engine's outcomes."""
        client = self.client
        if client is None or client.is_closed() or not client.is_ready():
            return SendResult.limited(1.0)  # not connected yet: not a failed attempt
        try:
            if message.kind == MIRROR_KIND:
                return await self.scheduled.deliver(client, message)
            rendered = render(message.reply)
            if message.target_kind == "user":
                channel_id = await self._dm_channel(client, message.target)
                kind = discord.ChannelType.private
            else:
                channel_id = int(message.target)
                kind = discord.ChannelType.text
            channel = client.get_partial_messageable(channel_id, type=kind)
            if message.edit_ref:
                await channel.get_partial_message(int(message.edit_ref)).edit(
                    **rendered.edit_kwargs()
                )
                return SendResult.sent(message.edit_ref)
            if message.reply.notify and message.target_kind == "channel":
                rendered = self._pinging(client, channel_id, rendered, message.reply.notify)
            sent = await channel.send(**rendered.kwargs(), nonce=nonce_for(message.key))
            return SendResult.sent(str(sent.id))
        except discord.RateLimited as exc:
            return SendResult.limited(exc.retry_after)
        except (discord.Forbidden, discord.NotFound) as exc:
            return SendResult.fail(f"HTTP {exc.status}: {exc.text[:100]}")
        except discord.DiscordServerError as exc:
            return SendResult.retry(f"HTTP {exc.status}")
        except discord.HTTPException as exc:
            if exc.status == 429:
                return SendResult.limited(1.0)
            if exc.status >= 500:
                return SendResult.retry(f"HTTP {exc.status}")
            return SendResult.fail(f"HTTP {exc.status}: {exc.text[:100]}")
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return SendResult.retry(type(exc).__name__)
        except ValueError as exc:  # a target that is not a Discord id
            return SendResult.fail(f"bad target: {exc}")

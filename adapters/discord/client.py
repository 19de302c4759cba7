"""The discord.py client, pointed at the configured REST base and the gateway it names.

discord.py builds every REST URL from the class attribute ``discord.http.Route.BASE`` and
connects to a fixed gateway address (``DiscordWebSocket.DEFAULT_GATEWAY``) unless told
otherwise; a session invalidated by the gateway even falls back to that fixed address. So
that one process (or one test) can run a client against a stand-in without touching any
global, this client carries its own base:

- ``RoutedHTTP`` (its HTTP client) rewrites each request's URL from Discord's base to
  ``[discord] api_url``, paces every request that counts against Discord's global limit
  (all but interaction callbacks and webhooks) with a token bucket, and, whenever
  discord.py asks for the fixed gateway address, connects to the address that
  ``GET {api_url}/gateway/bot`` gave instead.
- ``RoutedWebhookAdapter`` does the same for interaction responses and follow-ups, which
  discord.py sends through a webhook adapter held in a context variable; the adapter
  sets it in the task that runs the client, so only this client's tasks see it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import HTTPClient, Route
from discord.webhook.async_ import AsyncWebhookAdapter

from bot.ratelimit import TokenBucket

log = logging.getLogger(__name__)

DISCORD_BASE = Route.BASE


def _rebase(url: str, base: str) -> str:
    """``url`` built on Discord's REST base, moved onto ``base``."""
    if url.startswith(DISCORD_BASE) and base != DISCORD_BASE:
        return base + url[len(DISCORD_BASE) :]
    return url


class RoutedHTTP(HTTPClient):
    """discord.py's HTTP client on another REST base, with the global request limit."""

    def __init__(
        self,
        loop: Any,
        *,
        api_url: str,
        global_rate: float,
        connector: aiohttp.BaseConnector | None = None,
    ) -> None:
        super().__init__(loop, connector)
        self.api_url = api_url.rstrip("/")
        self.global_bucket = TokenBucket(global_rate, burst=max(1.0, global_rate / 10))
        self._gateway: yarl.URL | None = None
        self._next_sweep = 256
        self._gateway_lock = asyncio.Lock()

    async def request(self, route: Route, **kwargs: Any) -> Any:
        """Send ``route`` to the configured base, within the global request limit."""
        route.url = _rebase(route.url, self.api_url)
        await self.global_bucket.acquire()
        return await super().request(route, **kwargs)

    def _try_clear_expired_ratelimits(self) -> None:
        """discord.py scans every bucket for idle ones on each new bucket once it holds 256;
        a fan-out makes one bucket per DM channel, so scan only when their number doubled
        (the same clean-up, amortised: thousands of DMs no longer cost quadratic time)."""
        if len(self._buckets) < self._next_sweep:
            return
        super()._try_clear_expired_ratelimits()
        self._next_sweep = max(256, 2 * len(self._buckets))

    async def gateway_address(self) -> yarl.URL:
        """The gateway address ``GET /gateway/bot`` names (asked once, then remembered)."""
        async with self._gateway_lock:
            if self._gateway is None:
                _shards, url, _limits = await self.get_bot_gateway()
                self._gateway = yarl.URL(url)
            return self._gateway

    async def ws_connect(self, url: str, *, compress: int = 0) -> aiohttp.ClientWebSocketResponse:
        """Connect the gateway; the fixed default address becomes the one the API gave."""
        target = yarl.URL(url)
        if target.host == DiscordWebSocket.DEFAULT_GATEWAY.host:
            asked = await self.gateway_address()
            target = asked.with_query(target.query)
        return await super().ws_connect(str(target), compress=compress)


class RoutedWebhookAdapter(AsyncWebhookAdapter):
    """Interaction callbacks and follow-ups, sent to the configured REST base."""

    def __init__(self, api_url: str) -> None:
        super().__init__()
        self.api_url = api_url.rstrip("/")

    async def request(self, route: Route, session: aiohttp.ClientSession, **kwargs: Any) -> Any:
        """Send ``route`` to the configured base."""
        route.url = _rebase(route.url, self.api_url)
        return await super().request(route, session, **kwargs)


def intents() -> discord.Intents:
    """The fewest intents rallybot needs: guilds only (see the README's Discord section)."""
    return discord.Intents(guilds=True)


class RallyClient(discord.AutoShardedClient):
    """The bot's gateway connection: sharded, on the configured REST base.

    ``on_setup`` (a coroutine taking the client) runs in ``setup_hook``, where the
    persistent components are registered; ``on_interaction`` receives every interaction.
    """

    def __init__(
        self,
        *,
        api_url: str,
        global_rate: float,
        shard_ids: list[int] | None,
        shard_count: int | None,
        on_setup: Any,
        on_interaction: Any,
    ) -> None:
        options: dict[str, Any] = {
            "intents": intents(),
            "chunk_guilds_at_startup": False,
            # the default of every message: nothing pings (each send says so as well)
            "allowed_mentions": discord.AllowedMentions.none(),
        }
        if shard_count:
            options["shard_count"] = shard_count
            if shard_ids:
                options["shard_ids"] = shard_ids
        super().__init__(**options)
        # discord.py made its own HTTP client in __init__; give it and the connection
        # state ours, before anything has used it.
        self.http = RoutedHTTP(self.loop, api_url=api_url, global_rate=global_rate)
        self._connection.http = self.http
        self._on_setup = on_setup
        self._on_interaction = on_interaction
        self.serving = asyncio.Event()

    async def setup_hook(self) -> None:
        """Register the persistent components before the first event arrives."""
        await self._on_setup(self)

    async def on_ready(self) -> None:
        """Every shard has connected and received its guilds."""
        self.serving.set()
        log.info("connected to Discord: %d guild(s)", len(self.guilds))

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Slash commands, autocomplete and modal submits (components go to their items)."""
        await self._on_interaction(interaction)

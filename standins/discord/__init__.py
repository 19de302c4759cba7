"""A local stand-in for Discord: REST under ``/api/v10`` and a gateway websocket, on 127.0.0.1.

It speaks enough of Discord for the real discord.py client to log in, connect, receive
interactions and answer them:

- REST: ``GET /gateway/bot`` (the gateway address and shard count), ``GET /users/@me``,
  application command upserts (``PUT /applications/{app}/commands`` and per guild),
  interaction callbacks (``POST /interactions/{id}/{token}/callback?with_response=1``),
  follow-ups and edits of the original response (``/webhooks/{app}/{token}...``), channel
  messages (``POST``/``PATCH /channels/{id}/messages``, JSON or multipart with files,
  ``nonce`` + ``enforce_nonce`` deduplicated as Discord does) and DM channels
  (``POST /users/@me/channels``), and guild scheduled events (list, create, modify with
  status, delete; ``scheduled``). Each new message records its ``allowed_mentions`` and
  whom it ``pinged`` by Discord's rules for them. ``GET /channels/{id}`` (with its
  permission overwrites; 404 Unknown Channel once deleted), ``GET /guilds/{id}`` and its
  roles (each with its permissions), ``GET /guilds/{id}/members/{user}`` (the bot's roles
  too), and ``GET`` of the global and guild application commands.
- Rate limits as Discord sets them: every answer carries ``X-RateLimit-Limit``,
  ``-Remaining``, ``-Reset``, ``-Reset-After`` and ``-Bucket``; past a route's bucket (per
  channel) or the global limit (``global_rate`` requests a second; interaction endpoints are
  exempt, as on Discord) it answers 429 with ``retry_after`` in the body, ``Retry-After``,
  ``X-RateLimit-Scope`` and the ``Via`` header (without it discord.py takes a 429 for a
  Cloudflare ban). 401, 403 and 429 answers are counted like Discord's invalid-request limit.
- Gateway: HELLO, IDENTIFY (token and shard checked), READY (with ``resume_gateway_url``),
  GUILD_CREATE for the shard's guilds, heartbeats and their ACKs, RESUME, and on demand
  INVALID_SESSION or RECONNECT. Tests inject INTERACTION_CREATE for slash commands,
  autocomplete, button clicks and modal submits, and read what the bot answered. As on
  Discord, an interaction answered more than 3 seconds after it was sent is refused
  (404, unknown interaction) and marked late.
- Benchmarks: ``POST /control/burst`` has many people type one command at once and answers
  with the seconds each waited; ``GET /stats`` counts messages, 429s and invalid requests.

Run it in process (tests) or as ``python -m standins.discord`` (benchmarks; prints the API
base URL and serves until standard input closes).

Its parts: ``payloads`` (Discord's objects and answers), ``limits`` (rate and size limits),
``rest`` (the REST routes), ``gateway`` (the websocket and interactions into the bot), all
on the one state of ``state``.
"""

from __future__ import annotations

from aiohttp import web

from standins.discord.gateway import Gateway
from standins.discord.limits import RateLimits, check_command, check_message, check_modal
from standins.discord.payloads import API, Guild, Interaction
from standins.discord.rest import RestApi
from standins.discord.scheduled import ScheduledEventsApi
from standins.server import LocalServer

__all__ = [
    "DiscordStandIn",
    "Guild",
    "Interaction",
    "check_command",
    "check_message",
    "check_modal",
]


class DiscordStandIn(RateLimits, RestApi, ScheduledEventsApi, Gateway):
    """The stand-in server and everything it was sent."""

    async def start(self) -> str:
        """Listen on 127.0.0.1 on a free port; return the REST base (``.../api/v10``)."""
        app = web.Application(middlewares=[self._limits], client_max_size=25 * 1024 * 1024)
        self._gateway_routes(app.router)
        self._rest_routes(app.router)
        self._scheduled_routes(app.router)
        self._server = LocalServer(app)
        self.url = await self._server.start()
        self.api_url = self.url + API
        self.gateway_url = self.url.replace("http://", "ws://", 1) + "/gateway"
        return self.api_url

    async def stop(self) -> None:
        """Close every gateway session and the server."""
        for session in list(self._sessions.values()):
            await session.ws.close()
        if self._server is not None:
            await self._server.stop()

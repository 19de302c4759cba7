"""A local stand-in for Discord: REST under ``/api/v10`` and a gateway websocket, on 127.0.0.1.

It speaks enough of Discord for the real discord.py client to log in, connect, receive
interactions and answer them:

- REST: ``GET /gateway/bot`` (the gateway address and shard count), ``GET /users/@me``,
  application command upserts (``PUT /applications/{app}/commands`` and per guild),
  interaction callbacks (``POST /interactions/{id}/{token}/callback?with_response=1``),
  follow-ups and edits of the original response (``/webhooks/{app}/{token}...``), channel
  messages (``POST``/``PATCH /channels/{id}/messages``, JSON or multipart with files,
  ``nonce`` + ``enforce_nonce`` deduplicated as Discord does) and DM channels
  (``POST /users/@me/channels``). Each new message records its ``allowed_mentions`` and
  whom it ``pinged`` by Discord's rules for them.
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
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import re
import secrets
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

API = "/api/v10"
#: Discord's epoch, for snowflakes
EPOCH_MS = 1420070400000
EPHEMERAL = 64
#: Discord's message limits, checked as Discord checks them
MAX_CONTENT = 2000
MAX_EMBED_DESCRIPTION = 4096
MAX_EMBED_TOTAL = 6000
MAX_ROWS = 5
MAX_BUTTONS_PER_ROW = 5
MAX_LABEL = 80
MAX_CUSTOM_ID = 100
#: an interaction not answered within this many seconds is gone, as on Discord
RESPONSE_DEADLINE = 3.0


@dataclass
class Guild:
    """A guild the bot is in: its roles (id -> name) and text channels."""

    id: str
    name: str = "Library Workers"
    roles: dict[str, str] = field(default_factory=dict)
    channels: list[str] = field(default_factory=list)


@dataclass
class Interaction:
    """An interaction sent to the bot and what it answered."""

    id: str
    token: str
    kind: int
    payload: dict[str, Any]
    sent_at: float
    responses: list[dict[str, Any]] = field(default_factory=list)
    first_response_at: float | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    #: messages the answer produced (the response message, follow-ups), by id
    messages: list[str] = field(default_factory=list)
    #: the bot answered after Discord's 3-second deadline (and was refused)
    late: bool = False

    @property
    def latency(self) -> float | None:
        """Seconds from sending the interaction to the bot's first callback."""
        return None if self.first_response_at is None else self.first_response_at - self.sent_at


@dataclass
class _Bucket:
    limit: int
    window: float
    remaining: int = 0
    reset_at: float = 0.0


@dataclass
class _Session:
    id: str
    shard: tuple[int, int]
    ws: web.WebSocketResponse
    seq: int = 0


class DiscordStandIn:
    """The stand-in server and everything it was sent."""

    def __init__(
        self,
        guilds: list[Guild] | None = None,
        *,
        token: str = "standin-bot-token",
        global_rate: float = 50.0,
        channel_limit: int = 5,
        channel_window: float = 5.0,
        shard_count: int = 1,
        heartbeat_interval_ms: int = 41250,
    ) -> None:
        self.token = token
        self.guilds = {g.id: g for g in guilds or []}
        self.global_rate = global_rate
        self.channel_limit = channel_limit
        self.channel_window = channel_window
        self.shard_count = shard_count
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.application_id = "900000000000000001"
        self.bot_user = _user(self.application_id, "rallybot", bot=True)
        self.users: dict[str, dict[str, Any]] = {}
        self.member_roles: dict[tuple[str, str], list[str]] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.dm_channels: dict[str, str] = {}
        self._dm_channel_ids: set[str] = set()
        self.interactions: dict[str, Interaction] = {}
        self._by_token: dict[str, Interaction] = {}
        self.commands: dict[str | None, list[dict[str, Any]]] = {}
        self.command_writes: Counter[str | None] = Counter()
        self.invalid_requests = 0
        self.limited: Counter[str] = Counter()
        self.limited_buckets: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.identifies = 0
        self.resumes = 0
        self.gateway_paths: list[str] = []
        self.heartbeats = 0
        self._nonces: dict[tuple[str, str], str] = {}
        self._sessions: dict[str, _Session] = {}
        self._ids = itertools.count(1)
        self._buckets: dict[str, _Bucket] = {}
        self._global_tokens = global_rate
        self._global_stamp = time.monotonic()
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.api_url = ""
        self.gateway_url = ""

    # ids ------------------------------------------------------------------------------------

    def snowflake(self) -> str:
        """A new id, shaped like Discord's (milliseconds since its epoch, shifted)."""
        ms = int(time.time() * 1000) - EPOCH_MS
        return str((ms << 22) | (next(self._ids) & 0x3FFFFF))

    def shard_of(self, guild_id: str | None) -> int:
        """The shard a guild's events go to (DMs go to shard 0)."""
        if guild_id is None:
            return 0
        return (int(guild_id) >> 22) % self.shard_count

    # server ---------------------------------------------------------------------------------

    async def start(self) -> str:
        """Listen on 127.0.0.1 on a free port; return the REST base (``.../api/v10``)."""
        app = web.Application(middlewares=[self._limits], client_max_size=25 * 1024 * 1024)
        r = app.router
        r.add_get("/gateway", self._gateway_ws)
        r.add_get(f"{API}/gateway", self._get_gateway)
        r.add_get(f"{API}/gateway/bot", self._get_gateway_bot)
        r.add_get(f"{API}/users/@me", self._get_me)
        r.add_get(f"{API}/oauth2/applications/@me", self._get_application)
        r.add_get(f"{API}/applications/@me", self._get_application)
        r.add_put(f"{API}/applications/{{app}}/commands", self._put_commands)
        r.add_put(f"{API}/applications/{{app}}/guilds/{{guild}}/commands", self._put_commands)
        r.add_get(f"{API}/applications/{{app}}/commands", self._get_commands)
        r.add_get(f"{API}/applications/{{app}}/guilds/{{guild}}/commands", self._get_commands)
        r.add_post(f"{API}/interactions/{{iid}}/{{token}}/callback", self._callback)
        r.add_post(f"{API}/webhooks/{{app}}/{{token}}", self._followup)
        r.add_patch(f"{API}/webhooks/{{app}}/{{token}}/messages/{{mid}}", self._edit_webhook)
        r.add_get(f"{API}/webhooks/{{app}}/{{token}}/messages/{{mid}}", self._get_webhook)
        r.add_post(f"{API}/users/@me/channels", self._create_dm)
        r.add_post(f"{API}/channels/{{cid}}/messages", self._post_message)
        r.add_patch(f"{API}/channels/{{cid}}/messages/{{mid}}", self._edit_message)
        r.add_get(f"{API}/users/{{uid}}", self._get_user)
        r.add_get("/stats", self._stats)
        r.add_post("/control/burst", self._burst)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self.api_url = self.url + API
        self.gateway_url = f"ws://127.0.0.1:{port}/gateway"
        return self.api_url

    async def stop(self) -> None:
        """Close every gateway session and the server."""
        for session in list(self._sessions.values()):
            await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # rate limits ----------------------------------------------------------------------------

    def _bucket_key(self, request: web.Request) -> tuple[str, int, float] | None:
        """The per-route bucket of a request: channel messages per channel."""
        path = request.path
        if path.startswith(f"{API}/channels/") and "/messages" in path:
            channel = path.split("/")[4]
            return f"{request.method} channel {channel}", self.channel_limit, self.channel_window
        return None

    def _take_global(self) -> bool:
        now = time.monotonic()
        capacity = max(self.global_rate, 1.0)
        tokens = self._global_tokens + (now - self._global_stamp) * self.global_rate
        self._global_tokens = min(capacity, tokens)
        self._global_stamp = now
        if self._global_tokens >= 1.0:
            self._global_tokens -= 1.0
            return True
        return False

    def _too_many(self, retry_after: float, scope: str, bucket: str) -> web.Response:
        self.invalid_requests += 1
        self.limited[scope] += 1
        self.limited_buckets[bucket] += 1
        body = {
            "message": "You are being rate limited.",
            "retry_after": round(retry_after, 3),
            "global": scope == "global",
        }
        headers = {
            "Retry-After": f"{max(retry_after, 0.001):.3f}",
            "X-RateLimit-Scope": scope,
            "X-RateLimit-Bucket": bucket,
            "Via": "1.1 google",
        }
        if scope == "global":
            headers["X-RateLimit-Global"] = "true"
        return _json(body, status=429, headers=headers)

    @web.middleware
    async def _limits(self, request: web.Request, handler: Any) -> web.StreamResponse:
        path = request.path
        if not path.startswith(API):
            return await handler(request)
        self.requests[f"{request.method} {request.match_info.route.resource.canonical}"] += 1
        exempt = path.startswith((f"{API}/interactions/", f"{API}/webhooks/"))
        if not exempt and path != f"{API}/gateway":
            if request.headers.get("Authorization") != f"Bot {self.token}":
                self.invalid_requests += 1
                return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        found = self._bucket_key(request)
        bucket: _Bucket | None = None
        name = "none"
        if found is not None:
            name, limit, window = found
            bucket = self._buckets.setdefault(name, _Bucket(limit, window, limit, 0.0))
            now = time.monotonic()
            if now >= bucket.reset_at:
                bucket.remaining, bucket.reset_at = bucket.limit, now + bucket.window
            if bucket.remaining <= 0:
                return self._too_many(bucket.reset_at - now, "user", name)
        if not exempt and not self._take_global():
            return self._too_many(1.0 / self.global_rate, "global", "global")
        if bucket is not None:
            bucket.remaining -= 1
        response = await handler(request)
        if bucket is not None:
            # whole milliseconds, rounded up as Discord does: never an early retry
            reset_after = math.ceil(max(bucket.reset_at - time.monotonic(), 0.0) * 1000) / 1000
            response.headers["X-RateLimit-Limit"] = str(bucket.limit)
            response.headers["X-RateLimit-Remaining"] = str(bucket.remaining)
            response.headers["X-RateLimit-Reset"] = f"{time.time() + reset_after:.3f}"
            response.headers["X-RateLimit-Reset-After"] = f"{reset_after:.3f}"
            # one hash per route; the channel (a major parameter) tells buckets apart
            response.headers["X-RateLimit-Bucket"] = name.rsplit(" ", 1)[0].replace(" ", "-")
        return response

    # REST: identity and gateway --------------------------------------------------------------

    async def _get_gateway(self, _request: web.Request) -> web.Response:
        return _json({"url": self.gateway_url})

    async def _get_gateway_bot(self, _request: web.Request) -> web.Response:
        return _json(
            {
                "url": self.gateway_url,
                "shards": self.shard_count,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000 - self.identifies,
                    "reset_after": 86_400_000,
                    "max_concurrency": 1,
                },
            }
        )

    async def _get_me(self, _request: web.Request) -> web.Response:
        return _json(self.bot_user)

    async def _get_user(self, request: web.Request) -> web.Response:
        user_id = request.match_info["uid"]
        if not user_id.isdigit():
            return _json({"message": "Unknown User", "code": 10013}, 404)
        return _json(self.users.get(user_id) or _user(user_id, f"user{user_id[-4:]}"))

    async def _get_application(self, _request: web.Request) -> web.Response:
        return _json(
            {
                "id": self.application_id,
                "name": "rallybot",
                "icon": None,
                "description": "",
                "bot_public": False,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "owner": _user("900000000000000099", "owner"),
            }
        )

    # REST: application commands ---------------------------------------------------------------

    async def _put_commands(self, request: web.Request) -> web.Response:
        guild = request.match_info.get("guild")
        body = await request.json()
        if not isinstance(body, list) or len(body) > 100:
            return _bad("commands: a list of at most 100 commands")
        for command in body:
            problem = check_command(command)
            if problem:
                return _bad(problem)
        stored = []
        for command in body:
            stored.append(
                {**command, "id": self.snowflake(), "application_id": self.application_id,
                 "guild_id": guild, "version": self.snowflake()}
            )
        self.commands[guild] = stored
        self.command_writes[guild] += len(stored)
        return _json(stored)

    async def _get_commands(self, request: web.Request) -> web.Response:
        return _json(self.commands.get(request.match_info.get("guild"), []))

    # REST: interactions --------------------------------------------------------------------

    async def _callback(self, request: web.Request) -> web.Response:
        interaction = self.interactions.get(request.match_info["iid"])
        if interaction is None or interaction.token != request.match_info["token"]:
            return _json({"message": "Unknown interaction", "code": 10062}, 404)
        if interaction.responses:
            return _json(
                {"message": "Interaction has already been acknowledged.", "code": 40060}, 400
            )
        if time.monotonic() - interaction.sent_at > RESPONSE_DEADLINE:
            interaction.late = True
            interaction.answered.set()
            return _json({"message": "Unknown interaction", "code": 10062}, 404)
        body, files = await _read_body(request)
        kind = body.get("type")
        data = body.get("data") or {}
        problem = check_message(data) if kind in (4, 7) else None
        if kind == 9:
            problem = check_modal(data)
        if problem:
            return _bad(problem)
        interaction.first_response_at = time.monotonic()
        interaction.responses.append({"type": kind, "data": data, "files": files})
        resource: dict[str, Any] = {"type": kind}
        message_id = None
        if kind in (4, 5):
            message = self._store_message(
                interaction.payload.get("channel_id", ""), data, files, interaction=interaction,
                loading=kind == 5,
            )
            message_id = message["id"]
            resource["message"] = message
        if kind == 7 and interaction.payload.get("message"):
            original = self.messages.get(interaction.payload["message"]["id"])
            if original is not None:
                original.update(_message_fields(data, files))
        interaction.answered.set()
        return _json(
            {
                "interaction": {
                    "id": interaction.id,
                    "type": interaction.kind,
                    "response_message_id": message_id,
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": bool((data.get("flags") or 0) & EPHEMERAL),
                },
                "resource": resource,
            }
        )

    def _interaction_by_token(self, token: str) -> Interaction | None:
        return self._by_token.get(token)

    async def _followup(self, request: web.Request) -> web.Response:
        interaction = self._interaction_by_token(request.match_info["token"])
        if interaction is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, 404)
        body, files = await _read_body(request)
        problem = check_message(body)
        if problem:
            return _bad(problem)
        message = self._store_message(
            interaction.payload.get("channel_id", ""), body, files, interaction=interaction
        )
        interaction.responses.append({"type": "followup", "data": body, "files": files})
        return _json(message)

    async def _edit_webhook(self, request: web.Request) -> web.Response:
        interaction = self._interaction_by_token(request.match_info["token"])
        if interaction is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, 404)
        body, files = await _read_body(request)
        problem = check_message(body)
        if problem:
            return _bad(problem)
        mid = request.match_info["mid"]
        if mid == "@original":
            mid = interaction.messages[0] if interaction.messages else ""
        message = self.messages.get(mid)
        if message is None:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        message.update(_message_fields(body, files))
        message["loading"] = False
        interaction.responses.append({"type": "edit", "data": body, "files": files})
        return _json(message)

    async def _get_webhook(self, request: web.Request) -> web.Response:
        interaction = self._interaction_by_token(request.match_info["token"])
        if interaction is None or not interaction.messages:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        return _json(self.messages[interaction.messages[0]])

    # REST: channels and DMs -----------------------------------------------------------------

    async def _create_dm(self, request: web.Request) -> web.Response:
        body = await request.json()
        user_id = str(body.get("recipient_id", ""))
        if not user_id.isdigit():
            return _bad("recipient_id: a user id")
        channel = self.dm_channel_of(user_id)
        return _json(
            {
                "id": channel,
                "type": 1,
                "last_message_id": None,
                "recipients": [self.users.get(user_id) or _user(user_id, f"user{user_id[-4:]}")],
            }
        )

    def dm_channel_of(self, user_id: str) -> str:
        """The DM channel with an account, opened on first use (one per account)."""
        channel = self.dm_channels.get(user_id)
        if channel is None:
            channel = self.dm_channels[user_id] = self.snowflake()
            self._dm_channel_ids.add(channel)
        return channel

    def _channel_known(self, channel_id: str) -> bool:
        if channel_id in self._dm_channel_ids:
            return True
        return any(channel_id in g.channels for g in self.guilds.values())

    async def _post_message(self, request: web.Request) -> web.Response:
        channel_id = request.match_info["cid"]
        if not self._channel_known(channel_id):
            return _json({"message": "Unknown Channel", "code": 10003}, 404)
        body, files = await _read_body(request)
        problem = check_message(body)
        if problem:
            return _bad(problem)
        nonce = body.get("nonce")
        if nonce is not None and len(str(nonce)) > 25:
            return _bad("nonce: at most 25 characters")
        if nonce is not None and body.get("enforce_nonce"):
            earlier = self._nonces.get((channel_id, str(nonce)))
            if earlier is not None:
                self.messages[earlier]["deduplicated"] += 1
                return _json(self.messages[earlier])
        message = self._store_message(channel_id, body, files)
        if nonce is not None:
            self._nonces[(channel_id, str(nonce))] = message["id"]
        return _json(message)

    async def _edit_message(self, request: web.Request) -> web.Response:
        message = self.messages.get(request.match_info["mid"])
        if message is None or message["channel_id"] != request.match_info["cid"]:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        body, files = await _read_body(request)
        problem = check_message(body)
        if problem:
            return _bad(problem)
        message.update(_message_fields(body, files))
        # what the edit allowed to ping, kept to be read; ``pinged`` stays what the message
        # pinged when it was created
        message["allowed_mentions"] = body.get("allowed_mentions")
        message["edits"] += 1
        message["edited_timestamp"] = _iso_now()
        return _json(message)

    def _store_message(
        self,
        channel_id: str,
        body: dict[str, Any],
        files: list[dict[str, Any]],
        *,
        interaction: Interaction | None = None,
        loading: bool = False,
    ) -> dict[str, Any]:
        message_id = self.snowflake()
        message = {
            "id": message_id,
            "channel_id": channel_id,
            "author": self.bot_user,
            "timestamp": _iso_now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
            "type": 0 if interaction is None else 20,
            "nonce": body.get("nonce"),
            "edits": 0,
            "deduplicated": 0,
            "loading": loading,
            **_message_fields(body, files),
            "allowed_mentions": body.get("allowed_mentions"),
            "pinged": pinged(body.get("content") or "", body.get("allowed_mentions")),
        }
        if interaction is not None:
            message["interaction_id"] = interaction.id
            interaction.messages.append(message_id)
        self.messages[message_id] = message
        return message

    async def _stats(self, _request: web.Request) -> web.Response:
        return _json(self.stats())

    async def _burst(self, request: web.Request) -> web.Response:
        """Benchmarks: ``count`` people type one slash command at the same moment; the
        seconds each waited for its first answer."""
        body = await request.json()
        count = int(body.get("count", 100))
        guild = str(body["guild_id"])
        users = [str(int("800000000000000000") + n) for n in range(count)]
        sent = await asyncio.gather(
            *(
                self.slash(user, body["name"], body.get("options"), sub=body.get("sub"),
                           guild_id=guild)
                for user in users
            )
        )
        await asyncio.wait_for(asyncio.gather(*(i.answered.wait() for i in sent)), 30)
        return _json(
            {
                "latencies": [i.latency for i in sent],
                "deferred": sum(1 for i in sent if i.responses and i.responses[0]["type"] == 5),
                "late": sum(1 for i in sent if i.late),
            }
        )

    def stats(self) -> dict[str, Any]:
        """Counts for benchmarks: messages by channel kind, 429s, invalid requests."""
        dm = set(self.dm_channels.values())
        in_dm = [m for m in self.messages.values() if m["channel_id"] in dm]
        return {
            "messages": len(self.messages),
            "dm_messages": len(in_dm),
            "dm_recipients": len({m["channel_id"] for m in in_dm}),
            "deduplicated": sum(m["deduplicated"] for m in self.messages.values()),
            "limited": dict(self.limited),
            "invalid_requests": self.invalid_requests,
            "requests": sum(self.requests.values()),
        }

    # gateway --------------------------------------------------------------------------------

    async def _gateway_ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.gateway_paths.append(request.path_qs)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        session: _Session | None = None
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            op, data = frame.get("op"), frame.get("d")
            if op == 1:
                self.heartbeats += 1
                await ws.send_json({"op": 11})
            elif op == 2:
                session = await self._identify(ws, data)
                if session is None:
                    break
            elif op == 6:
                session = await self._resume(ws, data)
        # a session outlives its connection: the client may resume it on a new one
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> _Session | None:
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        shard = tuple(data.get("shard") or (0, 1))
        if shard[1] != self.shard_count or not 0 <= shard[0] < shard[1]:
            await ws.close(code=4010, message=b"Invalid shard.")
            return None
        self.identifies += 1
        session = _Session(secrets.token_hex(16), (shard[0], shard[1]), ws)
        self._sessions[session.id] = session
        mine = [g for g in self.guilds.values() if self.shard_of(g.id) == shard[0]]
        await self._dispatch(
            session,
            "READY",
            {
                "v": 10,
                "user": self.bot_user,
                "guilds": [{"id": g.id, "unavailable": True} for g in mine],
                "session_id": session.id,
                "resume_gateway_url": self.gateway_url,
                "shard": list(shard),
                "application": {"id": self.application_id, "flags": 0},
            },
        )
        for guild in mine:
            await self._dispatch(session, "GUILD_CREATE", self._guild_payload(guild))
        return session

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> _Session | None:
        session = self._sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self.token:
            await ws.send_json({"op": 9, "d": False})
            return None
        self.resumes += 1
        session.ws = ws
        await self._dispatch(session, "RESUMED", {})
        return session

    async def _dispatch(self, session: _Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        await session.ws.send_json({"op": 0, "t": event, "s": session.seq, "d": data})

    def _guild_payload(self, guild: Guild) -> dict[str, Any]:
        roles = [_role(guild.id, "@everyone", 0)] + [
            _role(rid, name, i + 1) for i, (rid, name) in enumerate(guild.roles.items())
        ]
        return {
            "id": guild.id,
            "name": guild.name,
            "icon": None,
            "owner_id": "900000000000000099",
            "region": "us-central",
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": roles,
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "joined_at": _iso_now(),
            "large": False,
            "unavailable": False,
            "member_count": len(self.member_roles),
            "members": [],
            "channels": [
                {"id": c, "type": 0, "name": f"channel-{c[-4:]}", "position": i,
                 "permission_overwrites": [], "guild_id": guild.id}
                for i, c in enumerate(guild.channels)
            ],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
        }

    async def invalidate_sessions(self) -> None:
        """Tell every connected shard its session is invalid (it must identify again)."""
        for session in list(self._sessions.values()):
            self._sessions.pop(session.id, None)
            await session.ws.send_json({"op": 9, "d": False})

    async def ask_reconnect(self, within: float = 10.0) -> None:
        """Ask every connected shard to reconnect (op 7); return once each has resumed."""
        old = {session.id: session.ws for session in self._sessions.values()}
        for session in list(self._sessions.values()):
            await session.ws.send_json({"op": 7, "d": None})
        deadline = time.monotonic() + within
        while any(
            self._sessions.get(sid) is None
            or self._sessions[sid].ws is ws
            or self._sessions[sid].ws.closed
            for sid, ws in old.items()
        ):
            if time.monotonic() > deadline:
                raise TimeoutError("not every shard resumed")
            await asyncio.sleep(0.02)

    def connected_shards(self) -> list[int]:
        """Shard ids with a live session."""
        return sorted(s.shard[0] for s in self._sessions.values() if not s.ws.closed)

    async def wait_connected(self, shards: int = 1, within: float = 10.0) -> None:
        """Wait until ``shards`` sessions are live."""
        deadline = time.monotonic() + within
        while len(self.connected_shards()) < shards:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.connected_shards())} of {shards} shards connected")
            await asyncio.sleep(0.02)

    # interactions into the bot --------------------------------------------------------------

    def add_user(self, user_id: str, name: str, *, guild_id: str | None = None,
                 roles: list[str] | None = None) -> None:
        """Make a person known, with their role ids in a guild."""
        self.users[user_id] = _user(user_id, name)
        if guild_id is not None:
            self.member_roles[(guild_id, user_id)] = list(roles or [])

    async def _send_interaction(
        self, kind: int, data: dict[str, Any], user_id: str, guild_id: str | None,
        channel_id: str | None, message: dict[str, Any] | None = None,
    ) -> Interaction:
        user = self.users.get(user_id) or _user(user_id, f"user{user_id[-4:]}")
        interaction_id = self.snowflake()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(24)
        if guild_id is None:
            channel_id = channel_id or self.dm_channel_of(user_id)
        elif channel_id is None:
            known = self.guilds.get(guild_id)
            channel_id = known.channels[0] if known and known.channels else self.snowflake()
        payload: dict[str, Any] = {
            "id": interaction_id,
            "application_id": self.application_id,
            "type": kind,
            "data": data,
            "channel_id": channel_id,
            "token": token,
            "version": 1,
            "locale": "en-US",
            "app_permissions": "2147483647",
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "authorizing_integration_owners": {"0": guild_id} if guild_id else {"1": user_id},
            "context": 0 if guild_id else 1,
        }
        if guild_id is not None:
            payload["guild_id"] = guild_id
            payload["guild_locale"] = "en-US"
            payload["channel"] = {"id": channel_id, "type": 0, "guild_id": guild_id,
                                  "name": "general", "position": 0, "permission_overwrites": []}
            payload["member"] = {
                "user": user,
                "roles": self.member_roles.get((guild_id, user_id), []),
                "joined_at": _iso_now(),
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": "2147483647",
                "nick": None,
            }
        else:
            payload["channel"] = {"id": channel_id, "type": 1, "recipients": [user]}
            payload["user"] = user
        if message is not None:
            payload["message"] = message
        interaction = Interaction(interaction_id, token, kind, payload, time.monotonic())
        self.interactions[interaction_id] = interaction
        self._by_token[token] = interaction
        session = self._session_for(guild_id)
        interaction.sent_at = time.monotonic()
        await self._dispatch(session, "INTERACTION_CREATE", payload)
        return interaction

    def _session_for(self, guild_id: str | None) -> _Session:
        shard = self.shard_of(guild_id)
        for session in self._sessions.values():
            if session.shard[0] == shard and not session.ws.closed:
                return session
        raise RuntimeError(f"no live gateway session for shard {shard}")

    async def slash(
        self,
        user_id: str,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        sub: str | None = None,
        guild_id: str | None = None,
        channel_id: str | None = None,
    ) -> Interaction:
        """Type ``/name [sub] option:value …`` as ``user_id`` (in a guild, or in a DM)."""
        opts = _options(options or {})
        if sub is not None:
            opts = [{"type": 1, "name": sub, "options": opts}]
        data = {"id": self.snowflake(), "name": name, "type": 1, "options": opts}
        if guild_id is not None:
            data["guild_id"] = guild_id
        return await self._send_interaction(2, data, user_id, guild_id, channel_id)

    async def autocomplete(
        self, user_id: str, name: str, sub: str | None, focused: str, typed: str, *,
        guild_id: str | None = None, channel_id: str | None = None,
    ) -> Interaction:
        """Type into an option with autocomplete; the answer is in ``responses``."""
        opts = [{"type": 3, "name": focused, "value": typed, "focused": True}]
        if sub is not None:
            opts = [{"type": 1, "name": sub, "options": opts}]
        data = {"id": self.snowflake(), "name": name, "type": 1, "options": opts}
        return await self._send_interaction(4, data, user_id, guild_id, channel_id)

    async def click(
        self, user_id: str, message_id: str, custom_id: str, *, guild_id: str | None = None,
        values: list[str] | None = None,
    ) -> Interaction:
        """Click a button (or choose ``values`` in a menu) on a message the bot sent."""
        message = self.messages[message_id]
        component_type = 2
        for row in message.get("components", []):
            for item in row.get("components", []):
                if item.get("custom_id") == custom_id:
                    component_type = item["type"]
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = values
        public = {k: v for k, v in message.items()
                  if k not in ("edits", "deduplicated", "loading", "interaction_id")}
        return await self._send_interaction(
            3, data, user_id, guild_id, message["channel_id"], message=public
        )

    async def submit(
        self, user_id: str, custom_id: str, values: dict[str, str], *,
        guild_id: str | None = None, channel_id: str | None = None,
    ) -> Interaction:
        """Submit a modal the bot opened, with text in its inputs."""
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]}
            for k, v in values.items()
        ]
        data = {"custom_id": custom_id, "components": rows}
        return await self._send_interaction(5, data, user_id, guild_id, channel_id)

    def messages_in(self, channel_id: str) -> list[dict[str, Any]]:
        """Messages posted in a channel, oldest first."""
        return [m for m in self.messages.values() if m["channel_id"] == channel_id]


# payload helpers ------------------------------------------------------------------------------


def _user(user_id: str, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "discriminator": "0",
        "global_name": name.title(),
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def _role(role_id: str, name: str, position: int) -> dict[str, Any]:
    return {
        "id": role_id,
        "name": name,
        "color": 0,
        "hoist": False,
        "position": position,
        "permissions": "0",
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def _iso_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00", time.gmtime())


def _options(values: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, value in values.items():
        kind = 5 if isinstance(value, bool) else 4 if isinstance(value, int) else 3
        out.append({"type": kind, "name": name, "value": value})
    return out


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer as Discord sends it: ``Content-Type: application/json`` exactly (with a
    charset, discord.py would read the body as text)."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def _bad(problem: str) -> web.Response:
    return _json(
        {"message": "Invalid Form Body", "code": 50035, "errors": problem}, status=400
    )


async def _read_body(request: web.Request) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A JSON body, or a multipart one (``payload_json`` and ``files[n]``)."""
    if not request.content_type.startswith("multipart/"):
        text = await request.text()
        return (json.loads(text) if text else {}), []
    body: dict[str, Any] = {}
    files: list[dict[str, Any]] = []
    reader = await request.multipart()
    async for part in reader:
        if part.name == "payload_json":
            body = json.loads(await part.text())
        else:
            data = await part.read()
            files.append({"field": part.name, "filename": part.filename, "size": len(data),
                          "data": bytes(data)})
    return body, files


def _message_fields(body: dict[str, Any], files: list[dict[str, Any]]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "content": body.get("content") or "",
        "embeds": body.get("embeds") or [],
        "components": body.get("components") or [],
        "flags": body.get("flags") or 0,
    }
    attachments = [
        {"id": str(i), "filename": f["filename"], "size": f["size"],
         "url": f"https://cdn.invalid/{f['filename']}",
         "proxy_url": f"https://cdn.invalid/{f['filename']}"}
        for i, f in enumerate(files)
    ]
    if attachments or "attachments" in body:
        fields["attachments"] = attachments
    else:
        fields.setdefault("attachments", [])
    fields["file_data"] = {f["filename"]: f["data"].decode("latin-1") for f in files}
    return fields


_EVERYONE_MENTION = re.compile(r"@(?:everyone|here)")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")
_USER_MENTION = re.compile(r"<@!?(\d+)>")


def pinged(content: str, allowed: dict[str, Any] | None) -> dict[str, Any]:
    """Whom a new message pings, as Discord decides it (Message Resource, "Allowed Mentions
    Object", https://discord.com/developers/docs/resources/message#allowed-mentions-object):
    mentions are read from ``content`` only (never from embeds); without ``allowed_mentions``
    every mention in it pings; with it, ``@everyone`` and ``@here`` ping only when ``parse``
    holds ``everyone``, a role only when ``parse`` holds ``roles`` or ``roles`` lists its id,
    a user likewise with ``users``. Reckoned when a message is created."""
    if allowed is None:
        allowed = {"parse": ["everyone", "roles", "users"]}
    parse = set(allowed.get("parse") or [])
    roles = {str(r) for r in allowed.get("roles") or []}
    users = {str(u) for u in allowed.get("users") or []}
    return {
        "everyone": "everyone" in parse and bool(_EVERYONE_MENTION.search(content)),
        "roles": [r for r in _ROLE_MENTION.findall(content) if "roles" in parse or r in roles],
        "users": [u for u in _USER_MENTION.findall(content) if "users" in parse or u in users],
    }


def check_message(body: dict[str, Any]) -> str | None:
    """Discord's message limits; the first one broken, as Discord names it."""
    if len(body.get("content") or "") > MAX_CONTENT:
        return f"content: must be {MAX_CONTENT} or fewer in length"
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        return "embeds: at most 10"
    total = 0
    for embed in embeds:
        description = embed.get("description") or ""
        if len(description) > MAX_EMBED_DESCRIPTION:
            return f"embeds.description: must be {MAX_EMBED_DESCRIPTION} or fewer in length"
        if len(embed.get("title") or "") > 256:
            return "embeds.title: must be 256 or fewer in length"
        if len(embed.get("fields") or []) > 25:
            return "embeds.fields: at most 25"
        total += len(embed.get("title") or "") + len(description)
        total += len((embed.get("footer") or {}).get("text") or "")
        for f in embed.get("fields") or []:
            if len(f.get("name") or "") > 256 or len(f.get("value") or "") > 1024:
                return "embeds.fields: name at most 256, value at most 1024"
            total += len(f.get("name") or "") + len(f.get("value") or "")
    if total > MAX_EMBED_TOTAL:
        return f"embeds: must be {MAX_EMBED_TOTAL} or fewer in length in total"
    return _check_components(body.get("components") or [])


def _check_components(rows: list[dict[str, Any]]) -> str | None:
    if len(rows) > MAX_ROWS:
        return f"components: at most {MAX_ROWS} action rows"
    for row in rows:
        items = row.get("components") or []
        if row.get("type") != 1 or not 1 <= len(items) <= MAX_BUTTONS_PER_ROW:
            return f"components: each action row holds 1 to {MAX_BUTTONS_PER_ROW} items"
        for item in items:
            if len(item.get("label") or "") > MAX_LABEL:
                return f"components.label: must be {MAX_LABEL} or fewer in length"
            custom_id = item.get("custom_id")
            if item.get("type") != 2 or item.get("style") != 5:
                if not custom_id or len(custom_id) > MAX_CUSTOM_ID:
                    return f"components.custom_id: 1 to {MAX_CUSTOM_ID} characters"
            if item.get("type") == 3:
                if len(items) != 1:
                    return "components: a select menu fills its action row alone"
                if not 1 <= len(item.get("options") or []) <= 25:
                    return "components.options: 1 to 25 options"
    return None


def check_modal(data: dict[str, Any]) -> str | None:
    if len(data.get("title") or "") > 45:
        return "title: must be 45 or fewer in length"
    custom_id = data.get("custom_id") or ""
    if not custom_id or len(custom_id) > MAX_CUSTOM_ID:
        return f"custom_id: 1 to {MAX_CUSTOM_ID} characters"
    rows = data.get("components") or []
    if not 1 <= len(rows) <= 5:
        return "components: a modal has 1 to 5 inputs"
    for row in rows:
        for item in row.get("components") or []:
            if len(item.get("label") or "") > 45:
                return "components.label: must be 45 or fewer in length"
            if item.get("max_length") and item["max_length"] > 4000:
                return "components.max_length: at most 4000"
    return None


def check_command(command: dict[str, Any]) -> str | None:
    import re

    name = command.get("name", "")
    if not re.fullmatch(r"[-_\w]{1,32}", name) or name != name.lower():
        return f"name: {name!r} must be 1-32 lower-case letters, digits, - or _"
    if not 1 <= len(command.get("description", "")) <= 100:
        return f"{name}.description: 1 to 100 characters"
    options = command.get("options") or []
    if len(options) > 25:
        return f"{name}.options: at most 25"
    seen_optional = False
    for option in options:
        if option.get("type") in (1, 2):
            problem = check_command({**option, "type": 1})
            if problem:
                return f"{name}.{problem}"
            continue
        if not re.fullmatch(r"[-_\w]{1,32}", option.get("name", "")):
            return f"{name}.options.name: {option.get('name')!r} is not a valid name"
        if not 1 <= len(option.get("description", "")) <= 100:
            return f"{name}.{option.get('name')}.description: 1 to 100 characters"
        if option.get("required"):
            if seen_optional:
                return f"{name}.options: required options must come before optional ones"
        else:
            seen_optional = True
        if option.get("choices") and option.get("autocomplete"):
            return f"{name}.{option['name']}: choices and autocomplete exclude each other"
        if len(option.get("choices") or []) > 25:
            return f"{name}.{option['name']}.choices: at most 25"
    return None


async def _serve(args: argparse.Namespace) -> None:
    guilds = [Guild(g, channels=[str(int(g) + 1)]) for g in args.guild]
    standin = DiscordStandIn(guilds, token=args.token, global_rate=args.global_rate)
    await standin.start()
    print(standin.api_url, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until closed
    print(json.dumps(standin.stats()), flush=True)
    await standin.stop()


def main() -> None:
    """Serve a stand-in until standard input closes; print its API base URL first."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--token", default="standin-bot-token")
    parser.add_argument("--global-rate", type=float, default=50.0)
    parser.add_argument("--guild", action="append", default=[])
    asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()

"""What the Discord stand-in holds: its settings, the guilds and people it knows, every
message, interaction, command and request it was sent, its gateway sessions and rate-limit
buckets; and the ids it hands out, shaped like Discord's.

The REST routes, the gateway and the rate limits each work on this one state (see
``standins.discord``, which puts them together).
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from standins.discord.payloads import EPOCH_MS, Guild, Interaction, user_payload
from standins.server import LocalServer


@dataclass
class Bucket:
    """A rate-limit bucket: its limit per window, what remains and when it resets."""

    limit: int
    window: float
    remaining: int = 0
    reset_at: float = 0.0


@dataclass
class Session:
    """A gateway session: its shard, its current websocket and the last sequence number."""

    id: str
    shard: tuple[int, int]
    ws: web.WebSocketResponse
    seq: int = 0


class StandInState:
    """The stand-in's settings and everything it knows and was sent."""

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
        self.bot_user = user_payload(self.application_id, "rallybot", bot=True)
        self.users: dict[str, dict[str, Any]] = {}
        self.member_roles: dict[tuple[str, str], list[str]] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        #: each guild's scheduled events, by id
        self.scheduled_events: dict[str, dict[str, dict[str, Any]]] = {}
        #: what "now" is to the stand-in (a test may put its own clock here)
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.dm_channels: dict[str, str] = {}
        self._dm_channel_ids: set[str] = set()
        self.interactions: dict[str, Interaction] = {}
        self._by_token: dict[str, Interaction] = {}
        self.commands: dict[str | None, list[dict[str, Any]]] = {}
        self.command_writes: Counter[str | None] = Counter()
        self.invalid_requests = 0
        #: every message or modal refused as an invalid form body: the problem named
        self.refused: list[str] = []
        self.limited: Counter[str] = Counter()
        self.limited_buckets: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.identifies = 0
        self.resumes = 0
        self.gateway_paths: list[str] = []
        self.heartbeats = 0
        self._nonces: dict[tuple[str, str], str] = {}
        self._sessions: dict[str, Session] = {}
        self._ids = itertools.count(1)
        self._buckets: dict[str, Bucket] = {}
        self._global_tokens = global_rate
        self._global_stamp = time.monotonic()
        self._server: LocalServer | None = None
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

    def dm_channel_of(self, user_id: str) -> str:
        """The DM channel with an account, opened on first use (one per account)."""
        channel = self.dm_channels.get(user_id)
        if channel is None:
            channel = self.dm_channels[user_id] = self.snowflake()
            self._dm_channel_ids.add(channel)
        return channel

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        guild_id: str | None = None,
        roles: list[str] | None = None,
    ) -> None:
        """Make a person known, with their role ids in a guild."""
        self.users[user_id] = user_payload(user_id, name)
        if guild_id is not None:
            self.member_roles[(guild_id, user_id)] = list(roles or [])

    def delete_channel(self, channel_id: str) -> None:
        """Delete a guild channel, as a guild's admin can: Discord no longer knows its id."""
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                guild.channels.remove(channel_id)
                guild.overwrites.pop(channel_id, None)

    def user(self, user_id: str) -> dict[str, Any]:
        """A person's User object (with a made-up name for one never made known)."""
        return self.users.get(user_id) or user_payload(user_id, f"user{user_id[-4:]}")

    def messages_in(self, channel_id: str) -> list[dict[str, Any]]:
        """Messages posted in a channel, oldest first."""
        return [m for m in self.messages.values() if m["channel_id"] == channel_id]

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

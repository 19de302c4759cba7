"""The Discord stand-in's gateway: the websocket at ``/gateway`` (HELLO, IDENTIFY with its
token and shard checked, READY, GUILD_CREATE, heartbeats, RESUME, and on demand
INVALID_SESSION or RECONNECT), and interactions sent into the bot through it (slash
commands, autocomplete, clicks, modal submits; ``POST /control/burst`` for benchmarks).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from typing import Any

from aiohttp import WSMsgType, web

from standins.discord.payloads import (
    Interaction,
    guild_payload,
    iso_now,
    json_response,
    option_payloads,
)
from standins.discord.state import Session, StandInState


class Gateway(StandInState):
    """The gateway's sessions, and the interactions people send into the bot."""

    def _gateway_routes(self, r: web.UrlDispatcher) -> None:
        """Add the gateway's websocket (and ``/control/burst``) to the server's router."""
        r.add_get("/gateway", self._gateway_ws)
        r.add_post("/control/burst", self._burst)

    async def _gateway_ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.gateway_paths.append(request.path_qs)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        session: Session | None = None
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

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> Session | None:
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        shard = tuple(data.get("shard") or (0, 1))
        if shard[1] != self.shard_count or not 0 <= shard[0] < shard[1]:
            await ws.close(code=4010, message=b"Invalid shard.")
            return None
        self.identifies += 1
        session = Session(secrets.token_hex(16), (shard[0], shard[1]), ws)
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
            member_count = len(self.member_roles)
            await self._dispatch(session, "GUILD_CREATE", guild_payload(guild, member_count))
        return session

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> Session | None:
        session = self._sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self.token:
            await ws.send_json({"op": 9, "d": False})
            return None
        self.resumes += 1
        session.ws = ws
        await self._dispatch(session, "RESUMED", {})
        return session

    async def _dispatch(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        await session.ws.send_json({"op": 0, "t": event, "s": session.seq, "d": data})


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

    async def _send_interaction(
        self, kind: int, data: dict[str, Any], user_id: str, guild_id: str | None,
        channel_id: str | None, message: dict[str, Any] | None = None,
    ) -> Interaction:
        user = self.user(user_id)
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
                "joined_at": iso_now(),
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

    def _session_for(self, guild_id: str | None) -> Session:
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
        opts = option_payloads(options or {})
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
        return json_response(
            {
                "latencies": [i.latency for i in sent],
                "deferred": sum(1 for i in sent if i.responses and i.responses[0]["type"] == 5),
                "late": sum(1 for i in sent if i.late),
            }
        )


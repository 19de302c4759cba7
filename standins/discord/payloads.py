"""What the Discord stand-in sends and keeps: Discord's objects as JSON payloads (users,
roles, guilds, messages, interaction options), its JSON and error answers, request bodies
read as Discord reads them (JSON or multipart with files), whom a message pings, and the
records of guilds and interactions.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

API = "/api/v10"
#: Discord's epoch, for snowflakes
EPOCH_MS = 1420070400000
EPHEMERAL = 64


@dataclass
class Guild:
    """A guild the bot is in: its roles (id -> name) and text channels."""

    id: str
    name: str = "Library Workers"
    roles: dict[str, str] = field(default_factory=dict)
    channels: list[str] = field(default_factory=list)
    #: whether the bot may create and manage the guild's scheduled events
    manage_events: bool = True


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


def user_payload(user_id: str, name: str, *, bot: bool = False) -> dict[str, Any]:
    """A User object."""
    return {
        "id": user_id,
        "username": name,
        "discriminator": "0",
        "global_name": name.title(),
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def role_payload(role_id: str, name: str, position: int) -> dict[str, Any]:
    """A Role object."""
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


def guild_payload(guild: Guild, member_count: int) -> dict[str, Any]:
    """A Guild object as GUILD_CREATE carries it, with an ``@everyone`` role first."""
    roles = [role_payload(guild.id, "@everyone", 0)] + [
        role_payload(rid, name, i + 1) for i, (rid, name) in enumerate(guild.roles.items())
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
        "joined_at": iso_now(),
        "large": False,
        "unavailable": False,
        "member_count": member_count,
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


def iso_now() -> str:
    """Now, as Discord writes a timestamp (ISO 8601 with microseconds, UTC)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00", time.gmtime())


def option_payloads(values: dict[str, Any]) -> list[dict[str, Any]]:
    """A command's option values (boolean, integer or string), as an interaction carries
    them."""
    out = []
    for name, value in values.items():
        kind = 5 if isinstance(value, bool) else 4 if isinstance(value, int) else 3
        out.append({"type": kind, "name": name, "value": value})
    return out


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON answer as Discord sends it: ``Content-Type: application/json`` exactly (with a
    charset, discord.py would read the body as text)."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def invalid_form(problem: str) -> web.Response:
    """Discord's 400 answer to a body it refuses (50035, Invalid Form Body)."""
    return json_response(
        {"message": "Invalid Form Body", "code": 50035, "errors": problem}, status=400
    )


async def read_body(request: web.Request) -> tuple[dict[str, Any], list[dict[str, Any]]]:
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


def message_fields(body: dict[str, Any], files: list[dict[str, Any]]) -> dict[str, Any]:
    """The fields of a Message object that a create or edit body (and its files) sets."""
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

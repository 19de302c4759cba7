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
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

API = "/api/v10"
#: Discord's epoch, for snowflakes
EPOCH_MS = 1420070400000
EPHEMERAL = 64
#: the permission bits the stand-in gives meaning to (Permissions, "Bitwise Permission
#: Flags", https://discord.com/developers/docs/topics/permissions#permissions-bitwise-permission-flags)
ADMINISTRATOR = 1 << 3
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
#: what ``@everyone`` may do unless a guild says otherwise: read and write in text channels
EVERYONE_DEFAULT = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_APPLICATION_COMMANDS
)
#: every permission bit Discord defines so far (an administrator has them all)
ALL_PERMISSIONS = (1 << 53) - 1
#: the guilds' owner (a person, never the bot)
OWNER_ID = "900000000000000099"


@dataclass
class Guild:
    """A guild the bot is in: its roles (id -> name) and text channels; what each role may
    do, each channel's permission overwrites, and the roles the bot holds there."""

    id: str
    name: str = "Library Workers"
    roles: dict[str, str] = field(default_factory=dict)
    channels: list[str] = field(default_factory=list)
    #: permission bits by role id; ``@everyone``, whose id is the guild's (Permissions,
    #: "Role Object"), has ``EVERYONE_DEFAULT`` unless listed, any other role nothing
    permissions: dict[str, int] = field(default_factory=dict)
    #: each channel's overwrites, as Discord's Overwrite objects: ``{"id", "type"
    #: (0 a role, 1 a member), "allow", "deny"}`` (Channel Resource, "Overwrite Object")
    overwrites: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: the role ids the bot's own member holds in the guild
    bot_roles: list[str] = field(default_factory=list)
    #: whether the bot may create and manage the guild's scheduled events
    manage_events: bool = True

    def role_permissions(self, role_id: str) -> int:
        """What a role (``@everyone``: the guild's id) may do, as permission bits."""
        default = EVERYONE_DEFAULT if role_id == self.id else 0
        return self.permissions.get(role_id, default)

    def bot_permissions(self, channel_id: str, bot_id: str) -> int:
        """What the bot may do in one of the guild's channels, as Discord computes it
        (Permissions, "Permission Overwrites",
        https://discord.com/developers/docs/topics/permissions#permission-overwrites): the
        roles' permissions together (everything for an administrator), then the channel's
        ``@everyone`` overwrite, its role overwrites summed, and the bot's member overwrite,
        each denying before allowing; nothing without View Channel ("Implicit
        Permissions")."""
        value = self.role_permissions(self.id)
        for role in self.bot_roles:
            value |= self.role_permissions(role)
        if value & ADMINISTRATOR:
            return ALL_PERMISSIONS
        overwrites = {(o["id"], o["type"]): o for o in self.overwrites.get(channel_id, [])}
        steps = [overwrites.get((self.id, 0))]
        roles = [overwrites[(r, 0)] for r in self.bot_roles if (r, 0) in overwrites]
        allow = sum_bits(int(o["allow"]) for o in roles)
        deny = sum_bits(int(o["deny"]) for o in roles)
        steps += [overwrite("", 0, allow=allow, deny=deny), overwrites.get((bot_id, 1))]
        for step in steps:
            if step is not None:
                value = (value & ~int(step["deny"])) | int(step["allow"])
        return value if value & VIEW_CHANNEL else 0


def sum_bits(values: Iterable[int]) -> int:
    """Permission bits or-ed together."""
    total = 0
    for value in values:
        total |= value
    return total


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


def role_payload(role_id: str, name: str, position: int, permissions: int = 0) -> dict[str, Any]:
    """A Role object (its permissions a string of the bits, as Discord sends them)."""
    return {
        "id": role_id,
        "name": name,
        "color": 0,
        "hoist": False,
        "position": position,
        "permissions": str(permissions),
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def overwrite(target_id: str, kind: int, *, allow: int = 0, deny: int = 0) -> dict[str, Any]:
    """An Overwrite object: ``kind`` 0 for a role, 1 for a member (Channel Resource,
    "Overwrite Object", https://discord.com/developers/docs/resources/channel#overwrite-object)."""
    return {"id": target_id, "type": kind, "allow": str(allow), "deny": str(deny)}


def roles_payload(guild: Guild) -> list[dict[str, Any]]:
    """A guild's Role objects, ``@everyone`` (the guild's id) first."""
    return [role_payload(guild.id, "@everyone", 0, guild.role_permissions(guild.id))] + [
        role_payload(rid, name, i + 1, guild.role_permissions(rid))
        for i, (rid, name) in enumerate(guild.roles.items())
    ]


def channel_payload(guild: Guild, channel_id: str) -> dict[str, Any]:
    """A guild text channel (type 0), as ``GET /channels/{id}`` and GUILD_CREATE give it,
    with its ``permission_overwrites``."""
    return {
        "id": channel_id,
        "type": 0,
        "name": f"channel-{channel_id[-4:]}",
        "position": guild.channels.index(channel_id),
        "permission_overwrites": guild.overwrites.get(channel_id, []),
        "guild_id": guild.id,
        "nsfw": False,
        "parent_id": None,
    }


def guild_payload(guild: Guild, member_count: int) -> dict[str, Any]:
    """A Guild object as GUILD_CREATE carries it, with an ``@everyone`` role first."""
    roles = roles_payload(guild)
    return {
        "id": guild.id,
        "name": guild.name,
        "icon": None,
        "owner_id": OWNER_ID,
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
        "channels": [channel_payload(guild, c) for c in guild.channels],
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
    """Discord's 400 answer to a body it refuses (50035, Invalid Form Body), its ``errors``
    nested by field as Discord nests them ("Error Messages" in Discord's reference:
    ``{"errors": {"name": {"_errors": [{"code": ..., "message": ...}]}}}``), which discord.py
    flattens into the exception's text ("In name: ...")."""
    path, _, message = problem.partition(": ")
    errors: dict[str, Any] = {"_errors": [{"code": "BASE_TYPE_INVALID", "message": message}]}
    for part in reversed(path.split(".")):
        errors = {part: errors}
    return json_response(
        {"message": "Invalid Form Body", "code": 50035, "errors": errors}, status=400
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
            files.append(
                {
                    "field": part.name,
                    "filename": part.filename,
                    "size": len(data),
                    "data": bytes(data),
                }
            )
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
        {
            "id": str(i),
            "filename": f["filename"],
            "size": f["size"],
            "url": f"https://cdn.invalid/{f['filename']}",
            "proxy_url": f"https://cdn.invalid/{f['filename']}",
        }
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

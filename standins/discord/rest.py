"""The Discord stand-in's REST API under ``/api/v10``: identity and the gateway's address,
application commands, interaction callbacks, follow-ups and edits through the interaction's
webhook, channels, guilds, their roles and members, channel messages (JSON or multipart with
files, nonces deduplicated) and DM channels; and ``GET /stats`` for benchmarks.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from standins.discord.limits import RESPONSE_DEADLINE, check_command, check_message, check_modal
from standins.discord.payloads import (
    API,
    EPHEMERAL,
    OWNER_ID,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    Interaction,
    channel_payload,
    invalid_form,
    iso_now,
    json_response,
    message_fields,
    pinged,
    read_body,
    roles_payload,
    user_payload,
)
from standins.discord.state import StandInState


class RestApi(StandInState):
    """Discord's REST routes, answered from and recorded in the stand-in's state."""

    def _rest_routes(self, r: web.UrlDispatcher) -> None:
        """Add the REST routes (and ``/stats``) to the server's router."""
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
        r.add_delete(f"{API}/webhooks/{{app}}/{{token}}/messages/{{mid}}", self._delete_webhook)
        r.add_post(f"{API}/users/@me/channels", self._create_dm)
        r.add_post(f"{API}/channels/{{cid}}/messages", self._post_message)
        r.add_patch(f"{API}/channels/{{cid}}/messages/{{mid}}", self._edit_message)
        r.add_get(f"{API}/users/{{uid}}", self._get_user)
        r.add_get(f"{API}/channels/{{cid}}", self._get_channel)
        r.add_get(f"{API}/guilds/{{gid}}", self._get_guild)
        r.add_get(f"{API}/guilds/{{gid}}/roles", self._get_roles)
        r.add_get(f"{API}/guilds/{{gid}}/members/{{uid}}", self._get_member)
        r.add_get("/stats", self._stats)

    # REST: identity and gateway --------------------------------------------------------------

    def _refuse(self, problem: str) -> web.Response:
        """Discord's answer to a message or modal it refuses, recorded for tests to read."""
        self.refused.append(problem)
        return invalid_form(problem)

    async def _get_gateway(self, _request: web.Request) -> web.Response:
        return json_response({"url": self.gateway_url})

    async def _get_gateway_bot(self, _request: web.Request) -> web.Response:
        return json_response(
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
        return json_response(self.bot_user)

    async def _get_user(self, request: web.Request) -> web.Response:
        user_id = request.match_info["uid"]
        if not user_id.isdigit():
            return json_response({"message": "Unknown User", "code": 10013}, 404)
        return json_response(self.user(user_id))

    async def _get_application(self, _request: web.Request) -> web.Response:
        return json_response(
            {
                "id": self.application_id,
                "name": "rallybot",
                "icon": None,
                "description": "",
                "bot_public": False,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "owner": user_payload(OWNER_ID, "owner"),
            }
        )

    # REST: application commands ---------------------------------------------------------------

    async def _put_commands(self, request: web.Request) -> web.Response:
        guild = request.match_info.get("guild")
        body = await request.json()
        if not isinstance(body, list) or len(body) > 100:
            return invalid_form("commands: a list of at most 100 commands")
        for command in body:
            problem = check_command(command)
            if problem:
                return invalid_form(problem)
        stored = []
        for command in body:
            stored.append(
                {
                    **command,
                    "id": self.snowflake(),
                    "application_id": self.application_id,
                    "guild_id": guild,
                    "version": self.snowflake(),
                }
            )
        self.commands[guild] = stored
        self.command_writes[guild] += len(stored)
        return json_response(stored)

    async def _get_commands(self, request: web.Request) -> web.Response:
        # Get Global / Guild Application Commands
        # (https://discord.com/developers/docs/interactions/application-commands#get-global-application-commands):
        # what the last bulk overwrite of that scope stored, each with its id and version.
        return json_response(self.commands.get(request.match_info.get("guild"), []))

    # REST: interactions --------------------------------------------------------------------

    async def _callback(self, request: web.Request) -> web.Response:
        interaction = self.interactions.get(request.match_info["iid"])
        if interaction is None or interaction.token != request.match_info["token"]:
            return json_response({"message": "Unknown interaction", "code": 10062}, 404)
        if interaction.responses:
            return json_response(
                {"message": "Interaction has already been acknowledged.", "code": 40060}, 400
            )
        if time.monotonic() - interaction.sent_at > RESPONSE_DEADLINE:
            interaction.late = True
            interaction.answered.set()
            return json_response({"message": "Unknown interaction", "code": 10062}, 404)
        body, files = await read_body(request)
        kind = body.get("type")
        data = body.get("data") or {}
        problem = check_message(data) if kind in (4, 7) else None
        if kind == 9:
            problem = check_modal(data)
        if problem:
            return self._refuse(problem)
        interaction.first_response_at = time.monotonic()
        interaction.responses.append({"type": kind, "data": data, "files": files})
        resource: dict[str, Any] = {"type": kind}
        message_id = None
        if kind in (4, 5):
            message = self._store_message(
                interaction.payload.get("channel_id", ""),
                data,
                files,
                interaction=interaction,
                loading=kind == 5,
            )
            message_id = message["id"]
            resource["message"] = message
        if kind == 7 and interaction.payload.get("message"):
            original = self.messages.get(interaction.payload["message"]["id"])
            if original is not None:
                original.update(message_fields(data, files))
        interaction.answered.set()
        return json_response(
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

    async def _webhook_message(
        self, request: web.Request
    ) -> tuple[Interaction, dict[str, Any], list[dict[str, Any]]] | web.Response:
        """The interaction a webhook call names and the message it sends, or Discord's answer
        to an unknown token or a message over the limits."""
        interaction = self._interaction_by_token(request.match_info["token"])
        if interaction is None:
            return json_response({"message": "Unknown Webhook", "code": 10015}, 404)
        body, files = await read_body(request)
        problem = check_message(body)
        if problem:
            return self._refuse(problem)
        return interaction, body, files

    async def _followup(self, request: web.Request) -> web.Response:
        sent = await self._webhook_message(request)
        if isinstance(sent, web.Response):
            return sent
        interaction, body, files = sent
        interaction.responses.append({"type": "followup", "data": body, "files": files})
        thinking = self._thinking(interaction)
        if thinking is not None:
            # As Discord documents: the first follow-up after a deferral edits the deferred
            # "thinking" message, and keeps its visibility whatever flags it asks for
            # (developer docs, Interactions > Receiving and Responding > "Create Followup
            # Message"; discord.py's and JDA's docs say the same of a deferred reply).
            flags = thinking["flags"] & EPHEMERAL
            thinking.update(message_fields(body, files))
            thinking["flags"] = (thinking["flags"] & ~EPHEMERAL) | flags
            thinking["loading"] = False
            return json_response(thinking)
        message = self._store_message(
            interaction.payload.get("channel_id", ""), body, files, interaction=interaction
        )
        return json_response(message)

    def _thinking(self, interaction: Interaction) -> dict[str, Any] | None:
        """The deferred message of ``interaction`` while it still shows "thinking"."""
        if not interaction.messages:
            return None
        first = self.messages.get(interaction.messages[0])
        return first if first is not None and first["loading"] else None

    async def _delete_webhook(self, request: web.Request) -> web.Response:
        interaction = self._interaction_by_token(request.match_info["token"])
        if interaction is None:
            return json_response({"message": "Unknown Webhook", "code": 10015}, 404)
        mid = request.match_info["mid"]
        if mid == "@original":
            mid = interaction.messages[0] if interaction.messages else ""
        if mid not in interaction.messages or self.messages.pop(mid, None) is None:
            return json_response({"message": "Unknown Message", "code": 10008}, 404)
        interaction.responses.append({"type": "delete", "data": {"id": mid}, "files": []})
        return web.Response(status=204)

    async def _edit_webhook(self, request: web.Request) -> web.Response:
        sent = await self._webhook_message(request)
        if isinstance(sent, web.Response):
            return sent
        interaction, body, files = sent
        mid = request.match_info["mid"]
        if mid == "@original":
            mid = interaction.messages[0] if interaction.messages else ""
        message = self.messages.get(mid)
        if message is None:
            return json_response({"message": "Unknown Message", "code": 10008}, 404)
        kept = message["flags"] & EPHEMERAL  # an edit cannot change who sees the message
        message.update(message_fields(body, files))
        message["flags"] = (message["flags"] & ~EPHEMERAL) | kept
        message["loading"] = False
        interaction.responses.append({"type": "edit", "data": body, "files": files})
        return json_response(message)

    async def _get_webhook(self, request: web.Request) -> web.Response:
        interaction = self._interaction_by_token(request.match_info["token"])
        if interaction is None or not interaction.messages:
            return json_response({"message": "Unknown Message", "code": 10008}, 404)
        return json_response(self.messages[interaction.messages[0]])

    # REST: channels, guilds and members ------------------------------------------------------
    # Discord's answers to an id it does not know are 404 with a JSON
    # error code ("JSON Error Codes", https://discord.com/developers/docs/topics/opcodes-and-status-codes#json-json-error-codes):
    # 10003 Unknown Channel, 10004 Unknown Guild (also for a guild the bot is not in, since
    # 2023: discord/discord-api-docs#5840), 10007 Unknown Member; a channel the bot may not
    # view is 403 Missing Access (50001).

    async def _get_channel(self, request: web.Request) -> web.Response:
        # Get Channel (https://discord.com/developers/docs/resources/channel#get-channel): a
        # guild channel with its ``permission_overwrites``; a deleted one is Unknown Channel.
        channel_id = request.match_info["cid"]
        if channel_id in self._dm_channel_ids:
            return json_response({"id": channel_id, "type": 1, "last_message_id": None})
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                # a channel the bot may not view: 403 Missing Access (50001)
                if not guild.bot_permissions(channel_id, self.application_id) & VIEW_CHANNEL:
                    return json_response({"message": "Missing Access", "code": 50001}, 403)
                return json_response(channel_payload(guild, channel_id))
        return json_response({"message": "Unknown Channel", "code": 10003}, 404)

    async def _get_guild(self, request: web.Request) -> web.Response:
        # Get Guild (https://discord.com/developers/docs/resources/guild#get-guild): its
        # ``owner_id`` and ``roles`` (each with its ``permissions``).
        guild = self.guilds.get(request.match_info["gid"])
        if guild is None:
            return json_response({"message": "Unknown Guild", "code": 10004}, 404)
        roles = roles_payload(guild)
        return json_response(
            {"id": guild.id, "name": guild.name, "owner_id": OWNER_ID, "roles": roles}
        )

    async def _get_roles(self, request: web.Request) -> web.Response:
        # Get Guild Roles (https://discord.com/developers/docs/resources/guild#get-guild-roles)
        guild = self.guilds.get(request.match_info["gid"])
        if guild is None:
            return json_response({"message": "Unknown Guild", "code": 10004}, 404)
        return json_response(roles_payload(guild))

    async def _get_member(self, request: web.Request) -> web.Response:
        # Get Guild Member (https://discord.com/developers/docs/resources/guild#get-guild-member):
        # the member's role ids (``@everyone`` is implied, never listed).
        guild = self.guilds.get(request.match_info["gid"])
        user_id = request.match_info["uid"]
        if guild is None:
            return json_response({"message": "Unknown Guild", "code": 10004}, 404)
        if user_id == self.application_id:
            roles = guild.bot_roles
        elif (guild.id, user_id) in self.member_roles:
            roles = self.member_roles[(guild.id, user_id)]
        else:
            return json_response({"message": "Unknown Member", "code": 10007}, 404)
        user = self.bot_user if user_id == self.application_id else self.user(user_id)
        return json_response(
            {
                "user": user,
                "nick": None,
                "roles": list(roles),
                "joined_at": iso_now(),
                "deaf": False,
                "mute": False,
                "flags": 0,
            }
        )

    # REST: DMs and messages -------------------------------------------------------------------

    async def _create_dm(self, request: web.Request) -> web.Response:
        body = await request.json()
        user_id = str(body.get("recipient_id", ""))
        if not user_id.isdigit():
            return invalid_form("recipient_id: a user id")
        channel = self.dm_channel_of(user_id)
        return json_response(
            {
                "id": channel,
                "type": 1,
                "last_message_id": None,
                "recipients": [self.user(user_id)],
            }
        )

    def _channel_known(self, channel_id: str) -> bool:
        if channel_id in self._dm_channel_ids:
            return True
        return any(channel_id in g.channels for g in self.guilds.values())

    async def _post_message(self, request: web.Request) -> web.Response:
        channel_id = request.match_info["cid"]
        if not self._channel_known(channel_id):
            return json_response({"message": "Unknown Channel", "code": 10003}, 404)
        # Create Message needs Send Messages (https://discord.com/developers/docs/resources/message#create-message):
        # without it, 403 Missing Permissions (50013)
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                allowed = guild.bot_permissions(channel_id, self.application_id)
                if not allowed & SEND_MESSAGES:
                    return json_response({"message": "Missing Permissions", "code": 50013}, 403)
        body, files = await read_body(request)
        problem = check_message(body)
        if problem:
            return self._refuse(problem)
        nonce = body.get("nonce")
        if nonce is not None and len(str(nonce)) > 25:
            return invalid_form("nonce: at most 25 characters")
        if nonce is not None and body.get("enforce_nonce"):
            earlier = self._nonces.get((channel_id, str(nonce)))
            if earlier is not None:
                self.messages[earlier]["deduplicated"] += 1
                return json_response(self.messages[earlier])
        message = self._store_message(channel_id, body, files)
        if nonce is not None:
            self._nonces[(channel_id, str(nonce))] = message["id"]
        return json_response(message)

    async def _edit_message(self, request: web.Request) -> web.Response:
        message = self.messages.get(request.match_info["mid"])
        if message is None or message["channel_id"] != request.match_info["cid"]:
            return json_response({"message": "Unknown Message", "code": 10008}, 404)
        body, files = await read_body(request)
        problem = check_message(body)
        if problem:
            return self._refuse(problem)
        message.update(message_fields(body, files))
        # what the edit allowed to ping, kept to be read; ``pinged`` stays what the message
        # pinged when it was created
        message["allowed_mentions"] = body.get("allowed_mentions")
        message["edits"] += 1
        message["edited_timestamp"] = iso_now()
        return json_response(message)

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
            "timestamp": iso_now(),
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
            **message_fields(body, files),
            "allowed_mentions": body.get("allowed_mentions"),
            "pinged": pinged(body.get("content") or "", body.get("allowed_mentions")),
        }
        if interaction is not None:
            message["interaction_id"] = interaction.id
            interaction.messages.append(message_id)
        self.messages[message_id] = message
        return message

    async def _stats(self, _request: web.Request) -> web.Response:
        return json_response(self.stats())

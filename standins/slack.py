"""A local stand-in of Slack: the Web API methods rallybot calls, and a signing Slack client.

``SlackStandIn`` is an aiohttp server on 127.0.0.1 (port 0) that answers the Web API at
``{url}/api/<method>`` as Slack does (``{"ok": true, ...}`` or ``{"ok": false, "error":
...}``), checks the bearer token, validates Block Kit against Slack's limits (answering
``invalid_blocks`` as Slack does; a malformed date too, see ``slack_dates``), enforces rate
limits with 429 and ``Retry-After`` (per method, and about one message a second per channel
for ``chat.postMessage``), serves the ``response_url`` endpoints and file uploads, and
offers Socket Mode: ``apps.connections.open`` hands out a websocket on the same server,
through which ``deliver`` pushes envelopes and waits for the app's acknowledgement.
``conversations.info`` answers for the channels made known with ``add_channel`` (gone after
``delete_channel``). Everything it is sent is recorded for tests to read.

The other direction, Slack calling the bot, is ``sign`` and ``SlackCaller``: request bodies
of slash commands, interactivity payloads and events, signed exactly as Slack signs them
(``v0:{timestamp}:{body}``, HMAC-SHA256 with the signing secret).

``python -m standins.slack`` serves one until standard input closes (for benchmarks).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import math
import re
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from standins.server import LocalServer, until_stdin_closes
from standins.slack_dates import date_errors

# --- Slack's documented Block Kit limits ---------------------------------------------------

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_ACTION_ID = 255
MAX_BLOCK_ID = 255
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_VALUE = 2000
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_VIEW_TITLE = 24
MAX_VIEW_BUTTON = 24
MAX_INPUT_LABEL = 2000
MAX_INPUT_LENGTH = 3000
MAX_PRIVATE_METADATA = 3000
MAX_CALLBACK_ID = 255
MAX_MESSAGE_TEXT = 40_000


_SPECIAL_MENTION = re.compile(r"<!(here|channel|everyone|subteam\^[A-Z0-9]+)(?:\|[^>]*)?>")
_PLAIN_MENTION = re.compile(r"(?<![\w&])@(here|channel|everyone)\b")


def _mrkdwn_texts(obj: Any) -> list[str]:
    """Every mrkdwn text in blocks (plain_text never holds a mention)."""
    if isinstance(obj, list):
        return [t for item in obj for t in _mrkdwn_texts(item)]
    if isinstance(obj, dict):
        if obj.get("type") == "mrkdwn":
            return [str(obj.get("text", ""))]
        return [t for value in obj.values() for t in _mrkdwn_texts(value)]
    return []


def broadcasts(args: dict[str, Any]) -> list[str]:
    """Whom a message notifies beyond its readers, as Slack decides it: the special mentions
    ``<!here>``, ``<!channel>``, ``<!everyone>`` and ``<!subteam^ID>`` in its text or its
    mrkdwn ("Formatting text for app surfaces", Special mentions,
    https://api.slack.com/reference/surfaces/formatting#special-mentions); a plain
    ``@channel`` only with ``parse: "full"`` or ``link_names`` (chat.postMessage, arguments
    ``parse``, which defaults to none, and ``link_names``). Escaped text
    (``&lt;!channel&gt;``) notifies no one."""
    texts = [str(args.get("text", "")), *_mrkdwn_texts(args.get("blocks") or [])]
    found = {m for text in texts for m in _SPECIAL_MENTION.findall(text)}
    if args.get("parse") == "full" or str(args.get("link_names", "")).lower() in ("1", "true"):
        found |= {m for text in texts for m in _PLAIN_MENTION.findall(text)}
    return sorted(found)


def _text_of(obj: Any) -> str:
    return obj.get("text", "") if isinstance(obj, dict) else ""


def block_errors(blocks: Any, *, surface: str = "message") -> list[str]:
    """Why Slack would refuse these blocks (empty when it would take them)."""
    errors: list[str] = []
    if not isinstance(blocks, list):
        return ["blocks must be an array"]
    limit = MAX_MESSAGE_BLOCKS if surface == "message" else MAX_VIEW_BLOCKS
    if len(blocks) > limit:
        errors.append(f"no more than {limit} items allowed [json-pointer:/blocks]")
    action_ids: set[str] = set()

    def element(el: Any, where: str) -> None:
        if not isinstance(el, dict) or "type" not in el:
            errors.append(f"element needs a type [{where}]")
            return
        action_id = el.get("action_id")
        if action_id is not None:
            if len(action_id) > MAX_ACTION_ID:
                errors.append(f"action_id longer than {MAX_ACTION_ID} [{where}/action_id]")
            if action_id in action_ids:
                errors.append(f"action_id {action_id!r} is used twice [{where}/action_id]")
            action_ids.add(action_id)
        if el["type"] == "button":
            if not 1 <= len(_text_of(el.get("text"))) <= MAX_BUTTON_TEXT:
                errors.append(f"button text must be 1 to {MAX_BUTTON_TEXT} [{where}/text]")
            if len(el.get("value", "")) > MAX_BUTTON_VALUE:
                errors.append(f"value longer than {MAX_BUTTON_VALUE} [{where}/value]")
        if el["type"] in ("static_select", "multi_static_select"):
            options = el.get("options", [])
            if not 1 <= len(options) <= MAX_OPTIONS:
                errors.append(f"options must be 1 to {MAX_OPTIONS} [{where}/options]")
            for j, opt in enumerate(options):
                if len(_text_of(opt.get("text"))) > MAX_OPTION_TEXT:
                    errors.append(f"option text over {MAX_OPTION_TEXT} [{where}/options/{j}]")
                if len(opt.get("value", "")) > MAX_OPTION_VALUE:
                    errors.append(f"option value over {MAX_OPTION_VALUE} [{where}/options/{j}]")
        if el["type"] == "plain_text_input":
            if el.get("max_length", 0) > MAX_INPUT_LENGTH:
                errors.append(f"max_length over {MAX_INPUT_LENGTH} [{where}/max_length]")
            if len(el.get("initial_value", "")) > el.get("max_length", MAX_INPUT_LENGTH):
                errors.append(f"initial_value longer than max_length [{where}/initial_value]")

    for i, block in enumerate(blocks):
        where = f"json-pointer:/blocks/{i}"
        if not isinstance(block, dict) or "type" not in block:
            errors.append(f"block needs a type [{where}]")
            continue
        if len(block.get("block_id", "")) > MAX_BLOCK_ID:
            errors.append(f"block_id longer than {MAX_BLOCK_ID} [{where}/block_id]")
        kind = block["type"]
        if kind == "section":
            text = _text_of(block.get("text"))
            fields = block.get("fields", [])
            if not text and not fields:
                errors.append(f"section needs text or fields [{where}]")
            if len(text) > MAX_SECTION_TEXT:
                errors.append(f"must be less than {MAX_SECTION_TEXT + 1} characters [{where}/text]")
            if len(fields) > MAX_FIELDS:
                errors.append(f"no more than {MAX_FIELDS} fields [{where}/fields]")
            for j, f in enumerate(fields):
                if len(_text_of(f)) > MAX_FIELD_TEXT:
                    errors.append(f"field over {MAX_FIELD_TEXT} characters [{where}/fields/{j}]")
            if "accessory" in block:
                element(block["accessory"], f"{where}/accessory")
        elif kind == "header":
            if not 1 <= len(_text_of(block.get("text"))) <= MAX_HEADER_TEXT:
                errors.append(f"header text must be 1 to {MAX_HEADER_TEXT} [{where}/text]")
        elif kind == "actions":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= MAX_ACTIONS_ELEMENTS:
                errors.append(f"actions need 1 to {MAX_ACTIONS_ELEMENTS} elements [{where}]")
            for j, el in enumerate(elements):
                element(el, f"{where}/elements/{j}")
        elif kind == "context":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= MAX_CONTEXT_ELEMENTS:
                errors.append(f"context needs 1 to {MAX_CONTEXT_ELEMENTS} elements [{where}]")
            for j, el in enumerate(elements):
                if len(_text_of(el)) > MAX_SECTION_TEXT:
                    errors.append(f"context text over {MAX_SECTION_TEXT} [{where}/elements/{j}]")
        elif kind == "input":
            if surface == "message":
                errors.append(f"input blocks belong in modals [{where}]")
            if len(_text_of(block.get("label"))) > MAX_INPUT_LABEL:
                errors.append(f"label over {MAX_INPUT_LABEL} characters [{where}/label]")
            element(block.get("element"), f"{where}/element")
        elif kind not in ("divider", "image", "rich_text"):
            errors.append(f"unknown block type {kind!r} [{where}]")
    errors.extend(date_errors(blocks, "json-pointer:/blocks"))
    return errors


def view_errors(view: Any) -> list[str]:
    """Why Slack would refuse this modal or Home tab view."""
    if not isinstance(view, dict):
        return ["view must be an object"]
    errors: list[str] = []
    surface = view.get("type")
    if surface not in ("modal", "home"):
        errors.append("view type must be modal or home")
    if surface == "modal":
        if not 1 <= len(_text_of(view.get("title"))) <= MAX_VIEW_TITLE:
            errors.append(f"title must be 1 to {MAX_VIEW_TITLE} characters")
        for key in ("submit", "close"):
            if key in view and len(_text_of(view[key])) > MAX_VIEW_BUTTON:
                errors.append(f"{key} over {MAX_VIEW_BUTTON} characters")
    if len(view.get("private_metadata", "")) > MAX_PRIVATE_METADATA:
        errors.append(f"private_metadata over {MAX_PRIVATE_METADATA} characters")
    if len(view.get("callback_id", "")) > MAX_CALLBACK_ID:
        errors.append(f"callback_id over {MAX_CALLBACK_ID} characters")
    errors.extend(block_errors(view.get("blocks", []), surface=str(surface)))
    return errors


# --- rate limits ----------------------------------------------------------------------------


@dataclass
class Bucket:
    """A token bucket: ``rate`` calls a second, ``burst`` at once."""

    rate: float
    burst: float
    tokens: float = -1.0
    stamp: float = 0.0

    def take(self) -> float:
        """Take a token; 0 when one was there, else the seconds until there will be one."""
        now = time.monotonic()
        if self.tokens < 0:
            self.tokens, self.stamp = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


@dataclass
class Limits:
    """The stand-in's rate limits: per method (calls a second, burst) and per channel."""

    methods: dict[str, tuple[float, float]] = field(
        default_factory=lambda: {
            "chat.postMessage": (500.0, 50.0),
            "chat.update": (50.0, 20.0),
            "chat.postEphemeral": (100.0, 50.0),
            "views.publish": (100.0, 50.0),
            "usergroups.users.list": (20.0, 20.0),
        }
    )
    #: chat.postMessage to one channel: Slack allows about one a second, with short bursts
    per_channel: tuple[float, float] = (1.0, 3.0)


# --- the server -----------------------------------------------------------------------------


@dataclass
class Call:
    """One Web API call as received, with the token it came with."""

    method: str
    args: dict[str, Any]
    token: str = ""
    #: the stand-in's answer (for a post: its channel and ts)
    answer: dict[str, Any] = field(default_factory=dict)


@dataclass
class SlackChannel:
    """A channel of a workspace, as ``conversations.info`` describes it."""

    id: str
    name: str
    team_id: str
    #: the bot is in the channel (``is_member``)
    member: bool = True
    private: bool = False
    archived: bool = False


@dataclass
class SocketAck:
    """What the app sent back for a Socket Mode envelope."""

    envelope_id: str
    payload: dict[str, Any] | None
    seconds: float


class SlackStandIn:
    """The Slack Web API, response URLs, file uploads and Socket Mode on 127.0.0.1."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-standin-token",
        app_token: str = "xapp-standin-token",
        team_id: str = "TDEMO",
        limits: Limits | None = None,
        usergroups: dict[str, list[str]] | None = None,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_id = team_id
        self.limits = limits or Limits()
        self.usergroups = usergroups or {}
        self.calls: list[Call] = []
        self.counts: defaultdict[str, int] = defaultdict(int)
        self.limited = 0
        self.refused: list[tuple[str, list[str]]] = []
        self.responses: list[dict[str, Any]] = []
        self.uploads: dict[str, dict[str, Any]] = {}
        self.acks: dict[str, SocketAck] = {}
        self.url = ""
        #: every bot token the stand-in takes, and its workspace
        self.tokens: dict[str, str] = {bot_token: team_id}
        #: the workspace's channels that ``conversations.info`` knows, by id
        self.channels: dict[str, SlackChannel] = {}
        #: the OAuth app's credentials, for oauth.v2.access
        self.client_id = "1111.2222"
        self.client_secret = "standin-client-secret"
        self._codes: dict[str, str] = {}
        self._buckets = {m: Bucket(r, b) for m, (r, b) in self.limits.methods.items()}
        self._channel_buckets: dict[str, Bucket] = {}
        self._ts = itertools.count(1)
        #: (channel, ts) of every message posted, which chat.update may edit
        self._messages: set[tuple[str, str]] = set()
        self._server: LocalServer | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_ready = asyncio.Event()
        self._pending: dict[str, tuple[asyncio.Future[SocketAck], float]] = {}

    @property
    def api_url(self) -> str:
        """The Web API base URL for ``AsyncWebClient(base_url=...)`` and ``[slack] api_url``."""
        return f"{self.url}/api/"

    def grant(self, team_id: str) -> str:
        """A one-time OAuth code, as Slack hands one to the redirect URL after an
        installation into ``team_id``."""
        code = uuid.uuid4().hex
        self._codes[code] = team_id
        return code

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        member: bool = True,
        private: bool = False,
        team_id: str = "",
    ) -> SlackChannel:
        """Make a channel known to ``conversations.info`` (in ``team_id``, default the
        stand-in's workspace), with the bot in it or not."""
        channel = SlackChannel(channel_id, name, team_id or self.team_id, member, private)
        self.channels[channel_id] = channel
        return channel

    def delete_channel(self, channel_id: str) -> None:
        """Delete a channel, as a workspace admin can: it is gone for every method."""
        self.channels.pop(channel_id, None)

    def revoke(self, token: str) -> None:
        """Take a bot token back (the app uninstalled): every call with it is refused."""
        self.tokens.pop(token, None)

    def response_url(self) -> str:
        """A fresh response_url, as Slack puts in slash commands and interactions."""
        return f"{self.url}/response/{uuid.uuid4().hex}"

    # what was sent -------------------------------------------------------------------------

    def sent(self, method: str) -> list[dict[str, Any]]:
        """The arguments of every accepted call of ``method``, in order."""
        return [c.args for c in self.calls if c.method == method]

    def posted_to(self, channel: str) -> list[dict[str, Any]]:
        """Messages accepted for one channel or user, each with the ``ts`` Slack gave it and
        whom it ``pinged`` (see ``broadcasts``)."""
        return [
            {**c.args, "ts": c.answer.get("ts"), "pinged": broadcasts(c.args)}
            for c in self.calls
            if c.method == "chat.postMessage" and c.args.get("channel") == channel
        ]

    # serving -------------------------------------------------------------------------------

    async def start(self) -> str:
        """Listen on 127.0.0.1 on a free port; return the base URL."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/response/{token}", self._response)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        app.router.add_get("/stats", self._stats)
        self._server = LocalServer(app)
        self.url = await self._server.start()
        return self.url

    async def stop(self) -> None:
        """Close the sockets and the server."""
        for ws in list(self._sockets):
            await ws.close()
        if self._server is not None:
            await self._server.stop()

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        for key in ("blocks", "view", "files", "users"):
            value = args.get(key)
            if isinstance(value, str) and value[:1] in "[{":
                args[key] = json.loads(value)
        return args

    @staticmethod
    def _ok(**data: Any) -> web.Response:
        return web.json_response({"ok": True, **data})

    @staticmethod
    def _error(error: str, status: int = 200, **data: Any) -> web.Response:
        return web.json_response({"ok": False, "error": error, **data}, status=status)

    def _limit(self, method: str, channel: str | None) -> web.Response | None:
        waits = []
        bucket = self._buckets.get(method)
        if bucket is not None:
            waits.append(bucket.take())
        if method == "chat.postMessage" and channel:
            rate, burst = self.limits.per_channel
            waits.append(self._channel_buckets.setdefault(channel, Bucket(rate, burst)).take())
        wait = max(waits, default=0.0)
        if wait <= 0:
            return None
        self.limited += 1
        # Slack answers "a Retry-After HTTP header containing the number of seconds until
        # you can retry" (https://api.slack.com/apis/rate-limits): a whole number, so a wait
        # of a few milliseconds is announced as one second
        return web.json_response(
            {"ok": False, "error": "ratelimited"},
            status=429,
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        auth = request.headers.get("Authorization", "")
        if method == "oauth.v2.access":
            return await self._oauth_access(auth, args)
        token = auth.removeprefix("Bearer ").strip() or str(args.get("token", ""))
        if not token:
            return self._error("not_authed")
        if method == "apps.connections.open":
            if not hmac.compare_digest(token, self.app_token):
                return self._error("invalid_auth")
        elif token not in self.tokens:
            return self._error("invalid_auth")
        self.counts[method] += 1
        limited = self._limit(method, args.get("channel"))
        if limited is not None:
            return limited
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return self._error("unknown_method")
        response: web.Response = await handler({**args, "_team": self.tokens.get(token, "")})
        body = json.loads(response.body)  # type: ignore[arg-type]
        if body.get("ok"):
            self.calls.append(Call(method, args, token, body))
        elif body.get("error") in ("invalid_blocks", "msg_too_long", "invalid_arguments"):
            self.refused.append((method, body.get("errors", [])))
        return response

    def _message_errors(self, args: dict[str, Any]) -> web.Response | None:
        text = args.get("text", "")
        if "blocks" not in args and not text:
            return self._error("no_text")
        if len(text) > MAX_MESSAGE_TEXT:
            return self._error("msg_too_long")
        if "blocks" in args:
            errors = block_errors(args["blocks"])
            if errors:
                return self._error("invalid_blocks", errors=errors)
        return None

    @staticmethod
    def _dm_channel(user: str) -> str:
        return "D" + user.lstrip("UW")

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    async def _oauth_access(self, auth: str, args: dict[str, Any]) -> web.Response:
        pair = f"{self.client_id}:{self.client_secret}".encode()
        expected = "Basic " + base64.b64encode(pair).decode()
        if not hmac.compare_digest(auth, expected):
            return self._error("invalid_client_id")
        team = self._codes.pop(str(args.get("code", "")), None)
        if team is None:
            return self._error("invalid_code")
        token = f"xoxb-{team}-{uuid.uuid4().hex[:12]}"
        self.tokens[token] = team
        self.calls.append(Call("oauth.v2.access", {"code": args.get("code"), "team": team}))
        return self._ok(
            app_id="A0RALLY",
            authed_user={"id": "U0INSTALLER"},
            scope="commands,chat:write",
            token_type="bot",
            access_token=token,
            bot_user_id="UBOT",
            team={"id": team, "name": f"Workspace {team}"},
            enterprise=None,
            is_enterprise_install=False,
        )

    async def _m_auth_test(self, args: dict[str, Any]) -> web.Response:
        team = args.get("_team") or self.team_id
        return self._ok(team_id=team, user_id="UBOT", bot_id="BBOT", team="Stand-in")

    async def _m_chat_postMessage(self, args: dict[str, Any]) -> web.Response:
        bad = self._message_errors(args)
        if bad is not None:
            return bad
        channel = str(args.get("channel", ""))
        if not channel:
            return self._error("channel_not_found")
        if channel[:1] in ("U", "W"):
            channel = self._dm_channel(channel)
        ts = self._next_ts()
        self._messages.add((channel, ts))
        return self._ok(channel=channel, ts=ts, message={"text": args.get("text", ""), "ts": ts})

    async def _m_chat_postEphemeral(self, args: dict[str, Any]) -> web.Response:
        bad = self._message_errors(args)
        if bad is not None:
            return bad
        if not args.get("user") or not args.get("channel"):
            return self._error("invalid_arguments", errors=["channel and user are required"])
        return self._ok(message_ts=self._next_ts())

    async def _m_chat_update(self, args: dict[str, Any]) -> web.Response:
        bad = self._message_errors(args)
        if bad is not None:
            return bad
        if (str(args.get("channel", "")), str(args.get("ts", ""))) not in self._messages:
            return self._error("message_not_found")
        return self._ok(channel=args["channel"], ts=args["ts"])

    async def _m_conversations_info(self, args: dict[str, Any]) -> web.Response:
        # conversations.info (https://api.slack.com/methods/conversations.info): the channel
        # object with ``is_member`` (whether the calling bot is in it); ``channel_not_found``
        # for an id that does not exist or was deleted, for a channel of another workspace,
        # and for a private channel the bot is not in (it cannot see those).
        channel = self.channels.get(str(args.get("channel", "")))
        if channel is None or channel.team_id != args.get("_team"):
            return self._error("channel_not_found")
        if channel.private and not channel.member:
            return self._error("channel_not_found")
        return self._ok(
            channel={
                "id": channel.id,
                "name": channel.name,
                "is_channel": not channel.private,
                "is_group": channel.private,
                "is_im": False,
                "is_private": channel.private,
                "is_archived": channel.archived,
                "is_general": False,
                "is_member": channel.member,
                "context_team_id": channel.team_id,
                "created": 1_700_000_000,
            }
        )

    async def _m_conversations_open(self, args: dict[str, Any]) -> web.Response:
        users = args.get("users", "")
        if isinstance(users, list):
            users = ",".join(users)
        if not users:
            return self._error("users_list_not_supplied")
        return self._ok(channel={"id": self._dm_channel(users.split(",")[0])})

    async def _view(self, args: dict[str, Any]) -> web.Response:
        view = args.get("view")
        errors = view_errors(view)
        if errors:
            return self._error("invalid_arguments", errors=errors)
        return self._ok(view={**view, "id": "V" + uuid.uuid4().hex[:10].upper()})

    async def _m_views_open(self, args: dict[str, Any]) -> web.Response:
        if not args.get("trigger_id"):
            return self._error("invalid_trigger_id")
        return await self._view(args)

    async def _m_views_update(self, args: dict[str, Any]) -> web.Response:
        return await self._view(args)

    async def _m_views_publish(self, args: dict[str, Any]) -> web.Response:
        if not args.get("user_id"):
            return self._error("invalid_arguments", errors=["user_id is required"])
        return await self._view(args)

    async def _m_usergroups_users_list(self, args: dict[str, Any]) -> web.Response:
        group = args.get("usergroup", "")
        if group not in self.usergroups:
            return self._error("no_such_subteam")
        return self._ok(users=self.usergroups[group])

    async def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> web.Response:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return self._error("invalid_arguments", errors=["filename and length are required"])
        file_id = "F" + uuid.uuid4().hex[:10].upper()
        self.uploads[file_id] = {"filename": args["filename"], "length": int(args["length"])}
        return self._ok(upload_url=f"{self.url}/upload/{file_id}", file_id=file_id)

    async def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> web.Response:
        files = args.get("files") or []
        for f in files:
            upload = self.uploads.get(f.get("id", ""))
            if upload is None or "data" not in upload:
                return self._error("file_not_found")
            upload["channel"] = args.get("channel_id")
            upload["title"] = f.get("title")
        return self._ok(files=[{"id": f["id"], "title": f.get("title")} for f in files])

    async def _m_apps_connections_open(self, args: dict[str, Any]) -> web.Response:
        return self._ok(url=self.url.replace("http://", "ws://") + "/socket")

    async def _upload(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="unknown upload")
        data = await request.read()
        if len(data) != upload["length"]:
            return web.Response(status=400, text="length mismatch")
        upload["data"] = data
        return web.Response(text="OK - " + str(len(data)))

    async def _response(self, request: web.Request) -> web.Response:
        body = await request.json()
        if "blocks" in body:
            errors = block_errors(body["blocks"])
            if errors:
                self.refused.append(("response_url", errors))
                return self._error("invalid_blocks", errors=errors)
        elif not body.get("text") and not body.get("delete_original"):
            return self._error("no_text")
        self.responses.append({**body, "_token": request.match_info["token"]})
        return self._ok()

    async def _stats(self, _request: web.Request) -> web.Response:
        per_channel = Counter(str(a.get("channel")) for a in self.sent("chat.postMessage"))
        return web.json_response(
            {
                "counts": dict(self.counts),
                "limited": self.limited,
                "refused": len(self.refused),
                "delivered": sum(per_channel.values()),
                "unique": len(per_channel),
                "duplicated": sum(1 for n in per_channel.values() if n > 1),
            }
        )

    # Socket Mode ---------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": len(self._sockets)})
        self._socket_ready.set()
        try:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                envelope_id = data.get("envelope_id", "")
                pending = self._pending.pop(envelope_id, None)
                if pending is not None:
                    future, started = pending
                    ack = SocketAck(envelope_id, data.get("payload"), time.monotonic() - started)
                    self.acks[envelope_id] = ack
                    if not future.done():
                        future.set_result(ack)
        finally:
            self._sockets.remove(ws)
            if not self._sockets:
                self._socket_ready.clear()
        return ws

    async def deliver(
        self, kind: str, payload: dict[str, Any], *, within: float = 5.0
    ) -> SocketAck:
        """Push an envelope (``slash_commands``, ``interactive`` or ``events_api``) to the
        connected app and wait for its acknowledgement."""
        await asyncio.wait_for(self._socket_ready.wait(), within)
        envelope_id = uuid.uuid4().hex
        future: asyncio.Future[SocketAck] = asyncio.get_running_loop().create_future()
        self._pending[envelope_id] = (future, time.monotonic())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
        }
        await self._sockets[-1].send_json(envelope)
        return await asyncio.wait_for(future, within)


# --- Slack calling the bot ------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: str) -> str:
    """Slack's request signature: ``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def _new_trigger_id() -> str:
    """A fresh trigger id of the shape Slack sends (``1234567890123.abcdef12``)."""
    return f"{uuid.uuid4().int % 10**13}.{uuid.uuid4().hex[:8]}"


def slash_command_body(
    command: str,
    text: str,
    *,
    team_id: str,
    user_id: str,
    user_name: str = "",
    channel_id: str = "C0GENERAL",
    response_url: str = "",
    trigger_id: str = "",
) -> tuple[str, str]:
    """A slash command's form body, as Slack posts it; returns (body, content type)."""
    fields = {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "team_domain": "library-workers",
        "channel_id": channel_id,
        "channel_name": "directmessage" if channel_id.startswith("D") else "general",
        "user_id": user_id,
        "user_name": user_name or user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A0RALLY",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or _new_trigger_id(),
    }
    return urlencode(fields), "application/x-www-form-urlencoded"


def _user(team_id: str, user_id: str, user_name: str) -> dict[str, Any]:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id}


def block_actions_body(
    action_id: str,
    *,
    team_id: str,
    user_id: str,
    user_name: str = "",
    channel_id: str = "C0GENERAL",
    response_url: str = "",
    value: str = "",
    selected: str | None = None,
    trigger_id: str = "",
    container: str = "message",
) -> tuple[str, str]:
    """A click on a button (or a menu choice, with ``selected``) as Slack posts it."""
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": "actions",
        "action_ts": f"{time.time():.6f}",
    }
    if selected is None:
        action.update(type="button", text={"type": "plain_text", "text": "…"}, value=value)
    else:
        action.update(
            type="static_select",
            selected_option={"text": {"type": "plain_text", "text": selected}, "value": selected},
        )
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": team_id, "domain": "library-workers"},
        "user": _user(team_id, user_id, user_name or user_id.lower()),
        "api_app_id": "A0RALLY",
        "token": "deprecated-verification-token",
        "trigger_id": trigger_id or _new_trigger_id(),
        "actions": [action],
    }
    if container == "message":
        payload["container"] = {"type": "message", "channel_id": channel_id, "message_ts": "1.1"}
        payload["channel"] = {"id": channel_id, "name": "general"}
        payload["message"] = {"ts": "1.1", "text": ""}
        payload["response_url"] = response_url
    else:
        payload["container"] = {"type": "view", "view_id": "VHOME"}
        payload["view"] = {"id": "VHOME", "type": "home", "callback_id": "", "team_id": team_id}
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


def view_submission_body(
    callback_id: str,
    values: dict[str, str],
    *,
    team_id: str,
    user_id: str,
    user_name: str = "",
    private_metadata: str = "",
    select_fields: tuple[str, ...] = (),
) -> tuple[str, str]:
    """A modal's submission: ``values`` by input name (block and action id alike)."""
    state: dict[str, Any] = {}
    for name, value in values.items():
        if name in select_fields:
            state[name] = {
                name: {
                    "type": "static_select",
                    "selected_option": {
                        "text": {"type": "plain_text", "text": value},
                        "value": value,
                    },
                }
            }
        else:
            state[name] = {name: {"type": "plain_text_input", "value": value}}
    payload = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "library-workers"},
        "user": _user(team_id, user_id, user_name or user_id.lower()),
        "api_app_id": "A0RALLY",
        "token": "deprecated-verification-token",
        "trigger_id": _new_trigger_id(),
        "view": {
            "id": "V" + uuid.uuid4().hex[:10].upper(),
            "team_id": team_id,
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": state},
        },
    }
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


def event_body(event: dict[str, Any], *, team_id: str, event_id: str = "") -> tuple[str, str]:
    """An Events API callback wrapping ``event``."""
    body = {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "api_app_id": "A0RALLY",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or "Ev" + uuid.uuid4().hex[:10].upper(),
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team_id, "user_id": "UBOT", "is_bot": True}],
    }
    return json.dumps(body), "application/json"


class SlackCaller:
    """Posts signed requests to a bot's ``/slack/events`` as Slack does."""

    def __init__(self, url: str, signing_secret: str, session: aiohttp.ClientSession) -> None:
        self.url = url
        self.secret = signing_secret
        self.session = session

    def headers(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> dict[str, str]:
        """Slack's headers for ``body``: its content type, timestamp and signature."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        return {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sign(self.secret if secret is None else secret, ts, body),
        }

    async def post(
        self,
        body_and_type: tuple[str, str],
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        signed: bool = True,
        retry: int = 0,
    ) -> tuple[int, str, float]:
        """Send one request; return (status, response text, seconds until the answer)."""
        body, content_type = body_and_type
        headers = (
            self.headers(body, content_type, timestamp=timestamp, secret=secret)
            if signed
            else {"Content-Type": content_type}
        )
        if retry:
            headers["X-Slack-Retry-Num"] = str(retry)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        started = time.perf_counter()
        async with self.session.post(self.url, data=body.encode(), headers=headers) as response:
            text = await response.text()
            return response.status, text, time.perf_counter() - started


async def _serve(args: argparse.Namespace) -> None:
    limits = Limits()
    limits.methods["chat.postMessage"] = (args.rate, args.burst)
    standin = SlackStandIn(bot_token=args.bot_token, team_id=args.team, limits=limits)
    await standin.start()
    print(standin.url, flush=True)
    await until_stdin_closes()
    await standin.stop()


def main() -> None:
    """Serve a Slack stand-in until standard input closes; print its URL first."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=500.0, help="chat.postMessage calls/s")
    parser.add_argument("--burst", type=float, default=50.0)
    parser.add_argument("--bot-token", default="xoxb-standin-token")
    parser.add_argument("--team", default="TDEMO")
    asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()

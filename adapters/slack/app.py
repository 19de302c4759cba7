"""The slack-bolt listeners: slash commands, clicks, modal submissions and events.

Every listener acknowledges first, then works (bolt answers Slack the moment ``ack`` is
called and runs the rest as an asyncio task), so Slack always has its answer within 3
seconds. A slash command's text goes to the core's grammar (``Dispatcher.handle_text``); a
click carries the core's stateless action id (``Dispatcher.handle_interaction``); a modal's
callback id is the form's id, and a submission whose values break an option's rule is
answered inline (``response_action: errors``) before the command runs; one the command
then refuses naming a field is asked again in a new modal, what was typed kept. Answers go
back through the ``response_url`` (ephemeral or in the channel) or ``chat.postEphemeral``,
files through ``files_upload_v2``. Retries of an event already handled are dropped.

The workspace is matched to an organization by its team id; an unknown one gets the core's
polite answer and nothing is stored. Slack user groups that count as organizer or admin are
read with ``usergroups.users.list`` and remembered briefly. Nothing here logs who sent a
command: a layoff report may be anonymous.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack import home, render
from adapters.slack.oauth import Installations
from adapters.slack.sender import API_LOG
from bot.context import Invocation
from bot.dispatch import form_for
from bot.errors import UserError
from bot.platform_roles import HeldRoles, RolesUnavailable
from bot.reply import Reply, decode_action

if TYPE_CHECKING:
    from bot.app import Application
    from bot.config import OrgConfig, SlackConfig

log = logging.getLogger(__name__)

#: how long the members of a Slack user group are remembered
GROUP_TTL = 60.0
#: how many event ids are remembered to drop Slack's retries
SEEN_EVENTS = 10_000


class UserGroups:
    """Which of an organization's Slack user groups a person is in, cached briefly (on
    ``now``, seconds: the application's clock)."""

    def __init__(self, ttl: float = GROUP_TTL, now: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._now = now
        #: group -> (until when, its members, whether Slack said so or it failed)
        self._members: dict[str, tuple[float, frozenset[str], bool]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def _cached(self, group: str, strict: bool) -> frozenset[str] | None:
        cached = self._members.get(group)
        if cached is None or cached[0] <= self._now() or (strict and not cached[2]):
            return None
        return cached[1]

    async def members(
        self, client: AsyncWebClient, group: str, *, strict: bool = False
    ) -> frozenset[str]:
        """The user ids in ``group``: empty when Slack will not say, or with ``strict`` its
        error raised (and a failure remembered from before not taken for an answer)."""
        cached = self._cached(group, strict)
        if cached is not None:
            return cached
        async with self._locks.setdefault(group, asyncio.Lock()):
            cached = self._cached(group, strict)
            if cached is not None:
                return cached
            try:
                answer = await client.usergroups_users_list(usergroup=group)
                users, said = frozenset(answer.get("users") or []), True
            except SlackApiError as exc:
                log.warning(
                    "could not read Slack user group %s: %s", group, exc.response.get("error")
                )
                if strict:
                    raise
                users, said = frozenset(), False
            self._members[group] = (self._now() + self.ttl, users, said)
            return users

    async def of(
        self, client: AsyncWebClient, org: OrgConfig, user_id: str, *, strict: bool = False
    ) -> frozenset[str]:
        """The organizer and admin user groups of ``org`` that ``user_id`` belongs to (with
        ``strict``, Slack's error raised when a group cannot be read)."""
        groups = {*org.organizers.slack_usergroups, *org.admins.slack_usergroups}
        held = set()
        for group in sorted(groups):
            if user_id in await self.members(client, group, strict=strict):
                held.add(group)
        return frozenset(held)


class SlackBot:
    """The bolt app of one process, answering for every organization's workspaces."""

    def __init__(
        self,
        app: Application,
        settings: SlackConfig,
        client: AsyncWebClient,
        *,
        installations: Installations | None = None,
    ) -> None:
        self.app = app
        self.client = client
        self.installations = installations
        self.groups = UserGroups(now=lambda: app.services.clock.now().timestamp())
        self._seen: OrderedDict[str, None] = OrderedDict()
        bolt_log = logging.getLogger("rallybot.slack.bolt")
        bolt_log.setLevel(logging.WARNING)  # bolt's debug lines would carry request bodies
        self.bolt = AsyncApp(
            client=client,
            signing_secret=settings.signing_secret or None,
            # signatures are checked before bolt reads a request (adapters/slack/edge.py);
            # Socket Mode's requests come through Slack's own connection
            request_verification_enabled=False,
            oauth_settings=installations.bolt_settings() if installations else None,
            authorize=installations.authorize(client) if installations else None,
            logger=bolt_log,
        )
        self._register()

    # the command surface --------------------------------------------------------------------

    def _register(self) -> None:
        bolt = self.bolt
        bolt.middleware(self._drop_retries)
        # every slash command routed here is ours; the core answers a name it does not know
        bolt.command(re.compile(r"^/.+$"))(self._on_command)
        bolt.action(re.compile(r".+"))(self._on_action)
        bolt.view_submission(re.compile(r".+"))(self._on_submission)
        bolt.view_closed(re.compile(r".*"))(self._on_closed)
        bolt.event("app_home_opened")(self._on_home)
        bolt.event("message")(self._on_message)

    async def _drop_retries(self, body: dict[str, Any], next: Any) -> BoltResponse | None:
        """Acknowledge and drop an event already handled (Slack retries what it thinks was
        not acknowledged in time, marked with X-Slack-Retry-Num)."""
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if event_id:
            if event_id in self._seen:
                return BoltResponse(status=200, body="")
            self._seen[event_id] = None
            while len(self._seen) > SEEN_EVENTS:
                self._seen.popitem(last=False)
        await next()
        return None

    # who and where ---------------------------------------------------------------------------

    async def invocation(
        self,
        team_id: str,
        channel_id: str,
        user_id: str,
        user_name: str,
        *,
        interactive: bool,
        client: AsyncWebClient,
    ) -> Invocation:
        """The core's view of a person acting in a workspace (user groups read if needed)."""
        roles: frozenset[str] = frozenset()
        found = self.app.services.orgs.lookup("slack", team_id)
        if found is not None:
            roles = await self.groups.of(client, found[1], user_id)
        return Invocation(
            platform="slack",
            space_id=team_id,
            channel_id=channel_id,
            user_id=user_id,
            display_name=user_name,
            platform_roles=roles,
            is_dm=channel_id.startswith("D"),
            interactive=interactive,
        )

    async def current_roles(self, team_id: str, user_id: str) -> HeldRoles | None:
        """The organizer and admin user groups ``user_id`` is in now, read from Slack (or
        remembered for up to a minute), for the web dashboard's role check."""
        found = self.app.services.orgs.lookup("slack", team_id)
        if found is None:
            return None
        client = self.client
        if self.installations is not None:
            token = await self.installations.token(team_id)
            if token is None:
                raise RolesUnavailable("slack")
            client = AsyncWebClient(
                token=token, base_url=client.base_url, session=client.session, logger=API_LOG
            )
        return HeldRoles(await self.groups.of(client, found[1], user_id, strict=True))

    # listeners --------------------------------------------------------------------------------

    async def _on_command(self, ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        inv = await self.invocation(
            body.get("team_id", ""),
            body.get("channel_id", ""),
            body.get("user_id", ""),
            body.get("user_name", ""),
            interactive=True,
            client=client,
        )
        line = f"{body.get('command', '')} {body.get('text', '')}"
        reply = await self.app.dispatcher.handle_text(inv, line)
        await self.answer_request(reply, inv, client, body)

    async def _on_action(self, ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        action = (body.get("actions") or [{}])[0]
        values: dict[str, str] = {}
        chosen = action.get("selected_option")
        if chosen:
            values["value"] = str(chosen.get("value", ""))
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id", ""
        )
        user = body.get("user") or {}
        inv = await self.invocation(
            (body.get("team") or {}).get("id") or user.get("team_id", ""),
            channel,
            user.get("id", ""),
            user.get("name") or user.get("username", ""),
            interactive=True,
            client=client,
        )
        reply = await self.app.dispatcher.handle_interaction(
            inv, str(action.get("action_id", "")), values
        )
        await self.answer_request(reply, inv, client, body)
        if (body.get("view") or {}).get("type") == "home":
            await self.publish_home(inv, client)

    async def _on_submission(self, ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        view = body.get("view") or {}
        state = (view.get("state") or {}).get("values") or {}
        values = render.form_values(state)
        callback_id = str(view.get("callback_id", ""))
        errors = self._check_form(callback_id, values, list(state))
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            meta = {}
        user = body.get("user") or {}
        inv = await self.invocation(
            (body.get("team") or {}).get("id") or user.get("team_id", ""),
            str(meta.get("channel", "")),
            user.get("id", ""),
            user.get("name") or user.get("username", ""),
            interactive=True,
            client=client,
        )
        reply = await self.app.dispatcher.handle_interaction(inv, callback_id, values)
        fields = list((view.get("state") or {}).get("values") or {})
        if await self._ask_again(reply, callback_id, values, fields, body, meta, client):
            return
        await self.answer(reply, inv, client, response_url=str(meta.get("response_url", "")))

    async def _ask_again(
        self,
        reply: Reply,
        callback_id: str,
        values: dict[str, str],
        fields: list[str],
        body: dict[str, Any],
        meta: dict[str, Any],
        client: AsyncWebClient,
    ) -> bool:
        """Open the form again, with what was typed and the refusal at its top, when the
        command refused a value of one of its fields (an event's start that is not a time):
        the submission was acknowledged at once, which closed the modal, and its trigger id
        opens a new one. False when the refusal is about something else or Slack will not
        open it (the trigger id lasts 3 seconds); the refusal is then answered as usual."""
        trigger_id = str(body.get("trigger_id", ""))
        if not reply.error or reply.form is not None or not trigger_id:
            return False
        if not any(error.field in fields for error in reply.errors):
            return False
        try:
            name, args = decode_action(callback_id)
            command = self.app.services.registry.get(name)
        except UserError:
            return False
        asked = form_for(command, {**args, **values})
        form = replace(
            asked,
            fields=[f for f in asked.fields if f.name not in args or f.name in values],
            args={k: v for k, v in args.items() if k not in values},
            error=reply.text,
        )
        view = render.modal(form, metadata={k: str(v) for k, v in meta.items()})
        try:
            await client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            log.info("a form could not be opened again: %s", exc.response.get("error"))
            return False
        return True

    async def _on_closed(self, ack: Any) -> None:
        await ack()

    def _check_form(
        self, callback_id: str, values: dict[str, str], fields: list[str]
    ) -> dict[str, str]:
        """Inline errors, by block id, for every field of a submission in error."""
        return render.field_errors(fields, self.app.dispatcher.check_form(callback_id, values))

    async def _on_home(
        self, ack: Any, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        if event.get("tab", "home") != "home":
            return
        inv = await self.invocation(
            body.get("team_id", ""), "", event.get("user", ""), "", interactive=False, client=client
        )
        await self.publish_home(inv, client)

    async def publish_home(self, inv: Invocation, client: AsyncWebClient) -> None:
        """Render the person's App Home and publish it."""
        view = await home.build(self.app, inv)
        try:
            await client.views_publish(user_id=inv.user_id, view=view)
        except SlackApiError as exc:
            log.warning("the Home tab was not published: %s", exc.response.get("error"))

    async def _on_message(
        self, ack: Any, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """A direct message to the bot is read as a command: ``/profile state:IL`` or
        ``profile state:IL``."""
        await ack()
        if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype"):
            return
        text = str(event.get("text", "")).strip()
        if not text:
            return
        line = text if text.startswith("/") else "/" + text
        inv = await self.invocation(
            body.get("team_id", ""),
            str(event.get("channel", "")),
            str(event.get("user", "")),
            "",
            interactive=False,
            client=client,
        )
        reply = await self.app.dispatcher.handle_text(inv, line)
        reply.ephemeral = False  # in one's own conversation with the bot, a plain message
        await self.answer(reply, inv, client)

    # answering -------------------------------------------------------------------------------

    async def answer(
        self,
        reply: Reply,
        inv: Invocation,
        client: AsyncWebClient,
        *,
        response_url: str = "",
        trigger_id: str = "",
    ) -> None:
        """Show a reply where the person is: a modal for a form, else the response_url, an
        ephemeral message or a direct message; files are uploaded next to it."""
        try:
            if reply.form is not None and trigger_id:
                metadata = {"channel": inv.channel_id, "response_url": response_url}
                view = render.modal(reply.form, intro=reply.text, metadata=metadata)
                try:
                    await client.views_open(trigger_id=trigger_id, view=view)
                    return
                except SlackApiError as exc:
                    log.info("a form could not be opened: %s", exc.response.get("error"))
            await self._post(reply, inv, client, response_url)
            if reply.files:
                await self._upload(reply, inv, client)
        except SlackApiError as exc:
            log.warning("an answer was refused by Slack: %s", exc.response.get("error"))

    async def answer_request(
        self, reply: Reply, inv: Invocation, client: AsyncWebClient, body: dict[str, Any]
    ) -> None:
        """Answer a slash command or a click where it came from: the request's own
        ``response_url``, and its ``trigger_id`` for a form."""
        await self.answer(
            reply,
            inv,
            client,
            response_url=str(body.get("response_url", "")),
            trigger_id=str(body.get("trigger_id", "")),
        )

    async def _post(
        self, reply: Reply, inv: Invocation, client: AsyncWebClient, response_url: str
    ) -> None:
        if response_url:
            hook = AsyncWebhookClient(response_url, session=client.session, logger=API_LOG)
            sent = await hook.send_dict(render.response(reply))
            if sent.status_code == 200:
                return
        body = render.message(reply)
        if not inv.channel_id or inv.is_dm:
            await client.chat_postMessage(
                channel=inv.channel_id or inv.user_id, **body, **render.post_options(reply)
            )
        elif reply.ephemeral:
            await client.chat_postEphemeral(channel=inv.channel_id, user=inv.user_id, **body)
        else:
            await client.chat_postMessage(channel=inv.channel_id, **body)

    async def _upload(self, reply: Reply, inv: Invocation, client: AsyncWebClient) -> None:
        """Files of an ephemeral answer go to the person's conversation with the bot."""
        if reply.ephemeral or not inv.channel_id:
            opened = await client.conversations_open(users=inv.user_id)
            channel = str(opened["channel"]["id"])
        else:
            channel = inv.channel_id
        for file in reply.files:
            await client.files_upload_v2(
                channel=channel,
                content=file.data,
                filename=file.name,
                title=file.description or file.name,
            )

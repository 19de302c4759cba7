"""The delivery engine's Slack sender: posts, direct messages, tally edits and files.

Posts go through ``chat.postMessage`` to a channel id, direct messages to the user id (Slack
opens the app's conversation with them and answers with its channel id, which the message's
reference keeps), edits through ``chat.update`` with that reference (``channel:ts``), files
through ``files_upload_v2`` into the same conversation. Slack allows about one message a
second in one channel, with short bursts: the sender declares that pace per channel (bursts
of two, under what Slack takes, as requests may arrive closer than they left) and the
delivery engine keeps each channel to it, claiming nothing for a channel that has no turn
now, so a busy channel never holds up the others. A 429 hands back its ``Retry-After`` and
pauses the whole platform for it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from bot.delivery import Outgoing, SendResult
from bot.ratelimit import Pace

#: slack_sdk formats a debug line of every request and answer when its logger's own level
#: is unset, even when nothing would print it; a set level spares that work
API_LOG = logging.getLogger("rallybot.slack.api")
API_LOG.setLevel(logging.INFO)

#: Slack's answers meaning the channel or person is in another workspace than the token's
ELSEWHERE = {"channel_not_found", "not_in_channel", "user_not_found", "invalid_auth"}

#: where an OAuth-installed app finds the tokens for an organization's messages
TokenSource = Callable[[int | None], Awaitable[list[str]]]

#: the share of the stated limit (``rate``) that the sender paces to. Slack's 429 names whole
#: seconds (https://api.slack.com/apis/rate-limits: "the number of seconds until you can
#: retry"), and the engine pauses the whole platform for them: one request that arrives
#: early, bunched with others on its way, costs a second of every send. Keeping a little
#: under the limit absorbs that bunching.
LIMIT_SHARE = 0.95

#: Slack's answers worth trying again later
TRANSIENT = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}


class SlackSender:
    """Sends outbox messages through the Slack Web API (``slack_sdk``).

    ``rate`` and ``burst`` are what Slack allows for posting; the sender paces to
    ``LIMIT_SHARE`` of that rate."""

    platform = "slack"

    def __init__(
        self,
        token: str,
        api_url: str,
        *,
        rate: float = 50.0,
        burst: float = 10.0,
        concurrency: int = 16,
        channel_interval: float = 1.0,
        channel_burst: int = 2,
        timeout: int = 10,
    ) -> None:
        self.rate = rate * LIMIT_SHARE
        self.burst = burst
        # no more calls under way than the burst Slack takes: when answers are slow to come
        # (Slack, or this machine, busy), the calls waiting for them arrive together
        self.concurrency = max(1, min(concurrency, int(burst)))
        # Slack: "chat.postMessage has special rate limiting conditions ... generally allow
        # an app to post 1 message per second to a specific channel", with short bursts
        # (https://api.slack.com/methods/chat.postMessage#rate_limiting). Edits
        # (chat.update, Tier 3) are outside that pace; a channel has at most the burst in
        # flight.
        burst_of = max(1, channel_burst)
        self.pace = Pace(interval=channel_interval, burst=burst_of, inflight=burst_of)
        self._token = token
        self._api_url = api_url
        self._timeout = timeout
        self._client: AsyncWebClient | None = None
        self._session: aiohttp.ClientSession | None = None
        #: set for an app installed through OAuth: tokens by organization
        self.tokens: TokenSource | None = None

    @property
    def client(self) -> AsyncWebClient:
        """The Web API client, made on first use inside the running event loop."""
        if self._client is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=max(self.concurrency, 10))
            )
            self._client = AsyncWebClient(
                token=self._token,
                base_url=self._api_url,
                session=self._session,
                timeout=self._timeout,
                logger=API_LOG,
            )
        return self._client

    async def close(self) -> None:
        """Release the HTTP connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None
            self._client = None

    async def send(self, message: Outgoing) -> SendResult:
        """Post, direct-message or edit one message; map Slack's answer onto the engine's.

        With a token source (workspaces installed through OAuth), the message goes with the
        first of its organization's workspace tokens that can reach its channel or person."""
        if self.tokens is None:
            return await self._send(message, None)
        candidates = await self.tokens(message.org_id)
        if not candidates:
            return SendResult.fail("the app is not installed in this organization's workspace")
        result = SendResult.fail("no workspace reached")
        for token in candidates:
            result = await self._send(message, token)
            if result.error not in ELSEWHERE:
                return result
        return result

    async def _send(self, message: Outgoing, token: str | None) -> SendResult:
        # an organizer's ping goes with a new channel post only, never a DM or an edit
        announce = message.target_kind == "channel" and not message.edit_ref
        body = render.message(message.reply, announce=announce)
        if token is not None:
            body["token"] = token
        try:
            if message.edit_ref:
                channel, _, ts = message.edit_ref.partition(":")
                await self.client.chat_update(channel=channel, ts=ts, **body)
                return SendResult.sent(message.edit_ref)
            answer = await self.client.chat_postMessage(
                channel=message.target, **body, **render.post_options(message.reply)
            )
            channel = str(answer["channel"])
            for file in message.reply.files:
                await self.client.files_upload_v2(
                    channel=channel,
                    content=file.data,
                    filename=file.name,
                    title=file.description or file.name,
                    **({"token": token} if token is not None else {}),
                )
            return SendResult.sent(f"{channel}:{answer['ts']}")
        except SlackApiError as exc:
            return outcome_of(exc)
        except (TimeoutError, aiohttp.ClientError) as exc:
            return SendResult.retry(type(exc).__name__)


def outcome_of(exc: SlackApiError) -> SendResult:
    """What the engine should do with a refused call."""
    response = exc.response
    status = response.status_code
    error = str(response.get("error", "")) if isinstance(response.data, dict) else ""
    if status == 429 or error == "ratelimited":
        try:
            seconds = float(response.headers.get("Retry-After", "1"))
        except ValueError:
            seconds = 1.0
        return SendResult.limited(seconds)
    if status >= 500 or error in TRANSIENT:
        return SendResult.retry(error or f"HTTP {status}")
    return SendResult.fail(error or f"HTTP {status}")

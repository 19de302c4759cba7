"""Discord's limits, as the stand-in enforces them: the rate limits (a bucket per route and
channel, the global limit, Discord's ``X-RateLimit-*`` headers and its 429 answers) and the
size limits of messages, components, modals and application commands; what it checks of
the timestamps in them is in ``markup.py``.
"""

from __future__ import annotations

import math
import re
import time
from typing import Any

from aiohttp import web

from standins.discord.markup import message_problem, modal_problem
from standins.discord.payloads import API, json_response
from standins.discord.state import Bucket, StandInState

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


class RateLimits(StandInState):
    """Rate limits on the REST API, as Discord sets them (a middleware of the server)."""

    def _bucket_key(self, request: web.Request) -> tuple[str, int, float] | None:
        """The per-route bucket of a request: channel messages per channel, scheduled events
        per guild (the guild is a major parameter of the route)."""
        path = request.path
        if path.startswith(f"{API}/guilds/") and "/scheduled-events" in path:
            guild = path.split("/")[4]
            return f"{request.method} guild-events {guild}", self.channel_limit, self.channel_window
        if path.startswith(f"{API}/channels/") and "/messages" in path:
            channel = path.split("/")[4]
            return f"{request.method} channel {channel}", self.channel_limit, self.channel_window
        return None

    def use_up_bucket(self, name: str, *, limit: int, window: float, reset_after: float) -> None:
        """Empty a route's bucket until ``reset_after`` seconds from now, as if another
        client had just used it (a test's 429 the bot cannot see coming)."""
        self._buckets[name] = Bucket(limit, window, 0, time.monotonic() + reset_after)

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
        return json_response(body, status=429, headers=headers)

    @web.middleware
    async def _limits(self, request: web.Request, handler: Any) -> web.StreamResponse:
        path = request.path
        if not path.startswith(API):
            return await handler(request)
        self.requests[f"{request.method} {request.match_info.route.resource.canonical}"] += 1
        exempt = path.startswith((f"{API}/interactions/", f"{API}/webhooks/"))
        if not exempt and path != f"{API}/gateway":
            # a missing or wrong token: 401 with code 0, "401: Unauthorized" ("HTTP Response
            # Codes", https://discord.com/developers/docs/topics/opcodes-and-status-codes#http)
            if request.headers.get("Authorization") != f"Bot {self.token}":
                self.invalid_requests += 1
                return json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        found = self._bucket_key(request)
        bucket: Bucket | None = None
        name = "none"
        if found is not None:
            name, limit, window = found
            bucket = self._buckets.setdefault(name, Bucket(limit, window, limit, 0.0))
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
    return _check_components(body.get("components") or []) or message_problem(body)


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
    """Discord's modal limits; the first one broken, as Discord names it."""
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
    return modal_problem(data)


def check_command(command: dict[str, Any]) -> str | None:
    """Discord's application command rules; the first one broken, with the path to it."""
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

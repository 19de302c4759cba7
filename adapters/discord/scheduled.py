"""Delivering the core's event copies (``bot.mirrors``) as Discord Guild Scheduled Events.

A request of kind ``MIRROR_KIND`` is addressed to a guild:

- ``create`` makes an EXTERNAL event (``POST /guilds/{id}/scheduled-events``) with
  privacy GUILD_ONLY, the event's place as its location and its end time, both required of
  an EXTERNAL event (https://discord.com/developers/docs/resources/guild-scheduled-event,
  "Field Requirements By Entity Type"). Its description ends by linking to the announcement
  (its jump URL) and naming ``/event rsvp``. Before making it, the guild's events are listed
  once: a copy made earlier (a send repeated after a crash, a request made again) is found
  by that last line and brought up to date instead of made twice, and a guild already
  holding Discord's maximum of 100 SCHEDULED or ACTIVE events is skipped with a log line.
- ``update`` modifies the copy (``PATCH``); its id came with the request, or is the
  request's ``edit_ref`` (the reference of the request that made it).
- ``cancel`` sets its status to CANCELED (Discord allows SCHEDULED → CANCELED only); a copy
  that a guild's moderator already started (ACTIVE) cannot be cancelled and is deleted.

The ids Discord gives are kept in ``event_mirrors.external_id``. Where the bot lacks the
permission to manage events (403) the guild is noted and logged once; its requests fail at
once, without calling Discord again, for ``REFUSED_FOR`` (Discord counts each 403 toward its
invalid-request limit). A guild or copy that is gone (404) fails quietly. Rate limits are
discord.py's (it waits out the guild's bucket and retries a 429), then the engine's.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

import discord

from bot.delivery import Outgoing, SendResult
from bot.mirrors import MirrorSpec
from storage import mirrors as store
from storage.db import Database

log = logging.getLogger(__name__)

SCHEDULED, ACTIVE, CANCELED = 1, 2, 4
EXTERNAL = 3
GUILD_ONLY = 2
#: Discord's most SCHEDULED or ACTIVE events in a guild
MAX_LIVE = 100
DESCRIPTION_LIMIT = 1000
#: seconds a guild that refused the bot is not asked again
REFUSED_FOR = 3600.0


def rsvp_line(event_id: int) -> str:
    """The description's last line, naming the command (and finding an earlier copy)."""
    return f"Answer with /event rsvp id:{event_id}"


def description(spec: MirrorSpec, jump_url: str) -> str:
    """The copy's description: the event's own, the link to its announcement, the command;
    within Discord's 1000 characters (the event's own text is cut to fit)."""
    tail = ([f"RSVP: {jump_url}"] if jump_url else []) + [rsvp_line(spec.event_id)]
    ending = "\n".join(tail)
    room = DESCRIPTION_LIMIT - len(ending) - 2
    own = spec.description.strip()
    if len(own) > room:
        own = own[: room - 1].rstrip() + "…"
    return f"{own}\n\n{ending}" if own else ending


def fields(spec: MirrorSpec, jump_url: str) -> dict[str, Any]:
    """The JSON fields of an EXTERNAL event (times in UTC, ISO 8601)."""
    return {
        "name": spec.name,
        "description": description(spec, jump_url),
        "privacy_level": GUILD_ONLY,
        "entity_type": EXTERNAL,
        "entity_metadata": {"location": spec.location},
        "scheduled_start_time": spec.starts_at.astimezone(UTC).isoformat(),
        "scheduled_end_time": spec.ends_at.astimezone(UTC).isoformat(),
    }


class ScheduledEvents:
    """Creates, updates and cancels the copies of events in guilds."""

    def __init__(self) -> None:
        self.db: Database | None = None
        #: guilds that refused the bot, and when
        self._refused: dict[int, float] = {}

    def _jump_url(self, client: discord.Client, guild: int, spec: MirrorSpec, ref: str) -> str:
        """The announcement's link, when it was posted in a channel of this guild."""
        if not (spec.post_channel and ref):
            return ""
        channel = client.get_channel(int(spec.post_channel))
        if getattr(getattr(channel, "guild", None), "id", None) != guild:
            return ""
        return f"https://discord.com/channels/{guild}/{spec.post_channel}/{ref}"

    async def deliver(self, client: discord.Client, message: Outgoing) -> SendResult:
        """Carry out one request; map Discord's answer onto the engine's outcomes."""
        spec = MirrorSpec.from_reply(message.reply)
        guild = int(message.target)
        refused_at = self._refused.get(guild)
        if refused_at is not None and time.monotonic() - refused_at < REFUSED_FOR:
            return SendResult.fail("the bot may not manage events in this guild")
        try:
            if spec.action == "create":
                # the request waited for the announcement: its reference is the post's id
                post_ref = spec.post_ref or message.edit_ref or ""
                return await self._create(client, guild, spec, post_ref)
            # the copy's id: known as the request was queued, or the reference of the
            # request that made it
            copy_id = spec.external_id or message.edit_ref
            if not copy_id:
                return SendResult.fail("the copy was never made")
            if spec.action == "update":
                jump = self._jump_url(client, guild, spec, spec.post_ref)
                await client.http.edit_scheduled_event(guild, copy_id, **fields(spec, jump))
            else:
                await self._cancel(client, guild, copy_id)
            return SendResult.sent(copy_id)
        except discord.Forbidden as exc:
            self._refused[guild] = time.monotonic()
            log.warning(
                "Discord guild %s does not let the bot manage events (HTTP 403); events are "
                "not copied there for the next hour",
                guild,
            )
            return SendResult.fail(f"HTTP {exc.status}: {exc.text[:100]}")
        except discord.NotFound as exc:
            log.info("Discord guild %s or its copy of event %s is gone", guild, spec.event_id)
            return SendResult.fail(f"HTTP {exc.status}: {exc.text[:100]}")

    async def _create(
        self, client: discord.Client, guild: int, spec: MirrorSpec, post_ref: str
    ) -> SendResult:
        existing = await client.http.get_scheduled_events(guild, False)
        line = rsvp_line(spec.event_id)
        jump = self._jump_url(client, guild, spec, post_ref)
        for event in existing:
            if (event.get("description") or "").endswith(line) and event.get("status") in (
                SCHEDULED,
                ACTIVE,
            ):
                # made by an earlier request: brought up to date rather than made twice
                if event.get("status") == SCHEDULED:
                    await client.http.edit_scheduled_event(guild, event["id"], **fields(spec, jump))
                await self._remember(spec, guild, str(event["id"]))
                return SendResult.sent(str(event["id"]))
        if sum(e.get("status") in (SCHEDULED, ACTIVE) for e in existing) >= MAX_LIVE:
            log.warning(
                "Discord guild %s holds %d scheduled events already; event %s is not copied",
                guild,
                MAX_LIVE,
                spec.event_id,
            )
            return SendResult.fail("the guild holds 100 scheduled events")
        made = await client.http.create_guild_scheduled_event(guild, **fields(spec, jump))
        await self._remember(spec, guild, str(made["id"]))
        return SendResult.sent(str(made["id"]))

    async def _cancel(self, client: discord.Client, guild: int, event_id: str) -> None:
        current = await client.http.get_scheduled_event(guild, event_id, False)
        if current.get("status") == SCHEDULED:
            await client.http.edit_scheduled_event(guild, event_id, status=CANCELED)
        elif current.get("status") == ACTIVE:
            await client.http.delete_scheduled_event(guild, event_id)

    async def _remember(self, spec: MirrorSpec, guild: int, external_id: str) -> None:
        """Keep Discord's id of the copy (the outbox row keeps it too, for later changes)."""
        if self.db is None:
            return
        try:
            async with self.db.transaction() as conn:
                await store.set_external_id(
                    conn, spec.event_id, "discord", str(guild), external_id, datetime.now(UTC)
                )
        except Exception:
            log.exception(
                "could not store the id of event %s's copy in guild %s", spec.event_id, guild
            )

"""An event's copies as Discord Scheduled Events, one in each Discord guild of its
organization: made when the event is created, brought up to date when it changes and called
off when it is cancelled.

``sync_mirrors(ctx, event)`` compares what each copy should show with a digest of what it
was last asked to show (``event_mirrors.shown``) and queues one outbox request (kind
``event_mirror``, ``bot.mirrors.MIRROR_KIND``) per guild whose copy differs; the Discord
adapter delivers it.
Call it after any change to an event: creation, an edit, a cancellation; an occurrence of a
repeating event is an event like any other.

A guild holds at most 100 scheduled events (Discord: "A guild can have a maximum of 100
events with SCHEDULED or ACTIVE status at any time",
https://discord.com/developers/docs/resources/guild-scheduled-event#create-guild-scheduled-event).
So only events starting within ``MIRROR_AHEAD`` (30 days) are copied; a later one gets a due
item that copies it once it comes within those days, which rolls a series forward one
occurrence at a time. An event that has started is left as Discord shows it (Discord takes
no start time in the past), except that a cancellation still reaches its copy.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from bot.mirrors import MirrorSpec
from bot.scheduler import DueContext
from bot.unit import UnitOfWork
from commands.events import group
from storage import events as events_store
from storage import mirrors as store
from storage.events import EventRecord
from storage.mirrors import AnnouncedPost

#: how far ahead events are copied to Discord (a guild holds at most 100 scheduled events)
MIRROR_AHEAD = timedelta(days=30)
#: the due items that copy an event once it comes within ``MIRROR_AHEAD``
ROLL_FORWARD = "event_mirror_roll"
PLATFORM = "discord"
#: Discord's limits: a name of 1-100 characters, a location of 1-100
NAME_LIMIT = 100
LOCATION_LIMIT = 100


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _location(event: EventRecord) -> str:
    """Where the event is, as Discord requires of an event held outside Discord."""
    return _cut(event.place or event.link or "See the event's announcement", LOCATION_LIMIT)


def _digest(spec: MirrorSpec, cancelled: bool) -> str:
    """A digest of what a copy shows (not how it links to the announcement)."""
    shown = [
        cancelled,
        spec.name,
        spec.description,
        spec.location,
        spec.starts_at.isoformat(),
        spec.ends_at.isoformat(),
    ]
    return hashlib.sha256(json.dumps(shown).encode()).hexdigest()


def create_key(event_id: int, guild: str) -> str:
    """The idempotency key of the request that makes an event's copy in a guild."""
    return f"event:{event_id}:mirror:{PLATFORM}:{guild}"


async def sync_mirrors(ctx: UnitOfWork, event: EventRecord) -> None:
    """Queue what brings each Discord copy of ``event`` in line with it: make it, update it,
    or call it off if the event is cancelled; nothing for a copy already showing it."""
    _, org = ctx.services.orgs.by_id(event.org_id)
    if not org.discord_guild_ids:
        return
    conn, now = ctx.conn, ctx.now
    cancelled = await store.event_state(conn, event.id) == "cancelled"
    mirrors = await store.mirrors_of(conn, event.id, PLATFORM)
    posts = await store.announced_posts(conn, "event", event.id, PLATFORM)
    post = posts[0] if posts else None
    for guild in org.discord_guild_ids:
        mirror = mirrors.get(guild)
        external_id = (mirror.external_id or "") if mirror is not None else ""
        made = await store.outbox_row(conn, create_key(event.id, guild))
        # the copy exists, or the request that makes it is still to be answered
        exists = bool(external_id) or (made is not None and made[1] != "failed")
        if cancelled:
            if not exists:
                continue  # never copied: nothing to call off
            action = "cancel"
        elif event.starts_at <= now:
            continue
        elif exists:
            action = "update"
        elif event.starts_at > now + MIRROR_AHEAD:
            await _roll_forward_later(ctx, event)
            continue
        else:
            action = "create"  # the first time, or again after Discord refused it
        spec = MirrorSpec(
            action=action,
            event_id=event.id,
            name=_cut(event.title, NAME_LIMIT),
            description=event.description or "",
            location=_location(event),
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            post_channel=post.channel if post else "",
            post_ref=(post.platform_ref or "") if post else "",
            external_id=external_id,
        )
        digest = _digest(spec, cancelled)
        if mirror is not None and mirror.shown == digest:
            continue
        queued = await _queue(ctx, event, guild, spec, made, post, digest)
        if queued is not None:
            await store.set_shown(conn, event.id, PLATFORM, guild, digest, now)


async def _queue(
    ctx: UnitOfWork,
    event: EventRecord,
    guild: str,
    spec: MirrorSpec,
    made: tuple[int, str] | None,
    post: AnnouncedPost | None,
    digest: str,
) -> int | None:
    """Add the request for one guild's copy to the outbox; its row, or None if its key was
    used already. A request after the first is keyed by what it shows and the moment (a
    change back to an earlier state is sent again)."""
    key = create_key(event.id, guild)
    later = f"{digest[:16]}:{ctx.now:%Y%m%dT%H%M%S%f}"
    reply = spec.to_reply()
    if spec.action != "create" and not spec.external_id and made is not None:
        # The copy's id is not known yet: an edit of the request that makes it, whose
        # reference is that id once Discord made it.
        return await ctx.messages.edit(
            made[0],
            PLATFORM,
            "channel",
            guild,
            reply,
            kind="event_mirror",
            key=f"{key}:{later}",
            org_id=event.org_id,
        )
    if spec.action == "create" and made is None and post is not None:
        # Made once the announcement is sent (an edit of its outbox row waits for it), so
        # that the copy links to the announcement's message; an announcement that could
        # not be sent leaves the event without a copy there until it changes.
        return await ctx.messages.edit(
            post.outbox_id,
            PLATFORM,
            "channel",
            guild,
            reply,
            kind="event_mirror",
            key=key,
            org_id=event.org_id,
        )
    # the first request without an announcement; a change to a copy whose id is known; or
    # the copy asked for again after Discord refused the first request (no permission, a
    # full guild)
    return await ctx.messages.to_channel(
        PLATFORM,
        guild,
        reply,
        kind="event_mirror",
        key=key if made is None else f"{key}:{later}",
        org_id=event.org_id,
    )


async def _roll_forward_later(ctx: UnitOfWork, event: EventRecord) -> None:
    """Have an event copied once it starts within ``MIRROR_AHEAD`` (once per start time)."""
    await ctx.schedule(
        kind=ROLL_FORWARD,
        due_at=event.starts_at - MIRROR_AHEAD,
        key=f"event:{event.id}:mirror-roll:{event.starts_at.isoformat()}",
        ref_id=event.id,
        org_id=event.org_id,
    )


@group.on_due(ROLL_FORWARD)
async def roll_forward(ctx: DueContext) -> None:
    """Copy the events that came within ``MIRROR_AHEAD`` of their start."""
    found = await events_store.get_events(ctx.conn, [i.ref_id for i in ctx.items if i.ref_id])
    for event in found.values():
        await sync_mirrors(ctx, event)

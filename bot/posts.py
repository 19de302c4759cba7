"""Posts with a live view: a subject (an alert, a poll, an event) announced in a set of
channels on every platform, each post recorded, and edited in place when what it shows
changes, at most once per interval.

A feature declares how to show each kind of subject it owns with ``CommandGroup.live_view``:
an async render function ``(ctx, subject id) -> Reply | None``, the outbox kind of its edits
and, for subjects refreshed as people answer, the interval that coalesces their edits. This
module announces (``announce``), asks for a coalesced refresh (``refresh_soon``: one due item
of kind ``posts.refresh`` per subject and interval) and edits every post whose rendering
changed (``refresh``), comparing a digest of the rendering with the one the post last showed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.reply import Reply, to_payload
from bot.timefmt import TimedText
from storage import posts as store
from storage.posts import NewPost

if TYPE_CHECKING:
    from bot.config import OrgConfig
    from bot.scheduler import DueContext
    from bot.unit import UnitOfWork

#: the kind of the due items that refresh posts
REFRESH = "posts.refresh"


def shown_digest(reply: Reply) -> str:
    """A digest of what a post shows; a ping (``notify``) goes with the first post only."""
    return hashlib.sha256(to_payload(replace(reply, notify="")).encode()).hexdigest()


def places(channels: Mapping[str, Sequence[str]]) -> list[tuple[str, str]]:
    """Every (platform, channel) of a channel map, platforms in order."""
    return [(platform, channel) for platform, cs in sorted(channels.items()) for channel in cs]


def place_names(found: Sequence[tuple[str, str]], org: OrgConfig) -> TimedText:
    """Channels as people read them, each a value an adapter shows by name ("#alerts, slack
    #alerts"; the id when ``org`` gives a channel no name); empty if there are none."""
    return TimedText.join(", ", [TimedText(org.channel(p, c)) for p, c in found])


async def post_to_channels(
    unit: UnitOfWork,
    channels: Mapping[str, Sequence[str]],
    reply: Reply,
    *,
    kind: str,
    key: str,
    org_id: int,
) -> list[tuple[str, str, int]]:
    """Post ``reply`` in every channel of ``channels`` (e.g. an organization's alert channels
    on every platform), keyed ``{key}:{platform}:{channel}`` so that posting it again is a
    no-op. Returns (platform, channel, outbox row) of the posts added now."""
    added = []
    for platform, channel in places(channels):
        outbox_id = await unit.messages.to_channel(
            platform, channel, reply, kind=kind, key=f"{key}:{platform}:{channel}", org_id=org_id
        )
        if outbox_id is not None:
            added.append((platform, channel, outbox_id))
    return added


async def announce(
    unit: UnitOfWork,
    subject_kind: str,
    subject_id: int,
    reply: Reply,
    *,
    kind: str,
    channels: Mapping[str, Sequence[str]],
    org_id: int,
    key: str = "",
) -> list[tuple[str, str]]:
    """Post a subject in every channel of ``channels`` and record each post, so that
    ``refresh`` can edit it; ``key`` names the posts when they are not the subject's first
    (``{subject_kind}:{subject_id}:post``). Returns where it was posted now."""
    posted = await post_to_channels(
        unit,
        channels,
        reply,
        kind=kind,
        key=key or f"{subject_kind}:{subject_id}:post",
        org_id=org_id,
    )
    shown = shown_digest(reply)
    await store.add_posts(
        unit.conn,
        [
            NewPost(subject_kind, subject_id, org_id, platform, channel, outbox_id, shown)
            for platform, channel, outbox_id in posted
        ],
        unit.now,
    )
    return [(platform, channel) for platform, channel, _ in posted]


async def refresh(
    unit: UnitOfWork, subject_kind: str, keys: Mapping[int, str], *, kind: str | None = None
) -> None:
    """Edit every post of these subjects whose rendering changed since it was last shown.
    ``keys`` maps a subject id to the key its edits are named by (``{key}:{platform}:
    {channel}``); ``kind`` is the edits' outbox kind, the view's own if not given."""
    view = unit.services.registry.live_views()[subject_kind]
    conn = unit.conn
    rendered: dict[int, Reply | None] = {}
    changed: list[tuple[int, str]] = []
    for post in await store.posts_of(conn, subject_kind, list(keys)):
        if post.subject_id not in rendered:
            rendered[post.subject_id] = await view.render(unit, post.subject_id)
        reply = rendered[post.subject_id]
        if reply is None:
            continue
        shown = shown_digest(reply)
        if shown == post.shown:
            continue
        queued = await unit.messages.edit(
            post.outbox_id,
            post.platform,
            "channel",
            post.channel,
            reply,
            kind=kind or view.edit_kind,
            key=f"{keys[post.subject_id]}:{post.platform}:{post.channel}",
            org_id=post.org_id,
        )
        # An edit whose key was already used is not queued again: the post keeps its old
        # digest, so the next refresh edits it rather than taking it as shown.
        if queued is not None:
            changed.append((post.id, shown))
    await store.set_shown(conn, changed, unit.now)


async def refresh_soon(
    unit: UnitOfWork, subject_kind: str, subject_id: int, *, org_id: int
) -> None:
    """Have a subject's posts refreshed at the end of the current interval: every request in
    one interval is the same due item, so its posts are edited at most once per interval.
    The due item is written in ``unit``: for an anonymous ballot, a unit of work of its own
    (``UnitOfWork.separate``), so that nothing it writes dates the ballot."""
    services = unit.services
    view = services.registry.live_views()[subject_kind]
    if view.interval is None:
        raise ValueError(f"posts of {subject_kind!r} are not refreshed on an interval")
    interval = view.interval(services.config).total_seconds()
    bucket = int(unit.now.timestamp() // interval)
    await unit.schedule(
        kind=REFRESH,
        due_at=datetime.fromtimestamp((bucket + 1) * interval, UTC),
        key=f"{subject_kind}:{subject_id}:tally:{bucket}",
        ref_id=subject_id,
        org_id=org_id,
        payload={"subject": subject_kind},
    )


async def refresh_due(ctx: DueContext) -> None:
    """Refresh the posts of the subjects whose interval ended (due items ``posts.refresh``)."""
    by_kind: dict[str, dict[int, str]] = {}
    for item in ctx.items:
        subject_kind = item.payload.get("subject")
        if item.ref_id is not None and isinstance(subject_kind, str):
            by_kind.setdefault(subject_kind, {})[item.ref_id] = item.key or ""
    for subject_kind, keys in by_kind.items():
        await refresh(ctx, subject_kind, keys)

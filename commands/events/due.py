"""An event's scheduled work: its announcement as a live view (edited when the event
changes), reminders of the event (its own times and members' own), of a delegation's
meetings and of milestones, each in the member's timezone, and its lines in the digest."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from bot import posts
from bot.digests import digest_section
from bot.messages import Message
from bot.offsets import schedule_reminders
from bot.reply import Reply
from bot.scheduler import DueContext
from bot.timefmt import TimedText
from bot.unit import UnitOfWork
from commands.events import group
from commands.events.render import (
    announcement,
    moment,
    reminder_reply,
    start_note,
    when_text,
)
from commands.events.rules import LONGEST
from storage import event_changes as changes
from storage import events as store
from storage import posts as post_store
from storage.events import EventRecord, MeetingRecord, MilestoneRecord, Recipient
from storage.queue import DueRow

#: the due kinds of an event's own scheduled work (its reminders, members' own reminders,
#: its start message), all with the event as ``ref_id``
EVENT_DUE_KINDS = ("event_reminder", "event_member_reminder", "event_start")


def fresh_version() -> str:
    """A version for work scheduled again in place of cancelled items: the keys it names are
    new, so the new items are added whatever the cancelled ones were called."""
    return secrets.token_hex(5)


async def schedule_event_work(
    ctx: UnitOfWork, event: EventRecord, version: str = ""
) -> list[datetime]:
    """Schedule what is still ahead of an event: its reminders, the own reminders of each
    member coming who chose theirs, and its start message if it has one. Work scheduled
    again (after an edit) names a new ``version`` in its keys, so it is new work, not the
    cancelled items' keys. Returns the times of the event's own reminders."""
    tz = ZoneInfo(event.timezone)
    prefix = f"event:{event.id}" + (f":{version}" if version else "")
    common: dict[str, Any] = {"ref_id": event.id, "org_id": event.org_id}
    scheduled = await schedule_reminders(
        ctx, "event_reminder", prefix, event.starts_at, event.reminder_offsets, tz, **common
    )
    for member_id, offsets in await changes.own_reminders(ctx.conn, event.id):
        await schedule_reminders(
            ctx,
            "event_member_reminder",
            f"{prefix}:member:{member_id}",
            event.starts_at,
            offsets,
            tz,
            member_id=member_id,
            **common,
        )
    if event.start_message and event.starts_at > ctx.now:
        await ctx.schedule(
            kind="event_start", due_at=event.starts_at, key=f"{prefix}:start", **common
        )
    return scheduled


async def cancel_event_work(ctx: UnitOfWork, event: EventRecord) -> None:
    """Cancel every pending item of an event's own scheduled work."""
    for kind in EVENT_DUE_KINDS:
        await ctx.cancel_due(kind, event.id)


@group.live_view("event", edit_kind="event")
async def channel_view(ctx: UnitOfWork, event_id: int) -> Reply | None:
    """An event's announcement as it should look now, for editing its posts when it changes."""
    event = await store.get_event(ctx.conn, event_id)
    return None if event is None else announcement(event, now=ctx.now)


def _dm(item: DueRow, r: Recipient, reply: Reply) -> Message:
    """A reminder by DM to one member, keyed by the due item and the member."""
    return Message(r.platform, "user", r.user_id, reply, f"{item.key}:{r.member_id}", r.member_id)


async def _event_reminders(ctx: DueContext, *, own: bool) -> None:
    events = await store.get_events(ctx.conn, [i.ref_id for i in ctx.items if i.ref_id])
    messages: list[Message] = []
    for item in ctx.items:
        event = events.get(item.ref_id or 0)
        if event is None or event.cancelled or ctx.missed(item) or event.starts_at <= ctx.now:
            continue
        record, org = ctx.services.orgs.by_id(event.org_id)
        offset = item.payload.get("offset")
        found = await store.recipients(
            ctx.conn,
            event.id,
            org.dm_platforms(),
            member_ids=[item.member_id] if own and item.member_id else None,
        )
        for r in found:
            mine = r.reminder_offsets
            if (mine is not None) != own or (own and offset not in (mine or ())):
                continue
            tz = ZoneInfo(r.timezone or record.timezone)
            messages.append(_dm(item, r, reminder_reply(event, r, tz, offset or "", now=ctx.now)))
    await ctx.messages.add_all(messages, kind="event_reminder")


@group.on_due("event_reminder")
async def event_reminder(ctx: DueContext) -> None:
    """The event's own reminders, to those going or maybe who kept the event's times."""
    await _event_reminders(ctx, own=False)


@group.on_due("event_member_reminder")
async def member_reminder(ctx: DueContext) -> None:
    """A member's own reminder times, if they still want them and are still coming."""
    await _event_reminders(ctx, own=True)


def _meeting_text(event: EventRecord, m: MeetingRecord, tz: ZoneInfo, now: datetime) -> str:
    where = f", {m.place}" if m.place else ""
    return TimedText(
        f"⏰ Your {m.state} delegation meets {m.legislator} ({m.office}) ",
        moment(event, m.starts_at, tz, now=now),
        f"{where}, during “{event.title}” (event {event.id}).",
    )


def _milestone_text(event: EventRecord, ms: MilestoneRecord, tz: ZoneInfo, now: datetime) -> str:
    return TimedText(
        f"⏰ “{event.title}” (event {event.id}): {ms.title}, ",
        moment(event, ms.at, tz, now=now),
        ".",
    )


Dated = TypeVar("Dated", MeetingRecord, MilestoneRecord)


async def _remind_of(
    ctx: DueContext,
    found: Mapping[int, Dated],
    text: Callable[[EventRecord, Dated, ZoneInfo, datetime], str],
    delegation: Callable[[Dated], str | None],
) -> None:
    """DM ``text`` of each due item's meeting or milestone, in each member's timezone, to
    those coming (only its ``delegation``, if it names one); items missed by far are skipped."""
    events = await store.get_events(ctx.conn, sorted({row.event_id for row in found.values()}))
    messages: list[Message] = []
    for item in ctx.items:
        row = found.get(item.ref_id or 0)
        if row is None or ctx.missed(item):
            continue
        event = events[row.event_id]
        if event.cancelled:
            continue
        record, org = ctx.services.orgs.by_id(event.org_id)
        state = delegation(row)
        for r in await store.recipients(ctx.conn, event.id, org.dm_platforms(), state=state):
            tz = ZoneInfo(r.timezone or record.timezone)
            messages.append(
                _dm(item, r, Reply(text=text(event, row, tz, ctx.now), ephemeral=False))
            )
    await ctx.messages.add_all(messages, kind="event_reminder")


@group.on_due("event_meeting")
async def meeting_reminder(ctx: DueContext) -> None:
    """Remind a delegation of its meeting."""
    found = await store.get_meetings(ctx.conn, [i.ref_id for i in ctx.items if i.ref_id])
    await _remind_of(ctx, found, _meeting_text, lambda m: m.state)


@group.on_due("event_milestone")
async def milestone_reminder(ctx: DueContext) -> None:
    """Remind those going (and maybe) of a milestone."""
    found = await store.get_milestones(ctx.conn, [i.ref_id for i in ctx.items if i.ref_id])
    await _remind_of(ctx, found, _milestone_text, lambda ms: None)


@group.on_due("event_start")
async def start_message(ctx: DueContext) -> None:
    """As an event starts, a short message where it was announced (the alert channels, for
    an event announced before its posts were recorded); none for a cancelled event, one whose
    start message was turned off or moved, or one missed by far."""
    events = await store.get_events(ctx.conn, [i.ref_id for i in ctx.items if i.ref_id])
    for item in ctx.items:
        event = events.get(item.ref_id or 0)
        if event is None or event.cancelled or not event.start_message or ctx.missed(item):
            continue
        if item.due_at != event.starts_at:
            continue
        where: dict[str, list[str]] = {}
        for post in await post_store.posts_of(ctx.conn, "event", [event.id]):
            if post.channel not in where.setdefault(post.platform, []):
                where[post.platform].append(post.channel)
        if not where:
            _, org = ctx.services.orgs.by_id(event.org_id)
            where = {platform: list(channels) for platform, channels in org.alert_channels.items()}
        await posts.post_to_channels(
            ctx, where, start_note(event), kind="event", key=item.key or "", org_id=event.org_id
        )


@group.on_digest
async def digest(ctx: DueContext, org_id: int, since: datetime) -> list[str]:
    """Events of the coming two weeks with how many are going."""
    events = await store.upcoming_events(ctx.conn, org_id, ctx.now, ctx.now + LONGEST)
    return await digest_section(
        ctx, org_id, "Upcoming events:", events, store.counts_of, _digest_line
    )


def _digest_line(e: EventRecord, counts: Counter[str], tz: ZoneInfo, now: datetime) -> str:
    # the digest is posted in a channel: the event's own zone only
    shown = when_text(e, ZoneInfo(e.timezone), now=now)
    return f"• Event {e.id}: {e.title}, {shown}: {counts['going']} going"

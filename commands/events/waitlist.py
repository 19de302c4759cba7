"""Seats from the waitlist: seats that came free go to those waiting, and each one
promoted is told by direct message in their own timezone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.reply import Reply
from bot.timefmt import TimedText
from bot.unit import UnitOfWork
from commands.events.render import rsvp_buttons, titled
from storage import events as store
from storage.events import EventRecord


async def tell_promoted(ctx: UnitOfWork, event: EventRecord, promoted: tuple[int, ...]) -> None:
    """DM each member given a seat from the waitlist, in their own timezone."""
    if not promoted:
        return
    record, org = ctx.services.orgs.by_id(event.org_id)
    for r in await store.recipients(
        ctx.conn, event.id, org.dm_platforms(), member_ids=list(promoted)
    ):
        tz = ZoneInfo(r.timezone or record.timezone)
        text = TimedText(
            "Good news: a place opened up and you're going to ",
            titled(event, tz, now=ctx.now),
            ". If you can't make it after all, tap Can't go so the next person gets it.",
        )
        await ctx.messages.to_person(
            r.platform,
            r.user_id,
            Reply(text=text, actions=rsvp_buttons(event)[2:], ephemeral=False),
            kind="event_promoted",
            key=f"event:{event.id}:promoted:{r.member_id}:{ctx.now.timestamp()}",
            member_id=r.member_id,
            org_id=event.org_id,
        )


async def free_seats(ctx: UnitOfWork, event_ids: list[int]) -> None:
    """Give seats that came free to the waitlist, and tell those promoted."""
    for event_id in event_ids:
        event = await store.lock_event(ctx.conn, event_id)
        if event is not None:
            await tell_promoted(ctx, event, await store.promote(ctx.conn, event, ctx.now))

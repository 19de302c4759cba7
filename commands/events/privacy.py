"""A member's answers to events under /privacy: exported with their details, erased
(accessibility needs too; their seat goes to the waitlist) and merged when two accounts are
one person; and their private calendar addresses: listed (never the token), removed, and one
kept per organization on a merge."""

from __future__ import annotations

from bot.context import Context
from commands.events import group
from commands.events.waitlist import free_seats
from storage import events as store
from storage import feeds


@group.on_export
async def export(ctx: Context, member_id: int) -> list[dict[str, object]]:
    """A member's answers to events, with the details they gave, and that they have a
    private calendar address (never the address), for /privacy export."""
    answers = await store.member_data(ctx.conn, member_id)
    return [*answers, *await feeds.member_feeds(ctx.conn, member_id)]


@group.on_erase
async def erase(ctx: Context, member_id: int) -> None:
    """Answers are erased with their details (accessibility needs too); seats go on."""
    seated = await store.seated_events(ctx.conn, member_id)
    for event_id in seated:
        await store.lock_event(ctx.conn, event_id)
    await store.forget_member(ctx.conn, member_id)
    await free_seats(ctx, seated)
    await feeds.forget_member(ctx.conn, member_id)


@group.on_merge
async def merge(ctx: Context, keep: int, drop: int) -> None:
    """One answer per person per event when /link joins two members."""
    await free_seats(ctx, await store.merge_members(ctx.conn, keep, drop))
    await feeds.merge_members(ctx.conn, keep, drop)

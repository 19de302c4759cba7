"""Finding what an /event command names: the organization's event by its number, a member
by their account on the caller's platform, and the caller's timezone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.context import Context
from bot.errors import ValidationError
from storage import events as store
from storage import members
from storage.events import EventRecord


async def tz_of(ctx: Context) -> ZoneInfo:
    """The caller's timezone: their profile's, else the organization's."""
    member = await ctx.existing_member()
    if member is None:
        return ZoneInfo(ctx.org.timezone)
    profile = await members.profile(ctx.conn, member.id)
    return ZoneInfo(profile.timezone or ctx.org.timezone)


async def org_event(
    ctx: Context, event_id: int, *, lock: bool = False, read: EventRecord | None = None
) -> EventRecord:
    """The organization's event by its number (locked, if asked: ``read`` is the event as
    read earlier in this unit of work, see ``lock_event``), or a refusal naming id."""
    conn = ctx.conn
    event = await (
        store.lock_event(conn, event_id, read=read) if lock else store.get_event(conn, event_id)
    )
    if event is None or event.org_id != ctx.org.id:
        raise ValidationError("id", f"there is no event {event_id} here; see /event list")
    return event


async def account_member(ctx: Context, name: str, option: str) -> int:
    """The member behind an account on the caller's platform."""
    member = await members.find_member(ctx.conn, ctx.platform, name)
    if member is None:
        raise ValidationError(option, f"{name} is not someone the bot knows on {ctx.platform}")
    return member.id

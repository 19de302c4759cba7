"""Calendar feeds: ``/event feed`` sends a member, by direct message, a private address their
calendar (Google Calendar, Outlook, Apple Calendar) subscribes to; ``/event feed reset``
stops the old address and sends a new one. The address is never shown in the channel.

The feed (served by the web adapter at ``/calendar/<token>.ics``) holds the organization's
events still to come and those of the last 30 days, each repeating event as one entry with
its rule and its changed dates, cancelled ones marked cancelled; and, for the events the
member answered other than "no", their milestones and the member's delegation's meetings.
It is written by the same code as ``/event ics``, so its entries keep the same UIDs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from bot.context import Context
from bot.options import Choice
from bot.reply import Reply
from bot.scheduler import DueContext
from bot.unit import UnitOfWork
from commands.events import group
from commands.events.calendar import series_entries
from commands.events.render import (
    calendar_file,
    event_entry,
    meeting_entry,
    milestone_entry,
    organizer_address,
)
from storage import events as store
from storage import feeds as feeds_store
from storage import series as series_store

#: how far back the feed keeps events that are over
FEED_PAST = timedelta(days=30)
#: how often a calendar is asked to fetch the feed again
REFRESH = timedelta(hours=1)
#: how soon after it was sent the stored copy of the DM loses the token (again each time
#: it is found still waiting to be sent)
SCRUB_AFTER = timedelta(hours=1)
#: the route the web adapter serves feeds at (the token in place of ``{token}``)
FEED_PATH = "/calendar/{token}.ics"
NO_ADDRESS = (
    "This organization has no web address yet, so calendar feeds are not available. "
    "Whoever runs the bot can turn them on: [web] enabled = true and base_url."
)


def feed_url(base_url: str, token: str) -> str:
    """The feed's https (or http) address."""
    return base_url + FEED_PATH.format(token=token)


def webcal_url(url: str) -> str:
    """The same address as ``webcal://``, which opens a subscription in most calendars."""
    return "webcal://" + url.split("://", 1)[1]


@group.command(
    "feed",
    options=[
        Choice(
            "action",
            values=("reset",),
            help="reset: stop your old calendar address and get a new one",
        )
    ],
    positional="action",
    help="A private calendar address with the events, sent to you by direct message",
)
async def feed(ctx: Context, action: str | None) -> Reply:
    """Send the member their private calendar address by direct message; with ``reset``,
    the old address stops working and a new one is sent."""
    web = ctx.services.config.web
    if not (web.enabled and web.base_url):
        return Reply(text=NO_ADDRESS)
    member = await ctx.member()
    existing = await feeds_store.member_feed(ctx.conn, member.id, ctx.org.id)
    if existing is not None and action != "reset":
        made = existing.created_at.astimezone(ZoneInfo(ctx.org_config.timezone))
        return Reply(
            text=(
                f"You already have a calendar address (made {made:%b} {made.day}, "
                f"{made:%Y}); it is in the direct message the bot sent you then. Lost it? "
                "/event feed reset stops the old address and sends you a new one."
            )
        )
    token = await feeds_store.replace_feed(ctx.conn, member.id, ctx.org.id, ctx.now)
    url = feed_url(web.base_url, token)
    sent = await ctx.messages.to_person(
        ctx.platform,
        ctx.invocation.user_id,
        Reply(
            text=(
                f"Your private calendar address for the events of {ctx.org_config.name}:\n"
                f"{url}\n"
                f"To subscribe, add it in your calendar as a calendar from the web (Google "
                f"Calendar: Other calendars, From URL; Outlook: Add calendar, Subscribe "
                f"from web), or open {webcal_url(url)}\n"
                "Keep it to yourself: it shows your delegation's meetings. "
                "/event feed reset stops it and sends a new one."
            ),
            ephemeral=False,
            no_previews=True,  # a preview would fetch the private address
        ),
        kind="event_feed",
        key=f"event:feed:{member.id}:{ctx.org.id}:{feeds_store.token_digest(token)[:16]}",
        member_id=member.id,
        org_id=ctx.org.id,
    )
    if sent is not None:
        await _scrub_later(ctx, sent)
    done = "Your old calendar address no longer works. " if existing is not None else ""
    return Reply(
        text=f"{done}Your private calendar address is in your direct messages from the bot."
    )


async def _scrub_later(unit: UnitOfWork, outbox_id: int) -> None:
    """Take the token out of the stored DM once it has gone: only its digest is kept."""
    due_at = unit.now + SCRUB_AFTER
    key = f"event:feed-scrub:{outbox_id}:{due_at.timestamp()}"
    await unit.schedule(kind="event_feed_scrub", due_at=due_at, key=key, ref_id=outbox_id)


@group.on_due("event_feed_scrub")
async def scrub(ctx: DueContext) -> None:
    """Remove the token from each sent DM that held an address; try later for one not
    sent yet."""
    for item in ctx.items:
        if item.ref_id is not None and not await feeds_store.scrub_sent(ctx.conn, item.ref_id):
            await _scrub_later(ctx, item.ref_id)


@group.feed("calendar")
async def calendar_feed(unit: UnitOfWork, org_id: int, member_id: int) -> bytes:
    """The member's calendar feed for the organization, as an iCalendar file."""
    _record, org = unit.services.orgs.by_id(org_id)
    conn, now = unit.conn, unit.now
    events = await feeds_store.feed_events(conn, org_id, now - FEED_PAST)
    answered = await feeds_store.member_delegations(conn, member_id, [e.id for e in events])
    entries: list[icalendar.Component] = []
    moments: list[datetime] = []
    series_ids = sorted({e.series_id for e in events if e.series_id is not None})
    for series in (await series_store.series_of(conn, series_ids)).values():
        dates = await series_store.occurrences(conn, series.id)
        found, span = series_entries(series, dates, now)
        entries += found
        moments += span
    for event in events:
        if event.series_id is None:
            entries.append(event_entry(event, now))
            moments += [event.starts_at, event.ends_at]
        if event.id not in answered:
            continue
        state = answered[event.id]
        if event.kind == "legislative-day" and state:
            meetings = await store.meetings(conn, event.id, state)
            entries += [meeting_entry(event, m, now) for m in meetings]
            moments += [m.starts_at for m in meetings]
        milestones = await store.milestones(conn, event.id)
        entries += [milestone_entry(event, ms, now) for ms in milestones]
        moments += [ms.at for ms in milestones]
    tz = ZoneInfo(org.timezone)
    if not entries:  # RFC 5545 asks for one component at least: the organization's zone
        entries.append(
            icalendar.Timezone.from_tzid(
                org.timezone,
                first_date=now.date() - timedelta(days=366),
                last_date=now.date() + timedelta(days=366),
            )
        )
    name = f"{org.name} events"
    refresh = icalendar.vDuration(REFRESH)
    refresh.params["VALUE"] = "DURATION"
    properties = [
        ("name", name),
        ("x-wr-calname", name),
        ("x-wr-timezone", org.timezone),
        ("refresh-interval", refresh),
        ("x-published-ttl", "PT1H"),
    ]
    base_url = unit.services.config.web.base_url
    organizer = (org.name, organizer_address(org.contact, base_url))
    return calendar_file(entries, moments, tz, organizer=organizer, properties=properties)

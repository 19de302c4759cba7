"""``/event create … repeat: [until: | count:]``: a repeating event's series, its first
occurrence and what the organizer is told (the rule in words and the next dates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot import posts
from bot.context import Context
from bot.errors import ValidationError
from bot.repeats import parse_repeat
from bot.reply import Reply
from bot.timefmt import TimedText, local_time
from bot.when import parse_moment
from bot.wording import plural
from commands.events import series as rolling
from commands.events.render import KIND_LABELS
from storage import series as store


@dataclass(frozen=True)
class Planned:
    """A repeating event's fields as typed at create, its times read in ``tz``."""

    title: str
    kind: str
    tz: ZoneInfo
    starts: datetime
    ends: datetime
    deadline: datetime | None
    description: str | None
    place: str | None
    link: str | None
    capacity: int | None
    offsets: tuple[str, ...]
    start_message: bool


def check_series_ends(repeat: str | None, until: str | None, count: int | None) -> None:
    """``until:`` and ``count:`` come with ``repeat:``, and not both together."""
    if repeat is None:
        for name, value in (("until", until), ("count", count)):
            if value is not None:
                raise ValidationError(
                    name, 'is for a repeating event; give repeat: too, e.g. "every week"'
                )
    if until is not None and count is not None:
        raise ValidationError("count", "give until or count, not both")


def until_of(text: str, first: datetime, now: datetime, tz: ZoneInfo) -> datetime:
    """The end of the day ``until:`` names (in ``tz``), within two years of the first date."""
    day = parse_moment(text, "until", now, tz).astimezone(tz).date()
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    last = end.astimezone(first.tzinfo) - timedelta(seconds=1)
    if last < first:
        shown = local_time(first, tz, now=now)
        raise ValidationError("until", f"must be on or after the first date, {shown}")
    if last - first > rolling.MAX_SPAN:
        latest = (first + rolling.MAX_SPAN).astimezone(tz).date()
        raise ValidationError(
            "until", f"must be within two years of the first date, by {latest.isoformat()}"
        )
    return last


async def create_series(
    ctx: Context,
    plan: Planned,
    repeat: str,
    until: str | None,
    count: int | None,
    notify: str,
    member_id: int,
) -> Reply:
    """Store the series, make its first occurrence (announced now if its time has come) and
    those within the horizon, and tell the organizer the rule and the next dates."""
    rule = parse_repeat(repeat)
    now, tz = ctx.now, plan.tz
    first = next(rule.occurrences(plan.starts, tz, limit=1))
    until_at = None if until is None else until_of(until, first, now, tz)
    shift = first - plan.starts
    series = await store.create_series(
        ctx.conn,
        org_id=ctx.org.id,
        repeat=repeat,
        rule=rule.rrule(),
        timezone=tz.key,
        first_start=first,
        until=until_at,
        count=count,
        template=rolling.template(
            title=plan.title,
            kind=plan.kind,
            length=plan.ends - plan.starts,
            description=plan.description,
            place=plan.place,
            link=plan.link,
            capacity=plan.capacity,
            rsvp_before=None if plan.deadline is None else plan.starts - plan.deadline,
            reminder_offsets=plan.offsets,
            start_message=plan.start_message,
        ),
        created_by=member_id,
        created_at=now,
    )
    event, _ = await rolling.make_occurrence(ctx, series, first, notify=notify)
    await rolling.roll(ctx, series)
    await ctx.audit(
        "event.create",
        f"event {event.id}",
        title=plan.title,
        kind=plan.kind,
        repeat=repeat,
        series=str(series.id),
        notify=notify,
    )
    channels = posts.place_names(posts.places(ctx.org_config.alert_channels), ctx.org_config)
    before = ctx.services.config.events.announce_before
    dates = "; ".join(local_time(at, tz, now=now) for at in rolling.starts(series, limit=3))
    moved = (
        f" (the first date the rule gives after the start you typed, "
        f"{local_time(plan.starts, tz, now=now)})"
        if shift
        else ""
    )
    reminded = (
        f"{plural(len(plan.offsets), 'reminder')} {', '.join(plan.offsets)} before each"
        if plan.offsets
        else "no reminders"
    )
    where = (
        TimedText("Each date is announced in ", channels, f" {_spoken(before)} before it")
        if ctx.org_config.alert_channels
        else TimedText("No alert channel is configured, so no date is announced")
    )
    return Reply(
        title=f"Event {event.id} created, repeating",
        text=TimedText(
            f"{KIND_LABELS[plan.kind]} “{plan.title}”, {rolling.describe(series)}. "
            f"Next dates: {dates}{moved}. ",
            where,
            f"; {reminded}. Event {event.id} is the first date; answer for another with "
            f"/event rsvp id:{event.id} occurrence:DATE.",
        ),
    )


def _spoken(delta: timedelta) -> str:
    """A duration in words: "7 days", "36 hours", "90 minutes"."""
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            return f"{seconds // size} {plural(seconds // size, unit)}"
    return f"{seconds} {plural(seconds, 'second')}"

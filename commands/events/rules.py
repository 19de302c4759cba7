"""The rules of events and RSVPs, pure: when an event may start and end and take answers,
which answers and details an event accepts. Nothing here reads the database or a command's
context, so each rule is tested on its own."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.errors import UserError, ValidationError
from bot.timefmt import local_time
from bot.when import parse_moment
from commands.events.options import DETAIL_OPTION_NAMES
from storage.events import Details, EventRecord

LONGEST = timedelta(days=14)
_BARE_TIME = re.compile(r"(?:at\s+)?(?:\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?|noon|midnight)")


def end_time(text: str, start: datetime, now: datetime, tz: ZoneInfo) -> datetime:
    """The end: a full time, or a bare time of the start's day. A bare time not after the start
    is refused rather than moved to the next day: an overnight event gives its end's date."""
    if not _BARE_TIME.fullmatch(text.strip().lower()):
        return parse_moment(text, "end", now, tz)
    day = start.astimezone(tz).date()
    end = parse_moment(f"{day.isoformat()} {text}", "end", now, tz)
    if end <= start:
        local = end.astimezone(tz)
        next_day = f"{day + timedelta(days=1)} {local:%H:%M}"
        raise ValidationError(
            "end",
            f"must be after the start, {local_time(start, tz, now=now)}; for an end the next day, "
            f'give its date, e.g. "{next_day}"',
        )
    return end


def event_times(
    start: str, end: str | None, rsvp_by: str | None, now: datetime, tz: ZoneInfo
) -> tuple[datetime, datetime, datetime | None]:
    """An event's start, end (an hour after the start if not given) and RSVP deadline, as
    typed in ``tz``: it ends after it starts, within 14 days, and RSVPs close before it."""
    starts = parse_moment(start, "start", now, tz)
    ends = end_time(end, starts, now, tz) if end else starts + timedelta(hours=1)
    deadline = parse_moment(rsvp_by, "rsvp_by", now, tz) if rsvp_by else None
    _check_span(starts, ends, deadline, "rsvp_by", now, tz)
    return starts, ends, deadline


def _check_span(
    starts: datetime,
    ends: datetime,
    deadline: datetime | None,
    deadline_option: str,
    now: datetime,
    tz: ZoneInfo,
) -> None:
    """An event ends after it starts, within 14 days, and its RSVPs close before it starts
    (a refusal of the deadline names ``deadline_option``)."""
    if ends <= starts:
        raise ValidationError("end", f"must be after the start, {local_time(starts, tz, now=now)}")
    if ends - starts > LONGEST:
        raise ValidationError("end", "must be within 14 days of the start")
    if deadline is not None and deadline > starts:
        raise ValidationError(
            deadline_option, f"must be before the start, {local_time(starts, tz, now=now)}"
        )


def edited_times(
    event: EventRecord,
    start: str | None,
    end: str | None,
    rsvp_by: str | None,
    now: datetime,
    tz: ZoneInfo,
) -> tuple[datetime, datetime, datetime | None]:
    """An edited event's start, end and RSVP deadline, the ones given typed in ``tz`` and the
    others kept; a new start without an end keeps the event's length. The rules of creating
    hold, and a new start is still to come. A kept deadline after a new start is refused
    naming the start, with the way out (a new rsvp_by)."""
    starts = parse_moment(start, "start", now, tz) if start else event.starts_at
    if starts != event.starts_at and starts <= now:
        raise ValidationError("start", "must be in the future")
    if end:
        ends = end_time(end, starts, now, tz)
    else:
        ends = starts + (event.ends_at - event.starts_at) if start else event.ends_at
    deadline = parse_moment(rsvp_by, "rsvp_by", now, tz) if rsvp_by else event.rsvp_deadline
    if not rsvp_by and deadline is not None and deadline > starts:
        raise ValidationError(
            "start",
            f"is after the RSVP deadline, {local_time(deadline, tz, now=now)}; "
            "give a new rsvp_by too",
        )
    _check_span(starts, ends, deadline, "rsvp_by", now, tz)
    return starts, ends, deadline


def check_changeable(event: EventRecord, now: datetime) -> None:
    """Refuse changing an event that is cancelled or over, naming id."""
    if event.cancelled:
        raise ValidationError("id", f"event {event.id} is cancelled")
    if now >= event.ends_at:
        raise ValidationError("id", f"event {event.id} is over")


def check_legislative(event: EventRecord, option: str) -> None:
    """Refuse, naming ``option``, what only a legislative day has."""
    if event.kind != "legislative-day":
        raise ValidationError(
            option, f"event {event.id} is a {event.kind}; this is for legislative days"
        )


def check_details(event: EventRecord, status: str, details: Details) -> None:
    """An answer's details (state, district, ...) are asked only of those going to a
    legislative day; refuse the first one given otherwise."""
    given = [
        name
        for name, value in zip(DETAIL_OPTION_NAMES, vars(details).values(), strict=True)
        if value is not None
    ]
    if given and event.kind != "legislative-day":
        raise ValidationError(
            given[0], f"is asked only for legislative days; event {event.id} is not one"
        )
    if given and status != "going":
        raise ValidationError(given[0], "is asked only of those going")


def check_answer_open(event: EventRecord, status: str, now: datetime, tz: ZoneInfo) -> None:
    """Refuse an answer once the event is over, or any answer but "no" once it has begun or
    its RSVP deadline has passed (said in ``tz``); a cancelled event takes no answer."""
    if event.cancelled:
        raise UserError(f"Event {event.id} is cancelled; there is nothing to answer.")
    if now >= event.ends_at:
        raise UserError(f"Event {event.id} is over.")
    if status != "no":
        if now >= event.starts_at:
            raise UserError(f"Event {event.id} has already begun; RSVPs are closed.")
        if event.rsvp_deadline and now >= event.rsvp_deadline:
            raise UserError(
                f"RSVPs for event {event.id} closed on "
                f"{local_time(event.rsvp_deadline, tz, now=now)}."
            )

"""What members see of an event: its announcement with Going, Maybe and Can't go, its
span in a timezone, the questions of a legislative day, what an answer tells the member, a
reminder, and the event as an RFC 5545 calendar file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar

from bot.offsets import spoken
from bot.options import US_STATES
from bot.reply import Action, Form, FormField, Reply
from bot.timefmt import Moment, Part, Span, TimedText
from storage.events import EventRecord, MeetingRecord, MilestoneRecord, Outcome, Recipient

KIND_LABELS = {
    "legislative-day": "Legislative day",
    "meeting": "Meeting",
    "webinar": "Webinar",
    "rally": "Rally",
    "training": "Training",
}
STATUS_WORDS = {
    "going": "going",
    "maybe": "a maybe",
    "no": "not going",
    "waitlisted": "on the waitlist",
}


def moment(event: EventRecord, at: datetime, tz: ZoneInfo, *, now: datetime) -> Moment:
    """A time of the event, shown in the event's own zone and read by someone in ``tz``
    (the event's zone for a channel post, or a person's, whose time follows where it
    differs); its year is shown when it is not the year of ``now``."""
    return Moment(at, event.timezone, None if tz.key == event.timezone else tz.key, now)


def when(event: EventRecord, tz: ZoneInfo, *, now: datetime) -> Span:
    """The event's span in its own zone, read by someone in ``tz``."""
    return Span(moment(event, event.starts_at, tz, now=now), event.ends_at)


def when_text(event: EventRecord, tz: ZoneInfo, *, now: datetime) -> str:
    """The event's span in its own zone: within a day ("Mon Apr 12, 9:00 AM – 5:00 PM CDT"),
    or with both days (and both zone names, across a daylight-saving change); the year is
    shown when it is not the current one; then the time in ``tz`` where it differs."""
    return when(event, tz, now=now).text()


def rsvp_buttons(event: EventRecord) -> list[Action]:
    """Going, Maybe and Can't go: the typed /event rsvp, as buttons."""
    args = {"id": str(event.id)}
    return [
        Action("Going", "event rsvp", {**args, "status": "going"}, style="primary"),
        Action("Maybe", "event rsvp", {**args, "status": "maybe"}),
        Action("Can't go", "event rsvp", {**args, "status": "no"}),
    ]


def edit_button(event: EventRecord) -> Action:
    """Edit, for organizers: the typed /event edit, which opens the edit form when clicked."""
    return Action("Edit", "event edit", {"id": str(event.id)})


def announcement(event: EventRecord, tz: ZoneInfo | None = None, *, now: datetime) -> Reply:
    """The event as posted in the alert channels, in its own timezone (and, shown to one
    person, with their time in ``tz`` where it differs); once cancelled, "Cancelled" with its
    buttons closed."""
    tz = tz or ZoneInfo(event.timezone)
    if event.cancelled:
        return _cancelled(event, tz, now=now)
    lines: list[str] = [TimedText("When: ", when(event, tz, now=now))]
    if event.place:
        lines.append(f"Where: {event.place}")
    if event.link:
        lines.append(f"Link: {event.link}")
    if event.capacity is not None:
        lines.append(f"Places: {event.capacity:,} (then a waitlist)")
    if event.rsvp_deadline:
        lines.append(TimedText("RSVP by ", moment(event, event.rsvp_deadline, tz, now=now)))
    body = [event.description] if event.description else []
    typed = f"Or type /event rsvp id:{event.id} status:going (or maybe, no)"
    return Reply(
        title=f"{KIND_LABELS[event.kind]}: {event.title} (event {event.id})",
        text=TimedText.join("\n\n", [*body, TimedText.join("\n", lines), typed]),
        actions=[*rsvp_buttons(event), edit_button(event)],
        ephemeral=False,
    )


def _cancelled(event: EventRecord, tz: ZoneInfo, *, now: datetime) -> Reply:
    """A cancelled event's announcement: what it was, that it is cancelled and why."""
    why = f" {event.cancel_reason}" if event.cancel_reason else ""
    lines = [
        f"Cancelled.{why} No reminders will be sent.",
        TimedText("It was to be ", when(event, tz, now=now), "."),
    ]
    closed = [replace(button, disabled=True) for button in rsvp_buttons(event)]
    return Reply(
        title=f"Cancelled: {event.title} (event {event.id})",
        text=TimedText.join("\n", lines),
        actions=closed,
        ephemeral=False,
    )


def edit_form(event: EventRecord) -> Form:
    """The edit form of an event, filled in with what it has now, in its own timezone; for a
    date of a repeating event, it changes that date only (``occurrence:``)."""
    tz = ZoneInfo(event.timezone)

    def typed(at: datetime | None) -> str:
        return "" if at is None else f"{at.astimezone(tz):%Y-%m-%d %H:%M}"

    fields = [
        FormField("title", "Title", default=event.title),
        FormField("start", "Starts", default=typed(event.starts_at), max_length=100),
        FormField("end", "Ends", default=typed(event.ends_at), max_length=100),
        FormField("place", "Where", default=event.place or "", max_length=300),
        FormField("link", "Link", default=event.link or "", max_length=2000),
        FormField(
            "capacity", "Places", default="" if event.capacity is None else str(event.capacity)
        ),
        FormField("rsvp_by", "RSVP by", default=typed(event.rsvp_deadline), max_length=100),
        FormField(
            "description",
            "Description",
            long=True,
            default=event.description or "",
            max_length=3000,
        ),
    ]
    args = {"id": str(event.id)}
    title = f"Edit event {event.id}"
    if event.occurrence_start is not None:  # a date of a repeating event: that date only
        args["occurrence"] = f"{event.occurrence_start.astimezone(tz):%Y-%m-%d}"
        title += " (this date)"
    return Form(title, "event edit", fields, args=args)


def change_note(
    before: EventRecord, after: EventRecord, r: Recipient, tz: ZoneInfo, *, now: datetime
) -> Reply:
    """What changed in an event, for one member coming to it, its times read in ``tz``."""
    lines: list[str] = [TimedText("Changed: ", titled(before, tz, now=now), ".")]
    moved = (before.starts_at, before.ends_at) != (after.starts_at, after.ends_at)
    if moved:
        lines.append(
            TimedText("When: ", when(before, tz, now=now), " → ", when(after, tz, now=now))
        )
    for label, name in (("Title", "title"), ("Where", "place"), ("Link", "link")):
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            lines.append(f"{label}: {old or 'none'} → {new or 'none'}")
    if before.description != after.description:
        lines.append(f"The description is new: /event show id:{after.id}")
    follow = "; your reminders follow the new time" if moved else ""
    lines.append(
        f"You're still {STATUS_WORDS[r.status]}{follow}. If you can't make it now, tap Can't go."
    )
    return Reply(text=TimedText.join("\n", lines), actions=rsvp_buttons(after)[2:], ephemeral=False)


def cancel_note(event: EventRecord, tz: ZoneInfo, *, now: datetime) -> Reply:
    """An event's cancellation, for one member who answered it, its time read in ``tz``."""
    why = f" {event.cancel_reason}" if event.cancel_reason else ""
    return Reply(
        text=TimedText(
            "Cancelled: ",
            titled(event, tz, now=now),
            f".{why} There is nothing more to do; no reminders will be sent.",
        ),
        ephemeral=False,
    )


def start_note(event: EventRecord) -> Reply:
    """The message in an event's channels as it starts."""
    lines = [f"Starting now: “{event.title}” (event {event.id})."]
    if event.place:
        lines.append(f"Where: {event.place}")
    if event.link:
        lines.append(f"Join: {event.link}")
    return Reply(text="\n".join(lines), ephemeral=False)


def rsvp_form(event: EventRecord, defaults: dict[str, str]) -> Form:
    """The questions asked of someone going to a legislative day."""
    fields = [
        FormField("state", "State delegation", True, default=defaults.get("state", "")),
        FormField("district", "Congressional district", default=defaults.get("district", "")),
        FormField("attend", "In person or virtual", choices=("in-person", "virtual")),
        FormField("first_time", "First time?", choices=("yes", "no")),
        FormField(
            "accessibility",
            "Accessibility needs",
            long=True,
            max_length=1000,
            help="only organizers see this",
        ),
        FormField("lead_meeting", "Willing to lead a meeting?", choices=("yes", "no")),
    ]
    return Form(
        f"Going to {event.title}",
        "event rsvp",
        fields,
        args={"id": str(event.id), "status": "going"},
    )


def titled(event: EventRecord, tz: ZoneInfo, *, now: datetime) -> TimedText:
    """“Title” (event N), and its span read by someone in ``tz``."""
    return TimedText(f"“{event.title}” (event {event.id}), ", when(event, tz, now=now))


def told(event: EventRecord, outcome: Outcome, tz: ZoneInfo, *, now: datetime) -> TimedText:
    """What the member is told after answering, the event's times read in ``tz``."""
    name = titled(event, tz, now=now)
    return TimedText(*_told(event, outcome, name))


def _told(event: EventRecord, outcome: Outcome, name: TimedText) -> tuple[Part, ...]:
    if outcome.status == "waitlisted":
        if outcome.previous == "waitlisted":
            return ("You are still on the waitlist for ", name, f": number {outcome.position}.")
        return (
            name,
            f" is full, so you are on the waitlist: number {outcome.position}. "
            "If a place opens up, it is yours and we'll tell you.",
        )
    if outcome.status == outcome.previous == "no":
        return ("You already said you can't go to ", name, ".")
    if outcome.status == outcome.previous:
        return (f"You are already {STATUS_WORDS[outcome.status]} for ", name, ".")
    if outcome.status == "going":
        return (
            "You're going to ",
            name,
            f". Add it to your calendar: /event ics id:{event.id}. See your events: /event mine.",
        )
    if outcome.status == "maybe":
        return ("Noted as a maybe for ", name, "; we'll remind you too.")
    return ("Got it: you can't go to ", name, ".")


def reminder_reply(
    event: EventRecord, r: Recipient, tz: ZoneInfo, offset: str, *, now: datetime
) -> Reply:
    """A reminder of the event for one member, in their timezone; ``offset`` as they chose."""
    lines: list[str] = [
        TimedText(
            f"⏰ “{event.title}” (event {event.id}) starts ",
            moment(event, event.starts_at, tz, now=now),
            f", in {spoken(offset)}. You're {STATUS_WORDS[r.status]}.",
        )
    ]
    if event.place:
        lines.append(f"Where: {event.place}")
    if event.link:
        lines.append(f"Link: {event.link}")
    lines.append(f"Your events: /event mine · calendar file: /event ics id:{event.id}")
    actions = rsvp_buttons(event)[2:] if r.status == "going" else rsvp_buttons(event)[:1]
    return Reply(text=TimedText.join("\n", lines), actions=actions, ephemeral=False)


def organizer_address(contact: str, base_url: str = "") -> str:
    """The address a calendar file names as its organizer: the organization's ``contact``,
    else noreply at the host of the bot's web address, else noreply@localhost."""
    if contact:
        return contact
    host = urlsplit(base_url).hostname if base_url else None
    return f"noreply@{host or 'localhost'}"


def _fold(line: str) -> bytes:
    """A content line folded at 75 octets (RFC 5545 §3.1), never inside a character."""
    out, chunk, limit = [], b"", 75
    for char in line:
        encoded = char.encode()
        if len(chunk) + len(encoded) > limit:
            out.append(chunk)
            chunk, limit = b" ", 75
        chunk += encoded
    out.append(chunk)
    return b"\r\n".join(out) + b"\r\n"


def _organizer_line(name: str, address: str) -> bytes:
    """``ORGANIZER;CN="name":mailto:address``, the name a quoted parameter value: no double
    quote (one becomes ') and no control character in it (RFC 5545 §3.1)."""
    cn = "".join(c for c in name.replace('"', "'") if c == "\t" or (c >= " " and c != "\x7f"))
    return _fold(f'ORGANIZER;CN="{cn}":mailto:{address}')


def _entry(
    uid: str, now: datetime, start: datetime, summary: str, **optional: datetime | str | None
) -> icalendar.Event:
    """One VEVENT: its uid, stamp, start and summary, and each of ``optional`` (``end``,
    ``description``, ``location``, ``url``) that has a value."""
    entry = icalendar.Event()
    entry.add("uid", uid)
    entry.add("dtstamp", now)
    entry.add("dtstart", start)
    entry.add("summary", summary)
    for name, value in optional.items():
        if value:
            entry.add("dtend" if name == "end" else name, value)
    return entry


def _stamp(event: EventRecord) -> str:
    """The part of an event's UIDs that keeps them apart from another database's."""
    return f"{event.created_at:%Y%m%dT%H%M%S}@rallybot"


def event_entry(event: EventRecord, now: datetime) -> icalendar.Event:
    """The event's own VEVENT (an event that is not of a series), with its SEQUENCE and
    STATUS (CANCELLED once cancelled)."""
    tz = ZoneInfo(event.timezone)
    own = _entry(
        f"event-{event.id}-{_stamp(event)}",
        now,
        event.starts_at.astimezone(tz),
        event.title,
        end=event.ends_at.astimezone(tz),
        description=event.description,
        location=event.place,
        url=event.link,
    )
    own.add("sequence", event.sequence)
    own.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    return own


def meeting_entry(event: EventRecord, m: MeetingRecord, now: datetime) -> icalendar.Event:
    """A delegation's meeting of the event, as an entry of its own."""
    delegation = f"{US_STATES.get(m.state, m.state)} delegation, {event.title}"
    return _entry(
        f"meeting-{m.id}-{_stamp(event)}",
        now,
        m.starts_at.astimezone(ZoneInfo(event.timezone)),
        f"Meeting: {m.legislator} ({m.office})",
        description=delegation,
        location=m.place,
    )


def milestone_entry(event: EventRecord, ms: MilestoneRecord, now: datetime) -> icalendar.Event:
    """A milestone of the event, as an entry of its own."""
    summary = f"{ms.title} ({event.title})"
    at = ms.at.astimezone(ZoneInfo(event.timezone))
    return _entry(f"milestone-{ms.id}-{_stamp(event)}", now, at, summary)


def calendar_file(
    entries: Sequence[icalendar.Component],
    moments: Sequence[datetime],
    tz: ZoneInfo,
    *,
    organizer: tuple[str, str],
    properties: Sequence[tuple[str, object]] = (),
) -> bytes:
    """An iCalendar file (METHOD:PUBLISH) of ``entries`` and ``properties`` of the calendar
    itself, with the rules of every zone they use from a year before the first of
    ``moments`` to a year after the last (dates in ``tz``); each entry names ``organizer``
    (name, email address) as RFC 5546 asks of a published entry."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//rallybot//events//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    for name, value in properties:
        cal.add(name, value)
    for entry in entries:
        cal.add_component(entry)
    if moments:
        start, end = min(moments).astimezone(tz).date(), max(moments).astimezone(tz).date()
        cal.add_missing_timezones(
            first_date=start - timedelta(days=366), last_date=end + timedelta(days=366)
        )
    for zone in cal.walk("VTIMEZONE"):
        zone.pop("COMMENT", None)  # RFC 5545 §3.6.5 allows no COMMENT in a VTIMEZONE
    line = _organizer_line(*organizer)
    return cal.to_ical().replace(b"BEGIN:VEVENT\r\n", b"BEGIN:VEVENT\r\n" + line)


def calendar(
    event: EventRecord,
    now: datetime,
    *,
    organizer: tuple[str, str],
    meetings: Sequence[MeetingRecord] = (),
    milestones: Sequence[MilestoneRecord] = (),
    series: Sequence[icalendar.Event] = (),
    span: Sequence[datetime] = (),
) -> bytes:
    """The event as an iCalendar file, its times in its own zone with the zone's rules, with
    ``meetings`` (the asker's delegation's) and ``milestones`` as entries of their own, each
    naming ``organizer`` (name, email address). Each entry of the event carries its SEQUENCE
    and STATUS (CANCELLED once cancelled). For an occurrence of a repeating event, ``series``
    holds the series' entries (its RRULE and overrides) in place of the event's own, and
    ``span`` the times its dates run over."""
    entries = [*(series or [event_entry(event, now)])]
    entries += [meeting_entry(event, m, now) for m in meetings]
    entries += [milestone_entry(event, ms, now) for ms in milestones]
    # the zone's rules from a year before to a year after: enough, and a short file
    moments = [event.starts_at, event.ends_at, *span, *(m.starts_at for m in meetings)]
    moments += [ms.at for ms in milestones]
    return calendar_file(entries, moments, ZoneInfo(event.timezone), organizer=organizer)

"""/event: events and RSVP. Organizers create an event (announced in every alert channel with
Going, Maybe and Can't go), see who comes by status and state delegation, name delegation
leads, add meetings and milestones, and mark attendance afterwards. Members answer once per
person, wait in line past the capacity (and are told when a seat frees up), see their own
events, meetings and milestones, get a calendar file, and are reminded in their own timezone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from bot import posts
from bot.context import Context
from bot.errors import UserError, ValidationError
from bot.messages import Message
from bot.options import (
    NOTIFY,
    US_STATES,
    Choice,
    District,
    Integer,
    Ref,
    Text,
    Timezone,
    Url,
    UsState,
    YesNo,
)
from bot.posts import Unit
from bot.registry import CommandGroup, Role
from bot.reply import Action, File, Form, FormField, Reply, Table
from bot.scheduler import DueContext
from bot.timefmt import local_time
from bot.timeparse import format_duration, parse_duration
from bot.when import parse_moment
from storage import events as store
from storage.events import Details, EventRecord, Outcome, Recipient

group = CommandGroup("event", help="Events and RSVP: legislative days, meetings, rallies")
group.home_section("My RSVPs", "mine", rank=10)

KINDS = ("legislative-day", "meeting", "webinar", "rally", "training")
KIND_LABELS = {
    "legislative-day": "Legislative day",
    "meeting": "Meeting",
    "webinar": "Webinar",
    "rally": "Rally",
    "training": "Training",
}
STATUSES = ("going", "maybe", "no")
DEFAULT_OFFSETS = ("7d", "1d", "2h")
MEETING_OFFSETS = ("1d", "1h")
MILESTONE_OFFSETS = ("1d",)
LONGEST = timedelta(days=14)
_STATUS_WORDS = {
    "going": "going",
    "maybe": "a maybe",
    "no": "not going",
    "waitlisted": "on the waitlist",
}
_BARE_TIME = re.compile(r"(?:at\s+)?(?:\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?|noon|midnight)")


# options ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Offsets(Text):
    """Times before something to be reminded, e.g. ``"7d, 1d, 2h"``; ``none`` for none.
    With ``default_word`` set, that word means "the event's own" (the value None)."""

    max_length: int = 100
    default_word: str = ""

    def convert(self, text: str) -> tuple[str, ...] | None:
        """The offsets, longest first, each written short ("1h30m"); None for the default."""
        folded = text.strip().lower()
        if self.default_word and folded == self.default_word:
            return None
        if folded == "none":
            return ()
        found: dict[timedelta, str] = {}
        for part in (p.strip() for p in re.split(r"[,;]", text)):
            if not part:
                continue
            try:
                delta = parse_duration(part)
            except ValueError:
                raise self.error(f"{part!r} is not a duration; write e.g. 7d, 1d, 2h") from None
            if not timedelta(minutes=1) <= delta <= timedelta(days=365):
                raise self.error(f"{part!r} must be from 1 minute to 365 days")
            found[delta] = format_duration(delta)
        if not found:
            raise self.error("needs at least one duration, e.g. 1d, 2h (or none)")
        if len(found) > 10:
            raise self.error("takes at most 10 durations")
        return tuple(found[d] for d in sorted(found, reverse=True))


@dataclass(frozen=True)
class Accounts(Text):
    """People by their account where the command is typed: ``ana``, ``@ana``, ``<@U123>``,
    comma-separated."""

    def convert(self, text: str) -> tuple[str, ...]:
        """The account ids named, without mention markup, each once."""
        names = []
        for part in (p.strip() for p in text.split(",")):
            # a Slack mention is <@U123|name>, a Discord one <@123> or <@!123>
            cleaned = re.sub(r"^<@!?|>$", "", part).partition("|")[0].lstrip("@").strip()
            if cleaned and cleaned not in names:
                names.append(cleaned)
        if not names:
            raise self.error("must name at least one person, e.g. ana or @ana")
        return tuple(names)


async def suggest_events(ctx: Context, typed: str) -> list[tuple[str, str]]:
    """The organization's events whose number or title holds what was typed: those to come,
    soonest first, then those that are over, the latest first."""
    conn = ctx.repos.conn
    found = await store.upcoming_events(conn, ctx.org.id, ctx.now)
    found += await store.past_events(conn, ctx.org.id, ctx.now)
    tz = ZoneInfo(ctx.org.timezone)
    folded = typed.strip().lower()
    return [
        (f"{e.id}: {e.title} ({local_time(e.starts_at, tz)})", str(e.id))
        for e in found
        if folded in str(e.id) or folded in e.title.lower()
    ][:25]


ID = Ref("id", required=True, help="the event's number, e.g. 3", suggest=suggest_events)
WHEN_HELP = 'e.g. "2027-04-12 09:00" or "4/12 9am", in the event\'s timezone'
CREATE_OPTIONS = (
    Text("title", required=True, max_length=200, help="a short title"),
    Choice(
        "kind",
        required=True,
        values=KINDS,
        aliases=(("legday", "legislative-day"),),
        help="what kind of event",
    ),
    Text("start", required=True, max_length=100, help=f"when it starts, {WHEN_HELP}"),
    Text("end", max_length=100, help='when it ends (a day and time, or "17:00" that day)'),
    Timezone("timezone", help="the event's IANA timezone (default: the organization's)"),
    Text("description", long=True, max_length=3000, help="what it is about"),
    Text("place", max_length=300, help="where it is"),
    Url("link", help="a link to join or read more (http or https)"),
    Integer("capacity", minimum=1, maximum=100_000, help="how many can go (no limit if left out)"),
    Text("rsvp_by", max_length=100, help="the RSVP deadline"),
    Offsets("reminders", help='reminders before the start, default "7d, 1d, 2h"; none for none'),
)
DETAIL_OPTIONS = (
    UsState("state", help="your state delegation, e.g. IL"),
    District("district", help="your congressional district"),
    Choice(
        "attend",
        values=("in-person", "virtual"),
        aliases=(("in person", "in-person"), ("online", "virtual")),
        help="in person or virtual",
    ),
    YesNo("first_time", help="is this your first time?"),
    Text(
        "accessibility",
        long=True,
        max_length=1000,
        help="accessibility needs (only organizers see them)",
    ),
    YesNo("lead_meeting", help="willing to lead a meeting?"),
)


# showing events --------------------------------------------------------------------------


def when_text(event: EventRecord, tz: ZoneInfo) -> str:
    """The event's span in ``tz``: within a day ("Mon Apr 12, 9:00 AM – 5:00 PM CDT"), or
    with both days (and both zone names, across a daylight-saving change)."""
    start, end = event.starts_at.astimezone(tz), event.ends_at.astimezone(tz)
    if start.date() == end.date() and start.tzname() == end.tzname():
        hour = end.strftime("%I").lstrip("0")
        head = local_time(event.starts_at, tz).rsplit(" ", 1)[0]
        return f"{head} – {hour}:{end:%M %p %Z}"
    return f"{local_time(event.starts_at, tz)} – {local_time(event.ends_at, tz)}"


def _buttons(event: EventRecord) -> list[Action]:
    args = {"id": str(event.id)}
    return [
        Action("Going", "event rsvp", {**args, "status": "going"}, style="primary"),
        Action("Maybe", "event rsvp", {**args, "status": "maybe"}),
        Action("Can't go", "event rsvp", {**args, "status": "no"}),
    ]


def _announcement(event: EventRecord, tz: ZoneInfo | None = None) -> Reply:
    """The event as posted in the alert channels, in its own timezone (or in ``tz``)."""
    tz = tz or ZoneInfo(event.timezone)
    lines = [f"When: {when_text(event, tz)}"]
    if event.place:
        lines.append(f"Where: {event.place}")
    if event.link:
        lines.append(f"Link: {event.link}")
    if event.capacity is not None:
        lines.append(f"Places: {event.capacity:,} (then a waitlist)")
    if event.rsvp_deadline:
        lines.append(f"RSVP by {local_time(event.rsvp_deadline, tz)}")
    body = [event.description] if event.description else []
    typed = f"Or type /event rsvp id:{event.id} status:going (or maybe, no)"
    return Reply(
        title=f"{KIND_LABELS[event.kind]}: {event.title} (event {event.id})",
        text="\n\n".join([*body, "\n".join(lines), typed]),
        actions=_buttons(event),
        ephemeral=False,
    )


@group.live_view("event", edit_kind="event")
async def channel_view(ctx: Unit, event_id: int) -> Reply | None:
    """An event's announcement as it should look now, for editing its posts when it changes."""
    event = await store.get_event(ctx.repos.conn, event_id)
    return None if event is None else _announcement(event)


async def _tz_of(ctx: Context) -> ZoneInfo:
    """The caller's timezone: their profile's, else the organization's."""
    member = await ctx.existing_member()
    profile = await ctx.repos.profile(member.id if member else 0)
    return ZoneInfo(profile.timezone or ctx.org.timezone)


def _end(text: str, start: datetime, now: datetime, tz: ZoneInfo) -> datetime:
    """The end: a full time, or a bare time of the start's day (the next day if earlier)."""
    if _BARE_TIME.fullmatch(text.strip().lower()):
        day = start.astimezone(tz).date()
        end = parse_moment(f"{day.isoformat()} {text}", "end", now, tz)
        if end > start:
            return end
        return parse_moment(f"{day + timedelta(days=1)} {text}", "end", now, tz)
    return parse_moment(text, "end", now, tz)


def reminder_time(moment: datetime, offset: str, tz: ZoneInfo) -> datetime:
    """When to remind ``offset`` before ``moment``: whole days on the wall clock of ``tz``
    (a 9:00 event's "1d" reminder is at 9:00 the day before, across a daylight-saving change
    too), then hours and minutes as elapsed time."""
    delta = parse_duration(offset)
    local = moment.astimezone(tz)
    day = local.date() - timedelta(days=delta.days)
    wall = datetime.combine(day, local.time().replace(fold=0), tzinfo=tz)
    return wall.astimezone(UTC) - timedelta(seconds=delta.seconds)


async def _org_event(ctx: Context, event_id: int, *, lock: bool = False) -> EventRecord:
    conn = ctx.repos.conn
    event = await (store.lock_event(conn, event_id) if lock else store.get_event(conn, event_id))
    if event is None or event.org_id != ctx.org.id:
        raise ValidationError("id", f"there is no event {event_id} here; see /event list")
    return event


def _legislative(event: EventRecord, option: str) -> None:
    if event.kind != "legislative-day":
        raise ValidationError(
            option, f"event {event.id} is a {event.kind}; this is for legislative days"
        )


async def _account(ctx: Context, name: str, option: str) -> int:
    """The member behind an account on the caller's platform."""
    member = await ctx.repos.find_member(ctx.platform, name)
    if member is None:
        raise ValidationError(option, f"{name} is not someone the bot knows on {ctx.platform}")
    return member.id


# organizers ------------------------------------------------------------------------------


@group.command(
    "create",
    options=[*CREATE_OPTIONS, NOTIFY],
    role=Role.ORGANIZER,
    form_title="New event",
    help="Create an event and announce it in the alert channels",
)
async def create(
    ctx: Context,
    title: str,
    kind: str,
    start: str,
    end: str | None,
    timezone: str | None,
    description: str | None,
    place: str | None,
    link: str | None,
    capacity: int | None,
    rsvp_by: str | None,
    reminders: tuple[str, ...] | None,
    notify: str | None,
) -> Reply:
    """Store the event, announce it (pinging ``notify``, if asked), and schedule its
    reminders."""
    tz = ZoneInfo(timezone or ctx.org.timezone)
    now = ctx.now
    starts = parse_moment(start, "start", now, tz)
    ends = _end(end, starts, now, tz) if end else starts + timedelta(hours=1)
    if ends <= starts:
        raise ValidationError("end", f"must be after the start, {local_time(starts, tz)}")
    if ends - starts > LONGEST:
        raise ValidationError("end", "must be within 14 days of the start")
    deadline = parse_moment(rsvp_by, "rsvp_by", now, tz) if rsvp_by else None
    if deadline is not None and deadline > starts:
        raise ValidationError("rsvp_by", f"must be before the start, {local_time(starts, tz)}")
    offsets = DEFAULT_OFFSETS if reminders is None else reminders
    member = await ctx.member()
    event = await store.create_event(
        ctx.repos.conn,
        org_id=ctx.org.id,
        title=title,
        description=description,
        kind=kind,
        starts_at=starts,
        ends_at=ends,
        timezone=tz.key,
        place=place,
        link=link,
        capacity=capacity,
        rsvp_deadline=deadline,
        reminder_offsets=offsets,
        created_by=member.id,
        created_at=now,
    )
    for offset in offsets:
        at = reminder_time(starts, offset, tz)
        if at > now:
            await ctx.schedule(
                kind="event_reminder",
                due_at=at,
                key=f"event:{event.id}:remind:{offset}",
                ref_id=event.id,
                org_id=ctx.org.id,
                payload={"offset": offset},
            )
    posted = await posts.announce(
        ctx,
        "event",
        event.id,
        replace(_announcement(event), notify=notify or ""),
        kind="event",
        channels=ctx.org_config.alert_channels,
        org_id=ctx.org.id,
    )
    await ctx.audit(
        "event.create", f"event {event.id}", title=title, kind=kind, notify=notify or ""
    )
    where = posts.place_names(posted) or "no channel (none is configured)"
    reminded = ", ".join(offsets) + " before" if offsets else "no reminders"
    return Reply(
        title=f"Event {event.id} created",
        text=f"{KIND_LABELS[kind]} “{title}”, {when_text(event, tz)}. Announced in {where}; "
        f"reminders {reminded}. See who comes with /event attendees id:{event.id}.",
    )


@group.command(
    "attendees",
    options=[ID],
    role=Role.ORGANIZER,
    help="Who comes, by status and by state delegation, with a CSV file",
)
async def attendees(ctx: Context, id: int) -> Reply:
    """Counts by status and delegation, and every answer as CSV (accessibility included)."""
    event = await _org_event(ctx, id)
    conn = ctx.repos.conn
    people = await store.attendees(conn, id)
    by_status = {s: sum(1 for p in people if p.rsvp.status == s) for s in _STATUS_WORDS}
    leads = await store.leads(conn, id)
    states: dict[str, dict[str, int]] = {}
    for p in people:
        if p.rsvp.status != "no":
            row = states.setdefault(p.rsvp.details.state or "—", dict.fromkeys(_STATUS_WORDS, 0))
            row[p.rsvp.status] += 1
    rows = [
        [
            state,
            str(c["going"]),
            str(c["maybe"]),
            str(c["waitlisted"]),
            leads[state][1] if state in leads else "",
        ]
        for state, c in sorted(states.items())
    ]
    going = f"{by_status['going']}" + (f" of {event.capacity}" if event.capacity else "")
    data = await store.export_rsvps_csv(conn, id)
    await ctx.audit("event.attendees", f"event {id}", answers=len(people))
    return Reply(
        title=f"Event {id}: {event.title}",
        fields=[
            ("going", going),
            ("maybe", str(by_status["maybe"])),
            ("waitlisted", str(by_status["waitlisted"])),
            ("can't go", str(by_status["no"])),
        ],
        table=Table(["delegation", "going", "maybe", "waitlisted", "lead"], rows)
        if rows and event.kind == "legislative-day"
        else None,
        text="Everyone's answers are in the file (accessibility needs included: keep it among "
        "organizers).",
        files=[File(f"event-{id}-rsvps.csv", data, "text/csv")],
    )


@group.command(
    "lead",
    options=[
        ID,
        Accounts("member", required=True, help="who leads: their account here, e.g. ana"),
        UsState("state", help="the delegation (default: the state they go with)"),
    ],
    role=Role.ORGANIZER,
    help="Name a state delegation's lead for a legislative day",
)
async def lead(ctx: Context, id: int, member: tuple[str, ...], state: str | None) -> Reply:
    """Name the lead; they are told by DM."""
    event = await _org_event(ctx, id)
    _legislative(event, "id")
    if len(member) != 1:
        raise ValidationError("member", "names one person")
    member_id = await _account(ctx, member[0], "member")
    rsvp = await store.get_rsvp(ctx.repos.conn, id, member_id)
    if rsvp is None or rsvp.status != "going":
        raise ValidationError("member", f"{member[0]} is not going to event {id}")
    state = state or rsvp.details.state
    if state is None:
        raise ValidationError("state", "is needed: the state of the delegation, e.g. IL")
    if rsvp.details.state not in (None, state):
        raise ValidationError(
            "state", f"{member[0]} goes with the {rsvp.details.state} delegation, not {state}"
        )
    await store.set_lead(ctx.repos.conn, id, state, member_id)
    await ctx.audit("event.lead", f"event {id}", state=state, lead=member_id)
    for r in await store.recipients(
        ctx.repos.conn, id, ctx.org_config.dm_platforms(), member_ids=[member_id]
    ):
        text = (
            f"You lead the {US_STATES[state]} delegation at “{event.title}” (event {id}). "
            f"Your delegation's meetings: /event mine"
        )
        await ctx.messages.to_person(
            r.platform,
            r.user_id,
            Reply(text=text, ephemeral=False),
            kind="event_lead",
            key=f"event:{id}:lead:{state}:{member_id}:{ctx.now.timestamp()}",
            member_id=member_id,
            org_id=ctx.org.id,
        )
    return Reply(text=f"{member[0]} leads the {state} delegation at event {id}.")


@group.command(
    "meeting",
    options=[
        ID,
        UsState("state", required=True, help="the delegation that meets"),
        Text("office", required=True, max_length=200, help="whose office, e.g. Sen. Duckworth's"),
        Text("legislator", required=True, max_length=200, help="the member of Congress"),
        Text("at", required=True, max_length=100, help=f"when, {WHEN_HELP}"),
        Text("place", max_length=300, help="where, e.g. Hart 524"),
    ],
    role=Role.ORGANIZER,
    form_title="New delegation meeting",
    help="Add a delegation's meeting with a member of Congress",
)
async def meeting(
    ctx: Context, id: int, state: str, office: str, legislator: str, at: str, place: str | None
) -> Reply:
    """Store the meeting; the delegation sees it in /event mine and is reminded of it."""
    event = await _org_event(ctx, id)
    _legislative(event, "id")
    tz = ZoneInfo(event.timezone)
    starts = parse_moment(at, "at", ctx.now, tz)
    found = await store.add_meeting(ctx.repos.conn, id, state, office, legislator, starts, place)
    for offset in MEETING_OFFSETS:
        due = reminder_time(starts, offset, tz)
        if due > ctx.now:
            await ctx.schedule(
                kind="event_meeting",
                due_at=due,
                key=f"meeting:{found.id}:remind:{offset}",
                ref_id=found.id,
                org_id=ctx.org.id,
                payload={"offset": offset},
            )
    await ctx.audit("event.meeting", f"event {id}", state=state, legislator=legislator)
    return Reply(
        text=f"Meeting added for the {state} delegation: {legislator} ({office}), "
        f"{local_time(starts, tz)}" + (f", {place}" if place else "") + ". "
        f"Its members see it in /event mine and are reminded {', '.join(MEETING_OFFSETS)} before."
    )


@group.command(
    "milestone",
    options=[
        ID,
        Text("title", required=True, max_length=200, help='e.g. "Hotel block ends"'),
        Text("at", required=True, max_length=100, help=f"when, {WHEN_HELP}"),
        Offsets("reminders", help='reminders before it, default "1d"'),
    ],
    role=Role.ORGANIZER,
    help="Add a dated item to an event (registration closes, briefing call)",
)
async def milestone(
    ctx: Context, id: int, title: str, at: str, reminders: tuple[str, ...] | None
) -> Reply:
    """Store the milestone and schedule its own reminders to those going (and maybe)."""
    event = await _org_event(ctx, id)
    tz = ZoneInfo(event.timezone)
    moment = parse_moment(at, "at", ctx.now, tz)
    offsets = MILESTONE_OFFSETS if reminders is None else reminders
    found = await store.add_milestone(ctx.repos.conn, id, title, moment, offsets)
    for offset in offsets:
        due = reminder_time(moment, offset, tz)
        if due > ctx.now:
            await ctx.schedule(
                kind="event_milestone",
                due_at=due,
                key=f"milestone:{found.id}:remind:{offset}",
                ref_id=found.id,
                org_id=ctx.org.id,
                payload={"offset": offset},
            )
    await ctx.audit("event.milestone", f"event {id}", title=title, at=moment.isoformat())
    reminded = ", ".join(offsets) + " before" if offsets else "no reminders"
    return Reply(
        text=f"Milestone added to event {id}: {title}, {local_time(moment, tz)} ({reminded})."
    )


@group.command(
    "attendance",
    options=[
        ID,
        Accounts("members", required=True, help="who: accounts here, comma-separated"),
        Choice(
            "status",
            required=True,
            values=("attended", "no-show"),
            aliases=(("noshow", "no-show"), ("present", "attended"), ("absent", "no-show")),
            help="attended or no-show",
        ),
    ],
    role=Role.ORGANIZER,
    help="After the event, mark who attended and who did not show",
)
async def attendance(ctx: Context, id: int, members: tuple[str, ...], status: str) -> Reply:
    """Mark attendance for follow-up, once the event has begun."""
    event = await _org_event(ctx, id)
    tz = ZoneInfo(event.timezone)
    if ctx.now < event.starts_at:
        raise ValidationError(
            "id",
            f"event {id} has not begun; mark attendance from {local_time(event.starts_at, tz)}",
        )
    ids = []
    for name in members:
        member_id = await _account(ctx, name, "members")
        rsvp = await store.get_rsvp(ctx.repos.conn, id, member_id)
        if rsvp is None or rsvp.status not in ("going", "maybe"):
            raise ValidationError("members", f"{name} did not say they were going to event {id}")
        ids.append(member_id)
    await store.mark_attendance(ctx.repos.conn, id, ids, status)
    await ctx.audit("event.attendance", f"event {id}", status=status, members=len(ids))
    return Reply(text=f"Marked {status} at event {id}: {', '.join(members)}.")


# members ---------------------------------------------------------------------------------


def _rsvp_form(event: EventRecord, defaults: dict[str, str]) -> Form:
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


def _told(event: EventRecord, outcome: Outcome, tz: ZoneInfo) -> str:
    """What the member is told after answering."""
    name = f"“{event.title}” (event {event.id}), {when_text(event, tz)}"
    if outcome.status == "waitlisted":
        if outcome.previous == "waitlisted":
            return f"You are still on the waitlist for {name}: number {outcome.position}."
        return (
            f"{name} is full, so you are on the waitlist: number {outcome.position}. "
            "If a place opens up, it is yours and we'll tell you."
        )
    if outcome.status == outcome.previous == "no":
        return f"You already said you can't go to {name}."
    if outcome.status == outcome.previous:
        return f"You are already {_STATUS_WORDS[outcome.status]} for {name}."
    if outcome.status == "going":
        return (
            f"You're going to {name}. Add it to your calendar: /event ics id:{event.id}. "
            f"See your events: /event mine."
        )
    if outcome.status == "maybe":
        return f"Noted as a maybe for {name}; we'll remind you too."
    return f"Got it: you can't go to {name}."


async def _tell_promoted(ctx: Context, event: EventRecord, promoted: tuple[int, ...]) -> None:
    """DM each member given a seat from the waitlist, in their own timezone."""
    if not promoted:
        return
    record, org = ctx.services.orgs.by_id(event.org_id)
    for r in await store.recipients(
        ctx.repos.conn, event.id, org.dm_platforms(), member_ids=list(promoted)
    ):
        tz = ZoneInfo(r.timezone or record.timezone)
        text = (
            f"Good news: a place opened up and you're going to “{event.title}” "
            f"(event {event.id}), {when_text(event, tz)}. If you can't make it after all, "
            f"tap Can't go so the next person gets it."
        )
        await ctx.messages.to_person(
            r.platform,
            r.user_id,
            Reply(text=text, actions=_buttons(event)[2:], ephemeral=False),
            kind="event_promoted",
            key=f"event:{event.id}:promoted:{r.member_id}:{ctx.now.timestamp()}",
            member_id=r.member_id,
            org_id=event.org_id,
        )


@group.command(
    "rsvp",
    options=[
        ID,
        Choice(
            "status",
            required=True,
            values=STATUSES,
            aliases=(("yes", "going"), ("cant-go", "no"), ("can't go", "no"), ("not", "no")),
            help="going, maybe or no",
        ),
        *DETAIL_OPTIONS,
    ],
    form_title="RSVP",
    help="Answer an event: going, maybe or no",
)
async def rsvp(
    ctx: Context,
    id: int,
    status: str,
    state: str | None,
    district: str | None,
    attend: str | None,
    first_time: bool | None,
    accessibility: str | None,
    lead_meeting: bool | None,
) -> Reply:
    """One answer per person; past the capacity, Going joins the waitlist. The event's lock
    is taken only for the counting and the change, so answers wait for each other briefly."""
    event = await _org_event(ctx, id)
    details = Details(state, district, attend, first_time, accessibility, lead_meeting)
    given = [
        name
        for name, value in zip(_DETAIL_OPTION_NAMES, vars(details).values(), strict=True)
        if value is not None
    ]
    if given and event.kind != "legislative-day":
        raise ValidationError(
            given[0], f"is asked only for legislative days; event {id} is not one"
        )
    if given and status != "going":
        raise ValidationError(given[0], "is asked only of those going")
    tz = await _tz_of(ctx)
    now = ctx.now
    if now >= event.ends_at:
        raise UserError(f"Event {id} is over.")
    if status != "no":
        if now >= event.starts_at:
            raise UserError(f"Event {id} has already begun; RSVPs are closed.")
        if event.rsvp_deadline and now >= event.rsvp_deadline:
            raise UserError(
                f"RSVPs for event {id} closed on {local_time(event.rsvp_deadline, tz)}."
            )
    conn = ctx.repos.conn
    known = await ctx.existing_member()
    before = None if known is None else await store.get_rsvp(conn, id, known.id)
    asks = event.kind == "legislative-day" and status == "going"
    if asks and state is None and (before is None or before.details.state is None):
        profile = await ctx.repos.profile(known.id if known else 0)
        if ctx.invocation.interactive:
            defaults = {"state": profile.state or "", "district": profile.district or ""}
            return Reply(
                text="A few questions for the legislative day.", form=_rsvp_form(event, defaults)
            )
        if profile.state is None:
            raise ValidationError(
                "state", "is needed to go to a legislative day (your state delegation), e.g. IL"
            )
        details = Details(
            profile.state,
            district or profile.district,
            attend,
            first_time,
            accessibility,
            lead_meeting,
        )
    member = await ctx.member()
    event = await _org_event(ctx, id, lock=True)
    outcome = await store.answer(
        conn,
        event,
        member.id,
        status,
        platform=ctx.platform,
        details=details,
        now=now,
        before=await store.get_rsvp(conn, id, member.id),
    )
    await _tell_promoted(ctx, event, outcome.promoted)
    updated = outcome.status == outcome.previous and any(
        value is not None for value in vars(details).values()
    )
    if updated:
        return Reply(text=f"Your details for event {id} are updated.")
    return Reply(text=_told(event, outcome, tz))


_DETAIL_OPTION_NAMES = tuple(opt.name for opt in DETAIL_OPTIONS)


@group.command("list", help="Events to come", read_only=True)
async def list_events(ctx: Context) -> Reply:
    """Upcoming events with places left, in the caller's timezone."""
    events = await store.upcoming_events(ctx.repos.conn, ctx.org.id, ctx.now)
    if not events:
        return Reply(text="There are no events coming up.")
    counts = await store.counts_of(ctx.repos.conn, [e.id for e in events])
    tz = await _tz_of(ctx)
    rows = []
    for e in events:
        c = counts[e.id]
        going = f"{c['going']}" + (f"/{e.capacity}" if e.capacity else "")
        if c["waitlisted"]:
            going += f" (+{c['waitlisted']} waiting)"
        rows.append([f"event {e.id}", e.title, KIND_LABELS[e.kind], when_text(e, tz), going])
    return Reply(
        title="Events",
        table=Table(["event", "title", "kind", "when", "going"], rows),
        text="See one with /event show id:N; answer with /event rsvp id:N status:going "
        "(or maybe, no).",
    )


@group.command("show", options=[ID], help="One event, with its buttons", read_only=True)
async def show(ctx: Context, id: int) -> Reply:
    """The event as announced, in the caller's timezone, with their answer and milestones."""
    event = await _org_event(ctx, id)
    tz = await _tz_of(ctx)
    reply = _announcement(event, tz)
    extra = [
        f"{ms.title}: {local_time(ms.at, tz)}"
        for ms in await store.milestones(ctx.repos.conn, id)
        if ms.at > ctx.now
    ]
    member = await ctx.existing_member()
    rsvp = None if member is None else await store.get_rsvp(ctx.repos.conn, id, member.id)
    if rsvp is not None:
        status = _STATUS_WORDS[rsvp.status]
        if rsvp.status == "waitlisted":
            status += f", number {await store.position(ctx.repos.conn, id, rsvp.member_id)}"
        extra.append(f"You are {status}.")
    if ctx.now >= event.ends_at:
        extra.append("This event is over.")
        reply.actions = []
    if extra:
        reply.text += "\n\n" + "\n".join(extra)
    reply.ephemeral = True
    return reply


@group.command("mine", help="Your events, meetings and milestones", read_only=True)
async def mine(ctx: Context) -> Reply:
    """The caller's events to come: their answer, delegation, meetings and milestones."""
    member = await ctx.existing_member()
    conn = ctx.repos.conn
    found = [] if member is None else await store.member_rsvps(conn, member.id, ctx.org.id, ctx.now)
    found = [(e, r) for e, r in found if r.status != "no"]
    if not found:
        return Reply(text="You have no events coming up. See /event list.")
    tz = await _tz_of(ctx)
    blocks = []
    for event, r in found:
        status = _STATUS_WORDS[r.status]
        if r.status == "waitlisted":
            status += f", number {await store.position(conn, event.id, r.member_id)}"
        lines = [f"**{event.title} (event {event.id})**: {status}", when_text(event, tz)]
        if event.place:
            lines.append(f"Where: {event.place}")
        if event.link:
            lines.append(f"Link: {event.link}")
        d = r.details
        if event.kind == "legislative-day" and d.state:
            leads = await store.leads(conn, event.id)
            lead_name = leads[d.state][1] if d.state in leads else "not named yet"
            lines.append(f"Delegation: {US_STATES[d.state]} (lead: {lead_name})")
            for m in await store.meetings(conn, event.id, d.state):
                where = f", {m.place}" if m.place else ""
                lines.append(
                    f"Meeting: {m.legislator} ({m.office}), {local_time(m.starts_at, tz)}{where}"
                )
            if d.accessibility:
                lines.append("Your accessibility needs are noted; only organizers see them.")
        for ms in await store.milestones(conn, event.id):
            if ms.at > ctx.now:
                lines.append(f"{ms.title}: {local_time(ms.at, tz)}")
        offsets = event.reminder_offsets if r.reminder_offsets is None else r.reminder_offsets
        reminded = ", ".join(offsets) + " before" if offsets else "none"
        lines.append(f"Reminders: {reminded} (change: /event remind id:{event.id} offsets:…)")
        blocks.append("\n".join(lines))
    return Reply(title="Your events", text="\n\n".join(blocks))


@group.command(
    "remind",
    options=[
        ID,
        Offsets(
            "offsets",
            required=True,
            default_word="default",
            help='when before the start, e.g. "1d, 1h"; none, or default for the event\'s',
        ),
    ],
    help="Choose your own reminder times for an event",
)
async def remind(ctx: Context, id: int, offsets: tuple[str, ...] | None) -> Reply:
    """Set the caller's own offsets (or go back to the event's) and schedule them."""
    event = await _org_event(ctx, id)
    member = await ctx.existing_member()
    rsvp = None if member is None else await store.get_rsvp(ctx.repos.conn, id, member.id)
    if member is None or rsvp is None or rsvp.status not in ("going", "maybe"):
        raise ValidationError("id", f"you are not going to event {id}; answer with /event rsvp")
    await store.set_reminder_offsets(ctx.repos.conn, id, member.id, offsets)
    tz = await _tz_of(ctx)
    if offsets is None:
        shown = ", ".join(event.reminder_offsets) + " before" if event.reminder_offsets else "none"
        return Reply(text=f"You get event {id}'s own reminders: {shown}.")
    times = []
    for offset in offsets:
        at = reminder_time(event.starts_at, offset, ZoneInfo(event.timezone))
        if at > ctx.now:
            await ctx.schedule(
                kind="event_member_reminder",
                due_at=at,
                key=f"event:{id}:member:{member.id}:remind:{offset}",
                ref_id=id,
                member_id=member.id,
                org_id=ctx.org.id,
                payload={"offset": offset},
            )
            times.append(local_time(at, tz))
    if not offsets:
        return Reply(text=f"No reminders for event {id}.")
    shown = "; ".join(times) if times else "none still ahead"
    return Reply(text=f"Your reminders for event {id}: {shown}.")


@group.command("ics", options=[ID], help="The event as a calendar file (.ics)", read_only=True)
async def ics(ctx: Context, id: int) -> Reply:
    """An RFC 5545 file with the event in its timezone (VTIMEZONE included)."""
    event = await _org_event(ctx, id)
    return Reply(
        text=f"Event {id} for your calendar: open the file, or import it.",
        files=[File(f"event-{id}.ics", calendar(event, ctx.now), "text/calendar")],
    )


def calendar(event: EventRecord, now: datetime) -> bytes:
    """The event as an iCalendar file, its times in its own zone with the zone's rules."""
    tz = ZoneInfo(event.timezone)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//rallybot//events//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    entry = icalendar.Event()
    entry.add("uid", f"event-{event.id}-{event.created_at:%Y%m%dT%H%M%S}@rallybot")
    entry.add("dtstamp", now)
    entry.add("dtstart", event.starts_at.astimezone(tz))
    entry.add("dtend", event.ends_at.astimezone(tz))
    entry.add("summary", event.title)
    if event.description:
        entry.add("description", event.description)
    if event.place:
        entry.add("location", event.place)
    if event.link:
        entry.add("url", event.link)
    cal.add_component(entry)
    # the zone's rules from a year before to a year after: enough, and a short file
    start, end = event.starts_at.astimezone(tz).date(), event.ends_at.astimezone(tz).date()
    cal.add_missing_timezones(
        first_date=start - timedelta(days=366), last_date=end + timedelta(days=366)
    )
    return cal.to_ical()


# reminders -------------------------------------------------------------------------------


def spoken(offset: str) -> str:
    """An offset as words: "7d" is "7 days", "1h30m" is "1 hour 30 minutes"."""
    units = {"d": "day", "h": "hour", "m": "minute", "s": "second"}
    parts = re.findall(r"(\d+)([dhms])", offset)
    return " ".join(f"{n} {units[u]}{'' if n == '1' else 's'}" for n, u in parts) or offset


def _reminder(event: EventRecord, r: Recipient, tz: ZoneInfo, offset: str) -> Reply:
    """A reminder of the event for one member, in their timezone; ``offset`` as they chose."""
    lines = [
        f"⏰ “{event.title}” (event {event.id}) starts {local_time(event.starts_at, tz)} "
        f"(in {spoken(offset)}). You're {_STATUS_WORDS[r.status]}."
    ]
    if event.place:
        lines.append(f"Where: {event.place}")
    if event.link:
        lines.append(f"Link: {event.link}")
    lines.append(f"Your events: /event mine · calendar file: /event ics id:{event.id}")
    actions = _buttons(event)[2:] if r.status == "going" else _buttons(event)[:1]
    return Reply(text="\n".join(lines), actions=actions, ephemeral=False)


async def _event_reminders(ctx: DueContext, *, own: bool) -> None:
    events = await store.get_events(ctx.conn, [i.ref_id for i in ctx.items if i.ref_id])
    messages: list[Message] = []
    for item in ctx.items:
        event = events.get(item.ref_id or 0)
        if event is None or ctx.missed(item) or event.starts_at <= ctx.now:
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
            reply = _reminder(event, r, tz, offset or "")
            messages.append(
                Message(
                    r.platform, "user", r.user_id, reply, f"{item.key}:{r.member_id}", r.member_id
                )
            )
    await ctx.messages.add_all(messages, kind="event_reminder")


@group.on_due("event_reminder")
async def event_reminder(ctx: DueContext) -> None:
    """The event's own reminders, to those going or maybe who kept the event's times."""
    await _event_reminders(ctx, own=False)


@group.on_due("event_member_reminder")
async def member_reminder(ctx: DueContext) -> None:
    """A member's own reminder times, if they still want them and are still coming."""
    await _event_reminders(ctx, own=True)


@group.on_due("event_meeting")
async def meeting_reminder(ctx: DueContext) -> None:
    """Remind a delegation of its meeting."""
    found = await store.get_meetings(ctx.conn, [i.ref_id for i in ctx.items if i.ref_id])
    events = await store.get_events(ctx.conn, sorted({m.event_id for m in found.values()}))
    messages: list[Message] = []
    for item in ctx.items:
        m = found.get(item.ref_id or 0)
        if m is None or ctx.missed(item):
            continue
        event = events[m.event_id]
        record, org = ctx.services.orgs.by_id(event.org_id)
        for r in await store.recipients(ctx.conn, event.id, org.dm_platforms(), state=m.state):
            tz = ZoneInfo(r.timezone or record.timezone)
            where = f", {m.place}" if m.place else ""
            text = (
                f"⏰ Your {m.state} delegation meets {m.legislator} ({m.office}) "
                f"{local_time(m.starts_at, tz)}{where}, during “{event.title}” (event {event.id})."
            )
            reply = Reply(text=text, ephemeral=False)
            messages.append(
                Message(
                    r.platform, "user", r.user_id, reply, f"{item.key}:{r.member_id}", r.member_id
                )
            )
    await ctx.messages.add_all(messages, kind="event_reminder")


@group.on_due("event_milestone")
async def milestone_reminder(ctx: DueContext) -> None:
    """Remind those going (and maybe) of a milestone."""
    found = await store.get_milestones(ctx.conn, [i.ref_id for i in ctx.items if i.ref_id])
    events = await store.get_events(ctx.conn, sorted({m.event_id for m in found.values()}))
    messages: list[Message] = []
    for item in ctx.items:
        ms = found.get(item.ref_id or 0)
        if ms is None or ctx.missed(item):
            continue
        event = events[ms.event_id]
        record, org = ctx.services.orgs.by_id(event.org_id)
        for r in await store.recipients(ctx.conn, event.id, org.dm_platforms()):
            tz = ZoneInfo(r.timezone or record.timezone)
            text = f"⏰ “{event.title}” (event {event.id}): {ms.title}, {local_time(ms.at, tz)}."
            reply = Reply(text=text, ephemeral=False)
            messages.append(
                Message(
                    r.platform, "user", r.user_id, reply, f"{item.key}:{r.member_id}", r.member_id
                )
            )
    await ctx.messages.add_all(messages, kind="event_reminder")


# privacy and the digest ------------------------------------------------------------------


@group.on_export
async def export(ctx: Context, member_id: int) -> list[dict[str, object]]:
    """A member's answers to events, with the details they gave, for /privacy export."""
    return await store.member_data(ctx.repos.conn, member_id)


async def _free_seats(ctx: Context, event_ids: list[int]) -> None:
    """Give seats that came free to the waitlist, and tell those promoted."""
    for event_id in event_ids:
        event = await store.lock_event(ctx.repos.conn, event_id)
        if event is not None:
            await _tell_promoted(ctx, event, await store.promote(ctx.repos.conn, event, ctx.now))


@group.on_erase
async def erase(ctx: Context, member_id: int) -> None:
    """Answers are erased with their details (accessibility needs too); seats go on."""
    seated = await store.seated_events(ctx.repos.conn, member_id)
    for event_id in seated:
        await store.lock_event(ctx.repos.conn, event_id)
    await store.forget_member(ctx.repos.conn, member_id)
    await _free_seats(ctx, seated)


@group.on_merge
async def merge(ctx: Context, keep: int, drop: int) -> None:
    """One answer per person per event when /link joins two members."""
    await _free_seats(ctx, await store.merge_members(ctx.repos.conn, keep, drop))


@group.on_digest
async def digest(ctx: DueContext, org_id: int, since: datetime) -> list[str]:
    """Events of the coming two weeks with how many are going."""
    events = await store.upcoming_events(ctx.conn, org_id, ctx.now, ctx.now + LONGEST)
    if not events:
        return []
    counts = await store.counts_of(ctx.conn, [e.id for e in events])
    tz = ZoneInfo(ctx.services.orgs.by_id(org_id)[0].timezone)
    lines = ["Upcoming events:"]
    for e in events:
        lines.append(
            f"• Event {e.id}: {e.title}, {when_text(e, tz)}: {counts[e.id]['going']} going"
        )
    return ["\n".join(lines)]

"""The organizers' /event commands: create (announced in the alert channels, reminders
scheduled), attendees, lead, meeting, milestone and attendance."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from bot import posts
from bot.context import Context
from bot.errors import ValidationError
from bot.offsets import Offsets, schedule_reminders
from bot.options import (
    NOTIFY,
    US_STATES,
    Choice,
    Text,
    UsState,
)
from bot.registry import Role
from bot.reply import File, Reply, Table
from bot.timefmt import TimedText, local_time
from bot.when import parse_moment
from bot.wording import plural
from commands.events import group
from commands.events.access import account_member, org_event, tz_of
from commands.events.due import schedule_event_work
from commands.events.mirrors import sync_mirrors
from commands.events.options import (
    CREATE_OPTIONS,
    DEFAULT_OFFSETS,
    ID,
    MEETING_OFFSETS,
    MILESTONE_OFFSETS,
    REPEAT_OPTIONS,
    START_MESSAGE,
    WHEN_HELP,
    Accounts,
)
from commands.events.render import KIND_LABELS, STATUS_WORDS, announcement, moment, when_text
from commands.events.repeating import Planned, check_series_ends, create_series
from commands.events.rules import check_legislative, event_times
from storage import events as store


@group.command(
    "create",
    options=[*CREATE_OPTIONS, START_MESSAGE, *REPEAT_OPTIONS, NOTIFY],
    role=Role.ORGANIZER,
    form_title="New event",
    help="Create an event (or a repeating one) and announce it in the alert channels",
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
    start_message: bool | None,
    repeat: str | None,
    until: str | None,
    count: int | None,
    notify: str | None,
) -> Reply:
    """Store the event, announce it (pinging ``notify``, if asked), and schedule its
    reminders and its start message; with ``repeat``, a series whose occurrences are made
    and announced as they come near."""
    tz = ZoneInfo(timezone or ctx.org.timezone)
    now = ctx.now
    starts, ends, deadline = event_times(start, end, rsvp_by, now, tz)
    offsets = DEFAULT_OFFSETS if reminders is None else reminders
    check_series_ends(repeat, until, count)
    member = await ctx.member()
    if repeat is not None:
        first = Planned(
            title,
            kind,
            tz,
            starts,
            ends,
            deadline,
            description,
            place,
            link,
            capacity,
            offsets,
            start_message is not False,
        )
        return await create_series(ctx, first, repeat, until, count, notify or "", member.id)
    event = await store.create_event(
        ctx.conn,
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
        start_message=start_message is not False,
    )
    await schedule_event_work(ctx, event)
    posted = await posts.announce(
        ctx,
        "event",
        event.id,
        replace(announcement(event, now=now), notify=notify or ""),
        kind="event",
        channels=ctx.org_config.alert_channels,
        org_id=ctx.org.id,
    )
    await sync_mirrors(ctx, event)
    await ctx.audit(
        "event.create", f"event {event.id}", title=title, kind=kind, notify=notify or ""
    )
    where = posts.place_names(posted, ctx.org_config) or "no channel (none is configured)"
    reminded = (
        f"{plural(len(offsets), 'reminder')} {', '.join(offsets)} before"
        if offsets
        else "no reminders"
    )
    return Reply(
        title=f"Event {event.id} created",
        text=TimedText(
            f"{KIND_LABELS[kind]} “{title}”, {when_text(event, tz, now=now)}. Announced in ",
            where,
            f"; {reminded}. See who comes with /event attendees id:{event.id}.",
        ),
    )


@group.command(
    "attendees",
    options=[ID],
    role=Role.ORGANIZER,
    help="Who comes, by status and by state delegation, with a CSV file",
)
async def attendees(ctx: Context, id: int) -> Reply:
    """Counts by status and delegation, and every answer as CSV (accessibility included)."""
    event = await org_event(ctx, id)
    conn = ctx.conn
    people = await store.attendees(conn, id)
    by_status = {s: sum(1 for p in people if p.rsvp.status == s) for s in STATUS_WORDS}
    leads = await store.leads(conn, id)
    states: dict[str, dict[str, int]] = {}
    for p in people:
        if p.rsvp.status != "no":
            row = states.setdefault(p.rsvp.details.state or "—", dict.fromkeys(STATUS_WORDS, 0))
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
    event = await org_event(ctx, id)
    check_legislative(event, "id")
    if len(member) != 1:
        raise ValidationError("member", "names one person")
    member_id = await account_member(ctx, member[0], "member")
    rsvp = await store.get_rsvp(ctx.conn, id, member_id)
    if rsvp is None or rsvp.status != "going":
        raise ValidationError("member", f"{member[0]} is not going to event {id}")
    state = state or rsvp.details.state
    if state is None:
        raise ValidationError("state", "is needed: the state of the delegation, e.g. IL")
    if rsvp.details.state not in (None, state):
        raise ValidationError(
            "state", f"{member[0]} goes with the {rsvp.details.state} delegation, not {state}"
        )
    await store.set_lead(ctx.conn, id, state, member_id)
    await ctx.audit("event.lead", f"event {id}", state=state, lead=member_id)
    for r in await store.recipients(
        ctx.conn, id, ctx.org_config.dm_platforms(), member_ids=[member_id]
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
    event = await org_event(ctx, id)
    check_legislative(event, "id")
    tz = ZoneInfo(event.timezone)
    starts = parse_moment(at, "at", ctx.now, tz)
    found = await store.add_meeting(ctx.conn, id, state, office, legislator, starts, place)
    await schedule_reminders(
        ctx,
        "event_meeting",
        f"meeting:{found.id}",
        starts,
        MEETING_OFFSETS,
        tz,
        ref_id=found.id,
        org_id=ctx.org.id,
    )
    await ctx.audit("event.meeting", f"event {id}", state=state, legislator=legislator)
    return Reply(
        text=TimedText(
            f"Meeting added for the {state} delegation (meeting {found.id}): {legislator} "
            f"({office}), ",
            moment(event, starts, await tz_of(ctx), now=ctx.now),
            (f", {place}" if place else "") + ". "
            f"Its members see it in /event mine and are reminded "
            f"{', '.join(MEETING_OFFSETS)} before.",
        )
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
    event = await org_event(ctx, id)
    tz = ZoneInfo(event.timezone)
    at_time = parse_moment(at, "at", ctx.now, tz)
    offsets = MILESTONE_OFFSETS if reminders is None else reminders
    found = await store.add_milestone(ctx.conn, id, title, at_time, offsets)
    await schedule_reminders(
        ctx,
        "event_milestone",
        f"milestone:{found.id}",
        at_time,
        offsets,
        tz,
        ref_id=found.id,
        org_id=ctx.org.id,
    )
    await ctx.audit("event.milestone", f"event {id}", title=title, at=at_time.isoformat())
    reminded = (
        f"{plural(len(offsets), 'reminder')} {', '.join(offsets)} before"
        if offsets
        else "no reminders"
    )
    return Reply(
        text=TimedText(
            f"Milestone added to event {id} (milestone {found.id}): {title}, ",
            moment(event, at_time, await tz_of(ctx), now=ctx.now),
            f" ({reminded}).",
        )
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
    event = await org_event(ctx, id)
    tz = ZoneInfo(event.timezone)
    if ctx.now < event.starts_at:
        raise ValidationError(
            "id",
            f"event {id} has not begun; mark attendance from "
            f"{local_time(event.starts_at, tz, now=ctx.now)}",
        )
    ids = []
    for name in members:
        member_id = await account_member(ctx, name, "members")
        rsvp = await store.get_rsvp(ctx.conn, id, member_id)
        if rsvp is None or rsvp.status not in ("going", "maybe"):
            raise ValidationError("members", f"{name} did not say they were going to event {id}")
        ids.append(member_id)
    await store.mark_attendance(ctx.conn, id, ids, status)
    await ctx.audit("event.attendance", f"event {id}", status=status, members=len(ids))
    return Reply(text=f"Marked {status} at event {id}: {', '.join(members)}.")

"""The members' /event commands: rsvp (one answer per person; past the capacity, a place
on the waitlist), list, show, mine, remind (their own reminder times) and ics."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.context import Context
from bot.errors import ValidationError
from bot.offsets import Offsets, schedule_reminders
from bot.options import (
    US_STATES,
    Choice,
)
from bot.registry import Role
from bot.reply import File, Reply, Table
from bot.timefmt import TimedText
from commands.events import group
from commands.events import series as rolling
from commands.events.access import org_event, tz_of
from commands.events.calendar import series_entries
from commands.events.due import fresh_version
from commands.events.items import listed_for_organizers
from commands.events.occurrences import named_occurrence
from commands.events.options import DETAIL_OPTIONS, ID, OCCURRENCE, STATUSES
from commands.events.render import (
    KIND_LABELS,
    STATUS_WORDS,
    announcement,
    calendar,
    moment,
    organizer_address,
    rsvp_form,
    told,
    when,
    when_text,
)
from commands.events.rules import check_answer_open, check_changeable, check_details
from commands.events.waitlist import tell_promoted
from storage import event_changes as changes
from storage import events as store
from storage import members
from storage import series as series_store
from storage.events import Details


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
        OCCURRENCE,
    ],
    form_title="RSVP",
    help="Answer an event: going, maybe or no. For a repeating event, id: is any of its "
    "dates and occurrence:DATE picks the date you answer (e.g. occurrence:12/8)",
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
    occurrence: str | None,
) -> Reply:
    """One answer per person; past the capacity, Going joins the waitlist. The event's lock
    is taken only for the counting and the change, so answers wait for each other briefly.
    ``occurrence`` names one date of a repeating event: the answer is for that date only."""
    event = await org_event(ctx, id)
    if occurrence is not None:
        event = await named_occurrence(ctx, event, occurrence)
        id = event.id
    details = Details(state, district, attend, first_time, accessibility, lead_meeting)
    check_details(event, status, details)
    tz = await tz_of(ctx)
    now = ctx.now
    check_answer_open(event, status, now, tz)
    conn = ctx.conn
    known = await ctx.existing_member()
    before = None if known is None else await store.get_rsvp(conn, id, known.id)
    asks = event.kind == "legislative-day" and status == "going"
    if asks and state is None and (before is None or before.details.state is None):
        profile = await members.profile(ctx.conn, known.id if known else 0)
        if ctx.invocation.interactive:
            defaults = {"state": profile.state or "", "district": profile.district or ""}
            return Reply(
                text="A few questions for the legislative day.", form=rsvp_form(event, defaults)
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
    event = await org_event(ctx, id, lock=True, read=event)
    if ctx.member_is_new:
        before = None  # stored just now: no answer yet
    elif known is None or not store.one_writer(conn):
        before = await store.get_rsvp(conn, id, member.id)  # read again under the lock
    outcome = await store.answer(
        conn,
        event,
        member.id,
        status,
        platform=ctx.platform,
        details=details,
        now=now,
        before=before,
    )
    await tell_promoted(ctx, event, outcome.promoted)
    updated = outcome.status == outcome.previous and any(
        value is not None for value in vars(details).values()
    )
    if updated:
        return Reply(text=f"Your details for event {id} are updated.")
    answer = told(event, outcome, tz, now=now)
    if outcome.previous == "going" and outcome.status != "going":
        led = await changes.drop_lead(conn, id, member.id)
        if led:
            await ctx.audit("event.lead_left", f"event {id}", states=",".join(led))
            answer = TimedText(
                answer,
                f" You no longer lead the {', '.join(led)} delegation; organizers can name "
                "another lead.",
            )
    return Reply(text=answer)


@group.command("list", help="Events to come", read_only=True)
async def list_events(ctx: Context) -> Reply:
    """Upcoming events with places left, in the caller's timezone."""
    events = await store.upcoming_events(ctx.conn, ctx.org.id, ctx.now)
    if not events:
        return Reply(text="There are no events coming up.")
    counts = await store.counts_of(ctx.conn, [e.id for e in events])
    tz = await tz_of(ctx)
    repeats = await rolling.repeats_of(ctx, events)
    rows = []
    for e in events:
        c = counts[e.id]
        going = f"{c['going']}" + (f"/{e.capacity}" if e.capacity else "")
        if c["waitlisted"]:
            going += f" (+{c['waitlisted']} waiting)"
        shown = when_text(e, tz, now=ctx.now)
        if e.id in repeats:
            shown += f"; {repeats[e.id]}"
        rows.append([f"event {e.id}", e.title, KIND_LABELS[e.kind], shown, going])
    return Reply(
        title="Events",
        table=Table(["event", "title", "kind", "when", "going"], rows),
        text="See one with /event show id:N; answer with /event rsvp id:N status:going "
        "(or maybe, no).",
    )


@group.command("show", options=[ID], help="One event, with its buttons", read_only=True)
async def show(ctx: Context, id: int) -> Reply:
    """The event as announced, in the caller's timezone, with their answer and milestones."""
    event = await org_event(ctx, id)
    tz = await tz_of(ctx)
    reply = announcement(event, tz, now=ctx.now)
    organizer = await ctx.effective_role() >= Role.ORGANIZER
    extra: list[str] = (
        await listed_for_organizers(ctx, event)
        if organizer
        else [
            TimedText(f"{ms.title}: ", moment(event, ms.at, tz, now=ctx.now))
            for ms in await store.milestones(ctx.conn, id)
            if ms.at > ctx.now
        ]
    )
    note = await rolling.series_note(ctx, event)
    if note:
        extra.insert(0, note)
    member = await ctx.existing_member()
    rsvp = None if member is None else await store.get_rsvp(ctx.conn, id, member.id)
    if rsvp is not None:
        status = STATUS_WORDS[rsvp.status]
        if rsvp.status == "waitlisted":
            status += f", number {await store.position(ctx.conn, id, rsvp.member_id)}"
        extra.append(f"You are {status}.")
    if ctx.now >= event.ends_at and not event.cancelled:
        extra.append("This event is over.")
        reply.actions = []
    if not organizer:
        reply.actions = [a for a in reply.actions if a.command != "event edit"]
    if extra:
        reply.text = TimedText.join("\n\n", [reply.text, TimedText.join("\n", extra)])
    reply.ephemeral = True
    return reply


@group.command("mine", help="Your events, meetings and milestones", read_only=True)
async def mine(ctx: Context) -> Reply:
    """The caller's events to come: their answer, delegation, meetings and milestones."""
    member = await ctx.existing_member()
    conn = ctx.conn
    found = [] if member is None else await store.member_rsvps(conn, member.id, ctx.org.id, ctx.now)
    found = [(e, r) for e, r in found if r.status != "no"]
    if not found:
        return Reply(text="You have no events coming up. See /event list.")
    tz = await tz_of(ctx)
    blocks = []
    for event, r in found:
        status = STATUS_WORDS[r.status]
        if r.status == "waitlisted":
            status += f", number {await store.position(conn, event.id, r.member_id)}"
        lines: list[str] = [
            f"**{event.title} (event {event.id})**: {status}",
            TimedText(when(event, tz, now=ctx.now)),
        ]
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
                    TimedText(
                        f"Meeting: {m.legislator} ({m.office}), ",
                        moment(event, m.starts_at, tz, now=ctx.now),
                        where,
                    )
                )
            if d.accessibility:
                lines.append("Your accessibility needs are noted; only organizers see them.")
        for ms in await store.milestones(conn, event.id):
            if ms.at > ctx.now:
                lines.append(TimedText(f"{ms.title}: ", moment(event, ms.at, tz, now=ctx.now)))
        if r.status == "waitlisted":  # reminders go to those with a place (going or maybe)
            lines.append("Reminders: from when a place opens up for you.")
        else:
            offsets = event.reminder_offsets if r.reminder_offsets is None else r.reminder_offsets
            reminded = ", ".join(offsets) + " before" if offsets else "none"
            lines.append(f"Reminders: {reminded} (change: /event remind id:{event.id} offsets:…)")
        blocks.append(TimedText.join("\n", lines))
    return Reply(title="Your events", text=TimedText.join("\n\n", blocks))


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
    event = await org_event(ctx, id)
    member = await ctx.existing_member()
    rsvp = None if member is None else await store.get_rsvp(ctx.conn, id, member.id)
    if member is None or rsvp is None or rsvp.status not in ("going", "maybe"):
        raise ValidationError("id", f"you are not going to event {id}; answer with /event rsvp")
    check_changeable(event, ctx.now)
    await store.set_reminder_offsets(ctx.conn, id, member.id, offsets)
    # the member's earlier times give way to these, scheduled under keys of their own
    await ctx.cancel_due("event_member_reminder", id, member.id)
    tz = await tz_of(ctx)
    if offsets is None:
        shown = ", ".join(event.reminder_offsets) + " before" if event.reminder_offsets else "none"
        return Reply(text=f"You get event {id}'s own reminders: {shown}.")
    scheduled = await schedule_reminders(
        ctx,
        "event_member_reminder",
        f"event:{id}:member:{member.id}:{fresh_version()}",
        event.starts_at,
        offsets,
        ZoneInfo(event.timezone),
        ref_id=id,
        member_id=member.id,
        org_id=ctx.org.id,
    )
    times: list[str] = [TimedText(moment(event, at, tz, now=ctx.now)) for at in scheduled]
    if not offsets:
        return Reply(text=f"No reminders for event {id}.")
    shown = TimedText.join("; ", times) if times else "none still ahead"
    return Reply(text=TimedText(f"Your reminders for event {id}: ", shown, "."))


@group.command(
    "ics",
    options=[ID],
    help="The event as a calendar file (.ics); a repeating event with every date",
    read_only=True,
)
async def ics(ctx: Context, id: int) -> Reply:
    """An RFC 5545 file with the event in its timezone (VTIMEZONE included), its milestones
    and, for a member going to a legislative day, their delegation's meetings."""
    event = await org_event(ctx, id)
    conn = ctx.conn
    member = await ctx.existing_member()
    rsvp = None if member is None else await store.get_rsvp(conn, id, member.id)
    state = rsvp.details.state if rsvp is not None and rsvp.status != "no" else None
    meetings = (
        await store.meetings(conn, id, state) if event.kind == "legislative-day" and state else []
    )
    organizer = (ctx.org_config.name, organizer_address(ctx.org_config.contact))
    series = (
        None if event.series_id is None else await series_store.get_series(conn, event.series_id)
    )
    entries, span = (
        ([], [])
        if series is None
        else series_entries(series, await series_store.occurrences(conn, series.id), ctx.now)
    )
    data = calendar(
        event,
        ctx.now,
        organizer=organizer,
        meetings=meetings,
        milestones=await store.milestones(conn, id),
        series=entries,
        span=span,
    )
    return Reply(
        text=f"Event {id} for your calendar: open the file, or import it.",
        files=[File(f"event-{id}.ics", data, "text/calendar")],
    )

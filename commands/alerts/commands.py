"""The members' /alert commands: list, show (with their own script and contacts), sign,
acted, decline and withdraw; one answer of each kind per person across platforms."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import posts
from bot.context import Context
from bot.errors import UserError, ValidationError
from bot.registry import Role
from bot.reply import Form, FormField, Reply, Table
from bot.timefmt import Moment, TimedText, local_time
from commands.alerts import group
from commands.alerts.access import caller, org_alert
from commands.alerts.options import ID, SIGN_OPTIONS
from commands.alerts.render import KIND_LABELS, alert_dm, tally_line
from commands.alerts.rules import OPEN, check_open, closed_at
from storage import alerts as store
from storage.alerts import AlertRecord, NewResponse
from storage.members import MemberRecord, ProfileRecord


@group.command(
    "list", help="Open alerts (organizers also see drafts and scheduled ones)", read_only=True
)
async def list_alerts(ctx: Context) -> Reply:
    """Alerts to act on now, with their deadlines and counts."""
    organizer = await ctx.effective_role() >= Role.ORGANIZER
    states = ("draft", "scheduled", "sent") if organizer else OPEN
    found = await store.org_alerts(ctx.conn, ctx.org.id, states)
    alerts = [a for a in found if a.state != "sent" or closed_at(a, ctx.now) is None]
    if not alerts:
        return Reply(text="There are no open alerts right now.")
    counts = await store.counts_of(ctx.conn, [a.id for a in alerts])
    _, tz = await caller(ctx)
    rows = []
    for a in alerts:
        closes = local_time(a.deadline, tz, now=ctx.now) if a.deadline else "—"
        row = [f"alert {a.id}", a.title, KIND_LABELS[a.kind], closes, tally_line(a, counts[a.id])]
        rows.append([*row, a.state] if organizer else row)
    headers = ["alert", "title", "kind", "closes", "so far"] + (["state"] if organizer else [])
    return Reply(
        title="Action alerts",
        table=Table(headers, rows),
        text="See one with your script and contacts: /alert show id:N",
    )


@group.command(
    "show", options=[ID], help="An alert with your own script and contacts", read_only=True
)
async def show(ctx: Context, id: int) -> Reply:
    """The alert as it is sent to the caller, whether or not they take alert DMs."""
    alert = await org_alert(ctx, id)
    if alert.state in ("draft", "scheduled") and await ctx.effective_role() < Role.ORGANIZER:
        raise UserError(f"Alert {id} has not been sent yet.")
    who, tz = await caller(ctx)
    reply = alert_dm(alert, await store.alert_targets(ctx.conn, id), who, tz, now=ctx.now)
    closed = closed_at(alert, ctx.now)
    if alert.state == "cancelled":
        reply.text = TimedText("Cancelled: this alert was sent in error.\n\n", reply.text)
        reply.actions = []
    elif closed is not None:
        reply.text = TimedText(
            "Closed on ", Moment(closed, tz.key, now=ctx.now), ".\n\n", reply.text
        )
        reply.actions = []
    reply.ephemeral = True
    return reply


@dataclass(frozen=True)
class _Answering:
    """What every answer needs: the open alert, the member and their profile, their earlier
    answers (kind → when), their timezone, and a response carrying their state and platform."""

    alert: AlertRecord
    member: MemberRecord
    profile: ProfileRecord
    answers: dict[str, datetime]
    tz: ZoneInfo
    base: NewResponse


async def _answering(ctx: Context, alert_id: int) -> _Answering:
    alert = await org_alert(ctx, alert_id)
    member = await ctx.member()
    profile = await ctx.profile()
    tz = ZoneInfo(profile.timezone or ctx.org.timezone)
    check_open(alert, ctx.now, tz)
    answers = {} if ctx.member_is_new else await store.member_answers(ctx.conn, alert_id, member.id)
    base = NewResponse(alert_id, member.id, "", ctx.platform, profile.state, ctx.now)
    return _Answering(alert, member, profile, answers, tz, base)


async def _thanks(ctx: Context, alert: AlertRecord, text: str) -> Reply:
    """Answer with the live count, and have the channel tallies refreshed (coalesced)."""
    counts = await store.counts(ctx.conn, alert.id)
    await posts.refresh_soon(ctx, "alert", alert.id, org_id=ctx.org.id)
    return Reply(text=f"{text} Alert {alert.id} so far: {tally_line(alert, counts)}.")


@group.command("sign", options=SIGN_OPTIONS, form_title="Sign on", help="Sign an alert's letter")
async def sign(
    ctx: Context,
    id: int,
    name: str | None,
    title: str | None,
    institution: str | None,
    city: str | None,
    state: str | None,
) -> Reply:
    """Sign once per person; interactively, confirm first how the signature reads."""
    a = await _answering(ctx, id)
    if a.alert.kind != "sign-on":
        raise ValidationError(
            "id", f"alert {id} is not a sign-on letter; say you acted with /alert acted id:{id}"
        )
    if "signed" in a.answers:
        when = Moment(a.answers["signed"], a.tz.key, now=ctx.now)
        return Reply(text=TimedText(f"You already signed alert {id} on ", when, "."))
    profile = a.profile
    if name is None and ctx.invocation.interactive:
        carried = _signature(
            profile.name or a.member.display_name, profile.institution, profile.state
        )
        fields = [
            FormField("name", "Name", True, default=profile.name or a.member.display_name),
            FormField("title", "Job title", default=profile.title or ""),
            FormField("institution", "Library or system", default=profile.institution or ""),
            FormField("city", "City", default=profile.city or ""),
            FormField("state", "State", default=profile.state or "", max_length=40),
        ]
        return Reply(
            text=f"Your signature will read: {carried}.\nChange any field below, then sign.",
            form=Form(f"Sign alert {id}", "alert sign", fields, args={"id": str(id)}),
        )
    signed = replace(
        a.base,
        kind="signed",
        state=state or profile.state,
        name=name or profile.name or a.member.display_name,
        title=title or profile.title,
        institution=institution or profile.institution,
        city=city or profile.city,
    )
    await store.add_response(ctx.conn, signed)
    if "declined" in a.answers:
        await store.remove_response(ctx.conn, id, a.member.id, "declined")
    return await _thanks(ctx, a.alert, f"Thank you for signing, {signed.name}.")


def _signature(name: str, institution: str | None, state: str | None) -> str:
    """The name, library and state a signature carries, as the signer reads it first."""
    return f"{name}, {institution or 'no library given'}, {state or 'no state given'}"


@group.command("acted", options=[ID], help="Say you took the action an alert asks for")
async def acted(ctx: Context, id: int) -> Reply:
    """Record, once per person, that they acted."""
    a = await _answering(ctx, id)
    if "acted" in a.answers:
        when = Moment(a.answers["acted"], a.tz.key, now=ctx.now)
        return Reply(
            text=TimedText(f"You already told us you acted on alert {id} (", when, "). Thank you!")
        )
    await store.add_response(ctx.conn, replace(a.base, kind="acted"))
    if "declined" in a.answers:
        await store.remove_response(ctx.conn, id, a.member.id, "declined")
    return await _thanks(ctx, a.alert, "Thank you for taking action!")


@group.command("decline", options=[ID], help="Say an alert is not for you")
async def decline(ctx: Context, id: int) -> Reply:
    """Record, once per person, that the alert is not for them (no nudge follows)."""
    a = await _answering(ctx, id)
    if "signed" in a.answers:
        return Reply(
            text=f"You already signed alert {id}, so you stay counted. "
            f"To take your signature off, use /alert withdraw id:{id}."
        )
    if "acted" in a.answers:
        return Reply(text=f"You already acted on alert {id}, so you stay counted. Thank you!")
    if "declined" not in a.answers:
        await store.add_response(ctx.conn, replace(a.base, kind="declined"))
    return Reply(text=f"Got it: alert {id} is not for you. We won't remind you about it.")


@group.command("withdraw", options=[ID], help="Take your signature off an alert before it closes")
async def withdraw(ctx: Context, id: int) -> Reply:
    """Remove the caller's signature while the alert is open."""
    alert = await org_alert(ctx, id)
    member = await ctx.existing_member()
    _, tz = await caller(ctx)
    check_open(alert, ctx.now, tz)
    if member is None or not await store.remove_response(ctx.conn, id, member.id, "signed"):
        return Reply(text=f"You have not signed alert {id}.")
    return await _thanks(ctx, alert, f"Your signature on alert {id} is withdrawn.")

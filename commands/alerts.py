"""/alert: action alerts. Organizers create one (seeing a preview), send it now or at a time;
it is posted in every alert channel and sent by DM to its audience, each member with their
own script and contacts. Members sign on, say they acted, or say it is not for them, once per
person across platforms; channel posts show one live tally, edited at most once per interval.
A nudge goes out before the deadline, and at the deadline the alert closes.
"""

from __future__ import annotations

import csv
import io
import re
import string
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import posts
from bot.context import Context
from bot.errors import UserError, ValidationError
from bot.messages import Message
from bot.options import (
    NOTIFY,
    US_STATES,
    Choice,
    District,
    Option,
    Ref,
    Text,
    TextList,
    Url,
    UsState,
)
from bot.posts import Unit
from bot.registry import CommandGroup, Role
from bot.reply import Action, File, Form, FormField, Reply, Table
from bot.scheduler import DueContext
from bot.timefmt import local_time
from bot.vocabulary import CLASSIFICATION_ALIASES, CLASSIFICATIONS, LIBRARY_TYPES
from bot.when import parse_moment
from storage import alerts as store
from storage.alerts import AlertRecord, Counts, NewResponse, Recipient, TargetRecord
from storage.queue import DueRow
from storage.repos import MemberRecord, ProfileRecord

group = CommandGroup("alert", help="Action alerts: sign on, call, email, show up")
group.home_section("Open alerts and my actions", "list", rank=20)

KINDS = ("sign-on", "call", "email", "show-up", "other")
KIND_LABELS = {
    "sign-on": "Sign-on letter",
    "call": "Call",
    "email": "Email",
    "show-up": "Show up",
    "other": "Action",
}
PLACEHOLDERS = ("name", "state", "target")
_PLACEHOLDER_RULE = "the placeholders are {name}, {state} and {target}"
_TARGET_COLUMNS = "state,district,name,office,phone,email"
_OPEN = ("sent",)


# options ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListOf(TextList):
    """Comma-separated values, each checked by ``item`` (a state, a library type, …)."""

    item: Option = field(default_factory=lambda: Text("item"))

    def convert(self, text: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.item.convert(value) for value in super().convert(text)))


@dataclass(frozen=True)
class Script(Text):
    """What to say, with {name}, {state} and {target} filled in per member."""

    max_length: int = 2000
    long: bool = True

    def convert(self, text: str) -> str:
        try:
            parts = list(string.Formatter().parse(text))
        except ValueError:
            raise self.error(f"has a {{ or }} without its pair; {_PLACEHOLDER_RULE}") from None
        for _, name, spec, conversion in parts:
            if name is not None and (name not in PLACEHOLDERS or spec or conversion):
                shown = "{" + name + (f"!{conversion}" if conversion else "") + "}"
                raise self.error(f"{shown} is not a placeholder; {_PLACEHOLDER_RULE}")
        return text


def _placeholders(script: str) -> set[str]:
    """The placeholders a (valid) script uses."""
    return {name for _, name, _, _ in string.Formatter().parse(script) if name}


@dataclass(frozen=True)
class Targets(Text):
    """CSV rows ``state,district,name,office,phone,email``, one a line or separated by ``;``,
    with an optional header row; district, office, phone and email may be left empty."""

    max_length: int = 3000
    long: bool = True

    def convert(self, text: str) -> tuple[TargetRecord, ...]:
        targets: list[TargetRecord] = []
        for number, line in enumerate(re.split(r"\r?\n|;", text), 1):
            cells = [cell.strip() for cell in next(csv.reader([line]), [])]
            if not any(cells):
                continue
            if not targets and cells[0].lower() == "state":
                continue
            targets.append(self._row(number, cells))
        if not targets:
            raise self.error(f"has no rows; write {_TARGET_COLUMNS}, one contact a line")
        return tuple(targets)

    def _row(self, number: int, cells: list[str]) -> TargetRecord:
        def refuse(rule: str) -> ValidationError:
            return self.error(f"row {number}: {rule}")

        if not 3 <= len(cells) <= 6:
            raise refuse(f"needs {_TARGET_COLUMNS} (3 to 6 values, got {len(cells)})")
        state, district, name, office, phone, email = [*cells, "", "", ""][:6]
        try:
            state = UsState("targets").convert(state)
            district = District("targets").convert(district) if district else ""
        except ValidationError:
            raise refuse(
                f"{state!r} and {district!r} must be a US state code such as IL and a "
                "district number from 1 to 53, AL or nothing"
            ) from None
        if not name:
            raise refuse("the name is missing")
        for column, value, limit in (("name", name, 200), ("office", office, 200)):
            if len(value) > limit:
                raise refuse(f"the {column} must be at most {limit} characters")
        if len(phone) > 40 or (phone and not re.fullmatch(r"[0-9+().\-\s x]+", phone)):
            raise refuse(f"{phone[:40]!r} is not a phone number")
        if email and (len(email) > 200 or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email)):
            raise refuse(f"{email[:200]!r} is not an email address")
        return TargetRecord(
            state, district or None, name, office or None, phone or None, email or None
        )


async def suggest_alerts(ctx: Context, typed: str) -> list[tuple[str, str]]:
    """The organization's alerts whose number or title holds what was typed, newest first:
    open ones for everyone, drafts and scheduled ones too for organizers."""
    organizer = await ctx.effective_role() >= Role.ORGANIZER
    states = ("draft", "scheduled", "sent") if organizer else _OPEN
    found = await store.org_alerts(ctx.repos.conn, ctx.org.id, states)
    folded = typed.strip().lower()
    return [
        (f"{a.id}: {a.title}", str(a.id))
        for a in found
        if (a.state != "sent" or _closed(a, ctx.now) is None)
        and (folded in str(a.id) or folded in a.title.lower())
    ][:25]


ID = Ref("id", required=True, help="the alert's number, e.g. 7", suggest=suggest_alerts)
CREATE_OPTIONS = (
    Text("title", required=True, max_length=200, help="a short title"),
    Text("body", required=True, long=True, max_length=3000, help="what is happening and why"),
    Choice(
        "kind",
        required=True,
        values=KINDS,
        aliases=(("letter", "sign-on"), ("signon", "sign-on"), ("showup", "show-up")),
        help="what members are asked to do",
    ),
    Url("link", help="a page with more (http or https)"),
    ListOf("states", item=UsState("states"), max_items=56, help="only members in these states"),
    ListOf(
        "library_types",
        item=Choice("library_types", values=LIBRARY_TYPES),
        help="only these library types",
    ),
    ListOf(
        "classifications",
        item=Choice("classifications", values=CLASSIFICATIONS, aliases=CLASSIFICATION_ALIASES),
        help="only these worker classifications",
    ),
    Text(
        "deadline", max_length=100, help='when it closes, e.g. "friday 5pm" or "2026-12-01 17:00"'
    ),
    Script("script", help="what to say, with {name}, {state} and {target} filled in"),
    Targets("targets", help=f"who to contact: CSV rows {_TARGET_COLUMNS}"),
)
SIGN_OPTIONS = (
    ID,
    Text("name", max_length=100, help="your name as it should appear on the letter"),
    Text("title", max_length=100, help="your job title"),
    Text("institution", max_length=150, help="your library or system"),
    Text("city", max_length=100, help="your city"),
    UsState("state", help="your state"),
)


# what members see ------------------------------------------------------------------------


def _buttons(alert: AlertRecord, *, disabled: bool = False) -> list[Action]:
    sign_on = alert.kind == "sign-on"

    def button(label: str, action: str, style: str = "default") -> Action:
        args = {"id": str(alert.id)}
        return Action(label, f"alert {action}", args, style=style, disabled=disabled)

    return [
        *([button("Sign on", "sign", "primary")] if sign_on else []),
        button("I took action", "acted", "default" if sign_on else "primary"),
        button("Not for me", "decline"),
    ]


def _typed(alert: AlertRecord) -> str:
    actions = (["sign"] if alert.kind == "sign-on" else []) + ["acted", "decline"]
    return "Or type " + " · ".join(f"/alert {a} id:{alert.id}" for a in actions)


def _tally(alert: AlertRecord, counts: Counts) -> str:
    acted = f"{counts.acted} acted"
    return f"{counts.signed} signed · {acted}" if alert.kind == "sign-on" else acted


def _closed(alert: AlertRecord, now: datetime) -> datetime | None:
    """When the alert closed (its deadline may have passed before the closing ran)."""
    if alert.state == "closed":
        return alert.closed_at or alert.deadline
    if alert.deadline is not None and alert.deadline <= now:
        return alert.deadline
    return None


def _alert_reply(
    alert: AlertRecord, tz: ZoneInfo, middle: list[str], end: list[str], *, closed: bool = False
) -> Reply:
    """The alert as members see it: body, ``middle``, link, deadline, ``end``, buttons."""
    lines = [alert.body, *middle]
    if alert.link:
        lines.append(f"More: {alert.link}")
    if alert.deadline and not closed:
        lines.append(f"Closes {local_time(alert.deadline, tz)}.")
    lines += end if closed else [*end, _typed(alert)]
    return Reply(
        title=f"{KIND_LABELS[alert.kind]}: {alert.title} (alert {alert.id})",
        text="\n\n".join(lines),
        actions=_buttons(alert, disabled=closed),
        ephemeral=False,
    )


def _post(alert: AlertRecord, counts: Counts, tz: ZoneInfo) -> Reply:
    """The alert as posted in a channel, with the live tally (or the final one)."""
    tally = _tally(alert, counts)
    if alert.state == "closed":
        end = [f"Closed. Final: {tally}. Thank you, everyone who took part."]
        return _alert_reply(alert, tz, [], end, closed=True)
    return _alert_reply(
        alert, tz, [], [tally, f"Your script and contacts: /alert show id:{alert.id}"]
    )


def _contact(target: TargetRecord) -> str:
    details = ", ".join(p for p in (target.office, target.phone, target.email) if p)
    return f"{target.name} ({details})" if details else target.name


def _dm(alert: AlertRecord, targets: list[TargetRecord], who: Recipient, tz: ZoneInfo) -> Reply:
    """The alert for one member: their script and their contacts."""
    state_name = US_STATES.get(who.state or "", "your state")
    mine = [
        t
        for t in targets
        if t.state == who.state
        and (t.district is None or who.district is None or t.district == who.district)
    ]
    contacts = "; ".join(_contact(t) for t in mine)
    middle = []
    if alert.script:
        filled = alert.script.format(
            name=who.name, state=state_name, target=contacts or "your representative"
        )
        middle.append(f"What to say:\n{filled}")
    if mine and "target" not in _placeholders(alert.script or ""):
        middle.append(f"Who to contact: {contacts}")
    elif targets and who.state:
        middle.append(f"This alert lists no one to contact in {state_name}.")
    elif targets:
        middle.append("Set your state (e.g. /profile state:IL) to see who to contact.")
    return _alert_reply(alert, tz, middle, [])


async def _caller(ctx: Context) -> tuple[Recipient, ZoneInfo]:
    """The caller as a recipient (for a preview, or /alert show), and their timezone."""
    member = await ctx.existing_member()
    profile = await ctx.repos.profile(member.id if member else 0)
    shown_name = member.display_name if member else ctx.invocation.display_name
    who = Recipient(
        member.id if member else 0,
        ctx.platform,
        ctx.invocation.user_id,
        profile.name or shown_name or ctx.invocation.user_id,
        profile.state,
        profile.district,
        profile.timezone,
    )
    return who, ZoneInfo(profile.timezone or ctx.org.timezone)


async def _org_alert(ctx: Context, alert_id: int) -> AlertRecord:
    alert = await store.get_alert(ctx.repos.conn, alert_id)
    if alert is None or alert.org_id != ctx.org.id:
        raise ValidationError("id", f"there is no alert {alert_id} here; see /alert list")
    return alert


def _check_open(alert: AlertRecord, now: datetime, tz: ZoneInfo) -> None:
    if alert.state in ("draft", "scheduled"):
        raise UserError(f"Alert {alert.id} has not been sent yet.")
    closed = _closed(alert, now)
    if closed is not None:
        raise UserError(f"Alert {alert.id} closed on {local_time(closed, tz)}.")


# organizers ------------------------------------------------------------------------------


@group.command(
    "create",
    options=CREATE_OPTIONS,
    role=Role.ORGANIZER,
    form_title="New action alert",
    help="Create an alert as a draft and see a preview",
)
async def create(
    ctx: Context,
    title: str,
    body: str,
    kind: str,
    link: str | None,
    states: tuple[str, ...] | None,
    library_types: tuple[str, ...] | None,
    classifications: tuple[str, ...] | None,
    deadline: str | None,
    script: str | None,
    targets: tuple[TargetRecord, ...] | None,
) -> Reply:
    """Store a draft alert and show it as members will see it."""
    org_tz = ZoneInfo(ctx.org.timezone)
    closes = parse_moment(deadline, "deadline", ctx.now, org_tz) if deadline else None
    if script and not targets and "target" in _placeholders(script):
        raise ValidationError(
            "script", "uses {target}, which needs targets (targets:…); or write who to contact"
        )
    audience = {
        "states": list(states or ()),
        "library_types": list(library_types or ()),
        "classifications": list(classifications or ()),
    }
    member = await ctx.member()
    conn = ctx.repos.conn
    alert = await store.create_alert(
        conn,
        org_id=ctx.org.id,
        title=title,
        body=body,
        kind=kind,
        link=link,
        audience=audience,
        script=script,
        deadline=closes,
        created_by=member.id,
        now=ctx.now,
        targets=list(targets or ()),
    )
    alert_id = alert.id
    await ctx.audit("alert.create", f"alert {alert_id}", title=title, kind=kind)
    who, tz = await _caller(ctx)
    dm = _dm(alert, list(targets or ()), who, tz)
    reach = len(await store.audience(conn, ctx.org.id, audience, ctx.org_config.dm_platforms()))
    channels = posts.place_names(posts.places(ctx.org_config.alert_channels))
    buttons = "  ".join(f"[{b.label}]" for b in dm.actions if isinstance(b, Action))
    text = (
        f"Members will see (the script is filled in from your profile as an example):\n\n"
        f"**{dm.title}**\n{dm.text}\n{buttons}\n\n"
        f"It goes by DM to {reach} member{'s' if reach != 1 else ''} of its audience who take "
        f"alert DMs and is posted in {channels or 'no channel (none is configured)'}. "
        f"Send it with the button or /alert send id:{alert_id}, or later with "
        f'/alert send id:{alert_id} at:"tomorrow 9am".'
    )
    return Reply(
        title=f"Preview of alert {alert_id} (draft)",
        text=text,
        actions=[Action("Send now", "alert send", {"id": str(alert_id)}, style="primary")],
    )


@group.command(
    "send",
    options=[
        ID,
        Text("at", max_length=100, help='when to send it, e.g. "tomorrow 9am"; now if left out'),
        NOTIFY,
    ],
    role=Role.ORGANIZER,
    help="Send an alert now, or at a time",
)
async def send(ctx: Context, id: int, at: str | None, notify: str | None) -> Reply:
    """Schedule the fan-out (now or at ``at``), the nudge and the closing. ``notify`` is kept
    with the fan-out, so the channel posts ping what was asked whenever they go out."""
    alert = await _org_alert(ctx, id)
    tz, now = ZoneInfo(ctx.org.timezone), ctx.now
    if alert.state != "draft":
        done = "scheduled" if alert.state == "scheduled" else "sent"
        return Reply(text=f"Alert {id} is already {done}; see /alert status id:{id}.")
    send_at = parse_moment(at, "at", now, tz) if at else now
    if alert.deadline is not None:
        if alert.deadline <= now:
            raise ValidationError(
                "id", f"alert {id}'s deadline has passed; create it again with a later one"
            )
        if send_at >= alert.deadline:
            raise ValidationError(
                "at", f"must be before the deadline, {local_time(alert.deadline, tz)}"
            )
    if not await store.mark_scheduled(ctx.repos.conn, id, send_at):
        return Reply(text=f"Alert {id} is already sent or scheduled.")
    common = {"ref_id": id, "org_id": ctx.org.id}
    await ctx.schedule(
        kind="alert_send",
        due_at=send_at,
        key=f"alert:{id}:send",
        payload={"notify": notify} if notify else None,
        **common,
    )
    if alert.deadline is not None:
        nudge_at = alert.deadline - ctx.services.config.alerts.nudge_before
        if send_at < nudge_at < alert.deadline:
            await ctx.schedule(
                kind="alert_nudge", due_at=nudge_at, key=f"alert:{id}:nudge", **common
            )
        await ctx.schedule(
            kind="alert_close", due_at=alert.deadline, key=f"alert:{id}:close", **common
        )
    await ctx.audit("alert.send", f"alert {id}", at=send_at.isoformat(), notify=notify or "")
    when = local_time(send_at, tz) if at else "now"
    pinging = f" (pinging {notify})" if notify else ""
    return Reply(
        text=f"Alert {id} goes out {when}: posted in the alert channels{pinging} and sent by DM "
        f"to its audience. Follow it with /alert status id:{id}."
    )


@group.command(
    "status",
    options=[ID],
    role=Role.ORGANIZER,
    help="An alert's answers and deliveries",
    read_only=True,
)
async def status(ctx: Context, id: int) -> Reply:
    """Answers by state and platform, and how its messages are getting out."""
    alert = await _org_alert(ctx, id)
    conn = ctx.repos.conn
    totals = await store.counts(conn, id)
    figures = await store.delivery_figures(conn, id)
    rows: list[list[str]] = []
    for by in ("state", "platform"):
        for value, found in sorted((await store.breakdown(conn, id, by)).items()):
            rows.append(
                [f"{by} {value}", *(str(found[k]) for k in ("signed", "acted", "declined"))]
            )

    def delivery(found: dict[str, int]) -> str:
        queued = found.get("pending", 0) + found.get("sending", 0)
        return f"{queued} queued · {found.get('sent', 0)} sent · {found.get('failed', 0)} failed"

    tz = ZoneInfo(ctx.org.timezone)
    closes = local_time(alert.deadline, tz) if alert.deadline else "no deadline"
    return Reply(
        title=f"Alert {id}: {alert.title}",
        fields=[
            ("state", f"{alert.state} (closes {closes})"),
            ("signed", str(totals.signed)),
            ("acted", str(totals.acted)),
            ("declined", str(totals.declined)),
            ("direct messages", delivery(figures["dm"])),
            ("channel posts", delivery(figures["post"])),
        ],
        table=Table(["", "signed", "acted", "declined"], rows) if rows else None,
    )


@group.command("signers", options=[ID], role=Role.ORGANIZER, help="The signers as a CSV file")
async def signers(ctx: Context, id: int) -> Reply:
    """Export an alert's signers."""
    alert = await _org_alert(ctx, id)
    if alert.kind != "sign-on":
        raise ValidationError("id", f"alert {id} is not a sign-on letter, so it has no signers")
    data = await store.export_signers_csv(ctx.repos.conn, id)
    count = sum(1 for _ in csv.reader(io.StringIO(data.decode()))) - 1
    await ctx.audit("alert.signers", f"alert {id}", signers=count)
    return Reply(
        text=f"{count} signer{'s' if count != 1 else ''} of alert {id}.",
        files=[File(f"alert-{id}-signers.csv", data, "text/csv")],
    )


# everyone --------------------------------------------------------------------------------


@group.command(
    "list", help="Open alerts (organizers also see drafts and scheduled ones)", read_only=True
)
async def list_alerts(ctx: Context) -> Reply:
    """Alerts to act on now, with their deadlines and counts."""
    organizer = await ctx.effective_role() >= Role.ORGANIZER
    states = ("draft", "scheduled", "sent") if organizer else _OPEN
    found = await store.org_alerts(ctx.repos.conn, ctx.org.id, states)
    alerts = [a for a in found if a.state != "sent" or _closed(a, ctx.now) is None]
    if not alerts:
        return Reply(text="There are no open alerts right now.")
    counts = await store.counts_of(ctx.repos.conn, [a.id for a in alerts])
    _, tz = await _caller(ctx)
    rows = []
    for a in alerts:
        closes = local_time(a.deadline, tz) if a.deadline else "—"
        row = [f"alert {a.id}", a.title, KIND_LABELS[a.kind], closes, _tally(a, counts[a.id])]
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
    alert = await _org_alert(ctx, id)
    if alert.state in ("draft", "scheduled") and await ctx.effective_role() < Role.ORGANIZER:
        raise UserError(f"Alert {id} has not been sent yet.")
    who, tz = await _caller(ctx)
    reply = _dm(alert, await store.alert_targets(ctx.repos.conn, id), who, tz)
    closed = _closed(alert, ctx.now)
    if closed is not None:
        reply.text = f"Closed on {local_time(closed, tz)}.\n\n{reply.text}"
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
    alert = await _org_alert(ctx, alert_id)
    member = await ctx.member()
    profile = await ctx.repos.profile(member.id)
    tz = ZoneInfo(profile.timezone or ctx.org.timezone)
    _check_open(alert, ctx.now, tz)
    answers = await store.member_answers(ctx.repos.conn, alert_id, member.id)
    base = NewResponse(alert_id, member.id, "", ctx.platform, profile.state, ctx.now)
    return _Answering(alert, member, profile, answers, tz, base)


async def _thanks(ctx: Context, alert: AlertRecord, text: str) -> Reply:
    """Answer with the live count, and have the channel tallies refreshed (coalesced)."""
    counts = await store.counts(ctx.repos.conn, alert.id)
    await posts.refresh_soon(ctx, "alert", alert.id)
    return Reply(text=f"{text} Alert {alert.id} so far: {_tally(alert, counts)}.")


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
        when = local_time(a.answers["signed"], a.tz)
        return Reply(text=f"You already signed alert {id} on {when}.")
    profile = a.profile
    if name is None and ctx.invocation.interactive:
        fields = [
            FormField("name", "Name", True, default=profile.name or a.member.display_name),
            FormField("title", "Job title", default=profile.title or ""),
            FormField("institution", "Library or system", default=profile.institution or ""),
            FormField("city", "City", default=profile.city or ""),
            FormField("state", "State", default=profile.state or "", max_length=40),
        ]
        return Reply(
            text="Check how your signature will read, then sign.",
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
    await store.add_response(ctx.repos.conn, signed)
    if "declined" in a.answers:
        await store.remove_response(ctx.repos.conn, id, a.member.id, "declined")
    return await _thanks(ctx, a.alert, f"Thank you for signing, {signed.name}.")


@group.command("acted", options=[ID], help="Say you took the action an alert asks for")
async def acted(ctx: Context, id: int) -> Reply:
    """Record, once per person, that they acted."""
    a = await _answering(ctx, id)
    if "acted" in a.answers:
        when = local_time(a.answers["acted"], a.tz)
        return Reply(text=f"You already told us you acted on alert {id} ({when}). Thank you!")
    await store.add_response(ctx.repos.conn, replace(a.base, kind="acted"))
    if "declined" in a.answers:
        await store.remove_response(ctx.repos.conn, id, a.member.id, "declined")
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
        await store.add_response(ctx.repos.conn, replace(a.base, kind="declined"))
    return Reply(text=f"Got it: alert {id} is not for you. We won't remind you about it.")


@group.command("withdraw", options=[ID], help="Take your signature off an alert before it closes")
async def withdraw(ctx: Context, id: int) -> Reply:
    """Remove the caller's signature while the alert is open."""
    alert = await _org_alert(ctx, id)
    member = await ctx.existing_member()
    _, tz = await _caller(ctx)
    _check_open(alert, ctx.now, tz)
    if member is None or not await store.remove_response(ctx.repos.conn, id, member.id, "signed"):
        return Reply(text=f"You have not signed alert {id}.")
    return await _thanks(ctx, alert, f"Your signature on alert {id} is withdrawn.")


# scheduled work --------------------------------------------------------------------------


async def _due_alerts(ctx: DueContext, *states: str) -> list[tuple[DueRow, AlertRecord]]:
    """The due items of a batch with the alert each names, where it is in one of ``states``."""
    alerts = await store.get_alerts(ctx.conn, [i.ref_id for i in ctx.items if i.ref_id])
    return [
        (item, alerts[item.ref_id])
        for item in ctx.items
        if item.ref_id in alerts and alerts[item.ref_id].state in states
    ]


@group.on_due("alert_send")
async def fan_out(ctx: DueContext) -> None:
    """Post each alert in every alert channel and DM its audience, in a few statements."""
    for item, alert in await _due_alerts(ctx, "scheduled"):
        if _closed(alert, ctx.now) is None:
            sent = replace(alert, state="sent", sent_at=ctx.now)
            await _send_alert(ctx, sent, str(item.payload.get("notify") or ""))


async def _send_alert(ctx: DueContext, alert: AlertRecord, notify: str) -> None:
    """The channel posts (pinging ``notify``, if the organizer asked) and the DMs."""
    record, org = ctx.services.orgs.by_id(alert.org_id)
    tz = ZoneInfo(record.timezone)
    conn = ctx.conn
    await store.mark_sent(conn, alert.id, ctx.now)
    post = replace(_post(alert, Counts(), tz), notify=notify)
    await posts.announce(
        ctx, "alert", alert.id, post, kind="alert", channels=org.alert_channels, org_id=alert.org_id
    )
    targets = await store.alert_targets(conn, alert.id)
    messages = [
        Message(
            r.platform,
            "user",
            r.user_id,
            _dm(alert, targets, r, ZoneInfo(r.timezone) if r.timezone else tz),
            f"alert:{alert.id}:dm:{r.member_id}",
            r.member_id,
        )
        for r in await store.audience(conn, alert.org_id, alert.audience, org.dm_platforms())
    ]
    await ctx.messages.add_all(messages, kind="alert", org_id=alert.org_id)
    await store.record_deliveries(conn, alert.id, [(m.member_id or 0, m.key) for m in messages])


@group.live_view("alert", edit_kind="tally", interval=lambda config: config.alerts.tally_interval)
async def channel_view(ctx: Unit, alert_id: int) -> Reply | None:
    """An alert's channel post as it should look now: its tally, or closed with the final one.
    Posts are edited at most once per ``[alerts] tally_interval``."""
    alert = await store.get_alert(ctx.repos.conn, alert_id)
    if alert is None or alert.state not in ("sent", "closed"):
        return None
    counts = await store.counts(ctx.repos.conn, alert_id)
    record, _ = ctx.services.orgs.by_id(alert.org_id)
    return _post(alert, counts, ZoneInfo(record.timezone))


@group.on_due("alert_close")
async def close(ctx: DueContext) -> None:
    """Close alerts at their deadline: final tally, buttons disabled; later answers refused."""
    closing: dict[int, str] = {}
    for item, alert in await _due_alerts(ctx, "scheduled", "sent"):
        await store.mark_closed(ctx.conn, alert.id, ctx.now)
        detail = {"title": alert.title}
        await ctx.repos.audit(
            alert.org_id, None, "alert.close", f"alert {alert.id}", detail, at=ctx.now
        )
        closing[alert.id] = item.key or ""
    await posts.refresh(ctx, "alert", closing, kind="alert_close")


@group.on_due("alert_nudge")
async def nudge(ctx: DueContext) -> None:
    """One reminder to members sent an alert who have not answered it; skipped if missed."""
    for item, alert in await _due_alerts(ctx, "sent"):
        if alert.deadline is None or ctx.missed(item):
            continue
        record, org = ctx.services.orgs.by_id(alert.org_id)
        messages = []
        for r in await store.to_nudge(ctx.conn, alert.id, org.dm_platforms()):
            when = local_time(alert.deadline, ZoneInfo(r.timezone or record.timezone))
            text = (
                f"A reminder: “{alert.title}” closes {when}. If it is for you, there is still "
                f"time; if not, tap Not for me and we won't ask again.\n\n{_typed(alert)}"
            )
            reply = Reply(text=text, actions=_buttons(alert), ephemeral=False)
            key = f"alert:{alert.id}:nudge:{r.member_id}"
            messages.append(Message(r.platform, "user", r.user_id, reply, key, r.member_id))
        await ctx.messages.add_all(messages, kind="alert_nudge", org_id=alert.org_id)
        await store.mark_nudged(ctx.conn, alert.id)


# privacy and the digest ------------------------------------------------------------------


@group.on_export
async def export(ctx: Context, member_id: int) -> list[dict[str, object]]:
    """A member's signatures, actions and "not for me"s, for /privacy export."""
    return await store.member_responses(ctx.repos.conn, member_id)


@group.on_erase
async def erase(ctx: Context, member_id: int) -> None:
    """Signatures stay counted without the name they were signed with."""
    await store.forget_signatures(ctx.repos.conn, member_id)


@group.on_merge
async def merge(ctx: Context, keep: int, drop: int) -> None:
    """Answers and deliveries follow the person when /link joins two members."""
    await store.merge_members(ctx.repos.conn, keep, drop)


@group.on_digest
async def digest(ctx: DueContext, org_id: int, since: datetime) -> list[str]:
    """Open alerts with their counts and deadlines."""
    alerts = [
        a for a in await store.org_alerts(ctx.conn, org_id, _OPEN) if _closed(a, ctx.now) is None
    ]
    if not alerts:
        return []
    counts = await store.counts_of(ctx.conn, [a.id for a in alerts])
    tz = ZoneInfo(ctx.services.orgs.by_id(org_id)[0].timezone)
    lines = ["Open action alerts:"]
    for a in alerts:
        closes = f", closes {local_time(a.deadline, tz)}" if a.deadline else ""
        lines.append(f"• Alert {a.id}: {a.title}: {_tally(a, counts[a.id])}{closes}")
    return ["\n".join(lines)]

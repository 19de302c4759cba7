"""/layoff: reports of layoffs, furloughs, cuts and closures, anonymous unless the reporter says.

An anonymous report keeps nothing about who sent it: no member or account row, no time finer
than its week, no log line; its moderation post waits a random 2 to 15 minutes, so nothing
stored tells when it arrived, and until that post is due the report is seen by no command,
export or count (its reference answers like one that does not exist). A report's reference
(L-4821) is a random number, so references do not tell the order reports arrived in.
Organizers verify, reject or merge reports; only verified ones count in /layoff stats and
/layoff list; audit entries about an anonymous report keep the day only.

One person may file ``[limits] layoff_reports_per_hour`` reports per clock hour, counted in the
database under keyed hashes only, ``HMAC(ballot secret, account)`` and, for a member,
``HMAC(ballot secret, member)`` too, so linked accounts count together and an account without
a member row gets none; each count is one atomic statement, so the limit holds across
processes and restarts. An anonymous report is counted in a transaction of its own that
commits before the report's opens (the command's ``before`` step), so no transaction ties
the report to the hash. A count is deleted when its hour ends.
"""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import hmac
import math
import re
import secrets
from dataclasses import astuple, dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot import charts
from bot.context import Context
from bot.errors import UserError, ValidationError
from bot.options import Choice, Option, Ref, Text, TextList, Url, UsState, YesNo, normalise_choice
from bot.registry import CommandGroup, Role
from bot.reply import Action, File, Reply, Table
from bot.vocabulary import CLASSIFICATIONS, LIBRARY_TYPES
from storage import layoffs as store
from storage.repos import MemberRecord, Repos

if TYPE_CHECKING:
    from bot.scheduler import DueContext

group = CommandGroup("layoff", help="Report layoffs, furloughs, cuts and closures")

KINDS = ("layoff", "furlough", "hours-cut", "position-eliminated", "closure", "hiring-freeze")
HOUR = timedelta(hours=1)
DUPLICATE_WINDOW = timedelta(days=30)
_RANDOM = secrets.SystemRandom()
#: the due items that delete the hourly counts once their hour is over
FORGET_COUNTS = "layoff.forget-counts"


@dataclass(frozen=True)
class Workers(Option):
    """Workers affected: a whole number from 1 to 100,000 (``1,200`` is fine) or ``unknown``,
    which is stored like an answer not given."""

    max_length: int = 20

    def convert(self, text: str) -> int | None:
        if normalise_choice(text) in ("unknown", "not-sure", "?"):
            return None
        if re.fullmatch(r"[0-9]{1,6}|[0-9]{1,3}(,[0-9]{3})+", text):
            value = int(text.replace(",", ""))
            if 1 <= value <= 100_000:
                return value
        raise self.error("must be a whole number from 1 to 100,000, or unknown")


@dataclass(frozen=True)
class MonthDay:
    """A date typed without its year (``12/1``); the year is chosen when the command runs."""

    month: int
    day: int


@dataclass(frozen=True)
class Day(Option):
    """A date: ``2026-12-01``, ``12/1/2026`` or ``12/1``."""

    max_length: int = 20

    def convert(self, text: str) -> date | MonthDay:
        iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text, re.ASCII)
        us = re.fullmatch(r"(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?", text, re.ASCII)
        if iso:
            year, month, day = (int(g) for g in iso.groups())
        elif us:
            month, day = int(us[1]), int(us[2])
            year = 0 if us[3] is None else int(us[3]) + (2000 if len(us[3]) == 2 else 0)
        else:
            raise self.error("must be a date such as 2026-12-01, 12/1/2026 or 12/1")
        if year == 0:
            if 1 <= month <= 12 and 1 <= day <= calendar.monthrange(2000, month)[1]:
                return MonthDay(month, day)
            raise self.error(f"{text} is not a real date")
        if not 1900 <= year <= 2100:
            raise self.error("must be a date between the years 1900 and 2100")
        try:
            return date(year, month, day)
        except ValueError:
            raise self.error(f"{text} is not a real date") from None


def on_date(value: date | MonthDay | None, today: date, field: str, *, past: bool) -> date | None:
    """A typed date as a date: a month and day take the nearest year (with ``past``, the
    latest such date not after today)."""
    if not isinstance(value, MonthDay):
        return value
    years = (today.year - 1, today.year, today.year + 1)
    candidates = [
        date(y, value.month, value.day)
        for y in years
        if value.day <= calendar.monthrange(y, value.month)[1]
    ]
    if past:
        candidates = [d for d in candidates if d <= today]
    if not candidates:
        raise ValidationError(field, f"{value.month}/{value.day} needs its year, e.g. 2/29/2028")
    return min(candidates, key=lambda d: (abs((d - today).days), d))


def _hour(moment: datetime) -> datetime:
    """The start of the clock hour of ``moment``."""
    return moment.replace(minute=0, second=0, microsecond=0)


def person_key(secret: bytes, person: str) -> str:
    """The keyed hash a person is counted under: an HMAC-SHA256 of ``m:<member id>`` or
    ``a:<platform>:<account>``."""
    return hmac.new(secret, f"rallybot layoff limit|{person}".encode(), hashlib.sha256).hexdigest()


async def _quietly_found(ctx: Context) -> MemberRecord | None:
    """The member an anonymous reporter already is, if any, so that linked accounts share one
    limit; looked up without the account in any log line, and nothing is stored."""
    inv = ctx.invocation
    async with ctx.services.db.reading(quiet=True) as conn:
        return await Repos(conn).find_member(inv.platform, inv.user_id)


async def _count_report(ctx: Context, anonymous: bool, member: MemberRecord | None) -> None:
    """Count this report against the person's hourly limit, or refuse it."""
    secret = ctx.services.ballot_secret
    if secret is None and anonymous:
        raise ValidationError(
            "anonymous",
            "anonymous reports need a ballot secret, which this bot does not have: an admin "
            "sets [polls] ballot_secret, the same for every bot process; until then, add "
            "anonymous:no to file it with your name",
        )
    inv = ctx.invocation
    # The account always (it may have filed before it became a member), and the member,
    # whose linked accounts count together.
    people = [f"a:{inv.platform}:{inv.user_id}"] + ([f"m:{member.id}"] if member else [])
    limit = ctx.services.config.layoff_reports_per_hour
    hour = _hour(ctx.now)
    for person in people:
        # Without a secret only named reports get here, whose reporter is on the report anyway.
        key = person_key(secret or b"", person)
        if not await store.count_report(ctx.repos.conn, key, hour, limit):
            # the refusal rolls back what was counted before it
            minutes = math.ceil((hour + HOUR - ctx.now).total_seconds() / 60)
            raise UserError(
                f"You have filed {limit} reports this hour, the most one person may; "
                f"you can file the next in {minutes} minute{'s' if minutes != 1 else ''}."
            )
    await ctx.schedule(
        kind=FORGET_COUNTS, due_at=hour + HOUR, key=f"{FORGET_COUNTS}:{hour:%Y-%m-%dT%H}"
    )


def _today(ctx: Context) -> date:
    return ctx.now.astimezone(ZoneInfo(ctx.org.timezone)).date()


def _mod_keys(ctx: Context, report_id: int) -> list[tuple[str, str, str]]:
    """(platform, channel, idempotency key) of each moderation post of a report."""
    return [
        (platform, channel, f"layoff:{report_id}:mod:{platform}:{channel}")
        for platform, channels in sorted(ctx.org_config.moderation_channels.items())
        for channel in channels
    ]


def _workers(n: int | None) -> str:
    return "unknown" if n is None else f"{n:,}"


def _place(city: str | None, state: str | None) -> str:
    return ", ".join(p for p in (city, state) if p) or "—"


def _moderation_reply(r: store.LayoffRecord, outcome: str = "") -> Reply:
    """The post organizers decide on; with an outcome, its buttons are closed."""
    contact = "ok to contact" if r.ok_to_contact else "please do not contact"
    reporter = f"{r.reporter_name or '(erased their data)'} ({contact})"
    dup = r.possible_duplicate_of
    shown = [
        ("Employer", r.employer),
        ("Kind", r.kind),
        ("Where", _place(r.city, r.state)),
        ("Workers", _workers(r.workers)),
        ("Effective", r.effective_date.isoformat() if r.effective_date else None),
        ("Library type", r.library_type),
        ("Classifications", ", ".join(r.classifications) or None),
        ("Schedule", r.schedule),
        ("Union-represented", r.union_represented),
        ("Source", r.source_url),
        ("Details", r.details),
        ("Reporter", "anonymous" if r.anonymous else reporter),
        ("Possible duplicate", dup and f"of L-{dup} (same employer within 30 days)"),
        ("Status", outcome or "pending review"),
    ]
    args, closed = {"id": str(r.ref)}, bool(outcome)
    return Reply(
        title=f"Layoff report L-{r.ref}",
        fields=[(name, value) for name, value in shown if value],
        actions=[
            Action("Verify", "layoff verify", args, style="primary", disabled=closed),
            Action("Reject", "layoff reject", args, style="danger", disabled=closed),
            Action("Duplicate of…", "layoff duplicate", args, disabled=closed),
        ],
        ephemeral=False,
    )


def _anonymous(given: dict[str, Any]) -> bool:
    """Whether a report is anonymous (the default); refused if it also asks for contact."""
    anonymous = given["anonymous"] is not False
    if anonymous and given["ok_to_contact"]:
        raise ValidationError(
            "ok_to_contact", "works with named reports only: add anonymous:no to give your name"
        )
    return anonymous


def _effective(ctx: Context, given: dict[str, Any]) -> date | None:
    """The report's effective date, checked (a refused one names ``effective_date``)."""
    return on_date(given["effective_date"], _today(ctx), "effective_date", past=False)


async def _count_anonymous(ctx: Context, **given: Any) -> None:
    """Count an anonymous report in a unit of work that commits before the report's opens, so
    that no transaction (on PostgreSQL, no xmin) ties the report to the keyed hash of its
    sender; a refusal here stores no report. The report's own checks come first, so a typing
    mistake spends no count; a report that fails later (a fault) has spent it: a
    conservative loss."""
    _effective(ctx, given)
    if _anonymous(given):
        await _count_report(ctx, True, await _quietly_found(ctx))


@group.command(
    "report",
    options=[
        Text("employer", required=True, help="library or library system"),
        UsState("state", help="US state, e.g. IL"),
        Text("city", max_length=100, help="city"),
        Choice("kind", values=KINDS, help="what happened (default layoff)"),
        Workers("workers", help="workers affected: a number, or unknown"),
        Day("effective_date", help="when it takes effect: 2026-12-01, 12/1/2026 or 12/1"),
        Choice("library_type", values=LIBRARY_TYPES, help="library type"),
        TextList("classifications", allowed=CLASSIFICATIONS, help="classifications affected"),
        Choice("schedule", values=("full-time", "part-time", "both"), help="full- or part-time"),
        Choice("union", values=("yes", "no", "unknown"), help="union-represented?"),
        Url("source", help="a news story or notice, http(s)://…"),
        Text("details", max_length=2000, long=True, help="anything else (up to 2,000 characters)"),
        YesNo("anonymous", help="leave your name off (default yes)"),
        YesNo("ok_to_contact", help="organizers may contact you (named reports only)"),
    ],
    positional="employer",
    before=_count_anonymous,
    form_title="Report layoffs or cuts",
    help="Report layoffs, furloughs, cuts or a closure (anonymous unless you say otherwise)",
)
async def report(ctx: Context, **given: Any) -> Reply:
    """File a report; anonymous ones store nothing about the person filing."""
    anonymous = _anonymous(given)
    conn = ctx.repos.conn
    today = _today(ctx)
    effective = _effective(ctx, given)
    member = None if anonymous else await ctx.member()
    if member is not None:
        # a named report, which carries its reporter anyway, is counted with it
        await _count_report(ctx, anonymous, member)
    # An anonymous report (and its moderation post) waits a random while before anyone
    # can see it.
    delay = timedelta(seconds=_RANDOM.randint(120, 900)) if anonymous else timedelta(0)
    shown_from = ctx.now + delay
    given.update(
        kind=given["kind"] or "layoff",
        classifications=list(given["classifications"] or ()),
        effective_date=effective,
        anonymous=anonymous,
        ok_to_contact=bool(given["ok_to_contact"]),
    )
    report_id, ref = await store.add_report(
        conn,
        store.NewReport(
            org_id=ctx.org.id,
            reporter_member_id=None if member is None else member.id,
            possible_duplicate_of=await store.possible_duplicate(
                conn, ctx.org.id, given["employer"], today - DUPLICATE_WINDOW, ctx.now
            ),
            received_week=today - timedelta(days=today.weekday()),
            visible_from=shown_from if anonymous else None,
            **given,
        ),
    )
    record = await store.get_report(conn, ctx.org.id, ref, shown_from)
    assert record is not None
    post = {"kind": "moderation", "org_id": ctx.org.id, "not_before": shown_from}
    reply = _moderation_reply(record)
    for platform, channel, key in _mod_keys(ctx, report_id):
        await ctx.messages.to_channel(platform, channel, reply, key=key, **post)
    who = "It carries your name, which only organizers see."
    if anonymous:
        who = "It is anonymous: nothing about who sent it is kept."
    return Reply(
        text=f"Thank you. Your report is L-{ref}. {who} Organizers will review it "
        "before it counts in /layoff stats."
    )


async def _report_here(ctx: Context, ref: int, field: str = "id") -> store.LayoffRecord:
    """The report with this reference, as anyone may see it now, or a refusal naming
    ``field`` (the same for a report not yet visible as for one that does not exist)."""
    record = await store.get_report(ctx.repos.conn, ctx.org.id, ref, ctx.now)
    if record is None:
        raise ValidationError(field, f"no report L-{ref} here")
    return record


async def _decide(
    ctx: Context, record: store.LayoffRecord, status: str, of: store.LayoffRecord | None = None
) -> Reply:
    """Move a pending report to ``status``, audit it and edit its moderation posts."""
    moderator = await ctx.member()
    conn, org_id, ref = ctx.repos.conn, ctx.org.id, f"L-{record.ref}"
    if not await store.moderate(
        conn,
        org_id,
        record.id,
        status=status,
        by=moderator.id,
        at=ctx.now,
        duplicate_of=of and of.id,
    ):
        current = await _report_here(ctx, record.ref)
        return Reply(text=f"{ref} is already {current.status}; nothing changed.")
    action = {"verified": "verify", "rejected": "reject", "duplicate": "duplicate"}[status]
    about_anonymous = record.anonymous or (of is not None and of.anonymous)
    detail = {"of": f"L-{of.ref}"} if of else {}
    await ctx.audit(f"layoff.{action}", ref, day_only=about_anonymous, **detail)
    outcome = f"duplicate of L-{of.ref}" if of else status
    shown = _moderation_reply(
        replace(record, status=status, duplicate_of=of and of.ref),
        f"{outcome} by {moderator.display_name}",
    )
    keys = [key for _, _, key in _mod_keys(ctx, record.id)]
    for post in await store.moderation_posts(conn, keys):
        key = f"layoff:{record.id}:{status}:{post.outbox_id}"
        await ctx.messages.edit(*astuple(post), shown, kind="moderation", key=key, org_id=org_id)
    return Reply(text=f"{ref} is now marked {outcome}.")


_ID = Ref("id", required=True, prefix="L", help="the report, e.g. L-42")


@group.command("verify", options=[_ID], role=Role.ORGANIZER, help="Verify a report (organizers)")
async def verify(ctx: Context, id: int) -> Reply:
    """Count a pending report as verified."""
    return await _decide(ctx, await _report_here(ctx, id), "verified")


@group.command("reject", options=[_ID], role=Role.ORGANIZER, help="Reject a report (organizers)")
async def reject(ctx: Context, id: int) -> Reply:
    """Set a pending report aside as rejected."""
    return await _decide(ctx, await _report_here(ctx, id), "rejected")


@group.command(
    "duplicate",
    options=[_ID, Ref("of", required=True, prefix="L", help="the earlier report, e.g. L-41")],
    role=Role.ORGANIZER,
    form_title="Duplicate of which report?",
    help="Mark a report as a duplicate of another (organizers)",
)
async def duplicate(ctx: Context, id: int, of: int) -> Reply:
    """Mark a pending report as a duplicate of an earlier one."""
    record = await _report_here(ctx, id)
    original = await _report_here(ctx, of, "of")
    if of == id or original.duplicate_of == id:
        raise ValidationError("of", f"must be another report than L-{id} and not its duplicate")
    return await _decide(ctx, record, "duplicate", original)


def _counts(counts: list[store.Count], unnamed: str) -> str:
    return "; ".join(f"{c.label or unnamed} {c.reports:,} ({c.workers:,} workers)" for c in counts)


@group.command(
    "stats",
    options=[
        UsState("state", help="only this state"),
        Day("since", help="only from this date: 2026-01-01, 1/1/2026 or 1/1"),
    ],
    help="Verified reports counted by state, library type and month, with a chart",
    read_only=True,
)
async def stats(ctx: Context, state: str | None, since: date | MonthDay | None) -> Reply:
    """Counts of verified reports, and a bar chart by month."""
    since_day = on_date(since, _today(ctx), "since", past=True)
    found = await store.layoff_stats(
        ctx.repos.conn, ctx.org.id, ctx.now, state=state, since=since_day
    )
    scope = (f" in {state}" if state else "") + (f" since {since_day}" if since_day else "")
    if not found.reports:
        return Reply(text=f"No verified layoff reports{scope} yet.")
    workers = f"{found.workers:,}"
    if unknown := found.unknown_workers:
        workers += f" (and {unknown:,} report{'s' if unknown > 1 else ''} with the number unknown)"
    png = await asyncio.to_thread(
        charts.columns,
        "Layoff reports by month",
        tuple((m.label or "?", m.reports) for m in found.by_month),
        "verified reports",
    )
    return Reply(
        title=f"Verified layoff reports{scope}",
        fields=[
            ("Reports", f"{found.reports:,}"),
            ("Workers affected", workers),
            ("By state", _counts(found.by_state, "state not given")),
            ("By library type", _counts(found.by_type, "type not given")),
        ],
        table=Table(
            ["month", "reports", "workers"],
            [[m.label or "?", f"{m.reports:,}", f"{m.workers:,}"] for m in found.by_month],
        ),
        files=[File("layoffs-by-month.png", png, "image/png", "Verified reports by month")],
    )


@group.command(
    "list",
    options=[UsState("state", help="only this state")],
    help="The latest verified reports",
    read_only=True,
)
async def list_reports(ctx: Context, state: str | None) -> Reply:
    """The 20 latest verified reports, without reporters."""
    reports = await store.recent_verified(ctx.repos.conn, ctx.org.id, ctx.now, state=state)
    where = f" in {state}" if state else ""
    if not reports:
        return Reply(text=f"No verified layoff reports{where} yet.")
    rows = [
        [
            f"L-{r.ref}",
            r.employer,
            _place(r.city, r.state),
            r.kind,
            _workers(r.workers),
            r.effective_date.isoformat() if r.effective_date else "—",
        ]
        for r in reports
    ]
    return Reply(
        title=f"Latest verified layoff reports{where}",
        table=Table(["ref", "employer", "where", "kind", "workers", "effective"], rows),
    )


@group.command("export", role=Role.ORGANIZER, help="Every report as a CSV file (organizers)")
async def export(ctx: Context) -> Reply:
    """Every report of the organization with its status; anonymous ones name no reporter."""
    data = await store.export_layoffs_csv(ctx.repos.conn, ctx.org.id, ctx.now)
    await ctx.audit("layoff.export", ctx.org.slug)
    return Reply(
        text="Every layoff report with its status. Anonymous reports have no reporter.",
        files=[File(f"layoffs-{ctx.org.slug}.csv", data, "text/csv")],
    )


@group.on_digest
async def digest(ctx: DueContext, org_id: int, since: datetime) -> list[str]:
    """The week's newly verified reports, for the weekly digest."""
    count, workers = await store.verified_since(ctx.conn, org_id, since, ctx.now)
    if not count:
        return []
    noun = "report" if count == 1 else "reports"
    return [f"{count} new verified layoff {noun} this week ({workers:,} workers)"]


@group.on_export
async def export_member(ctx: Context, member_id: int) -> list[dict[str, Any]]:
    """A member's own named reports, for /privacy export."""
    return await store.reports_of_member(ctx.repos.conn, member_id, ctx.now)


@group.on_merge
async def merge(ctx: Context, keep: int, drop: int) -> None:
    """Named reports follow the person when /link joins two members."""
    await store.move_reports(ctx.repos.conn, drop, keep)


@group.on_due(FORGET_COUNTS)
async def forget_counts(ctx: DueContext) -> None:
    """An hour is over: the counts of the hourly limit for it (and any older) are deleted."""
    await store.forget_past_hours(ctx.conn, _hour(ctx.now))

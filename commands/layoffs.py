"""/layoff: reports of layoffs, furloughs, cuts and closures, anonymous unless the reporter says.

An anonymous report keeps nothing about who sent it: no member or account row, no time finer
than its week, no log line; its moderation post waits a random 2 to 15 minutes, so nothing
stored tells when it arrived. Organizers verify, reject or merge reports; only verified ones
count in /layoff stats and /layoff list.
"""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import hmac
import io
import re
import secrets
import weakref
from dataclasses import astuple, dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.errors import UserError, ValidationError
from bot.options import Choice, Option, Ref, Text, TextList, Url, UsState, YesNo, normalise_choice
from bot.registry import CommandGroup, Role
from bot.reply import Action, File, Reply, Table
from commands.members import CLASSIFICATIONS, LIBRARY_TYPES
from storage import layoffs as store

if TYPE_CHECKING:
    from bot.app import Services
    from bot.scheduler import DueContext

group = CommandGroup("layoff", help="Report layoffs, furloughs, cuts and closures")

KINDS = ("layoff", "furlough", "hours-cut", "position-eliminated", "closure", "hiring-freeze")
HOUR = timedelta(hours=1)
DUPLICATE_WINDOW = timedelta(days=30)
_RANDOM = secrets.SystemRandom()
_HASH_KEY = secrets.token_bytes(32)


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


class RecentReports:
    """When each person filed reports in the last hour, kept in this process's memory only.
    People are known by an HMAC of their account under a key made at start, never by id."""

    def __init__(self) -> None:
        self._times: dict[bytes, list[datetime]] = {}

    @staticmethod
    def person(platform: str, user_id: str) -> bytes:
        """The keyed hash that stands for an account."""
        return hmac.new(_HASH_KEY, f"{platform}\n{user_id}".encode(), hashlib.sha256).digest()

    def count(self, person: bytes, now: datetime) -> int:
        """Reports filed in the hour before ``now``."""
        times = [t for t in self._times.pop(person, ()) if t > now - HOUR]
        if times:
            self._times[person] = times
        return len(times)

    def add(self, person: bytes, now: datetime) -> None:
        """Note a report filed now."""
        if len(self._times) > 10_000:
            self._times = {p: ts for p, ts in self._times.items() if ts[-1] > now - HOUR}
        self._times.setdefault(person, []).append(now)


#: one RecentReports per application (by its services), dropped with the application
_limits: dict[int, RecentReports] = {}


def _recent_reports(services: Services) -> RecentReports:
    if id(services) not in _limits:
        _limits[id(services)] = RecentReports()
        weakref.finalize(services, _limits.pop, id(services), None)
    return _limits[id(services)]


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
    args, closed = {"id": str(r.id)}, bool(outcome)
    return Reply(
        title=f"Layoff report L-{r.id}",
        fields=[(name, value) for name, value in shown if value],
        actions=[
            Action("Verify", "layoff verify", args, style="primary", disabled=closed),
            Action("Reject", "layoff reject", args, style="danger", disabled=closed),
            Action("Duplicate of…", "layoff duplicate", args, disabled=closed),
        ],
        ephemeral=False,
    )


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
    form_title="Report layoffs or cuts",
    help="Report layoffs, furloughs, cuts or a closure (anonymous unless you say otherwise)",
)
async def report(ctx: Context, **given: Any) -> Reply:
    """File a report; anonymous ones store nothing about the person filing."""
    anonymous = given["anonymous"] is not False
    if anonymous and given["ok_to_contact"]:
        raise ValidationError(
            "ok_to_contact", "works with named reports only: add anonymous:no to give your name"
        )
    recent = _recent_reports(ctx.services)
    person = recent.person(ctx.platform, ctx.invocation.user_id)
    limit = ctx.services.config.layoff_reports_per_hour
    if recent.count(person, ctx.now) >= limit:
        raise UserError(
            f"You have filed {limit} reports in the last hour; "
            "please wait a little before the next."
        )
    conn = ctx.repos.conn
    today = _today(ctx)
    effective = on_date(given["effective_date"], today, "effective_date", past=False)
    member = None if anonymous else await ctx.member()
    given.update(
        kind=given["kind"] or "layoff",
        classifications=list(given["classifications"] or ()),
        effective_date=effective,
        anonymous=anonymous,
        ok_to_contact=bool(given["ok_to_contact"]),
    )
    report_id = await store.add_report(
        conn,
        store.NewReport(
            org_id=ctx.org.id,
            reporter_member_id=None if member is None else member.id,
            possible_duplicate_of=await store.possible_duplicate(
                conn, ctx.org.id, given["employer"], today - DUPLICATE_WINDOW
            ),
            received_week=today - timedelta(days=today.weekday()),
            **given,
        ),
    )
    record = await store.get_report(conn, ctx.org.id, report_id)
    assert record is not None
    # An anonymous report's post (and the outbox row's time) waits a random while.
    delay = timedelta(seconds=_RANDOM.randint(120, 900)) if anonymous else timedelta(0)
    post = {"kind": "moderation", "org_id": ctx.org.id, "not_before": ctx.now + delay}
    reply = _moderation_reply(record)
    for platform, channel, key in _mod_keys(ctx, report_id):
        await ctx.messages.to_channel(platform, channel, reply, key=key, **post)
    recent.add(person, ctx.now)
    who = "It carries your name, which only organizers see."
    if anonymous:
        who = "It is anonymous: nothing about who sent it is kept."
    return Reply(
        text=f"Thank you. Your report is L-{report_id}. {who} Organizers will review it "
        "before it counts in /layoff stats."
    )


async def _report_here(ctx: Context, report_id: int, field: str = "id") -> store.LayoffRecord:
    record = await store.get_report(ctx.repos.conn, ctx.org.id, report_id)
    if record is None:
        raise ValidationError(field, f"no report L-{report_id} here")
    return record


async def _decide(
    ctx: Context, record: store.LayoffRecord, status: str, of: int | None = None
) -> Reply:
    """Move a pending report to ``status``, audit it and edit its moderation posts."""
    moderator = await ctx.member()
    conn, org_id, ref = ctx.repos.conn, ctx.org.id, f"L-{record.id}"
    if not await store.moderate(
        conn, org_id, record.id, status=status, by=moderator.id, at=ctx.now, duplicate_of=of
    ):
        current = await _report_here(ctx, record.id)
        return Reply(text=f"{ref} is already {current.status}; nothing changed.")
    action = {"verified": "verify", "rejected": "reject", "duplicate": "duplicate"}[status]
    await ctx.audit(f"layoff.{action}", ref, **({"of": f"L-{of}"} if of else {}))
    outcome = f"duplicate of L-{of}" if of else status
    shown = _moderation_reply(
        replace(record, status=status, duplicate_of=of), f"{outcome} by {moderator.display_name}"
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
    return await _decide(ctx, record, "duplicate", of)


@lru_cache(maxsize=64)
def _chart(bars: tuple[tuple[str, int], ...]) -> bytes:
    """A small PNG bar chart of verified reports by month (Agg canvas, no global state).
    The same counts give the same picture, so a drawn one is kept for the next asker."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(6.4, 3.2), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    labels = [label for label, _ in bars]
    axes.bar(range(len(bars)), [count for _, count in bars], color="#3b6ea5")
    step = max(1, len(labels) // 12)
    axes.set_xticks(range(0, len(labels), step), labels[::step], rotation=45, ha="right")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("verified reports")
    axes.set_title("Layoff reports by month")
    figure.subplots_adjust(left=0.1, right=0.98, top=0.9, bottom=0.25)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


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
    found = await store.layoff_stats(ctx.repos.conn, ctx.org.id, state=state, since=since_day)
    scope = (f" in {state}" if state else "") + (f" since {since_day}" if since_day else "")
    if not found.reports:
        return Reply(text=f"No verified layoff reports{scope} yet.")
    workers = f"{found.workers:,}"
    if unknown := found.unknown_workers:
        workers += f" (and {unknown:,} report{'s' if unknown > 1 else ''} with the number unknown)"
    png = await asyncio.to_thread(
        _chart, tuple((m.label or "?", m.reports) for m in found.by_month)
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
    reports = await store.recent_verified(ctx.repos.conn, ctx.org.id, state=state)
    where = f" in {state}" if state else ""
    if not reports:
        return Reply(text=f"No verified layoff reports{where} yet.")
    rows = [
        [
            f"L-{r.id}",
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
    data = await store.export_layoffs_csv(ctx.repos.conn, ctx.org.id)
    await ctx.audit("layoff.export", ctx.org.slug)
    return Reply(
        text="Every layoff report with its status. Anonymous reports have no reporter.",
        files=[File(f"layoffs-{ctx.org.slug}.csv", data, "text/csv")],
    )


@group.on_digest
async def digest(ctx: DueContext, org_id: int, since: datetime) -> list[str]:
    """The week's newly verified reports, for the weekly digest."""
    count, workers = await store.verified_since(ctx.conn, org_id, since)
    if not count:
        return []
    noun = "report" if count == 1 else "reports"
    return [f"{count} new verified layoff {noun} this week ({workers:,} workers)"]


@group.on_export
async def export_member(ctx: Context, member_id: int) -> list[dict[str, Any]]:
    """A member's own named reports, for /privacy export."""
    return await store.reports_of_member(ctx.repos.conn, member_id)


@group.on_merge
async def merge(ctx: Context, keep: int, drop: int) -> None:
    """Named reports follow the person when /link joins two members."""
    await store.move_reports(ctx.repos.conn, drop, keep)

"""What verified reports show: /layoff stats (counts by state, library type and month, with a
chart), /layoff list (the latest, never a reporter) and the organizers' /layoff export."""

from __future__ import annotations

import asyncio
from datetime import date

from bot import charts
from bot.context import Context
from bot.options import UsState
from bot.registry import Role
from bot.reply import File, Reply, Table
from commands.layoffs import group
from commands.layoffs.access import today
from commands.layoffs.options import Day, MonthDay, on_date
from commands.layoffs.render import counts_text, place_text, workers_text
from storage import layoffs as store

#: what /layoff stats says of the date each report counts on (``since:`` and the months)
COUNTED_ON = (
    "Each report counts on its effective date, else on the Thursday of the week it was received."
)


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
    since_day = on_date(since, today(ctx), "since", past=True)
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
        text=COUNTED_ON,
        fields=[
            ("Reports", f"{found.reports:,}"),
            ("Workers affected", workers),
            ("By state", counts_text(found.by_state, "state not given")),
            ("By library type", counts_text(found.by_type, "type not given")),
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
            place_text(r.city, r.state),
            r.kind,
            workers_text(r.workers),
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

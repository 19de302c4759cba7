"""A report's scheduled work: its line in the weekly digest, and forgetting the hourly
limit's counts once their hour is over."""

from __future__ import annotations

from datetime import datetime

from bot.scheduler import DueContext
from commands.layoffs import group
from commands.layoffs.limits import FORGET_COUNTS, hour_of
from storage import layoffs as store


@group.on_digest
async def digest(ctx: DueContext, org_id: int, since: datetime) -> list[str]:
    """The week's newly verified reports, for the weekly digest."""
    count, workers = await store.verified_since(ctx.conn, org_id, since, ctx.now)
    if not count:
        return []
    noun = "report" if count == 1 else "reports"
    return [f"{count} new verified layoff {noun} this week ({workers:,} workers)"]


@group.on_due(FORGET_COUNTS)
async def forget_counts(ctx: DueContext) -> None:
    """An hour is over: the counts of the hourly limit for it (and any older) are deleted."""
    await store.forget_past_hours(ctx.conn, hour_of(ctx.now))

"""Finding what a /layoff command names: the organization's report by its reference (as
anyone may see it now), today in the organization's timezone, the keys of a report's
moderation posts, and where the organization's public tracker is."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.errors import ValidationError
from storage import layoffs as store


def today(ctx: Context) -> date:
    """Today in the organization's timezone."""
    return ctx.now.astimezone(ZoneInfo(ctx.org.timezone)).date()


def mod_keys(ctx: Context, report_id: int) -> list[tuple[str, str, str]]:
    """(platform, channel, idempotency key) of each moderation post of a report."""
    return [
        (platform, channel, f"layoff:{report_id}:mod:{platform}:{channel}")
        for platform, channels in sorted(ctx.org_config.moderation_channels.items())
        for channel in channels
    ]


async def report_here(ctx: Context, ref: int, field: str = "id") -> store.LayoffRecord:
    """The report with this reference, as anyone may see it now, or a refusal naming
    ``field`` (the same for a report not yet visible as for one that does not exist)."""
    record = await store.get_report(ctx.conn, ctx.org.id, ref, ctx.now)
    if record is None:
        raise ValidationError(field, f"no report L-{ref} here")
    return record


def tracker_note(ctx: Context) -> str:
    """Where the organization's public tracker is, when it has one."""
    web = ctx.services.config.web
    if not (ctx.org_config.public_tracker and web.enabled):
        return ""
    return f" The public layoff tracker: {web.tracker_url(ctx.org.slug)}"

"""A member's reports under /privacy: their own named reports exported, and named reports
following the person when /link joins two members (anonymous ones name no one)."""

from __future__ import annotations

from typing import Any

from bot.context import Context
from commands.layoffs import group
from storage import layoffs as store


@group.on_export
async def export_member(ctx: Context, member_id: int) -> list[dict[str, Any]]:
    """A member's own named reports, for /privacy export."""
    return await store.reports_of_member(ctx.repos.conn, member_id, ctx.now)


@group.on_merge
async def merge(ctx: Context, keep: int, drop: int) -> None:
    """Named reports follow the person when /link joins two members."""
    await store.move_reports(ctx.repos.conn, drop, keep)

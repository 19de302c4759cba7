"""A member's answers to alerts under /privacy: exported, erased (signatures stay counted
without the name) and merged when two accounts are one person."""

from __future__ import annotations

from bot.context import Context
from commands.alerts import group
from storage import alerts as store


@group.on_export
async def export(ctx: Context, member_id: int) -> list[dict[str, object]]:
    """A member's signatures, actions and "not for me"s, for /privacy export."""
    return await store.member_responses(ctx.conn, member_id)


@group.on_erase
async def erase(ctx: Context, member_id: int) -> None:
    """Signatures stay counted without the name they were signed with."""
    await store.forget_signatures(ctx.conn, member_id)


@group.on_merge
async def merge(ctx: Context, keep: int, drop: int) -> None:
    """Answers and deliveries follow the person when /link joins two members."""
    await store.merge_members(ctx.conn, keep, drop)

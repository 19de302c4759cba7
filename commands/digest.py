"""The weekly digest: each feature's news of the week, posted to the alert channels."""

from __future__ import annotations

from datetime import timedelta

from bot import posts
from bot.registry import CommandGroup
from bot.reply import Reply
from bot.scheduler import DueContext
from bot.timefmt import TimedText

group = CommandGroup("digest", help="The weekly digest (no commands)")


@group.on_due("digest")
async def send_digests(ctx: DueContext) -> None:
    """Gather every feature's lines for the past week and post them; say nothing if none.
    A digest missed while the bot was down is news no longer, and is not sent late."""
    for item in ctx.items:
        if not ctx.missed(item) and item.org_id is not None:
            await _send_digest(ctx, item.org_id, item.key or f"digest:{item.id}")


async def _send_digest(ctx: DueContext, org_id: int, key: str) -> None:
    record, org = ctx.services.orgs.by_id(org_id)
    since = ctx.now - timedelta(days=7)
    sections: list[str] = []
    for feature in ctx.services.registry.groups.values():
        for hook in feature.digests:
            sections += await hook(ctx, record.id, since)
    if not sections:
        return
    reply = Reply(
        title=f"This week in {record.name}", text=TimedText.join("\n\n", sections), ephemeral=False
    )
    await posts.post_to_channels(
        ctx, org.alert_channels, reply, kind="digest", key=key, org_id=record.id
    )

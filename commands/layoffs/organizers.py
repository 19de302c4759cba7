"""The organizers' /layoff commands: verify, reject, or mark a pending report as a duplicate
of another; each is audited (the day only, for an anonymous report) and closes the buttons
of the report's moderation posts (``edit_moderation_posts``, which publish also uses)."""

from __future__ import annotations

from dataclasses import astuple, replace

from bot.context import Context
from bot.errors import ValidationError
from bot.options import Ref
from bot.registry import Role
from bot.reply import Reply
from commands.layoffs import group
from commands.layoffs.access import mod_keys, report_here, tracker_note
from commands.layoffs.options import ID
from commands.layoffs.render import moderation_reply
from storage import layoffs as store


async def _decide(
    ctx: Context, record: store.LayoffRecord, status: str, of: store.LayoffRecord | None = None
) -> Reply:
    """Move a pending report to ``status``, audit it and edit its moderation posts."""
    moderator = await ctx.member()
    conn, org_id, ref = ctx.conn, ctx.org.id, f"L-{record.ref}"
    if not await store.moderate(
        conn,
        org_id,
        record.id,
        status=status,
        by=moderator.id,
        at=ctx.now,
        duplicate_of=of and of.id,
    ):
        current = await report_here(ctx, record.ref)
        return Reply(text=f"{ref} is already {current.status}; nothing changed.")
    action = {"verified": "verify", "rejected": "reject", "duplicate": "duplicate"}[status]
    about_anonymous = record.anonymous or (of is not None and of.anonymous)
    detail = {"of": f"L-{of.ref}"} if of else {}
    await ctx.audit(f"layoff.{action}", ref, day_only=about_anonymous, **detail)
    outcome = f"duplicate of L-{of.ref}" if of else status
    shown = moderation_reply(
        replace(record, status=status, duplicate_of=of and of.ref),
        f"{outcome} by {moderator.display_name}",
        publishable=status == "verified" and not record.source_url and bool(tracker_note(ctx)),
    )
    await edit_moderation_posts(ctx, record.id, shown, status)
    return Reply(text=f"{ref} is now marked {outcome}.")


async def edit_moderation_posts(ctx: Context, report_id: int, shown: Reply, change: str) -> None:
    """Replace every moderation post of a report with ``shown``; ``change`` names this
    edit among the report's edits (a second edit with the same name is not sent)."""
    keys = [key for _, _, key in mod_keys(ctx, report_id)]
    for post in await store.moderation_posts(ctx.conn, keys):
        key = f"layoff:{report_id}:{change}:{post.outbox_id}"
        await ctx.messages.edit(
            *astuple(post), shown, kind="moderation", key=key, org_id=ctx.org.id
        )


@group.command("verify", options=[ID], role=Role.ORGANIZER, help="Verify a report (organizers)")
async def verify(ctx: Context, id: int) -> Reply:
    """Count a pending report as verified."""
    return await _decide(ctx, await report_here(ctx, id), "verified")


@group.command("reject", options=[ID], role=Role.ORGANIZER, help="Reject a report (organizers)")
async def reject(ctx: Context, id: int) -> Reply:
    """Set a pending report aside as rejected."""
    return await _decide(ctx, await report_here(ctx, id), "rejected")


@group.command(
    "duplicate",
    options=[ID, Ref("of", required=True, prefix="L", help="the earlier report, e.g. L-41")],
    role=Role.ORGANIZER,
    form_title="Duplicate of which report?",
    help="Mark a report as a duplicate of another (organizers)",
)
async def duplicate(ctx: Context, id: int, of: int) -> Reply:
    """Mark a pending report as a duplicate of an earlier one."""
    record = await report_here(ctx, id)
    original = await report_here(ctx, of, "of")
    if of == id or original.duplicate_of == id:
        raise ValidationError("of", f"must be another report than L-{id} and not its duplicate")
    return await _decide(ctx, record, "duplicate", original)

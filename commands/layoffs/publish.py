"""The organizers' /layoff publish and unpublish: whether a verified report without a source
link appears on the public layoff tracker (a verified report with a source link appears
anyway). Each is audited, the day only for an anonymous report, and turns the button of
the report's moderation posts into the other one (Show on / Hide from the public tracker)."""

from __future__ import annotations

import secrets
from dataclasses import replace

from bot.context import Context
from bot.errors import ValidationError
from bot.registry import Role
from bot.reply import Reply
from commands.layoffs import group
from commands.layoffs.access import report_here, tracker_note
from commands.layoffs.options import ID
from commands.layoffs.organizers import edit_moderation_posts
from commands.layoffs.render import moderation_reply
from storage import layoffs as store
from storage import tracker


async def _publish(ctx: Context, id: int, published: bool) -> Reply:
    record = await report_here(ctx, id)
    ref = f"L-{record.ref}"
    if record.status != "verified":
        raise ValidationError(
            "id", f"{ref} is {record.status}; only a verified report can be shown publicly"
        )
    if record.source_url:
        return Reply(
            text=f"{ref} has a source link, so it appears on the public tracker anyway; "
            "nothing changed."
        )
    if record.published == published:
        now = "already shown" if published else "not shown"
        return Reply(text=f"{ref} is {now} on the public tracker; nothing changed.")
    await tracker.set_published(ctx.conn, ctx.org.id, record.id, published, ctx.now)
    await ctx.audit(
        f"layoff.{'publish' if published else 'unpublish'}", ref, day_only=record.anonymous
    )
    await _show_on_posts(ctx, replace(record, published=published))
    if published:
        text = (
            f"{ref} now appears on the public tracker: its employer, place, month, workers "
            "and kind, never who sent it."
        )
    else:
        text = f"{ref} no longer appears on the public tracker."
    return Reply(text=text + tracker_note(ctx))


async def _show_on_posts(ctx: Context, record: store.LayoffRecord) -> None:
    """Edit the report's moderation posts: who verified it, whether the tracker shows it
    and by whom, and the button that does the other."""
    verifier = await store.moderator_name(ctx.conn, record.id)
    member = await ctx.member()
    shown = "shown on" if record.published else "hidden from"
    status = "verified" + (f" by {verifier}" if verifier else "")
    post = moderation_reply(
        record,
        f"{status}; {shown} the public tracker by {member.display_name}",
        publishable=bool(tracker_note(ctx)),
    )
    # each change is its own edit: the button may go back and forth any number of times
    change = f"{'publish' if record.published else 'unpublish'}:{secrets.token_hex(6)}"
    await edit_moderation_posts(ctx, record.id, post, change)


@group.command(
    "publish",
    options=[ID],
    role=Role.ORGANIZER,
    help="Show a verified report without a source link on the public tracker (organizers)",
)
async def publish(ctx: Context, id: int) -> Reply:
    """Show a verified report on the public tracker although it has no source link."""
    return await _publish(ctx, id, True)


@group.command(
    "unpublish",
    options=[ID],
    role=Role.ORGANIZER,
    help="Stop showing a report without a source link on the public tracker (organizers)",
)
async def unpublish(ctx: Context, id: int) -> Reply:
    """Stop showing a report without a source link on the public tracker."""
    return await _publish(ctx, id, False)

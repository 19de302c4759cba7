"""Finding what an /alert command names: the organization's alert by its number, and the
caller as a recipient with their timezone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.context import Context
from bot.errors import ValidationError
from storage import alerts as store
from storage import members
from storage.alerts import AlertRecord, Recipient
from storage.members import ProfileRecord


async def caller(ctx: Context) -> tuple[Recipient, ZoneInfo]:
    """The caller as a recipient (for a preview, or /alert show), and their timezone."""
    member = await ctx.existing_member()
    profile = ProfileRecord(0) if member is None else await members.profile(ctx.conn, member.id)
    shown_name = member.display_name if member else ctx.invocation.display_name
    who = Recipient(
        member.id if member else 0,
        ctx.platform,
        ctx.invocation.user_id,
        profile.name or shown_name or ctx.invocation.user_id,
        profile.state,
        profile.district,
        profile.timezone,
    )
    return who, ZoneInfo(profile.timezone or ctx.org.timezone)


async def org_alert(ctx: Context, alert_id: int) -> AlertRecord:
    """The organization's alert by its number, or a refusal naming id."""
    alert = await store.get_alert(ctx.conn, alert_id)
    if alert is None or alert.org_id != ctx.org.id:
        raise ValidationError("id", f"there is no alert {alert_id} here; see /alert list")
    return alert

"""/dashboard: a one-time link that signs an organizer in to the web dashboard.

The link works once, for ten minutes, and goes by direct message (at the console, which is a
conversation with oneself, it is printed) without a link preview, since a preview would
fetch it. Only a digest of its token is stored. `/privacy export` lists a member's login
links and dashboard sessions (never their tokens); `/privacy delete` and `/link` end them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.context import Context
from bot.errors import UserError
from bot.registry import CommandGroup, Role
from bot.reply import Reply
from bot.scheduler import DueContext
from storage import web_access

group = CommandGroup("dashboard", help="A sign-in link to manage your organization on the web")

#: how long a login link signs in
LINK_LIFETIME = timedelta(minutes=10)
#: the path of a login link under the web pages' address
LOGIN_PATH = "/dashboard/login/"
#: the due item that deletes the links and sessions that can no longer sign anyone in: due
#: once every session a link of this hour could start has expired (12 hours after sign-in)
FORGET_EXPIRED = "dashboard.forget-expired"
FORGET_AFTER = timedelta(hours=13)


@group.command(role=Role.ORGANIZER, help="Get a one-time link to the organizer dashboard")
async def dashboard(ctx: Context) -> Reply:
    """Send the organizer a one-time sign-in link to the dashboard by direct message."""
    web = ctx.services.config.web
    if not web.enabled:
        if ctx.invocation.console:
            raise UserError(
                "The web dashboard is off: start the console with --web 8080 to use it."
            )
        raise UserError(
            "The web dashboard is not turned on for this bot; an admin can turn it on with "
            "[web] enabled = true in the configuration."
        )
    member = await ctx.member()
    inv = ctx.invocation
    signer = web_access.Signer(
        org_id=ctx.org.id,
        member_id=member.id,
        platform=inv.platform,
        space_id=inv.space_id,
        account=inv.user_id,
        display_name=inv.display_name or member.display_name,
        roles=tuple(inv.platform_roles),
        role_names=tuple(inv.role_names),
    )
    token = await web_access.add_login(ctx.conn, signer, ctx.now, ctx.now + LINK_LIFETIME)
    await ctx.audit("dashboard.link")
    hour = ctx.now.replace(minute=0, second=0, microsecond=0)
    await ctx.schedule(
        kind=FORGET_EXPIRED, due_at=hour + FORGET_AFTER, key=f"{FORGET_EXPIRED}:{hour:%Y-%m-%dT%H}"
    )
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    link = Reply(
        text=(
            f"Your sign-in link to the {ctx.org.name} dashboard: {web.address()}{LOGIN_PATH}"
            f"{token}\nIt works once, for {minutes} minutes. Do not share it: it signs in "
            "as you."
        ),
        ephemeral=False,
        no_previews=True,
    )
    if inv.console:
        link.ephemeral = True
        return link
    await ctx.messages.to_person(
        inv.platform,
        inv.user_id,
        link,
        kind="dashboard_link",
        key=f"dashboard:{web_access.token_hash(token)[:32]}",
        member_id=member.id,
        org_id=ctx.org.id,
    )
    return Reply(
        text=f"I sent you a sign-in link by direct message. It works once, for {minutes} minutes."
    )


@group.on_due(FORGET_EXPIRED)
async def forget_expired(ctx: DueContext) -> None:
    """Delete the login links and sessions that have expired."""
    await web_access.forget_expired(ctx.conn, ctx.now)


@group.on_export
async def export_member(ctx: Context, member_id: int) -> list[dict[str, Any]]:
    """A member's login links and dashboard sessions (when, where; never a token)."""
    return await web_access.access_of_member(ctx.conn, member_id)


@group.on_erase
async def erase_member(ctx: Context, member_id: int) -> None:
    """Sign a member out everywhere and void their login links."""
    await web_access.end_sessions_of(ctx.conn, member_id)


@group.on_merge
async def merge(ctx: Context, keep: int, drop: int) -> None:
    """The joined-away account's sessions and links end: they signed in as someone else."""
    await web_access.end_sessions_of(ctx.conn, drop)

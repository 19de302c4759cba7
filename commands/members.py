"""/profile, /link and /privacy: who a member is, joining their accounts, and their data;
organizers' alert-DM opt-out lists (`/privacy optouts`, `/privacy optouts-import`)."""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from bot import files
from bot.context import Context
from bot.errors import ValidationError
from bot.options import CLEARED, Choice, District, Text, TextList, Timezone, UsState, YesNo
from bot.registry import CommandGroup, Role
from bot.reply import Action, File, Reply
from bot.vocabulary import CLASSIFICATION_ALIASES, CLASSIFICATIONS, LIBRARY_TYPES
from commands.optouts import COLUMNS, describe_import, parse_optouts
from storage import audit, links, members, orgs
from storage import optouts as optout_store
from storage.links import LinkCodeRecord

LINK_TTL = timedelta(minutes=10)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


PROFILE_OPTIONS = (
    Text(
        "name",
        help="your name, as it should appear on a sign-on letter",
        max_length=100,
        clearable=True,
    ),
    Text("title", help="your job title", max_length=100, clearable=True),
    Text("institution", help="your library or system", max_length=150, clearable=True),
    Text("city", help="your city", max_length=100, clearable=True),
    UsState("state", help="US state or territory, e.g. IL", clearable=True),
    District("district", help="congressional district number, or AL", clearable=True),
    Choice(
        "library_type", help="library type", values=LIBRARY_TYPES, forgiving=True, clearable=True
    ),
    Choice(
        "classification",
        help="worker classification",
        values=CLASSIFICATIONS,
        aliases=CLASSIFICATION_ALIASES,
        forgiving=True,
        clearable=True,
    ),
    Timezone(
        "timezone",
        help="IANA timezone, e.g. America/Chicago, or a city, US state or abbreviation (CST)",
        clearable=True,
    ),
    YesNo("alert_dms", help="receive action alerts by direct message"),
    TextList(
        "topics",
        help="topics you follow, comma-separated",
        item_max=40,
        max_items=10,
        clearable=True,
    ),
)

profile = CommandGroup("profile", help="What you tell the bot about yourself")
profile.home_section("Preferences", rank=50)
link = CommandGroup("link", help="Join your Slack and Discord accounts into one member")
privacy = CommandGroup(
    "privacy", help="Your data: export it or erase it; organizers: alert-DM opt-out lists"
)


def _show(value: Any) -> str:
    if value is None or value == []:
        return "—"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list | tuple):
        return ", ".join(value)
    return str(value)


def _stored(name: str, value: Any) -> Any:
    """The value to store: a cleared field is empty (topics an empty list)."""
    if value is CLEARED:
        return [] if name == "topics" else None
    return value


@profile.command(options=PROFILE_OPTIONS, help="Show your profile, or set fields of it")
async def profile_command(ctx: Context, **fields: Any) -> Reply:
    """Show the caller's profile; with options, set those fields first."""
    changes = {name: _stored(name, value) for name, value in fields.items() if value is not None}
    if changes:
        member = await ctx.member()
        record = await members.update_profile(ctx.conn, member.id, changes)
    else:
        member = await ctx.existing_member()
        if member is None:
            return Reply(
                text="You have no profile yet. Set any field, e.g. "
                "/profile state:IL library_type:public timezone:America/Chicago"
            )
        record = await members.profile(ctx.conn, member.id)
    shown = [
        (opt.name.replace("_", " "), _show(getattr(record, opt.name))) for opt in PROFILE_OPTIONS
    ]
    return Reply(
        title="Your profile" + (" (updated)" if changes else ""),
        fields=shown,
        text="Only you and your organization's organizers see this.",
    )


def new_link_code() -> str:
    """A one-time code such as ``K7QM-P2XD``, easy to read aloud and type."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


_PLATFORM_NAMES = {"slack": "Slack", "discord": "Discord", "console": "console"}


@link.command(
    options=[
        Text("code", help="the code your other account was given", max_length=20),
        YesNo("confirm", help="yes to join the accounts, once you have seen whose they are"),
    ],
    positional="code",
    help="Get a code, or enter the code from your other platform",
)
async def link_command(ctx: Context, code: str | None, confirm: bool | None) -> Reply:
    """Without a code: make one. With a code: say whose account it would join and ask to
    confirm; with ``confirm:yes`` from the account that entered it: join the accounts."""
    if code is None:
        if confirm is not None:
            raise ValidationError("code", "is needed with confirm: the code you entered")
        member = await ctx.member()
        new = new_link_code()
        await links.store_link_code(
            ctx.conn, new, member.id, ctx.platform, ctx.now + LINK_TTL, ctx.now
        )
        return Reply(
            text=f"Your link code is {new}. Within 10 minutes, on your other platform, "
            f"type /link code:{new} — it works once. Give it to no one else: whoever enters "
            "it and confirms joins their account to yours."
        )
    found = await links.find_link_code(ctx.conn, code)
    if found is None:
        raise ValidationError(
            "code", "is not a code we gave out; codes work once — get a new one with /link"
        )
    if found.expires_at <= ctx.now:
        raise ValidationError(
            "code", "has expired (codes last 10 minutes); get a new one with /link"
        )
    if found.platform == ctx.platform:
        raise ValidationError(
            "code", f"was made on {found.platform}; enter it from your account on another platform"
        )
    current = await ctx.existing_member()
    if current is not None and current.id == found.member_id:
        return Reply(text="These accounts are already linked.")
    if current is None:
        current = await ctx.member()
    if not confirm or found.entered_by != current.identity_id:
        return await _ask_to_link(ctx, code.strip().upper(), found, current.identity_id)
    if await links.take_link_code(ctx.conn, code, current.identity_id) is None:
        raise ValidationError(
            "code", "is not a code we gave out; codes work once — get a new one with /link"
        )
    keep_id = found.member_id
    await members.move_identities(ctx.conn, current.id, keep_id)
    for group in ctx.services.registry.groups.values():
        for merge in group.mergers:
            await merge(ctx, keep_id, current.id)
    await members.delete_member(ctx.conn, current.id)
    ctx.forget_member(current.id)
    # Files follow the database only once it has committed: a failed link moves none.
    folder, dropped = ctx.services.config.bot.files_dir, current.id
    ctx.after_commit(lambda: asyncio.to_thread(files.move_member_exports, folder, dropped, keep_id))
    platforms = sorted({i.platform for i in await members.identities(ctx.conn, keep_id)})
    return Reply(
        text="Linked. You are one member on "
        + " and ".join(platforms)
        + " now: one signature, one RSVP, one ballot and one set of preferences."
    )


async def _ask_to_link(ctx: Context, code: str, found: LinkCodeRecord, identity_id: int) -> Reply:
    """Hold the code for this account alone and ask it to confirm, naming whose account the
    code joins: nothing is joined yet."""
    if await links.enter_link_code(ctx.conn, code, identity_id) is None:
        raise ValidationError(
            "code", "was entered from another account already; get a new one with /link"
        )
    owner = [
        i
        for i in await members.identities(ctx.conn, found.member_id)
        if i.platform == found.platform
    ]
    name = owner[0].display_name if owner else "an account"
    minutes = max(1, round((found.expires_at - ctx.now).total_seconds() / 60))
    return Reply(
        title="Link these accounts?",
        text=f"Code {code} is from {name} on {_PLATFORM_NAMES[found.platform]}. Linking "
        f"makes this {_PLATFORM_NAMES[ctx.platform]} account and that one a single member, for "
        "good: whoever uses that account sees and answers for your ballots, RSVPs, "
        "signatures, reminders and profile, and gets them in /privacy export. Link only if "
        "both accounts are yours; if someone else gave you this code, do not confirm.\n"
        f"Confirm within {minutes} minute{'s' if minutes != 1 else ''} with the button, or "
        f"type /link code:{code} confirm:yes",
        actions=[Action("Yes, link my accounts", "link", {"code": code, "confirm": "yes"})],
    )


@privacy.command("export", help="Get a file of everything the bot keeps about you")
async def privacy_export(ctx: Context) -> Reply:
    """Send the caller their own data as a JSON file."""
    member = await ctx.existing_member()
    if member is None:
        return Reply(text="The bot keeps nothing about you.")
    data: dict[str, Any] = {
        "member": {"id": member.id, "display_name": member.display_name},
        "accounts": [
            {"platform": i.platform, "user_id": i.user_id, "display_name": i.display_name}
            for i in await members.identities(ctx.conn, member.id)
        ],
        "profile": {
            k: v
            for k, v in asdict(await members.profile(ctx.conn, member.id)).items()
            if k != "member_id"
        },
        "organizations": await orgs.org_names_of(ctx.conn, member.id),
        "actions_as_organizer": await audit.entries(ctx.conn, actor=member.id),
        "alert_dm_optouts_imported": await optout_store.pending_of_accounts(
            ctx.conn, await _accounts(ctx, member.id)
        ),
    }
    for group in ctx.services.registry.groups.values():
        for export in group.exporters:
            data[group.name] = await export(ctx, member.id)
    body = json.dumps(data, indent=2, sort_keys=True, default=str).encode()
    return Reply(
        text="Here is everything the bot keeps about you.",
        files=[File(files.member_export_name(member.id), body, "application/json")],
    )


@privacy.command(
    "delete",
    options=[YesNo("confirm", help="yes to erase your data now")],
    help="Erase everything the bot keeps about you",
)
async def privacy_delete(ctx: Context, confirm: bool | None) -> Reply:
    """Erase the caller's member record and, through each feature, what hangs from it."""
    member = await ctx.existing_member()
    if member is None:
        return Reply(text="The bot keeps nothing about you; there is nothing to erase.")
    if not confirm:
        return Reply(
            text="Erased everywhere: profile, linked accounts, reminders, event answers, "
            "calendar addresses, any opt-out your organizers imported.\n"
            "These stay counted without your name: alert signatures and answers, poll ballots, "
            "layoff reports, organizer actions.\n"
            "It cannot be undone; if you come back, alert DMs start on.",
            actions=[
                Action("Yes, erase my data", "privacy delete", {"confirm": "yes"}, style="danger")
            ],
        )
    for group in ctx.services.registry.groups.values():
        for erase in group.erasers:
            await erase(ctx, member.id)
    await optout_store.forget_accounts(ctx.conn, await _accounts(ctx, member.id))
    await members.delete_member(ctx.conn, member.id)
    ctx.forget_member(member.id)
    # The files go once the deletion has committed, so a failed deletion keeps them too.
    folder, erased = ctx.services.config.bot.files_dir, member.id
    ctx.after_commit(lambda: asyncio.to_thread(files.remove_member_exports, folder, erased))
    return Reply(text="Done: the bot no longer keeps anything about you.")


async def _accounts(ctx: Context, member_id: int) -> list[tuple[str, str]]:
    """A member's accounts as (platform, user id) pairs."""
    return [(i.platform, i.user_id) for i in await members.identities(ctx.conn, member_id)]


@dataclass(frozen=True)
class OptoutList(Text):
    """CSV rows ``platform,account[,display_name]``, one a line or separated by ``;``, with an
    optional header row; each row is checked when the list is read. At most 3,000
    characters, what a Slack form field takes; longer lists go through the command line."""

    max_length: int = 3000
    long: bool = True


@privacy.command(
    "optouts",
    role=Role.ORGANIZER,
    help="The organization's alert-DM opt-outs as a CSV file (one row per account)",
)
async def optouts_export(ctx: Context) -> Reply:
    """Hand organizers the opt-out list: every member with alert DMs off, each of their
    accounts, and the imported accounts not seen yet."""
    data, people, rows = await optout_store.export_optouts(ctx.conn, ctx.org.id)
    await ctx.audit("optouts.export", "optouts", people=people, accounts=rows)
    return Reply(
        text=f"{people} {'person wants' if people == 1 else 'people want'} no alert DMs "
        f"({rows} account{'s' if rows != 1 else ''}).",
        files=[File(f"{ctx.org.slug}-alert-dm-optouts.csv", data, "text/csv")],
    )


@privacy.command(
    "optouts-import",
    options=[
        OptoutList(
            "csv",
            required=True,
            help=f"CSV rows {COLUMNS}, one a line or separated by ;",
        )
    ],
    role=Role.ORGANIZER,
    help="Add accounts that want no alert DMs (CSV rows platform,account[,display_name])",
    form_title="Import alert-DM opt-outs",
)
async def optouts_import(ctx: Context, csv: str) -> Reply:
    """Take each good row of a list; name each refused row by its line and field."""
    rows, problems = parse_optouts(csv, chat=True)
    if not rows:
        found = "; ".join(str(p) for p in problems[:5]) or f"write {COLUMNS}, one account a row"
        raise ValidationError("csv", f"has no row that can be taken ({found})")
    await ctx.member()  # the organizer is stored before the import locks the accounts table
    outcome = await optout_store.import_optouts(ctx.conn, ctx.org.id, rows, ctx.now)
    await ctx.audit(
        "optouts.import",
        "optouts",
        accounts=outcome.accounts,
        switched_off=outcome.switched_off,
        pending=outcome.pending,
        refused=len({p.line for p in problems}),
    )
    return Reply(text=describe_import(outcome, problems))

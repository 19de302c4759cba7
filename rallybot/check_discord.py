"""`rallybot check` on Discord: the token, the guilds and channels, and the slash commands.

Through discord.py's HTTP client (``RoutedHTTP``, on ``[discord] api_url``): ``GET
/users/@me`` tries the token; for each configured guild, ``GET /guilds/{id}`` (its owner and
roles) and the bot's own member there (its roles); for each configured alert and moderation
channel, ``GET /channels/{id}`` and the bot's permissions in it, computed as Discord
documents (Permissions, "Permission Overwrites":
https://discord.com/developers/docs/topics/permissions#permission-overwrites): the
guild's owner and an administrator may do everything; else the permissions of ``@everyone``
and of the bot's roles, then the channel's ``@everyone`` overwrite, its role overwrites
together, and the overwrite of the bot's member, each taking away its ``deny`` before adding
its ``allow``; without View Channel nothing else is left ("Implicit Permissions"). The bot
needs View Channel and Send Messages there. Then the application's commands (global, and
each configured guild's) are compared with the tree `rallybot discord sync` would send.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import discord

from adapters.discord.client import RoutedHTTP
from adapters.discord.tree import build_commands
from bot.config import Config, OrgConfig
from bot.registry import Registry
from rallybot.check import Item, failed, passed
from rallybot.groups import default_groups

#: what the bot needs in an alert or moderation channel
NEEDED = {"view_channel": "View Channel", "send_messages": "Send Messages"}


def channel_permissions(
    guild: dict[str, Any],
    member_id: str,
    member_roles: list[str],
    overwrites: list[dict[str, Any]],
) -> discord.Permissions:
    """A member's permissions in a channel, from the guild (``owner_id``, ``roles`` with their
    permissions), the member's role ids and the channel's ``permission_overwrites``, by
    Discord's documented computation."""
    guild_id = str(guild["id"])
    if str(guild.get("owner_id")) == member_id:
        return discord.Permissions.all()
    roles = {str(r["id"]): int(r.get("permissions") or 0) for r in guild.get("roles") or []}
    value = roles.get(guild_id, 0)  # @everyone: its id is the guild's
    for role_id in member_roles:
        value |= roles.get(str(role_id), 0)
    permissions = discord.Permissions(value)
    if permissions.administrator:
        return discord.Permissions.all()
    by_target = {(str(o["id"]), int(o["type"])): o for o in overwrites}
    everyone = by_target.get((guild_id, 0))
    if everyone is not None:
        permissions.handle_overwrite(int(everyone["allow"]), int(everyone["deny"]))
    allow = deny = 0
    for role_id in member_roles:
        found = by_target.get((str(role_id), 0))
        if found is not None:
            allow |= int(found["allow"])
            deny |= int(found["deny"])
    permissions.handle_overwrite(allow, deny)
    own = by_target.get((member_id, 1))
    if own is not None:
        permissions.handle_overwrite(int(own["allow"]), int(own["deny"]))
    if not permissions.view_channel:  # "Implicit Permissions": unseen, nothing else applies
        return discord.Permissions.none()
    return permissions


def _option_shape(option: dict[str, Any]) -> tuple[Any, ...]:
    """What an option declares, defaults filled in as Discord leaves them out."""
    return (
        int(option.get("type", 0)),
        option.get("name"),
        option.get("description"),
        bool(option.get("required", False)),
        bool(option.get("autocomplete", False)),
        tuple((c.get("name"), c.get("value")) for c in option.get("choices") or []),
        option.get("min_value"),
        option.get("max_value"),
        option.get("max_length"),
        tuple(_option_shape(o) for o in option.get("options") or []),
    )


def command_shapes(commands: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    """Each command's declaration by name, comparable between what the bot would sync and
    what Discord returns (which adds ids and versions, and leaves out defaults)."""
    return {
        str(c.get("name")): (
            c.get("description"),
            tuple(_option_shape(o) for o in c.get("options") or []),
        )
        for c in commands
    }


def differences(expected: list[dict[str, Any]], found: list[dict[str, Any]]) -> list[str]:
    """How the commands Discord has differ from the tree the bot would sync (empty: none)."""
    want, have = command_shapes(expected), command_shapes(found)
    said = []
    missing = sorted(set(want) - set(have))
    changed = sorted(n for n in set(want) & set(have) if want[n] != have[n])
    extra = sorted(set(have) - set(want))
    if missing:
        said.append("missing " + ", ".join(f"/{n}" for n in missing))
    if changed:
        said.append("out of date " + ", ".join(f"/{n}" for n in changed))
    if extra:
        said.append("no longer ours " + ", ".join(f"/{n}" for n in extra))
    return said


def _http_problem(exc: discord.HTTPException) -> str:
    """Discord's refusal, by status and code only (its text may quote what was sent)."""
    return f"HTTP {exc.status}, code {exc.code}"


async def _channel(
    http: RoutedHTTP,
    org: OrgConfig,
    kind: str,
    channel_id: str,
    me: str,
    guilds: dict[str, tuple[dict[str, Any], list[str]]],
) -> Item:
    """Whether the bot can see and post in one configured channel of ``org``."""
    name = org.channel_names.get(("discord", channel_id))
    subject = f"Discord {kind} channel {channel_id}" + (f" (#{name})" if name else "")
    key = f"[[orgs]] {org.slug} {kind}_channels.discord"
    if not channel_id.isdigit():
        return failed(
            subject,
            f"not a Discord channel id (digits; Copy Channel ID in Discord's developer mode): "
            f"correct {key}",
        )
    try:
        channel = await http.get_channel(channel_id)
    except discord.NotFound:
        return failed(
            subject, f"Discord does not know this channel (deleted, or a wrong id): correct {key}"
        )
    except discord.Forbidden:
        return failed(
            subject,
            "the bot may not see this channel: give its role View Channel there "
            "(the channel's settings, Permissions)",
        )
    except discord.HTTPException as exc:
        return failed(subject, f"Discord answered {_http_problem(exc)}")
    guild_id = str(channel.get("guild_id") or "")
    if guild_id not in org.discord_guild_ids:
        return failed(
            subject,
            f"it is not in a guild of {org.slug} (discord_guild_ids): correct {key}",
        )
    if guild_id not in guilds:
        return failed(subject, f"cannot be checked: the bot is not in guild {guild_id} (see above)")
    guild, roles = guilds[guild_id]
    overwrites = channel.get("permission_overwrites") or []
    permissions = channel_permissions(guild, me, roles, overwrites)
    lacking = [label for flag, label in NEEDED.items() if not getattr(permissions, flag)]
    shown = f"#{channel.get('name', channel_id)}"
    if lacking:
        return failed(
            subject,
            f"the bot lacks {' and '.join(lacking)} in {shown}: allow "
            f"{'them' if len(lacking) > 1 else 'it'} for the bot's role in the channel's "
            "settings (Permissions)",
        )
    return passed(subject, f"the bot can see and post in {shown}")


async def _guilds(
    http: RoutedHTTP, config: Config, me: str
) -> tuple[list[Item], dict[str, tuple[dict[str, Any], list[str]]]]:
    """Each configured guild, with the bot's roles there; and the items of those missing."""
    items: list[Item] = []
    found: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for org in config.orgs:
        for guild_id in org.discord_guild_ids:
            subject = f"Discord guild {guild_id}"
            try:
                guild = await http.get_guild(guild_id, with_counts=False)
                member = await http.get_member(guild_id, me)
            except (discord.NotFound, discord.Forbidden):
                items.append(
                    failed(
                        subject,
                        f"the bot is not in this guild of {org.slug}: invite it with the app's "
                        "OAuth2 URL (scopes bot and applications.commands)",
                    )
                )
                continue
            except discord.HTTPException as exc:
                items.append(failed(subject, f"Discord answered {_http_problem(exc)}"))
                continue
            found[guild_id] = (dict(guild), [str(r) for r in member.get("roles") or []])
            items.append(passed(subject, f"the bot is in {guild.get('name', guild_id)}"))
    return items, found


async def _commands(http: RoutedHTTP, config: Config) -> list[Item]:
    """Whether each configured guild sees the commands the bot would sync."""
    expected = build_commands(Registry(default_groups()), config.bot.prefix)
    app_id = (await http.application_info())["id"]
    global_commands = list(await http.get_global_commands(app_id))
    global_diff = differences(expected, global_commands)
    items = []
    for org in config.orgs:
        for guild_id in org.discord_guild_ids:
            subject = f"Discord slash commands in guild {guild_id}"
            guild_commands = list(await http.get_guild_commands(app_id, guild_id))
            if guild_commands:
                diff, where = differences(expected, guild_commands), "to this guild"
            else:
                diff, where = global_diff, "globally"
            if diff:
                items.append(
                    failed(
                        subject,
                        f"not synced ({'; '.join(diff)}): run `rallybot discord sync --guild "
                        f"{guild_id}` (at once), or without --guild for every guild (within "
                        "an hour)",
                    )
                )
            else:
                items.append(passed(subject, f"the {len(expected)} commands are synced {where}"))
    return items


async def check_discord(config: Config) -> list[Item]:
    """Every Discord item: the token, each configured guild and channel, the commands."""
    settings = config.discord
    if not settings.token:
        return [failed("Discord token", "not set: set RALLYBOT_DISCORD__TOKEN")]
    http = RoutedHTTP(
        asyncio.get_running_loop(), api_url=settings.api_url, global_rate=settings.global_rate
    )
    try:
        try:
            me = await http.static_login(settings.token)
        except discord.LoginFailure:
            return [
                failed(
                    "Discord token",
                    "Discord refused it (401): copy the token again from the Developer "
                    "Portal's Bot page into RALLYBOT_DISCORD__TOKEN",
                )
            ]
        except discord.HTTPException as exc:
            return [failed("Discord token", f"Discord answered {_http_problem(exc)}")]
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return [
                failed(
                    "Discord token",
                    f"{settings.api_url} cannot be reached ({type(exc).__name__}): check "
                    "[discord] api_url and this machine's network",
                )
            ]
        me_id = str(me["id"])
        items = [passed("Discord token", f"accepted by Discord, bot {me.get('username', me_id)}")]
        found, guilds = await _guilds(http, config, me_id)
        items += found
        for org in config.orgs:
            for kind in ("alert", "moderation"):
                for channel_id in getattr(org, f"{kind}_channels").get("discord", []):
                    items.append(await _channel(http, org, kind, channel_id, me_id, guilds))
        try:
            items += await _commands(http, config)
        except discord.HTTPException as exc:
            items.append(failed("Discord slash commands", f"Discord answered {_http_problem(exc)}"))
        return items
    finally:
        await http.close()

"""`rallybot check` on Slack: the secret of the mode, the tokens, and the channels.

In HTTP mode the signing secret must be set; in Socket Mode Slack must take the app-level
token (``apps.connections.open``). Each bot token is tried with ``auth.test`` (the
configured bot token, or with OAuth installs each stored installation's), and each
configured alert and moderation channel with ``conversations.info`` through the token of
the organization's workspace: Slack must find the channel, it must not be archived, and the
bot must be in it (``is_member``), or posts there would fail. Calls go through slack_sdk's
``AsyncWebClient`` to ``[slack] api_url``.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import desc, select

from adapters.slack.oauth import Installations
from adapters.slack.sender import API_LOG
from bot.config import Config, OrgConfig, SlackConfig
from rallybot.check import Item, failed, passed
from storage.db import Database

#: what to do when Slack refuses a bot token, by Slack's error
TOKEN_ADVICE = {
    "invalid_auth": "copy the Bot User OAuth Token (xoxb-…) again from the app's "
    "OAuth & Permissions page",
    "token_revoked": "the token was revoked: reinstall the app and copy its new token",
    "account_inactive": "the app was uninstalled or its workspace closed: reinstall it",
    "not_authed": "no token was sent: set RALLYBOT_SLACK__BOT_TOKEN",
}


@dataclass(frozen=True)
class Workspace:
    """A workspace whose token Slack accepted."""

    team_id: str
    client: AsyncWebClient


def _reach_error(settings: SlackConfig, exc: Exception) -> str:
    return (
        f"{settings.api_url} cannot be reached ({type(exc).__name__}): check [slack] api_url "
        "and this machine's network"
    )


async def _auth(
    settings: SlackConfig, session: aiohttp.ClientSession, token: str, subject: str
) -> tuple[Item, Workspace | None]:
    """``auth.test`` of one token: the item, and the workspace when Slack accepted it."""
    client = AsyncWebClient(token=token, base_url=settings.api_url, session=session, logger=API_LOG)
    try:
        answer = await client.auth_test()
    except SlackApiError as exc:
        error = str(exc.response.get("error", "unknown"))
        advice = TOKEN_ADVICE.get(error, "check the token and the app's installation")
        return failed(subject, f"Slack refused it ({error}): {advice}"), None
    except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
        return failed(subject, _reach_error(settings, exc)), None
    team = str(answer.get("team_id", ""))
    return passed(subject, f"accepted by Slack, workspace {team}"), Workspace(team, client)


async def _socket_token(settings: SlackConfig, session: aiohttp.ClientSession) -> Item:
    """Whether Slack takes the app-level token for Socket Mode: ``apps.connections.open``
    hands out a websocket address (not connected to here; it expires unused)."""
    subject = "Slack app token"
    client = AsyncWebClient(
        token=settings.app_token, base_url=settings.api_url, session=session, logger=API_LOG
    )
    try:
        await client.apps_connections_open(app_token=settings.app_token)
    except SlackApiError as exc:
        error = str(exc.response.get("error", "unknown"))
        return failed(
            subject,
            f"Slack refused it ({error}): make an app-level token (xapp-…, connections:write) "
            "on the app's Basic Information page and set RALLYBOT_SLACK__APP_TOKEN",
        )
    except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
        return failed(subject, _reach_error(settings, exc))
    return passed(subject, "accepted by Slack for Socket Mode")


async def _installed(db: Database, settings: SlackConfig) -> list[tuple[str, str]]:
    """(team id, bot token) of each workspace the app is installed in, its newest install."""
    bots = Installations(settings, db).store.bots
    query = (
        select(bots.c.team_id, bots.c.bot_token)
        .where(bots.c.client_id == settings.client_id, bots.c.bot_token.is_not(None))
        .order_by(desc(bots.c.installed_at))
    )
    async with db.reading(quiet=True) as conn:
        rows = (await conn.execute(query)).all()
    newest: dict[str, str] = {}
    for team, token in rows:
        newest.setdefault(str(team), str(token))
    return sorted(newest.items())


async def _tokens(
    config: Config, db: Database | None, session: aiohttp.ClientSession
) -> tuple[list[Item], dict[str, Workspace]]:
    """The items of the tokens, and the workspaces whose token works, by team id."""
    settings = config.slack
    configured = {team for org in config.orgs for team in org.slack_team_ids}
    items: list[Item] = []
    works: dict[str, Workspace] = {}
    if not settings.oauth:
        if not settings.bot_token:
            return [failed("Slack bot token", "not set: set RALLYBOT_SLACK__BOT_TOKEN")], works
        item, workspace = await _auth(settings, session, settings.bot_token, "Slack bot token")
        items.append(item)
        if workspace is not None:
            if workspace.team_id not in configured:
                items.append(
                    failed(
                        "Slack workspace",
                        f"the token is for workspace {workspace.team_id}, which no [[orgs]] "
                        "entry lists in slack_team_ids: add it, or use that workspace's token",
                    )
                )
            works[workspace.team_id] = workspace
        return items, works
    if db is None:
        return [
            failed(
                "Slack installations",
                "cannot be read while the database cannot be used (see above)",
            )
        ], works
    installed = await _installed(db, settings)
    for team, token in installed:
        item, workspace = await _auth(settings, session, token, f"Slack installation {team}")
        items.append(item)
        if workspace is not None:
            works[team] = workspace
    for team in sorted(configured - {team for team, _ in installed}):
        items.append(
            failed(
                f"Slack installation {team}",
                "the app is not installed in this workspace: open /slack/install on the "
                "bot's address from that workspace",
            )
        )
    return items, works


async def _channel(
    org: OrgConfig, kind: str, channel_id: str, workspaces: list[Workspace], settings: SlackConfig
) -> Item:
    """Whether the bot can post in one configured channel of ``org``."""
    name = org.channel_names.get(("slack", channel_id))
    subject = f"Slack {kind} channel {channel_id}" + (f" (#{name})" if name else "")
    key = f"[[orgs]] {org.slug} {kind}_channels.slack"
    if not workspaces:
        return failed(subject, "cannot be checked without a token Slack accepts (see above)")
    not_found = ""
    for workspace in workspaces:
        try:
            answer = await workspace.client.conversations_info(channel=channel_id)
        except SlackApiError as exc:
            not_found = str(exc.response.get("error", "unknown"))
            continue
        except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            return failed(subject, _reach_error(settings, exc))
        channel = answer.get("channel") or {}
        shown = f"#{channel.get('name', channel_id)}"
        if channel.get("is_archived"):
            return failed(
                subject, f"{shown} is archived: unarchive it, or name another channel in {key}"
            )
        if not channel.get("is_member"):
            return failed(
                subject,
                f"the bot is not in {shown}: type /invite @rallybot in that channel",
            )
        return passed(subject, f"the bot is in {shown}")
    if not_found == "channel_not_found":
        return failed(
            subject,
            "Slack does not find it (deleted, in another workspace, or private without the "
            f"bot): correct {key}, or invite the bot to the private channel",
        )
    return failed(subject, f"Slack answered {not_found}: check {key}")


async def check_slack(config: Config, db: Database | None) -> list[Item]:
    """Every Slack item: the mode's secret, the tokens, each configured channel."""
    settings = config.slack
    items: list[Item] = []
    if settings.mode == "http":
        if settings.signing_secret:
            items.append(passed("Slack signing secret", "set"))
        else:
            items.append(
                failed(
                    "Slack signing secret",
                    "not set: copy it from the app's Basic Information page into "
                    "RALLYBOT_SLACK__SIGNING_SECRET",
                )
            )
    elif not settings.app_token:
        items.append(
            failed(
                "Slack app token",
                "not set, and Socket Mode needs it: make one (xapp-…, connections:write) on "
                "the app's Basic Information page and set RALLYBOT_SLACK__APP_TOKEN",
            )
        )
    async with aiohttp.ClientSession() as session:
        if settings.mode == "socket" and settings.app_token:
            items.append(await _socket_token(settings, session))
        found, works = await _tokens(config, db, session)
        items += found
        for org in config.orgs:
            workspaces = [works[team] for team in org.slack_team_ids if team in works]
            if not settings.oauth:
                workspaces = list(works.values())
            for kind in ("alert", "moderation"):
                for channel_id in getattr(org, f"{kind}_channels").get("slack", []):
                    items.append(await _channel(org, kind, channel_id, workspaces, settings))
    return items

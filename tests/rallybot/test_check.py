"""`rallybot check` against the Slack and Discord stand-ins, on SQLite and PostgreSQL: all
good, then each thing that breaks a deployment (a deleted channel, a wrong token, a channel
where the bot may not post or is not a member, a database behind the newest migration,
slash commands not synced, an OAuth installation whose token was revoked), each told as a
✗ line with what to do and a non-zero exit, and never a secret in the output."""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store import Installation

from adapters.discord import sync_commands
from adapters.slack.oauth import Installations
from bot.config import Config, DiscordConfig, OrgConfig, RoleSources
from bot.registry import Registry
from rallybot.check import Item, main, report, run_checks
from rallybot.check_discord import channel_permissions
from rallybot.groups import default_groups
from standins.config import run_config
from standins.discord import DiscordStandIn
from standins.discord.payloads import ADMINISTRATOR, SEND_MESSAGES, VIEW_CHANNEL, overwrite
from standins.slack import SlackStandIn
from storage.db import Database
from tests.discord_support import ALERTS, GUILD, MODS, guilds
from tests.slack_support import SECRET, TEAM, slack_config
from tests.support import run_rallybot

BOT_ROLE = "500000000000000009"


@dataclass
class Rig:
    """Both stand-ins, and a configuration of one organization on both platforms."""

    slack: SlackStandIn
    discord: DiscordStandIn
    config: Config

    def secrets(self) -> list[str]:
        """Every secret the check was given or could have met."""
        return [
            SECRET,
            self.slack.bot_token,
            self.slack.app_token,
            self.discord.token,
            *self.slack.tokens,
        ]


def org() -> OrgConfig:
    """One organization on the Slack workspace and the Discord guild."""
    return OrgConfig(
        slug="il-library-workers",
        name="Illinois Library Workers",
        slack_team_ids=[TEAM],
        discord_guild_ids=[GUILD],
        alert_channels={"slack": ["C0ALERTS"], "discord": [ALERTS]},
        moderation_channels={"slack": ["C0MODS"], "discord": [MODS]},
        channel_names={("slack", "C0ALERTS"): "alerts"},
        organizers=RoleSources(slack_users=["U0ORG"], discord_roles=["Organizer"]),
    )


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    """Both stand-ins with every channel in place, and the commands synced to the guild."""
    slack = SlackStandIn(team_id=TEAM, bot_token="xoxb-check-1234567890-token")
    await slack.start()
    slack.add_channel("C0ALERTS", "alerts")
    slack.add_channel("C0MODS", "moderation", private=True)
    discord = DiscordStandIn(guilds(), token="discord-check-secret-token")
    discord.guilds[GUILD].roles[BOT_ROLE] = "rallybot"
    discord.guilds[GUILD].bot_roles.append(BOT_ROLE)
    await discord.start()
    config = slack_config(slack)
    config.discord = DiscordConfig(enabled=True, token=discord.token, api_url=discord.api_url)
    config.orgs = [org()]
    await sync_commands(config, Registry(default_groups()), GUILD)
    try:
        yield Rig(slack, discord, config)
    finally:
        await discord.stop()
        await slack.stop()


def told(items: list[Item], rig: Rig) -> tuple[int, list[str]]:
    """The exit code and the lines ``rallybot check`` prints, checked to hold no secret."""
    out = io.StringIO()
    code = report(items, out)
    text = out.getvalue()
    for secret in rig.secrets():
        assert secret not in text
    return code, text.splitlines()


def failures(lines: list[str]) -> list[str]:
    """The ✗ lines."""
    return [line for line in lines if line.startswith("✗")]


async def test_all_good_passes_every_item(rig: Rig, database: Database) -> None:
    code, lines = told(await run_checks(rig.config, db=database), rig)
    assert code == 0, lines
    assert lines[-1].startswith("all ") and lines[-1].endswith(" checks passed")
    assert all(line.startswith("✓") for line in lines[:-1])
    text = "\n".join(lines)
    for expected in (
        "✓ configuration: (defaults) is valid",
        "✓ database: ",
        "✓ Slack signing secret: set",
        f"✓ Slack bot token: accepted by Slack, workspace {TEAM}",
        "✓ Slack alert channel C0ALERTS (#alerts): the bot is in #alerts",
        "✓ Slack moderation channel C0MODS: the bot is in #moderation",
        "✓ Discord token: accepted by Discord",
        f"✓ Discord guild {GUILD}",
        f"✓ Discord alert channel {ALERTS}: the bot can see and post",
        f"✓ Discord moderation channel {MODS}: the bot can see and post",
        f"✓ Discord slash commands in guild {GUILD}: the ",
    ):
        assert expected in text, text


async def test_a_deleted_channel_on_each_platform(rig: Rig, database: Database) -> None:
    rig.slack.delete_channel("C0ALERTS")
    rig.discord.delete_channel(MODS)
    code, lines = told(await run_checks(rig.config, db=database), rig)
    assert code == 1
    slack, discord = failures(lines)
    assert slack.startswith("✗ Slack alert channel C0ALERTS (#alerts): Slack does not find it")
    assert "correct [[orgs]] il-library-workers alert_channels.slack" in slack
    assert discord.startswith(f"✗ Discord moderation channel {MODS}: Discord does not know")
    assert "correct [[orgs]] il-library-workers moderation_channels.discord" in discord
    assert lines[-1] == f"2 of {len(lines) - 1} checks failed"


async def test_a_wrong_token_on_each_platform(rig: Rig, database: Database) -> None:
    rig.config.slack.bot_token = "xoxb-0000000000-wrong-token"
    rig.config.discord.token = "discord-wrong-secret-token"
    code, lines = told(await run_checks(rig.config, db=database), rig)
    assert code == 1
    bad = failures(lines)
    assert bad[0].startswith("✗ Slack bot token: Slack refused it (invalid_auth): copy the Bot")
    # the channels cannot be checked without a token, and say so rather than guess
    assert all("without a token Slack accepts" in line for line in bad[1:3])
    assert bad[3].startswith("✗ Discord token: Discord refused it (401): copy the token again")
    assert len(bad) == 4
    for line in lines:
        assert "wrong" not in line


async def test_a_channel_where_the_bot_may_not_post(rig: Rig, database: Database) -> None:
    # @everyone may not send in the moderation channel (an overwrite on the guild's id)
    guild = rig.discord.guilds[GUILD]
    guild.overwrites[MODS] = [overwrite(GUILD, 0, deny=SEND_MESSAGES)]
    # and the bot's own member is kept out of the alert channel
    guild.overwrites[ALERTS] = [overwrite(rig.discord.application_id, 1, deny=VIEW_CHANNEL)]
    code, lines = told(await run_checks(rig.config, db=database), rig)
    assert code == 1
    alerts, mods = failures(lines)
    # Discord will not even show the bot a channel it may not view
    assert alerts.startswith(f"✗ Discord alert channel {ALERTS}: the bot may not see this channel")
    assert mods.startswith(f"✗ Discord moderation channel {MODS}: the bot lacks Send Messages in")
    assert "allow it for the bot's role" in mods

    # allowed again for the bot's role: a role overwrite's allow beats @everyone's deny
    guild.overwrites[MODS].append(overwrite(BOT_ROLE, 0, allow=SEND_MESSAGES))
    code, lines = told(await run_checks(rig.config, db=database), rig)
    assert [line.split(":")[0] for line in failures(lines)] == [f"✗ Discord alert channel {ALERTS}"]


def test_permissions_are_computed_as_discord_documents() -> None:
    guild = {
        "id": "1",
        "owner_id": "9",
        "roles": [
            {"id": "1", "permissions": str(VIEW_CHANNEL | SEND_MESSAGES)},
            {"id": "2", "permissions": "0"},
            {"id": "3", "permissions": str(ADMINISTRATOR)},
        ],
    }
    deny_all = [overwrite("1", 0, deny=VIEW_CHANNEL | SEND_MESSAGES)]
    assert channel_permissions(guild, "5", [], []).send_messages
    assert not channel_permissions(guild, "5", ["2"], deny_all).view_channel
    # an administrator, and the owner, pass every overwrite
    assert channel_permissions(guild, "5", ["3"], deny_all).send_messages
    assert channel_permissions(guild, "9", [], deny_all).send_messages
    # a member overwrite comes last: its allow beats a role's deny
    role_deny = [overwrite("2", 0, deny=SEND_MESSAGES), overwrite("5", 1, allow=SEND_MESSAGES)]
    assert channel_permissions(guild, "5", ["2"], role_deny).send_messages
    # role overwrites are summed before they apply: one role's allow beats another's deny
    two_roles = [overwrite("2", 0, deny=SEND_MESSAGES), overwrite("4", 0, allow=SEND_MESSAGES)]
    assert channel_permissions(guild, "5", ["2", "4"], two_roles).send_messages
    assert not channel_permissions(guild, "5", ["2"], two_roles).send_messages


async def test_a_slack_channel_the_bot_is_not_in(rig: Rig, database: Database) -> None:
    rig.slack.add_channel("C0ALERTS", "alerts", member=False)
    rig.slack.add_channel("C0MODS", "moderation", member=False, private=True)
    code, lines = told(await run_checks(rig.config, db=database), rig)
    assert code == 1
    public, private = failures(lines)
    assert public.endswith("the bot is not in #alerts: type /invite @rallybot in that channel")
    # a private channel without the bot is one Slack will not even name
    assert "Slack does not find it" in private and "invite the bot" in private


async def test_a_channel_of_another_workspace_is_not_found(rig: Rig, database: Database) -> None:
    rig.slack.add_channel("C0MODS", "moderation", team_id="T0ELSEWHERE")
    code, lines = told(await run_checks(rig.config, db=database), rig)
    assert code == 1
    (line,) = failures(lines)
    assert line.startswith("✗ Slack moderation channel C0MODS: Slack does not find it")


async def test_a_discord_channel_of_another_guild(rig: Rig, database: Database) -> None:
    rig.config.orgs[0].alert_channels["discord"] = ["400000000000000002"]
    code, lines = told(await run_checks(rig.config, db=database), rig)
    (line,) = failures(lines)
    assert code == 1 and "is not in a guild of il-library-workers" in line


async def test_a_discord_channel_id_that_is_not_one(rig: Rig, database: Database) -> None:
    rig.config.orgs[0].moderation_channels["discord"] = ["C0MODS"]
    code, lines = told(await run_checks(rig.config, db=database), rig)
    (line,) = failures(lines)
    assert code == 1
    assert line.startswith("✗ Discord moderation channel C0MODS: not a Discord channel id")


async def test_commands_not_synced(rig: Rig, database: Database) -> None:
    rig.discord.commands.clear()
    code, lines = told(await run_checks(rig.config, db=database), rig)
    assert code == 1
    (line,) = failures(lines)
    assert line.startswith(f"✗ Discord slash commands in guild {GUILD}: not synced (missing /")
    assert f"run `rallybot discord sync --guild {GUILD}`" in line

    # synced globally: every guild has them
    await sync_commands(rig.config, Registry(default_groups()), None)
    code, lines = told(await run_checks(rig.config, db=database), rig)
    assert code == 0 and "are synced globally" in "\n".join(lines)

    # one command's declaration changed since the guild's sync, and a prefix added since
    await sync_commands(rig.config, Registry(default_groups()), GUILD)
    help_command = next(c for c in rig.discord.commands[GUILD] if c["name"] == "help")
    help_command["description"] = "an older description"
    code, lines = told(await run_checks(rig.config, db=database), rig)
    (line,) = failures(lines)
    assert "not synced (out of date /help)" in line
    rig.config.bot.prefix = "rb-"
    code, lines = told(await run_checks(rig.config, db=database), rig)
    (line,) = failures(lines)
    assert "missing /rb-alert" in line and "no longer ours /alert" in line


async def test_a_database_behind_the_newest_migration(
    rig: Rig, db_url: tuple[str, str | None]
) -> None:
    url, schema = db_url
    behind = Database(url, schema=schema)
    await behind.upgrade("0014")
    try:
        code, lines = told(await run_checks(rig.config, db=behind), rig)
    finally:
        await behind.dispose()
    assert code == 1
    (line,) = failures(lines)
    assert line == (
        "✗ database schema: at revision 0014, this rallybot needs 0015: run `rallybot db upgrade`"
    )


async def test_oauth_installations_each_checked(rig: Rig, database: Database) -> None:
    rig.config.slack.bot_token = ""
    rig.config.slack.client_id = rig.slack.client_id
    rig.config.slack.client_secret = rig.slack.client_secret
    store = Installations(rig.config.slack, database).store
    for team, token in ((TEAM, rig.slack.bot_token), ("T0REVOKED", "xoxb-T0REVOKED-123456789")):
        rig.slack.tokens[token] = team
        await store.async_save(
            Installation(
                app_id="A0RALLY",
                team_id=team,
                bot_token=token,
                bot_id="BBOT",
                bot_user_id="UBOT",
                user_id="U0INSTALLER",
                installed_at=datetime.now(UTC).timestamp(),
            )
        )
    rig.slack.revoke("xoxb-T0REVOKED-123456789")
    rig.config.orgs.append(
        OrgConfig(slug="wi-library-workers", slack_team_ids=["T0REVOKED", "T0NEVER"])
    )
    code, lines = told(await run_checks(rig.config, db=database), rig)
    assert code == 1
    assert f"✓ Slack installation {TEAM}: accepted by Slack, workspace {TEAM}" in lines
    assert "✓ Slack alert channel C0ALERTS (#alerts): the bot is in #alerts" in lines
    revoked, never = failures(lines)
    assert revoked.startswith("✗ Slack installation T0REVOKED: Slack refused it (invalid_auth)")
    assert never.startswith("✗ Slack installation T0NEVER: the app is not installed")


def test_a_configuration_that_is_not_valid(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[slack]\nmode = "carrier-pigeon"\n', encoding="utf-8")
    out = io.StringIO()
    assert main(str(path), out) == 1
    first, last = out.getvalue().splitlines()
    assert first == (
        f'✗ configuration: {path}: [slack] mode: must be "http" or "socket": '
        "correct it and check again"
    )
    assert last == "1 of 1 checks failed"


async def test_the_command_line(rig: Rig, tmp_path: Path) -> None:
    """The real `rallybot check --config FILE`, secrets from the environment."""
    db = tmp_path / "rallybot.db"
    fresh = Database(f"sqlite+aiosqlite:///{db}")
    await fresh.upgrade()
    await fresh.dispose()
    config = run_config(
        db,
        orgs=[
            {
                "slug": "il-library-workers",
                "slack_team_ids": [TEAM],
                "discord_guild_ids": [GUILD],
                "alert_channels": {"slack": ["C0ALERTS"], "discord": [ALERTS]},
                "moderation_channels": {"slack": ["C0MODS"], "discord": [MODS]},
            }
        ],
        slack={"enabled": True, "api_url": rig.slack.api_url},
        discord={"enabled": True, "api_url": rig.discord.api_url},
    )
    (tmp_path / "config.toml").write_text(config, encoding="utf-8")
    env = {
        "RALLYBOT_SLACK__SIGNING_SECRET": SECRET,
        "RALLYBOT_SLACK__BOT_TOKEN": rig.slack.bot_token,
        "RALLYBOT_DISCORD__TOKEN": rig.discord.token,
    }
    args = ["check", "--config", "config.toml"]
    done = await asyncio.to_thread(run_rallybot, args, tmp_path, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].endswith("checks passed")

    rig.slack.delete_channel("C0MODS")
    env["RALLYBOT_DISCORD__TOKEN"] = "discord-not-the-token"
    done = await asyncio.to_thread(run_rallybot, args, tmp_path, env=env)
    assert done.returncode == 1
    bad = failures(done.stdout.splitlines())
    assert [line.split(":")[0] for line in bad] == [
        "✗ Slack moderation channel C0MODS",
        "✗ Discord token",
    ]
    for secret in [*rig.secrets(), "discord-not-the-token"]:
        assert secret not in done.stdout + done.stderr


async def test_socket_mode_checks_the_app_token(rig: Rig, database: Database) -> None:
    rig.config.slack.mode = "socket"
    rig.config.slack.signing_secret = ""
    code, lines = told(await run_checks(rig.config, db=database), rig)
    assert code == 0 and "✓ Slack app token: accepted by Slack for Socket Mode" in lines
    assert not any("signing secret" in line for line in lines)
    rig.config.slack.app_token = "xapp-1-not-the-app-token"
    code, lines = told(await run_checks(rig.config, db=database), rig)
    (line,) = failures(lines)
    assert code == 1 and line.startswith("✗ Slack app token: Slack refused it (invalid_auth)")
    assert "xapp-1-not-the-app-token" not in "\n".join(lines)


async def test_a_database_that_does_not_answer(rig: Rig) -> None:
    """The platforms are still checked, and the URL's password is not printed."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    rig.config.database.url = f"postgresql+asyncpg://rallybot:pw-not-shown@127.0.0.1:{port}/rb"
    code, lines = told(await run_checks(rig.config), rig)
    assert code == 1
    (line,) = failures(lines)
    assert line.startswith("✗ database: [database] url: PostgreSQL database 'rb' at 127.0.0.1:")
    assert "pw-not-shown" not in "\n".join(lines)
    assert "✓ Slack alert channel C0ALERTS (#alerts): the bot is in #alerts" in lines

"""`rallybot demo`: one organization on Slack and Discord at once, with no tokens.

The Slack and Discord stand-ins start in this process on 127.0.0.1 (port 0), the bot is
served against both as `rallybot run` serves it (one application, scheduler and delivery
engine, a temporary SQLite file), and a scripted cast types commands and clicks buttons:
signed Slack requests into slack-bolt, Discord interactions over the gateway to discord.py.
Every message each platform receives is printed as it arrives, e.g. ``[slack #alerts] …``
or ``[discord DM bea] …``; the demo ends by itself after an alert, an event and a poll.
"""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from bot.config import Config, DatabaseConfig, DiscordConfig, OrgConfig, RoleSources, SlackConfig
from rallybot.runner import enabled_adapters, serve
from standins.discord import DiscordStandIn, Guild, Interaction
from standins.slack import SlackCaller, SlackStandIn, block_actions_body, slash_command_body

TEAM = "TDEMO"
GUILD = "100000000000000001"
SLACK_ALERTS = "C0ALERTS"
DISCORD_ALERTS = "200000000000000001"
DISCORD_GENERAL = "200000000000000003"
ORGANIZER_ROLE = "500000000000000001"
SIGNING_SECRET = "demo-signing-secret"
#: the cast: Slack accounts and Discord accounts by name (dev has one on each)
SLACK_PEOPLE = {"ana": "U0ANA", "dev": "U0DEV"}
DISCORD_PEOPLE = {
    "bea": "700000000000000002",
    "cal": "700000000000000003",
    "dev": "700000000000000004",
}
CODE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b")
WAIT = 30.0


def _lines(text: str) -> list[str]:
    """A message's lines as printed: whole, with their inner spacing (so a table's columns
    stay aligned); blank lines and the code fences around a table left out."""
    return [
        line.rstrip()
        for line in text.splitlines()
        if line.strip() and not re.fullmatch(r"\s*```\w*\s*", line)
    ]


def shown(tag: str, text: str) -> str:
    """A message printed whole under its tag: the first line after the tag, every other line
    indented to start under it."""
    lines = _lines(text) or [""]
    indent = " " * (len(tag) + 1)
    return "\n".join([f"{tag} {lines[0]}", *(indent + line for line in lines[1:])])


def discord_text(data: dict[str, Any]) -> str:
    """A Discord message's visible text: content, embed titles, descriptions and fields."""
    parts = [data.get("content") or ""]
    for embed in data.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields") or []]
    return "\n".join(p for p in parts if p)


def _slack_buttons(blocks: list[dict[str, Any]] | None) -> dict[str, str]:
    return {
        element["text"]["text"]: element["action_id"]
        for block in blocks or []
        if block.get("type") == "actions"
        for element in block["elements"]
        if element.get("type") == "button"
    }


def _discord_buttons(message: dict[str, Any]) -> dict[str, str]:
    return {
        item["label"]: item["custom_id"]
        for row in message.get("components") or []
        for item in row["components"]
        if item.get("type") == 2
    }


async def until(check: Callable[[], Any], what: str, within: float = WAIT) -> Any:
    """Wait for ``check`` to be true; fail naming ``what`` after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not (value := check()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"demo: {what} did not arrive within {within:.0f}s")
        await asyncio.sleep(0.05)
    return value


def demo_config(slack: SlackStandIn, discord: DiscordStandIn, database: Path) -> Config:
    """Both adapters enabled against the stand-ins, one organization on both."""
    org = OrgConfig(
        slug="demo",
        name="Demo Library Workers",
        timezone="America/Chicago",
        slack_team_ids=[TEAM],
        discord_guild_ids=[GUILD],
        alert_channels={"slack": [SLACK_ALERTS], "discord": [DISCORD_ALERTS]},
        organizers=RoleSources(slack_users=[SLACK_PEOPLE["ana"]], discord_roles=["Organizer"]),
    )
    config = Config(
        database=DatabaseConfig(url=f"sqlite+aiosqlite:///{database}"),
        slack=SlackConfig(
            enabled=True,
            mode="http",
            host="127.0.0.1",
            port=0,
            signing_secret=SIGNING_SECRET,
            bot_token=slack.bot_token,
            api_url=slack.api_url,
        ),
        discord=DiscordConfig(
            enabled=True, token=discord.token, api_url=discord.api_url, sync_on_start=True
        ),
        orgs=[org],
    )
    config.alerts.tally_interval = timedelta(seconds=1)
    config.polls.tally_interval = timedelta(seconds=1)
    return config


class Printer:
    """Prints what each platform received, once, as it arrives (edits as changed lines)."""

    def __init__(self, slack: SlackStandIn, discord: DiscordStandIn, out: Callable[[str], None]):
        self.slack = slack
        self.discord = discord
        self.out = out
        self._slack_seen = 0
        #: the lines each Slack channel has shown, so an edit prints what it changed
        self._slack_lines: dict[str, set[str]] = {}
        self._discord_seen: dict[str, tuple[int, str]] = {}
        self._names = {v: k for k, v in SLACK_PEOPLE.items()}
        self._discord_names = {v: k for k, v in DISCORD_PEOPLE.items()}

    def _slack_where(self, channel: str) -> str:
        if channel == SLACK_ALERTS:
            return "#alerts"
        user = "U" + channel[1:] if channel.startswith("D") else channel
        return f"DM {self._names.get(user, user)}"

    def _discord_where(self, channel: str) -> str:
        if channel == DISCORD_ALERTS:
            return "#alerts"
        for user, dm in self.discord.dm_channels.items():
            if dm == channel:
                return f"DM {self._discord_names.get(user, user)}"
        return f"#{channel}"

    def poll(self) -> None:
        """Print everything new since the last call."""
        calls = self.slack.calls[self._slack_seen :]
        self._slack_seen += len(calls)
        for call in calls:
            text = str(call.args.get("text", ""))
            channel = str(call.args.get("channel", ""))
            seen = self._slack_lines.setdefault(channel, set())
            if call.method == "chat.postMessage":
                self.out(shown(f"[slack {self._slack_where(channel)}]", text))
            elif call.method == "chat.update":
                new = [line for line in text.splitlines() if line not in seen]
                self.out(shown(f"[slack {self._slack_where(channel)}, edited]", "\n".join(new)))
            seen.update(text.splitlines())
        for message in list(self.discord.messages.values()):
            if message.get("interaction_id"):
                continue  # an answer to someone's command: printed with the command
            text = discord_text(message)
            seen = self._discord_seen.get(message["id"])
            where = self._discord_where(message["channel_id"])
            if seen is None:
                self.out(shown(f"[discord {where}]", text))
            elif seen[0] != message.get("edits", 0):
                new = [line for line in text.splitlines() if line not in seen[1].splitlines()]
                self.out(shown(f"[discord {where}, edited]", "\n".join(new)))
            self._discord_seen[message["id"]] = (message.get("edits", 0), text)


class Cast:
    """The scripted people, typing and clicking through the real SDK clients."""

    def __init__(
        self,
        slack: SlackStandIn,
        discord: DiscordStandIn,
        caller: SlackCaller,
        printer: Printer,
        out: Callable[[str], None],
    ) -> None:
        self.slack = slack
        self.discord = discord
        self.caller = caller
        self.printer = printer
        self.out = out

    async def _slack_answer(self, who: str, response_url: str) -> str:
        token = response_url.rsplit("/", 1)[1]
        found = await until(
            lambda: [r for r in self.slack.responses if r["_token"] == token],
            f"the answer to {who} on Slack",
        )
        text = str(found[0].get("text", ""))
        self.out(shown(f"[slack reply to {who}]", text))
        return text

    async def on_slack(self, who: str, line: str) -> str:
        """``who`` types a slash command on Slack; returns the answer's text."""
        self.printer.poll()
        self.out(f"  {who} on Slack types: {line}")
        name, _, text = line.partition(" ")
        response_url = self.slack.response_url()
        await self.caller.post(
            slash_command_body(
                name,
                text,
                team_id=TEAM,
                user_id=SLACK_PEOPLE[who],
                user_name=who,
                response_url=response_url,
            )
        )
        return await self._slack_answer(who, response_url)

    async def click_slack(self, who: str, message: dict[str, Any], label: str) -> str:
        """``who`` clicks a button of a Slack message; returns the answer's text."""
        self.printer.poll()
        self.out(f"  {who} on Slack clicks {label!r}")
        response_url = self.slack.response_url()
        action = _slack_buttons(message.get("blocks"))[label]
        await self.caller.post(
            block_actions_body(
                action,
                team_id=TEAM,
                user_id=SLACK_PEOPLE[who],
                user_name=who,
                channel_id=str(message.get("channel", SLACK_ALERTS)),
                response_url=response_url,
                value=action,
            )
        )
        return await self._slack_answer(who, response_url)

    async def _discord_answer(self, who: str, sent: Interaction) -> str:
        await asyncio.wait_for(sent.answered.wait(), WAIT)
        if sent.responses[0]["type"] == 5:  # deferred: the answer is the later edit
            await until(lambda: len(sent.responses) > 1, f"the answer to {who} on Discord")
        text = discord_text(sent.responses[-1].get("data") or {})
        self.out(shown(f"[discord reply to {who}]", text))
        return text

    async def on_discord(
        self, who: str, command: str, sub: str | None = None, **options: Any
    ) -> str:
        """``who`` types ``/command sub option:value …`` on Discord; returns the answer."""
        self.printer.poll()
        typed = " ".join(
            [f"/{command}", *([sub] if sub else []), *(f"{k}:{v}" for k, v in options.items())]
        )
        self.out(f"  {who} on Discord types: {typed}")
        sent = await self.discord.slash(
            DISCORD_PEOPLE[who],
            command,
            options,
            sub=sub,
            guild_id=GUILD,
            channel_id=DISCORD_GENERAL,
        )
        return await self._discord_answer(who, sent)

    async def click_discord(self, who: str, message: dict[str, Any], label: str) -> str:
        """``who`` clicks a button of a Discord message; returns the answer's text."""
        self.printer.poll()
        self.out(f"  {who} on Discord clicks {label!r}")
        in_dm = message["channel_id"] != DISCORD_ALERTS
        sent = await self.discord.click(
            DISCORD_PEOPLE[who],
            message["id"],
            _discord_buttons(message)[label],
            guild_id=None if in_dm else GUILD,
        )
        return await self._discord_answer(who, sent)


async def _script(cast: Cast, slack: SlackStandIn, discord: DiscordStandIn) -> None:
    out = cast.out

    def slack_posts() -> list[dict[str, Any]]:
        return slack.posted_to(SLACK_ALERTS)

    def discord_posts() -> list[dict[str, Any]]:
        return [m for m in discord.messages_in(DISCORD_ALERTS) if not m.get("interaction_id")]

    async def both_posted(count: int, what: str) -> tuple[dict[str, Any], dict[str, Any]]:
        await until(lambda: len(slack_posts()) >= count, f"{what} on Slack")
        await until(lambda: len(discord_posts()) >= count, f"{what} on Discord")
        cast.printer.poll()
        return slack_posts()[count - 1], discord_posts()[count - 1]

    out("\n== 1. dev joins their Slack and Discord accounts")
    shown = await cast.on_slack("dev", "/link")
    code = CODE.search(shown).group(0)
    await cast.on_discord("dev", "link", code=code)  # says whose account, asks to confirm
    await cast.on_discord("dev", "link", code=code, confirm=True)
    out("\n== 2. profiles; cal does not take alerts by DM")
    await cast.on_slack("ana", '/profile name:"Ana Ruiz" state:IL alert_dms:yes')
    await cast.on_discord("bea", "profile", state="IL", alert_dms=True)
    await cast.on_discord("cal", "profile", state="WI", alert_dms=False)

    out("\n== 3. an alert, sent once, on both platforms")
    await cast.on_slack(
        "ana",
        '/alert create title:"Save the Elm St branch" '
        'body:"The council votes Friday on closing it." kind:"Sign on"',
    )
    await cast.on_slack("ana", "/alert send id:1")
    await both_posted(1, "the alert in #alerts")
    await until(lambda: slack.posted_to(SLACK_PEOPLE["ana"]), "ana's DM on Slack")
    await until(lambda: discord.dm_channels.get(DISCORD_PEOPLE["bea"]), "bea's DM on Discord")
    cast.printer.poll()
    await cast.on_discord("bea", "alert", "sign", id=1, name="Bea Reyes")
    await cast.on_slack("dev", '/alert sign id:1 name:"Dev Patel"')
    await cast.on_discord("dev", "alert", "sign", id=1, name="Dev Patel")
    await cast.click_discord("cal", discord_posts()[0], "I took action")
    await cast.click_slack("ana", slack.posted_to(SLACK_PEOPLE["ana"])[0], "I took action")
    tally = "2 signed · 2 acted"
    await until(
        lambda: any(tally in u.get("text", "") for u in slack.sent("chat.update")),
        "the tally edit on Slack",
    )
    await until(lambda: tally in discord_text(discord_posts()[0]), "the tally edit on Discord")
    cast.printer.poll()
    out(f"   tally on both platforms: {tally}")

    out("\n== 4. an event and its RSVPs")
    when = _next_week_evening()
    await cast.on_slack(
        "ana", f'/event create title:"Legislative Day briefing" kind:meeting start:"{when}"'
    )
    slack_event, discord_event = await both_posted(2, "the event in #alerts")
    await cast.click_discord("bea", discord_event, "Going")
    await cast.click_slack("dev", slack_event, "Going")
    await cast.click_discord("cal", discord_event, "Maybe")
    await cast.on_slack("ana", "/event attendees id:1")
    await cast.on_discord("bea", "event", "show", id=1)

    out("\n== 5. a poll, voted on both platforms, closed and counted")
    await cast.on_slack(
        "ana",
        '/poll create question:"Our first priority for 2027?" '
        'options:"Pay equity | Staffing | Safer branches"',
    )
    slack_poll, discord_poll = await both_posted(3, "the poll in #alerts")
    await cast.click_slack("ana", slack_poll, "Pay equity")
    await cast.click_discord("bea", discord_poll, "Pay equity")
    await cast.click_discord("cal", discord_poll, "Staffing")
    await cast.click_slack("dev", slack_poll, "Staffing")
    await cast.click_discord("dev", discord_poll, "Pay equity")  # one ballot: changed
    await cast.on_slack("ana", "/poll close id:1")
    await both_posted(4, "the poll's results in #alerts")
    cast.printer.poll()


def _next_week_evening() -> str:
    """A week from now at 18:00, on the organization's wall clock."""
    day = datetime.now(ZoneInfo("America/Chicago")) + timedelta(days=7)
    return day.strftime("%Y-%m-%d") + " 18:00"


async def run_demo(out: Callable[[str], None] = print) -> int:
    """Run the whole demo; 0 when every step arrived on both platforms."""
    logging.getLogger("discord").setLevel(logging.ERROR)  # no voice: nothing to warn about
    slack = SlackStandIn(team_id=TEAM)
    discord = DiscordStandIn(
        [
            Guild(
                GUILD,
                "Demo Library Workers",
                roles={ORGANIZER_ROLE: "Organizer"},
                channels=[DISCORD_ALERTS, DISCORD_GENERAL],
            )
        ]
    )
    await slack.start()
    await discord.start()
    for name, user in DISCORD_PEOPLE.items():
        discord.add_user(user, name, guild_id=GUILD)
    with tempfile.TemporaryDirectory(prefix="rallybot-demo-") as folder:
        config = demo_config(slack, discord, Path(folder) / "demo.db")
        adapters = enabled_adapters(config)
        stop = asyncio.Event()
        served = asyncio.create_task(serve(config, adapters, stop=stop))
        printer = Printer(slack, discord, out)
        session = aiohttp.ClientSession()
        try:
            slack_adapter, discord_adapter = adapters
            await until(
                lambda: (
                    served.done()
                    or (
                        getattr(slack_adapter, "port", None)
                        and getattr(discord_adapter, "client", None) is not None
                        and discord_adapter.client.serving.is_set()  # type: ignore[attr-defined]
                        and discord.commands.get(GUILD)
                    )
                ),
                "the bot's start",
            )
            if served.done():
                served.result()
            out("rallybot demo: one organization on Slack and Discord, stand-ins on 127.0.0.1")
            out(f"  Slack workspace {TEAM}: ana, dev · Discord guild {GUILD}: bea, cal, dev")
            url = f"http://127.0.0.1:{slack_adapter.port}/slack/events"  # type: ignore[attr-defined]
            cast = Cast(slack, discord, SlackCaller(url, SIGNING_SECRET, session), printer, out)
            await _script(cast, slack, discord)
            out("\nrallybot demo: done")
        finally:
            await session.close()
            stop.set()
            await served
            await discord.stop()
            await slack.stop()
    return 0

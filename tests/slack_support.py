"""Helpers for the Slack tests: a Slack stand-in, the bot's Slack adapter on port 0, and a
signing caller, all on 127.0.0.1 with the real slack-bolt and slack_sdk in between."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from adapters.slack import SlackAdapter, SlackSender
from bot.app import Application
from bot.clock import MovableClock
from bot.config import Config, OrgConfig, RoleSources, SlackConfig
from bot.registry import CommandGroup
from rallybot.groups import default_groups
from standins.slack import (
    SlackCaller,
    SlackStandIn,
    block_actions_body,
    event_body,
    slash_command_body,
    view_submission_body,
)
from storage.db import Database
from tests.support import START

SECRET = "test-signing-secret-3f1c"
TEAM = "T0001"
OTHER_TEAM = "T0ELSEWHERE"


def slack_org() -> OrgConfig:
    """An organization on the Slack workspace T0001, with organizers by id and user group."""
    return OrgConfig(
        slug="il-library-workers",
        name="Illinois Library Workers",
        timezone="America/Chicago",
        slack_team_ids=[TEAM],
        alert_channels={"slack": ["C0ALERTS"]},
        moderation_channels={"slack": ["C0MODS"]},
        organizers=RoleSources(slack_users=["U0ORG"], slack_usergroups=["S0STEWARDS"]),
        admins=RoleSources(slack_users=["U0ADMIN"]),
    )


def slack_config(standin: SlackStandIn, **overrides: Any) -> Config:
    """A configuration with Slack in HTTP mode on port 0, pointed at the stand-in."""
    settings = SlackConfig(
        enabled=True,
        mode="http",
        host="127.0.0.1",
        port=0,
        signing_secret=SECRET,
        bot_token=standin.bot_token,
        app_token=standin.app_token,
        api_url=standin.api_url,
    )
    for key, value in overrides.items():
        setattr(settings, key, value)
    return Config(slack=settings, orgs=[slack_org()])


def buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    """The buttons of a message or view: label -> action id."""
    found = {}
    for block in blocks:
        if block["type"] == "actions":
            for element in block["elements"]:
                if element["type"] == "button":
                    found[element["text"]["text"]] = element["action_id"]
    return found


async def until(check: Callable[[], Any], within: float = 10.0) -> Any:
    """Wait for work done after an acknowledgement to show; fail after ``within``."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("the bot did not answer in time")
        await asyncio.sleep(0.01)


@dataclass
class SlackRig:
    """A started bot on Slack and the stand-in it talks to."""

    app: Application
    adapter: SlackAdapter
    standin: SlackStandIn
    caller: SlackCaller

    @property
    def url(self) -> str:
        """The bot's events URL."""
        return f"http://127.0.0.1:{self.adapter.port}/slack/events"

    async def command(
        self, user: str, line: str, *, team: str = TEAM, channel: str = "C0GENERAL"
    ) -> dict[str, Any]:
        """Type a slash command as ``user``; return what the bot sent to its response_url."""
        name, _, text = line.partition(" ")
        response_url = self.standin.response_url()
        status, _, _ = await self.caller.post(
            slash_command_body(
                name,
                text,
                team_id=team,
                user_id=user,
                channel_id=channel,
                response_url=response_url,
            )
        )
        assert status == 200
        return await self.answer_at(response_url)

    async def answer_at(self, response_url: str, within: float = 10.0) -> dict[str, Any]:
        """The body the bot posted to ``response_url``."""
        token = response_url.rsplit("/", 1)[1]
        await until(lambda: any(r["_token"] == token for r in self.standin.responses), within)
        return next(r for r in self.standin.responses if r["_token"] == token)

    async def click(
        self, user: str, action_id: str, *, team: str = TEAM, selected: str | None = None
    ) -> dict[str, Any]:
        """Click a button carrying ``action_id``; return the bot's answer."""
        response_url = self.standin.response_url()
        status, _, _ = await self.caller.post(
            block_actions_body(
                action_id,
                team_id=team,
                user_id=user,
                response_url=response_url,
                value=action_id,
                selected=selected,
            )
        )
        assert status == 200
        return await self.answer_at(response_url)

    async def submit(
        self,
        user: str,
        callback_id: str,
        values: dict[str, str],
        *,
        metadata: str = "",
        select_fields: tuple[str, ...] = (),
    ) -> tuple[int, str]:
        """Submit a modal (``select_fields`` chosen from menus); return the acknowledgement's
        status and body."""
        status, text, _ = await self.caller.post(
            view_submission_body(
                callback_id,
                values,
                team_id=TEAM,
                user_id=user,
                private_metadata=metadata,
                select_fields=select_fields,
            )
        )
        return status, text

    async def event(self, event: dict[str, Any], *, event_id: str = "", retry: int = 0) -> int:
        """Deliver an Events API callback; return the status."""
        status, _, _ = await self.caller.post(
            event_body(event, team_id=TEAM, event_id=event_id), retry=retry
        )
        return status


@asynccontextmanager
async def slack_rig(
    database: Database,
    *,
    usergroups: dict[str, list[str]] | None = None,
    channel_interval: float = 0.05,
    groups: list[CommandGroup] | None = None,
    **overrides: Any,
) -> AsyncIterator[SlackRig]:
    """The stand-in, and an application with the Slack adapter serving on port 0 (its
    sender paced at ``channel_interval`` a channel, so tests need not wait a second)."""
    standin = SlackStandIn(team_id=TEAM, usergroups=usergroups or {"S0STEWARDS": []})
    await standin.start()
    config = slack_config(standin, **overrides)
    sender = SlackSender(standin.bot_token, standin.api_url, channel_interval=channel_interval)
    adapter = SlackAdapter(config, sender=sender)
    app = Application(
        config,
        clock=MovableClock(START, frozen=True),
        db=database,
        senders=adapter.senders(),
        groups=[*default_groups(), *(groups or [])],
    )
    await app.start(upgrade=False, background=False)
    await adapter.start(app)
    session = aiohttp.ClientSession()
    rig = SlackRig(app, adapter, standin, SlackCaller("", SECRET, session))
    rig.caller.url = rig.url
    try:
        yield rig
    finally:
        await session.close()
        await adapter.stop()
        await app.stop()
        await standin.stop()

"""Helpers of the web tests: a bot whose demo organization has a public tracker, served by the
real web adapter on port 0, reports filed and decided through the dispatcher, and a client."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
from multidict import CIMultiDict

from adapters.web import WebAdapter
from bot.config import BotConfig, Config, PollsConfig, WebConfig, demo_org
from bot.platform_roles import RoleSource
from storage.db import Database
from tests.support import Bot, Person, second_org, start_bot

OLU = Person("olu", roles=frozenset({"organizer"}))
SECRET = "a-test-ballot-secret-0123456789"
#: the longest an anonymous report stays hidden
HELD_BACK = timedelta(minutes=15)


def tracker_config() -> Config:
    """The demo organization with a public tracker, a second one without, [web] on port 0."""
    demo = demo_org()
    demo.public_tracker = True
    return Config(
        orgs=[demo, second_org()],
        polls=PollsConfig(ballot_secret=SECRET),
        web=WebConfig(enabled=True, host="127.0.0.1", port=0),
        bot=BotConfig(files_dir="/nonexistent-rallybot-test-files"),
    )


@dataclass
class WebRig:
    """A started bot, its web adapter and an HTTP client."""

    bot: Bot
    adapter: WebAdapter
    session: aiohttp.ClientSession
    #: the console's role source the bot registered (the tests' console answers for it)
    console_roles: RoleSource

    @property
    def url(self) -> str:
        """The server's address."""
        return f"http://127.0.0.1:{self.adapter.port}"

    async def get(self, path: str, **headers: str) -> tuple[int, CIMultiDict[str], bytes]:
        """GET a path: the status, the headers (any case) and the body."""
        async with self.session.get(self.url + path, headers=headers) as response:
            return response.status, response.headers.copy(), await response.read()

    async def page(self, path: str = "/o/demo/layoffs") -> str:
        """GET a page that must answer 200; its text."""
        status, _, body = await self.get(path)
        assert status == 200, body[:500]
        return body.decode("utf-8")

    async def data(self, query: str = "") -> dict[str, Any]:
        """The tracker's JSON."""
        status, _, body = await self.get(f"/o/demo/layoffs.json{query}")
        assert status == 200, body[:500]
        return json.loads(body)

    async def report(self, line: str, who: Person | str = "ana", *, verify: bool = True) -> int:
        """File a report (verified by an organizer unless told); its reference's number."""
        reply = await self.bot.say(who, f"/layoff report {line}")
        assert not reply.error, reply.text
        match = re.match(r"Thank you\. Your report is L-(\d+)\.", reply.text)
        assert match, reply.text
        ref = int(match.group(1))
        if "anonymous:no" not in line:  # an anonymous report is seen by no one at first
            self.bot.clock.advance(HELD_BACK)
        if verify:
            await self.organizer(f"/layoff verify id:{ref}")
        return ref

    async def organizer(self, line: str) -> str:
        """Type a command as the demo organization's organizer; its answer, not refused."""
        reply = await self.bot.say(OLU, line)
        assert not reply.error, reply.text
        return reply.text


@asynccontextmanager
async def web_rig(
    database: Database, config: Config | None = None, **limits: float
) -> AsyncIterator[WebRig]:
    """A bot on ``database`` with the web adapter serving it (``limits``: the per-address
    limit's ``per_minute`` and ``burst``)."""
    config = config or tracker_config()
    bot = await start_bot(database, config=config)
    console_roles = bot.answer_roles("console")
    adapter = WebAdapter(config, **limits)
    await adapter.start(bot.app)
    session = aiohttp.ClientSession()
    try:
        yield WebRig(bot, adapter, session, console_roles)
    finally:
        await session.close()
        await adapter.stop()
        await bot.app.stop()

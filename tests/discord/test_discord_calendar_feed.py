"""/event feed on Discord, through discord.py against the stand-in, with the web pages served
beside it: the answer is for the member alone and never holds the address, the direct
message does, the address serves a calendar with the organization's event, and /event feed
reset stops the old address."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import icalendar
import pytest

from adapters.web import WebAdapter
from bot.config import WebConfig
from standins.discord.payloads import EPHEMERAL
from tests.discord_support import ANA, BEA, DiscordRig, message_text, text_of

ADDRESS = re.compile(r"https://r\.example(/calendar/[A-Za-z0-9_-]{43}\.ics)")


@pytest.fixture
async def web(rig: DiscordRig) -> AsyncIterator[tuple[WebAdapter, aiohttp.ClientSession]]:
    """The web pages on port 0 for the running bot, behind https://r.example, and a client."""
    assert rig.app is not None
    rig.app.config.web = WebConfig(
        enabled=True, host="127.0.0.1", port=0, base_url="https://r.example"
    )
    adapter = WebAdapter(rig.app.config)
    await adapter.start(rig.app)
    session = aiohttp.ClientSession()
    try:
        yield adapter, session
    finally:
        await session.close()
        await adapter.stop()


async def fetch(web: tuple[WebAdapter, aiohttp.ClientSession], path: str) -> tuple[int, bytes]:
    adapter, session = web
    async with session.get(f"http://127.0.0.1:{adapter.port}{path}") as response:
        return response.status, await response.read()


async def test_the_address_goes_by_dm_and_reset_stops_the_old_one(
    rig: DiscordRig, web: tuple[WebAdapter, aiohttp.ClientSession]
) -> None:
    created = await rig.slash(
        ANA,
        "event",
        {"title": "Chapter meeting", "kind": "meeting", "start": "2026-11-20 18:00"},
        sub="create",
    )
    assert "Event 1 created" in text_of(created), text_of(created)
    answer = await rig.slash(BEA, "event", sub="feed")
    assert answer.responses[0]["data"]["flags"] & EPHEMERAL
    assert "direct messages" in text_of(answer) and "/calendar/" not in text_of(answer)
    await rig.settle()
    (dm,) = rig.standin.messages_in(rig.standin.dm_channels[BEA])
    text = message_text(dm)
    found = ADDRESS.search(text)
    assert found, text
    assert f"<https://r.example{found.group(1)}>" in text  # shown without a preview
    old = found.group(1)
    holding = [m for m in rig.standin.messages.values() if old in message_text(m)]
    assert holding == [dm]  # in no channel, nor in any answer
    answers = [r for i in rig.standin.interactions.values() for r in i.responses]
    assert all(old not in message_text(r.get("data") or {}) for r in answers)
    status, body = await fetch(web, old)
    assert status == 200
    cal = icalendar.Calendar.from_ical(body)
    assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] == ["Chapter meeting"]

    reset = await rig.slash(BEA, "event", {"action": "reset"}, sub="feed")
    assert reset.responses[0]["data"]["flags"] & EPHEMERAL
    assert "/calendar/" not in text_of(reset)
    await rig.settle()
    dms = rig.standin.messages_in(rig.standin.dm_channels[BEA])
    assert len(dms) == 2
    new = ADDRESS.search(message_text(dms[-1]))
    assert new and new.group(1) != old
    assert (await fetch(web, old))[0] == 404  # the old address, like an unknown one
    status, body = await fetch(web, new.group(1))
    assert status == 200 and b"Chapter meeting" in body

"""/event feed typed in Slack, through slack-bolt and the Slack stand-in, with the web pages
mounted on the Slack endpoint's server (one port, as `rallybot run` does when they share
it): the answer in the channel never holds the address, the DM does, and the address serves
the calendar on that same server; on both databases."""

from __future__ import annotations

import re

import aiohttp
import icalendar

from adapters.slack import SlackAdapter
from adapters.slack.sender import SlackSender
from adapters.web import WebAdapter
from bot.app import Application
from bot.clock import MovableClock
from bot.config import WebConfig
from rallybot.groups import default_groups
from standins.slack import SlackCaller, SlackStandIn
from storage.db import Database
from tests.slack_support import SECRET, TEAM, SlackRig, slack_config, until
from tests.support import START

CREATE = '/event create title:"Chapter meeting" kind:meeting start:"2026-11-20 18:00" end:"19:30"'


async def test_a_slack_member_gets_the_address_by_dm_only(database: Database) -> None:
    standin = SlackStandIn(team_id=TEAM, usergroups={"S0STEWARDS": []})
    await standin.start()
    config = slack_config(standin)
    config.web = WebConfig(enabled=True, host="127.0.0.1", port=0, base_url="https://r.example")
    web = WebAdapter(config)
    sender = SlackSender(standin.bot_token, standin.api_url, channel_interval=0.05)
    adapter = SlackAdapter(config, sender=sender, mounts=[web.mount])
    app = Application(
        config,
        clock=MovableClock(START, frozen=True),
        db=database,
        senders=adapter.senders(),
        groups=default_groups(),
    )
    await app.start(upgrade=False, background=False)
    await adapter.start(app)
    session = aiohttp.ClientSession()
    rig = SlackRig(app, adapter, standin, SlackCaller("", SECRET, session))
    rig.caller.url = rig.url
    try:
        created = await rig.command("U0ORG", f"/event {CREATE.removeprefix('/event ')}")
        assert "Event 1 created" in str(created), created
        answer = await rig.command("U0ANA", "/event feed")
        assert "/calendar/" not in str(answer) and "direct messages" in str(answer)
        await app.settle()
        (dm,) = await until(lambda: standin.posted_to("U0ANA"))
        found = re.search(r"https://r\.example(/calendar/[A-Za-z0-9_-]{43}\.ics)", str(dm))
        assert found, dm
        assert "webcal://r.example" + found.group(1) in str(dm)
        assert dm["unfurl_links"] is False and dm["unfurl_media"] is False
        elsewhere = [m for m in standin.sent("chat.postMessage") if m["channel"] != "U0ANA"]
        assert elsewhere and all(found.group(1) not in str(m) for m in elsewhere)
        assert all(found.group(1) not in str(r) for r in standin.responses)
        url = f"http://127.0.0.1:{adapter.port}{found.group(1)}"
        async with session.get(url) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
            cal = icalendar.Calendar.from_ical(await response.read())
        assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] == ["Chapter meeting"]
    finally:
        await session.close()
        await adapter.stop()
        await app.stop()
        await standin.stop()

"""One organization on Slack and Discord at once: one application with both adapters, the
real slack-bolt/slack_sdk and discord.py, against both stand-ins in the same process.

`/link` joins accounts across platforms (both ways); a linked member signs once; an alert
reaches both alert channels and the DMs on each; sign-ons from both update one tally, the
same on both; RSVPs and poll results agree; alert DMs switched off on one platform stop on
the other. Runs on a SQLite file and on PostgreSQL (the 1,000 sign-ons on both too); on
PostgreSQL also split in two applications, one per platform, on one database.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
from sqlalchemy import func, select

from adapters.discord import DiscordAdapter
from adapters.slack import SlackAdapter, SlackSender
from bot.app import Application
from bot.clock import MovableClock
from bot.config import OrgConfig, RoleSources
from bot.context import Invocation
from rallybot.groups import default_groups
from standins.discord import DiscordStandIn
from standins.slack import SlackCaller, SlackStandIn
from storage.db import Database
from storage.models import AlertResponse, Identity, Member
from tests.discord_support import (
    ALERTS,
    ANA,
    BEA,
    CAL,
    GUILD,
    MODS,
    ORGANIZER_ROLE,
    DiscordRig,
    discord_config,
    guilds,
    message_text,
    text_of,
)
from tests.slack_support import SECRET, TEAM, SlackRig, buttons, slack_config
from tests.support import START

CODE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b")
TALLY = re.compile(r"(?:Closed · )?\d+ signed · \d+ acted")


def buttons_of(message: dict[str, Any]) -> dict[str, str]:
    """A Slack message's buttons: label -> action id."""
    return buttons(message.get("blocks") or [])


def both_org() -> OrgConfig:
    """The organization on the Slack workspace and the Discord guild at once."""
    return OrgConfig(
        slug="il-library-workers",
        name="Illinois Library Workers",
        timezone="America/Chicago",
        slack_team_ids=[TEAM],
        discord_guild_ids=[GUILD],
        alert_channels={"slack": ["C0ALERTS"], "discord": [ALERTS]},
        moderation_channels={"slack": ["C0MODS"], "discord": [MODS]},
        organizers=RoleSources(slack_users=["U0ORG"], discord_roles=["Organizer"]),
    )


@dataclass
class Both:
    """The application (or one per platform) and a rig per platform."""

    apps: list[Application]
    slack: SlackRig
    discord: DiscordRig

    @property
    def app(self) -> Application:
        """The application (the first, when split)."""
        return self.apps[0]

    async def settle(self) -> None:
        """Run what is due and send the outbox on both platforms."""
        for app in self.apps:
            await app.scheduler.run_due()
        for app in self.apps:
            await app.delivery.drain(retries=False)

    def advance(self, seconds: float) -> None:
        """Move the shared clock forward."""
        self.discord.clock.advance(timedelta(seconds=seconds))


@asynccontextmanager
async def both_rig(database: Database, *, split: Database | None = None) -> AsyncIterator[Both]:
    """Both stand-ins, and one application with the Slack and the Discord adapter; with
    ``split`` (a second connection to the same database), two applications instead, one per
    platform, as two processes on PostgreSQL share the work."""
    slack_standin = SlackStandIn(team_id=TEAM, usergroups={"S0STEWARDS": []})
    await slack_standin.start()
    discord_standin = DiscordStandIn(guilds())
    await discord_standin.start()
    discord_standin.add_user(ANA, "ana", guild_id=GUILD, roles=[ORGANIZER_ROLE])
    discord_standin.add_user(BEA, "bea", guild_id=GUILD)
    discord_standin.add_user(CAL, "cal", guild_id=GUILD)
    config = discord_config(discord_standin)
    config.slack = slack_config(slack_standin).slack
    config.orgs = [both_org()]
    sender = SlackSender(slack_standin.bot_token, slack_standin.api_url, channel_interval=0.01)
    slack_adapter = SlackAdapter(config, sender=sender)
    discord_adapter = DiscordAdapter(config)
    clock = MovableClock(START, frozen=True)
    if split is None:
        senders = {**slack_adapter.senders(), **discord_adapter.senders()}
        apps = [
            Application(config, groups=default_groups(), clock=clock, db=database, senders=senders)
        ]
    else:
        apps = [
            Application(
                config,
                groups=default_groups(),
                clock=clock,
                db=database,
                senders=slack_adapter.senders(),
            ),
            Application(
                config,
                groups=default_groups(),
                clock=clock,
                db=split,
                senders=discord_adapter.senders(),
            ),
        ]
    for app in apps:
        await app.start(upgrade=False, background=False)
    await slack_adapter.start(apps[0])
    await discord_adapter.start(apps[-1])
    session = aiohttp.ClientSession()
    caller = SlackCaller(f"http://127.0.0.1:{slack_adapter.port}/slack/events", SECRET, session)
    slack = SlackRig(apps[0], slack_adapter, slack_standin, caller)
    discord = DiscordRig(
        discord_standin, apps[-1].db, config, clock=clock, app=apps[-1], adapter=discord_adapter
    )
    await discord.sync()
    try:
        yield Both(apps, slack, discord)
    finally:
        await session.close()
        await discord_adapter.stop()
        await slack_adapter.stop()
        for app in apps:
            await app.stop()
        await discord_standin.stop()
        await slack_standin.stop()


async def scalar(db: Database, query) -> int:
    """One number from the database."""
    async with db.sessions() as session:
        return (await session.execute(query)).scalar_one()


def slack_tally(both: Both) -> str:
    """The tally line of the Slack alert post as it stands (the last edit, else the post)."""
    (post,) = both.slack.standin.posted_to("C0ALERTS")
    edits = [u for u in both.slack.standin.sent("chat.update") if u["channel"] == "C0ALERTS"]
    text = (edits[-1] if edits else post)["text"]
    return TALLY.search(text).group(0)


def discord_tally(both: Both) -> str:
    """The tally line of the Discord alert post as it stands."""
    (post,) = both.discord.standin.messages_in(ALERTS)
    return TALLY.search(message_text(post)).group(0)


async def send_alert(both: Both, title: str = "Save the Elm St branch") -> None:
    """An organizer on Slack creates a sign-on alert and sends it now."""
    preview = await both.slack.command(
        "U0ORG", f'/alert create title:"{title}" body:"The council votes Friday." kind:"Sign on"'
    )
    assert "Preview of alert 1" in preview["text"], preview["text"]
    sent = await both.slack.command("U0ORG", "/alert send id:1")
    assert "Alert 1" in sent["text"], sent["text"]
    await both.settle()


async def test_link_both_ways_and_a_linked_member_signs_once(database: Database) -> None:
    async with both_rig(database) as both:
        people = select(func.count()).select_from(Member)
        # a code shown on Slack, entered on Discord: nothing is joined until its button
        shown = await both.slack.command("U0BEA", "/link")
        code = CODE.search(shown["text"]).group(0)
        asked = await both.discord.slash(BEA, "link", {"code": code})
        assert f"Code {code} is from u0bea on Slack. Linking makes this Discord" in text_of(asked)
        assert await scalar(database, people) == 2
        confirm = both.discord.message(asked)["id"]
        linked = await both.discord.click(BEA, confirm, "Yes, link my accounts")
        assert "Linked. You are one member on discord and slack" in text_of(linked)
        # and a code shown on Discord, entered on Slack
        shown_d = await both.discord.slash(CAL, "link")
        code_d = CODE.search(text_of(shown_d)).group(0)
        asked_s = await both.slack.command("U0CAL", f"/link code:{code_d}")
        assert f"Code {code_d} is from Cal on Discord. Linking makes this Slack" in asked_s["text"]
        assert await scalar(database, people) == 3
        linked_s = await both.slack.click("U0CAL", buttons_of(asked_s)["Yes, link my accounts"])
        assert "Linked. You are one member on discord and slack" in linked_s["text"]
        owners = select(func.count(func.distinct(Identity.member_id))).where(
            Identity.user_id.in_(["U0BEA", BEA, "U0CAL", CAL])
        )
        assert await scalar(database, owners) == 2
        assert await scalar(database, select(func.count()).select_from(Member)) == 2

        await send_alert(both)
        signed = await both.slack.command("U0BEA", '/alert sign id:1 name:"Bea Reyes"')
        assert "signed" in signed["text"].lower(), signed["text"]
        again = await both.discord.slash(BEA, "alert", {"id": 1, "name": "Bea R."}, sub="sign")
        assert "You already signed alert 1" in text_of(again), text_of(again)
        # the reverse order, for the member linked the other way
        first = await both.discord.slash(CAL, "alert", {"id": 1, "name": "Cal Ito"}, sub="sign")
        assert "signed" in text_of(first).lower()
        second = await both.slack.command("U0CAL", '/alert sign id:1 name:"Cal Ito"')
        assert "You already signed alert 1" in second["text"]
        signatures = select(func.count()).select_from(AlertResponse)
        assert await scalar(database, signatures) == 2


async def test_one_alert_on_both_platforms_with_one_tally(database: Database) -> None:
    async with both_rig(database) as both:
        # members on each platform who take alert DMs (a profile says so)
        await both.slack.command("U0ANA", "/profile state:IL alert_dms:yes")
        await both.discord.slash(BEA, "profile", {"state": "IL", "alert_dms": True})
        await send_alert(both)
        assert "Save the Elm St branch" in both.slack.standin.posted_to("C0ALERTS")[0]["text"]
        assert "Save the Elm St branch" in message_text(
            both.discord.standin.messages_in(ALERTS)[0]
        )
        (slack_dm,) = both.slack.standin.posted_to("U0ANA")
        assert "Save the Elm St branch" in slack_dm["text"]
        (discord_dm,) = both.discord.standin.messages_in(both.discord.standin.dm_channels[BEA])
        assert "Save the Elm St branch" in message_text(discord_dm)
        assert slack_tally(both) == discord_tally(both) == "0 signed · 0 acted"

        # sign-ons from both platforms, through the real SDKs: one tally on both
        await both.slack.click("U0ANA", buttons_of(slack_dm)["I took action"])
        await both.discord.click(BEA, discord_dm["id"], "I took action", guild=None)
        await both.slack.command("U0ZED", '/alert sign id:1 name:"Zed Park"')
        both.advance(30)
        await both.settle()
        assert slack_tally(both) == discord_tally(both) == "1 signed · 2 acted"


async def test_a_thousand_mixed_sign_ons_leave_both_tallies_equal(database: Database) -> None:
    async with both_rig(database) as both:
        await send_alert(both)
        dispatcher = both.app.dispatcher
        for n in range(1000):
            platform = "slack" if n % 2 else "discord"
            invocation = Invocation(
                platform=platform,
                space_id=TEAM if platform == "slack" else GUILD,
                channel_id="general",
                user_id=f"U{n:05d}" if platform == "slack" else str(800000000000000000 + n),
                display_name=f"Member {n}",
            )
            line = f'/alert sign id:1 name:"Member {n}"' if n % 3 else "/alert acted id:1"
            reply = await dispatcher.handle_text(invocation, line)
            assert "Alert 1 so far" in (reply.text or ""), reply.text
            if n % 250 == 249:  # tally edits on the way, as a running bot makes them
                both.advance(30)
                await both.settle()
        both.advance(30)
        await both.settle()
        signed = 1000 - len(range(0, 1000, 3))
        expected = f"{signed} signed · {1000 - signed} acted"
        assert slack_tally(both) == discord_tally(both) == expected
        assert both.discord.standin.messages_in(ALERTS)[0]["edits"] >= 4


async def test_rsvps_and_poll_results_agree_on_both(database: Database) -> None:
    async with both_rig(database) as both:
        created = await both.slack.command(
            "U0ORG", '/event create title:"Budget hearing" kind:meeting start:"2026-11-20 18:00"'
        )
        assert "Event 1" in created["text"] or "event 1" in created["text"], created["text"]
        await both.settle()
        (slack_post,) = both.slack.standin.posted_to("C0ALERTS")
        (discord_post,) = both.discord.standin.messages_in(ALERTS)
        assert "Budget hearing" in slack_post["text"] and "Budget hearing" in message_text(
            discord_post
        )
        await both.slack.click("U0ANA", buttons_of(slack_post)["Going"])
        await both.discord.click(BEA, discord_post["id"], "Going")
        await both.discord.click(CAL, discord_post["id"], "Maybe")
        from_slack = await both.slack.command("U0ORG", "/event attendees id:1")
        from_discord = await both.discord.slash(ANA, "event", {"id": 1}, sub="attendees")
        for text in (from_slack["text"], text_of(from_discord)):
            assert re.search(r"going\W+2", text) and re.search(r"maybe\W+1", text), text

        await both.slack.command(
            "U0ORG", '/poll create question:"First priority?" options:"Pay | Hours" anonymous:no'
        )
        await both.settle()
        slack_poll = both.slack.standin.posted_to("C0ALERTS")[-1]
        discord_poll = both.discord.standin.messages_in(ALERTS)[-1]
        await both.slack.click("U0ANA", buttons_of(slack_poll)["Pay"])
        await both.discord.click(BEA, discord_poll["id"], "Pay")
        await both.discord.click(CAL, discord_poll["id"], "Hours")
        closed = await both.discord.slash(ANA, "poll", {"id": 1}, sub="close")
        assert "closed" in text_of(closed).lower()
        await both.settle()
        slack_results = both.slack.standin.posted_to("C0ALERTS")[-1]["text"]
        discord_results = message_text(both.discord.standin.messages_in(ALERTS)[-1])
        for text in (slack_results, discord_results):
            assert "3 ballots" in text and re.search(r"Pay\W+2", text), text


async def test_alert_dms_switched_off_on_one_platform_stop_on_the_other(
    database: Database,
) -> None:
    async with both_rig(database) as both:
        shown = await both.discord.slash(BEA, "link")
        code = CODE.search(text_of(shown)).group(0)
        await both.slack.command("U0BEA", f"/link code:{code} confirm:yes")  # asks first
        await both.slack.command("U0BEA", f"/link code:{code} confirm:yes")
        await both.slack.command("U0BEA", "/profile alert_dms:no")
        await both.slack.command("U0ANA", "/profile alert_dms:yes")
        await send_alert(both)
        assert both.slack.standin.posted_to("U0ANA")
        assert not both.slack.standin.posted_to("U0BEA")
        assert BEA not in both.discord.standin.dm_channels or not (
            both.discord.standin.messages_in(both.discord.standin.dm_channels[BEA])
        )
        # and switched back on from Discord, the next alert comes by DM again (one account)
        await both.discord.slash(BEA, "profile", {"alert_dms": True})
        await both.slack.command(
            "U0ORG", '/alert create title:"Call the mayor" body:"Budget." kind:call'
        )
        await both.slack.command("U0ORG", "/alert send id:2")
        await both.settle()
        slack_dms = both.slack.standin.posted_to("U0BEA")
        dm_channel = both.discord.standin.dm_channels.get(BEA)
        discord_dms = both.discord.standin.messages_in(dm_channel) if dm_channel else []
        assert len(slack_dms) + len(discord_dms) == 1


async def test_split_across_two_applications_on_postgresql(pg_url: tuple[str, str]) -> None:
    url, schema = pg_url
    slack_side, discord_side = Database(url, schema=schema), Database(url, schema=schema)
    await slack_side.upgrade()
    try:
        async with both_rig(slack_side, split=discord_side) as both:
            shown = await both.slack.command("U0BEA", "/link")
            code = CODE.search(shown["text"]).group(0)
            asked = await both.discord.slash(BEA, "link", {"code": code})
            confirm = both.discord.message(asked)["id"]
            linked = await both.discord.click(BEA, confirm, "Yes, link my accounts")
            assert "one member on discord and slack" in text_of(linked)
            await both.slack.command("U0ANA", "/profile alert_dms:yes")
            await send_alert(both)
            # sent once, by the Slack process; each process delivered its own platform's part
            assert both.slack.standin.posted_to("C0ALERTS") and both.slack.standin.posted_to(
                "U0ANA"
            )
            assert discord_tally(both) == slack_tally(both) == "0 signed · 0 acted"
            await both.slack.command("U0BEA", '/alert sign id:1 name:"Bea Reyes"')
            again = await both.discord.slash(BEA, "alert", {"id": 1, "name": "Bea"}, sub="sign")
            assert "You already signed alert 1" in text_of(again)
            await both.discord.slash(CAL, "alert", {"id": 1}, sub="acted")
            both.advance(30)
            await both.settle()
            assert slack_tally(both) == discord_tally(both) == "1 signed · 1 acted"
    finally:
        await discord_side.dispose()
        await slack_side.dispose()

"""Slack mentions through slack-bolt and slack_sdk against the Slack stand-in.

Text members typed never becomes ``<!channel>`` or ``<!here>``: it is escaped, and every
message goes with ``parse: "none"`` and no ``link_names``, so a plain ``@channel`` stays text.
An organizer's ``notify:`` adds exactly the broadcast asked for, to the channel post only.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from standins.slack import broadcasts
from tests.slack_support import SlackRig, slack_rig

ORG = "U0ORG"
ANA = "U0ANA"
#: text a member types that would notify a whole channel and a user group if let through
LOUD = "<!channel> @channel <!here|here> @everyone <!subteam^S0STEWARDS> & co"


def quiet(body: dict[str, Any]) -> None:
    """The message notifies no one beyond its readers, and asks Slack to parse nothing."""
    assert broadcasts(body) == [], body
    assert body.get("parse") == "none" and "link_names" not in body, body


async def delivered(rig: SlackRig, channel: str, count: int) -> list[dict[str, Any]]:
    """The posts in ``channel`` once ``count`` have arrived (each channel is paced: a post
    handed back waits on the application's clock)."""
    for _ in range(100):
        await rig.app.settle()
        rig.app.services.clock.advance(timedelta(seconds=1))
        if len(rig.standin.posted_to(channel)) >= count:
            break
        await asyncio.sleep(0.05)
    return rig.standin.posted_to(channel)


async def test_text_from_members_notifies_no_one(database) -> None:
    async with slack_rig(database) as rig:
        added = await rig.command(ANA, f'/reminder add when:"in 2 hours" text:"{LOUD}"')
        quiet(added)
        listed = await rig.command(ANA, "/reminder list")
        assert "&lt;!channel&gt; @channel" in listed["text"]
        quiet(listed)
        report = await rig.command(
            ANA, f'/layoff report employer:"{LOUD} Library" workers:3 anonymous:no'
        )
        quiet(report)
        rig.app.services.clock.advance(timedelta(hours=3))
        await rig.app.settle()
        (dm,) = rig.standin.posted_to(ANA)
        assert "&lt;!subteam^S0STEWARDS&gt;" in dm["text"]
        quiet(dm)
        (moderation,) = rig.standin.posted_to("C0MODS")
        assert "&lt;!here|here&gt;" in moderation["text"]
        quiet(moderation)


async def test_organizers_notify_the_channel_post_only(database) -> None:
    async with slack_rig(database) as rig:
        await rig.command(ANA, "/profile state:IL")
        created = await rig.command(
            ORG, f'/alert create title:"Call now" body:"{LOUD}" kind:call'
        )
        assert "Preview of alert 1" in created["text"], created["text"]
        denied = await rig.command(ANA, "/alert send id:1 notify:everyone")
        assert "needs the organizer role" in denied["text"]
        refused = await rig.command(ORG, '/alert send id:1 notify:"<b>"')
        assert "notify: must be here, channel, everyone, or a role" in refused["text"], refused
        sent = await rig.command(ORG, "/alert send id:1 notify:here")
        assert "(pinging here)" in sent["text"], sent["text"]
        await rig.app.settle()
        (post,) = rig.standin.posted_to("C0ALERTS")
        assert broadcasts(post) == ["here"] and post["parse"] == "none"
        (dm,) = rig.standin.posted_to(ANA)
        quiet(dm)
        # a user group, at a later time: the ping waits with the alert
        await rig.command(ORG, '/alert create title:"Call later" body:"Soon." kind:call')
        await rig.command(ORG, '/alert send id:2 notify:S0STEWARDS at:"in 2 hours"')
        await rig.app.settle()
        assert len(rig.standin.posted_to("C0ALERTS")) == 1
        rig.app.services.clock.advance(timedelta(hours=3))
        await rig.app.settle()
        later = rig.standin.posted_to("C0ALERTS")[-1]
        assert "Call later" in later["text"]
        assert broadcasts(later) == ["subteam^S0STEWARDS"]
        # event announcements: channel; a Discord role means nothing on Slack
        cases = {"channel": ["channel"], "500000000000000010": []}
        for notify in cases:
            made = await rig.command(
                ORG,
                f'/event create title:"Meeting {notify}" kind:meeting '
                f'start:"2026-12-20 18:00" notify:{notify}',
            )
            assert "created" in made["text"], made["text"]
        posts = await delivered(rig, "C0ALERTS", 4)
        for notify, expected in cases.items():
            (announcement,) = [p for p in posts if f"Meeting {notify}" in p["text"]]
            assert broadcasts(announcement) == expected
        # the tally edit of the first post notifies no one again
        await rig.command(ANA, "/alert acted id:1")
        rig.app.services.clock.advance(timedelta(seconds=10))
        await rig.app.settle()
        (edit,) = [e for e in rig.standin.sent("chat.update") if e["ts"] == post["ts"]]
        assert "1 acted" in edit["text"]
        quiet(edit)

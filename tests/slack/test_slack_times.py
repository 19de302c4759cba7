"""Times on Slack as each reader sees them, end to end through the real slack_sdk into the
Slack stand-in (which refuses a malformed date, or one in plain text): an event's
announcement, a member's reminder DM and an alert with a deadline carry Slack dates with the
reader's time as their fallback, while headers, buttons and the notification text keep the
event's zone as text. Runs on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from tests.slack_support import SlackRig, buttons, slack_rig, until

ORG, ANA, BEN = "U0ORG", "U0ANA", "U0BEN"
MEETING = (
    '/event create title:"Chapter meeting" kind:meeting start:"2026-11-20 18:00" end:"19:30" '
    'place:"Main library, room B"'
)
#: Fri Nov 20, 6:00 PM and 7:30 PM in Chicago
START = int(datetime(2026, 11, 21, 0, 0, tzinfo=UTC).timestamp())
END = START + 90 * 60
DAY_TIME = "{date_short_pretty} {time}"
DATE = re.compile(r"<!date\^")


def mrkdwn(message: dict[str, Any]) -> str:
    """The text of a message's sections, as Slack parses it."""
    return "\n".join(
        b["text"]["text"] for b in message["blocks"] if b["type"] == "section" and "text" in b
    )


def plain(message: dict[str, Any]) -> list[str]:
    """Every plain text of a message: its header, its buttons."""
    texts = [b["text"]["text"] for b in message["blocks"] if b["type"] == "header"]
    return texts + list(buttons(message["blocks"]))


async def posted(rig: SlackRig, channel: str, line: str, user: str = ORG) -> dict[str, Any]:
    """Run a command; return what it posted in ``channel``."""
    before = len(rig.standin.posted_to(channel))
    await rig.command(user, line)
    await rig.app.settle()
    return (await until(lambda: rig.standin.posted_to(channel)[before:]))[-1]


async def test_an_announcement_and_a_reminder_show_the_time_on_each_readers_clock(
    database,
) -> None:
    async with slack_rig(database) as rig:
        await rig.command(ANA, "/profile timezone:America/New_York")
        post = await posted(rig, "C0ALERTS", MEETING)
        assert (
            f"When: <!date^{START}^{DAY_TIME}|Fri Nov 20, 6:00 PM CST> – "
            f"<!date^{END}^{{time}}|7:30 PM CST>"
        ) in mrkdwn(post)
        assert plain(post) == [
            "Meeting: Chapter meeting (event 1)",
            "Going",
            "Maybe",
            "Can't go",
            "Edit",
        ]
        assert "When: Fri Nov 20, 6:00 PM – 7:30 PM CST" in post["text"]
        assert not DATE.search(post["text"] + " ".join(plain(post)))
        # Ana's answer, read in New York
        going = await rig.click(ANA, buttons(post["blocks"])["Going"])
        assert f"<!date^{START}^{DAY_TIME}|Fri Nov 20, 7:00 PM EST>" in mrkdwn(going)
        assert "Fri Nov 20, 6:00 PM – 7:30 PM CST (7:00 – 8:30 PM your time)" in going["text"]
        # the reminder a week before, by DM
        rig.app.services.clock.advance(
            datetime(2026, 11, 14, 0, 5, tzinfo=UTC) - rig.app.services.clock.now()
        )
        await rig.app.settle()
        (dm,) = await until(lambda: rig.standin.posted_to(ANA))
        assert f"starts <!date^{START}^{DAY_TIME}|Fri Nov 20, 7:00 PM EST>, in 7 days" in (
            mrkdwn(dm)
        )
        assert "starts Fri Nov 20, 6:00 PM CST (7:00 PM your time)" in dm["text"]
        assert list(buttons(dm["blocks"])) == ["Can't go"]
        assert rig.standin.refused == []


async def test_an_alerts_deadline_is_a_date_in_the_post_and_in_each_dm(database) -> None:
    async with slack_rig(database) as rig:
        await rig.command(ANA, "/profile state:IL timezone:America/New_York")
        await rig.command(BEN, "/profile state:IL")
        await rig.command(
            ORG,
            '/alert create title:"Save the Elm St branch" body:"The council votes Friday." '
            'kind:"Sign on" deadline:"2026-11-06 17:00"',
        )
        closes = int(datetime(2026, 11, 6, 23, 0, tzinfo=UTC).timestamp())
        post = await posted(rig, "C0ALERTS", "/alert send id:1")
        assert f"Closes <!date^{closes}^{DAY_TIME}|Fri Nov 6, 5:00 PM CST>." in mrkdwn(post)
        assert plain(post) == [
            "Sign-on letter: Save the Elm St branch (alert 1)",
            "Sign on",
            "I took action",
            "Not for me",
        ]
        assert "Closes Fri Nov 6, 5:00 PM CST." in post["text"]
        (ana,) = await until(lambda: rig.standin.posted_to(ANA))
        (ben,) = await until(lambda: rig.standin.posted_to(BEN))
        assert f"Closes <!date^{closes}^{DAY_TIME}|Fri Nov 6, 6:00 PM EST>." in mrkdwn(ana)
        assert f"Closes <!date^{closes}^{DAY_TIME}|Fri Nov 6, 5:00 PM CST>." in mrkdwn(ben)
        assert not DATE.search(ana["text"] + ben["text"])
        assert rig.standin.refused == []


async def test_a_long_announcement_keeps_its_dates_whole_within_slacks_limits(database) -> None:
    async with slack_rig(database) as rig:
        about = " ".join(f"Point {i} of the agenda." for i in range(200))[:3000]
        line = MEETING.replace("kind:meeting", f'kind:meeting description:"{about}"')
        post = await posted(rig, "C0ALERTS", line)
        assert rig.standin.refused == []
        sections = [b["text"]["text"] for b in post["blocks"] if b["type"] == "section"]
        assert len(sections) >= 2 and all(len(s) <= 3000 for s in sections)
        assert f"<!date^{START}^{DAY_TIME}|Fri Nov 20, 6:00 PM CST>" in "\n".join(sections)

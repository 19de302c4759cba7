"""Times on Discord as each reader sees them, end to end through the real discord.py client
against the stand-in (which refuses a malformed timestamp, or one where Discord shows none):
an event's announcement, a member's reminder DM and an alert with a deadline carry Discord
timestamps, while titles and buttons keep the event's zone as text. Runs on a SQLite file
and on PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from standins.discord.markup import timestamp_problem
from tests.discord_support import (
    ALERTS,
    ANA,
    BEA,
    DiscordRig,
    buttons,
    message_text,
    text_of,
)

#: Fri Nov 20, 6:00 PM and 7:30 PM in Chicago
START = int(datetime(2026, 11, 21, 0, 0, tzinfo=UTC).timestamp())
END = START + 90 * 60
MEETING = {
    "title": "Chapter meeting",
    "kind": "meeting",
    "start": "2026-11-20 18:00",
    "end": "19:30",
    "place": "Main library, room B",
}
STAMP = re.compile(r"<t:")


async def posted(rig: DiscordRig, name: str, options: dict, sub: str) -> dict:
    """Run an organizer's command; return what it posted in the alert channel."""
    before = len(rig.standin.messages_in(ALERTS))
    answer = await rig.slash(ANA, name, options, sub=sub)
    await rig.settle()
    found = rig.standin.messages_in(ALERTS)
    assert len(found) == before + 1, text_of(answer)
    return found[-1]


async def test_an_announcement_and_a_reminder_show_the_time_on_each_readers_clock(
    rig: DiscordRig,
) -> None:
    await rig.slash(BEA, "profile", {"timezone": "America/New_York"})
    post = await posted(rig, "event", MEETING, "create")
    (embed,) = post["embeds"]
    assert embed["title"] == "Meeting: Chapter meeting (event 1)"
    assert f"When: <t:{START}:F> – <t:{END}:t> (<t:{START}:R>)" in embed["description"]
    assert set(buttons(post)) == {"Going", "Maybe", "Can't go", "Edit"}
    # the member's answer: her own clock too, with no "your time" to work out
    going = await rig.click(BEA, post["id"], "Going")
    assert f"<t:{START}:F> – <t:{END}:t> (<t:{START}:R>)" in text_of(going), text_of(going)
    assert "your time" not in text_of(going)
    # the reminder a week before, by DM
    rig.clock.advance(datetime(2026, 11, 14, 0, 5, tzinfo=UTC) - rig.clock.now())
    await rig.settle()
    (dm,) = rig.standin.messages_in(rig.standin.dm_channels[BEA])
    shown = message_text(dm)
    # the reminder says how far away it is, so Discord's relative time is not said twice
    assert f"starts <t:{START}:F>, in 7 days. You're going." in shown, shown
    assert set(buttons(dm)) == {"Can't go"}
    assert not any(STAMP.search(label) for label in buttons(dm))
    assert rig.standin.refused == [] and rig.standin.invalid_requests == 0


async def test_an_alerts_deadline_is_a_timestamp_in_the_post_and_the_dm(rig: DiscordRig) -> None:
    await rig.slash(BEA, "profile", {"state": "IL", "alert_dms": True})
    await rig.slash(
        ANA,
        "alert",
        {
            "title": "Save the Elm St branch",
            "body": "Council votes Friday.",
            "kind": "sign-on",
            "deadline": "2026-11-06 17:00",
        },
        sub="create",
    )
    closes = int(datetime(2026, 11, 6, 23, 0, tzinfo=UTC).timestamp())
    post = await posted(rig, "alert", {"id": 1}, "send")
    (embed,) = post["embeds"]
    assert embed["title"] == "Sign-on letter: Save the Elm St branch (alert 1)"
    assert f"Closes <t:{closes}:F> (<t:{closes}:R>)." in embed["description"]
    assert set(buttons(post)) == {"Sign on", "I took action", "Not for me"}
    (dm,) = rig.standin.messages_in(rig.standin.dm_channels[BEA])
    assert f"Closes <t:{closes}:F> (<t:{closes}:R>)." in message_text(dm)
    assert rig.standin.refused == [] and rig.standin.invalid_requests == 0


async def test_a_long_announcement_keeps_its_timestamps_whole_within_discords_limits(
    rig: DiscordRig,
) -> None:
    about = " ".join(f"Point {i} of the agenda." for i in range(200))[:3000]
    title = "Chapter meeting on the budget, the branches and the contract " * 3
    post = await posted(
        rig, "event", {**MEETING, "title": title[:200], "description": about}, "create"
    )
    (embed,) = post["embeds"]
    assert len(embed["title"]) <= 256 and not STAMP.search(embed["title"])
    assert len(embed["description"]) <= 4096
    assert f"<t:{START}:F> – <t:{END}:t> (<t:{START}:R>)" in embed["description"]
    assert timestamp_problem(embed["description"], "description") is None
    assert rig.standin.refused == [] and rig.standin.invalid_requests == 0

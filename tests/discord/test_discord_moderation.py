"""A report's moderation message on Discord, through discord.py against the stand-in: once
verified, its "Show on the public tracker" button shows the report on the tracker and the
message, edited in place, offers "Hide from the public tracker" instead, and back."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bot.config import WebConfig
from storage.models import LayoffReport
from tests.discord_support import ANA, BEA, MODS, DiscordRig, buttons, message_text, text_of

SHOW, HIDE = "Show on the public tracker", "Hide from the public tracker"


async def test_the_tracker_button_switches_between_show_and_hide(rig: DiscordRig) -> None:
    assert rig.app is not None
    rig.app.config.web = WebConfig(enabled=True, host="127.0.0.1", port=0)
    rig.app.config.orgs[0].public_tracker = True
    report = await rig.slash(
        BEA,
        "layoff",
        {"employer": "Quiet Branch Library", "state": "IL", "anonymous": False},
        sub="report",
    )
    ref = int(re.findall(r"Your report is L-(\d+)\.", text_of(report))[0])
    rig.clock.advance(timedelta(minutes=20))
    await rig.settle()
    (post,) = rig.standin.messages_in(MODS)
    assert SHOW not in buttons(post) and HIDE not in buttons(post)  # not verified yet
    verified = await rig.click(ANA, post["id"], "Verify")
    assert f"L-{ref} is now marked verified." in text_of(verified)
    await rig.settle()
    assert post["edits"] == 1 and SHOW in buttons(post) and HIDE not in buttons(post)
    denied = await rig.click(BEA, post["id"], SHOW)
    assert "needs the organizer role" in text_of(denied)
    await rig.settle()
    assert post["edits"] == 1
    for edits, (label, said, status, next_label) in enumerate(
        [
            (SHOW, "now appears on", "shown on", HIDE),
            (HIDE, "no longer appears on", "hidden from", SHOW),
            (SHOW, "now appears on", "shown on", HIDE),
        ],
        start=2,
    ):
        answer = await rig.click(ANA, post["id"], label)
        assert said in text_of(answer), text_of(answer)
        await rig.settle()
        posts = [m for m in rig.standin.messages_in(MODS) if "Employer" in message_text(m)]
        assert posts == [post]  # the same message, edited in place
        assert post["edits"] == edits, post["edits"]
        assert f"{status} the public tracker by Ana" in message_text(post), message_text(post)
        assert next_label in buttons(post) and label not in buttons(post)
        assert "verified by Ana" in message_text(post) and "Verify" in buttons(post)
    async with rig.database.sessions() as session:
        (stored,) = (await session.execute(select(LayoffReport))).scalars()
    assert stored.published

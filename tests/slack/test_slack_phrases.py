"""Times and timezones as people say them, through Slack's signed slash commands."""

from __future__ import annotations

from datetime import timedelta

from tests.slack_support import slack_rig

ANA = "U0ANA"


async def test_a_zone_name_and_a_date_phrase_through_slack(database) -> None:
    async with slack_rig(database) as rig:  # Monday 2026-11-02, 9:00 CST
        profile = await rig.command(ANA, "/profile timezone:London")
        assert "Europe/London" in profile["text"] + str(profile.get("blocks")), profile
        added = await rig.command(ANA, '/reminder add when:"the 3rd at noon" text:"Pay dues"')
        assert added["text"].startswith("Reminder 1 set for Tue Nov 3, 12:00 PM GMT (in 21h)"), (
            added
        )
        refused = await rig.command(ANA, "/profile timezone:BST")
        assert "timezone: BST could mean Europe/London (British summer)" in refused["text"]
        rig.app.services.clock.advance(timedelta(days=2))
        await rig.app.settle()
        (dm,) = rig.standin.posted_to(ANA)
        assert "Pay dues" in dm["text"]

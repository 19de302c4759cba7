"""Times and timezones as people say them, through Discord slash commands and autocomplete."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.discord_support import BEA, GUILD, DiscordRig, text_of


async def test_a_zone_name_and_a_date_phrase_through_discord(rig: DiscordRig) -> None:
    profile = await rig.slash(BEA, "profile", {"timezone": "Chicago"})
    assert "America/Chicago" in text_of(profile), text_of(profile)
    added = await rig.slash(
        BEA, "reminder", {"when": "December 25 at 9am", "text": "Shift swap"}, sub="add"
    )
    # Fri Dec 25, 9:00 AM in Chicago, as a Discord timestamp (the answer says how soon itself)
    christmas = int(datetime(2026, 12, 25, 15, 0, tzinfo=UTC).timestamp())
    assert f"Reminder 1 set for <t:{christmas}:F> (in " in text_of(added), text_of(added)
    every = await rig.slash(BEA, "reminder", {"when": "every 2 weeks", "text": "Payday"}, sub="add")
    assert "then every 2 weeks on Tuesday at 9:00" in text_of(every), text_of(every)
    refused = await rig.slash(BEA, "profile", {"timezone": "Indiana"})
    assert "timezone: Indiana has more than one timezone" in text_of(refused)
    offered = await rig.wait(
        await rig.standin.autocomplete(BEA, "profile", None, "timezone", "Pacific", guild_id=GUILD)
    )
    assert offered.responses[0]["data"]["choices"][0]["value"] == "America/Los_Angeles"

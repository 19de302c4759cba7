"""An event edited and cancelled in Discord, the real discord.py client against the
stand-in: /event edit edits the announcement in place and DMs those coming what changed; a
member's click on Edit is refused; /event cancel closes the announcement's buttons and an
answer from an old button is refused plainly."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.discord.test_discord_events_polls import event_post
from tests.discord_support import (
    ANA,
    BEA,
    GUILD,
    DiscordRig,
    button_id,
    message_text,
    text_of,
)


async def test_edit_then_cancel_in_discord(rig: DiscordRig) -> None:
    standin = rig.standin
    post = await event_post(
        rig,
        {
            "title": "Budget rally",
            "kind": "rally",
            "start": "2026-11-20 18:00",
            "place": "City Hall",
        },
    )
    going = button_id(post, "Going")
    assert "You're going" in text_of(await rig.click(BEA, post["id"], "Going"))
    refused = await rig.click(BEA, post["id"], "Edit")
    assert "/event edit needs the organizer role" in text_of(refused), text_of(refused)

    opened = await rig.click(ANA, post["id"], "Edit")
    assert opened.responses[0]["type"] == 9  # MODAL, filled in with the event as it is
    box = opened.responses[0]["data"]
    assert box["title"].startswith("Edit event 1")
    inputs = {row["components"][0]["custom_id"]: row["components"][0] for row in box["components"]}
    assert inputs["title"]["value"] == "Budget rally"
    assert inputs["start"]["value"] == "2026-11-20 18:00"

    edited = await rig.slash(ANA, "event", {"id": 1, "start": "2026-11-21 11:00"}, sub="edit")
    assert "Event 1 changed (start, end)." in text_of(edited), text_of(edited)
    await rig.settle()
    shown = standin.messages[post["id"]]
    # times reach Discord as timestamps, shown on each reader's clock (issue 14 item 4):
    # 11:00 CST on Nov 21 is 17:00 UTC; the old start, 18:00 CST on Nov 20, midnight UTC
    new_start = int(datetime(2026, 11, 21, 17, 0, tzinfo=UTC).timestamp())
    old_start = int(datetime(2026, 11, 21, 0, 0, tzinfo=UTC).timestamp())
    assert shown["edits"] == 1 and f"<t:{new_start}:F>" in message_text(shown)
    assert f"<t:{old_start}:F>" not in message_text(shown)
    (note,) = standin.messages_in(standin.dm_channels[BEA])
    said = message_text(note)
    assert f"<t:{old_start}:F>" in said and f"<t:{new_start}:F>" in said, said
    assert said.index(f"<t:{old_start}:F>") < said.index("→") < said.index(f"<t:{new_start}:F>")

    cancelled = await rig.slash(ANA, "event", {"id": 1, "reason": "Rain."}, sub="cancel")
    assert "Event 1 is cancelled." in text_of(cancelled), text_of(cancelled)
    await rig.settle()
    shown = standin.messages[post["id"]]
    assert shown["edits"] == 2 and "Cancelled: Budget rally" in message_text(shown)
    closed = [c for row in shown["components"] for c in row["components"]]
    assert closed and all(c.get("disabled") for c in closed)
    told = standin.messages_in(standin.dm_channels[BEA])[-1]
    assert "Cancelled: “Budget rally” (event 1)" in message_text(told)
    # a click the old post still carries is refused plainly
    old = await rig.wait(await standin.click(BEA, post["id"], going, guild_id=GUILD))
    assert "Event 1 is cancelled; there is nothing to answer." in text_of(old), text_of(old)
    assert standin.invalid_requests == 0

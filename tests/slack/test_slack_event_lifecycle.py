"""An event edited and cancelled through Slack's HTTP mode: the organizers' Edit button opens
the edit modal (a member's click is refused), the announcement is edited in place with
chat.update through the real slack_sdk, those coming get a DM of what changed, and a cancel
closes the buttons so an old click is refused plainly."""

from __future__ import annotations

import asyncio
from typing import Any

from standins.slack import block_actions_body
from tests.slack.test_slack_events_polls import ANA, MEETING, ORG, announced
from tests.slack_support import TEAM, SlackRig, buttons, slack_rig, until


def edits_of(rig: SlackRig, channel: str) -> list[dict[str, Any]]:
    """The chat.update calls Slack accepted for one channel, in order."""
    return [e for e in rig.standin.sent("chat.update") if e["channel"] == channel]


async def delivered_edit(rig: SlackRig, channel: str) -> dict[str, Any]:
    """The first edit of a post in ``channel``, once the modal's submission (acknowledged
    at once, run after) has changed the event and its edit is delivered."""
    for _ in range(200):
        await rig.app.settle()
        if found := edits_of(rig, channel):
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no edit in {channel}")


async def test_edit_from_the_button_then_cancel_on_slack(database) -> None:
    async with slack_rig(database) as rig:
        post = await announced(rig, MEETING)
        rsvp = buttons(post["blocks"])
        assert rsvp["Edit"] == "event.edit?id=1"
        assert (await rig.click(ANA, rsvp["Going"]))["text"].startswith("You're going")
        refused = await rig.click(ANA, rsvp["Edit"])
        assert "/event edit needs the organizer role" in refused["text"]
        assert rig.standin.sent("views.open") == []
        await rig.caller.post(
            block_actions_body(
                rsvp["Edit"],
                team_id=TEAM,
                user_id=ORG,
                channel_id="C0ALERTS",
                response_url=rig.standin.response_url(),
            )
        )
        (opened,) = await until(lambda: rig.standin.sent("views.open"))
        view = opened["view"]
        status, _ = await rig.submit(
            ORG,
            view["callback_id"],
            {"place": "Main library, room C"},
            metadata=view["private_metadata"],
        )
        assert status == 200
        edit = await delivered_edit(rig, "C0ALERTS")
        assert edit["ts"] == post["ts"] and "Where: Main library, room C" in edit["text"]
        dms = await until(lambda: rig.standin.posted_to(ANA))
        (note,) = [dm for dm in dms if dm["text"].startswith("Changed:")]
        assert "Where: Main library, room B → Main library, room C" in note["text"]
        assert list(buttons(note["blocks"])) == ["Can't go"]

        cancelled = await rig.command(ORG, '/event cancel id:1 reason:"The branch is closed."')
        assert cancelled["text"].startswith("Event 1 is cancelled.")
        await rig.app.settle()
        edits = await until(lambda: edits_of(rig, "C0ALERTS")[1:])
        final = edits[-1]
        assert final["ts"] == post["ts"] and "Cancelled: Chapter meeting" in final["text"]
        assert buttons(final["blocks"]) == {}  # closed: no button left to press
        (told,) = await until(
            lambda: [dm for dm in rig.standin.posted_to(ANA) if dm["text"].startswith("Cancelled")]
        )
        assert "The branch is closed." in told["text"]
        again = await rig.click(ANA, rsvp["Going"])
        assert again["text"] == "Event 1 is cancelled; there is nothing to answer."
        assert rig.standin.refused == []

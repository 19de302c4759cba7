"""/dashboard on Slack through slack-bolt and slack_sdk against the stand-in: the answer in
the channel holds no link, and the direct message with the link asks Slack not to unfurl it
(a preview would fetch the one-time link)."""

from __future__ import annotations

from storage.db import Database
from tests.slack_support import slack_rig


async def test_the_login_link_goes_by_dm_without_unfurling(database: Database) -> None:
    async with slack_rig(database) as rig:
        rig.app.config.web.enabled = True
        rig.app.config.web.base_url = "https://rally.example.org"
        answer = await rig.command("U0ORG", "/dashboard")
        assert "sent you a sign-in link by direct message" in answer["text"], answer
        assert "/dashboard/login/" not in str(answer)
        await rig.app.delivery.drain(give_up_after=10)
        (dm,) = [a for a in rig.standin.sent("chat.postMessage") if a["channel"] == "U0ORG"]
        assert "https://rally.example.org/dashboard/login/" in dm["text"]
        assert dm["unfurl_links"] is False and dm["unfurl_media"] is False
        refused = await rig.command("U0MEMBER", "/dashboard")
        assert "needs the organizer role" in refused["text"]
        assert len(rig.standin.sent("chat.postMessage")) == 1

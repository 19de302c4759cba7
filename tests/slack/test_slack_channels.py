"""Channels are shown to people on Slack as Slack shows them: a channel of the workspace as a
``<#C…>`` mention (Slack writes its name), a channel on another platform by its configured
name, never as a raw id; the text around them is still escaped."""

from __future__ import annotations

from adapters.slack.render import fallback_text, reply_blocks
from bot.reply import Reply
from bot.timefmt import Channel, TimedText
from storage.db import Database
from tests.slack_support import slack_rig


async def test_a_reply_mentions_the_workspaces_channel_and_names_the_other(
    database: Database,
) -> None:
    async with slack_rig(database) as rig:
        org = rig.app.config.orgs[0]
        org.alert_channels["discord"] = ["200000000000000001"]
        org.channel_names[("discord", "200000000000000001")] = "rally-room"
        answer = await rig.command(
            "U0ORG", '/poll create question:"Strike?" options:"Yes | No" anonymous:no'
        )
        sections = " ".join(b["text"]["text"] for b in answer["blocks"] if b["type"] == "section")
        shown = "is posted in discord #rally-room, <#C0ALERTS>."
        assert shown in sections, sections
        assert shown in answer["text"]  # the notification text, too
        assert "slack #C0ALERTS" not in sections + answer["text"]
        assert "200000000000000001" not in sections + answer["text"]


def test_a_channel_mention_is_kept_while_the_text_is_escaped() -> None:
    text = TimedText(
        "A <b> & c posted in ",
        Channel("slack", "C0ALERTS", "alerts"),
        " and ",
        Channel("console", "alerts"),
    )
    (section,) = reply_blocks(Reply(text=text))
    assert section["text"]["text"] == "A &lt;b&gt; &amp; c posted in <#C0ALERTS> and #alerts"
    assert fallback_text(Reply(title="T", text=text)) == (
        "*T*\nA &lt;b&gt; &amp; c posted in <#C0ALERTS> and #alerts"
    )

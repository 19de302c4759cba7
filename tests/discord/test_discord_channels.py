"""Channels are shown to people on Discord as Discord shows them: a channel of the guild as a
``<#id>`` mention (Discord writes its name), a channel on another platform by its configured
name, never as a raw id."""

from __future__ import annotations

import pytest

from adapters.discord.render import render
from bot.config import Config
from bot.reply import Reply
from bot.timefmt import Channel, TimedText
from standins.discord import DiscordStandIn
from tests.discord_support import ALERTS, ANA, DiscordRig, discord_config, text_of


@pytest.fixture
def bot_config(standin: DiscordStandIn) -> Config:
    """The organization's alert channels: its guild's, and one on Slack with a name."""
    config = discord_config(standin)
    org = config.orgs[0]
    org.alert_channels["slack"] = ["C0ALERTS"]
    org.channel_names[("slack", "C0ALERTS")] = "statewide"
    return config


async def test_a_reply_mentions_the_guilds_channel_and_names_the_other(rig: DiscordRig) -> None:
    created = await rig.slash(
        ANA,
        "poll",
        {"question": "Strike?", "options": "Yes | No", "anonymous": "no"},
        sub="create",
    )
    shown = text_of(created)
    assert f"is posted in <#{ALERTS}>, slack #statewide." in shown, shown
    assert "C0ALERTS" not in shown and f"#{ALERTS}" not in shown.replace(f"<#{ALERTS}>", "")


def test_a_channel_part_renders_as_a_mention_in_content_and_embeds() -> None:
    text = TimedText(
        "Posted in ", Channel("discord", ALERTS, "alerts"), " and ", Channel("console", "alerts")
    )
    assert render(Reply(text=text)).content == f"Posted in <#{ALERTS}> and #alerts"
    (embed,) = render(Reply(title="Where", text=text)).embeds
    assert embed.description == f"Posted in <#{ALERTS}> and #alerts"

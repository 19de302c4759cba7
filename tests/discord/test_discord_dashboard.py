"""/dashboard on Discord through discord.py against the stand-in: the link goes by direct
message in angle brackets, which Discord shows without a preview, and a member is refused."""

from __future__ import annotations

import re

from tests.discord_support import ANA, BEA, DiscordRig, message_text, text_of


async def test_the_login_link_goes_by_dm_without_a_preview(rig: DiscordRig) -> None:
    assert rig.app is not None
    rig.app.config.web.enabled = True
    rig.app.config.web.base_url = "https://rally.example.org"
    answer = await rig.slash(ANA, "dashboard")
    assert "sent you a sign-in link by direct message" in text_of(answer), text_of(answer)
    assert "/dashboard/login/" not in text_of(answer)
    await rig.settle()
    (dm,) = rig.standin.messages_in(rig.standin.dm_channels[ANA])
    text = message_text(dm)
    assert re.search(r"<https://rally\.example\.org/dashboard/login/[\w-]+>", text), text
    assert not re.search(r"(?<!<)https://", text), text
    refused = await rig.slash(BEA, "dashboard")
    assert "needs the organizer role" in text_of(refused)

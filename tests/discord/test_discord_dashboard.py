"""/dashboard on Discord through discord.py against the stand-in: the link goes by direct
message in angle brackets, which Discord shows without a preview, and a member is refused."""

from __future__ import annotations

import re
from datetime import timedelta

import aiohttp

from adapters.web import WebAdapter
from tests.discord_support import (
    ANA,
    BEA,
    GUILD,
    ORGANIZER_ROLE,
    DiscordRig,
    message_text,
    text_of,
)


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


async def test_a_role_removed_in_the_guild_ends_the_dashboard_session(rig: DiscordRig) -> None:
    """The dashboard asks Discord for the member's roles (Get Guild Member, through
    discord.py), remembered for a minute: the organizer role taken away, or the member gone
    from the guild, refuses the session and the login link; with the bot disconnected, an
    answer of the last few minutes stands in, then the page says Discord could not be asked."""
    assert rig.app is not None
    web_config = rig.app.config.web
    web_config.enabled, web_config.host, web_config.port = True, "127.0.0.1", 0
    server = WebAdapter(rig.app.config)
    await server.start(rig.app)
    try:
        async with aiohttp.ClientSession() as client:
            url = f"http://127.0.0.1:{server.port}"

            async def link() -> str:
                answer = await rig.slash(ANA, "dashboard")
                assert "sent you a sign-in link" in text_of(answer), text_of(answer)
                await rig.settle()
                dm = rig.standin.messages_in(rig.standin.dm_channels[ANA])[-1]
                found = re.search(r"(/dashboard/login/[\w-]+)>", message_text(dm))
                assert found, message_text(dm)
                return url + found.group(1)

            async def status(path: str, method: str = "GET") -> int:
                async with client.request(
                    method, url + path if path.startswith("/") else path,
                    headers={"Cookie": f"rallybot_dashboard={session}"}, allow_redirects=False,
                ) as response:  # fmt: skip
                    return response.status

            session = ""
            async with client.post(await link(), allow_redirects=False) as signed:
                assert signed.status == 303, await signed.text()
                session = signed.cookies["rallybot_dashboard"].value
            assert await status("/dashboard") == 200
            spare = await link()
            rig.standin.member_roles[(GUILD, ANA)] = []
            assert await status("/dashboard") == 200, "Discord's answer is used for a minute"
            rig.clock.advance(timedelta(seconds=61))
            assert await status("/dashboard") == 403
            assert await status(spare) == 403 and await status(spare, "POST") == 403
            rig.standin.member_roles[(GUILD, ANA)] = [ORGANIZER_ROLE]
            rig.clock.advance(timedelta(seconds=61))
            assert await status("/dashboard") == 200
            del rig.standin.member_roles[(GUILD, ANA)]  # left the guild
            rig.clock.advance(timedelta(seconds=61))
            assert await status("/dashboard") == 403
            rig.standin.member_roles[(GUILD, ANA)] = [ORGANIZER_ROLE]
            rig.clock.advance(timedelta(seconds=61))
            assert await status("/dashboard") == 200
            await rig.stop_bot()
            rig.clock.advance(timedelta(minutes=4))
            assert await status("/dashboard") == 200, "a recent answer stands in"
            rig.clock.advance(timedelta(minutes=1, seconds=1))
            async with client.get(
                url + "/dashboard", headers={"Cookie": f"rallybot_dashboard={session}"}
            ) as response:
                assert response.status == 503
                assert "Could not check your role on Discord just now" in await response.text()
    finally:
        await server.stop()

"""/dashboard on Slack through slack-bolt and slack_sdk against the stand-in: the answer in
the channel holds no link, and the direct message with the link asks Slack not to unfurl it
(a preview would fetch the one-time link); the dashboard asks Slack for the person's user
groups now."""

from __future__ import annotations

import re
from datetime import timedelta

import aiohttp

from adapters.web import WebAdapter
from bot.clock import MovableClock
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


async def test_leaving_the_organizer_user_group_ends_the_dashboard_session(
    database: Database,
) -> None:
    """The dashboard asks Slack which organizer user groups the person is in
    (usergroups.users.list through slack_sdk), remembered for a minute: taken out of the
    group, the session and the login link are refused; when Slack answers with an error, an
    answer of the last few minutes stands in, then the page says Slack could not be asked."""
    async with slack_rig(database, usergroups={"S0STEWARDS": ["U0STEWARD"]}) as rig:
        web_config = rig.app.config.web
        web_config.enabled, web_config.host, web_config.port = True, "127.0.0.1", 0
        server = WebAdapter(rig.app.config)
        await server.start(rig.app)
        clock = rig.app.services.clock
        assert isinstance(clock, MovableClock)
        url = f"http://127.0.0.1:{server.port}"
        try:
            async with aiohttp.ClientSession() as client:

                async def link() -> str:
                    answer = await rig.command("U0STEWARD", "/dashboard")
                    assert "sent you a sign-in link" in answer["text"], answer
                    await rig.app.delivery.drain(give_up_after=10)
                    dm = [
                        a for a in rig.standin.sent("chat.postMessage")
                        if a["channel"] == "U0STEWARD"
                    ][-1]  # fmt: skip
                    found = re.search(r"(/dashboard/login/[\w-]+)", dm["text"])
                    assert found, dm["text"]
                    return url + found.group(1)

                async def status(path: str, method: str = "GET") -> int:
                    async with client.request(
                        method, url + path if path.startswith("/") else path,
                        headers={"Cookie": f"rallybot_dashboard={session}"},
                        allow_redirects=False,
                    ) as response:  # fmt: skip
                        return response.status

                session = ""
                async with client.post(await link(), allow_redirects=False) as signed:
                    assert signed.status == 303, await signed.text()
                    session = signed.cookies["rallybot_dashboard"].value
                assert await status("/dashboard") == 200
                spare = await link()
                rig.standin.usergroups["S0STEWARDS"] = []
                assert await status("/dashboard") == 200, "Slack's answer is used for a minute"
                clock.advance(timedelta(seconds=61))
                assert await status("/dashboard") == 403
                assert await status(spare) == 403 and await status(spare, "POST") == 403
                rig.standin.usergroups["S0STEWARDS"] = ["U0STEWARD"]
                clock.advance(timedelta(seconds=61))
                assert await status("/dashboard") == 200
                del rig.standin.usergroups["S0STEWARDS"]  # Slack now answers an error
                clock.advance(timedelta(minutes=4))
                assert await status("/dashboard") == 200, "a recent answer stands in"
                clock.advance(timedelta(minutes=1, seconds=1))
                async with client.get(
                    url + "/dashboard", headers={"Cookie": f"rallybot_dashboard={session}"}
                ) as response:
                    assert response.status == 503
                    assert "Could not check your role on Slack just now" in await response.text()
        finally:
            await server.stop()

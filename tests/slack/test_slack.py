"""The Slack adapter end to end: signed requests into the bot over HTTP, the real slack-bolt
and slack_sdk, and the Slack stand-in answering the Web API and the response URLs."""

from __future__ import annotations

import re
import time

from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func, select

from bot.registry import Registry
from rallybot.groups import default_groups
from standins.slack import sign, slash_command_body
from storage.models import Member
from tests.slack_support import OTHER_TEAM, slack_rig, until
from tests.support import ROOT


def test_signature_matches_slacks_documented_example() -> None:
    """Slack's own example: this secret, timestamp and body sign to this value."""
    secret = "8f742231b10e8888abcd99yyyzzz85a5"
    timestamp = "1531420618"
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
        "channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
        "command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
        "commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
        "trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    assert sign(secret, timestamp, body) == expected
    verifier = SignatureVerifier(secret, clock=type("C", (), {"now": lambda self: 1531420618})())
    assert verifier.is_valid(body, timestamp, expected)


async def count_members(rig) -> int:
    async with rig.app.db.sessions() as session:
        return (await session.execute(select(func.count()).select_from(Member))).scalar_one()


async def test_help_answers_through_the_response_url(database) -> None:
    async with slack_rig(database) as rig:
        answer = await rig.command("U0ANA", "/help")
        assert answer["response_type"] == "ephemeral"
        assert "/layoff" in answer["text"] and "/reminder" in answer["text"]
        assert answer["blocks"] and not rig.standin.refused


async def test_help_is_short_and_a_group_is_asked_for_by_name(database) -> None:
    async with slack_rig(database) as rig:
        short = await rig.command("U0ANA", "/help")
        assert "/alert — Action alerts: sign on, call, email, show up\n" in short["text"]
        assert "/alert sign" not in short["text"] and "(organizers:" not in short["text"]
        assert "/help event shows a group's commands" in short["text"]
        detail = await rig.command("U0ANA", "/help event")
        assert "/event rsvp id:… " in detail["text"] and not rig.standin.refused


async def test_profile_is_stored_and_shown(database) -> None:
    async with slack_rig(database) as rig:
        answer = await rig.command("U0ANA", "/profile state:IL library_type:public")
        assert "IL" in answer["text"]
        shown = await rig.command("U0ANA", "/profile")
        assert "public" in shown["text"].lower()
        assert await count_members(rig) == 1


async def test_bad_input_names_the_field(database) -> None:
    async with slack_rig(database) as rig:
        answer = await rig.command("U0ANA", "/profile state:ZZ")
        assert "state" in answer["text"]
        assert await count_members(rig) == 0


async def test_forged_stale_and_missing_signatures_are_refused(database) -> None:
    async with slack_rig(database) as rig:
        body = slash_command_body(
            "/profile",
            "state:IL",
            team_id="T0001",
            user_id="U0EVE",
            response_url=rig.standin.response_url(),
        )
        forged, _, _ = await rig.caller.post(body, secret="not-the-secret")
        stale, _, _ = await rig.caller.post(body, timestamp=int(time.time()) - 6 * 60)
        missing, _, _ = await rig.caller.post(body, signed=False)
        assert (forged, stale, missing) == (401, 401, 401)
        fresh, _, _ = await rig.caller.post(body, timestamp=int(time.time()) - 4 * 60)
        assert fresh == 200
        await until(lambda: rig.standin.responses)
        assert len(rig.standin.responses) == 1
        assert await count_members(rig) == 1


async def test_unknown_team_gets_a_polite_answer_and_nothing_is_stored(database) -> None:
    async with slack_rig(database) as rig:
        answer = await rig.command("U0ANA", "/profile state:IL", team=OTHER_TEAM)
        assert "not set up for this workspace" in answer["text"]
        assert await count_members(rig) == 0
        assert not rig.standin.sent("usergroups.users.list")


def test_the_manifest_declares_every_command_group_and_what_the_bot_needs() -> None:
    manifest = (ROOT / "adapters/slack/manifest.yml").read_text()
    declared = set(re.findall(r"- command: /([a-z]+)", manifest))
    registered = {
        name for name, group in Registry(default_groups()).groups.items() if group.commands
    }
    assert registered <= declared
    for needed in ("app_home_opened", "message.im", "chat:write", "files:write", "usergroups:read"):
        assert needed in manifest


async def test_a_command_the_bot_lacks_is_answered(database) -> None:
    async with slack_rig(database) as rig:
        answer = await rig.command("U0ANA", "/nosuch thing")
        assert "is not a command; try /help" in answer["text"]


async def test_a_prefix_names_every_command(database) -> None:
    async with slack_rig(database) as rig:
        rig.app.config.bot.prefix = "rb-"
        answer = await rig.command("U0ANA", "/rb-profile state:MN")
        assert "MN" in answer["text"]

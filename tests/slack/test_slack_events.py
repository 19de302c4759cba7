"""Slack's side of the protocol: acknowledgement before work, retries dropped, the Home tab,
Socket Mode through a local websocket, and `rallybot run --config` as a real process."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from adapters.slack import SlackAdapter
from bot.app import Application
from bot.clock import MovableClock
from bot.config import Config, ConfigError, SlackConfig
from bot.registry import CommandGroup, Registry
from bot.reply import Reply
from rallybot.groups import default_groups
from standins.config import run_config
from standins.slack import (
    SlackCaller,
    SlackStandIn,
    block_actions_body,
    event_body,
    slash_command_body,
)
from tests.slack_support import SECRET, TEAM, slack_config, slack_rig, until
from tests.support import ROOT, START

slow = CommandGroup("slow", help="a command that waits to be let go")
RELEASE: dict[str, asyncio.Event] = {}


@slow.command(help="wait until the test lets go")
async def wait_here(ctx) -> Reply:
    """Hold the command until the test sets its event."""
    await RELEASE["event"].wait()
    return Reply(text="done at last")


async def test_the_acknowledgement_comes_before_the_work(database) -> None:
    RELEASE["event"] = asyncio.Event()
    async with slack_rig(database, groups=[slow]) as rig:
        response_url = rig.standin.response_url()
        status, body, _ = await rig.caller.post(
            slash_command_body(
                "/slow", "", team_id=TEAM, user_id="U0ANA", response_url=response_url
            )
        )
        # Slack has its answer while the command is still running
        assert status == 200 and body == ""
        assert not rig.standin.responses
        RELEASE["event"].set()
        answer = await rig.answer_at(response_url)
        assert answer["text"] == "done at last"


async def test_retries_of_a_handled_event_are_dropped(database) -> None:
    async with slack_rig(database) as rig:
        opened = {"type": "app_home_opened", "user": "U0ANA", "tab": "home", "channel": "D0ANA"}
        assert await rig.event(opened, event_id="Ev0001") == 200
        await until(lambda: len(rig.standin.sent("views.publish")) == 1)
        assert await rig.event(opened, event_id="Ev0001", retry=1) == 200
        assert await rig.event(opened, event_id="Ev0001", retry=2) == 200
        assert await rig.event(opened, event_id="Ev0002") == 200
        await until(lambda: len(rig.standin.sent("views.publish")) >= 2)
        await asyncio.sleep(0.2)  # give a wrongly handled retry the chance to show
        assert len(rig.standin.sent("views.publish")) == 2


async def test_the_home_tab_shows_reminders_alerts_and_preferences(database) -> None:
    async with slack_rig(database) as rig:
        await rig.command("U0ANA", "/profile state:IL library_type:academic")
        await rig.command("U0ANA", '/reminder add when:"tomorrow 9am" text:"Phone the mayor"')
        opened = {"type": "app_home_opened", "user": "U0ANA", "tab": "home", "channel": "D0ANA"}
        await rig.event(opened)
        (published,) = await until(lambda: rig.standin.sent("views.publish"))
        assert published["user_id"] == "U0ANA"
        text = json.dumps(published["view"])
        for heading in ("My reminders", "Preferences", "Open alerts and my actions"):
            assert heading in text
        assert "Phone the mayor" in text and "academic" in text
        assert not rig.standin.refused


notes = CommandGroup("notes", help="a feature the Slack adapter has never heard of")
notes.home_section("Pinned notes", "pinned", rank=5)


@notes.command("pinned", read_only=True)
async def pinned(ctx) -> Reply:
    """The organization's pinned note."""
    return Reply(text="Bring your library badge on Tuesday")


async def test_the_home_tab_shows_what_the_features_declare_in_their_order(database) -> None:
    async with slack_rig(database, groups=[notes]) as rig:
        opened = {"type": "app_home_opened", "user": "U0ANA", "tab": "home", "channel": "D0ANA"}
        await rig.event(opened)
        (published,) = await until(lambda: rig.standin.sent("views.publish"))
        blocks = published["view"]["blocks"]
        headers = [b["text"]["text"] for b in blocks if b["type"] == "header"]
        assert headers == [
            "rallybot",
            "Pinned notes",
            "My RSVPs",
            "Open alerts and my actions",
            "Polls",
            "My reminders",
            "Preferences",
        ]
        assert "Bring your library badge on Tuesday" in json.dumps(blocks)


def test_a_home_section_must_show_a_declared_command() -> None:
    typo = CommandGroup("typo", help="a feature with a home section for a missing command")
    typo.home_section("Nothing", "absent", rank=1)
    with pytest.raises(ValueError, match="the home section 'Nothing' shows no command"):
        Registry([*default_groups(), typo])


async def test_socket_mode_answers_through_the_websocket(database) -> None:
    standin = SlackStandIn(team_id=TEAM, usergroups={"S0STEWARDS": []})
    await standin.start()
    config = slack_config(standin, mode="socket", signing_secret="")
    adapter = SlackAdapter(config)
    app = Application(
        config,
        groups=default_groups(),
        clock=MovableClock(START, frozen=True),
        db=database,
        senders=adapter.senders(),
    )
    await app.start(upgrade=False, background=False)
    await adapter.start(app)
    try:
        assert standin.sent("apps.connections.open")
        response_url = standin.response_url()
        ack = await standin.deliver(
            "slash_commands",
            {
                "team_id": TEAM,
                "channel_id": "C0GENERAL",
                "user_id": "U0ANA",
                "user_name": "ana",
                "command": "/profile",
                "text": "state:WI",
                "response_url": response_url,
                "trigger_id": "1.2.3",
            },
        )
        assert ack.envelope_id
        await until(lambda: standin.responses)
        assert "WI" in standin.responses[0]["text"]
        # events come through the socket too: the Home tab is published
        await standin.deliver(
            "events_api",
            json.loads(
                event_body(
                    {"type": "app_home_opened", "user": "U0ANA", "tab": "home"}, team_id=TEAM
                )[0]
            ),
        )
        (home,) = await until(lambda: standin.sent("views.publish"))
        assert "Preferences" in json.dumps(home["view"]) and "WI" in json.dumps(home["view"])
    finally:
        await adapter.stop()
        await app.stop()
        await standin.stop()


#: every command group through `rallybot run`: (user, command line, part of the answer)
RUN_SCRIPT = (
    ("U0ANA", "/help", "/profile"),
    ("U0ANA", "/profile state:IL library_type:public", "IL"),
    ("U0ANA", "/link", "/link code:"),
    ("U0ANA", "/privacy export", "Here is everything the bot keeps about you."),
    ("U0ANA", '/reminder add when:"in 2 hours" text:"Call Rep. Smith"', "Reminder 1 set"),
    ("U0ANA", "/reminder list", "Call Rep. Smith"),
    ("U0WHO", '/layoff report employer:"Elm Library" kind:layoff anonymous:no', "Your report"),
    ("U0ANA", "/layoff verify id:REF", "needs the organizer role"),
    ("U0ORG", "/layoff verify id:L-REF", "is now marked verified."),
    ("U0ORG", '/alert create title:"Save Elm" body:"Sign." kind:sign-on', "Preview of alert 1"),
    ("U0ANA", "/alert list", "There are no open alerts right now."),
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_rallybot_run_serves_slack_over_http(tmp_path: Path) -> None:
    standin = SlackStandIn(team_id=TEAM, usergroups={"S0STEWARDS": []})
    await standin.start()
    port = _free_port()
    config = tmp_path / "config.toml"
    api_url = standin.api_url
    slack = {"enabled": True, "mode": "http", "host": "127.0.0.1", "port": port, "api_url": api_url}
    org = {"slug": "il-library-workers", "name": "Illinois Library Workers"}
    org |= {"timezone": "America/Chicago", "slack_team_ids": [TEAM]}
    org["organizers"] = {"slack_users": ["U0ORG"]}
    config.write_text(run_config(tmp_path / "run.db", orgs=[org], slack=slack), encoding="utf-8")
    env = {
        **os.environ,
        "RALLYBOT_SLACK__SIGNING_SECRET": SECRET,
        "RALLYBOT_SLACK__BOT_TOKEN": standin.bot_token,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "rallybot",
        "run",
        "--config",
        str(config),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        async with aiohttp.ClientSession() as session:
            base = f"http://127.0.0.1:{port}"

            async def healthy() -> bool:
                try:
                    async with session.get(f"{base}/healthz") as r:
                        return r.status == 200
                except aiohttp.ClientError:
                    return False

            for _ in range(300):
                if proc.returncode is not None:
                    pytest.fail("rallybot run ended before serving")
                if await healthy():
                    break
                await asyncio.sleep(0.05)
            caller = SlackCaller(f"{base}/slack/events", SECRET, session)
            ref = ""  # the layoff report's reference, once it is filed
            for user, line, expected in RUN_SCRIPT:
                name, _, text = line.replace("REF", ref).partition(" ")
                url = standin.response_url()
                body = slash_command_body(name, text, team_id=TEAM, user_id=user, response_url=url)
                status, _, _ = await caller.post(body)
                assert status == 200
                token = url.rsplit("/", 1)[1]
                await until(lambda t=token: [r for r in standin.responses if r["_token"] == t])
                (answer,) = [r for r in standin.responses if r["_token"] == token]
                assert expected in answer["text"], (line, answer["text"])
                ref = "".join(re.findall(r"Your report is L-(\d+)\.", answer["text"])) or ref
            await until(lambda: any("data" in u for u in standin.uploads.values()))
            forged, _, _ = await caller.post(
                slash_command_body("/help", "", team_id=TEAM, user_id="U0ANA"), secret="forged"
            )
            assert forged == 401
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        _, raw_err = await asyncio.wait_for(proc.communicate(), 20)
        await standin.stop()
    err = raw_err.decode()
    assert proc.returncode == 0, err
    assert SECRET not in err and standin.bot_token not in err


async def test_a_direct_message_to_the_bot_runs_as_a_command(database) -> None:
    async with slack_rig(database) as rig:
        message = {
            "type": "message",
            "channel_type": "im",
            "channel": "D0ANA",
            "user": "U0ANA",
            "text": "profile state:WI",
        }
        assert await rig.event(message) == 200
        (answer,) = await until(lambda: rig.standin.posted_to("D0ANA"))
        assert "WI" in answer["text"]
        # the bot's own messages come back as events too: never answered
        assert await rig.event({**message, "bot_id": "BBOT", "text": "help"}) == 200
        assert await rig.event({**message, "text": "help"}) == 200
        await until(lambda: len(rig.standin.posted_to("D0ANA")) == 2)
        await asyncio.sleep(0.2)
        assert len(rig.standin.posted_to("D0ANA")) == 2


async def test_a_click_in_the_home_tab_answers_by_dm_and_refreshes_it(database) -> None:
    async with slack_rig(database) as rig:
        await rig.command("U0ANA", '/reminder add when:"tomorrow 9am" text:"Phone the mayor"')
        status, _, _ = await rig.caller.post(
            block_actions_body(
                "reminder.cancel?id=1", team_id=TEAM, user_id="U0ANA", container="view"
            )
        )
        assert status == 200
        (dm,) = await until(lambda: rig.standin.posted_to("U0ANA"))
        assert "1" in dm["text"] and "cancel" in dm["text"].lower()
        (home,) = await until(lambda: rig.standin.sent("views.publish"))
        assert "Phone the mayor" not in json.dumps(home["view"])


def test_missing_secrets_are_named_at_start() -> None:
    for settings, named in (
        (SlackConfig(enabled=True, mode="http", bot_token="xoxb-1"), "signing_secret"),
        (SlackConfig(enabled=True, mode="socket", bot_token="xoxb-1"), "app_token"),
        (SlackConfig(enabled=True, mode="http", signing_secret="s"), "bot_token"),
    ):
        with pytest.raises(ConfigError, match=named):
            SlackAdapter(Config(slack=settings))

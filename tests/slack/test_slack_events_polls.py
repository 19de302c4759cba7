"""Events and polls end to end through Slack's HTTP mode: signed slash commands, clicks on
the announcement's and the poll's buttons, the legislative-day modal, files uploaded with
files_upload_v2, the App Home, and what the delivery engine posts and edits through the real
slack_sdk into the Slack stand-in (which refuses anything over Slack's Block Kit limits)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
from sqlalchemy import select

from commands.polls.options import EQUITY_PRIORITIES
from standins.slack import (
    MAX_ACTION_ID,
    MAX_ACTIONS_ELEMENTS,
    MAX_BUTTON_TEXT,
    block_actions_body,
    slash_command_body,
)
from storage.models import EventRsvp as Rsvp
from storage.models import PollBallot
from tests.slack_support import TEAM, SlackRig, buttons, slack_rig, until

ORG = "U0ORG"
ANA, BEN, CAL = "U0ANA", "U0BEN", "U0CAL"
BALLOT_SECRET = "a-slack-test-ballot-secret-0123"
MEETING = (
    '/event create title:"Chapter meeting" kind:meeting start:"2026-11-20 18:00" end:"19:30" '
    'place:"Main library, room B" capacity:2'
)
LEGDAY = (
    '/event create title:"National Library Legislative Day" kind:"Legislative day" '
    'start:"2027-04-12 09:00" end:"2027-04-13 17:00" timezone:America/New_York '
    'place:"Washington, D.C." rsvp_by:"2027-03-31 17:00"'
)


def files_named(rig: SlackRig, suffix: str) -> list[dict[str, Any]]:
    """Uploads completed (files_upload_v2) whose file name ends with ``suffix``."""
    return [
        u
        for u in rig.standin.uploads.values()
        if u["filename"].endswith(suffix) and "data" in u and "channel" in u
    ]


async def announced(rig: SlackRig, line: str, *, channel: str = "C0ALERTS") -> dict[str, Any]:
    """Run an organizer's create command; return its post in the alert channel."""
    before = len(rig.standin.posted_to(channel))
    await rig.command(ORG, line)
    await rig.app.settle()
    posts = await until(lambda: rig.standin.posted_to(channel)[before:])
    return posts[-1]


async def home_of(rig: SlackRig, user: str) -> dict[str, Any]:
    """The App Home published for ``user`` when they open it."""
    before = len(rig.standin.sent("views.publish"))
    opened = {"type": "app_home_opened", "user": user, "tab": "home", "channel": "D" + user[1:]}
    assert await rig.event(opened) == 200
    published = await until(lambda: rig.standin.sent("views.publish")[before:])
    return published[-1]["view"]


async def test_event_announcement_waitlist_promotion_and_its_dm(database) -> None:
    async with slack_rig(database) as rig:
        denied = await rig.command(ANA, MEETING)
        assert "needs the organizer role" in denied["text"]
        post = await announced(rig, MEETING)
        assert "Chapter meeting (event 1)" in post["text"]
        assert post["blocks"][0]["type"] == "header"
        rsvp = buttons(post["blocks"])
        assert list(rsvp) == ["Going", "Maybe", "Can't go", "Edit"]
        assert rsvp["Going"] == "event.rsvp?id=1&status=going"
        ana = await rig.click(ANA, rsvp["Going"])
        ben = await rig.click(BEN, rsvp["Going"])
        assert ana["text"].startswith("You're going") and ben["text"].startswith("You're going")
        assert ana["response_type"] == "ephemeral"
        cal = await rig.click(CAL, rsvp["Going"])
        assert "on the waitlist: number 1" in cal["text"]
        left = await rig.click(ANA, rsvp["Can't go"])
        assert left["text"].startswith("Got it: you can't go")
        await rig.app.settle()
        (dm,) = await until(lambda: rig.standin.posted_to(CAL))
        assert "a place opened up and you're going" in dm["text"]
        assert list(buttons(dm["blocks"])) == ["Can't go"]
        assert rig.standin.posted_to(ANA) == [] and rig.standin.posted_to(BEN) == []
        async with rig.app.db.sessions() as session:
            statuses = sorted((await session.execute(select(Rsvp.status))).scalars())
        assert statuses == ["going", "going", "no"]
        assert rig.standin.refused == []


async def test_event_ics_is_an_uploaded_calendar_with_the_utc_start(database) -> None:
    async with slack_rig(database) as rig:
        await announced(rig, LEGDAY)
        answer = await rig.command(ANA, "/event ics id:1")
        assert "event-1.ics" in json.dumps(answer)
        (upload,) = await until(lambda: files_named(rig, ".ics"))
        assert upload["channel"] == "D0ANA"  # an ephemeral answer's file goes to the DM
        calendar = icalendar.Calendar.from_ical(upload["data"])
        (vevent,) = calendar.walk("VEVENT")
        start = vevent.decoded("DTSTART")
        assert start.astimezone(UTC) == datetime(2027, 4, 12, 13, 0, tzinfo=UTC)
        assert vevent.decoded("DTEND").astimezone(UTC) == datetime(2027, 4, 13, 21, 0, tzinfo=UTC)
        assert str(vevent["SUMMARY"]) == "National Library Legislative Day"


async def test_a_modal_submission_marks_every_field_in_error(database) -> None:
    async with slack_rig(database) as rig:
        post = await announced(rig, LEGDAY)
        going = buttons(post["blocks"])["Going"]
        await rig.caller.post(
            block_actions_body(
                going,
                team_id=TEAM,
                user_id=ANA,
                channel_id="C0ALERTS",
                response_url=rig.standin.response_url(),
            )
        )
        (opened,) = await until(lambda: rig.standin.sent("views.open"))
        view = opened["view"]
        status, body = await rig.submit(
            ANA,
            view["callback_id"],
            {"state": "Narnia", "district": "99", "first_time": "perhaps"},
            metadata=view["private_metadata"],
            select_fields=("first_time",),
        )
        assert status == 200
        answer = json.loads(body)
        assert answer["response_action"] == "errors"
        assert answer["errors"] == {
            "state": "state: must be a US state or territory, as a two-letter code such as IL",
            "district": "district: must be a district number from 1 to 53, or AL for at-large",
            "first_time": "first_time: must be yes or no",
        }
        async with rig.app.db.sessions() as session:
            assert (await session.execute(select(Rsvp))).first() is None


async def test_legislative_day_going_opens_a_modal_and_keeps_needs_private(database) -> None:
    async with slack_rig(database) as rig:
        post = await announced(rig, LEGDAY)
        going = buttons(post["blocks"])["Going"]
        await rig.caller.post(
            block_actions_body(
                going,
                team_id=TEAM,
                user_id=ANA,
                channel_id="C0ALERTS",
                response_url=rig.standin.response_url(),
            )
        )
        (opened,) = await until(lambda: rig.standin.sent("views.open"))
        view = opened["view"]
        assert view["type"] == "modal" and view["callback_id"] == going
        inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
        assert list(inputs) == [
            "state",
            "district",
            "attend",
            "first_time",
            "accessibility",
            "lead_meeting",
        ]
        assert inputs["state"]["optional"] is False and inputs["district"]["optional"] is True
        assert [o["value"] for o in inputs["attend"]["element"]["options"]] == [
            "in-person",
            "virtual",
        ]
        assert "only organizers" in inputs["accessibility"]["hint"]["text"]
        status, body = await rig.submit(
            ANA,
            view["callback_id"],
            {"state": "Narnia", "attend": "virtual"},
            metadata=view["private_metadata"],
        )
        assert status == 200
        errors = json.loads(body)
        assert errors["response_action"] == "errors" and "state" in errors["errors"]
        async with rig.app.db.sessions() as session:
            assert (await session.execute(select(Rsvp))).first() is None
        values = {
            "state": "IL",
            "district": "7",
            "attend": "in-person",
            "first_time": "yes",
            "accessibility": "Step-free route, please",
            "lead_meeting": "no",
        }
        status, body = await rig.submit(
            ANA,
            view["callback_id"],
            values,
            metadata=view["private_metadata"],
            select_fields=("attend", "first_time", "lead_meeting"),
        )
        assert status == 200 and body == ""
        told = await until(lambda: [r for r in rig.standin.responses if "going" in r["text"]])
        assert told[-1]["response_type"] == "ephemeral"
        async with rig.app.db.sessions() as session:
            (rsvp,) = (await session.execute(select(Rsvp))).scalars()
        assert (rsvp.status, rsvp.state, rsvp.district, rsvp.attend) == (
            "going",
            "IL",
            "7",
            "in-person",
        )
        assert rsvp.first_time is True and rsvp.willing_to_lead is False
        assert rsvp.accessibility == "Step-free route, please"
        # the organizer's view: counts by delegation, and the needs only in the CSV
        counts = await rig.command(ORG, "/event attendees id:1")
        assert "IL" in json.dumps(counts)
        (upload,) = await until(lambda: files_named(rig, "-rsvps.csv"))
        rows = list(csv.DictReader(io.StringIO(upload["data"].decode())))
        assert rows[0]["state"] == "IL"
        assert "Step-free route, please" in upload["data"].decode()
        denied = await rig.command(ANA, "/event attendees id:1")
        assert "needs the organizer role" in denied["text"]
        # what members and channels see never carries the needs
        shown = json.dumps([rig.standin.sent("chat.postMessage"), rig.standin.responses[:-1]])
        assert "Step-free" not in shown
        home = await home_of(rig, ANA)
        assert "National Library Legislative Day" in json.dumps(home)
        assert "Step-free" not in json.dumps(home)
        assert len(home["blocks"]) <= 100
        assert rig.standin.refused == []


@asynccontextmanager
async def poll_rig(database: Any) -> AsyncIterator[SlackRig]:
    """A Slack rig whose bot has a ballot secret, as anonymous polls need."""
    async with slack_rig(database) as rig:
        rig.app.services.ballot_secret = BALLOT_SECRET.encode()
        yield rig


def results_posts(rig: SlackRig) -> list[dict[str, Any]]:
    """The results of poll 1 as posted in the alert channel."""
    return [p for p in rig.standin.posted_to("C0ALERTS") if "Results of poll 1" in p["text"]]


def pngs(rig: SlackRig, channel: str) -> list[bytes]:
    """PNG images uploaded into ``channel``."""
    return [u["data"] for u in files_named(rig, ".png") if u["channel"] == channel]


async def test_a_single_poll_of_20_long_options_votes_once_per_fast_clicker(database) -> None:
    options = [
        f"Option {n:02d} " + "with a long description of what it means " * 2 for n in range(1, 21)
    ]
    options = [o[:80].strip() for o in options]
    line = '/poll create question:"Which first?" results:live options:"' + " | ".join(options) + '"'
    async with poll_rig(database) as rig:
        post = await announced(rig, line)
        assert "Anonymous: nobody, organizers included, can see how you voted." in post["text"]
        (actions,) = [b for b in post["blocks"] if b["type"] == "actions"]
        elements = actions["elements"]
        assert len(elements) == 20 <= MAX_ACTIONS_ELEMENTS
        assert all(len(e["text"]["text"]) <= MAX_BUTTON_TEXT for e in elements)
        assert all(len(e["action_id"]) <= MAX_ACTION_ID for e in elements)
        assert elements[0]["text"]["text"].endswith("…")  # 80 characters cut to Slack's 75
        vote = [e["action_id"] for e in elements]
        # one member clicks the same button five times at once: one ballot
        answers = await asyncio.gather(*(rig.click(ANA, vote[2]) for _ in range(5)))
        assert all("poll 1" in a["text"] for a in answers)
        await rig.click(BEN, vote[2])
        changed = await rig.click(BEN, vote[19])
        assert "is changed" in changed["text"]
        await rig.click(CAL, vote[2])
        rig.app.services.clock.advance(rig.app.config.polls.tally_interval)
        await rig.app.settle()
        edits = await until(lambda: rig.standin.sent("chat.update"))
        assert edits[-1]["channel"] == "C0ALERTS" and edits[-1]["ts"] == post["ts"]
        assert "3 ballots so far" in edits[-1]["text"]
        assert f"{options[2][:30]}" in edits[-1]["text"]
        closed = await rig.command(ORG, "/poll close id:1")
        assert "Poll 1 is closed; the results are posted" in closed["text"]
        await rig.app.settle()
        results = await until(lambda: results_posts(rig))
        assert "3 ballots" in results[0]["text"]
        (chart,) = await until(lambda: pngs(rig, "C0ALERTS"))
        assert chart.startswith(b"\x89PNG\r\n\x1a\n")
        last = rig.standin.sent("chat.update")[-1]
        assert last["ts"] == post["ts"] and "Closed" in last["text"]
        assert buttons(last["blocks"]) == {}  # a closed poll offers no buttons
        assert rig.standin.refused == []


async def test_a_ranked_equity_priorities_poll_shows_its_rounds(database) -> None:
    async with poll_rig(database) as rig:
        post = await announced(rig, "/poll create template:equity-priorities anonymous:no")
        assert "Not anonymous: your vote is stored with your name." in post["text"]
        assert "Ranked choice" in post["text"]
        vote = buttons(post["blocks"])
        assert list(vote) == [*EQUITY_PRIORITIES, "Start over"]
        rankings = {
            ANA: ["Compensation", "Benefits"],
            BEN: ["Benefits", "Compensation"],
            CAL: ["Alternative credentialing", "Benefits"],
            "U0DEE": ["Compensation"],
            "U0EVE": ["Benefits"],
        }
        for user, ranking in rankings.items():
            for label in ranking:
                await rig.click(user, vote[label])
        again = await rig.click(ANA, vote["Compensation"])
        assert "already your choice number 1" in again["text"]
        gone = await rig.click("U0EVE", vote["Start over"])
        assert "taken back" in gone["text"]
        await rig.click("U0EVE", vote["Benefits"])
        await rig.command(ORG, "/poll close id:1")
        await rig.app.settle()
        (results,) = await until(lambda: results_posts(rig))
        text = results["text"]
        assert "Round 1: " in text and "Round 2: " in text
        assert "Alternative credentialing eliminated" in text
        assert "→ Benefits, 3 of 5 (a majority)" in text
        (chart,) = await until(lambda: pngs(rig, "C0ALERTS"))
        assert chart.startswith(b"\x89PNG")
        assert rig.standin.refused == []


async def test_the_home_tab_with_many_events_polls_and_reminders_stays_within_100_blocks(
    database,
) -> None:
    async with poll_rig(database) as rig:
        for n in range(1, 26):
            await rig.command(
                ORG,
                f'/event create title:"Branch meeting {n} on the budget and staffing" '
                f'kind:meeting start:"2026-11-{n + 3:02d} 18:00" place:"Branch {n}, room B"',
            )
            await rig.command(ANA, f"/event rsvp id:{n} status:going")
        for n in range(1, 11):
            await rig.command(ORG, f'/poll create question:"Question {n}?" options:"Yes | No"')
        for n in range(1, 31):
            await rig.command(ANA, f'/reminder add when:"in {n} days" text:"Call branch {n}"')
        await rig.app.settle()
        home = await home_of(rig, ANA)
        shown = json.dumps(home)
        assert len(home["blocks"]) <= 100
        headers = [b["text"]["text"] for b in home["blocks"] if b["type"] == "header"]
        assert "My RSVPs" in headers and "Polls" in headers
        assert "Branch meeting 1 on the budget" in shown and "Question 10?" in shown
        assert rig.standin.refused == []


async def test_event_reminders_reach_going_and_maybe_members_by_dm(database) -> None:
    async with slack_rig(database) as rig:
        post = await announced(rig, MEETING)
        rsvp = buttons(post["blocks"])
        await rig.click(ANA, rsvp["Going"])
        await rig.click(BEN, rsvp["Maybe"])
        await rig.click(CAL, rsvp["Can't go"])
        # the 7-day reminder of a 6 PM event on Nov 20 in Chicago: Nov 13, 6 PM CST
        rig.app.services.clock.advance(
            datetime(2026, 11, 14, 0, 5, tzinfo=UTC) - rig.app.services.clock.now()
        )
        await rig.app.settle()
        (ana,) = await until(lambda: rig.standin.posted_to(ANA))
        (ben,) = await until(lambda: rig.standin.posted_to(BEN))
        assert "Chapter meeting" in ana["text"] and "Chapter meeting" in ben["text"]
        assert rig.standin.posted_to(CAL) == []
        assert rig.standin.refused == []


async def opened_view(rig: SlackRig, user: str, line: str) -> dict[str, Any]:
    """Type a command whose required fields are missing; return the modal it opens."""
    before = len(rig.standin.sent("views.open"))
    name, _, text = line.partition(" ")
    status, _, _ = await rig.caller.post(
        slash_command_body(
            name, text, team_id=TEAM, user_id=user, response_url=rig.standin.response_url()
        )
    )
    assert status == 200
    opened = await until(lambda: rig.standin.sent("views.open")[before:])
    return opened[0]["view"]


async def test_event_and_poll_create_without_their_fields_open_modals(database) -> None:
    async with poll_rig(database) as rig:
        view = await opened_view(rig, ORG, "/event create")
        inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
        assert {"title", "kind", "start"} <= set(inputs)
        assert inputs["kind"]["element"]["type"] == "static_select"
        status, body = await rig.submit(
            ORG,
            view["callback_id"],
            {"title": "Chapter meeting", "kind": "meeting", "start": "whenever"},
            metadata=view["private_metadata"],
            select_fields=("kind",),
        )
        # acknowledged at once; the command's refusal reopens the form, what was typed kept
        assert status == 200 and body == ""
        opened = await until(lambda: rig.standin.sent("views.open")[1:])
        view = opened[0]["view"]
        assert view["blocks"][0]["text"]["text"].startswith(":warning: start: ")
        kept = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
        assert kept["title"]["initial_value"] == "Chapter meeting"
        assert kept["kind"]["initial_option"]["value"] == "meeting"
        status, body = await rig.submit(
            ORG,
            view["callback_id"],
            {"title": "Chapter meeting", "kind": "meeting", "start": "2026-11-20 18:00"},
            metadata=view["private_metadata"],
            select_fields=("kind",),
        )
        assert status == 200 and body == ""
        await until(lambda: [r for r in rig.standin.responses if "Event 1 created" in r["text"]])
        await rig.app.settle()
        (post,) = await until(lambda: rig.standin.posted_to("C0ALERTS"))
        assert "Chapter meeting (event 1)" in post["text"]

        options = " | ".join(f"Priority number {n} " + "x" * 60 for n in range(1, 21))
        view = await opened_view(rig, ORG, f'/poll create kind:ranked options:"{options}"')
        inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
        assert inputs["options"]["initial_value"] == options  # what was typed is kept
        status, body = await rig.submit(
            ORG,
            view["callback_id"],
            {
                "question": "Rank them all",
                "options": inputs["options"]["initial_value"],
                "kind": inputs["kind"]["initial_option"]["value"],
            },
            metadata=view["private_metadata"],
            select_fields=("kind",),
        )
        assert status == 200 and body == ""
        await until(lambda: [r for r in rig.standin.responses if "Poll 1 is posted" in r["text"]])
        await rig.app.settle()
        poll = await until(
            lambda: [p for p in rig.standin.posted_to("C0ALERTS") if "Poll 1:" in p["text"]]
        )
        (actions,) = [b for b in poll[0]["blocks"] if b["type"] == "actions"]
        labels = [e["text"]["text"] for e in actions["elements"]]
        assert len(labels) == 21 and labels[-1] == "Start over"
        assert all(len(label) <= MAX_BUTTON_TEXT for label in labels)
        # a count of twenty options, eliminated round by round, still fits one message
        ids = [e["action_id"] for e in actions["elements"]]
        for n, user in enumerate([ANA, BEN, CAL, "U0DEE", "U0EVE", "U0FAY"]):
            for k in (n, (n + 7) % 20, (n + 13) % 20):
                await rig.click(user, ids[k])
        await rig.command(ORG, "/poll close id:1")
        await rig.app.settle()
        (results,) = await until(lambda: results_posts(rig))
        assert "Round 5: " in results["text"] and len(results["blocks"]) <= 50
        assert rig.standin.refused == []


async def test_going_clicks_at_once_fill_the_places_then_the_waitlist_in_order(database) -> None:
    async with slack_rig(database) as rig:
        post = await announced(rig, MEETING)
        going = buttons(post["blocks"])["Going"]
        people = [ANA, BEN, CAL, "U0DEE"]
        answers = await asyncio.gather(*(rig.click(p, going) for p in people))
        assert sum(a["text"].startswith("You're going") for a in answers) == 2
        waitlisted = sorted(a["text"] for a in answers if "waitlist" in a["text"])
        assert "number 1." in waitlisted[0] and "number 2." in waitlisted[1]


async def test_an_anonymous_vote_leaves_no_trace_of_the_voter_in_logs(database, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    async with poll_rig(database) as rig:
        post = await announced(rig, '/poll create question:"Strike?" options:"Yes | No"')
        caplog.clear()
        answer = await rig.click("U0WHISPER", buttons(post["blocks"])["Yes"])
        assert "is counted" in answer["text"] and "Anonymous" in answer["text"]
        await rig.app.settle()
        async with rig.app.db.sessions() as session:
            (voter,) = (await session.execute(select(PollBallot.voter_key))).scalars()
        assert "U0WHISPER" not in voter
    assert "U0WHISPER" not in caplog.text


async def test_poll_extend_through_slack_edits_the_post(database) -> None:
    async with poll_rig(database) as rig:
        post = await announced(
            rig, '/poll create question:"Strike?" options:"Yes | No" closes:"in 2 hours"'
        )
        before = len(rig.standin.sent("chat.update"))
        moved = await rig.command(ORG, '/poll extend id:1 closes:"in 5 hours"')
        assert "Poll 1 now closes" in moved["text"]
        await rig.app.settle()
        edits = await until(lambda: rig.standin.sent("chat.update")[before:])
        assert edits[-1]["channel"] == "C0ALERTS" and edits[-1]["ts"] == post["ts"]
        assert edits[-1]["text"] != post["text"]
        rig.app.services.clock.advance(timedelta(hours=3))
        await rig.app.settle()
        assert results_posts(rig) == []
        assert rig.standin.refused == []

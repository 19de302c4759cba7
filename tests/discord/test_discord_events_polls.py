"""Events, RSVPs and polls in Discord end to end: the real discord.py client against the stand-in.

An organizer creates an event and a poll with slash commands; members answer with the
buttons on the posts in the alert channel (also after a restart of the client), fill in a
legislative day's questions in modals in steps, get the calendar file and the attendee CSV
as attachments, and see the ids offered by autocomplete. Runs on a SQLite file and on
PostgreSQL.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from sqlalchemy import select

from adapters.discord.components import RepeatedClicks
from commands.polls.options import EQUITY_PRIORITIES
from standins.discord import DiscordStandIn
from storage.db import Database
from storage.models import EventRsvp, PollBallot
from tests.discord_support import (
    ALERTS,
    ANA,
    BEA,
    CAL,
    GUILD,
    ORGANIZER_ROLE,
    STRANGER_GUILD,
    DiscordRig,
    GuildMember,
    button_id,
    buttons,
    discord_config,
    final,
    message_text,
    text_of,
)

EPHEMERAL = 64
DEE = "700000000000000004"  # a member
EVA = "700000000000000005"  # a member
SECRET = "a-test-ballot-secret-0123456789"


@pytest.fixture
def discord_people() -> list[GuildMember]:
    """The organization's guild: an organizer, an admin and members."""
    return [
        GuildMember(ANA, "ana", roles=(ORGANIZER_ROLE,)),
        *(GuildMember(user, name) for user, name in ((BEA, "bea"), (DEE, "dee"), (EVA, "eva"))),
        GuildMember(CAL, "cal"),
    ]


@pytest.fixture
def ballot_secret() -> str:
    """The bot's configuration has a ballot secret."""
    return SECRET


def component_rows(message: dict) -> list[list[dict]]:
    """A message's action rows, as lists of components."""
    return [row["components"] for row in message.get("components") or []]


def within_limits(message: dict) -> None:
    """Discord's component limits: at most 5 rows of 5, labels of 80, custom ids of 100."""
    rows = component_rows(message)
    assert 1 <= len(rows) <= 5
    for row in rows:
        assert 1 <= len(row) <= 5
        for item in row:
            assert len(item["label"]) <= 80 and 1 <= len(item["custom_id"]) <= 100


async def event_post(rig: DiscordRig, options: dict) -> dict:
    """Create an event as the organizer and return its announcement in the alert channel."""
    before = len(rig.standin.messages_in(ALERTS))
    created = await rig.slash(ANA, "event", options, sub="create")
    assert "Something went wrong" not in text_of(created), text_of(created)
    await rig.settle()
    posted = rig.standin.messages_in(ALERTS)
    assert len(posted) == before + 1, text_of(created)
    return posted[-1]


def as_submitted(box: dict, typed: dict[str, str]) -> dict[str, str]:
    """What Discord submits for a modal: every input, its pre-filled value unless retyped."""
    inputs = [row["components"][0] for row in box["components"]]
    return {i["custom_id"]: typed.get(i["custom_id"], i.get("value") or "") for i in inputs}


async def rsvps(db: Database) -> dict[int, str]:
    """Every stored answer: member id -> status."""
    async with db.sessions() as session:
        found = (await session.execute(select(EventRsvp))).scalars().all()
    return {r.member_id: r.status for r in found}


async def test_an_event_fills_up_waitlists_and_promotes_with_a_dm(rig: DiscordRig) -> None:
    standin = rig.standin
    post = await event_post(
        rig,
        {"title": "Budget rally", "kind": "rally", "start": "2026-11-20 18:00",
         "place": "City Hall", "capacity": 2},
    )
    text = message_text(post)
    assert "Budget rally" in text and "Places: 2" in text
    assert set(buttons(post)) == {"Going", "Maybe", "Can't go", "Edit"}
    within_limits(post)
    going = [await rig.click(user, post["id"], "Going") for user in (BEA, DEE, EVA)]
    assert "You're going" in text_of(going[0]) and "You're going" in text_of(going[1])
    assert "on the waitlist: number 1" in text_of(going[2]), text_of(going[2])
    for answer in going:  # each sees their own answer only
        assert final(answer)["data"]["flags"] & EPHEMERAL
    assert sorted((await rsvps(rig.database)).values()) == ["going", "going", "waitlisted"]

    cant = await rig.click(BEA, post["id"], "Can't go")
    assert "can't go" in text_of(cant)
    assert sorted((await rsvps(rig.database)).values()) == ["going", "going", "no"]
    await rig.settle()
    (dm,) = standin.messages_in(standin.dm_channels[EVA])
    assert "a place opened up and you're going to “Budget rally”" in message_text(dm)
    assert set(buttons(dm)) == {"Can't go"}

    # the calendar file: an attachment icalendar reads, starting at 18:00 Chicago = 00:00 UTC
    ics = final(await rig.slash(BEA, "event", {"id": 1}, sub="ics"))
    (attached,) = ics["files"]
    assert attached["filename"] == "event-1.ics"
    calendar = icalendar.Calendar.from_ical(attached["data"])
    (entry,) = calendar.walk("VEVENT")
    assert entry.decoded("dtstart").astimezone(UTC) == datetime(2026, 11, 21, 0, 0, tzinfo=UTC)
    assert str(entry["summary"]) == "Budget rally"

    # the attendee list: organizers only, with the CSV attached
    refused = await rig.slash(BEA, "event", {"id": 1}, sub="attendees")
    assert "needs the organizer role" in text_of(refused) and not final(refused)["files"]
    listed = await rig.slash(ANA, "event", {"id": 1}, sub="attendees")
    (sheet,) = final(listed)["files"]
    assert sheet["filename"] == "event-1-rsvps.csv"
    rows = list(csv.DictReader(io.StringIO(sheet["data"].decode())))
    assert len(rows) == 3 and sorted(r["status"] for r in rows) == ["going", "going", "no"]
    assert "going: 2 of 2" in text_of(listed)
    # the promoted member's Can't go, clicked in the DM (no guild): runs in her organization
    freed = await rig.click(EVA, dm["id"], "Can't go", guild=None)
    assert "you can't go to “Budget rally”" in text_of(freed), text_of(freed)
    assert sorted((await rsvps(rig.database)).values()) == ["going", "no", "no"]
    assert standin.invalid_requests == 0


LEGISLATIVE_DAY = {"title": "Library Advocacy Day", "kind": "legislative-day",
                   "start": "2026-12-08 09:00", "end": "16:00"}


async def test_a_legislative_day_asks_its_questions_in_steps(rig: DiscordRig) -> None:
    post = await event_post(rig, LEGISLATIVE_DAY)
    opened = await rig.click(BEA, post["id"], "Going")
    assert opened.responses[0]["type"] == 9  # MODAL: six questions, so two steps
    first = opened.responses[0]["data"]
    names = [row["components"][0]["custom_id"] for row in first["components"]]
    assert len(names) == 5 and names[0] == "state" and first["title"].endswith("(1/2)")
    step = rig.message(
        await rig.submit(
            BEA, first["custom_id"],
            as_submitted(
                first,
                {"state": "IL", "attend": "in-person", "accessibility": "step-free entrance"},
            ),
        )
    )
    assert "Step 1 of 2" in step["content"] and step["flags"] & EPHEMERAL
    assert set(buttons(step)) == {"Continue (2/2)", "Send now"}
    assert await rsvps(rig.database) == {}  # nothing stored before the form is sent

    more = await rig.click(BEA, step["id"], "Continue (2/2)")
    second = more.responses[0]["data"]
    (last,) = [row["components"][0]["custom_id"] for row in second["components"]]
    assert last == "lead_meeting" and second["title"].endswith("(2/2)")
    # a bad value is refused with the field named, and the answers so far are kept
    bad = await rig.submit(
        BEA, second["custom_id"], as_submitted(second, {"lead_meeting": "perhaps"})
    )
    assert "lead_meeting: must be yes or no" in text_of(bad), text_of(bad)
    assert await rsvps(rig.database) == {}
    retry = await rig.click(BEA, rig.message(bad)["id"], "Correct it (2/2)")
    assert retry.responses[0]["type"] == 9, text_of(retry)
    (typed,) = [row["components"][0] for row in retry.responses[0]["data"]["components"]]
    assert typed.get("value") == "perhaps", typed  # shown again as typed, to correct
    fixed = retry.responses[0]["data"]
    done = await rig.submit(BEA, fixed["custom_id"], as_submitted(fixed, {"lead_meeting": "yes"}))
    assert "You're going to “Library Advocacy Day”" in text_of(done), text_of(done)

    async with rig.database.sessions() as session:
        (answer,) = (await session.execute(select(EventRsvp))).scalars().all()
    assert answer.status == "going" and answer.state == "IL"
    assert answer.attend == "in-person" and answer.accessibility == "step-free entrance"
    assert answer.willing_to_lead is True
    # accessibility needs are for organizers only: not in anything posted or told to others
    everything_public = " ".join(
        message_text(m) for m in rig.standin.messages.values() if not m["flags"] & EPHEMERAL
    )
    assert "step-free" not in everything_public
    listed = await rig.slash(ANA, "event", {"id": 1}, sub="attendees")
    (sheet,) = final(listed)["files"]
    assert "step-free entrance" in sheet["data"].decode()
    assert final(listed)["data"]["flags"] & EPHEMERAL
    # typed instead of clicked, the same questions open
    typed = await rig.slash(DEE, "event", {"id": 1, "status": "going"}, sub="rsvp")
    assert typed.responses[0]["type"] == 9
    assert typed.responses[0]["data"]["title"].endswith("(1/2)")


async def test_event_buttons_work_after_a_restart(rig: DiscordRig) -> None:
    post = await event_post(rig, {"title": "Board meeting", "kind": "meeting",
                                  "start": "2026-11-18 19:00"})
    await rig.stop_bot()  # the process goes away; the announcement stays in Discord
    await rig.start_bot()
    assert rig.standin.identifies == 2
    maybe = await rig.click(DEE, post["id"], "Maybe")
    assert "Noted as a maybe for “Board meeting”" in text_of(maybe), text_of(maybe)
    going = await rig.click(DEE, post["id"], "Going")
    assert "You're going" in text_of(going)
    assert list((await rsvps(rig.database)).values()) == ["going"]


async def poll_post(rig: DiscordRig, options: dict) -> dict:
    """Create a poll as the organizer and return its post in the alert channel."""
    before = len(rig.standin.messages_in(ALERTS))
    created = await rig.slash(ANA, "poll", options, sub="create")
    assert "is posted" in text_of(created), text_of(created)
    await rig.settle()
    posted = rig.standin.messages_in(ALERTS)
    assert len(posted) == before + 1
    return posted[-1]


async def ballots(db: Database) -> list[tuple[int, ...]]:
    """Every stored ballot's choices."""
    async with db.sessions() as session:
        found = (await session.execute(select(PollBallot))).scalars().all()
    return [tuple(b.choices) for b in found]


async def test_a_single_choice_poll_counts_one_ballot_per_person(rig: DiscordRig) -> None:
    standin = rig.standin
    post = await poll_post(
        rig, {"question": "Which evening for the meeting?", "options": "Monday | Tuesday | Wed",
              "kind": "single", "results": "live"},
    )
    assert set(buttons(post)) == {"Monday", "Tuesday", "Wed"}
    within_limits(post)
    assert "Anonymous: nobody, organizers included, can see how you voted." in message_text(post)
    voted = await rig.click(BEA, post["id"], "Tuesday")
    assert "Your ballot in poll 1 is counted: Tuesday" in text_of(voted), text_of(voted)
    assert final(voted)["data"]["flags"] & EPHEMERAL  # only the voter sees their choice
    # a member clicking fast, five times at once: one ballot
    custom_id = button_id(post, "Monday")
    clicks = await asyncio.gather(
        *(standin.click(DEE, post["id"], custom_id, guild_id=GUILD) for _ in range(5))
    )
    answered = await asyncio.gather(*(rig.wait(c) for c in clicks))
    assert all(not text_of(a).startswith("Something went wrong") for a in answered)
    assert sorted(await ballots(rig.database)) == sorted([(0,), (1,)])
    async with rig.database.sessions() as session:
        members = (await session.execute(select(PollBallot.member_id))).scalars().all()
    assert members == [None, None]  # anonymous: no ballot names its voter
    # the live tally: the post is edited once the interval has passed
    rig.clock.advance(timedelta(minutes=2))
    await rig.settle()
    assert post["edits"] >= 1 and "2 ballots so far" in message_text(post), message_text(post)

    closed = await rig.slash(ANA, "poll", {"id": 1}, sub="close")
    assert "Poll 1 is closed" in text_of(closed), text_of(closed)
    # past the tally interval, so an edit of the post coalesced with the last tally is due
    rig.clock.advance(timedelta(minutes=2))
    await rig.settle()
    results = standin.messages_in(ALERTS)[-1]
    assert results["id"] != post["id"]
    (chart,) = results["attachments"]
    assert chart["filename"].endswith(".png")
    assert results["file_data"][chart["filename"]].encode("latin-1").startswith(b"\x89PNG")
    assert results["embeds"][0]["image"]["url"] == f"attachment://{chart['filename']}"
    assert "Closed · 2 ballots" in message_text(post)
    assert all(item["disabled"] for row in component_rows(post) for item in row)
    late = await rig.click(EVA, post["id"], "Wed")
    assert "closed" in text_of(late).lower()
    assert len(await ballots(rig.database)) == 2


async def test_twenty_ranked_options_and_start_over_fill_five_rows(rig: DiscordRig) -> None:
    options = [f"Priority {n:02d}: " + "x" * 60 for n in range(1, 21)]
    post = await poll_post(rig, {"question": "Rank them", "options": " | ".join(options),
                                 "kind": "ranked"})
    labels = [item["label"] for row in component_rows(post) for item in row]
    assert labels == [*options, "Start over"]  # 21 buttons
    assert [len(row) for row in component_rows(post)] == [5, 5, 5, 5, 1]
    within_limits(post)
    twentieth = await rig.click(BEA, post["id"], options[19])
    assert "Your ballot in poll 1 is counted: Priority 20:" in text_of(twentieth), (
        text_of(twentieth)
    )


async def test_a_ranked_poll_from_the_template_counts_by_instant_runoff(
    rig: DiscordRig,
) -> None:
    standin = rig.standin
    post = await poll_post(rig, {"template": "equity-priorities", "anonymous": False})
    labels = [item["label"] for row in component_rows(post) for item in row]
    assert labels == [*EQUITY_PRIORITIES, "Start over"]
    within_limits(post)
    assert "Not anonymous: your vote is stored with your name." in message_text(post)
    assert "instant runoff" in message_text(post)
    a, b, c = EQUITY_PRIORITIES[:3]
    # three voters: first choices a, a, b, c → c is eliminated, then b; a wins in round 2+
    for user, order in ((BEA, (a, b)), (DEE, (b, a)), (EVA, (c, b)), (CAL, (a,))):
        for label in order:
            answer = await rig.click(user, post["id"], label)
            assert "Your ballot in poll 1" in text_of(answer), text_of(answer)
    again = await rig.click(BEA, post["id"], a)
    assert "already your choice number 1" in text_of(again)
    over = await rig.click(CAL, post["id"], "Start over")
    assert "Your ballot in poll 1 is taken back" in text_of(over)
    await rig.click(CAL, post["id"], c)
    assert sorted(await ballots(rig.database)) == sorted([(0, 1), (1, 0), (2, 1), (2,)])

    closed = await rig.slash(ANA, "poll", {"id": 1}, sub="close")
    await rig.settle()
    results = standin.messages_in(ALERTS)[-1]
    shown = message_text(results)
    assert "Round 1" in shown and "Round 2" in shown, shown
    assert results["attachments"][0]["filename"].endswith(".png")
    assert "Round 1" in text_of(closed)
    assert "Closed · 4 ballots" in message_text(post)


async def test_autocomplete_offers_event_and_poll_ids(rig: DiscordRig) -> None:
    standin = rig.standin
    await event_post(rig, {"title": "Past webinar", "kind": "webinar",
                           "start": "2026-11-03 12:00"})
    await event_post(rig, {"title": "Spring rally", "kind": "rally", "start": "2027-04-12 10:00"})
    await event_post(rig, {"title": "Winter training", "kind": "training",
                           "start": "2026-12-01 10:00"})
    await poll_post(rig, {"question": "Closed already?", "options": "Yes | No"})
    await poll_post(rig, {"question": "Strike vote date", "options": "May | June"})
    await rig.slash(ANA, "poll", {"id": 1}, sub="close")
    rig.clock.advance(timedelta(days=2))  # the webinar is over

    async def offered(name: str, sub: str, typed: str, guild: str = GUILD) -> list[dict]:
        answer = await rig.wait(
            await standin.autocomplete(BEA, name, sub, "id", typed, guild_id=guild)
        )
        assert answer.responses[0]["type"] == 8
        return answer.responses[0]["data"]["choices"]

    events = await offered("event", "rsvp", "")
    assert [c["value"] for c in events] == [3, 2, 1]  # to come, soonest first; then the past
    assert events[0]["name"].startswith("3: Winter training")
    assert [c["value"] for c in await offered("event", "ics", "rally")] == [2]
    polls = await offered("poll", "vote", "")
    assert [c["value"] for c in polls] == [2, 1]  # open first
    assert polls[1]["name"] == "1: Closed already? (closed)"
    assert [c["value"] for c in await offered("poll", "close", "strike")] == [2]
    assert await offered("event", "rsvp", "", guild=STRANGER_GUILD) == []
    # every id option of both groups autocompletes
    synced = {c["name"]: c for c in standin.commands[GUILD]}
    for group in ("event", "poll"):
        for sub in synced[group]["options"]:
            for option in sub.get("options") or []:
                if option["name"] == "id":
                    assert option.get("autocomplete") is True, (group, sub["name"])


async def test_slow_answers_are_deferred_with_their_files(
    standin: DiscordStandIn, database: Database
) -> None:
    config = discord_config(standin, defer_after=timedelta(0))  # every answer is deferred
    config.polls.ballot_secret = SECRET
    rig = DiscordRig(standin, database, config)
    await rig.start_bot()
    try:
        post = await event_post(rig, LEGISLATIVE_DAY)
        # too late for a modal: the command to type, with the values the button carried
        going = await rig.click(BEA, post["id"], "Going")
        assert going.responses[0]["type"] == 5
        assert "/event rsvp id:1 status:going state:…" in text_of(going), text_of(going)
        ics = await rig.slash(BEA, "event", {"id": 1}, sub="ics")
        assert ics.responses[0]["type"] == 5 and ics.responses[-1]["type"] == "edit"
        assert [f["filename"] for f in final(ics)["files"]] == ["event-1.ics"]
        listed = await rig.slash(ANA, "event", {"id": 1}, sub="attendees")
        assert [f["filename"] for f in final(listed)["files"]] == ["event-1-rsvps.csv"]

        poll = await poll_post(rig, {"question": "Which day?", "options": "Mon | Tue"})
        await rig.click(BEA, poll["id"], "Tue")
        closed = await rig.slash(ANA, "poll", {"id": 1}, sub="close")
        assert closed.responses[-1]["type"] == "edit"
        (chart,) = final(closed)["files"]
        assert chart["data"].startswith(b"\x89PNG")
        assert standin.messages[closed.messages[0]]["loading"] is False
    finally:
        await rig.stop_bot()


async def test_every_event_and_poll_command_answers_in_discord(rig: DiscordRig) -> None:
    standin = rig.standin
    post = await event_post(rig, LEGISLATIVE_DAY)
    await rig.slash(BEA, "profile", {"state": "IL"})
    rsvp = await rig.slash(
        BEA, "event", {"id": 1, "status": "going", "state": "IL", "lead_meeting": True},
        sub="rsvp",
    )
    assert "You're going" in text_of(rsvp), text_of(rsvp)
    mention = f"<@{BEA}>"  # what Discord sends for @bea typed in a text option
    led = await rig.slash(ANA, "event", {"id": 1, "member": mention}, sub="lead")
    assert "leads the IL delegation at event 1" in text_of(led), text_of(led)
    met = await rig.slash(
        ANA, "event",
        {"id": 1, "state": "IL", "office": "Sen. Duckworth's", "legislator": "Sen. Duckworth",
         "at": "2026-12-08 11:00", "place": "Hart 524"},
        sub="meeting",
    )
    assert "Duckworth" in text_of(met), text_of(met)
    milestone = await rig.slash(
        ANA, "event", {"id": 1, "title": "Hotel block ends", "at": "2026-11-20 17:00"},
        sub="milestone",
    )
    assert "Hotel block ends" in text_of(milestone), text_of(milestone)
    mine = await rig.slash(BEA, "event", sub="mine")
    assert "Library Advocacy Day" in text_of(mine) and "Duckworth" in text_of(mine), text_of(mine)
    listed = await rig.slash(BEA, "event", sub="list")
    assert "Library Advocacy Day" in text_of(listed)
    shown = await rig.slash(BEA, "event", {"id": 1}, sub="show")
    assert set(buttons(rig.message(shown))) == set(buttons(post)) - {"Edit"}  # organizers
    remind = await rig.slash(BEA, "event", {"id": 1, "offsets": "1d, 1h"}, sub="remind")
    # Mon Dec 7, 9:00 AM and Tue Dec 8, 8:00 AM in Chicago, on the reader's own clock
    reminders = "<t:1796655600:F> (<t:1796655600:R>); <t:1796738400:F> (<t:1796738400:R>)"
    assert reminders in text_of(remind), text_of(remind)
    rig.clock.advance(timedelta(days=36))  # after the day
    marked = await rig.slash(
        ANA, "event", {"id": 1, "members": mention, "status": "attended"}, sub="attendance"
    )
    assert "Marked attended at event 1" in text_of(marked), text_of(marked)
    await rig.settle()
    told = " ".join(message_text(m) for m in standin.messages_in(standin.dm_channels[BEA]))
    assert "You lead the Illinois delegation" in told, told

    await poll_post(rig, {"question": "Which day?", "options": "Mon | Tue | Wed",
                          "kind": "approval", "anonymous": False, "results": "live"})
    typed = await rig.slash(BEA, "poll", {"id": 1, "choices": "Mon | Wed"}, sub="vote")
    assert "Your ballot in poll 1 is counted: Mon | Wed" in text_of(typed), text_of(typed)
    opened = await rig.slash(DEE, "poll", {"id": 1}, sub="vote")  # no choice: a modal
    assert opened.responses[0]["type"] == 9, text_of(opened)
    box = opened.responses[0]["data"]
    assert as_submitted(box, {})["id"] == "1"  # the id typed is filled in
    voted = await rig.submit(DEE, box["custom_id"], as_submitted(box, {"choice": "Tue"}))
    assert "is counted: Tue" in text_of(voted), text_of(voted)
    shown = await rig.slash(BEA, "poll", {"id": 1}, sub="show")
    assert "Mon | Wed" in text_of(shown) and set(buttons(rig.message(shown))) == {
        "Mon", "Tue", "Wed"
    }
    assert "Which day?" in text_of(await rig.slash(BEA, "poll", sub="list"))
    results = await rig.slash(BEA, "poll", {"id": 1}, sub="results")
    assert "2 ballots" in text_of(results), text_of(results)
    withdrawn = await rig.slash(DEE, "poll", {"id": 1}, sub="withdraw")
    assert "taken back" in text_of(withdrawn), text_of(withdrawn)
    for interaction in standin.interactions.values():
        assert interaction.responses and not interaction.late
        assert "Something went wrong" not in text_of(interaction), text_of(interaction)


async def test_a_double_click_on_a_toggling_option_counts_once(rig: DiscordRig) -> None:
    standin = rig.standin
    post = await poll_post(rig, {"question": "Which days?", "options": "Mon | Tue | Wed",
                                 "kind": "approval"})
    monday = button_id(post, "Mon")
    clicks = await asyncio.gather(
        *(standin.click(DEE, post["id"], monday, guild_id=GUILD) for _ in range(4))
    )
    answers = [text_of(await rig.wait(c)) for c in clicks]
    assert sum("is counted: Mon" in a for a in answers) == 1, answers
    assert sum("counts once" in a for a in answers) == 3, answers
    assert await ballots(rig.database) == [(0,)]
    # a deliberate second click (after another) still takes an option away
    await rig.click(DEE, post["id"], "Tue")
    removed = await rig.click(DEE, post["id"], "Mon")
    assert "is changed: Tue" in text_of(removed), text_of(removed)
    assert await ballots(rig.database) == [(1,)]


def test_repeated_clicks_are_forgotten_after_their_window() -> None:
    clicks = RepeatedClicks(window=0.05)
    assert not clicks.repeated(BEA, "m1", "poll.vote?id=1&choice=1")
    assert clicks.repeated(BEA, "m1", "poll.vote?id=1&choice=1")
    assert not clicks.repeated(DEE, "m1", "poll.vote?id=1&choice=1")  # someone else
    assert not clicks.repeated(BEA, "m2", "poll.vote?id=1&choice=1")  # another message
    time.sleep(0.06)
    assert not clicks.repeated(BEA, "m1", "poll.vote?id=1&choice=1")
    assert len(clicks) == 1  # the others are forgotten, not kept


async def test_a_poll_created_without_options_is_asked_for_in_a_form(rig: DiscordRig) -> None:
    opened = await rig.slash(ANA, "poll", sub="create")
    assert opened.responses[0]["type"] == 9, text_of(opened)
    first = opened.responses[0]["data"]
    assert first["title"] == "New poll (1/2)"
    typed = {"question": "Which branch first?", "options": "Elm | Oak | Maple"}
    step = rig.message(await rig.submit(ANA, first["custom_id"], as_submitted(first, typed)))
    sent = await rig.click(ANA, step["id"], "Send now")
    assert "Poll 1 is posted" in text_of(sent), text_of(sent)
    await rig.settle()
    (post,) = rig.standin.messages_in(ALERTS)
    assert set(buttons(post)) == {"Elm", "Oak", "Maple"}


async def test_a_refused_first_step_is_corrected_there_and_a_cleared_answer_stays_cleared(
    rig: DiscordRig,
) -> None:
    post = await event_post(rig, LEGISLATIVE_DAY)
    first = (await rig.click(DEE, post["id"], "Going")).responses[0]["data"]
    typed = {"state": "ZZ", "accessibility": "a seat near the door"}
    step = rig.message(await rig.submit(DEE, first["custom_id"], as_submitted(first, typed)))
    refused = await rig.click(DEE, step["id"], "Send now")
    assert "state: must be a US state" in text_of(refused), text_of(refused)
    again = (await rig.click(DEE, rig.message(refused)["id"], "Correct it (1/2)")).responses[0]
    assert again["type"] == 9
    shown = {row["components"][0]["custom_id"]: row["components"][0].get("value")
             for row in again["data"]["components"]}
    assert shown["state"] == "ZZ" and shown["accessibility"] == "a seat near the door"
    fixed = as_submitted(again["data"], {"state": "WI", "accessibility": ""})
    step = rig.message(await rig.submit(DEE, again["data"]["custom_id"], fixed))
    done = await rig.click(DEE, step["id"], "Send now")
    assert "You're going" in text_of(done), text_of(done)
    async with rig.database.sessions() as session:
        (answer,) = (await session.execute(select(EventRsvp))).scalars().all()
    assert answer.state == "WI" and answer.accessibility is None


async def test_a_refused_form_names_every_field_in_error_at_once(rig: DiscordRig) -> None:
    post = await event_post(rig, LEGISLATIVE_DAY)
    first = (await rig.click(DEE, post["id"], "Going")).responses[0]["data"]
    typed = {"state": "ZZ", "district": "99", "first_time": "perhaps"}
    step = rig.message(await rig.submit(DEE, first["custom_id"], as_submitted(first, typed)))
    refused = await rig.click(DEE, step["id"], "Send now")
    told = rig.message(refused)
    assert told["flags"] & EPHEMERAL
    assert text_of(refused).splitlines()[:3] == [
        "state: must be a US state or territory, as a two-letter code such as IL",
        "district: must be a district number from 1 to 53, or AL for at-large",
        "first_time: must be yes or no",
    ], text_of(refused)
    assert "Correct it (1/2)" in buttons(told)
    assert await rsvps(rig.database) == {}

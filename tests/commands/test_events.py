"""Events and RSVP through the dispatcher, scheduler and delivery engine, on both databases."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.config import Config, demo_org
from commands.events.render import organizer_address, when_text
from storage.db import Database
from storage.events import EventRecord
from storage.models import AuditEntry, DueItem, EventRsvp, Identity, OutboxMessage
from tests.support import Bot, ConsoleBot, Person, link_accounts, ok, refused, run_rallybot

START = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # Monday 9:00 in Chicago
# A refusal names what was wrong ("field: rule", "/command needs …"), or says plainly that
# the event no longer takes answers.
REFUSAL = re.compile(
    r"^([a-z_]+: .+|/[a-z -]+ needs the (field|role|organizer|admin).*"
    r"|Event \d+ is (over\.|cancelled; there is nothing to answer\.))",
    re.DOTALL,
)
ORGANIZER = Person("olu", roles=frozenset({"organizer"}))
MEETING = (
    '/event create title:"Chapter meeting" kind:meeting start:"2026-11-20 18:00" end:"19:30" '
    'place:"Main library, room B" capacity:2'
)
LEGDAY = (
    '/event create title:"National Library Legislative Day" kind:"Legislative day" '
    'start:"2027-04-12 09:00" end:"2027-04-13 17:00" timezone:America/New_York '
    'place:"Washington, D.C." rsvp_by:"2027-03-31 17:00"'
)


class EventBot(ConsoleBot):
    """A bot whose console prints every delivered message."""

    async def due_times(self, kind: str) -> list[datetime]:
        async with self.bot.app.db.transaction() as conn:
            rows = await conn.execute(
                select(DueItem.due_at).where(DueItem.kind == kind).order_by(DueItem.due_at)
            )
            return [at for (at,) in rows]


async def event_bot(database: Database, tmp_path: Path, start: datetime = START) -> EventBot:
    return await EventBot.start(database, tmp_path, start=start)


async def test_create_announces_on_every_platform_with_buttons(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    created = await ok(bot, ORGANIZER, MEETING)
    assert created.title == "Event 1 created"
    assert "Fri Nov 20, 6:00 PM – 7:30 PM CST" in created.text
    assert "#alerts, discord #200000000000000001, slack #CALERTS" in created.text
    assert "reminders 7d, 1d, 2h before" in created.text
    await bot.app.settle()
    for place in ("#alerts", "slack #CALERTS", "discord #200000000000000001"):
        (post,) = t.at(place)
        assert post.startswith("== Meeting: Chapter meeting (event 1) ==")
        assert "When: Fri Nov 20, 6:00 PM – 7:30 PM CST" in post
        assert "Where: Main library, room B" in post and "Places: 2 (then a waitlist)" in post
        assert "[1] Going  [2] Maybe  [3] Can't go" in post
        assert "/event rsvp id:1 status:going" in post
    # the buttons are the typed command
    going = next(b for b in t.screen.all_buttons if b.label == "Going")
    assert going.action_id == "event.rsvp?id=1&status=going"
    assert (await bot.click("ana", going.action_id)).text.startswith(
        "You're going to “Chapter meeting” (event 1)"
    )
    assert await t.due_times("event_reminder") == [
        datetime(2026, 11, 14, 0, 0, tzinfo=UTC),  # 7 days before, 6 PM CST
        datetime(2026, 11, 20, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 20, 22, 0, tzinfo=UTC),
    ]
    assert await t.count(AuditEntry, action="event.create") == 1
    listed = await ok(bot, "bea", "/event list")
    assert listed.table is not None
    assert listed.table.rows == [
        ["event 1", "Chapter meeting", "Meeting", "Fri Nov 20, 6:00 PM – 7:30 PM CST", "1/2"]
    ]


async def test_an_event_made_without_reminders_says_so_once(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    created = await ok(t.bot, ORGANIZER, MEETING + " reminders:none")
    assert "; no reminders. See who comes with /event attendees id:1." in created.text
    one = await ok(t.bot, ORGANIZER, MEETING + ' reminders:"1d"')
    assert "; reminder 1d before. See who comes with /event attendees id:2." in one.text


async def test_a_waitlisted_member_is_not_offered_reminders_they_cannot_set(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    await ok(t.bot, ORGANIZER, MEETING)
    for who in ("ana", "bea", "cam"):
        await ok(t.bot, who, "/event rsvp id:1 status:going")
    mine = await ok(t.bot, "cam", "/event mine")
    assert "on the waitlist, number 1" in mine.text
    assert "Reminders: from when a place opens up for you." in mine.text
    assert "/event remind" not in mine.text
    assert "(change: /event remind id:1 offsets:…)" in (await ok(t.bot, "ana", "/event mine")).text


async def test_bad_input_is_named_by_field_and_nothing_is_stored(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    base = '/event create title:T kind:meeting start:"2026-11-20 18:00"'
    assert (await refused(bot, ORGANIZER, '/event create title:T kind:party start:"2026-11-20"'))[
        :6
    ] == "kind: "
    cases = {
        '/event create title:T kind:meeting start:"someday"': "start: ",
        '/event create title:T kind:meeting start:"2026-10-01 09:00"': "start: ",
        f'{base} end:"2026-11-20 17:00"': "end: must be after the start",
        '/event create title:T kind:meeting start:"10/1 9am"': "start: 10/1 9am has passed this "
        'year; give the year, e.g. "2027-10-01 09:00"',
        '/event create title:T kind:meeting start:"sometime"': 'start: try "in 2 hours", '
        '"tomorrow 9am" or "2026-12-01 09:00"',
        f'{base} end:"17:00"': "end: must be after the start, Fri Nov 20, 6:00 PM CST; for an "
        'end the next day, give its date, e.g. "2026-11-21 17:00"',
        f'{base} end:"2026-12-20 17:00"': "end: must be within 14 days",
        f"{base} capacity:0": "capacity: must be from 1 to 100,000",
        f'{base} rsvp_by:"2026-11-21 09:00"': "rsvp_by: must be before the start",
        f'{base} reminders:"soon"': "reminders: 'soon' is not a duration",
        f"{base} timezone:Mars/Olympus": "timezone: must be an IANA timezone",
        f"{base} link:ftp://x": "link: must be an http:// or https:// address",
    }
    for line, start in cases.items():
        text = await refused(bot, ORGANIZER, line)
        assert text.startswith(start), (line, text)
    denied = await refused(bot, "ana", base)
    assert denied.startswith("/event create needs the organizer role")
    assert await t.count(DueItem) == 0 and await t.count(OutboxMessage) == 0
    await ok(bot, ORGANIZER, MEETING)
    assert (await refused(bot, "ana", "/event rsvp id:9 status:going")).startswith(
        "id: there is no event 9 here"
    )
    assert (await refused(bot, "ana", "/event rsvp id:1 status:perhaps")).startswith(
        "status: must be one of going, maybe, no"
    )
    assert (await refused(bot, "ana", "/event rsvp id:1 status:going state:IL")).startswith(
        "state: is asked only for legislative days"
    )
    assert (await refused(bot, "ana", '/event remind id:1 offsets:"1d"')).startswith(
        "id: you are not going to event 1"
    )
    await ok(bot, "ana", "/event rsvp id:1 status:going")
    assert (await refused(bot, "ana", '/event remind id:1 offsets:"2 fortnights"')).startswith(
        "offsets: '2 fortnights' is not a duration"
    )
    assert (await refused(bot, ORGANIZER, "/event lead id:1 member:ana")).startswith(
        "id: event 1 is a meeting; this is for legislative days"
    )
    assert await t.count(EventRsvp) == 1


async def test_past_capacity_a_waitlist_and_a_cancellation_promotes_and_tells(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, "cy", "/profile timezone:America/Los_Angeles")
    await ok(bot, ORGANIZER, MEETING)
    await ok(bot, "ana", "/event rsvp id:1 status:going")
    await ok(bot, "bea", "/event rsvp id:1 status:going")
    cy = await ok(bot, "cy", "/event rsvp id:1 status:going")
    assert cy.text == (
        "“Chapter meeting” (event 1), Fri Nov 20, 6:00 PM – 7:30 PM CST (4:00 – 5:30 PM your time) "
        "is full, so you are on the waitlist: number 1. If a place opens up, it is yours and "
        "we'll tell you."
    )
    dee = await ok(bot, "dee", "/event rsvp id:1 status:going")
    assert "waitlist: number 2" in dee.text
    again = await ok(bot, "cy", "/event rsvp id:1 status:going")
    assert again.text.startswith("You are still on the waitlist for") and "number 1" in again.text
    await bot.app.settle()
    assert not t.at("DM cy")

    await ok(bot, "bea", "/event rsvp id:1 status:no")
    await bot.app.settle()
    (told,) = t.at("DM cy")
    assert told.startswith(
        "Good news: a place opened up and you're going to “Chapter meeting” (event 1), "
        "Fri Nov 20, 6:00 PM – 7:30 PM CST (4:00 – 5:30 PM your time)."
    )
    assert "[1] Can't go" in told
    assert not t.at("DM dee") and not t.at("DM bea")
    mine = await ok(bot, "cy", "/event mine")
    assert "**Chapter meeting (event 1)**: going" in mine.text
    dee_mine = await ok(bot, "dee", "/event mine")
    assert "on the waitlist, number 1" in dee_mine.text
    async with bot.app.db.transaction() as conn:
        rows = dict(
            (await conn.execute(select(EventRsvp.member_id, EventRsvp.status))).all()
        ).values()
    assert sorted(rows) == ["going", "going", "no", "waitlisted"]
    # maybe does not take a seat; bea changes her mind and waits behind dee
    back = await ok(bot, "bea", "/event rsvp id:1 status:going")
    assert "waitlist: number 2" in back.text
    attendees = await ok(bot, ORGANIZER, "/event attendees id:1")
    assert dict(attendees.fields) == {
        "going": "2 of 2",
        "maybe": "0",
        "waitlisted": "2",
        "can't go": "0",
    }
    assert attendees.table is None  # delegations are for legislative days
    rows = list(csv.DictReader(io.StringIO(attendees.files[0].data.decode())))
    assert [(r["name"], r["status"], r["waitlist_position"]) for r in rows] == [
        ("Ana", "going", ""),
        ("Cy", "going", ""),
        ("Dee", "waitlisted", "1"),
        ("Bea", "waitlisted", "2"),
    ]
    assert await t.count(AuditEntry, action="event.attendees") == 1


async def test_one_rsvp_per_person_across_linked_accounts(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    slack, discord = Person("U5", platform="slack"), Person("55", platform="discord")
    await ok(bot, ORGANIZER, MEETING)
    await ok(bot, slack, "/event rsvp id:1 status:going")
    await ok(bot, discord, "/event rsvp id:1 status:going")
    waiting = await ok(bot, "cy", "/event rsvp id:1 status:going")
    assert "waitlist: number 1" in waiting.text
    await link_accounts(bot, slack, discord)
    await bot.app.settle()
    # the one person holds one seat; the seat the second account held goes to cy
    assert await t.count(EventRsvp) == 2 and await t.count(EventRsvp, status="going") == 2
    (told,) = t.at("DM cy")
    assert told.startswith("Good news: a place opened up")
    again = await ok(bot, slack, "/event rsvp id:1 status:going")
    assert again.text.startswith("You are already going")


async def test_concurrent_answers_and_cancellations_never_exceed_capacity(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    capacity = 5
    await ok(bot, ORGANIZER, MEETING.replace("capacity:2", f"capacity:{capacity}"))

    async def names(status: str) -> list[str]:
        """The accounts with this answer (the waitlist in its order)."""
        async with bot.app.db.transaction() as conn:
            rows = await conn.execute(
                select(Identity.user_id)
                .join(EventRsvp, EventRsvp.member_id == Identity.member_id)
                .where(EventRsvp.status == status)
                .order_by(EventRsvp.waitlist_seq, EventRsvp.id)
            )
            return [name for (name,) in rows]

    first = await asyncio.gather(
        *(bot.say(f"m{i}", "/event rsvp id:1 status:going") for i in range(20))
    )
    assert all(not r.error for r in first), [r.text for r in first if r.error]
    assert len(await names("going")) == capacity and len(await names("waitlisted")) == 15
    for round_ in range(3):
        seated, waiting = await names("going"), await names("waitlisted")
        # four seated members cancel while six newcomers say Going and the last two in line
        # switch to Maybe, all at the same moment
        replies = await asyncio.gather(
            *(bot.say(name, "/event rsvp id:1 status:no") for name in seated[:4]),
            *(bot.say(f"n{round_}-{i}", "/event rsvp id:1 status:going") for i in range(6)),
            *(bot.say(name, "/event rsvp id:1 status:maybe") for name in waiting[-2:]),
        )
        assert all(not r.error for r in replies), [r.text for r in replies if r.error]
        now_seated = await names("going")
        assert len(now_seated) == capacity, (round_, now_seated)
        # the first four in line got the seats
        assert set(now_seated) == {*seated[4:], *waiting[:4]}
        assert len(await names("waitlisted")) == len(waiting) - 4 - 2 + 6
        attendees = await ok(bot, ORGANIZER, "/event attendees id:1")
        rows = list(csv.DictReader(io.StringIO(attendees.files[0].data.decode())))
        positions = [int(r["waitlist_position"]) for r in rows if r["status"] == "waitlisted"]
        assert positions == list(range(1, len(positions) + 1))
    await bot.app.settle()
    promoted = [place for place, text in t.messages() if text.startswith("Good news")]
    assert len(promoted) == 12 and len(set(promoted)) == 12


async def test_reminders_in_each_timezone_across_daylight_saving(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    # Daylight saving time begins on Sunday 2027-03-14 in the United States.
    await ok(
        bot,
        ORGANIZER,
        '/event create title:Training kind:training start:"2027-03-15 09:00" '
        "timezone:America/New_York",
    )
    assert await t.due_times("event_reminder") == [
        datetime(2027, 3, 8, 14, 0, tzinfo=UTC),  # 9:00 EST a week before
        datetime(2027, 3, 14, 13, 0, tzinfo=UTC),  # 9:00 EDT the day before
        datetime(2027, 3, 15, 11, 0, tzinfo=UTC),  # two hours before 9:00 EDT
    ]
    await ok(bot, "ana", "/profile timezone:America/Los_Angeles")
    await ok(bot, "ana", "/event rsvp id:1 status:going")
    await ok(bot, "bea", "/event rsvp id:1 status:maybe")
    await ok(bot, "cy", "/event rsvp id:1 status:going")
    await ok(bot, "dee", "/event rsvp id:1 status:no")
    first_choice = await ok(bot, "cy", '/event remind id:1 offsets:"3d, 1h"')
    assert first_choice.text.startswith(
        "Your reminders for event 1: Fri Mar 12, 2027, 9:00 AM EST (8:00 AM your time);"
    )
    mine = await ok(bot, "cy", '/event remind id:1 offsets:"1d, 1h"')
    assert mine.text == (
        "Your reminders for event 1: Sun Mar 14, 2027, 9:00 AM EDT (8:00 AM your time); "
        "Mon Mar 15, 2027, 8:00 AM EDT (7:00 AM your time)."
    )
    await t.step_to(datetime(2027, 3, 8, 14, 0, tzinfo=UTC))
    (ana,) = t.at("DM ana")
    assert ana.startswith(
        "⏰ “Training” (event 1) starts Mon Mar 15, 9:00 AM EDT (6:00 AM your time), in 7 days. "
        "You're going."
    )
    (bea,) = t.at("DM bea")
    assert "starts Mon Mar 15, 9:00 AM EDT (8:00 AM your time)" in bea and "You're a maybe." in bea
    assert not t.at("DM cy") and not t.at("DM dee")
    await t.step_to(datetime(2027, 3, 15, 14, 0, tzinfo=UTC))
    assert len(t.at("DM ana")) == 3 and len(t.at("DM bea")) == 3 and not t.at("DM dee")
    cy = t.at("DM cy")
    assert [text.split(", in ")[1].split(".")[0] for text in cy] == ["1 day", "1 hour"]
    assert await t.count(OutboxMessage, kind="event_reminder") == 8


async def test_ics_file_parses_back_with_the_right_utc_times(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, ORGANIZER, LEGDAY)
    reply = await ok(bot, "ana", "/event ics id:1")
    (file,) = reply.files
    assert file.name == "event-1.ics" and file.mime == "text/calendar"
    cal = icalendar.Calendar.from_ical(file.data)
    (entry,) = cal.walk("VEVENT")
    assert entry.decoded("dtstart").astimezone(UTC) == datetime(2027, 4, 12, 13, 0, tzinfo=UTC)
    assert entry.decoded("dtend").astimezone(UTC) == datetime(2027, 4, 13, 21, 0, tzinfo=UTC)
    assert entry["dtstart"].params["TZID"] == "America/New_York"
    assert str(entry["summary"]) == "National Library Legislative Day"
    assert str(entry["location"]) == "Washington, D.C."
    (zone,) = cal.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "America/New_York"
    assert {c.name for c in zone.subcomponents} == {"STANDARD", "DAYLIGHT"}
    text = file.data.decode()
    assert "DTSTART;TZID=America/New_York:20270412T090000" in text
    assert "DTEND;TZID=America/New_York:20270413T170000" in text


def unfolded(data: bytes) -> list[str]:
    """An .ics file's content lines, each checked to be at most 75 octets before unfolding."""
    raw = data.split(b"\r\n")
    assert raw[-1] == b"" and all(len(line) <= 75 for line in raw), max(raw, key=len)
    return data.decode().replace("\r\n ", "").splitlines()


async def test_ics_names_the_organizer_and_carries_the_delegations_meetings_and_milestones(
    database: Database, tmp_path: Path
) -> None:
    org = replace(
        demo_org(),
        name='The "Demo" Library Workers of the Greater Metropolitan Area, Suburbs; Exurbs',
        contact="organizers@example.org",
    )
    t = await EventBot.start(database, tmp_path, config=Config(orgs=[org]))
    bot = t.bot
    await ok(bot, ORGANIZER, LEGDAY)
    await ok(bot, "ana", "/event rsvp id:1 status:going state:IL")
    for state, who in (("IL", "Sen. Tammy Duckworth"), ("WI", "Sen. Tammy Baldwin")):
        await ok(
            bot,
            ORGANIZER,
            f'/event meeting id:1 state:{state} office:"{who}\'s office" legislator:"{who}" '
            'at:"2027-04-12 14:00" place:"Hart 524"',
        )
    await ok(bot, ORGANIZER, '/event milestone id:1 title:"Hotel block ends" at:"2027-03-20 17:00"')
    (file,) = (await ok(bot, "ana", "/event ics id:1")).files
    lines = unfolded(file.data)
    organizer = (
        "ORGANIZER;CN=\"The 'Demo' Library Workers of the Greater Metropolitan Area, "
        'Suburbs; Exurbs":mailto:organizers@example.org'
    )
    assert lines.count(organizer) == 3  # the event, Ana's delegation's meeting, the milestone
    zone = lines[lines.index("BEGIN:VTIMEZONE") : lines.index("END:VTIMEZONE")]
    assert zone and not [line for line in zone if line.startswith("COMMENT")]
    cal = icalendar.Calendar.from_ical(file.data)
    entries = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert set(entries) == {
        "National Library Legislative Day",
        "Meeting: Sen. Tammy Duckworth (Sen. Tammy Duckworth's office)",
        "Hotel block ends (National Library Legislative Day)",
    }
    meeting = entries["Meeting: Sen. Tammy Duckworth (Sen. Tammy Duckworth's office)"]
    assert meeting.decoded("dtstart").astimezone(UTC) == datetime(2027, 4, 12, 18, 0, tzinfo=UTC)
    assert str(meeting["location"]) == "Hart 524"
    milestone = entries["Hotel block ends (National Library Legislative Day)"]
    assert milestone.decoded("dtstart").astimezone(UTC) == datetime(2027, 3, 20, 21, 0, tzinfo=UTC)
    assert len({str(e["uid"]) for e in entries.values()}) == 3
    # someone not going has the event and its milestones, and the organizer without a contact
    (other,) = (await ok(bot, "bea", "/event ics id:1")).files
    assert "Duckworth" not in other.data.decode() and "Baldwin" not in other.data.decode()
    assert len(icalendar.Calendar.from_ical(other.data).walk("VEVENT")) == 2
    plain = await EventBot.start(database, tmp_path)
    (bare,) = (await ok(plain.bot, "cy", "/event ics id:1")).files
    assert 'ORGANIZER;CN="Demo Library Workers":mailto:noreply@localhost' in unfolded(bare.data)


def test_organizer_address_falls_back_to_the_web_host_then_localhost() -> None:
    assert organizer_address("chapter@example.org", "https://bot.example.net/") == (
        "chapter@example.org"
    )
    assert organizer_address("", "https://bot.example.net:8443/x") == "noreply@bot.example.net"
    assert organizer_address("") == "noreply@localhost"


async def test_legislative_day_asks_and_keeps_accessibility_private(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, ORGANIZER, LEGDAY)
    # without a profile state and not interactive: the missing field is named
    text = await refused(bot, "bea", "/event rsvp id:1 status:going")
    assert text.startswith("state: is needed to go to a legislative day")
    assert await t.count(Identity, user_id="bea") == 0  # a refusal leaves no trace
    # interactive: a form, pre-filled from the profile
    await ok(bot, "ana", "/profile state:IL district:5")
    asked = await ok(bot, "ana", "/event rsvp id:1 status:going", interactive=True)
    form = asked.form
    assert form is not None and form.args == {"id": "1", "status": "going"}
    assert [(f.name, f.required, f.default) for f in form.fields] == [
        ("state", True, "IL"),
        ("district", False, "5"),
        ("attend", False, ""),
        ("first_time", False, ""),
        ("accessibility", False, ""),
        ("lead_meeting", False, ""),
    ]
    assert "only organizers" in form.fields[4].help
    assert await t.count(EventRsvp) == 0
    asked_anew = await ok(bot, "dee", "/event rsvp id:1 status:going", interactive=True)
    assert asked_anew.form is not None and await t.count(Identity, user_id="dee") == 0
    bad = await bot.click("ana", form.id, {"state": "Narnia", "attend": "in person"})
    assert bad.error and bad.text.startswith("state: must be a US state")
    done = await bot.click(
        "ana",
        form.id,
        {
            "state": "IL",
            "district": "5",
            "attend": "in person",
            "first_time": "yes",
            "accessibility": "Step-free route, please",
            "lead_meeting": "yes",
        },
    )
    assert done.text.startswith("You're going to “National Library Legislative Day” (event 1)")
    await ok(bot, "cy", "/event rsvp id:1 status:going state:WI attend:virtual first_time:no")
    mine = await ok(bot, "ana", "/event mine")
    assert "Delegation: Illinois (lead: not named yet)" in mine.text
    assert "Your accessibility needs are noted; only organizers see them." in mine.text
    assert "Step-free" not in mine.text
    denied = await refused(bot, "cy", "/event attendees id:1")
    assert denied.startswith("/event attendees needs the organizer role")
    attendees = await ok(bot, ORGANIZER, "/event attendees id:1")
    assert "Step-free" not in attendees.plain_text()
    assert attendees.table is not None and attendees.table.rows == [
        ["IL", "1", "0", "0", ""],
        ["WI", "1", "0", "0", ""],
    ]
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(attendees.files[0].data.decode()))}
    assert rows["Ana"]["accessibility"] == "Step-free route, please"
    assert (rows["Ana"]["state"], rows["Ana"]["district"], rows["Ana"]["attend"]) == (
        "IL",
        "5",
        "in-person",
    )
    assert (rows["Ana"]["first_time"], rows["Ana"]["willing_to_lead"]) == ("yes", "yes")
    assert (rows["Cy"]["attend"], rows["Cy"]["first_time"]) == ("virtual", "no")
    # the member's own export has it; erasing takes it away
    exported = await ok(bot, "ana", "/privacy export")
    data = json.loads(exported.files[0].data)
    assert data["event"][0]["accessibility"] == "Step-free route, please"
    await ok(bot, "ana", "/privacy delete confirm:yes")
    assert await t.count(EventRsvp) == 1
    async with bot.app.db.transaction() as conn:
        left = (
            await conn.execute(select(func.count()).where(EventRsvp.accessibility.is_not(None)))
        ).scalar_one()
    assert left == 0


async def test_delegations_meetings_and_milestones_in_mine_and_reminded(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, ORGANIZER, LEGDAY)
    await ok(bot, "ana", "/profile timezone:America/Chicago")
    await ok(bot, "ana", "/event rsvp id:1 status:going state:IL lead_meeting:yes")
    await ok(bot, "bea", "/event rsvp id:1 status:going state:IL")
    await ok(bot, "cy", "/event rsvp id:1 status:going state:WI")
    assert (await refused(bot, ORGANIZER, "/event lead id:1 member:zed")).startswith(
        "member: zed is not someone the bot knows"
    )
    assert (await refused(bot, ORGANIZER, "/event lead id:1 member:cy state:IL")).startswith(
        "state: cy goes with the WI delegation, not IL"
    )
    named = await ok(bot, ORGANIZER, "/event lead id:1 member:@ana")
    assert named.text == "ana leads the IL delegation at event 1."
    met = await ok(
        bot,
        ORGANIZER,
        '/event meeting id:1 state:IL office:"Sen. Duckworth\'s office" '
        'legislator:"Sen. Tammy Duckworth" at:"2027-04-12 14:00" place:"Hart 524"',
    )
    assert met.text.startswith("Meeting added for the IL delegation")
    assert (
        await refused(
            bot,
            ORGANIZER,
            '/event meeting id:1 state:IL office:X legislator:Y at:"whenever"',
        )
    ).startswith("at: ")
    await ok(
        bot,
        ORGANIZER,
        '/event milestone id:1 title:"Hotel block ends" at:"2027-03-20 17:00" reminders:"3d, 1d"',
    )
    mine = await ok(bot, "bea", "/event mine")
    assert "Delegation: Illinois (lead: Ana)" in mine.text
    assert (
        "Meeting: Sen. Tammy Duckworth (Sen. Duckworth's office), Mon Apr 12, 2027, 2:00 PM EDT "
        "(1:00 PM your time), Hart 524" in mine.text
    )
    assert "Hotel block ends: Sat Mar 20, 2027, 5:00 PM EDT (4:00 PM your time)" in mine.text
    shown = await ok(bot, "ana", "/event show id:1")
    assert shown.title == "Legislative day: National Library Legislative Day (event 1)"
    assert (
        "When: Mon Apr 12, 2027, 9:00 AM EDT – Tue Apr 13, 2027, 5:00 PM EDT "
        "(Mon 8:00 AM – Tue 4:00 PM your time)" in shown.text
    )
    assert shown.text.endswith(
        "Hotel block ends: Sat Mar 20, 2027, 5:00 PM EDT (4:00 PM your time)\nYou are going."
    )
    assert [a.label for a in shown.actions] == ["Going", "Maybe", "Can't go"]
    wi = await ok(bot, "cy", "/event mine")
    assert "Delegation: Wisconsin (lead: not named yet)" in wi.text and "Duckworth" not in wi.text
    await t.step_to(datetime(2027, 3, 18, 0, 0, tzinfo=UTC))
    (lead_dm, milestone) = t.at("DM ana")
    assert lead_dm.startswith("You lead the Illinois delegation at “National Library")
    assert milestone == (
        "⏰ “National Library Legislative Day” (event 1): Hotel block ends, "
        "Sat Mar 20, 5:00 PM EDT (4:00 PM your time)."
    )
    assert len(t.at("DM cy")) == 1
    await t.step_to(datetime(2027, 4, 12, 17, 0, tzinfo=UTC))
    ana_meeting = [m for m in t.at("DM ana") if "meets" in m]
    assert (
        ana_meeting
        == [
            "⏰ Your IL delegation meets Sen. Tammy Duckworth (Sen. Duckworth's office) "
            "Mon Apr 12, 2:00 PM EDT (1:00 PM your time), Hart 524, during “National Library "
            "Legislative Day” "
            "(event 1).",
        ]
        * 2
    )
    assert len([m for m in t.at("DM bea") if "meets" in m]) == 2
    assert not [m for m in t.at("DM cy") if "meets" in m]
    assert await t.count(AuditEntry, action="event.lead") == 1
    assert await t.count(AuditEntry, action="event.meeting") == 1
    assert await t.count(AuditEntry, action="event.milestone") == 1


async def test_attendance_after_the_event(database: Database, tmp_path: Path) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, ORGANIZER, MEETING)
    await ok(bot, "ana", "/event rsvp id:1 status:going")
    await ok(bot, "bea", "/event rsvp id:1 status:going")
    await ok(bot, "cy", "/event rsvp id:1 status:no")
    early = await refused(bot, ORGANIZER, "/event attendance id:1 members:ana status:attended")
    assert early.startswith("id: event 1 has not begun")
    await t.step_to(datetime(2026, 11, 21, 2, 0, tzinfo=UTC))
    assert (
        await refused(bot, "ana", "/event attendance id:1 members:ana status:attended")
    ).startswith("/event attendance needs the organizer role")
    assert (
        await refused(bot, ORGANIZER, "/event attendance id:1 members:cy status:attended")
    ).startswith("members: cy did not say they were going to event 1")
    assert (
        await refused(bot, ORGANIZER, "/event attendance id:1 members:ana status:late")
    ).startswith("status: must be one of attended, no-show")
    await ok(bot, ORGANIZER, "/event attendance id:1 members:ana status:attended")
    await ok(bot, ORGANIZER, "/event attendance id:1 members:bea status:noshow")
    late = await refused(bot, "dee", "/event rsvp id:1 status:going")
    assert late == "Event 1 is over."
    async with bot.app.db.transaction() as conn:
        from storage.events import export_rsvps_csv

        rows = list(csv.DictReader(io.StringIO((await export_rsvps_csv(conn, 1)).decode())))
    assert [(r["name"], r["attendance"]) for r in rows] == [
        ("Ana", "attended"),
        ("Bea", "no-show"),
        ("Cy", ""),
    ]
    assert await t.count(AuditEntry, action="event.attendance") == 2


async def test_rsvp_deadline_closes_answers_but_not_cancellations(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, ORGANIZER, MEETING.replace("capacity:2", 'rsvp_by:"2026-11-18 17:00"'))
    await ok(bot, "ana", "/event rsvp id:1 status:going")
    t.bot.clock.advance(datetime(2026, 11, 19, tzinfo=UTC) - t.bot.clock.now())
    late = await refused(bot, "bea", "/event rsvp id:1 status:going")
    assert late == "RSVPs for event 1 closed on Wed Nov 18, 5:00 PM CST."
    await ok(bot, "ana", "/event rsvp id:1 status:no")


async def test_the_console_flow_waitlist_promotion_and_calendar_file(
    database: Database, tmp_path: Path
) -> None:
    files = tmp_path / "files"
    t = await ConsoleBot.start(database, tmp_path)
    script = "\n".join(
        [
            "!as olu organizer",
            '/event create title:"Budget hearing prep" kind:meeting '
            'start:"2026-11-12 18:00" end:"2026-11-12 19:00" capacity:2',
            "!as ana",
            "!press Going",
            "!as bea",
            "/event rsvp id:1 status:going",
            "!as cy",
            "!press Going",
            "!as ana",
            "!press Can't go",
            "!as cy",
            "/event mine",
            "/event ics id:1",
        ]
    )
    text = await t.run_console(script + "\n")
    assert "[#alerts] == Meeting: Budget hearing prep (event 1) ==" in text
    assert "is full, so you are on the waitlist: number 1" in text
    assert "[DM cy] Good news: a place opened up and you're going to “Budget hearing prep”" in text
    assert "Budget hearing prep (event 1): going" in text
    cal = icalendar.Calendar.from_ical((files / "event-1.ics").read_bytes())
    (entry,) = cal.walk("VEVENT")
    assert entry.decoded("dtstart").astimezone(UTC) == datetime(2026, 11, 13, 0, 0, tzinfo=UTC)
    assert "Traceback" not in text


async def test_erasing_a_seated_member_gives_the_seat_on(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, ORGANIZER, MEETING.replace("capacity:2", "capacity:1"))
    await ok(bot, "ana", "/event rsvp id:1 status:going")
    await ok(bot, "bea", "/event rsvp id:1 status:going")
    exported = json.loads((await ok(bot, "ana", "/privacy export")).files[0].data)
    assert [(e["event"], e["status"]) for e in exported["event"]] == [(1, "going")]
    await ok(bot, "ana", "/privacy delete confirm:yes")
    await bot.app.settle()
    (told,) = t.at("DM bea")
    assert told.startswith("Good news: a place opened up")
    assert await t.count(EventRsvp) == 1 and await t.count(EventRsvp, status="going") == 1


async def test_own_reminders_none_or_back_to_the_events_and_updated_details(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, ORGANIZER, LEGDAY)
    await ok(bot, "ana", "/event rsvp id:1 status:going state:IL")
    none = await ok(bot, "ana", "/event remind id:1 offsets:none")
    assert none.text == "No reminders for event 1."
    assert "Reminders: none" in (await ok(bot, "ana", "/event mine")).text
    back = await ok(bot, "ana", "/event remind id:1 offsets:default")
    assert back.text == "You get event 1's own reminders: 7d, 1d, 2h before."
    updated = await ok(bot, "ana", "/event rsvp id:1 status:going attend:virtual")
    assert updated.text == "Your details for event 1 are updated."
    async with bot.app.db.transaction() as conn:
        attend = (await conn.execute(select(EventRsvp.attend))).scalar_one()
    assert attend == "virtual"
    listed = await ok(bot, "ana", "/event list")
    assert listed.table is not None
    assert (
        listed.table.rows[0][3] == "Mon Apr 12, 2027, 9:00 AM EDT – Tue Apr 13, 2027, 5:00 PM EDT "
        "(Mon 8:00 AM – Tue 4:00 PM your time)"
    )


async def test_the_weekly_digest_lists_events_of_the_coming_two_weeks(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, ORGANIZER, MEETING.replace("2026-11-20", "2026-11-10"))
    await ok(bot, ORGANIZER, LEGDAY)
    await ok(bot, "ana", "/event rsvp id:1 status:going")
    await bot.app.scheduler.add_digest("demo")
    await bot.app.settle()
    (digest,) = [text for text in t.at("#alerts") if text.startswith("== This week in")]
    assert "Upcoming events:\n• Event 1: Chapter meeting, Tue Nov 10, 6:00 PM – 7:30 PM CST: " in (
        digest
    )
    assert "1 going" in digest and "Legislative Day" not in digest


def test_export_rsvps_from_the_command_line(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "!as olu organizer",
            '/event create title:"Rally at city hall" kind:rally start:"in 3 days" capacity:1',
            "!as ana",
            "!press Going",
            "!as bea",
            "!press Going",
        ]
    )
    run = run_rallybot(["console"], tmp_path, script + "\n")
    assert run.returncode == 0, run.stderr
    assert "is full, so you are on the waitlist: number 1" in run.stdout
    exported = run_rallybot(["export", "rsvps", "--event", "1"], tmp_path)
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [(r["name"], r["status"], r["waitlist_position"]) for r in rows] == [
        ("ana", "going", ""),
        ("bea", "waitlisted", "1"),
    ]
    missing = run_rallybot(["export", "rsvps", "--event", "7"], tmp_path)
    assert missing.returncode == 2 and "--event: no event 7 in demo" in missing.stderr


EVENT_COMMANDS = [
    "/event create",
    "/event rsvp id:1",
    "/event rsvp id:2 status:going",
    "/event list",
    "/event show",
    "/event mine",
    "/event attendees id:1",
    "/event lead id:1",
    "/event meeting id:1",
    "/event milestone id:2",
    "/event attendance id:1",
    "/event remind id:2",
    "/event ics",
    "/event edit id:1",
    "/event edit id:2",
    "/event cancel id:2",
    "/event meeting-edit meeting:1",
    "/event meeting-remove",
    "/event milestone-edit milestone:1",
    "/event milestone-remove milestone:1",
    "/event feed",
    "/event feed reset",
    "/event",
]
_words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
_keys = st.sampled_from(
    [
        "title",
        "kind",
        "start",
        "end",
        "timezone",
        "place",
        "link",
        "capacity",
        "rsvp_by",
        "reminders",
        "status",
        "state",
        "district",
        "attend",
        "first_time",
        "accessibility",
        "lead_meeting",
        "member",
        "members",
        "office",
        "legislator",
        "at",
        "offsets",
        "id",
        "description",
        "start_message",
        "reason",
        "meeting",
        "milestone",
        "repeat",
        "until",
        "count",
        "occurrence",
        "from",
    ]
)
_values = st.one_of(
    _words.filter(lambda w: '"' not in w and "\\" not in w),
    st.sampled_from(
        [
            "2027-04-12 09:00",
            "17:00",
            "25:00",
            "in 3 days",
            "every monday 9am",
            "legislative-day",
            "going",
            "1d, 2h",
            "999999d",
            "none",
            "default",
            "<@U1|ana>",
            "ana, olu",
            "America/New_York",
            "0",
            "100001",
            "IL",
            "every 2 weeks",
            "every 2nd tuesday",
            "11/24",
            "Dec 8",
            "2027-06-30",
        ]
    ),
)
_lines = st.builds(
    lambda head, parts: head + " " + " ".join(parts),
    st.sampled_from(EVENT_COMMANDS),
    st.lists(st.builds(lambda k, v: f'{k}:"{v}"', _keys, _values), max_size=6),
)


def test_random_event_commands_never_break_the_bot(own_loop_bot: tuple[Any, Bot]) -> None:
    loop, bot = own_loop_bot
    repeating = (
        '/event create title:"Book club" kind:meeting start:"2026-11-10 19:00" '
        'repeat:"every 2 weeks"'
    )
    for line in (MEETING, LEGDAY, repeating):
        assert not loop.run_until_complete(bot.say(ORGANIZER, line)).error
    people = [Person("ana"), ORGANIZER, Person("U1", platform="slack")]

    @given(line=_lines, who=st.sampled_from(people), interactive=st.booleans())
    @settings(
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def check(line: str, who: Person, interactive: bool) -> None:
        reply = loop.run_until_complete(bot.say(who, line, interactive=interactive))
        text = reply.plain_text()
        assert "Something went wrong" not in text, line
        if reply.error:
            assert REFUSAL.match(reply.text), (line, reply.text)

    check()

    # whatever was typed, no event holds more than its capacity
    async def seated() -> int:
        async with bot.app.db.transaction() as conn:
            query = select(func.count()).where(EventRsvp.event_id == 1, EventRsvp.status == "going")
            return (await conn.execute(query)).scalar_one()

    assert loop.run_until_complete(seated()) <= 2


def test_a_span_across_the_change_to_standard_time_names_both_offsets() -> None:
    night = EventRecord(
        1,
        1,
        "Overnight read-in",
        None,
        "rally",
        datetime(2027, 11, 7, 5, 30, tzinfo=UTC),  # 12:30 AM CDT
        datetime(2027, 11, 7, 9, 0, tzinfo=UTC),  # 3:00 AM CST
        "America/Chicago",
        None,
        None,
        None,
        None,
        (),
        START,
    )
    chicago = ZoneInfo("America/Chicago")
    assert (
        when_text(night, chicago, now=night.starts_at)
        == "Sun Nov 7, 12:30 AM CDT – Sun Nov 7, 3:00 AM CST"
    )
    assert (
        when_text(night, ZoneInfo("UTC"), now=night.starts_at)
        == "Sun Nov 7, 12:30 AM CDT – Sun Nov 7, 3:00 AM CST (5:30 – 9:00 AM your time)"
    )


async def test_reminders_survive_a_restart_and_are_sent_once(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    await ok(t.bot, ORGANIZER, MEETING)
    await ok(t.bot, "ana", "/event rsvp id:1 status:going")
    await t.step_to(datetime(2026, 11, 14, 0, 30, tzinfo=UTC))  # the 7d reminder is sent
    assert len(t.at("DM ana")) == 1
    await t.bot.app.stop()
    # a new process on the same database, later: the 7d reminder is not sent again, the
    # next ones are
    later = await event_bot(database, tmp_path, start=datetime(2026, 11, 14, 1, 0, tzinfo=UTC))
    await later.step_to(datetime(2026, 11, 20, 23, 0, tzinfo=UTC))
    texts = later.at("DM ana")
    assert [text.split(", in ")[1].split(".")[0] for text in texts] == ["1 day", "2 hours"]
    assert await later.count(OutboxMessage, kind="event_reminder") == 3


async def test_a_member_reads_the_events_zone_then_their_own_time(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    await ok(
        bot,
        ORGANIZER,
        '/event create title:Briefing kind:webinar start:"2026-11-20 09:00" end:"10:30" '
        'timezone:America/Chicago reminders:"1d"',
    )
    await ok(bot, "ana", "/profile timezone:America/New_York")
    answer = await ok(bot, "ana", "/event rsvp id:1 status:going")
    assert "Fri Nov 20, 9:00 AM – 10:30 AM CST (10:00 – 11:30 AM your time)" in answer.text
    same = await ok(bot, "bea", "/event rsvp id:1 status:going")  # the organization's zone
    assert "Fri Nov 20, 9:00 AM – 10:30 AM CST." in same.text and "your time" not in same.text
    await bot.app.settle()
    (post,) = t.at("#alerts")
    assert "When: Fri Nov 20, 9:00 AM – 10:30 AM CST" in post and "your time" not in post
    await t.step_to(datetime(2026, 11, 19, 15, 0, tzinfo=UTC))
    (reminder,) = t.at("DM ana")
    assert "starts Fri Nov 20, 9:00 AM CST (10:00 AM your time)" in reminder
    (bea,) = t.at("DM bea")
    assert "starts Fri Nov 20, 9:00 AM CST, in 1 day." in bea
    mine = await ok(bot, "ana", "/event mine")
    assert "Fri Nov 20, 9:00 AM – 10:30 AM CST (10:00 – 11:30 AM your time)" in mine.text
    # an organizer reads the event's times the same way
    await ok(bot, ORGANIZER, "/profile timezone:America/Los_Angeles")
    added = await ok(
        bot,
        ORGANIZER,
        '/event milestone id:1 title:"Slides due" at:"2026-11-19 17:00" reminders:none',
    )
    assert added.text == (
        "Milestone added to event 1 (milestone 1): Slides due, Thu Nov 19, 5:00 PM CST "
        "(3:00 PM your time) (no reminders)."
    )

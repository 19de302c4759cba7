"""Events changed once announced: edit (posts edited in place, those coming told, reminders
and the start message moved, waitlist promoted), cancel (posts closed, nothing sent after,
everyone told once), meetings and milestones changed or removed, and a lead who leaves; on
both databases, through the dispatcher, scheduler and delivery engine."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, select

from storage import events as store
from storage.db import Database
from storage.models import AuditEntry, ChannelPost, DueItem
from tests.commands.test_events import LEGDAY, MEETING, ORGANIZER, EventBot, event_bot
from tests.support import Person, ok, refused

POSTS = ("#alerts", "slack #CALERTS", "discord #200000000000000001")
OLD_WHEN = "Fri Nov 20, 6:00 PM – 7:30 PM CST"
NEW_WHEN = "Fri Nov 27, 6:00 PM – 7:30 PM CST"
STRANGER = Person("UWIORG", platform="slack", space="TWI")  # an organizer elsewhere


async def pending(t: EventBot, *kinds: str) -> list[tuple[str, datetime]]:
    """The pending due items of these kinds: (kind, when), in time order."""
    async with t.bot.app.db.transaction() as conn:
        rows = await conn.execute(
            select(DueItem.kind, DueItem.due_at)
            .where(DueItem.kind.in_(kinds), DueItem.state == "pending")
            .order_by(DueItem.due_at, DueItem.kind)
        )
        return [(kind, at) for kind, at in rows]


async def sequence_of(t: EventBot, event_id: int) -> int:
    """The stored calendar sequence of an event."""
    async with t.bot.app.db.transaction() as conn:
        event = await store.get_event(conn, event_id)
    assert event is not None
    return event.sequence


async def answered(t: EventBot) -> None:
    """Chapter meeting (2 places): ana and cy going, bea maybe, dee waiting; cy chose her own
    reminder, three hours before."""
    bot = t.bot
    await ok(bot, ORGANIZER, MEETING)
    await ok(bot, "ana", "/event rsvp id:1 status:going")
    await ok(bot, "cy", "/event rsvp id:1 status:going")
    await ok(bot, "bea", "/event rsvp id:1 status:maybe")
    waiting = await ok(bot, "dee", "/event rsvp id:1 status:going")
    assert "waitlist: number 1" in waiting.text
    await ok(bot, "cy", '/event remind id:1 offsets:"3h"')
    await bot.app.settle()


async def test_a_new_time_edits_every_post_tells_those_coming_and_moves_every_reminder(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    await answered(t)
    edited = await ok(bot, ORGANIZER, '/event edit id:1 start:"2026-11-27 18:00"')
    assert edited.text == (
        "Event 1 changed (start, end). Its announcements are updated in every channel. "
        "3 members coming told by DM. Reminders move with the new time."
    )
    await bot.app.settle()
    for place in POSTS:
        (edit,) = t.edits(place)
        assert f"When: {NEW_WHEN}" in edit and OLD_WHEN not in edit
    for name in ("ana", "bea", "cy"):
        (note,) = [m for m in t.at(f"DM {name}") if m.startswith("Changed:")]
        assert f"When: {OLD_WHEN} → {NEW_WHEN}" in note
    assert not [m for m in t.at("DM dee") if m.startswith("Changed:")]
    assert await pending(t, "event_reminder", "event_member_reminder", "event_start") == [
        ("event_reminder", datetime(2026, 11, 21, 0, 0, tzinfo=UTC)),  # 7 days before
        ("event_reminder", datetime(2026, 11, 27, 0, 0, tzinfo=UTC)),  # 1 day before
        ("event_member_reminder", datetime(2026, 11, 27, 21, 0, tzinfo=UTC)),  # cy's 3 hours
        ("event_reminder", datetime(2026, 11, 27, 22, 0, tzinfo=UTC)),  # 2 hours before
        ("event_start", datetime(2026, 11, 28, 0, 0, tzinfo=UTC)),
    ]
    # past the old time: only the new week-before reminder went out, nothing at the old times
    await t.step_to(datetime(2026, 11, 21, 1, 0, tzinfo=UTC))
    (week,) = [m for m in t.at("DM ana") if m.startswith("⏰")]
    assert "starts Fri Nov 27, 6:00 PM CST, in 7 days." in week
    assert not [m for m in t.at("DM cy") if m.startswith("⏰")]
    assert not any("Starting now" in text for _, text in t.messages())
    await t.step_to(datetime(2026, 11, 28, 1, 0, tzinfo=UTC))
    ana = [m for m in t.at("DM ana") if m.startswith("⏰")]
    assert [m.split(", in ")[1].split(".")[0] for m in ana] == ["7 days", "1 day", "2 hours"]
    cy = [m for m in t.at("DM cy") if m.startswith("⏰")]
    assert [m.split(", in ")[1].split(".")[0] for m in cy] == ["3 hours"]
    for place in POSTS:
        (start,) = [m for m in t.at(place) if m.startswith("Starting now")]
        assert start == "Starting now: “Chapter meeting” (event 1).\nWhere: Main library, room B"
    assert await t.count(AuditEntry, action="event.edit") == 1


async def test_sequence_capacity_nothing_to_change_and_bad_input(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    await answered(t)
    assert await sequence_of(t, 1) == 0
    await ok(bot, ORGANIZER, '/event edit id:1 title:"Chapter meeting (moved upstairs)"')
    assert await sequence_of(t, 1) == 1
    # a larger capacity gives the waiting member a place, and tells her; no calendar change
    grown = await ok(bot, ORGANIZER, "/event edit id:1 capacity:3")
    assert grown.text == (
        "Event 1 changed (capacity). Its announcements are updated in every channel. "
        "1 member moved up from the waitlist."
    )
    assert await sequence_of(t, 1) == 1
    await bot.app.settle()
    assert any(m.startswith("Good news: a place opened up") for m in t.at("DM dee"))
    # a smaller one removes no one
    shrunk = await ok(bot, ORGANIZER, "/event edit id:1 capacity:1")
    assert shrunk.text.endswith(
        "No one going loses their place: 3 are going for 1 place, and new answers join the "
        "waitlist."
    )
    attendees = await ok(bot, ORGANIZER, "/event attendees id:1")
    assert ("going", "3 of 1") in attendees.fields
    late = await ok(bot, "eve", "/event rsvp id:1 status:going")
    assert "waitlist: number 1" in late.text
    same = await ok(bot, ORGANIZER, '/event edit id:1 place:"Main library, room B"')
    assert same.text == "Event 1 already says that; nothing changed."
    assert (await refused(bot, ORGANIZER, "/event edit id:1")).startswith("id: say what to change")
    assert (await refused(bot, ORGANIZER, '/event edit id:1 end:"17:00"')).startswith(
        "end: must be after the start"
    )
    assert (await refused(bot, ORGANIZER, '/event edit id:1 start:"2026-10-01 09:00"')).startswith(
        "start: 2026-10-01 09:00 has already passed"
    )
    assert (await refused(bot, ORGANIZER, '/event edit id:1 end:"2026-12-30 09:00"')).startswith(
        "end: must be within 14 days of the start"
    )
    assert (await refused(bot, "ana", "/event edit id:1 capacity:50")).startswith(
        "/event edit needs the organizer role"
    )
    assert (await refused(bot, STRANGER, "/event edit id:1 capacity:50")).startswith(
        "id: there is no event 1 here"
    )
    assert (await refused(bot, STRANGER, "/event cancel id:1")).startswith(
        "id: there is no event 1 here"
    )
    shown = await ok(bot, "ana", "/event show id:1")
    assert "Chapter meeting (moved upstairs)" in shown.title and "Places: 1" in shown.text


async def test_a_rsvp_deadline_after_a_new_start_is_refused_with_the_way_out(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, ORGANIZER, LEGDAY)
    refusal = await refused(bot, ORGANIZER, '/event edit id:1 start:"2027-03-30 09:00"')
    assert refusal.startswith("start: is after the RSVP deadline") and "rsvp_by" in refusal
    moved = await ok(
        bot, ORGANIZER, '/event edit id:1 start:"2027-03-30 09:00" rsvp_by:"2027-03-20 17:00"'
    )
    assert moved.text.startswith("Event 1 changed (start, end, rsvp_by).")
    shown = await ok(bot, ORGANIZER, "/event show id:1")
    # the length (a day and eight hours) is kept
    assert "Tue Mar 30, 2027, 9:00 AM EDT – Wed Mar 31, 2027, 5:00 PM EDT" in shown.text


async def test_an_event_announced_before_posts_were_recorded_is_announced_afresh(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, ORGANIZER, MEETING)
    await bot.app.settle()
    async with bot.app.db.transaction() as conn:
        await conn.execute(delete(ChannelPost))
    edited = await ok(bot, ORGANIZER, '/event edit id:1 place:"Main library, room C"')
    assert edited.text == (
        "Event 1 changed (place). It had no announcement on record, so it was announced afresh "
        "in #alerts, discord #200000000000000001, slack #CALERTS."
    )
    await bot.app.settle()
    for place in POSTS:
        first, fresh = t.at(place)
        assert "Where: Main library, room B" in first and "Where: Main library, room C" in fresh
    # the fresh posts are recorded: the next edit edits them
    await ok(bot, ORGANIZER, '/event edit id:1 place:"Main library, room D"')
    await bot.app.settle()
    for place in POSTS:
        (edit,) = t.edits(place)
        assert "Where: Main library, room D" in edit


async def test_cancel_closes_the_posts_tells_everyone_once_and_sends_nothing_after(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    await answered(t)
    await ok(bot, "eve", "/event rsvp id:1 status:no")
    await ok(bot, ORGANIZER, '/event milestone id:1 title:"Agenda out" at:"2026-11-18 12:00"')
    assert (await refused(bot, "ana", "/event cancel id:1")).startswith(
        "/event cancel needs the organizer role"
    )
    cancelled = await ok(bot, ORGANIZER, '/event cancel id:1 reason:"The branch is closed."')
    assert cancelled.text == (
        "Event 1 is cancelled. Its announcements say so, with their buttons closed, and no "
        "reminder will be sent. 4 members who answered told by DM."
    )
    assert (
        await pending(
            t, "event_reminder", "event_member_reminder", "event_start", "event_milestone"
        )
        == []
    )
    await bot.app.settle()
    for place in POSTS:
        (edit,) = t.edits(place)
        assert edit.startswith("== Cancelled: Chapter meeting (event 1) ==")
        assert "Cancelled. The branch is closed." in edit
    for name in ("ana", "bea", "cy", "dee"):
        (note,) = [m for m in t.at(f"DM {name}") if m.startswith("Cancelled:")]
        assert note == (
            "Cancelled: “Chapter meeting” (event 1), Fri Nov 20, 6:00 PM – 7:30 PM CST. The "
            "branch is closed. There is nothing more to do; no reminders will be sent."
        )
    assert not t.at("DM eve")
    # an answer, typed or from an old button, is refused plainly
    assert (await refused(bot, "fay", "/event rsvp id:1 status:going")) == (
        "Event 1 is cancelled; there is nothing to answer."
    )
    going = next(b for b in t.screen.all_buttons if b.label == "Going")
    clicked = await bot.click("fay", going.action_id)
    assert clicked.error and clicked.text == "Event 1 is cancelled; there is nothing to answer."
    # not listed, not among members' events, shown as cancelled
    assert (await ok(bot, "ana", "/event list")).text == "There are no events coming up."
    assert (await ok(bot, "ana", "/event mine")).text.startswith("You have no events coming up.")
    shown = await ok(bot, "ana", "/event show id:1")
    assert shown.title == "Cancelled: Chapter meeting (event 1)"
    assert all(a.disabled for a in shown.actions)
    # doing it again changes nothing and tells no one twice
    assert (await refused(bot, ORGANIZER, "/event cancel id:1")) == "id: event 1 is cancelled"
    assert (await refused(bot, ORGANIZER, "/event edit id:1 capacity:9")) == (
        "id: event 1 is cancelled"
    )
    await t.step_to(datetime(2026, 11, 21, tzinfo=UTC))
    assert not any(text.startswith(("⏰", "Starting now")) for _, text in t.messages())
    assert await t.count(AuditEntry, action="event.cancel") == 1


async def test_start_message_off_on_create_and_on_again_by_edit(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, ORGANIZER, f"{MEETING} start_message:no reminders:none")
    assert await pending(t, "event_start") == []
    await ok(bot, ORGANIZER, "/event edit id:1 start_message:yes")
    assert await pending(t, "event_start") == [
        ("event_start", datetime(2026, 11, 21, 0, 0, tzinfo=UTC))
    ]
    assert await sequence_of(t, 1) == 0  # not a change a calendar shows
    await ok(bot, ORGANIZER, "/event edit id:1 start_message:no")
    assert await pending(t, "event_start") == []
    await ok(bot, ORGANIZER, "/event edit id:1 start_message:yes")
    await t.step_to(datetime(2026, 11, 21, 1, 0, tzinfo=UTC))
    for place in POSTS:
        assert len([m for m in t.at(place) if m.startswith("Starting now")]) == 1


async def test_the_edit_button_opens_the_form_for_organizers_and_refuses_members(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, ORGANIZER, MEETING)
    await bot.app.settle()
    button = next(b for b in t.screen.all_buttons if b.label == "Edit")
    assert button.action_id == "event.edit?id=1"
    member = await bot.click("ana", button.action_id)
    assert member.error and member.text.startswith("/event edit needs the organizer role")
    opened = await bot.app.dispatcher.handle_interaction(
        bot.invocation(ORGANIZER, interactive=True), button.action_id
    )
    assert opened.form is not None and opened.form.id == "event.edit?id=1"
    filled = {f.name: f.default for f in opened.form.fields}
    assert filled["start"] == "2026-11-20 18:00" and filled["capacity"] == "2"
    # submitting it unchanged changes nothing; with a new place, the place
    same = await bot.click(ORGANIZER, opened.form.id, filled)
    assert same.text == "Event 1 already says that; nothing changed."
    changed = await bot.click(ORGANIZER, opened.form.id, {**filled, "place": "Room C"})
    assert changed.text.startswith("Event 1 changed (place).")
    # members see no Edit button on /event show
    shown = await ok(bot, "ana", "/event show id:1")
    assert [a.label for a in shown.actions] == ["Going", "Maybe", "Can't go"]


async def test_meetings_and_milestones_edited_and_removed_move_or_cancel_reminders(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, ORGANIZER, LEGDAY)
    await ok(bot, "ana", "/event rsvp id:1 status:going state:IL")
    added = await ok(
        bot,
        ORGANIZER,
        '/event meeting id:1 state:IL office:"Sen. Duckworth\'s office" '
        'legislator:"Sen. Tammy Duckworth" at:"2027-04-12 14:00"',
    )
    assert "(meeting 1)" in added.text
    await ok(bot, ORGANIZER, '/event milestone id:1 title:"Hotel block ends" at:"2027-03-20 17:00"')
    await ok(bot, ORGANIZER, '/event milestone id:1 title:"Briefing call" at:"2027-04-01 19:00"')
    shown = await ok(bot, ORGANIZER, "/event show id:1")
    assert "Meeting 1: IL delegation with Sen. Tammy Duckworth" in shown.text
    assert (
        "Milestone 1: Hotel block ends" in shown.text and "Milestone 2: Briefing call" in shown.text
    )
    moved = await ok(
        bot, ORGANIZER, '/event meeting-edit meeting:1 at:"2027-04-12 15:30" place:"Hart 524"'
    )
    assert moved.text.startswith("Meeting 1 changed (at, place): the IL delegation meets")
    assert moved.text.endswith("Hart 524. Its reminders move with it.")
    assert await pending(t, "event_meeting") == [
        ("event_meeting", datetime(2027, 4, 11, 19, 30, tzinfo=UTC)),  # the day before
        ("event_meeting", datetime(2027, 4, 12, 18, 30, tzinfo=UTC)),  # an hour before
    ]
    edited = await ok(bot, ORGANIZER, '/event milestone-edit milestone:1 at:"2027-03-22 17:00"')
    assert edited.text.startswith("Milestone 1 changed (at): Hotel block ends")
    removed = await ok(bot, ORGANIZER, "/event milestone-remove milestone:2")
    assert removed.text == (
        "Milestone 2 (Briefing call) is removed; no reminder will be sent for it."
    )
    assert await pending(t, "event_milestone") == [
        ("event_milestone", datetime(2027, 3, 21, 21, 0, tzinfo=UTC))
    ]
    assert (await refused(bot, "ana", "/event meeting-remove meeting:1")).startswith(
        "/event meeting-remove needs the organizer role"
    )
    assert (await refused(bot, STRANGER, "/event meeting-remove meeting:1")).startswith(
        "meeting: there is no meeting 1 here"
    )
    assert (await refused(bot, STRANGER, "/event milestone-edit milestone:1 title:X")).startswith(
        "milestone: there is no milestone 1 here"
    )
    assert (await refused(bot, ORGANIZER, "/event meeting-edit meeting:1")).startswith(
        "meeting: say what to change"
    )
    # past the old times: nothing was sent at them
    await t.step_to(datetime(2027, 3, 20, 23, 0, tzinfo=UTC))
    assert not [m for m in t.at("DM ana") if m.startswith("⏰")]
    await t.step_to(datetime(2027, 4, 2, tzinfo=UTC))
    (hotel,) = [m for m in t.at("DM ana") if m.startswith("⏰")]
    assert "Hotel block ends, Mon Mar 22, 5:00 PM EDT" in hotel
    gone = await ok(bot, ORGANIZER, "/event meeting-remove meeting:1")
    assert gone.text.startswith("Meeting 1 (IL delegation with Sen. Tammy Duckworth) is removed")
    await t.step_to(datetime(2027, 4, 13, tzinfo=UTC))
    assert not [m for m in t.at("DM ana") if "meets" in m]
    assert "Duckworth" not in (await ok(bot, "ana", "/event mine")).text


async def test_a_lead_who_cannot_go_is_no_longer_named_lead(
    database: Database, tmp_path: Path
) -> None:
    t = await event_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, ORGANIZER, LEGDAY)
    await ok(bot, "ana", "/event rsvp id:1 status:going state:IL")
    await ok(bot, "bea", "/event rsvp id:1 status:going state:IL")
    await ok(bot, ORGANIZER, "/event lead id:1 member:ana")
    left = await ok(bot, "ana", "/event rsvp id:1 status:no")
    assert left.text.endswith(
        "You no longer lead the IL delegation; organizers can name another lead."
    )
    assert (
        "Delegation: Illinois (lead: not named yet)" in (await ok(bot, "bea", "/event mine")).text
    )
    named = await ok(bot, ORGANIZER, "/event lead id:1 member:bea")
    assert named.text == "bea leads the IL delegation at event 1."
    assert "(lead: Bea)" in (await ok(bot, "bea", "/event mine")).text

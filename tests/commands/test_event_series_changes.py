"""/event edit and /event cancel on a repeating event, on both databases: one date
(occurrence:), a date and the later ones (from:), or the whole series; the dates made later
follow, and a date keeps the name its series gave it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from commands.events.series import ROLL
from storage.db import Database
from storage.models import Event, EventSeries
from tests.commands.test_event_series import BOOK_CLUB, ORGANIZER, SeriesBot, local, series_bot
from tests.support import ok, refused


async def rows(t: SeriesBot) -> list[tuple[int, datetime, datetime, str, str | None, str]]:
    """(id, occurrence_start, starts_at, state, place, title) of every date, in rule order."""
    async with t.bot.app.db.transaction() as conn:
        found = await conn.execute(
            select(
                Event.id,
                Event.occurrence_start,
                Event.starts_at,
                Event.state,
                Event.place,
                Event.title,
            ).order_by(Event.occurrence_start)
        )
        return [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in found]


async def test_cancel_one_date_keeps_the_others_and_it_is_never_made_again(
    database: Database, tmp_path: Path
) -> None:
    t = await series_bot(database, tmp_path)
    await ok(t.bot, ORGANIZER, BOOK_CLUB)
    await ok(t.bot, "ana", "/event rsvp id:1 status:going occurrence:11/24")
    done = await ok(t.bot, ORGANIZER, "/event cancel id:1 occurrence:11/24 reason:snow")
    assert done.text.startswith("Event 2 is cancelled.")
    await t.bot.app.settle()
    (note,) = t.at("DM ana")
    assert "Book club" in note and "snow" in note
    await t.step_to(local(2026, 12, 1, 19))
    found = await rows(t)
    assert [(r[0], r[3]) for r in found] == [(1, "scheduled"), (2, "cancelled"), (3, "scheduled")]
    assert "(event 2)" not in " ".join(t.announced())  # a cancelled date is not announced
    again = await refused(t.bot, ORGANIZER, "/event cancel id:3 occurrence:11/24")
    assert again == "id: event 2 is cancelled"


async def test_cancel_from_a_date_ends_the_rule_there(database: Database, tmp_path: Path) -> None:
    t = await series_bot(database, tmp_path)
    await ok(t.bot, ORGANIZER, BOOK_CLUB)
    await ok(t.bot, "bea", "/event rsvp id:1 status:going occurrence:12/22")  # event 2
    done = await ok(t.bot, ORGANIZER, "/event cancel id:1 from:12/8")
    assert done.text.startswith(
        "Cancelled: “Book club” from Tue Dec 8, 7:00 PM CST on (1 date to come made so far); "
        "no later date will be made."
    )
    await t.step_to(local(2027, 1, 20, 19))
    found = await rows(t)
    assert [(r[1], r[3]) for r in found] == [
        (local(2026, 11, 10, 19), "scheduled"),
        (local(2026, 11, 24, 19), "scheduled"),
        (local(2026, 12, 22, 19), "cancelled"),
    ]
    async with t.bot.app.db.transaction() as conn:
        (until, state) = (await conn.execute(select(EventSeries.until, EventSeries.state))).one()
    assert until < local(2026, 12, 8, 19) and state == "scheduled"
    assert await t.due(ROLL) == []


async def test_cancel_the_whole_series_stops_the_rolling(
    database: Database, tmp_path: Path
) -> None:
    t = await series_bot(database, tmp_path)
    await ok(t.bot, ORGANIZER, BOOK_CLUB)
    await t.step_to(local(2026, 11, 17, 19))
    assert len(await rows(t)) == 2
    done = await ok(t.bot, ORGANIZER, "/event cancel id:2")
    assert done.text.startswith("Cancelled: “Book club” on every date (1 date to come made")
    await t.step_to(local(2027, 2, 1, 19))
    # the date that is over stays as it was
    assert [r[3] for r in await rows(t)] == ["scheduled", "cancelled"]
    assert await t.due(ROLL) == []
    text = await refused(t.bot, ORGANIZER, "/event cancel id:1")
    assert text == "id: the series of event 1 is cancelled"


async def test_edit_one_date_moves_it_and_keeps_its_name(
    database: Database, tmp_path: Path
) -> None:
    t = await series_bot(database, tmp_path)
    await ok(t.bot, ORGANIZER, BOOK_CLUB)
    done = await ok(t.bot, ORGANIZER, '/event edit id:1 occurrence:11/24 start:"2026-11-25 18:00"')
    assert done.text.startswith("Event 2 changed (start")
    (first, moved) = await rows(t)
    assert moved[1] == local(2026, 11, 24, 19) and moved[2] == local(2026, 11, 25, 18)
    assert first[2] == local(2026, 11, 10, 19)
    # still named by the date its series gave it
    answer = await ok(t.bot, "ana", "/event rsvp id:1 status:going occurrence:11/24")
    assert "(event 2), Wed Nov 25, 6:00 PM" in answer.text


async def test_edit_from_a_date_changes_it_and_the_dates_made_later(
    database: Database, tmp_path: Path
) -> None:
    t = await series_bot(database, tmp_path)
    await ok(t.bot, ORGANIZER, BOOK_CLUB)
    done = await ok(t.bot, ORGANIZER, '/event edit id:1 from:12/8 start:18:00 place:"Room C"')
    assert done.text.startswith("Changed: “Book club” from Tue Dec 8, 7:00 PM CST on (0 dates")
    await t.step_to(local(2027, 1, 1, 12))
    found = await rows(t)
    assert [(r[1], r[2], r[4]) for r in found] == [
        (local(2026, 11, 10, 19), local(2026, 11, 10, 19), "Room B"),
        (local(2026, 11, 24, 19), local(2026, 11, 24, 19), "Room B"),
        (local(2026, 12, 8, 19), local(2026, 12, 8, 18), "Room C"),
        (local(2026, 12, 22, 19), local(2026, 12, 22, 18), "Room C"),
        (local(2027, 1, 5, 19), local(2027, 1, 5, 18), "Room C"),
    ]


async def test_edit_every_date_changes_the_series(database: Database, tmp_path: Path) -> None:
    t = await series_bot(database, tmp_path)
    await ok(t.bot, ORGANIZER, BOOK_CLUB)
    await t.step_to(local(2026, 11, 17, 19))
    done = await ok(t.bot, ORGANIZER, '/event edit id:2 title:"Readers\' circle"')
    assert done.text.startswith("Changed: “Book club” on every date (1 date to come made so far")
    await t.step_to(local(2026, 12, 1, 19))
    assert [r[5] for r in await rows(t)] == ["Book club", "Readers' circle", "Readers' circle"]


async def test_scoped_changes_refused_with_the_field_named(
    database: Database, tmp_path: Path
) -> None:
    t = await series_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, ORGANIZER, BOOK_CLUB)
    await ok(bot, ORGANIZER, '/event create title:Once kind:rally start:"2026-11-20 12:00"')
    cases = {
        "/event cancel id:1 occurrence:11/24 from:12/8": "from: give occurrence (one date) or",
        "/event cancel id:2 from:11/20": "from: event 2 does not repeat; leave from out",
        "/event edit id:1 from:12/8 timezone:America/New_York": "timezone: cannot change for",
        '/event edit id:1 start:"2026-12-09 18:00"': "start: for several dates, give a time",
        "/event edit id:1 rsvp_by:2026-11-09": "rsvp_by: give it for one date",
        "/event edit id:1 from:12/9 place:X": "from: the series (every 2 weeks on Tuesday",
        "/event edit id:1": "id: say what to change",
    }
    for line, start in cases.items():
        assert (await refused(bot, ORGANIZER, line)).startswith(start), line
    for line in ("/event cancel id:1 occurrence:11/24", "/event edit id:1 place:Y"):
        text = await refused(bot, "ana", line)
        assert text.startswith("/event "), text
    found = await rows(t)
    assert all(r[3] == "scheduled" and r[4] in ("Room B", None) for r in found)


async def test_a_series_time_change_keeps_wall_clock_across_daylight_saving(
    database: Database, tmp_path: Path
) -> None:
    t = await series_bot(database, tmp_path)
    await ok(
        t.bot,
        ORGANIZER,
        '/event create title:Shift kind:meeting start:"2027-03-02 19:00" repeat:"every week" '
        "count:4",
    )
    await ok(t.bot, ORGANIZER, "/event edit id:1 start:6pm")
    for day in ("3/9", "3/16", "3/23"):
        await ok(t.bot, "ana", f"/event rsvp id:1 status:maybe occurrence:{day}")
    starts = [r[2] for r in await rows(t)]
    assert starts == [
        datetime(2027, 3, 3, 0, tzinfo=UTC),  # 6 PM CST
        datetime(2027, 3, 10, 0, tzinfo=UTC),
        datetime(2027, 3, 16, 23, tzinfo=UTC),  # 6 PM CDT after March 14
        datetime(2027, 3, 23, 23, tzinfo=UTC),
    ]


async def test_a_date_changed_before_its_announcement_is_announced_once_at_its_time(
    database: Database, tmp_path: Path
) -> None:
    t = await series_bot(database, tmp_path)
    await ok(t.bot, ORGANIZER, BOOK_CLUB)
    await ok(t.bot, "ana", "/event rsvp id:1 status:going occurrence:12/22")  # event 2
    await ok(t.bot, ORGANIZER, '/event edit id:1 occurrence:12/22 place:"Room D"')
    await ok(t.bot, ORGANIZER, "/event edit id:1 from:12/22 start:6pm")
    await t.bot.app.settle()
    assert "(event 2)" not in " ".join(t.announced())  # not before its time
    await t.step_to(local(2026, 12, 15, 18))
    (post,) = [text for text in t.at("slack #CALERTS") if "(event 2)" in text]
    assert "When: Tue Dec 22, 6:00 PM – 7:30 PM CST" in post and "Where: Room D" in post
    shown = await ok(t.bot, "ana", "/event show id:2")
    assert "Repeats every 2 weeks on Tuesday at 6:00 PM." in shown.text


async def test_the_edit_button_on_a_date_changes_that_date(
    database: Database, tmp_path: Path
) -> None:
    t = await series_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, ORGANIZER, BOOK_CLUB)
    await t.step_to(local(2026, 11, 3, 19))
    button = next(b for b in t.screen.all_buttons if b.label == "Edit")
    opened = await bot.app.dispatcher.handle_interaction(
        bot.invocation(ORGANIZER, interactive=True), button.action_id
    )
    assert opened.form is not None and opened.form.title == "Edit event 1 (this date)"
    assert opened.form.id == "event.edit?id=1&occurrence=2026-11-10"
    filled = {f.name: f.default for f in opened.form.fields}
    same = await bot.click(ORGANIZER, opened.form.id, filled)
    assert same.text == "Event 1 already says that; nothing changed."
    changed = await bot.click(ORGANIZER, opened.form.id, {**filled, "start": "2026-11-10 18:00"})
    assert changed.text.startswith("Event 1 changed (start")
    await ok(bot, "ana", "/event rsvp id:1 status:going occurrence:11/24")
    assert [r[2] for r in await rows(t)] == [local(2026, 11, 10, 18), local(2026, 11, 24, 19)]

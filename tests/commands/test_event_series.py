"""Repeating events through the dispatcher, scheduler and delivery engine, on both databases:
create with repeat:, occurrences rolled forward and announced ahead (restart-safe), answers
for one occurrence, and the refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from commands.events.series import ROLL
from storage import queue
from storage.db import Database
from storage.models import DueItem, Event, EventRsvp, EventSeries
from tests.support import ConsoleBot, Person, ok, refused

START = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # Monday 9:00 in Chicago
CHICAGO = ZoneInfo("America/Chicago")
ORGANIZER = Person("olu", roles=frozenset({"organizer"}))
BOOK_CLUB = (
    '/event create title:"Book club" kind:meeting start:"2026-11-10 19:00" end:"20:30" '
    'repeat:"every 2 weeks" place:"Room B"'
)
ALERTS = "slack #CALERTS"


class SeriesBot(ConsoleBot):
    """A console bot that reads the stored occurrences and due items."""

    async def occurrences(self) -> list[tuple[int, datetime, datetime, str]]:
        """(id, occurrence_start, starts_at, state) of every occurrence, in rule order."""
        async with self.bot.app.db.transaction() as conn:
            rows = await conn.execute(
                select(Event.id, Event.occurrence_start, Event.starts_at, Event.state)
                .where(Event.series_id.is_not(None))
                .order_by(Event.occurrence_start)
            )
            return [(row[0], row[1], row[2], row[3]) for row in rows]

    async def due(self, kind: str) -> list[tuple[datetime, str]]:
        """The pending due items of a kind: (due_at, key), soonest first."""
        async with self.bot.app.db.transaction() as conn:
            rows = await conn.execute(
                select(DueItem.due_at, DueItem.key)
                .where(DueItem.kind == kind, DueItem.state == "pending")
                .order_by(DueItem.due_at)
            )
            return [(row[0], row[1]) for row in rows]

    def announced(self, place: str = ALERTS) -> list[str]:
        """The titles of the announcements posted at ``place``, in order."""
        return [text.splitlines()[0] for text in self.at(place) if text.startswith("== ")]


def local(*parts: int) -> datetime:
    """A wall-clock time in Chicago as UTC."""
    return datetime(*parts, tzinfo=CHICAGO).astimezone(UTC)


async def series_bot(database: Database, tmp_path: Path) -> SeriesBot:
    """A console bot at START (Monday 9:00 in Chicago) on ``database``."""
    return await SeriesBot.start(database, tmp_path, start=START)


async def test_create_names_the_rule_and_next_dates_and_announces_each_date_a_week_ahead(
    database: Database, tmp_path: Path
) -> None:
    t = await series_bot(database, tmp_path)
    created = await ok(t.bot, ORGANIZER, BOOK_CLUB)
    assert created.title == "Event 1 created, repeating"
    assert created.text.startswith(
        "Meeting “Book club”, every 2 weeks on Tuesday at 7:00 PM. Next dates: "
        "Tue Nov 10, 7:00 PM CST; Tue Nov 24, 7:00 PM CST; Tue Dec 8, 7:00 PM CST. "
        "Each date is announced in #alerts, discord #200000000000000001, slack #CALERTS "
        "7 days before it; reminders 7d, 1d, 2h before each."
    )
    assert "/event rsvp id:1 occurrence:DATE" in created.text
    # the first date is 8 days ahead: made now (it has a number to answer), announced later
    assert await t.occurrences() == [
        (1, local(2026, 11, 10, 19), local(2026, 11, 10, 19), "scheduled")
    ]
    await t.bot.app.settle()
    assert t.announced() == []
    assert await t.due("event_announce") == [(local(2026, 11, 3, 19), "event:1:announce")]
    await t.step_to(local(2026, 11, 3, 19))
    assert t.announced() == ["== Meeting: Book club (event 1) =="]
    # the next date is made a day before it is announced, then announced a week ahead
    await t.step_to(local(2026, 11, 16, 19))
    assert [row[0] for row in await t.occurrences()] == [1, 2]
    assert t.announced() == ["== Meeting: Book club (event 1) =="]
    await t.step_to(local(2026, 11, 17, 19))
    assert t.announced() == [
        "== Meeting: Book club (event 1) ==",
        "== Meeting: Book club (event 2) ==",
    ]
    (second,) = [text for text in t.at(ALERTS) if "(event 2)" in text]
    assert "When: Tue Nov 24, 7:00 PM – 8:30 PM CST" in second
    assert "Where: Room B" in second
    # each occurrence has the template's reminders: 7 days, 1 day and 2 hours before
    async with t.bot.app.db.transaction() as conn:
        reminders = await conn.execute(
            select(DueItem.due_at).where(DueItem.kind == "event_reminder", DueItem.ref_id == 2)
        )
        assert sorted(at for (at,) in reminders) == [
            local(2026, 11, 17, 19),
            local(2026, 11, 23, 19),
            local(2026, 11, 24, 17),
        ]


async def test_a_date_within_the_window_is_announced_at_create(
    database: Database, tmp_path: Path
) -> None:
    t = await series_bot(database, tmp_path)
    created = await ok(
        t.bot,
        ORGANIZER,
        '/event create title:Standup kind:meeting start:"2026-11-04 12:00" repeat:"every weekday" '
        "count:5",
    )
    assert "every weekday (Monday to Friday) at 12:00 PM, 5 times" in created.text
    await t.bot.app.settle()
    # Wed to Fri fall within the week ahead (and the day's margin): made and announced now
    assert [start for _, start, _, _ in await t.occurrences()] == [
        local(2026, 11, 4, 12),
        local(2026, 11, 5, 12),
        local(2026, 11, 6, 12),
        local(2026, 11, 9, 12),
        local(2026, 11, 10, 12),
    ][: len(await t.occurrences())]
    assert t.announced()[:3] == [
        "== Meeting: Standup (event 1) ==",
        "== Meeting: Standup (event 2) ==",
        "== Meeting: Standup (event 3) ==",
    ]
    await t.step_to(local(2026, 11, 20, 12))
    assert len(await t.occurrences()) == 5  # count:5 and no more
    assert len(t.announced()) == 5
    assert await t.due(ROLL) == []


async def test_rolling_twice_or_after_a_restart_makes_nothing_twice(
    database: Database, tmp_path: Path
) -> None:
    t = await series_bot(database, tmp_path)
    await ok(t.bot, ORGANIZER, BOOK_CLUB)
    await t.step_to(local(2026, 11, 17, 19))
    made = await t.occurrences()
    assert [row[0] for row in made] == [1, 2]
    # the roll run again (a second process, a repeated item) and a bot started afresh
    async with t.bot.app.db.transaction() as conn:
        for key in ("again-1", "again-2"):
            await queue.schedule(
                conn, kind=ROLL, due_at=t.bot.clock.now(), key=key, ref_id=1, org_id=1
            )
    await t.bot.app.settle()
    await t.bot.app.stop()
    again = await SeriesBot.start(database, tmp_path, start=t.bot.clock.now())
    await again.bot.app.settle()
    assert await again.occurrences() == made
    assert again.announced() == []  # nothing announced twice after the restart
    await again.step_to(local(2026, 12, 1, 19))
    assert [row[0] for row in await again.occurrences()] == [1, 2, 3]
    assert again.announced() == ["== Meeting: Book club (event 3) =="]
    async with again.bot.app.db.transaction() as conn:
        (rolled,) = (await conn.execute(select(EventSeries.rolled_until))).one()
    assert rolled == local(2026, 12, 8, 19)


async def test_dates_across_daylight_saving_keep_their_wall_clock_time(
    database: Database, tmp_path: Path
) -> None:
    t = await series_bot(database, tmp_path)
    await ok(
        t.bot,
        ORGANIZER,
        '/event create title:"Steward training" kind:training start:"2027-03-02 19:00" '
        'end:"21:00" repeat:"every week" until:2027-03-23',
    )
    for day in ("3/9", "2027-03-16", '"Mar 23"'):
        await ok(t.bot, "ana", f"/event rsvp id:1 status:going occurrence:{day}")
    found = await t.occurrences()
    # US daylight saving time begins on Sunday 2027-03-14: 7 PM is 01:00 UTC, then 00:00
    assert [start for _, start, _, _ in found] == [
        datetime(2027, 3, 3, 1, tzinfo=UTC),
        datetime(2027, 3, 10, 1, tzinfo=UTC),
        datetime(2027, 3, 17, 0, tzinfo=UTC),
        datetime(2027, 3, 24, 0, tzinfo=UTC),
    ]
    async with t.bot.app.db.transaction() as conn:
        ends = [at for (at,) in await conn.execute(select(Event.ends_at).order_by(Event.id))]
    assert [at.astimezone(CHICAGO).hour for at in ends] == [21, 21, 21, 21]
    past_until = await refused(t.bot, "ana", "/event rsvp id:1 status:going occurrence:3/30")
    assert past_until.startswith(
        "occurrence: the series (every week on Tuesday at 7:00 PM, until Mar 23, 2027) has no "
        "date on 3/30"
    )


async def test_an_occurrence_answer_counts_for_that_date_only(
    database: Database, tmp_path: Path
) -> None:
    t = await series_bot(database, tmp_path)
    await ok(t.bot, ORGANIZER, BOOK_CLUB + " capacity:1")
    # a date far beyond those made so far is made when someone answers for it
    answer = await ok(t.bot, "ana", "/event rsvp id:1 status:going occurrence:2027-01-19")
    assert answer.text.startswith("You're going to “Book club” (event 2), Tue Jan 19, 2027")
    bea = await ok(t.bot, "bea", '/event rsvp id:2 status:going occurrence:"Nov 10"')
    assert "(event 1)" in bea.text and bea.text.startswith("You're going")
    full = await ok(t.bot, "cy", "/event rsvp id:1 status:going occurrence:1/19")
    assert "is full, so you are on the waitlist" in full.text  # the Jan 19 date's seat is ana's
    async with t.bot.app.db.transaction() as conn:
        rows = await conn.execute(
            select(EventRsvp.event_id, EventRsvp.status).order_by(EventRsvp.event_id)
        )
        assert sorted((e, s) for e, s in rows) == [(1, "going"), (2, "going"), (2, "waitlisted")]
    listed = await ok(t.bot, "ana", "/event mine")
    assert "Book club (event 2)" in listed.text and "(event 1)" not in listed.text
    # the rolled series later reaches that date and leaves the answered one as it is
    await t.step_to(local(2027, 1, 12, 19))
    dates = [start for _, start, _, _ in await t.occurrences()]
    assert dates == sorted(set(dates)) and local(2027, 1, 19, 19) in dates
    async with t.bot.app.db.transaction() as conn:
        answered = await conn.execute(select(EventRsvp.event_id).where(EventRsvp.status == "going"))
        assert sorted(e for (e,) in answered) == [1, 2]


async def test_refusals_name_the_field_and_store_nothing(
    database: Database, tmp_path: Path
) -> None:
    t = await series_bot(database, tmp_path)
    bot = t.bot
    base = '/event create title:X kind:meeting start:"2026-11-10 19:00"'
    cases = {
        f'{base} repeat:"every blue moon"': "repeat: 'every blue moon' is not a repeat I know",
        f'{base} repeat:"every week" until:2027-01-01 count:3': "count: give until or count",
        f"{base} until:2027-01-01": "until: is for a repeating event; give repeat: too",
        f"{base} count:4": "count: is for a repeating event",
        f'{base} repeat:"every week" count:500': "count: must be from 2 to 200 (got 500)",
        f'{base} repeat:"every day" until:2026-11-01': "until: 2026-11-01 has already passed",
        f'{base} repeat:"every week" until:2026-11-09': "until: must be on or after the first",
        f'{base} repeat:"every 6th friday"': "repeat: a month has at most 5 fridays",
    }
    for line, start in cases.items():
        assert (await refused(bot, ORGANIZER, line)).startswith(start), line
    assert (await refused(bot, "ana", BOOK_CLUB)).startswith("/event create needs the organizer")
    plain = await ok(bot, ORGANIZER, '/event create title:Once kind:rally start:"2026-11-20 12:00"')
    assert plain.title == "Event 1 created"
    not_series = await refused(bot, "ana", "/event rsvp id:1 status:going occurrence:11/20")
    assert not_series == "occurrence: event 1 does not repeat; leave occurrence out"
    await ok(bot, ORGANIZER, BOOK_CLUB)
    for day, rule in (
        (
            "11/11",
            "the series (every 2 weeks on Tuesday at 7:00 PM) has no date on 11/11; its "
            "next dates: Tue Nov 10, 7:00 PM CST; Tue Nov 24, 7:00 PM CST; Tue Dec 8, 7:00 PM CST",
        ),
        ("someday", "'someday' is not a date; give a date such as"),
        ("2/30", "'2/30' is not a date"),
    ):
        text = await refused(bot, "ana", f"/event rsvp id:2 status:going occurrence:{day}")
        assert text.startswith(f"occurrence: {rule}"), text
    # a date far ahead is not made for an answer, and one that is over takes none
    far = await refused(bot, "ana", "/event rsvp id:2 status:going occurrence:2029-01-02")
    assert far == "occurrence: give a date within two years from today"
    await t.step_to(local(2026, 11, 30, 12))
    over = await refused(bot, "ana", "/event rsvp id:2 status:going occurrence:2026-11-24")
    assert over == "Event 3 is over."
    # an event of another organization is not found by its number
    other = Person("wil", platform="slack", space="TWI")
    text = await refused(bot, other, "/event rsvp id:2 status:going occurrence:11/24")
    assert text.startswith("id: there is no event 2 here")
    assert await t.count(EventSeries) == 1 and await t.count(EventRsvp) == 0
    assert await t.count(Event) == 3  # the one-time event and the two dates rolled so far


async def test_far_dates_are_not_made_before_their_time(database: Database, tmp_path: Path) -> None:
    t = await series_bot(database, tmp_path)
    await ok(
        t.bot,
        ORGANIZER,
        '/event create title:Daily kind:meeting start:"2026-11-03 08:00" repeat:"every day"',
    )
    made = await t.occurrences()
    assert len(made) == 8  # within 7 days and the day's margin: Nov 3 to Nov 10
    assert made[-1][1] <= START + timedelta(days=8)
    (roll,) = await t.due(ROLL)
    assert roll == (local(2026, 11, 3, 8), "event_series:1:roll:20261111T1400")


async def test_list_and_show_name_the_rule(database: Database, tmp_path: Path) -> None:
    t = await series_bot(database, tmp_path)
    await ok(t.bot, ORGANIZER, BOOK_CLUB)
    await ok(t.bot, "ana", "/event rsvp id:1 status:going occurrence:11/24")
    listed = await ok(t.bot, "ana", "/event list")
    assert listed.table is not None
    assert [row[3] for row in listed.table.rows] == [
        "Tue Nov 10, 7:00 PM – 8:30 PM CST; repeats every 2 weeks on Tuesday at 7:00 PM",
        "Tue Nov 24, 7:00 PM – 8:30 PM CST; repeats every 2 weeks on Tuesday at 7:00 PM",
    ]
    shown = await ok(t.bot, "ana", "/event show id:2")
    assert (
        "Repeats every 2 weeks on Tuesday at 7:00 PM. This is the date of Tue Nov 24, 2026. "
        "Next dates: Tue Nov 10, 7:00 PM CST; Tue Nov 24, 7:00 PM CST; Tue Dec 8, 7:00 PM CST. "
        "Answer for another date: /event rsvp id:2 status:going occurrence:DATE"
    ) in shown.text
    assert "You are going." in shown.text


async def test_console_script_creates_a_series_and_answers_for_one_date(
    database: Database, tmp_path: Path
) -> None:
    t = await series_bot(database, tmp_path)
    out = await t.run_console(
        "\n".join(
            [
                "!as olu organizer",
                '/event create title:"Book club" kind:meeting start:"2026-11-05 18:00" '
                'repeat:"every 2nd thursday" until:2027-03-31',
                "!as ana",
                '/event rsvp id:1 status:going occurrence:"Jan 14"',
                "/event mine",
            ]
        )
        + "\n"
    )
    assert "Event 1 created, repeating" in out
    assert "the second Thursday of each month at 6:00 PM, until Mar 31, 2027" in out
    assert "Next dates: Thu Nov 12, 6:00 PM CST; Thu Dec 10, 6:00 PM CST; Thu Jan 14, 2027" in out
    assert "You're going to “Book club” (event 2), Thu Jan 14, 2027" in out
    assert "Book club (event 2)" in out.split("/event mine")[-1]


async def test_the_series_rolls_on_after_its_organizer_erases_their_records(
    database: Database, tmp_path: Path
) -> None:
    t = await series_bot(database, tmp_path)
    await ok(t.bot, ORGANIZER, BOOK_CLUB)
    await ok(t.bot, ORGANIZER, "/privacy delete confirm:yes")
    await t.step_to(local(2026, 11, 17, 19))
    assert [row[0] for row in await t.occurrences()] == [1, 2]
    async with t.bot.app.db.transaction() as conn:
        makers = await conn.execute(select(Event.created_by).order_by(Event.id))
        assert [m for (m,) in makers] == [None, None]

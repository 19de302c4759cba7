"""/reminder add with dates and repeats as people say them, through the dispatcher and the
scheduler on both databases; reminders stored in the older repeat form keep working."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from storage.db import Database
from storage.models import Reminder
from storage.queue import schedule
from storage.reminders import add_reminder
from tests.commands.test_reminders import reminder_bot, step_to
from tests.support import Bot

# Thursday 2026-12-03, 10:00 CST
THURSDAY = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    """An aware UTC datetime, for short expected values."""
    return datetime(*parts, tzinfo=UTC)


async def stored(bot: Bot) -> list[tuple[int, str | None]]:
    """Each reminder's id and stored repeat, by id."""
    async with bot.app.db.reading() as conn:
        rows = await conn.execute(select(Reminder.id, Reminder.recurrence).order_by(Reminder.id))
        return [(row.id, row.recurrence) for row in rows]


async def fire_times(bot: Bot, times: int) -> list[datetime]:
    """Let the next ``times`` due items fall due, one after the other; their times."""
    fired = []
    for _ in range(times):
        upcoming = await bot.app.scheduler.next_due()
        assert upcoming is not None
        fired.append(upcoming)
        await step_to(bot, upcoming)
    return fired


async def test_a_date_phrase_and_a_zone_name(database: Database) -> None:
    bot, out = await reminder_bot(database, THURSDAY)
    profile = await bot.say("ana", '/profile timezone:"new york"')
    assert dict(profile.fields)["timezone"] == "America/New_York", profile.text
    reply = await bot.say("ana", '/reminder add when:"Dec 25 9am" text:"Holiday shift swap"')
    assert reply.text.startswith("Reminder 1 set for Fri Dec 25, 9:00 AM EST"), reply.text
    assert await fire_times(bot, 1) == [utc(2026, 12, 25, 14)]
    assert "[DM ana] ⏰ Reminder: Holiday shift swap" in out.getvalue()
    reply = await bot.say("ana", '/reminder add when:"the 3rd at noon" text:"Dues"')
    assert reply.text.startswith("Reminder 2 set for Sun Jan 3, 2027, 12:00 PM EST"), reply.text
    refused = await bot.say("ana", '/reminder add when:"Dec 1 9am" text:x')
    assert refused.error and refused.text == (
        'when: dec 1 9am has passed this year; give the year, e.g. "2027-12-01 09:00"'
    )


async def test_every_first_monday_fires_monthly_and_says_so(database: Database) -> None:
    bot, out = await reminder_bot(database, THURSDAY)
    reply = await bot.say("ana", '/reminder add when:"every first monday 9am" text:"Meeting"')
    assert reply.text.startswith("Reminder 1 set for Mon Dec 7, 9:00 AM CST"), reply.text
    assert reply.text.endswith(
        ", then the first Monday of each month at 9:00. I'll send it by direct message. "
        "Cancel with /reminder cancel id:1."
    )
    assert await stored(bot) == [(1, "rrule:09:00:FREQ=MONTHLY;BYDAY=1MO")]
    assert await fire_times(bot, 3) == [
        utc(2026, 12, 7, 15),
        utc(2027, 1, 4, 15),
        utc(2027, 2, 1, 15),
    ]
    assert out.getvalue().count("⏰ Reminder: Meeting") == 3
    listed = await bot.say("ana", "/reminder list")
    assert listed.table is not None
    assert listed.table.rows[0][1:3] == [
        "Mon Mar 1, 9:00 AM CST",  # it is 2027 by now
        "the first Monday of each month at 9:00",
    ]


async def test_every_2_weeks_keeps_alternate_weeks_and_wall_clock_across_dst(
    database: Database,
) -> None:
    tuesday = utc(2026, 10, 20, 15)  # 10:00 CDT
    bot, _ = await reminder_bot(database, tuesday)
    profile = await bot.say("ana", "/profile timezone:Central")
    assert dict(profile.fields)["timezone"] == "America/Chicago", profile.text
    reply = await bot.say("ana", '/reminder add when:"every 2 weeks at 8am" text:"Payday"')
    assert "then every 2 weeks on Wednesday at 8:00" in reply.text, reply.text
    # Wednesdays two weeks apart, 8:00 in Chicago before and after daylight time ends (Nov 1)
    assert await fire_times(bot, 3) == [
        utc(2026, 10, 21, 13),
        utc(2026, 11, 4, 14),
        utc(2026, 11, 18, 14),
    ]


async def test_every_month_keeps_its_day(database: Database) -> None:
    bot, _ = await reminder_bot(database, THURSDAY)
    reply = await bot.say("ana", '/reminder add when:"every month" text:"Newsletter"')
    assert "then every month on the 4th at 9:00" in reply.text, reply.text
    assert await fire_times(bot, 2) == [utc(2026, 12, 4, 15), utc(2027, 1, 4, 15)]


async def test_repeat_refusals_name_the_field(database: Database) -> None:
    bot, _ = await reminder_bot(database, THURSDAY)
    for line, text in [
        ("every 2 hours", 'when: try "in 2 hours", "tomorrow 9am", "2026-12-01 09:00" or '),
        ("biweekly", "when: biweekly can mean twice a week or every 2 weeks"),
        ("every 400 days", "when: repeats every 1 to 366 days"),
        ("every 6th monday", "when: a month has at most 5 mondays"),
    ]:
        reply = await bot.say("ana", f'/reminder add when:"{line}" text:x')
        assert reply.error and reply.text.startswith(text), reply.text
    assert await stored(bot) == []


async def test_reminders_stored_in_the_older_form_still_fire(database: Database) -> None:
    bot, out = await reminder_bot(database, THURSDAY)
    await bot.say("ana", '/reminder add when:"every sunday 9am" text:"Check-in"')
    # the forms people had before keep the stored text they always had
    assert await stored(bot) == [(1, "weekly:6:09:00")]
    # a row written by the earlier release, with its due item
    async with bot.app.db.transaction() as conn:
        member_id, identity_id, org_id = (
            await conn.execute(select(Reminder.member_id, Reminder.identity_id, Reminder.org_id))
        ).one()
        old = await add_reminder(
            conn,
            member_id=member_id,
            identity_id=identity_id,
            org_id=org_id,
            text="Timesheet",
            when_text="every weekday 8:30am",
            recurrence="weekdays:08:30",
            timezone="America/Chicago",
            next_at=utc(2026, 12, 4, 14, 30),
            now=THURSDAY,
        )
        await conn.execute(update(Reminder).where(Reminder.id == old).values(fired=3))
        await schedule(
            conn,
            kind="reminder",
            due_at=utc(2026, 12, 4, 14, 30),
            key=f"reminder:{old}:2026-12-04T14:30:00+00:00",
            ref_id=old,
            org_id=org_id,
            member_id=member_id,
        )
    # Friday 8:30, then Sunday 9:00, then Monday 8:30 (no weekend for "every weekday")
    assert await fire_times(bot, 3) == [
        utc(2026, 12, 4, 14, 30),
        utc(2026, 12, 6, 15),
        utc(2026, 12, 7, 14, 30),
    ]
    assert out.getvalue().count("⏰ Reminder: Timesheet") == 2
    listed = await bot.say("ana", "/reminder list")
    assert listed.table is not None
    assert [row[2] for row in listed.table.rows] == [
        "every weekday at 8:30",  # next on Tuesday 8:30, before Sunday
        "every Sunday at 9:00",
    ]

"""Reminders through the dispatcher, scheduler and delivery engine, on both databases."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from adapters.console import Screen, console_senders
from bot.clock import MovableClock
from bot.registry import CommandGroup
from bot.scheduler import DueContext
from storage.db import Database
from storage.models import DueItem, OutboxMessage, Reminder
from tests.support import Bot, Person, link_accounts, start_bot


async def reminder_bot(database: Database, start: datetime, **kwargs) -> tuple[Bot, io.StringIO]:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    bot = await start_bot(
        database,
        senders=console_senders(Screen(out, "/nonexistent")),
        clock=MovableClock(start, frozen=True),
        **kwargs,
    )
    return bot, out


async def step_to(bot: Bot, moment: datetime) -> None:
    """Let time pass up to ``moment`` with the bot running: each item runs when it falls due."""
    while (upcoming := await bot.app.scheduler.next_due()) is not None and upcoming <= moment:
        bot.clock.advance(max(upcoming - bot.clock.now(), timedelta(0)))
        await bot.app.settle()
    bot.clock.advance(moment - bot.clock.now())
    await bot.app.settle()


async def count(bot: Bot, model: type, **where: object) -> int:
    async with bot.app.db.transaction() as conn:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return (await conn.execute(query)).scalar_one()


START = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # 9:00 CST


async def test_a_reminder_days_away_says_how_many_days(database: Database) -> None:
    bot, _ = await reminder_bot(database, START)
    reply = await bot.say("ana", '/reminder add when:"2026-11-08 09:19" text:"Staff meeting"')
    assert reply.text.startswith("Reminder 1 set for Sun Nov 8, 9:19 AM CST (in 6 days)."), (
        reply.text
    )
    reply = await bot.say("ana", '/reminder add when:"2026-11-03 08:00" text:"Board"')
    assert "(in 23h)" in reply.text, reply.text


async def test_a_reminder_is_delivered_once_when_due(database: Database) -> None:
    bot, out = await reminder_bot(database, START)
    reply = await bot.say("ana", '/reminder add when:"in 2 hours" text:"Call Rep. Smith"')
    assert reply.text.startswith("Reminder 1 set for Mon Nov 2, 11:00 AM CST (in 2h)"), reply.text
    await step_to(bot, START + timedelta(hours=1))
    assert "Call Rep. Smith" not in out.getvalue()
    await step_to(bot, START + timedelta(hours=3))
    assert out.getvalue().count("[DM ana] ⏰ Reminder: Call Rep. Smith") == 1
    await bot.app.scheduler.run_due()
    await step_to(bot, START + timedelta(days=2))
    assert out.getvalue().count("Call Rep. Smith") == 1
    assert await count(bot, OutboxMessage) == 1
    listed = await bot.say("ana", "/reminder list")
    assert "no reminders" in listed.text


async def test_refusals_name_the_field(database: Database) -> None:
    bot, _ = await reminder_bot(database, START)
    reply = await bot.say("ana", '/reminder add when:"2026-01-01 09:00" text:x')
    assert reply.error and reply.text.startswith("when: ") and "already passed" in reply.text
    reply = await bot.say("ana", "/reminder add when:soon text:x")
    assert reply.error and reply.text.startswith("when: try")
    reply = await bot.say("ana", "/reminder add when:tomorrow")
    assert reply.error and reply.text == "/reminder add needs the field text."
    reply = await bot.say("ana", f"/reminder add when:tomorrow text:{'x' * 501}")
    assert reply.error and reply.text.startswith("text: must be at most 500 characters")
    assert await count(bot, Reminder) == 0


async def test_a_reminder_in_another_year_shows_its_year(database: Database) -> None:
    bot, _ = await reminder_bot(database, datetime(2026, 12, 3, 16, 0, tzinfo=UTC))
    reply = await bot.say("ana", '/reminder add when:"1/15/2027 9am" text:"Budget hearing"')
    assert reply.text.startswith("Reminder 1 set for Fri Jan 15, 2027, 9:00 AM CST"), reply.text
    reply = await bot.say("ana", '/reminder add when:"12/24 9am" text:"Eve"')
    assert reply.text.startswith("Reminder 2 set for Thu Dec 24, 9:00 AM CST"), reply.text
    listed = await bot.say("ana", "/reminder list")
    assert listed.table is not None
    assert [row[1] for row in listed.table.rows] == [
        "Thu Dec 24, 9:00 AM CST",
        "Fri Jan 15, 2027, 9:00 AM CST",
    ]
    refused = await bot.say("ana", '/reminder add when:"12/1 10am" text:x')
    assert refused.error
    assert refused.text == (
        'when: 12/1 10am has passed this year; give the year, e.g. "2027-12-01 10:00"'
    )


async def test_late_within_grace_is_delivered_older_is_reported_missed(database: Database) -> None:
    bot, out = await reminder_bot(database, START)
    await bot.say("ana", '/reminder add when:"in 1 hour" text:"Late but fine"')
    await bot.say("ana", '/reminder add when:"in 2 hours" text:"Too late"')
    # The bot is down until START + 3h30: the first is 2h30 late, the second 1h30 late.
    bot.clock.advance(timedelta(hours=3, minutes=30))
    await bot.app.settle()
    text = out.getvalue()
    assert "missed: “Late but fine” (due Mon Nov 2, 10:00 AM CST)" in text
    assert "Too late" in text and "⏰ Reminder: Too late" not in text
    await bot.app.scheduler.run_due()
    assert await count(bot, DueItem, state="missed") == 2
    # within the window: delivered late, as a reminder
    await bot.say("ana", '/reminder add when:"in 1 hour" text:"Within grace"')
    bot.clock.advance(timedelta(hours=1, minutes=50))
    await bot.app.settle()
    assert "[DM ana] ⏰ Reminder: Within grace" in out.getvalue()


async def test_weekly_reminders_keep_their_local_time_across_both_dst_changes(
    database: Database,
) -> None:
    start = datetime(2026, 10, 20, 15, 0, tzinfo=UTC)
    bot, out = await reminder_bot(database, start)
    await bot.say("ana", "/profile timezone:America/Chicago")
    await bot.say("ana", '/reminder add when:"every sunday 9am" text:"Weekly check-in"')
    fired: list[datetime] = []
    for _ in range(3):
        upcoming = await bot.app.scheduler.next_due()
        assert upcoming is not None
        fired.append(upcoming)
        await step_to(bot, upcoming)
    # Oct 25 and Nov 1 (the day DST ends, at 2:00) and Nov 8: always 9:00 in Chicago.
    assert fired == [
        datetime(2026, 10, 25, 14, 0, tzinfo=UTC),
        datetime(2026, 11, 1, 15, 0, tzinfo=UTC),
        datetime(2026, 11, 8, 15, 0, tzinfo=UTC),
    ]
    assert out.getvalue().count("⏰ Reminder: Weekly check-in") == 3

    spring, _ = await reminder_bot(database, datetime(2026, 3, 1, 16, 0, tzinfo=UTC))
    await spring.say("bea", "/profile timezone:America/Chicago")
    await spring.say("bea", '/reminder add when:"every sunday 9am" text:"Spring"')
    first = await spring.app.scheduler.next_due()
    await step_to(spring, first)  # type: ignore[arg-type]
    second = await spring.app.scheduler.next_due()
    assert (first, second) == (
        datetime(2026, 3, 8, 14, 0, tzinfo=UTC),
        datetime(2026, 3, 15, 14, 0, tzinfo=UTC),
    )


async def test_cancel_stops_a_reminder_and_only_its_owner_may(database: Database) -> None:
    bot, out = await reminder_bot(database, START)
    await bot.say("ana", '/reminder add when:"every day 9am" text:"Daily"')
    denied = await bot.say("bea", "/reminder cancel id:1")
    assert denied.error and denied.text == "id: you have no reminder 1; see /reminder list"
    done = await bot.say("ana", "/reminder cancel id:1")
    assert done.text == "Reminder 1 cancelled: “Daily”."
    await step_to(bot, START + timedelta(days=3))
    assert "Daily" not in out.getvalue()
    assert await count(bot, DueItem, state="cancelled") == 1


async def test_erasing_a_member_erases_their_reminders(database: Database) -> None:
    bot, _ = await reminder_bot(database, START)
    await bot.say("ana", '/reminder add when:"in 2 hours" text:"Private"')
    export = await bot.say("ana", "/privacy export")
    assert b'"Private"' in export.files[0].data
    ask = await bot.say("ana", "/privacy delete")
    await bot.click("ana", ask.actions[0].id)
    assert await count(bot, Reminder) == 0 and await count(bot, DueItem) == 0


async def test_reminders_follow_a_link(database: Database) -> None:
    bot, out = await reminder_bot(database, START)
    slack, discord = Person("U1", platform="slack"), Person("9", platform="discord")
    await bot.say(discord, '/reminder add when:"in 2 hours" text:"From Discord"')
    await link_accounts(bot, slack, discord)
    listed = await bot.say(slack, "/reminder list")
    assert listed.table is not None and listed.table.rows[0][3] == "From Discord"
    await step_to(bot, START + timedelta(hours=3))
    assert "[discord DM 9] ⏰ Reminder: From Discord" in out.getvalue()


async def test_a_burst_of_adds_cannot_pass_the_reminder_quota(database: Database) -> None:
    bot, _ = await reminder_bot(database, START)
    bot.app.config.limits.reminders_per_member = 5
    # a repeating reminder is one reminder waiting, however often it fires
    await bot.say("ana", '/reminder add when:"every day 9am" text:"Daily"')
    await step_to(bot, START + timedelta(days=2))
    replies = await asyncio.gather(
        *(bot.say("ana", f'/reminder add when:"in {n + 1} hours" text:"R{n}"') for n in range(20))
    )
    assert sum(not r.error for r in replies) == 4
    refusals = {r.text for r in replies if r.error}
    assert refusals == {
        "You have 5 reminders waiting, the most one member may have; cancel one with "
        "/reminder cancel id:… first (/reminder list shows their ids)."
    }
    assert await count(bot, Reminder, state="active") == 5
    # another member is not held back by ana's reminders
    assert not (await bot.say("bea", '/reminder add when:"in 1 hour" text:"Mine"')).error
    # a cancelled reminder frees its place
    assert not (await bot.say("ana", "/reminder cancel id:1")).error
    assert not (await bot.say("ana", '/reminder add when:"in 1 hour" text:"Again"')).error
    assert (await bot.say("ana", '/reminder add when:"in 1 hour" text:"Over"')).error
    assert await count(bot, Reminder, state="active") == 6
    # a lowered limit names itself
    bot.app.config.limits.reminders_per_member = 3
    over = await bot.say("ana", '/reminder add when:"in 1 hour" text:"Over"')
    assert over.text.startswith("You have 5 reminders waiting, more than the 3 one member may")


digest_feature = CommandGroup("news")


@digest_feature.on_digest
async def _news(ctx: DueContext, org_id: int, since: datetime) -> list[str]:
    return [f"2 new layoff reports since {since:%b %d}"]


async def test_weekly_digest_posts_once_to_every_alert_channel(database: Database) -> None:
    bot, out = await reminder_bot(database, START, extra_groups=[digest_feature])
    await bot.app.scheduler.add_digest("demo")
    await bot.app.scheduler.add_digest("demo")  # a second process's cron fires too
    await bot.app.settle()
    text = out.getvalue()
    for place in ("[#alerts]", "[slack #CALERTS]", "[discord #200000000000000001]"):
        assert text.count(f"{place} == This week in Demo Library Workers ==") == 1, place
    assert "2 new layoff reports since Oct 26" in text

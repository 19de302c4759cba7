"""Events copied as Discord Scheduled Events, end to end: /event create through the real
discord.py client, the outbox and the Discord sender, against the stand-in's scheduled-event
routes; a changed or cancelled event (the row changed, then ``sync_mirrors``) reaches its
copy; a guild that refuses the bot, a full guild and a restart break nothing. Runs on a
SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from bot.mirrors import MIRROR_KIND
from bot.unit import UnitOfWork
from commands.events.mirrors import MIRROR_AHEAD, create_key, sync_mirrors
from standins.discord.scheduled import ACTIVE, CANCELED, SCHEDULED
from storage import events as events_store
from storage import mirrors as mirrors_store
from storage.models import Event, EventSeries, OutboxMessage
from tests.discord_support import ALERTS, ANA, BEA, GUILD, STRANGER_GUILD, DiscordRig, text_of

CREATE = "POST /api/v10/guilds/{guild}/scheduled-events"
MODIFY = "PATCH /api/v10/guilds/{guild}/scheduled-events/{event}"


async def create_event(rig: DiscordRig, **options: Any) -> str:
    """Create an event as the organizer, deliver everything, and return the answer."""
    fields = {"title": "Budget rally", "kind": "rally", "start": "2026-11-20 18:00"}
    answer = await rig.slash(ANA, "event", {**fields, **options}, sub="create")
    await rig.settle()
    return text_of(answer)


async def sync(rig: DiscordRig, event_id: int, **changes: Any) -> int:
    """Change an event's row, call ``sync_mirrors`` as the lifecycle commands do, deliver;
    return how many mirror requests that queued."""
    assert rig.app is not None
    async with rig.database.transaction() as conn:
        if changes:
            await conn.execute(update(Event).where(Event.id == event_id).values(**changes))
        before = await mirror_requests(conn)
        unit = UnitOfWork(rig.app.services, conn, at=rig.clock.now())
        event = await events_store.get_event(conn, event_id)
        assert event is not None
        await sync_mirrors(unit, event)
        queued = await mirror_requests(conn) - before
    await rig.settle()
    return queued


async def mirror_requests(conn: Any) -> int:
    """How many mirror requests the outbox holds."""
    return (
        await conn.execute(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == MIRROR_KIND)
        )
    ).scalar_one()


def copies(rig: DiscordRig) -> list[dict[str, Any]]:
    """The scheduled events in the organization's guild."""
    return list(rig.standin.events_in(GUILD).values())


def starts(rig: DiscordRig) -> list[str]:
    """The start times of the scheduled events in the organization's guild, in order."""
    return sorted(e["scheduled_start_time"] for e in copies(rig))


async def test_create_copies_the_event_with_its_times_place_and_a_link(rig: DiscordRig) -> None:
    answer = await create_event(rig, place="City Hall, Springfield")
    assert "Event 1 created" in answer, answer
    (post,) = rig.standin.messages_in(ALERTS)
    (copy,) = copies(rig)
    assert copy["name"] == "Budget rally"
    # 18:00 in Chicago (the organization's zone) is midnight UTC; an event lasts 2 hours
    assert datetime.fromisoformat(copy["scheduled_start_time"]) == datetime(
        2026, 11, 21, 0, 0, tzinfo=UTC
    )
    assert copy["scheduled_start_time"].endswith("+00:00")
    assert datetime.fromisoformat(copy["scheduled_end_time"]) > datetime.fromisoformat(
        copy["scheduled_start_time"]
    )
    assert copy["entity_type"] == 3 and copy["privacy_level"] == 2
    assert copy["entity_metadata"] == {"location": "City Hall, Springfield"}
    assert copy["status"] == SCHEDULED
    jump = f"https://discord.com/channels/{GUILD}/{ALERTS}/{post['id']}"
    assert jump in copy["description"]
    assert copy["description"].endswith("/event rsvp id:1")
    async with rig.database.reading() as conn:
        mirror = (await mirrors_store.mirrors_of(conn, 1, "discord"))[GUILD]
    assert mirror.external_id == copy["id"] and mirror.shown

    # nothing changed: nothing is queued, nothing is sent
    assert await sync(rig, 1) == 0
    assert rig.standin.requests[CREATE] == 1 and rig.standin.requests[MODIFY] == 0
    assert rig.standin.events_in(STRANGER_GUILD) == {}  # a guild the organization does not list


async def test_an_edit_modifies_the_copy_and_a_cancel_cancels_it(rig: DiscordRig) -> None:
    await create_event(rig, place="City Hall")
    (copy,) = copies(rig)
    later = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
    queued = await sync(
        rig, 1, title="Budget rally (moved)", starts_at=later, ends_at=later + timedelta(hours=2)
    )
    assert queued == 1
    (edited,) = copies(rig)
    assert edited["id"] == copy["id"] and edited["edits"] == 1
    assert edited["name"] == "Budget rally (moved)"
    assert datetime.fromisoformat(edited["scheduled_start_time"]) == later
    (post,) = rig.standin.messages_in(ALERTS)
    assert f"/channels/{GUILD}/{ALERTS}/{post['id']}" in edited["description"]
    assert "/event rsvp id:1" in edited["description"]

    assert await sync(rig, 1, state="cancelled", cancelled_at=rig.clock.now()) == 1
    (cancelled,) = copies(rig)
    assert cancelled["status"] == CANCELED
    # cancelled once: asking again sends nothing more
    assert await sync(rig, 1) == 0


async def test_a_change_before_the_copy_is_made_reaches_it(rig: DiscordRig) -> None:
    await rig.slash(
        ANA,
        "event",
        {"title": "Budget rally", "kind": "rally", "start": "2026-11-20 18:00"},
        sub="create",
    )
    assert copies(rig) == []  # nothing delivered yet
    assert await sync(rig, 1, title="Budget rally at noon") == 1
    (copy,) = copies(rig)
    assert copy["name"] == "Budget rally at noon" and copy["edits"] == 1


async def test_an_event_cancelled_before_it_was_copied_asks_discord_nothing(
    rig: DiscordRig,
) -> None:
    await create_event(rig, start="2027-02-01 18:00")  # beyond the days copied ahead
    assert copies(rig) == []
    assert await sync(rig, 1, state="cancelled") == 0
    rig.clock.advance(timedelta(days=70))
    await rig.settle()
    assert copies(rig) == [] and rig.standin.requests[CREATE] == 0


async def test_an_event_far_ahead_is_copied_once_it_comes_within_the_window(
    rig: DiscordRig,
) -> None:
    await create_event(rig, start="2027-01-20 18:00")
    assert copies(rig) == []
    async with rig.database.reading() as conn:
        event = await events_store.get_event(conn, 1)
    assert event is not None
    rig.clock.advance(event.starts_at - MIRROR_AHEAD - rig.clock.now() - timedelta(hours=1))
    await rig.settle()
    assert copies(rig) == []
    rig.clock.advance(timedelta(hours=2))
    await rig.settle()
    (copy,) = copies(rig)
    assert datetime.fromisoformat(copy["scheduled_start_time"]) == event.starts_at


async def test_without_permission_the_post_goes_out_and_discord_is_asked_once(
    rig: DiscordRig, caplog: pytest.LogCaptureFixture
) -> None:
    rig.standin.guilds[GUILD].manage_events = False
    with caplog.at_level(logging.WARNING):
        assert "Event 1 created" in await create_event(rig)
        assert "Event 2 created" in await create_event(rig, title="Second rally")
        await rig.settle(retries=True)
    assert len(rig.standin.messages_in(ALERTS)) == 2  # both announcements went out
    assert copies(rig) == []
    assert rig.standin.requests[CREATE] == 1  # the second guild request was never made
    refusals = [r for r in caplog.records if "does not let the bot manage events" in r.message]
    assert len(refusals) == 1
    async with rig.database.reading() as conn:
        states = (
            await conn.execute(select(OutboxMessage.state).where(OutboxMessage.kind == MIRROR_KIND))
        ).scalars()
        assert sorted(states) == ["failed", "failed"]
    # members still answer on the post
    post = rig.standin.messages_in(ALERTS)[0]
    assert "You're going" in text_of(await rig.click(BEA, post["id"], "Going"))


async def test_a_full_guild_is_skipped_and_nothing_else_suffers(
    rig: DiscordRig, caplog: pytest.LogCaptureFixture
) -> None:
    events = rig.standin.events_in(GUILD)
    for n in range(100):
        events[str(n)] = {"id": str(n), "status": SCHEDULED, "description": "someone else's"}
    with caplog.at_level(logging.WARNING):
        assert "Event 1 created" in await create_event(rig)
    assert len(rig.standin.messages_in(ALERTS)) == 1
    assert len(events) == 100 and rig.standin.requests[CREATE] == 0
    assert any("holds 100 scheduled events" in r.message for r in caplog.records)
    # once one ends, the event is copied when it next changes, and a new event at once
    events["0"]["status"] = CANCELED
    assert await sync(rig, 1) == 0  # unchanged: not asked again
    assert await sync(rig, 1, title="Budget rally, again") == 1
    events["1"]["status"] = CANCELED
    await create_event(rig, title="Next rally")
    named = sorted(e["name"] for e in events.values() if e.get("name"))
    assert named == ["Budget rally, again", "Next rally"]


async def test_a_restart_does_not_copy_an_event_twice(rig: DiscordRig) -> None:
    await create_event(rig, place="Library")
    await rig.stop_bot()
    await rig.start_bot()
    assert await sync(rig, 1) == 0
    # a send repeated after a crash (the row is back to pending) finds the copy made before
    async with rig.database.transaction() as conn:
        await conn.execute(
            update(OutboxMessage)
            .where(OutboxMessage.idempotency_key == create_key(1, GUILD))
            .values(state="pending")
        )
    await rig.settle()
    assert len(copies(rig)) == 1 and rig.standin.requests[CREATE] == 1


async def test_cancelling_a_copy_a_moderator_started_deletes_it(rig: DiscordRig) -> None:
    await create_event(rig)
    (copy,) = copies(rig)
    copy["status"] = ACTIVE  # Discord allows no ACTIVE -> CANCELED
    assert await sync(rig, 1, state="cancelled") == 1
    assert copies(rig) == []


async def test_rate_limits_on_a_guilds_events_are_waited_out(rig: DiscordRig) -> None:
    standin = rig.standin
    for n in range(3):
        await rig.slash(
            ANA,
            "event",
            {"title": f"Rally {n}", "kind": "rally", "start": "2026-11-20 18:00"},
            sub="create",
        )
    # another process used the guild's bucket a moment ago: the first create gets a 429
    standin.use_up_bucket(f"POST guild-events {GUILD}", limit=5, window=1.0, reset_after=1.5)
    await rig.settle(retries=True)
    assert standin.limited_buckets[f"POST guild-events {GUILD}"] >= 1
    assert sorted(e["name"] for e in copies(rig)) == ["Rally 0", "Rally 1", "Rally 2"]
    assert standin.requests[CREATE] - standin.limited_buckets[f"POST guild-events {GUILD}"] == 3
    async with rig.database.reading() as conn:
        states = (
            await conn.execute(select(OutboxMessage.state).where(OutboxMessage.kind == MIRROR_KIND))
        ).scalars()
        assert sorted(states) == ["sent", "sent", "sent"]


async def test_a_weekly_series_is_copied_one_upcoming_occurrence_at_a_time(
    rig: DiscordRig,
) -> None:
    assert rig.app is not None
    now = rig.clock.now()
    first = now + timedelta(days=20)
    async with rig.database.transaction() as conn:
        org_id = rig.app.services.orgs.by_slug("il-library-workers")[0].id
        series_id = (
            await conn.execute(
                insert(EventSeries)
                .values(
                    org_id=org_id,
                    repeat="every week",
                    rule="FREQ=WEEKLY",
                    timezone="UTC",
                    first_start=first,
                    template={},
                    created_at=now,
                )
                .returning(EventSeries.id)
            )
        ).scalar_one()
        unit = UnitOfWork(rig.app.services, conn, at=now)
        for week in range(4):  # days 20, 27, 34 and 41 from now
            start = first + timedelta(weeks=week)
            event = await events_store.create_event(
                conn,
                org_id=org_id,
                title="Book club",
                description="Monthly reads",
                kind="meeting",
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                timezone="UTC",
                place="Branch library",
                link=None,
                capacity=None,
                rsvp_deadline=None,
                reminder_offsets=(),
                created_by=None,
                created_at=now,
            )
            await conn.execute(
                update(Event)
                .where(Event.id == event.id)
                .values(series_id=series_id, occurrence_start=start)
            )
            await sync_mirrors(unit, event)
    await rig.settle()
    assert starts(rig) == [(first + timedelta(weeks=w)).isoformat() for w in (0, 1)]
    rig.clock.advance(timedelta(days=5))
    await rig.settle()
    assert len(starts(rig)) == 3
    rig.clock.advance(timedelta(days=7))
    await rig.settle()
    assert starts(rig) == [(first + timedelta(weeks=w)).isoformat() for w in range(4)]


async def test_event_edit_and_cancel_commands_reach_the_copy(rig: DiscordRig) -> None:
    await create_event(rig, place="City Hall")
    (copy,) = copies(rig)
    edited = await rig.slash(
        ANA, "event", {"id": 1, "title": "Budget rally (moved)", "place": "Elm St"}, sub="edit"
    )
    await rig.settle()
    assert "Event 1" in text_of(edited), text_of(edited)
    (moved,) = copies(rig)
    assert moved["id"] == copy["id"] and moved["name"] == "Budget rally (moved)"
    assert moved["entity_metadata"] == {"location": "Elm St"}
    cancelled = await rig.slash(ANA, "event", {"id": 1, "reason": "Rain"}, sub="cancel")
    await rig.settle()
    assert "cancel" in text_of(cancelled).lower(), text_of(cancelled)
    (gone,) = copies(rig)
    assert gone["id"] == copy["id"] and gone["status"] == CANCELED
    assert rig.standin.requests[CREATE] == 1

"""Changes to events once created, on both databases: edits bump the sequence only when
asked, cancellation, the list and a member's events leave cancelled ones out, members' own
reminder times, a lead who leaves, meetings and milestones changed and removed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from storage import event_changes as changes
from storage import events as store
from storage import members
from storage.db import Database
from storage.events import Details, EventRecord
from tests.storage.test_storage import NOW, _org


async def _event(
    conn: AsyncConnection, org_id: int, member_id: int, title: str = "Chapter meeting"
) -> EventRecord:
    start = NOW + timedelta(days=10)
    return await store.create_event(
        conn,
        org_id=org_id,
        title=title,
        description=None,
        kind="legislative-day",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        timezone="America/Chicago",
        place="Room B",
        link=None,
        capacity=None,
        rsvp_deadline=None,
        reminder_offsets=("1d",),
        created_by=member_id,
        created_at=NOW,
    )


async def test_edits_bump_the_sequence_only_when_asked_and_cancel_records_why(
    database: Database,
) -> None:
    org_id = await _org(database)
    async with database.transaction() as conn:
        olu = await members.ensure_member(conn, "slack", "U1", "Olu", org_id)
        event = await _event(conn, org_id, olu.id)
        assert (event.sequence, event.state, event.start_message) == (0, "scheduled", True)
        later = event.starts_at + timedelta(days=1)
        moved = await changes.update_event(
            conn, event.id, {"starts_at": later, "place": "Room C"}, bump=True
        )
        assert (moved.sequence, moved.starts_at, moved.place) == (1, later, "Room C")
        quiet = await changes.update_event(
            conn, event.id, {"capacity": 5, "reminder_offsets": ("2h",)}, bump=False
        )
        assert (quiet.sequence, quiet.capacity, quiet.reminder_offsets) == (1, 5, ("2h",))
        other = await _event(conn, org_id, olu.id, "Training")
        assert [e.id for e in await store.upcoming_events(conn, org_id, NOW)] == [
            other.id,
            event.id,
        ]
        gone = await changes.cancel_event(conn, event.id, NOW, "The branch is closed.")
        assert gone.cancelled and gone.sequence == 2
        assert (gone.cancelled_at, gone.cancel_reason) == (NOW, "The branch is closed.")
        assert [e.id for e in await store.upcoming_events(conn, org_id, NOW)] == [other.id]
        again = await store.get_event(conn, event.id)
        assert again == gone


async def test_own_reminders_leads_and_a_members_events(database: Database) -> None:
    org_id = await _org(database)
    async with database.transaction() as conn:
        olu = await members.ensure_member(conn, "slack", "U1", "Olu", org_id)
        ana = await members.ensure_member(conn, "slack", "U2", "Ana", org_id)
        bea = await members.ensure_member(conn, "slack", "U3", "Bea", org_id)
        event = await _event(conn, org_id, olu.id)
        for member in (ana, bea):
            await store.answer(
                conn,
                event,
                member.id,
                "going",
                platform="slack",
                details=Details(state="IL"),
                now=NOW,
                before=None,
            )
        await store.set_reminder_offsets(conn, event.id, ana.id, ("3h", "1h"))
        assert await changes.own_reminders(conn, event.id) == [(ana.id, ("3h", "1h"))]
        await store.set_lead(conn, event.id, "IL", ana.id)
        assert await changes.drop_lead(conn, event.id, bea.id) == []
        assert await changes.drop_lead(conn, event.id, ana.id) == ["IL"]
        assert await store.leads(conn, event.id) == {}
        assert len(await store.member_rsvps(conn, ana.id, org_id, NOW)) == 1
        await changes.cancel_event(conn, event.id, NOW, None)
        assert await store.member_rsvps(conn, ana.id, org_id, NOW) == []


async def test_meetings_and_milestones_changed_and_removed(database: Database) -> None:
    org_id = await _org(database)
    async with database.transaction() as conn:
        olu = await members.ensure_member(conn, "slack", "U1", "Olu", org_id)
        event = await _event(conn, org_id, olu.id)
        at = event.starts_at + timedelta(hours=1)
        meeting = await store.add_meeting(conn, event.id, "IL", "Sen. D's", "Sen. D", at, None)
        moved = await changes.update_meeting(
            conn, meeting.id, {"starts_at": at + timedelta(hours=1), "place": "Hart 524"}
        )
        assert (moved.starts_at, moved.place, moved.legislator) == (
            at + timedelta(hours=1),
            "Hart 524",
            "Sen. D",
        )
        assert await store.meetings(conn, event.id) == [moved]
        await changes.remove_meeting(conn, meeting.id)
        assert await store.meetings(conn, event.id) == []
        when = datetime(2026, 11, 5, 23, 0, tzinfo=UTC)
        milestone = await store.add_milestone(conn, event.id, "Agenda out", when, ("1d",))
        renamed = await changes.update_milestone(
            conn, milestone.id, {"title": "Agenda final", "reminder_offsets": ()}
        )
        assert (renamed.title, renamed.at, renamed.reminder_offsets) == ("Agenda final", when, ())
        await changes.remove_milestone(conn, milestone.id)
        assert await store.milestones(conn, event.id) == []

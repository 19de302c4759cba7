"""Changes to an event once created: its fields edited (the sequence bumped for a change a
calendar shows), cancellation, its meetings and milestones edited or removed, a delegation
lead who is no longer coming, and the members whose own reminder times follow the event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.events import (
    ATTENDING,
    CANCELLED,
    EventRecord,
    MeetingRecord,
    MilestoneRecord,
)
from storage.models import Event, EventDelegation, EventMeeting, EventMilestone, EventRsvp
from storage.records import columns, from_row

_events = Event.__table__
_rsvps = EventRsvp.__table__
_delegations = EventDelegation.__table__
_meetings = EventMeeting.__table__
_milestones = EventMilestone.__table__
_EVENT_COLUMNS = columns(EventRecord, _events)
_MEETING_COLUMNS = columns(MeetingRecord, _meetings)
_MILESTONE_COLUMNS = columns(MilestoneRecord, _milestones)


async def update_event(
    conn: AsyncConnection, event_id: int, values: dict[str, Any], *, bump: bool
) -> EventRecord:
    """Change an event's columns (``values``); ``bump`` adds one to its sequence, for a
    change a calendar shows. Returns the event as changed."""
    if "reminder_offsets" in values:
        values = {**values, "reminder_offsets": list(values["reminder_offsets"])}
    if bump:
        values = {**values, "sequence": _events.c.sequence + 1}
    row = (
        await conn.execute(
            update(_events)
            .where(_events.c.id == event_id)
            .values(**values)
            .returning(*_EVENT_COLUMNS)
        )
    ).one()
    return from_row(EventRecord, row)


async def cancel_event(
    conn: AsyncConnection, event_id: int, now: datetime, reason: str | None
) -> EventRecord:
    """Mark an event cancelled (when, and why if said), a change a calendar shows."""
    values = {"state": CANCELLED, "cancelled_at": now, "cancel_reason": reason}
    return await update_event(conn, event_id, values, bump=True)


async def own_reminders(conn: AsyncConnection, event_id: int) -> list[tuple[int, tuple[str, ...]]]:
    """The members coming to an event (going or maybe) who chose their own reminder times:
    (member id, their offsets)."""
    rows = await conn.execute(
        select(_rsvps.c.member_id, _rsvps.c.reminder_offsets)
        .where(
            _rsvps.c.event_id == event_id,
            _rsvps.c.status.in_(ATTENDING),
            _rsvps.c.reminder_offsets.is_not(None),
        )
        .order_by(_rsvps.c.member_id)
    )
    return [(member_id, tuple(offsets)) for member_id, offsets in rows if offsets is not None]


async def drop_lead(conn: AsyncConnection, event_id: int, member_id: int) -> list[str]:
    """A member no longer leads any delegation of an event; the states they led."""
    rows = await conn.execute(
        select(_delegations.c.state).where(
            _delegations.c.event_id == event_id, _delegations.c.lead_member_id == member_id
        )
    )
    states = sorted(state for (state,) in rows)
    if states:
        await conn.execute(
            update(_delegations)
            .where(_delegations.c.event_id == event_id, _delegations.c.lead_member_id == member_id)
            .values(lead_member_id=None)
        )
    return states


async def update_meeting(
    conn: AsyncConnection, meeting_id: int, values: dict[str, Any]
) -> MeetingRecord:
    """Change a meeting's columns (``values``); the meeting as changed."""
    row = (
        await conn.execute(
            update(_meetings)
            .where(_meetings.c.id == meeting_id)
            .values(**values)
            .returning(*_MEETING_COLUMNS)
        )
    ).one()
    return from_row(MeetingRecord, row)


async def remove_meeting(conn: AsyncConnection, meeting_id: int) -> None:
    """Delete a meeting."""
    await conn.execute(delete(_meetings).where(_meetings.c.id == meeting_id))


async def update_milestone(
    conn: AsyncConnection, milestone_id: int, values: dict[str, Any]
) -> MilestoneRecord:
    """Change a milestone's columns (``values``); the milestone as changed."""
    if "reminder_offsets" in values:
        values = {**values, "reminder_offsets": list(values["reminder_offsets"])}
    row = (
        await conn.execute(
            update(_milestones)
            .where(_milestones.c.id == milestone_id)
            .values(**values)
            .returning(*_MILESTONE_COLUMNS)
        )
    ).one()
    return from_row(MilestoneRecord, row)


async def remove_milestone(conn: AsyncConnection, milestone_id: int) -> None:
    """Delete a milestone."""
    await conn.execute(delete(_milestones).where(_milestones.c.id == milestone_id))

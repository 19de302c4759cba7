"""Reminders: what a member asked to be reminded of, and where to reach them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Identity, Reminder
from storage.records import columns, from_row

_reminders = Reminder.__table__
_identities = Identity.__table__


@dataclass(frozen=True)
class ReminderRecord:
    """A reminder and the account its direct messages go to."""

    id: int
    member_id: int
    org_id: int
    text: str
    recurrence: str | None
    timezone: str
    next_at: datetime | None
    state: str
    platform: str
    user_id: str


_SELECT = select(
    *columns(
        ReminderRecord,
        _reminders,
        platform=_identities.c.platform,
        user_id=_identities.c.user_id,
    )
).join(_identities, _identities.c.id == _reminders.c.identity_id)


async def add_reminder(
    conn: AsyncConnection,
    *,
    member_id: int,
    identity_id: int,
    org_id: int,
    text: str,
    when_text: str,
    recurrence: str | None,
    timezone: str,
    next_at: datetime,
    now: datetime,
) -> int:
    """Store a reminder; return its id."""
    return (
        await conn.execute(
            insert(_reminders)
            .values(
                member_id=member_id,
                identity_id=identity_id,
                org_id=org_id,
                text=text,
                when_text=when_text,
                recurrence=recurrence,
                timezone=timezone,
                next_at=next_at,
                state="active",
                created_at=now,
                fired=0,
            )
            .returning(_reminders.c.id)
        )
    ).scalar_one()


async def get_reminder(conn: AsyncConnection, reminder_id: int) -> ReminderRecord | None:
    """One reminder, whoever it belongs to."""
    row = (await conn.execute(_SELECT.where(_reminders.c.id == reminder_id))).first()
    return None if row is None else from_row(ReminderRecord, row)


async def get_reminders(conn: AsyncConnection, ids: list[int]) -> dict[int, ReminderRecord]:
    """Several reminders by id, in one query."""
    rows = await conn.execute(_SELECT.where(_reminders.c.id.in_(ids)))
    return {row.id: from_row(ReminderRecord, row) for row in rows}


async def active_reminders(conn: AsyncConnection, member_id: int) -> list[ReminderRecord]:
    """A member's reminders still to come, soonest first."""
    rows = await conn.execute(
        _SELECT.where(_reminders.c.member_id == member_id, _reminders.c.state == "active").order_by(
            _reminders.c.next_at, _reminders.c.id
        )
    )
    return [from_row(ReminderRecord, row) for row in rows]


async def count_active(conn: AsyncConnection, member_id: int) -> int:
    """How many reminders a member has waiting (a repeating one counts once)."""
    return (
        await conn.execute(
            select(func.count())
            .select_from(_reminders)
            .where(_reminders.c.member_id == member_id, _reminders.c.state == "active")
        )
    ).scalar_one()


async def set_reminder_state(
    conn: AsyncConnection,
    reminder_id: int,
    *,
    state: str,
    next_at: datetime | None,
    fired: bool = False,
) -> None:
    """Move a reminder on: to its next time, or to done or cancelled."""
    values: dict[str, object] = {"state": state, "next_at": next_at}
    if fired:
        values["fired"] = _reminders.c.fired + 1
    await conn.execute(update(_reminders).where(_reminders.c.id == reminder_id).values(**values))


_FIRED = (
    update(_reminders)
    .where(_reminders.c.id == bindparam("reminder_id"))
    .values(state=bindparam("state"), next_at=bindparam("next_at"), fired=_reminders.c.fired + 1)
)


async def record_fired(
    conn: AsyncConnection, fired: list[tuple[int, str, datetime | None]]
) -> None:
    """Move fired reminders on in one statement: (id, new state, next time or None)."""
    if fired:
        await conn.execute(
            _FIRED,
            [
                {"reminder_id": rid, "state": state, "next_at": next_at}
                for rid, state, next_at in fired
            ],
        )


async def move_reminders(conn: AsyncConnection, from_member: int, to_member: int) -> None:
    """Give a merged member's reminders to the member they were merged into."""
    await conn.execute(
        update(_reminders).where(_reminders.c.member_id == from_member).values(member_id=to_member)
    )

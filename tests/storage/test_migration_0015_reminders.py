"""Migration 0015 and reminders: a repeat stored as its RRULE fits, and a downgrade leaves no
reminder the older code cannot read. On both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import select
from sqlalchemy.engine import Connection

from storage import members
from storage import orgs as org_store
from storage.db import Database, alembic_config
from storage.models import Reminder
from storage.reminders import add_reminder

NOW = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
#: the longest repeat the grammar can store: six named days a week
LONGEST = "rrule:09:00:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA"


async def test_a_long_rule_is_stored_and_a_downgrade_cancels_rule_reminders(
    db_url: tuple[str, str | None],
) -> None:
    url, schema = db_url
    db = Database(url, schema=schema)
    try:
        await db.upgrade()
        async with db.transaction() as conn:
            org = await org_store.sync_org(conn, "il", "Illinois", "America/Chicago", [])
            member = await members.ensure_member(conn, "slack", "U1", "Ana", org.id)
            for text, recurrence in [("Rule", LONGEST), ("Old", "weekly:0:09:00"), ("Once", None)]:
                await add_reminder(
                    conn,
                    member_id=member.id,
                    identity_id=member.identity_id,
                    org_id=org.id,
                    text=text,
                    when_text=text,
                    recurrence=recurrence,
                    timezone="America/Chicago",
                    next_at=NOW,
                    now=NOW,
                )
        assert len(LONGEST) > 40

        def downgrade(connection: Connection) -> None:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, "0014")

        async with db.engine.begin() as conn:
            await conn.run_sync(downgrade)
        async with db.reading() as conn:
            rows = await conn.execute(
                select(
                    Reminder.text, Reminder.state, Reminder.recurrence, Reminder.next_at
                ).order_by(Reminder.id)
            )
            found = [tuple(row) for row in rows]
        assert found == [
            ("Rule", "cancelled", None, None),
            ("Old", "active", "weekly:0:09:00", NOW),
            ("Once", "active", None, NOW),
        ]
        await db.upgrade()  # and up again
    finally:
        await db.dispose()

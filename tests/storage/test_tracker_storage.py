"""The public tracker's part of migration 0015, on both databases: existing reports with a
source link become published, the others not, no tracker has changed yet, and the
downgrade takes the column, indexes and table away again."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Connection, text

from storage import orgs as org_store
from storage.db import Database, alembic_config


async def test_migration_0015_publishes_existing_reports_with_a_source_link(
    db_url: tuple[str, str | None],
) -> None:
    url, schema = db_url
    db = Database(url, schema=schema)
    try:
        await db.upgrade("0014")
        async with db.transaction() as conn:
            org = await org_store.sync_org(conn, "il", "Illinois", "America/Chicago", [])
            for ref, source in ((1001, "'https://n.example/a'"), (1002, "NULL")):
                await conn.execute(
                    text(
                        "INSERT INTO layoff_reports (org_id, ref, employer, employer_key, kind, "
                        "classifications, source_url, anonymous, ok_to_contact, status, "
                        "received_week, counted_on, month) VALUES "
                        f"({org.id}, {ref}, 'x', 'x', 'layoff', '[]', {source}, true, false, "
                        "'verified', '2026-11-02', '2026-11-05', '2026-11')"
                    )
                )
        await db.upgrade()
        async with db.reading() as conn:
            published = await conn.execute(
                text("SELECT ref, published FROM layoff_reports ORDER BY ref")
            )
            assert [(ref, bool(p)) for ref, p in published] == [(1001, True), (1002, False)]
            trackers = await conn.execute(text("SELECT count(*) FROM layoff_trackers"))
            assert trackers.scalar_one() == 0

        def downgrade(connection: Connection) -> None:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, "0014")

        async with db.engine.begin() as conn:
            await conn.run_sync(downgrade)
        async with db.reading() as conn:
            columns = await conn.execute(text("SELECT * FROM layoff_reports"))
            assert "published" not in columns.keys()
    finally:
        await db.dispose()

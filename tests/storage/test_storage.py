"""Storage on both databases: migrations, constraints, storage functions."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import bindparam, event, insert, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import links, members
from storage import orgs as org_store
from storage.db import Database, DatabaseError, alembic_config
from storage.links import LinkCodeRecord
from storage.models import (
    ChannelPost,
    Identity,
    LayoffReport,
    Member,
    OrgMember,
    PendingOptout,
    Profile,
)
from storage.types import UTCDateTime

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


async def test_migrations_make_every_table(database: Database) -> None:
    async with database.engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    assert {
        "organizations",
        "spaces",
        "members",
        "identities",
        "profiles",
        "org_members",
        "role_grants",
        "link_codes",
        "audit_log",
        "alembic_version",
    } <= tables
    current, head = await database.revision()
    assert current == head


async def test_upgrade_is_idempotent(database: Database) -> None:
    await database.upgrade()
    await database.check_schema()


async def test_unmigrated_database_is_refused(tmp_path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    try:
        with pytest.raises(DatabaseError, match="rallybot db upgrade"):
            await db.check_schema()
    finally:
        await db.dispose()


def test_bad_urls_are_explained() -> None:
    with pytest.raises(DatabaseError, match="async driver"):
        Database("sqlite:///x.db")
    with pytest.raises(DatabaseError, match="not supported"):
        Database("mysql+aiomysql://root@127.0.0.1/test")
    with pytest.raises(DatabaseError, match="not a database URL"):
        Database("::nonsense::")


async def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'wal.db'}")
    try:
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 30000
    finally:
        await db.dispose()


async def _org(db: Database) -> int:
    async with db.transaction() as conn:
        org = await org_store.sync_org(
            conn, "il", "Illinois", "America/Chicago", [("slack", "T1"), ("console", "il")]
        )
    return org.id


async def test_members_are_stored_once_per_account(database: Database) -> None:
    org_id = await _org(database)
    async with database.transaction() as conn:
        first = await members.ensure_member(conn, "slack", "U1", "Ana", org_id)
        again = await members.ensure_member(conn, "slack", "U1", "Ana R.", org_id)
        assert first.id == again.id and again.display_name == "Ana R."
        assert await members.find_member(conn, "slack", "U2") is None
    async with database.sessions() as session:
        assert len((await session.execute(select(Member))).all()) == 1
        assert len((await session.execute(select(OrgMember))).all()) == 1


async def test_a_new_member_is_stored_with_account_place_and_imported_opt_out(
    database: Database,
) -> None:
    org_id = await _org(database)
    async with database.transaction() as conn:
        await conn.execute(
            insert(PendingOptout).values(
                org_id=org_id,
                platform="slack",
                account="U9",
                display_name="Dee",
                imported_at=datetime(2026, 11, 2, tzinfo=UTC),
            )
        )
        ana, ana_profile = await members.create_member(conn, "slack", "U1", "Ana", org_id)
        dee, dee_profile = await members.create_member(conn, "slack", "U9", "Dee", org_id)
    assert ana_profile == members.ProfileRecord(ana.id) and ana_profile.alert_dms
    assert dee_profile.member_id == dee.id and not dee_profile.alert_dms
    async with database.reading() as conn:
        assert await members.find_member(conn, "slack", "U1") == ana
        assert await members.find_member(conn, "slack", "U9") == dee
        assert await members.org_ids_of(conn, dee.id) == [org_id]
        assert not (await members.profile(conn, dee.id)).alert_dms
        assert (await conn.execute(select(PendingOptout))).all() == []
    # the account's unique key refuses a second member for it, and nothing of it stays
    with pytest.raises(IntegrityError):
        async with database.transaction() as conn:
            await members.create_member(conn, "slack", "U1", "Ana again", org_id)
    async with database.sessions() as session:
        assert len((await session.execute(select(Member))).all()) == 2


async def test_identity_is_unique_per_platform_account(database: Database) -> None:
    org_id = await _org(database)
    async with database.transaction() as conn:
        await members.ensure_member(conn, "discord", "42", "Bea", org_id)
    with pytest.raises(IntegrityError):
        async with database.transaction() as conn:
            other = await members.ensure_member(conn, "discord", "43", "Cy", org_id)
            await conn.execute(
                insert(Identity).values(member_id=other.id, platform="discord", user_id="42")
            )


async def test_profile_update_merge_and_delete_cascade(database: Database) -> None:
    org_id = await _org(database)
    async with database.transaction() as conn:
        ana_slack = await members.ensure_member(conn, "slack", "U1", "Ana", org_id)
        ana_discord = await members.ensure_member(conn, "discord", "9", "ana", org_id)
        await members.update_profile(conn, ana_slack.id, {"state": "IL", "topics": ["pay equity"]})
        await members.update_profile(
            conn,
            ana_discord.id,
            {
                "timezone": "America/Chicago",
                "alert_dms": False,
                "state": "WI",
                "topics": ["layoffs"],
            },
        )
        await members.move_identities(conn, ana_discord.id, ana_slack.id)
        await members.delete_member(conn, ana_discord.id)
    async with database.transaction() as conn:
        merged = await members.profile(conn, ana_slack.id)
        assert merged.state == "IL"  # the kept member's answer wins
        assert merged.timezone == "America/Chicago"  # gaps are filled
        assert merged.alert_dms is False  # an opt-out on either account is kept
        assert merged.topics == ["pay equity", "layoffs"]
        assert {i.platform for i in await members.identities(conn, ana_slack.id)} == {
            "slack",
            "discord",
        }
        await members.delete_member(conn, ana_slack.id)
    async with database.sessions() as session:
        for model in (Member, Identity, Profile, OrgMember):
            assert (await session.execute(select(model))).first() is None


async def test_link_codes_work_once(database: Database) -> None:
    org_id = await _org(database)
    async with database.transaction() as conn:
        ana = await members.ensure_member(conn, "slack", "U1", "Ana", org_id)
        await links.store_link_code(
            conn, "ABCD-EFGH", ana.id, "slack", NOW + timedelta(minutes=10), NOW
        )
        bea = await members.ensure_member(conn, "discord", "9", "Bea", org_id)
        cy = await members.ensure_member(conn, "discord", "8", "Cy", org_id)
    expires = NOW + timedelta(minutes=10)
    async with database.transaction() as conn:
        assert await links.take_link_code(conn, "abcd-efgh", bea.identity_id) is None  # not entered
        entered = await links.enter_link_code(conn, "abcd-efgh", bea.identity_id)
        assert entered == LinkCodeRecord(ana.id, "slack", expires, bea.identity_id)
        assert await links.enter_link_code(conn, "ABCD-EFGH", cy.identity_id) is None
        assert await links.take_link_code(conn, "ABCD-EFGH", cy.identity_id) is None
    async with database.transaction() as conn:
        found = await links.take_link_code(conn, "abcd-efgh", bea.identity_id)
        assert found == LinkCodeRecord(ana.id, "slack", expires, bea.identity_id)
    async with database.transaction() as conn:
        assert await links.find_link_code(conn, "ABCD-EFGH") is None
        assert await links.take_link_code(conn, "ABCD-EFGH", bea.identity_id) is None
    # an entered code left unconfirmed goes, with who entered it, once anyone makes a code
    # after it expired
    async with database.transaction() as conn:
        await links.store_link_code(conn, "WXYZ-2345", ana.id, "slack", expires, NOW)
        assert await links.enter_link_code(conn, "WXYZ-2345", cy.identity_id) is not None
        await links.store_link_code(conn, "KLMN-6789", bea.id, "discord", expires, NOW)
        assert await links.find_link_code(conn, "WXYZ-2345") is not None
        later = NOW + timedelta(minutes=11)
        await links.store_link_code(
            conn, "PQRS-7892", bea.id, "discord", later + (expires - NOW), later
        )
        assert await links.find_link_code(conn, "WXYZ-2345") is None


async def test_failed_unit_of_work_keeps_what_was_stored(database: Database) -> None:
    org_id = await _org(database)
    async with database.transaction() as conn:
        ana = await members.ensure_member(conn, "slack", "U1", "Ana", org_id)
        await members.update_profile(conn, ana.id, {"state": "IL"})
    with pytest.raises(RuntimeError):
        async with database.transaction() as conn:
            await members.update_profile(conn, ana.id, {"state": "WI"})
            raise RuntimeError("fault half-way")
    async with database.transaction() as conn:
        assert (await members.profile(conn, ana.id)).state == "IL"


async def test_sync_org_moves_and_drops_spaces(database: Database) -> None:
    await _org(database)
    async with database.transaction() as conn:
        org = await org_store.sync_org(
            conn, "il", "Illinois Workers", "America/Chicago", [("discord", "5"), ("console", "il")]
        )
        assert org.name == "Illinois Workers"
    async with database.sessions() as session:
        rows = (await session.execute(text("SELECT platform, space_id FROM spaces"))).all()
    assert sorted(map(tuple, rows)) == [("console", "il"), ("discord", "5")]


async def test_sqlite_readers_neither_wait_for_nor_block_the_writer(tmp_path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'rw.db'}")
    await db.upgrade()
    try:
        async with db.transaction() as conn:
            await org_store.sync_org(conn, "il", "Illinois", "America/Chicago", [("console", "il")])
            # The writer holds SQLite's lock; a reader still sees the last committed state.
            async with db.reading() as reader:
                count = await asyncio.wait_for(
                    reader.execute(text("SELECT count(*) FROM organizations")), 5
                )
                assert count.scalar() == 0
        async with db.reading() as reader:
            assert (await reader.execute(text("SELECT count(*) FROM organizations"))).scalar() == 1
    finally:
        await db.dispose()


async def test_sqlite_writes_run_where_called_and_reads_in_sqlites_thread(tmp_path) -> None:
    """With the write lock free, a write transaction (its BEGIN IMMEDIATE included) runs in
    the caller's thread; a reading transaction's statements run in SQLite's."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}")

    @event.listens_for(db.engine.sync_engine, "connect")
    def add_thread_function(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection.sqlite.create_function(
            "thread_id", 0, threading.get_ident
        )

    here = threading.get_ident()
    try:
        writes = []
        for _ in "ab":
            async with db.transaction() as conn:
                writes += [(await conn.execute(text("SELECT thread_id()"))).scalar() for _ in "ab"]
        async with db.reading() as reader:
            reads = [(await reader.execute(text("SELECT thread_id()"))).scalar() for _ in "ab"]
        async with db.transaction() as conn:
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 30000
    finally:
        await db.dispose()
    assert writes == [here] * 4
    assert here not in reads


async def test_sqlite_writer_waits_for_another_programs_lock_without_holding_the_loop(
    tmp_path,
) -> None:
    path = tmp_path / "held.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.upgrade()
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def write() -> None:
        async with db.transaction() as conn:
            await org_store.sync_org(conn, "il", "Illinois", "America/Chicago", [])
            await org_store.sync_org(conn, "wi", "Wisconsin", "America/Chicago", [])

    ticker = asyncio.create_task(tick())
    try:
        writing = asyncio.create_task(write())
        await asyncio.sleep(0.3)
        assert not writing.done() and ticks >= 10  # waiting in SQLite's thread, loop free
        holder.execute("ROLLBACK")
        await asyncio.wait_for(writing, 5)
        async with db.reading() as reader:
            count = await reader.execute(text("SELECT count(*) FROM organizations"))
            assert count.scalar() == 2
    finally:
        ticker.cancel()
        holder.close()
        await db.dispose()


async def test_sqlite_write_failing_mid_transaction_leaves_nothing_and_the_next_commits(
    tmp_path,
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'fail.db'}")
    await db.upgrade()
    try:
        org_id = await _org(db)
        with pytest.raises(IntegrityError):
            async with db.transaction() as conn:
                await members.ensure_member(conn, "slack", "U1", "Ana", org_id)
                await conn.execute(insert(OrgMember).values(org_id=org_id, member_id=1))
        async with db.transaction() as conn:
            bea = await members.ensure_member(conn, "slack", "U2", "Bea", org_id)
        async with db.reading() as reader:
            names = await reader.execute(select(Member.display_name).order_by(Member.id))
            assert names.scalars().all() == ["Bea"]
        assert bea.display_name == "Bea"
    finally:
        await db.dispose()


async def test_migration_0004_fills_the_month_of_existing_reports(
    db_url: tuple[str, str | None],
) -> None:
    url, schema = db_url
    db = Database(url, schema=schema)
    try:
        await db.upgrade("0003")
        async with db.transaction() as conn:
            org = await org_store.sync_org(conn, "il", "Illinois", "America/Chicago", [])
            for effective in ("'2026-03-15'", "NULL"):
                await conn.execute(
                    text(
                        "INSERT INTO layoff_reports (org_id, employer, employer_key, kind, "
                        "classifications, effective_date, anonymous, ok_to_contact, status, "
                        f"received_week) VALUES ({org.id}, 'x', 'x', 'layoff', '[]', {effective}, "
                        "true, false, 'verified', '2026-11-02')"
                    )
                )
        await db.upgrade()
        async with db.reading() as conn:
            months = await conn.execute(text("SELECT month FROM layoff_reports ORDER BY id"))
            assert months.scalars().all() == ["2026-03", "2026-11"]
    finally:
        await db.dispose()


async def test_migration_0010_gives_existing_reports_random_references(
    db_url: tuple[str, str | None],
) -> None:
    url, schema = db_url
    db = Database(url, schema=schema)
    try:
        await db.upgrade("0008")
        async with db.transaction() as conn:
            orgs = [
                await org_store.sync_org(conn, slug, slug, "America/Chicago", []) for slug in "ab"
            ]
            for org in orgs:
                for _ in range(30):
                    await conn.execute(
                        text(
                            "INSERT INTO layoff_reports (org_id, employer, employer_key, kind, "
                            "classifications, anonymous, ok_to_contact, status, received_week) "
                            f"VALUES ({org.id}, 'x', 'x', 'layoff', '[]', true, false, "
                            "'pending', '2026-11-02')"
                        )
                    )
            # the first report's moderation post is still held back, the second's was sent
            for report_id, state in ((1, "pending"), (2, "sent")):
                await conn.execute(
                    text(
                        "INSERT INTO outbox (platform, target_kind, target, payload, kind, "
                        "idempotency_key, state, attempts, next_attempt_at, created_at) VALUES "
                        "('console', 'channel', 'moderation', '{}', 'moderation', "
                        f"'layoff:{report_id}:mod:console:moderation', '{state}', 0, :at, :at)"
                    ).bindparams(bindparam("at", type_=UTCDateTime())),
                    {"at": NOW},
                )
        await db.upgrade()
        async with db.reading() as conn:
            shown = select(LayoffReport.visible_from).order_by(LayoffReport.id).limit(3)
            assert (await conn.execute(shown)).scalars().all() == [NOW, None, None]
            found = (
                await conn.execute(text("SELECT org_id, ref FROM layoff_reports ORDER BY id"))
            ).all()
        for org in orgs:
            refs = [ref for org_id, ref in found if org_id == org.id]
            assert len(refs) == len(set(refs)) == 30
            assert all(1000 <= ref <= 99_999 for ref in refs)
            assert refs != sorted(refs)
        async with db.transaction() as conn:
            with pytest.raises(IntegrityError):
                async with conn.begin_nested():
                    await conn.execute(
                        text(
                            f"UPDATE layoff_reports SET ref = {found[1][1]} "
                            f"WHERE ref = {found[0][1]}"
                        )
                    )
    finally:
        await db.dispose()


async def test_migration_0013_copies_alert_and_poll_posts_into_channel_posts(
    db_url: tuple[str, str | None],
) -> None:
    url, schema = db_url
    db = Database(url, schema=schema)
    at = bindparam("at", type_=UTCDateTime())

    async def rows(conn: AsyncConnection, query: str) -> list[tuple[object, ...]]:
        return [tuple(r) for r in await conn.execute(text(query))]

    try:
        await db.upgrade("0012")
        async with db.transaction() as conn:
            org = await org_store.sync_org(conn, "il", "Illinois", "America/Chicago", [])
            for n, (platform, channel) in enumerate(
                [("slack", "CALERTS"), ("discord", "200"), ("slack", "CALERTS")], 1
            ):
                await conn.execute(
                    text(
                        "INSERT INTO outbox (platform, target_kind, target, payload, kind, "
                        "idempotency_key, state, attempts, next_attempt_at, created_at) VALUES "
                        f"('{platform}', 'channel', '{channel}', '{{}}', 'post', 'post:{n}', "
                        "'sent', 0, :at, :at)"
                    ).bindparams(at),
                    {"at": NOW + timedelta(minutes=n)},
                )
            await conn.execute(
                text(
                    "INSERT INTO alerts (org_id, title, body, kind, audience, state, created_at) "
                    f"VALUES ({org.id}, 'Call', 'Today', 'call', '{{}}', 'sent', :at)"
                ).bindparams(at),
                {"at": NOW},
            )
            await conn.execute(
                text(
                    "INSERT INTO polls (org_id, question, options, kind, anonymous, results, "
                    f"state, created_at) VALUES ({org.id}, 'When?', '[\"a\", \"b\"]', 'single', "
                    "false, 'live', 'open', :at)"
                ).bindparams(at),
                {"at": NOW},
            )
            await conn.execute(
                text(
                    "INSERT INTO alert_posts (alert_id, platform, channel, outbox_id, shown) "
                    "VALUES (1, 'slack', 'CALERTS', 1, '0 acted'), "
                    "(1, 'discord', '200', 2, '4 acted')"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO poll_posts (poll_id, platform, channel, outbox_id, shown) "
                    "VALUES (1, 'slack', 'CALERTS', 3, '2 ballots so far')"
                )
            )
        await db.upgrade()
        async with db.reading() as conn:
            copied = await rows(
                conn,
                "SELECT subject_kind, subject_id, org_id, platform, channel, outbox_id, shown "
                "FROM channel_posts ORDER BY outbox_id",
            )
            posted = (
                await conn.execute(
                    select(ChannelPost.posted_at, ChannelPost.shown_at).order_by(
                        ChannelPost.outbox_id
                    )
                )
            ).all()
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        assert copied == [
            ("alert", 1, org.id, "slack", "CALERTS", 1, "0 acted"),
            ("alert", 1, org.id, "discord", "200", 2, "4 acted"),
            ("poll", 1, org.id, "slack", "CALERTS", 3, "2 ballots so far"),
        ]
        assert [tuple(p) for p in posted] == [(NOW + timedelta(minutes=n),) * 2 for n in (1, 2, 3)]
        assert "alert_posts" not in tables and "poll_posts" not in tables
        # one post per subject and channel
        async with db.transaction() as conn:
            with pytest.raises(IntegrityError):
                async with conn.begin_nested():
                    await conn.execute(
                        text(
                            "INSERT INTO channel_posts (subject_kind, subject_id, org_id, "
                            "platform, channel, outbox_id, shown, posted_at, shown_at) VALUES "
                            f"('poll', 1, {org.id}, 'slack', 'CALERTS', 1, '', :at, :at)"
                        ).bindparams(at),
                        {"at": NOW},
                    )

        # and back: the old tables get their rows again
        def downgrade(connection: Connection) -> None:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, "0012")

        async with db.engine.begin() as conn:
            await conn.run_sync(downgrade)
        async with db.reading() as conn:
            alert_posts = await rows(
                conn, "SELECT alert_id, platform, channel, outbox_id, shown FROM alert_posts"
            )
            poll_posts = await rows(
                conn, "SELECT poll_id, platform, channel, outbox_id, shown FROM poll_posts"
            )
        assert sorted(alert_posts) == [
            (1, "discord", "200", 2, "4 acted"),
            (1, "slack", "CALERTS", 1, "0 acted"),
        ]
        assert poll_posts == [(1, "slack", "CALERTS", 3, "2 ballots so far")]
    finally:
        await db.dispose()


async def test_migration_0014_counts_reports_on_one_date_and_keeps_anonymous_days(
    db_url: tuple[str, str | None],
) -> None:
    url, schema = db_url
    db = Database(url, schema=schema)
    at = bindparam("at", type_=UTCDateTime())
    moderated = NOW + timedelta(days=31, hours=2, minutes=17)  # 2026-12-03 17:17 UTC
    try:
        await db.upgrade("0013")
        async with db.transaction() as conn:
            org = await org_store.sync_org(conn, "il", "Illinois", "America/Chicago", [])
            # as the store wrote them before: the month of the effective date, else of the
            # week's Monday
            for ref, effective, anonymous, month in (
                (1001, "NULL", "true", "2026-11"),
                (1002, "'2026-11-20'", "false", "2026-11"),
                (1003, "NULL", "false", "2026-11"),
            ):
                await conn.execute(
                    text(
                        "INSERT INTO layoff_reports (org_id, ref, employer, employer_key, kind, "
                        "classifications, effective_date, anonymous, ok_to_contact, status, "
                        f"received_week, month, moderated_at) VALUES ({org.id}, {ref}, 'x', "
                        f"'x', 'layoff', '[]', {effective}, {anonymous}, false, 'verified', "
                        f"'2026-11-30', '{month}', :at)"
                    ).bindparams(at),
                    {"at": moderated},
                )
        await db.upgrade()
        async with db.reading() as conn:
            found = (
                await conn.execute(
                    select(
                        LayoffReport.ref,
                        LayoffReport.counted_on,
                        LayoffReport.month,
                        LayoffReport.moderated_at,
                    ).order_by(LayoffReport.ref)
                )
            ).all()
        assert [tuple(r) for r in found] == [
            (1001, date(2026, 12, 3), "2026-12", datetime(2026, 12, 3, tzinfo=UTC)),
            (1002, date(2026, 11, 20), "2026-11", moderated),
            (1003, date(2026, 12, 3), "2026-12", moderated),
        ]
        async with db.engine.connect() as conn:
            stats = await conn.run_sync(
                lambda c: {
                    i["name"]: i["column_names"] for i in inspect(c).get_indexes("layoff_reports")
                }
            )
        assert stats["ix_layoff_reports_stats"][-1] == "counted_on"

        def downgrade(connection: Connection) -> None:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, "0013")

        async with db.engine.begin() as conn:
            await conn.run_sync(downgrade)
        async with db.reading() as conn:
            months = await conn.execute(text("SELECT month FROM layoff_reports ORDER BY ref"))
            assert months.scalars().all() == ["2026-11", "2026-11", "2026-11"]
    finally:
        await db.dispose()

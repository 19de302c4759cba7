"""Dashboard sign-in storage on both databases: tokens kept only as digests, a login link
spent once and not after it expires, sessions that expire and end one by one or everywhere,
the export that names no token, and migration 0015's downgrade that takes the tables away."""

from __future__ import annotations

from datetime import timedelta

from alembic import command
from sqlalchemy import Connection, inspect, select, text

from storage import members, web_access
from storage import orgs as org_store
from storage.db import Database, alembic_config
from storage.models import WebLogin, WebSession
from tests.support import START


async def _signer(database: Database, name: str = "olu") -> web_access.Signer:
    async with database.transaction() as conn:
        org = await org_store.sync_org(conn, "il", "Illinois", "America/Chicago", [])
        member = await members.ensure_member(conn, "console", name, name.title(), org.id)
    return web_access.Signer(
        org.id, member.id, "console", "il", name, name.title(), ("organizer",), ()
    )


async def test_a_login_link_is_kept_hashed_and_spent_once(database: Database) -> None:
    signer = await _signer(database)
    async with database.transaction() as conn:
        token = await web_access.add_login(conn, signer, START, START + timedelta(minutes=10))
    async with database.reading() as conn:
        stored = (await conn.execute(select(WebLogin.__table__.c.token_hash))).scalars().all()
        assert stored == [web_access.token_hash(token)] and token not in stored
        found = await web_access.find_login(conn, token)
        assert found is not None and found.signer == signer and found.used_at is None
        assert await web_access.find_login(conn, token + "x") is None
    later = START + timedelta(minutes=3)
    async with database.transaction() as conn:
        assert await web_access.spend_login(conn, token, later) == signer
    async with database.transaction() as conn:
        assert await web_access.spend_login(conn, token, later) is None
        found = await web_access.find_login(conn, token)
        assert found is not None and found.used_at == later


async def test_an_expired_link_signs_no_one_in(database: Database) -> None:
    signer = await _signer(database)
    async with database.transaction() as conn:
        token = await web_access.add_login(conn, signer, START, START + timedelta(minutes=10))
    async with database.transaction() as conn:
        assert await web_access.spend_login(conn, token, START + timedelta(minutes=10)) is None


async def test_sessions_expire_and_end_alone_or_everywhere(database: Database) -> None:
    signer = await _signer(database)
    other = await _signer(database, "ana")
    end = START + timedelta(hours=12)
    async with database.transaction() as conn:
        first = await web_access.add_session(conn, signer, START, end)
        second = await web_access.add_session(conn, signer, START, end)
        hers = await web_access.add_session(conn, other, START, end)
        await web_access.add_login(conn, signer, START, START + timedelta(minutes=10))
    async with database.reading() as conn:
        assert await web_access.find_session(conn, first, START) == signer
        assert await web_access.find_session(conn, first, end) is None
        digests = (await conn.execute(select(WebSession.__table__.c.token_hash))).scalars()
        assert first not in set(digests)
    async with database.transaction() as conn:
        await web_access.end_session(conn, first)
        assert await web_access.find_session(conn, first, START) is None
        assert await web_access.find_session(conn, second, START) == signer
        exported = await web_access.access_of_member(conn, signer.member_id)
        assert [e["kind"] for e in exported] == ["login link", "dashboard session"]
        assert not any(second in str(v) or "hash" in k for e in exported for k, v in e.items())
        assert await web_access.end_sessions_of(conn, signer.member_id) == 1
        assert await web_access.find_session(conn, second, START) is None
        assert await web_access.access_of_member(conn, signer.member_id) == []
        assert await web_access.find_session(conn, hers, START) == other
        await web_access.forget_expired(conn, end)
        assert await web_access.find_session(conn, hers, START) is None


async def test_migration_0015_downgrade_takes_the_dashboard_tables_away(
    db_url: tuple[str, str | None],
) -> None:
    url, schema = db_url
    db = Database(url, schema=schema)
    try:
        await db.upgrade()

        def tables(connection: Connection) -> set[str]:
            return set(inspect(connection).get_table_names(schema=schema))

        def downgrade(connection: Connection) -> None:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, "0014")

        async with db.engine.begin() as conn:
            assert {"web_logins", "web_sessions"} <= await conn.run_sync(tables)
            await conn.run_sync(downgrade)
        async with db.engine.begin() as conn:
            assert not {"web_logins", "web_sessions"} & await conn.run_sync(tables)
        await db.upgrade()
        async with db.reading() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM web_sessions"))).scalar() == 0
    finally:
        await db.dispose()

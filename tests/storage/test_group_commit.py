"""Group commit on SQLite: units of work queued behind the writer share one COMMIT, each in a
savepoint of its own; on PostgreSQL every unit keeps a transaction of its own."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import db as db_module
from storage import members
from storage import orgs as org_store
from storage.db import Database
from tests.support import ok, start_bot

CHILD = Path(__file__).with_name("group_commit_child.py")


class Refused(Exception):
    """A unit of work's own failure, raised after it wrote."""


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'group.db'}")
    async with db.transaction() as conn:
        await conn.execute(
            text("CREATE TABLE parents (id INTEGER PRIMARY KEY, tag TEXT NOT NULL UNIQUE)")
        )
        await conn.execute(
            text(
                "CREATE TABLE items (id INTEGER PRIMARY KEY, tag TEXT NOT NULL UNIQUE, "
                "hits INTEGER NOT NULL DEFAULT 1, parent_id INTEGER REFERENCES parents (id))"
            )
        )
    try:
        yield db
    finally:
        await db.dispose()


def count_commits(db: Database) -> list[int]:
    """A list that grows by one at every COMMIT of a write on ``db``'s engine (a reader's
    transaction ends with one too)."""
    commits: list[int] = []

    @event.listens_for(db.engine.sync_engine, "commit")
    def on_commit(conn: Any) -> None:
        if not conn.get_execution_options().get("rallybot_read_only", False):
            commits.append(1)

    return commits


async def queued(db: Database, units: list[Any]) -> list[Any]:
    """Run ``units`` (coroutines) queued together behind the writer, their outcomes or errors
    in order. A unit's statements run without handing control back (the write lock is held),
    so units merely started together might not all be waiting yet when the first ends: the
    writer is held here until every one is."""
    await db._write_lock.acquire()
    tasks = [asyncio.ensure_future(u) for u in units]
    try:
        for _ in range(10_000):
            if db._waiting >= len(tasks):
                break
            await asyncio.sleep(0)
        assert db._waiting == len(tasks)
    finally:
        db._write_lock.release()
    return await asyncio.gather(*tasks, return_exceptions=True)


async def add(conn: AsyncConnection, tag: str, parent_id: int | None = None) -> None:
    await conn.execute(
        text("INSERT INTO items (tag, parent_id) VALUES (:tag, :parent)"),
        {"tag": tag, "parent": parent_id},
    )


async def tags(db: Database) -> set[str]:
    async with db.reading() as conn:
        return set((await conn.execute(text("SELECT tag FROM items"))).scalars())


async def test_a_failing_unit_undoes_only_its_own_writes_and_the_others_commit_together(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "GROUP_MAX_AGE", 3600.0)
    db = sqlite_db
    async with db.transaction() as conn:
        await add(conn, "taken")
    commits = count_commits(db)

    async def unit(n: int) -> int:
        async with db.transaction() as conn:
            await add(conn, f"{n}-a")
            if n == 11:
                await add(conn, "taken")  # a UNIQUE refusal, after a row of its own
            await add(conn, f"{n}-b")
            if n == 7:
                raise Refused(n)
            if n == 13:
                task = asyncio.current_task()
                assert task is not None
                task.cancel()
                await asyncio.sleep(0)
        return n

    results = await queued(db, [unit(n) for n in range(20)])

    assert isinstance(results[7], Refused) and results[7].args == (7,)
    assert isinstance(results[11], IntegrityError)
    assert isinstance(results[13], asyncio.CancelledError)
    failed = {7, 11, 13}
    assert [r for n, r in enumerate(results) if n not in failed] == [
        n for n in range(20) if n not in failed
    ]
    expected = {"taken"} | {f"{n}-{s}" for n in range(20) if n not in failed for s in "ab"}
    assert await tags(db) == expected
    # Twenty units queued at once behind the writer: one shared COMMIT.
    assert len(commits) == 1


async def test_upserts_with_returning_work_inside_the_units_savepoints(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "GROUP_MAX_AGE", 3600.0)
    db = sqlite_db
    await db.upgrade()
    async with db.transaction() as conn:
        org = await org_store.sync_org(conn, "il", "Illinois", "America/Chicago", [])
    commits = count_commits(db)

    async def unit(n: int) -> tuple[int, int, int]:
        async with db.transaction() as conn:
            member = await members.ensure_member(conn, "slack", f"U{n % 5}", f"m{n % 5}", org.id)
            row = (
                await conn.execute(
                    text(
                        "INSERT INTO items (tag) VALUES (:tag) ON CONFLICT (tag) "
                        "DO UPDATE SET hits = hits + 1 RETURNING id, hits"
                    ),
                    {"tag": f"t{n % 3}"},
                )
            ).one()
            if n == 4:
                raise Refused(n)
        return member.id, row.id, row.hits

    results = await queued(db, [unit(n) for n in range(12)])

    assert isinstance(results[4], Refused)
    ok = {n: r for n, r in enumerate(results) if n != 4}
    # One member per account (n % 5): found again inside the group, never stored twice.
    for n, (member_id, _, _) in ok.items():
        assert member_id == ok[n % 5 if n % 5 != 4 else 9][0]
    async with db.reading() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM members"))).scalar() == 5
        hits = dict((await conn.execute(text("SELECT tag, hits FROM items"))).all())
    # Unit 4's upsert of t1 was undone with it: t0 gets n=0,3,6,9; t1 n=1,7,10; t2 n=2,5,8,11.
    assert hits == {"t0": 4, "t1": 3, "t2": 4}
    assert [r[2] for n, r in sorted(ok.items()) if n % 3 == 1] == [1, 2, 3]
    assert len(commits) == 1


async def test_readers_see_a_group_only_once_it_has_committed(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "GROUP_MAX_AGE", 3600.0)
    db = sqlite_db
    second_queued = asyncio.Event()
    seen_by_second: dict[str, object] = {}

    async def first() -> None:
        async with db.transaction() as conn:
            await add(conn, "first")
            await second_queued.wait()

    async def second() -> None:
        second_queued.set()
        async with db.transaction() as conn:
            # The first unit's block has ended, but its row is not committed: readers do not
            # see it, and the first unit has not been answered.
            seen_by_second["readers"] = await tags(db)
            seen_by_second["first_done"] = first_task.done()
            await add(conn, "second")

    first_task = asyncio.create_task(first())
    await asyncio.sleep(0)
    await asyncio.wait_for(asyncio.gather(first_task, second()), 10)

    assert seen_by_second == {"readers": set(), "first_done": False}
    assert await tags(db) == {"first", "second"}


async def test_a_lone_unit_commits_at_once(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # However long a group may stay open, a unit with nobody waiting behind it commits when
    # its block ends: there is no timer in the path.
    monkeypatch.setattr(db_module, "GROUP_MAX_AGE", 3600.0)
    db = sqlite_db
    commits = count_commits(db)
    for n in range(5):
        async with db.transaction() as conn:
            await add(conn, f"lone-{n}")
        assert len(commits) == n + 1
        assert await tags(db) >= {f"lone-{n}"}


async def test_a_group_takes_in_at_most_its_bound_of_units(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = sqlite_db
    commits = count_commits(db)

    async def unit(n: int) -> None:
        async with db.transaction() as conn:
            await add(conn, f"u{n}")

    monkeypatch.setattr(db_module, "GROUP_MAX_AGE", 3600.0)
    monkeypatch.setattr(db_module, "GROUP_MAX_UNITS", 4)
    assert await queued(db, [unit(n) for n in range(12)]) == [None] * 12
    assert len(commits) == 3

    # A group past its age takes in no more units: each commits alone.
    monkeypatch.setattr(db_module, "GROUP_MAX_AGE", 0.0)
    await asyncio.gather(*(unit(n) for n in range(12, 18)))
    assert len(commits) == 3 + 6
    assert len(await tags(db)) == 18


async def test_a_failed_commit_is_raised_in_every_unit_of_the_group(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "GROUP_MAX_AGE", 3600.0)
    db = sqlite_db

    async def unit(n: int) -> int:
        async with db.transaction() as conn:
            if n == 0:
                # A foreign key checked at COMMIT, not at the statement: the group's COMMIT
                # fails, after every unit's block has ended well.
                await conn.execute(text("PRAGMA defer_foreign_keys = ON"))
                await add(conn, "orphan", parent_id=999)
            else:
                await add(conn, f"u{n}")
        return n

    results = await queued(db, [unit(n) for n in range(6)])

    assert all(isinstance(r, IntegrityError) for r in results), results
    assert "FOREIGN KEY" in str(results[0])
    assert await tags(db) == set()
    # The writer is usable afterwards, and foreign keys are checked at once again.
    async with db.transaction() as conn:
        await add(conn, "after")
    with pytest.raises(IntegrityError):
        async with db.transaction() as conn:
            await add(conn, "orphan", parent_id=999)
    assert await tags(db) == {"after"}


async def test_a_unit_cancelled_while_waiting_for_the_commit_leaves_its_group_whole(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "GROUP_MAX_AGE", 3600.0)
    db = sqlite_db
    second_queued = asyncio.Event()
    first_task: asyncio.Task[None]

    async def first() -> None:
        async with db.transaction() as conn:
            await add(conn, "first")
            await second_queued.wait()

    async def second() -> None:
        second_queued.set()
        async with db.transaction() as conn:
            await add(conn, "second")
            first_task.cancel()  # the first waits for the shared COMMIT
            await asyncio.sleep(0)

    first_task = asyncio.create_task(first())
    await asyncio.sleep(0)
    await asyncio.wait_for(second(), 10)

    with pytest.raises(asyncio.CancelledError):
        await first_task
    # Its work was in the group: committed with the second unit's.
    assert await tags(db) == {"first", "second"}


async def test_a_group_handed_to_a_unit_that_gives_up_is_still_committed(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "GROUP_MAX_AGE", 3600.0)
    db = sqlite_db
    second_queued = asyncio.Event()

    async def first() -> None:
        async with db.transaction() as conn:
            await add(conn, "first")
            await second_queued.wait()
            second_task.cancel()  # still waiting for the writer, then given up

    async def second() -> None:
        second_queued.set()
        async with db.transaction() as conn:
            await add(conn, "second")

    first_task = asyncio.create_task(first())
    await asyncio.sleep(0)
    second_task = asyncio.create_task(second())
    await asyncio.wait_for(first_task, 10)  # answered: the group was committed for it

    with pytest.raises(asyncio.CancelledError):
        await second_task
    assert await tags(db) == {"first"}
    async with db.transaction() as conn:
        await add(conn, "third")
    assert await tags(db) == {"first", "third"}


async def test_when_sqlite_ends_the_transaction_the_whole_group_fails(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "GROUP_MAX_AGE", 3600.0)
    db = sqlite_db

    async def unit(n: int) -> int:
        async with db.transaction() as conn:
            await add(conn, f"u{n}")
            if n == 2:
                # As SQLite does itself on a full disk or an I/O error: the whole
                # transaction, the units before this one included, is gone.
                await conn.exec_driver_sql("ROLLBACK")
                raise Refused(n)
        return n

    results = await queued(db, [unit(n) for n in range(5)])

    # Units 0 and 1 were in the lost transaction: they are not told their work is done.
    assert [type(r) for r in results[:3]] == [Refused] * 3
    # Units 3 and 4 came after it, in a group of their own.
    assert results[3:] == [3, 4]
    assert await tags(db) == {"u3", "u4"}


@pytest.mark.parametrize("after_lines", [1, 40, 400, 1500])
def test_a_killed_process_loses_no_answer_it_gave(tmp_path: Path, after_lines: int) -> None:
    path = tmp_path / "crash.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE answers (id INTEGER PRIMARY KEY)")
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    answered: list[int] = []
    try:
        for line in child.stdout:
            answered.append(int(line))
            if len(answered) >= after_lines:
                break
    finally:
        child.send_signal(signal.SIGKILL)
    # What it printed before it died, still in the pipe, was answered too.
    answered += [int(line) for line in child.stdout.read().split()]
    child.wait(10)
    assert child.returncode == -signal.SIGKILL
    assert len(answered) >= after_lines

    with sqlite3.connect(path) as conn:
        stored = {row[0] for row in conn.execute("SELECT id FROM answers")}
    # Every answer given is stored; a failed unit's row never is.
    assert set(answered) <= stored
    assert not {n for n in stored if n % 7 == 0}
    # Rows stored and not yet answered are the group being answered when the kill came.
    assert len(stored - set(answered)) <= 2 * 64


async def test_postgresql_keeps_one_transaction_per_unit(pg_url: tuple[str, str]) -> None:
    url, schema = pg_url
    db = Database(url, schema=schema)
    try:
        async with db.transaction() as conn:
            await conn.execute(text("CREATE TABLE items (id SERIAL PRIMARY KEY, tag TEXT UNIQUE)"))
        commits = count_commits(db)

        async def unit(n: int) -> int:
            async with db.transaction() as conn:
                await conn.execute(text("INSERT INTO items (tag) VALUES (:t)"), {"t": f"u{n}"})
                if n == 1:
                    raise Refused(n)
            return n

        results = await asyncio.gather(*(unit(n) for n in range(4)), return_exceptions=True)
        assert isinstance(results[1], Refused)
        assert [results[0], *results[2:]] == [0, 2, 3]
        assert len(commits) == 3  # one per unit that committed, none shared
        async with db.reading() as conn:
            found = set((await conn.execute(text("SELECT tag FROM items"))).scalars())
        assert found == {"u0", "u2", "u3"}
    finally:
        await db.dispose()


async def test_a_command_remembers_its_member_only_after_the_shared_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "GROUP_MAX_AGE", 3600.0)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await db.upgrade()
    bot = await start_bot(db)
    try:
        org = bot.app.services.orgs.lookup("console", "demo")
        assert org is not None
        cache = bot.app.services.members
        go = asyncio.Event()
        seen: dict[str, object] = {}

        async def queued(count: int) -> None:
            # Until ``count`` units wait for the writer (the dispatcher awaits before its
            # unit of work begins, so the order of the tasks alone does not say).
            async with asyncio.timeout(10):
                while db._waiting < count:  # noqa: ASYNC110 -- a count, no event to wait on
                    await asyncio.sleep(0.001)

        async def holder() -> None:
            async with db.transaction():
                await go.wait()

        async def after_the_command() -> None:
            async with db.transaction():
                # The command's block has ended (its savepoint released), not its group.
                seen["cached"] = cache.get("console", "ana", org[0].id, "Ana")
                seen["answered"] = command.done()

        holding = asyncio.create_task(holder())
        await asyncio.sleep(0)
        command = asyncio.create_task(ok(bot, "ana", "/profile state:IL"))
        await queued(1)
        checking = asyncio.create_task(after_the_command())
        await queued(2)
        go.set()
        await asyncio.wait_for(asyncio.gather(holding, command, checking), 10)

        assert seen == {"cached": None, "answered": False}
        cached = cache.get("console", "ana", org[0].id, "Ana")
        assert cached is not None and cached.display_name == "Ana"
    finally:
        await bot.app.stop()
        await db.dispose()

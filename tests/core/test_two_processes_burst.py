"""Two bot processes on one PostgreSQL schema share a burst of the same members' clicks:
first contacts in both at once, and some clicks landing on both. Nothing is lost or
doubled, the capacity holds, and the tallies are the rows (PostgreSQL only: SQLite has one
writer, so two processes never race there)."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from storage import members
from storage.db import Database
from storage.models import AlertResponse, Identity
from tests.burst_worker import Side, application, check, commands_of, person, prepare

ROOT = Path(__file__).resolve().parent.parent.parent
MEMBERS = 120
CAPACITY = 70


async def test_two_processes_share_a_burst_of_first_contacts(pg_url: tuple[str, str]) -> None:
    url, schema = pg_url
    db = Database(url, schema=schema)
    await db.upgrade()
    try:
        await prepare(db, CAPACITY)
        loop = asyncio.get_running_loop()
        sides = [Side(ROOT, url, schema, MEMBERS, n) for n in (0, 1)]
        try:
            for side in sides:
                await loop.run_in_executor(None, side.ready)
            for side in sides:
                side.go()
            results = [await loop.run_in_executor(None, side.result) for side in sides]
        finally:
            for side in sides:
                if side.proc.poll() is None:
                    side.proc.kill()
                    side.proc.wait()
        # every member clicked in both processes, and each process ran its own half
        assert [r["commands"] for r in results] == [len(commands_of(n, MEMBERS)) for n in (0, 1)]
        # nobody was refused: not a second signature, nor a first contact the other process
        # was making at the same moment
        assert [r for result in results for r in result["refusals"]] == []
        found = await check(db, MEMBERS, CAPACITY)
        assert found["problems"] == [], found["problems"]
        assert found["going"] == CAPACITY and found["ballots"] == MEMBERS
    finally:
        await db.dispose()


async def test_a_first_contact_and_a_second_click_made_elsewhere_both_give_way(
    pg_url: tuple[str, str],
) -> None:
    # Members sign in two applications at once while a third unit of work is making their
    # first contact: both wait on it, find their own first contact refused, and run afresh;
    # then both find no signature yet and add one, and one of them is refused again. Each
    # must still answer as a second click is answered, and one signature is stored.
    url, schema = pg_url
    db = Database(url, schema=schema)
    await db.upgrade()
    apps = []
    try:
        await prepare(db, CAPACITY)
        for _ in range(2):
            app = application(Database(url, schema=schema))
            await app.start(background=False)
            apps.append(app)
        org_id = apps[0].services.orgs.by_slug("demo")[0].id
        names = [f"m{n}" for n in range(8)]
        async with db.transaction() as conn:
            for name in names:
                await members.ensure_member(conn, "console", name, name, org_id)
            signing = [
                asyncio.create_task(app.dispatcher.handle_text(person(name), "/alert sign id:1"))
                for name in names
                for app in apps
            ]
            await asyncio.sleep(1.0)  # every one of them waits on this first contact
            assert not any(task.done() for task in signing)
        replies = await asyncio.gather(*signing)
        assert [r.text for r in replies if r.error] == []
        said = Counter(
            "thanks" if "Thank you for signing" in r.text else "already" for r in replies
        )
        assert said == {"thanks": len(names), "already": len(names)}, [r.text for r in replies]
        async with db.reading() as conn:
            signatures = await conn.execute(
                select(Identity.user_id, func.count())
                .join(AlertResponse, AlertResponse.member_id == Identity.member_id)
                .where(AlertResponse.kind == "signed")
                .group_by(Identity.user_id)
            )
            assert dict(signatures.all()) == dict.fromkeys(names, 1)
    finally:
        for app in apps:
            await app.stop()
            await app.db.dispose()
        await db.dispose()

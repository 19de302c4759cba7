"""The delivery engine against a local rate-limited sink, on SQLite and PostgreSQL."""

from __future__ import annotations

import ast
import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, update

from bot.clock import MovableClock
from bot.delivery import DeliveryEngine, EngineSettings
from bot.messages import Messages
from bot.ratelimit import DestinationPacer, Pace
from bot.reply import Reply
from storage.db import Database
from storage.models import DueItem, OutboxMessage
from storage.queue import KIND_PRIORITY, PRIORITY_CLASSES, claim_outbox, schedule
from tests.sink import Sink, SinkFaults, SinkSender
from tests.support import ROOT, start_bot

# The sender's own timeout (3 s) fires before the engine's.
FAST = EngineSettings(backoff=0.01, max_backoff=0.05, max_attempts=12, send_timeout=4.0, poll=0.05)


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    server = Sink(rate=5000, burst=50)
    await server.start()
    yield server
    await server.stop()


async def enqueue(db: Database, clock: MovableClock, count: int, prefix: str = "m") -> None:
    async with db.transaction() as conn:
        messages = Messages(conn, clock.now())
        for n in range(count):
            await messages.to_channel(
                "sink", f"c{n % 7}", Reply(text=f"message {n}"), kind="test", key=f"{prefix}:{n}"
            )


async def states(db: Database) -> dict[str, int]:
    async with db.transaction() as conn:
        rows = await conn.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        )
        return {state: count for state, count in rows}


async def test_every_message_is_sent_once(database: Database, sink: Sink) -> None:
    clock = MovableClock()
    sender = SinkSender(sink.url, rate=4000, burst=20, concurrency=16)
    engine = DeliveryEngine(database, clock, {"sink": sender}, FAST)
    await enqueue(database, clock, 300)
    await engine.drain()
    await sender.close()
    assert len(sink.received) == 300 and set(sink.received.values()) == {1}
    assert await states(database) == {"sent": 300}
    async with database.transaction() as conn:
        refs = (await conn.execute(select(OutboxMessage.platform_ref))).scalars().all()
    assert all(ref and ref.startswith("m") for ref in refs)


async def test_a_second_message_with_the_same_key_is_not_stored(database: Database) -> None:
    clock = MovableClock()
    await enqueue(database, clock, 3)
    await enqueue(database, clock, 3)
    assert await states(database) == {"pending": 3}


async def test_faults_and_rate_limits_still_deliver_each_message_once(database: Database) -> None:
    # 429s from a sink slower than the engine is told, plus 10 % 5xx and 10 % calls never
    # answered (each costs the client its whole timeout). An answer slower than the client's
    # timeout would be sent again and counted here as a duplicate, so the timeout is the
    # sender's realistic default, several times the slowest answer on a loaded machine.
    sink = Sink(rate=400, burst=5, retry_after=0.02, faults=SinkFaults(server_error=0.1, hang=0.1))
    await sink.start()
    clock = MovableClock()
    sender = SinkSender(sink.url, rate=1000, burst=10, concurrency=16)
    engine = DeliveryEngine(database, clock, {"sink": sender}, FAST)
    try:
        await enqueue(database, clock, 200)
        await engine.drain(retries=True, give_up_after=60)
    finally:
        await sender.close()
        await sink.stop()
    assert sink.limited > 0 and sink.faulted > 0
    assert len(sink.received) == 200 and set(sink.received.values()) == {1}
    assert await states(database) == {"sent": 200}
    assert engine.stats["limited"] > 0 and engine.stats["retried"] > 0


async def test_a_send_begins_only_while_its_lease_outlasts_it(
    database: Database, sink: Sink
) -> None:
    # Defaults: a 30 s lease, sends of up to 15 s, 5 s to record the outcome. The second of
    # two messages waits for its turn (one call a second); meanwhile 12 s pass, leaving 18 s
    # of its lease: more than the margin, less than a send may take. Begun now, the send
    # could still be under way when another process claims the message and sends it again.
    clock = MovableClock()
    sender = SinkSender(sink.url, rate=1, burst=1, concurrency=2)
    engine = DeliveryEngine(database, clock, {"sink": sender}, EngineSettings(poll=0.05))
    await enqueue(database, clock, 2)
    draining = asyncio.create_task(engine.drain())
    await _wait_for(lambda: len(sink.received) == 1, 10)
    clock.advance(timedelta(seconds=12))
    await draining
    await sender.close()
    assert engine.stats["handed_back"] == 1  # then claimed afresh and sent
    assert len(sink.received) == 2 and set(sink.received.values()) == {1}
    assert await states(database) == {"sent": 2}


def test_settings_refuse_a_lease_a_send_could_outlast() -> None:
    with pytest.raises(ValueError, match="lease: must be longer than send_timeout plus"):
        EngineSettings(lease=timedelta(seconds=20), send_timeout=15.0)


async def test_permanent_failures_are_recorded_and_do_not_block_others(
    database: Database, sink: Sink
) -> None:
    clock = MovableClock()
    sender = SinkSender(sink.url, rate=4000, concurrency=4)
    engine = DeliveryEngine(database, clock, {"sink": sender}, FAST)
    await enqueue(database, clock, 5)
    async with database.transaction() as conn:
        await Messages(conn, clock.now()).to_channel(
            "sink", "c1", Reply(text="x" * 50_000), kind="test", key="too-big"
        )
    await engine.drain()
    await sender.close()
    assert await states(database) == {"sent": 5, "failed": 1}
    async with database.transaction() as conn:
        error = (
            await conn.execute(
                select(OutboxMessage.error).where(OutboxMessage.idempotency_key == "too-big")
            )
        ).scalar_one()
    assert error == "invalid_message"


async def test_a_dead_claim_is_taken_over_after_its_lease(database: Database, sink: Sink) -> None:
    clock = MovableClock()
    await enqueue(database, clock, 4)
    async with database.transaction() as conn:  # a process claims two, then dies
        now = clock.now()
        dead = await claim_outbox(conn, "sink", "dead-process", now, now + timedelta(seconds=30), 2)
    assert len(dead) == 2
    sender = SinkSender(sink.url, rate=4000)
    engine = DeliveryEngine(database, clock, {"sink": sender}, FAST)
    await engine.drain()
    assert len(sink.received) == 2  # the leased two wait for their lease
    clock.advance(timedelta(seconds=31))
    await engine.drain()
    await sender.close()
    assert len(sink.received) == 4 and set(sink.received.values()) == {1}


async def test_an_edit_waits_for_the_message_it_edits(database: Database, sink: Sink) -> None:
    clock = MovableClock()
    async with database.transaction() as conn:
        messages = Messages(conn, clock.now())
        original = await messages.to_channel(
            "sink", "c1", Reply(text="0 signed"), kind="tally", key="tally"
        )
        assert original is not None
        await messages.edit(
            original,
            "sink",
            "channel",
            "c1",
            Reply(text="1 signed"),
            kind="tally",
            key="tally:edit:1",
        )
        await conn.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == original)
            .values(next_attempt_at=clock.now() + timedelta(hours=1))
        )
    sender = SinkSender(sink.url, rate=4000)
    engine = DeliveryEngine(database, clock, {"sink": sender}, FAST)
    await engine.drain()
    assert len(sink.received) == 0
    clock.advance(timedelta(hours=1))
    await engine.drain()
    await sender.close()
    assert sink.order == ["tally", "tally:edit:1"]


# A killed worker's messages wait for its lease: 8 s rather than 30 s, still long enough for
# the longest send (3 s, plus the engine's 1 s) and the time to record it (2 s).
QUICK_TAKEOVER = ("--rate", "300", "--lease", "8")


def _worker(url: str, schema: str | None, sink_url: str, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "tests.worker", "--db", url, "--sink", sink_url, *extra]
    if schema:
        args += ["--schema", schema]
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


async def _wait_for(predicate, seconds: float) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + seconds
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.005)


async def _started(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    loop = asyncio.get_running_loop()
    while (line := await loop.run_in_executor(None, proc.stdout.readline)) != "started\n":
        assert line, "the worker ended before it started"


async def _finish(proc: subprocess.Popen[str], seconds: float = 60) -> str:
    loop = asyncio.get_running_loop()
    out, err = await loop.run_in_executor(None, lambda: proc.communicate(timeout=seconds))
    assert proc.returncode == 0, err
    return out


async def test_sigkill_mid_fanout_then_restart(
    database: Database, db_url: tuple[str, str | None]
) -> None:
    url, schema = db_url
    sink = Sink(rate=300, burst=5, retry_after=0.02)
    await sink.start()
    try:
        first = _worker(url, schema, sink.url, "--enqueue", "600", *QUICK_TAKEOVER)
        await _wait_for(lambda: len(sink.received) >= 150, 60)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert first.returncode == -signal.SIGKILL
        before = len(sink.received)
        assert before < 600, "killed too late to test anything"
        second = _worker(url, schema, sink.url, "--until-idle", *QUICK_TAKEOVER)
        await _finish(second)
    finally:
        await sink.stop()
    assert len(sink.received) == 600, "a message was lost"
    duplicated = [key for key, n in sink.received.items() if n > 1]
    # Only messages in flight at the kill can have reached the sink without being recorded:
    # at most the worker's concurrency (8).
    assert len(duplicated) <= 8, duplicated
    assert await states(database) == {"sent": 600}


async def test_sigkill_with_an_idempotent_platform_sends_nothing_twice(
    database: Database, db_url: tuple[str, str | None]
) -> None:
    url, schema = db_url
    sink = Sink(rate=300, burst=5, retry_after=0.02, dedupe=True)
    await sink.start()
    try:
        first = _worker(url, schema, sink.url, "--enqueue", "400", *QUICK_TAKEOVER)
        await _wait_for(lambda: len(sink.received) >= 100, 60)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        await _finish(_worker(url, schema, sink.url, "--until-idle", *QUICK_TAKEOVER))
    finally:
        await sink.stop()
    assert len(sink.received) == 400 and set(sink.received.values()) == {1}


async def test_two_processes_share_1000_due_items_on_postgresql(pg_url: tuple[str, str]) -> None:
    url, schema = pg_url
    database = Database(url, schema=schema)
    await database.upgrade()
    sink = Sink(rate=5000, burst=100)
    await sink.start()
    workers = []
    try:
        for _ in range(2):
            workers.append(
                _worker(
                    url,
                    schema,
                    sink.url,
                    "--until-idle",
                    "--expect",
                    "1000",
                    "--rate",
                    "2000",
                    "--concurrency",
                    "16",
                )
            )
        for worker in workers:  # both processes up and polling before the work appears
            await _started(worker)
        clock = MovableClock()
        async with database.transaction() as conn:
            for n in range(1000):
                await schedule(
                    conn, kind="ping", due_at=clock.now(), key=f"ping-item:{n}", ref_id=n
                )
        outputs = [await _finish(worker, 120) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
        await sink.stop()
        await database.dispose()
    assert len(sink.received) == 1000 and set(sink.received.values()) == {1}
    ran = [int(out.split("ran ")[1].split()[0]) for out in outputs]
    assert sum(ran) == 1000 and min(ran) > 0, ran
    async with database.transaction() as conn:
        done = (
            await conn.execute(
                select(func.count()).select_from(DueItem).where(DueItem.state == "done")
            )
        ).scalar_one()
    assert done == 1000


async def test_a_running_bot_sleeps_while_nothing_it_may_claim_is_due(
    database: Database, sink: Sink
) -> None:
    # Rows the engine may not claim yet: an edit of a post that failed, an edit of a post
    # held back for an hour, that held-back post, and a post leased by another process for
    # an hour. A running bot must sleep (count its queries, not seconds of CPU), and close
    # the edit of the failed post as failed, with the reason.
    sender = SinkSender(sink.url, rate=4000)
    bot = await start_bot(database, senders={"sink": sender})
    now = bot.clock.now()
    async with database.transaction() as conn:
        messages = Messages(conn, now)
        gone = await messages.to_channel(
            "sink", "c1", Reply(text="0 signed"), kind="alert", key="gone"
        )
        held = await messages.to_channel(
            "sink",
            "c2",
            Reply(text="report"),
            kind="moderation",
            key="held",
            not_before=now + timedelta(hours=1),
        )
        leased = await messages.to_channel(
            "sink", "c3", Reply(text="x"), kind="alert", key="leased"
        )
        assert gone and held and leased
        for original, key in ((gone, "gone:edit"), (held, "held:edit")):
            await messages.edit(
                original, "sink", "channel", "c1", Reply(text="1 signed"), kind="tally", key=key
            )
        await conn.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == gone)
            .values(state="failed", error="channel_not_found")
        )
        await conn.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == leased)
            .values(
                state="sending",
                lease_owner="other-process",
                lease_expires_at=now + timedelta(hours=1),
            )
        )
    statements = 0

    def count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(database.engine.sync_engine, "before_cursor_execute", count)
    await bot.app.delivery.start()
    try:
        await asyncio.sleep(1.0)
    finally:
        await bot.app.delivery.stop()
        event.remove(database.engine.sync_engine, "before_cursor_execute", count)
        await sender.close()
    assert statements < 40, f"{statements} queries in one idle second"
    async with database.transaction() as conn:
        edit = (
            await conn.execute(
                select(OutboxMessage.state, OutboxMessage.error).where(
                    OutboxMessage.idempotency_key == "gone:edit"
                )
            )
        ).one()
    assert edit.state == "failed" and "channel_not_found" in (edit.error or "")
    assert len(sink.received) == 0


async def test_alerts_go_before_a_backlog_of_reminders(database: Database, sink: Sink) -> None:
    # 60 reminders to 60 people were queued first, then an alert, an event reminder and a
    # moderation post: the urgent class goes first, then the event class, then the rest.
    clock = MovableClock()
    async with database.transaction() as conn:
        messages = Messages(conn, clock.now())
        for n in range(60):
            await messages.to_person("sink", f"u{n}", Reply(text="r"), kind="reminder", key=f"r{n}")
        await messages.to_person("sink", "u0", Reply(text="e"), kind="event_reminder", key="e")
        await messages.to_person("sink", "u1", Reply(text="a"), kind="alert", key="a")
        await messages.to_channel("sink", "mod", Reply(text="m"), kind="moderation", key="m")
    sender = SinkSender(sink.url, rate=4000, concurrency=1)
    engine = DeliveryEngine(database, clock, {"sink": sender}, FAST)
    await engine.drain()
    await sender.close()
    assert sink.order[:3] == ["a", "m", "e"]
    assert len(sink.order) == 63


#: calls that hand a message kind on: ``messages.…(kind=)`` and ``posts.…(kind=)``, and the
#: edit kind a feature's ``group.live_view(edit_kind=)`` declares
_SENDS = {
    "messages": ("to_channel", "to_person", "add_all", "edit"),
    "posts": ("announce", "post_to_channels", "refresh"),
    "group": ("live_view",),
}


def _message_kinds(path: Path) -> set[str]:
    """The kinds of message a module hands to ``Messages`` (posts, DMs, fan-outs, edits) or to
    ``bot.posts`` (announcements, posts in channels, refreshes, a live view's edit kind), read
    from its source: a literal ``kind=`` (``edit_kind=``), a dict entry ``"kind": ...`` spread
    into the call, or a parameter of the enclosing function, followed to the literals its
    callers pass. A keyword-only parameter (``bot.posts``) is named by each caller, which is
    read as a call of its own; a view's ``edit_kind`` is read from its declaration."""
    tree = ast.parse(path.read_text())
    functions = {f.name: f for f in ast.walk(tree) if isinstance(f, ast.AsyncFunctionDef)}
    kinds: set[str] = set()

    def literals(node: ast.expr, where: ast.AsyncFunctionDef) -> set[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.BoolOp):
            return set().union(*(literals(value, where) for value in node.values))
        if isinstance(node, ast.Attribute) and node.attr == "edit_kind":
            return set()
        assert isinstance(node, ast.Name), f"{path.name}: a kind that is not a literal"
        if node.id in [a.arg for a in where.args.kwonlyargs]:
            return set()
        params = [a.arg for a in where.args.args]
        assert node.id in params, f"{path.name}: cannot follow kind {node.id}"
        found: set[str] = set()
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and getattr(call.func, "id", "") == where.name:
                index = params.index(node.id)
                given = [k.value for k in call.keywords if k.arg == node.id]
                found |= literals((given or call.args[index : index + 1])[0], where)
        return found

    for where in functions.values():
        for call in ast.walk(where):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
                continue
            owner = getattr(call.func.value, "attr", getattr(call.func.value, "id", ""))
            if call.func.attr not in _SENDS.get(owner, ()):
                continue
            for keyword in call.keywords:
                if keyword.arg in ("kind", "edit_kind"):
                    kinds |= literals(keyword.value, where)
                elif keyword.arg is None and isinstance(keyword.value, ast.Name):
                    spread = [
                        a.value
                        for a in ast.walk(where)
                        if isinstance(a, ast.Assign)
                        and getattr(a.targets[0], "id", "") == keyword.value.id
                        and isinstance(a.value, ast.Dict)
                    ]
                    for table in spread:
                        for key, value in zip(table.keys, table.values, strict=True):
                            if isinstance(key, ast.Constant) and key.value == "kind":
                                kinds |= literals(value, where)
    return kinds


def test_every_kind_of_message_sent_has_a_priority_class() -> None:
    used = set().union(
        *(
            _message_kinds(p)
            for folder in ("bot", "commands")
            for p in (ROOT / folder).rglob("*.py")
        )
    )
    assert {"alert", "reminder", "moderation", "tally", "event_reminder"} <= used
    assert used - set(KIND_PRIORITY) == set(), "classify these kinds in storage.queue"
    assert set(KIND_PRIORITY.values()) == set(PRIORITY_CLASSES)


def test_a_destination_takes_its_burst_then_waits_for_its_turn() -> None:
    pacer = DestinationPacer(Pace(interval=30.0, burst=2, inflight=3))
    for _ in range(2):
        assert pacer.room("C1", post=True)
        pacer.claim("C1", post=True)
    assert not pacer.room("C1", post=True) and pacer.room("C1", post=False)
    assert pacer.busy() == ([], ["C1"])
    assert pacer.turn("C1") == 0.0 and pacer.turn("C1") == 0.0
    pacer.claim("C1", post=False)  # an edit: no turn, but a call in flight
    assert pacer.busy() == (["C1"], []) and not pacer.room("C1", post=False)
    for _ in range(3):
        pacer.finish("C1")
    assert pacer.busy() == ([], ["C1"]) and pacer.room("C2", post=True)
    assert 29.0 < (pacer.next_turn() or 0.0) <= 30.0

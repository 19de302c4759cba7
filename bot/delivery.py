"""The delivery engine: every outgoing message is an outbox row, sent once, as fast as allowed.

Handlers add rows inside their unit of work (``storage.queue.add_message``); the engine claims
due rows per platform with a lease (the most urgent priority class first, then the
earliest due), sends them through that platform's ``Sender`` at the rate and concurrency
the sender declares, keeps each destination (a channel, a person's direct messages) to the
pace the sender declares for it without holding up the others (rows for a destination that
cannot take them now are not claimed), obeys 429 answers (retry-after, and a pause of the
whole platform when the sender says so), retries transient failures with exponential
backoff and jitter up to ``max_attempts``, and records each outcome in its own small
transaction right after the platform answers, so a crash leaves at most the messages then
in flight unrecorded. Another process (or this one after a restart) claims rows whose
lease ran out; see the README for what that can and cannot guarantee. Between rounds it
sleeps until the next row it could claim falls due (or a destination's next turn).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from bot.clock import Clock
from bot.metrics import Metrics
from bot.ratelimit import DestinationPacer, Pace, TokenBucket
from bot.reply import Reply, from_payload
from storage.db import Database
from storage.queue import (
    OutboxRow,
    claim_outbox,
    mark_failed,
    mark_sent,
    next_outbox_time,
    reschedule,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """A message as a sender sees it."""

    id: int
    platform: str
    target_kind: str  # channel or user
    target: str
    reply: Reply
    kind: str
    key: str
    #: the platform's reference of the message to edit, for an edit
    edit_ref: str | None = None
    member_id: int | None = None
    #: the organization it is sent for, when known (a platform may hold a token per space)
    org_id: int | None = None


@dataclass(frozen=True)
class SendResult:
    """What became of one send."""

    ok: bool = False
    ref: str | None = None
    #: rate limited: send this message again after so many seconds (not a failed attempt)
    retry_after: float | None = None
    #: the platform asks for no calls at all for so many seconds
    pause: float | None = None
    #: a failure worth retrying (5xx, timeout, connection reset)
    transient: bool = False
    error: str = ""

    @classmethod
    def sent(cls, ref: str | None = None, *, pause: float | None = None) -> SendResult:
        """Delivered; ``ref`` lets later edits find the message."""
        return cls(ok=True, ref=ref, pause=pause)

    @classmethod
    def limited(cls, seconds: float) -> SendResult:
        """A 429: wait ``seconds``, and pause all sends to the platform as long."""
        return cls(retry_after=seconds, pause=seconds, error="rate limited")

    @classmethod
    def retry(cls, error: str) -> SendResult:
        """A transient failure."""
        return cls(transient=True, error=error)

    @classmethod
    def fail(cls, error: str) -> SendResult:
        """A permanent failure: retrying would not help."""
        return cls(error=error)


class Sender(Protocol):
    """Sends messages to one platform and says how fast it may."""

    platform: str
    #: calls a second the platform allows, and how many may be sent at once
    rate: float
    burst: float
    concurrency: int
    #: how much one destination (a channel, a person's direct messages) takes
    pace: Pace

    async def send(self, message: Outgoing) -> SendResult:
        """Send one message; never raise for what the platform answered."""
        ...


@dataclass
class EngineSettings:
    """Tunables of the delivery engine.

    A send begins only while the lease has ``send_timeout`` plus ``lease_margin`` left, so
    every send ends (answered or timed out) and is recorded before another process may claim
    the message: the margin is the time its outcome has to reach the database.
    """

    lease: timedelta = timedelta(seconds=30)
    #: time left on the lease after the longest send, to record its outcome
    lease_margin: timedelta = timedelta(seconds=5)
    batch: int = 100
    max_attempts: int = 8
    backoff: float = 1.0
    max_backoff: float = 300.0
    send_timeout: float = 15.0
    poll: float = 2.0
    #: the shortest sleep after a round that claimed nothing (a row another process is
    #: claiming at that moment is skipped by the claim, yet seen as due)
    idle: float = 0.05

    def __post_init__(self) -> None:
        if timedelta(seconds=self.send_timeout) + self.lease_margin >= self.lease:
            raise ValueError(
                "delivery lease: must be longer than send_timeout plus lease_margin "
                f"({self.send_timeout} s + {self.lease_margin.total_seconds()} s), "
                f"not {self.lease.total_seconds()} s, or a send could outlast its lease"
            )

    @property
    def send_window(self) -> timedelta:
        """A claimed message's send begins only while its lease has this much time left."""
        return timedelta(seconds=self.send_timeout) + self.lease_margin


#: rows claimed ahead of their send: a quarter second of the platform's rate (at least
#: ``CLAIM_AT_LEAST`` and the sender's concurrency, at most a batch), so claims are few and
#: large while a message of a more urgent class, committed meanwhile, waits behind little
CLAIM_AHEAD = 0.25
CLAIM_AT_LEAST = 16


@dataclass
class _Platform:
    sender: Sender
    bucket: TokenBucket
    pacer: DestinationPacer
    #: calls under way (the sender's concurrency)
    slots: asyncio.Semaphore
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    #: claimed rows, waiting for a slot or being sent
    inflight: set[asyncio.Task[None]] = field(default_factory=set)


class DeliveryEngine:
    """Sends the outbox for every platform that has a sender."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        senders: Mapping[str, Sender],
        settings: EngineSettings | None = None,
        *,
        owner: str | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.metrics = metrics
        self.clock = clock
        self.settings = settings or EngineSettings()
        self.owner = owner or f"deliver-{secrets.token_hex(6)}"
        self.platforms = {
            name: _Platform(
                sender,
                TokenBucket(sender.rate, sender.burst),
                DestinationPacer(sender.pace),
                asyncio.Semaphore(max(1, sender.concurrency)),
            )
            for name, sender in senders.items()
        }
        self.stats: Counter[str] = Counter()
        self._loops: list[asyncio.Task[None]] = []

    def wake(self, platform: str | None = None) -> None:
        """New rows were committed: look for work now rather than at the next poll."""
        for name, state in self.platforms.items():
            if platform is None or platform == name:
                state.wake.set()

    async def start(self) -> None:
        """Send in the background until stopped."""
        for name in self.platforms:
            self._loops.append(asyncio.create_task(self._loop(name), name=f"deliver-{name}"))

    async def stop(self) -> None:
        """Stop claiming; let messages already in flight finish."""
        for task in self._loops:
            task.cancel()
        for task in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loops.clear()
        pending = [t for state in self.platforms.values() for t in state.inflight]
        if pending:
            await asyncio.wait(pending, timeout=self.settings.send_timeout)

    async def drain(self, *, retries: bool = False, give_up_after: float = 60.0) -> None:
        """Send everything due now, waiting for busy destinations' turns; with ``retries``,
        also wait out retries and pauses; stop after ``give_up_after`` seconds of waiting."""
        deadline = time.monotonic() + give_up_after
        while True:
            await asyncio.gather(*(self._until_idle(name) for name in self.platforms))
            if retries:
                waits = [await self._seconds_to_next(name) for name in self.platforms]
            else:
                waits = [await self._paced_now(name) for name in self.platforms]
            waits = [w for w in waits if w is not None]
            if not waits or time.monotonic() > deadline:
                return
            await asyncio.sleep(min(max(min(waits), 0.001), 1.0))

    async def _loop(self, name: str) -> None:
        state = self.platforms[name]
        while True:
            claimed = 0
            try:
                claimed = await self._until_idle(name)
                wait = await self._seconds_to_next(name)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery to %s stumbled; trying again shortly", name)
                wait = self.settings.poll
            state.wake.clear()
            timeout = self.settings.poll if wait is None else min(wait, self.settings.poll)
            timeout = max(timeout, 0.0 if claimed else self.settings.idle)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.wake.wait(), timeout)

    async def _seconds_to_next(self, name: str) -> float | None:
        """Seconds until this engine could claim a row it cannot claim now: one falls due,
        another process's lease runs out, or a busy destination gets its next turn."""
        state = self.platforms[name]
        # read the pacer once, before the query: a turn that comes while the query runs
        # would otherwise be neither waited for (it is no longer ahead) nor found by the
        # query (its rows were left out as waiting), and the work would look finished
        full, waiting = state.pacer.busy()
        waits = [state.pacer.next_turn()]
        async with self.db.reading() as conn:
            at = await next_outbox_time(conn, name, self.owner, full=full, waiting=waiting)
        if at is not None:
            waits.append((at - self.clock.now()).total_seconds())
        found = [w for w in waits if w is not None]
        return min(found) if found else None

    async def _paced_now(self, name: str) -> float | None:
        """Seconds until a busy destination's next turn, if a row due now waits for one."""
        turn = self.platforms[name].pacer.next_turn()
        if turn is None:
            return None
        async with self.db.reading() as conn:
            at = await next_outbox_time(conn, name, self.owner)
        return turn if at is not None and at <= self.clock.now() else None

    async def _until_idle(self, name: str) -> int:
        """Claim and send until nothing of this platform can be claimed and nothing is in
        flight; how many rows were claimed."""
        state = self.platforms[name]
        ahead = max(CLAIM_AT_LEAST, int(state.sender.rate * CLAIM_AHEAD))
        limit = max(1, state.sender.concurrency, min(ahead, self.settings.batch))
        total = 0
        while True:
            free = limit - len(state.inflight)
            claimed: list[OutboxRow] = []
            if free > 0 and (free >= max(1, limit // 2) or not state.inflight):
                claimed = await self._claim(name, free)
                total += len(claimed)
                for row in claimed:
                    task = asyncio.create_task(self._deliver(state, row))
                    state.inflight.add(task)
                    task.add_done_callback(state.inflight.discard)
            if not claimed and not state.inflight:
                return total
            if state.inflight and (not claimed or len(state.inflight) >= limit):
                await asyncio.wait(
                    state.inflight,
                    timeout=state.pacer.next_turn(),
                    return_when=asyncio.FIRST_COMPLETED,
                )

    async def _claim(self, name: str, limit: int) -> list[OutboxRow]:
        """Lease up to ``limit`` due rows whose destinations can take them now."""
        pacer = self.platforms[name].pacer
        full, waiting = pacer.busy()
        counted: list[tuple[str, bool]] = []

        def accept(target: str, post: bool) -> bool:
            if not pacer.room(target, post=post):
                return False
            pacer.claim(target, post=post)
            counted.append((target, post))
            return True

        now = self.clock.now()
        try:
            async with self.db.transaction() as conn:
                return await claim_outbox(
                    conn,
                    name,
                    self.owner,
                    now,
                    now + self.settings.lease,
                    limit,
                    full=full,
                    waiting=waiting,
                    accept=accept,
                )
        except BaseException:
            for target, post in counted:
                pacer.finish(target, post=post)
            raise

    async def _deliver(self, state: _Platform, row: OutboxRow) -> None:
        post = row.edit_ref is None  # a new post, which takes a turn of its destination
        turn_taken = False
        try:
            async with state.slots:  # a call of the platform's concurrency to spare
                await state.bucket.acquire()
                if self.clock.now() > row.lease_expires_at - self.settings.send_window:
                    # Waited too long for our turn: a send begun now could still be under
                    # way when the lease runs out and another process claims the message.
                    # Hand it back.
                    async with self.db.transaction() as conn:
                        await reschedule(
                            conn, row.id, self.owner, self.clock.now(), count_attempt=False
                        )
                    self.stats["handed_back"] += 1
                    return
                if post:
                    turn_taken = True
                    if wait := state.pacer.turn(row.target):
                        await asyncio.sleep(wait)
                result, answered = await self._send(state, row)
            # the call is over: its slot is another's while the outcome is stored
            outcome = await self._record(state, row, result)
            if self.metrics is not None:
                self.metrics.sent(row.platform, outcome, answered)
        finally:
            state.pacer.finish(row.target, post=post and not turn_taken)

    async def _send(self, state: _Platform, row: OutboxRow) -> tuple[SendResult, float | None]:
        """Send a row through its platform's sender: what became of it, and the seconds the
        platform took to answer (None without an answer)."""
        settings = self.settings
        message = Outgoing(
            id=row.id,
            platform=row.platform,
            target_kind=row.target_kind,
            target=row.target,
            reply=from_payload(row.payload),
            kind=row.kind,
            key=row.idempotency_key,
            edit_ref=row.edit_ref,
            member_id=row.member_id,
            org_id=row.org_id,
        )
        started = time.monotonic()
        answered: float | None = None
        try:
            result = await asyncio.wait_for(state.sender.send(message), settings.send_timeout)
            answered = time.monotonic() - started
        except TimeoutError:
            result = SendResult.retry("timed out")
        except Exception as exc:  # a sender bug must not stop delivery of everything else
            log.exception("the %s sender failed on message %s", row.platform, row.id)
            result = SendResult.retry(f"sender error: {type(exc).__name__}")
        return result, answered

    async def _record(self, state: _Platform, row: OutboxRow, result: SendResult) -> str:
        """Store what became of a send; returns the outcome's word for /metrics (``sent``,
        ``429``, ``retry`` or ``failed``)."""
        settings = self.settings
        if result.pause:
            state.bucket.pause(result.pause)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if result.ok:
                if not await mark_sent(conn, row.id, self.owner, now, result.ref):
                    log.warning("message %s was sent after its lease ran out", row.id)
                self.stats["sent"] += 1
                return "sent"
            elif result.retry_after is not None:
                self.stats["limited"] += 1
                await reschedule(
                    conn,
                    row.id,
                    self.owner,
                    now + timedelta(seconds=result.retry_after),
                    count_attempt=False,
                )
                return "429"
            elif result.transient and row.attempts + 1 < settings.max_attempts:
                self.stats["retried"] += 1
                delay = min(settings.max_backoff, settings.backoff * 2**row.attempts)
                delay *= random.uniform(0.5, 1.5)
                await reschedule(
                    conn,
                    row.id,
                    self.owner,
                    now + timedelta(seconds=delay),
                    count_attempt=True,
                    error=result.error,
                )
                return "retry"
            else:
                self.stats["failed"] += 1
                log.warning("giving up on message %s to %s: %s", row.id, row.platform, result.error)
                await mark_failed(conn, row.id, self.owner, result.error or "failed")
                return "failed"

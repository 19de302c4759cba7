"""The scheduler: due items live in the database; APScheduler only says when to look.

At start, and whenever woken, the scheduler claims the items due by now (with a lease, so
several processes share them), runs each item's handler and closes the item in the same
transaction as the messages the handler adds to the outbox: an item's messages are stored
exactly once. An item older than the grace window when it is reached (the bot was down) is
handed to its handler as missed, so it can tell its owner, and closed as missed.

APScheduler (3.11, AsyncIOScheduler, in memory) holds one wake-up at the next due time, a
periodic look for items another process added, and the weekly digest per organization.
Its memory is rebuilt from the database at every start.

The console moves its own clock, which the wall-clock digest never sees: there the digest
follows the services' clock instead (``digests_follow_clock``), as a due item planned a
week at a time, so moving the clock past Monday morning runs it like every other item.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.registry import DueHandler
from bot.unit import UnitOfWork
from storage.queue import DueRow, claim_due, finish_due, next_due_time, schedule

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another process took over a due item; this unit of work must not commit."""


@dataclass
class DueContext(UnitOfWork):
    """What a due-item handler gets: the items of its kind that fell due together and the unit
    of work they are closed in, which runs at the moment they were claimed. Handlers take
    items in batches so a thousand reminders due in one second cost a few statements, not
    thousands."""

    items: list[DueRow]
    grace: timedelta

    def missed(self, item: DueRow) -> bool:
        """The item is older than the grace window: the bot was down when it fell due."""
        return self.now - item.due_at > self.grace


async def _wake_job(scheduler: Scheduler) -> None:
    await scheduler.tick()


async def _digest_job(scheduler: Scheduler, slug: str) -> None:
    await scheduler.add_digest(slug)


def digest_key(slug: str, due_at: datetime, timezone: str) -> str:
    """The digest's occurrence name: one per organization and local day."""
    return f"digest:{slug}:{due_at.astimezone(ZoneInfo(timezone)).date().isoformat()}"


def next_digest_at(cron: str, timezone: str, after: datetime) -> datetime:
    """The first time after ``after`` that ``cron`` names in ``timezone``, in UTC."""
    trigger = CronTrigger.from_crontab(cron, timezone=ZoneInfo(timezone))
    upcoming = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
    assert upcoming is not None  # a crontab names a time in every year
    return upcoming.astimezone(UTC)


class Scheduler:
    """Runs due items for one process."""

    def __init__(
        self,
        services: Services,
        handlers: dict[str, DueHandler],
        *,
        owner: str | None = None,
        lease: timedelta = timedelta(minutes=2),
        batch: int = 200,
        chunk: int = 50,
        poll: float = 30.0,
    ) -> None:
        self.services = services
        self.handlers = handlers
        self.owner = owner or f"schedule-{secrets.token_hex(6)}"
        self.lease = lease
        self.batch = batch
        self.chunk = chunk
        self.poll = poll
        self._aps: AsyncIOScheduler | None = None
        self._armed_at: datetime | None = None
        self._lock = asyncio.Lock()
        self._ticking = asyncio.Lock()
        self._digests_on_clock = False

    @property
    def grace(self) -> timedelta:
        """How late an item may still be delivered after downtime."""
        return self.services.config.scheduler.grace

    async def start(self) -> None:
        """Catch up on what fell due while stopped, then wake at each next due time."""
        self._aps = AsyncIOScheduler(timezone=UTC)
        self._aps.start()
        self._aps.add_job(
            _wake_job,
            IntervalTrigger(seconds=self.poll),
            args=[self],
            id="poll",
            max_instances=1,
            coalesce=True,
        )
        if not self._digests_on_clock:
            self._add_digest_jobs()
        await self.tick()

    def _add_digest_jobs(self) -> None:
        """The weekly digest per organization at the configured wall-clock time."""
        assert self._aps is not None
        cron = self.services.config.scheduler.digest_cron
        for record, org in self.services.orgs:
            self._aps.add_job(
                _digest_job,
                CronTrigger.from_crontab(cron, timezone=ZoneInfo(org.timezone)),
                args=[self, record.slug],
                id=f"digest-{record.slug}",
                coalesce=True,
                misfire_grace_time=int(self.grace.total_seconds()) or None,
            )

    async def stop(self) -> None:
        """Forget the wake-ups and let a run in progress finish; the database keeps the rest."""
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        async with self._ticking:
            pass

    def notify(self, due_at: datetime) -> None:
        """A unit of work scheduled an item: wake for it if it is earlier than planned."""
        if self._aps is not None and (self._armed_at is None or due_at < self._armed_at):
            self._arm(due_at)

    async def next_due(self) -> datetime | None:
        """When the earliest pending item falls due, if any."""
        async with self.services.db.transaction() as conn:
            return await next_due_time(conn)

    async def tick(self) -> int:
        """Run everything due, then wake again at the next due time."""
        async with self._ticking:
            if self._aps is None:
                return 0  # stopped meanwhile
            done = await self.run_due()
            upcoming = await self.next_due()
            self._armed_at = None
            if upcoming is not None and self._aps is not None:
                self._arm(upcoming)
            return done

    def _arm(self, due_at: datetime) -> None:
        assert self._aps is not None
        delay = max((due_at - self.services.clock.now()).total_seconds(), 0.0)
        self._aps.add_job(
            _wake_job,
            DateTrigger(datetime.now(UTC) + timedelta(seconds=delay)),
            args=[self],
            id="wake",
            replace_existing=True,
            misfire_grace_time=None,
        )
        self._armed_at = due_at

    async def digests_follow_clock(self) -> None:
        """From now on the weekly digest follows the services' clock, not the wall clock: each
        organization's next digest is a due item, and each digest run plans the next one."""
        self._digests_on_clock = True
        if self._aps is not None:
            for record, _org in self.services.orgs:
                if self._aps.get_job(f"digest-{record.slug}") is not None:
                    self._aps.remove_job(f"digest-{record.slug}")
        await self._plan_digests()
        await self.tick()

    async def _plan_digests(self) -> None:
        """Each organization's next digest as a due item (once, whatever the process)."""
        cron = self.services.config.scheduler.digest_cron
        now = self.services.clock.now()
        async with self.services.db.transaction() as conn:
            for record, org in self.services.orgs:
                due_at = next_digest_at(cron, org.timezone, now)
                await schedule(
                    conn,
                    kind="digest",
                    due_at=due_at,
                    key=digest_key(record.slug, due_at, org.timezone),
                    org_id=record.id,
                )

    async def add_digest(self, slug: str) -> None:
        """The weekly digest's time came: add it as a due item (once, whatever the process)."""
        record, org = self.services.orgs.by_slug(slug)
        now = self.services.clock.now()
        async with self.services.db.transaction() as conn:
            await schedule(
                conn,
                kind="digest",
                due_at=now,
                key=digest_key(slug, now, org.timezone),
                org_id=record.id,
            )
        await self.tick()

    async def run_due(self) -> int:
        """Claim and run every item due by now; return how many were closed."""
        total = 0
        async with self._lock:
            while True:
                now = self.services.clock.now()
                async with self.services.db.transaction() as conn:
                    items = await claim_due(conn, self.owner, now, now + self.lease, self.batch)
                if not items:
                    return total
                for start in range(0, len(items), self.chunk):
                    total += await self._run_chunk(items[start : start + self.chunk])
                if self._digests_on_clock and any(item.kind == "digest" for item in items):
                    await self._plan_digests()

    async def _run_chunk(self, items: list[DueRow]) -> int:
        """Run items together in one transaction; if one fails, run them one by one."""
        try:
            await self._run_items(items)
            return len(items)
        except Exception:
            if len(items) == 1:
                await self._fail(items[0])
                return 1
        for item in items:
            try:
                await self._run_items([item])
            except Exception:
                await self._fail(item)
        return len(items)

    async def _run_items(self, items: list[DueRow]) -> None:
        services = self.services
        now = services.clock.now()
        by_kind: dict[str, list[DueRow]] = {}
        for item in items:
            by_kind.setdefault(item.kind, []).append(item)
        units: list[DueContext] = []
        async with services.db.transaction() as conn:
            for kind, batch in by_kind.items():
                handler = self.handlers.get(kind)
                if handler is None:
                    raise LookupError(f"no handler for due items of kind {kind!r}")
                ctx = DueContext(services, conn, batch, self.grace, at=now)
                units.append(ctx)
                await handler(ctx)
                for state in ("done", "missed"):
                    ids = [i.id for i in batch if (state == "missed") == ctx.missed(i)]
                    if await finish_due(conn, ids, self.owner, state, now) != len(ids):
                        raise LeaseLost(f"a due item of {ids} was taken over")
        for ctx in units:
            ctx.committed()
        for ctx in units:
            await ctx.run_after_commit()

    async def _fail(self, item: DueRow) -> None:
        log.exception("due item %s (%s) failed", item.id, item.kind)
        async with self.services.db.transaction() as conn:
            await finish_due(
                conn,
                [item.id],
                self.owner,
                "failed",
                self.services.clock.now(),
                error="the handler failed; see the log",
            )

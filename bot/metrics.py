"""The numbers ``GET /metrics`` shows, in the Prometheus text format.

Each :class:`Application` owns one :class:`Metrics` with a registry of its own (never
prometheus-client's global one), so two applications in one process, or two tests, never
share counts. The delivery engine counts sends and times them, the dispatcher counts
commands and times answers, the database engine reports its errors, and the queue gauges
are read from the database when scraped (at most once per ``cache_seconds``).

No label carries a member, an account, a channel or an organization: only platform names,
priority classes, command groups and fixed outcome words. A command declared with
``counted=False`` (a layoff report) is seen nowhere, not even in a total.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.clock import Clock
from storage.db import Database
from storage.metrics import queue_figures
from storage.queue import PRIORITY_CLASSES

log = logging.getLogger(__name__)

#: what ``/metrics`` answers with
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
#: what became of one send
SEND_OUTCOMES = ("sent", "retry", "429", "failed")
#: what became of one command
COMMAND_OUTCOMES = ("ok", "refused", "form", "error")
#: a due item this long past its time counts as late
LATE_AFTER = timedelta(seconds=60)
#: how long the scraped queue figures are reused, in seconds
CACHE_SECONDS = 5.0
#: how long a scrape waits for the database, in seconds
QUERY_TIMEOUT = 5.0

_SEND_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_ANSWER_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)


class Metrics:
    """The application's counters, histograms and gauges, and their text for a scrape."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        platforms: Iterable[str] = (),
        *,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self.db = db
        self.clock = clock
        self.cache_seconds = cache_seconds
        self.platforms = tuple(platforms)
        self.registry = registry = CollectorRegistry()
        self.sends = Counter(
            "rallybot_sends",
            "Messages sent to a platform, by what became of each try",
            ["platform", "outcome"],
            registry=registry,
        )
        self.send_seconds = Histogram(
            "rallybot_send_seconds",
            "How long a platform took to answer one send",
            ["platform"],
            buckets=_SEND_BUCKETS,
            registry=registry,
        )
        self.commands = Counter(
            "rallybot_commands",
            "Commands run, by command group and outcome",
            ["group", "outcome"],
            registry=registry,
        )
        self.answer_seconds = Histogram(
            "rallybot_answer_seconds",
            "How long the bot took to answer a command or a click",
            ["platform"],
            buckets=_ANSWER_BUCKETS,
            registry=registry,
        )
        self.database_errors = Counter(
            "rallybot_database_errors",
            "Errors from the database, by kind (constraint conflicts the bot handles aside)",
            ["kind"],
            registry=registry,
        )
        self.outbox_depth = Gauge(
            "rallybot_outbox_depth",
            "Messages due and not yet sent, by platform and priority class",
            ["platform", "priority"],
            registry=registry,
        )
        self.oldest_due = Gauge(
            "rallybot_outbox_oldest_due_seconds",
            "Seconds the longest-waiting due message has waited (0 when none waits)",
            registry=registry,
        )
        self.due_pending = Gauge(
            "rallybot_due_items_pending",
            "Scheduled work whose time has come and that has not finished",
            registry=registry,
        )
        self.due_late = Gauge(
            "rallybot_due_items_late",
            f"Scheduled work more than {int(LATE_AFTER.total_seconds())} s past its time",
            registry=registry,
        )
        self.started = Gauge(
            "rallybot_start_time_seconds",
            "When this bot process started, in seconds since the Unix epoch",
            registry=registry,
        )
        self.started.set(time.time())
        ProcessCollector(registry=registry)
        for platform in self.platforms:
            self.send_seconds.labels(platform)
            self.answer_seconds.labels(platform)
            for outcome in SEND_OUTCOMES:
                self.sends.labels(platform, outcome)
        self._read_at: float | None = None
        self._lock = asyncio.Lock()
        self._watching = False

    def watch_database(self) -> None:
        """Count the database's errors from now on (until :meth:`unwatch_database`)."""
        if not self._watching:
            event.listen(self.db.engine.sync_engine, "handle_error", self._database_error)
            self._watching = True

    def unwatch_database(self) -> None:
        """Stop counting the database's errors."""
        if self._watching:
            event.remove(self.db.engine.sync_engine, "handle_error", self._database_error)
            self._watching = False

    def _database_error(self, context: ExceptionContext) -> None:
        error: Any = context.sqlalchemy_exception or context.original_exception
        if not isinstance(error, IntegrityError):
            self.database_errors.labels(type(error).__name__).inc()

    def sent(self, platform: str, outcome: str, seconds: float | None) -> None:
        """One send to ``platform`` ended in ``outcome`` (one of ``SEND_OUTCOMES``) after the
        platform answered in ``seconds`` (None: it did not answer)."""
        self.sends.labels(platform, outcome).inc()
        if seconds is not None:
            self.send_seconds.labels(platform).observe(seconds)

    def answered(self, platform: str, group: str, outcome: str, seconds: float) -> None:
        """A command of ``group`` ended in ``outcome`` (one of ``COMMAND_OUTCOMES``), answered
        on ``platform`` in ``seconds``."""
        self.commands.labels(group, outcome).inc()
        self.answer_seconds.labels(platform).observe(seconds)

    async def refresh(self) -> None:
        """Read the queue gauges from the database, unless read in the last
        ``cache_seconds``; when the database does not answer they keep their last values
        (and the error is counted)."""
        async with self._lock:
            now = time.monotonic()
            if self._read_at is not None and now - self._read_at < self.cache_seconds:
                return
            try:
                async with asyncio.timeout(QUERY_TIMEOUT), self.db.reading() as conn:
                    figures = await queue_figures(conn, self.clock.now(), LATE_AFTER)
            except (SQLAlchemyError, OSError, TimeoutError) as exc:
                log.warning("metrics: the queues could not be read: %s", type(exc).__name__)
                return
            self._read_at = now
            self.outbox_depth.clear()
            for platform in self.platforms:
                for priority in PRIORITY_CLASSES:
                    self.outbox_depth.labels(platform, priority).set(0)
            for (platform, priority), count in figures.outbox_depth.items():
                self.outbox_depth.labels(platform, priority).set(count)
            self.oldest_due.set(figures.oldest_due_seconds)
            self.due_pending.set(figures.due_pending)
            self.due_late.set(figures.due_late)

    async def exposition(self) -> bytes:
        """The text a scrape gets: the queue gauges read afresh (or from the short cache),
        then every metric."""
        await self.refresh()
        return generate_latest(self.registry)

"""The application object: built from config, started and stopped explicitly, no globals."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import TracebackType

from sqlalchemy.exc import IntegrityError

from bot.ballot_secret import find_ballot_secret
from bot.clock import Clock, SystemClock
from bot.config import Config, OrgConfig
from bot.delivery import DeliveryEngine, EngineSettings, Sender
from bot.dispatch import Dispatcher
from bot.metrics import Metrics
from bot.registry import CommandGroup, Registry
from bot.scheduler import Scheduler
from bot.services import OrgDirectory, Services
from storage import orgs
from storage.db import Database
from storage.orgs import OrgRecord


class Application:
    """rallybot in one process: database, organizations, dispatcher (and adapters on top).

    ``groups`` are the features it serves (the command line passes every one); the core
    knows none of them by name."""

    def __init__(
        self,
        config: Config,
        *,
        groups: Iterable[CommandGroup],
        clock: Clock | None = None,
        db: Database | None = None,
        senders: Mapping[str, Sender] | None = None,
        engine_settings: EngineSettings | None = None,
    ) -> None:
        self.config = config
        self.db = db or Database(config.database.url, echo=config.database.echo)
        self.services = Services(
            config=config,
            db=self.db,
            clock=clock or SystemClock(),
            registry=Registry(groups),
            orgs=OrgDirectory(),
        )
        #: what ``GET /metrics`` shows; a registry of this application's own
        self.metrics = Metrics(self.db, self.services.clock, platforms=senders or {})
        self.services.metrics = self.metrics
        self.dispatcher = Dispatcher(self.services)
        self.delivery = DeliveryEngine(
            self.db, self.services.clock, senders or {}, engine_settings, metrics=self.metrics
        )
        self.scheduler = Scheduler(self.services, self.services.registry.due_handlers())
        self.services.delivery = self.delivery
        self.services.scheduler = self.scheduler
        self._background = False

    async def start(self, *, upgrade: bool | None = None, background: bool = True) -> None:
        """Check the database can be used (``DatabaseError`` naming the cause), bring the
        schema up to date (SQLite by default) or check it, load organizations, then (with
        ``background``) start the scheduler and the delivery engine. The ballot secret is
        found here, once (on a SQLite file it may be made now, beside the database)."""
        if upgrade is None:
            upgrade = self.db.is_sqlite
        self.metrics.watch_database()
        await self.db.probe()
        if upgrade:
            await self.db.upgrade()
        else:
            await self.db.check_schema()
        self.services.ballot_secret = find_ballot_secret(self.config, self.db)
        try:
            records = await self._sync_orgs()
        except IntegrityError:  # another process, starting at the same moment, got there first
            records = await self._sync_orgs()
        for record, org in records:
            self.services.orgs.add(record, org)
        if background:
            self._background = True
            await self.delivery.start()
            await self.scheduler.start()

    async def _sync_orgs(self) -> list[tuple[OrgRecord, OrgConfig]]:
        """Make the stored organizations and their spaces match the configuration."""
        async with self.db.transaction() as conn:
            return [
                (await orgs.sync_org(conn, org.slug, org.name, org.timezone, org.spaces()), org)
                for org in self.config.orgs
            ]

    async def settle(self) -> None:
        """Run everything due now and send everything that is waiting (console, tests)."""
        await self.scheduler.run_due()
        await self.delivery.drain()

    async def stop(self) -> None:
        """Stop the scheduler and the delivery engine, then release the database."""
        if self._background:
            self._background = False
            await self.scheduler.stop()
            await self.delivery.stop()
        self.metrics.unwatch_database()
        await self.db.dispose()

    async def __aenter__(self) -> Application:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

"""The application object: built from config, started and stopped explicitly, no globals."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType

from sqlalchemy.exc import IntegrityError

from bot.clock import Clock, SystemClock
from bot.config import Config, OrgConfig
from bot.delivery import DeliveryEngine, EngineSettings, Sender
from bot.dispatch import Dispatcher
from bot.member_cache import MemberCache
from bot.registry import CommandGroup, Registry
from bot.scheduler import Scheduler
from storage.db import Database
from storage.repos import OrgRecord, Repos


class OrgDirectory:
    """Which organization owns which Slack team, Discord guild or console room."""

    def __init__(self) -> None:
        self._by_space: dict[tuple[str, str], tuple[OrgRecord, OrgConfig]] = {}
        self._by_slug: dict[str, tuple[OrgRecord, OrgConfig]] = {}

    def add(self, record: OrgRecord, config: OrgConfig) -> None:
        """Register an organization and its spaces."""
        self._by_slug[record.slug] = (record, config)
        for space in config.spaces():
            self._by_space[space] = (record, config)

    def lookup(self, platform: str, space_id: str) -> tuple[OrgRecord, OrgConfig] | None:
        """The organization that owns a space, or None where the bot is not set up."""
        return self._by_space.get((platform, space_id))

    def by_slug(self, slug: str) -> tuple[OrgRecord, OrgConfig]:
        """The organization with this slug."""
        return self._by_slug[slug]

    def by_id(self, org_id: int) -> tuple[OrgRecord, OrgConfig]:
        """The organization with this database id."""
        for record, config in self._by_slug.values():
            if record.id == org_id:
                return record, config
        raise KeyError(org_id)

    def __iter__(self) -> Iterator[tuple[OrgRecord, OrgConfig]]:
        return iter(self._by_slug.values())


@dataclass
class Services:
    """What every handler can reach through its context."""

    config: Config
    db: Database
    clock: Clock
    registry: Registry
    orgs: OrgDirectory
    members: MemberCache = field(default_factory=MemberCache)
    delivery: DeliveryEngine | None = None
    scheduler: Scheduler | None = None


class Application:
    """rallybot in one process: database, organizations, dispatcher (and adapters on top)."""

    def __init__(
        self,
        config: Config,
        *,
        clock: Clock | None = None,
        groups: Iterable[CommandGroup] | None = None,
        db: Database | None = None,
        senders: Mapping[str, Sender] | None = None,
        engine_settings: EngineSettings | None = None,
    ) -> None:
        if groups is None:
            from commands import default_groups

            groups = default_groups()
        self.config = config
        self.db = db or Database(config.database.url, echo=config.database.echo)
        self.services = Services(
            config=config,
            db=self.db,
            clock=clock or SystemClock(),
            registry=Registry(groups),
            orgs=OrgDirectory(),
        )
        self.dispatcher = Dispatcher(self.services)
        self.delivery = DeliveryEngine(self.db, self.services.clock, senders or {}, engine_settings)
        self.scheduler = Scheduler(self.services, self.services.registry.due_handlers())
        self.services.delivery = self.delivery
        self.services.scheduler = self.scheduler
        self._background = False

    async def start(self, *, upgrade: bool | None = None, background: bool = True) -> None:
        """Check the database can be used (``DatabaseError`` naming the cause), bring the
        schema up to date (SQLite by default) or check it, load organizations, then (with
        ``background``) start the scheduler and the delivery engine."""
        if upgrade is None:
            upgrade = self.db.is_sqlite
        await self.db.probe()
        if upgrade:
            await self.db.upgrade()
        else:
            await self.db.check_schema()
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
            repos = Repos(conn)
            return [
                (await repos.sync_org(org.slug, org.name, org.timezone, org.spaces()), org)
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

"""The application object: built from config, started and stopped explicitly, no globals."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import TracebackType

from bot.clock import Clock, SystemClock
from bot.config import Config, OrgConfig
from bot.dispatch import Dispatcher
from bot.member_cache import MemberCache
from bot.registry import CommandGroup, Registry
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


class Application:
    """rallybot in one process: database, organizations, dispatcher (and adapters on top)."""

    def __init__(
        self,
        config: Config,
        *,
        clock: Clock | None = None,
        groups: Iterable[CommandGroup] | None = None,
        db: Database | None = None,
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
        self._started = False

    async def start(self, *, upgrade: bool | None = None) -> None:
        """Bring the schema up to date (SQLite by default) or check it, then load organizations."""
        if upgrade is None:
            upgrade = self.db.is_sqlite
        if upgrade:
            await self.db.upgrade()
        else:
            await self.db.check_schema()
        async with self.db.transaction() as conn:
            repos = Repos(conn)
            for org in self.config.orgs:
                record = await repos.sync_org(org.slug, org.name, org.timezone, org.spaces())
                self.services.orgs.add(record, org)
        self._started = True

    async def stop(self) -> None:
        """Release the database."""
        if self._started:
            self._started = False
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

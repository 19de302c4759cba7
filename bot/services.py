"""What every handler can reach through its context: the application's services.

The core and the features see the scheduler and the delivery engine only through the small
protocols here, so nothing below the application needs the application itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.clock import Clock
from bot.config import Config, OrgConfig
from bot.member_cache import MemberCache
from bot.metrics import Metrics
from bot.platform_roles import PlatformRoles
from bot.registry import Registry
from storage.db import Database
from storage.orgs import OrgRecord


class Wakeable(Protocol):
    """The delivery engine as a unit of work sees it: told that new messages were stored."""

    def wake(self) -> None:
        """New rows were committed: look for work now rather than at the next poll."""
        ...


class DueNotifier(Protocol):
    """The scheduler as a unit of work sees it: told when a new item falls due."""

    def notify(self, due_at: datetime) -> None:
        """An item was scheduled for ``due_at``: wake for it if that is earlier than planned."""
        ...


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
    delivery: Wakeable | None = None
    scheduler: DueNotifier | None = None
    #: the key of keyed hashes of people (anonymous ballots, the hourly report count), found
    #: once when the application starts; None where there is none (see bot.ballot_secret)
    ballot_secret: bytes | None = None
    #: the application's /metrics counters (None for a core built without an application)
    metrics: Metrics | None = None
    #: people's platform roles as the running adapters read them now (the web dashboard's
    #: check), on ``clock``
    platform_roles: PlatformRoles = field(init=False)

    def __post_init__(self) -> None:
        self.platform_roles = PlatformRoles(self.clock)

"""Test helpers: an application on a real database, and a way to speak to it as a person."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.app import Application
from bot.clock import MovableClock
from bot.config import Config, OrgConfig, RoleSources, demo_org
from bot.context import Invocation
from bot.delivery import Sender
from bot.registry import CommandGroup
from bot.reply import Reply
from commands import default_groups
from storage.db import Database

START = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def second_org() -> OrgConfig:
    """An organization on other spaces, for tests that need two."""
    return OrgConfig(
        slug="wi-library-workers",
        name="Wisconsin Library Workers",
        timezone="America/Chicago",
        slack_team_ids=["TWI"],
        discord_guild_ids=["300000000000000001"],
        organizers=RoleSources(slack_users=["UWIORG"], discord_roles=["Steward"]),
    )


@dataclass
class Person:
    """Someone typing: a name on a platform, with the platform roles they hold."""

    name: str
    platform: str = "console"
    roles: frozenset[str] = frozenset()
    space: str | None = None


class Bot:
    """A started application and helpers to run commands as people."""

    def __init__(self, app: Application, clock: MovableClock) -> None:
        self.app = app
        self.clock = clock

    def invocation(self, person: Person, *, interactive: bool = False) -> Invocation:
        """The invocation an adapter would make for this person in the demo organization."""
        org = self.app.config.orgs[0]
        default_space = {
            "console": org.slug,
            "slack": (org.slack_team_ids or [""])[0],
            "discord": (org.discord_guild_ids or [""])[0],
        }[person.platform]
        return Invocation(
            platform=person.platform,
            space_id=person.space or default_space,
            channel_id="general",
            user_id=person.name,
            display_name=person.name.title(),
            platform_roles=person.roles,
            interactive=interactive,
            console=person.platform == "console",
        )

    async def say(self, person: Person | str, line: str, *, interactive: bool = False) -> Reply:
        """Type a command line as ``person``."""
        who = Person(person) if isinstance(person, str) else person
        return await self.app.dispatcher.handle_text(
            self.invocation(who, interactive=interactive), line
        )

    async def click(
        self, person: Person | str, action_id: str, values: dict[str, str] | None = None
    ) -> Reply:
        """Click a button (or submit a form) carrying ``action_id`` as ``person``."""
        who = Person(person) if isinstance(person, str) else person
        return await self.app.dispatcher.handle_interaction(self.invocation(who), action_id, values)

    async def count(self, model: type) -> int:
        """How many rows a table has."""
        async with self.app.db.sessions() as session:
            return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def start_bot(
    database: Database,
    *,
    extra_groups: list[CommandGroup] | None = None,
    orgs: list[OrgConfig] | None = None,
    senders: Mapping[str, Sender] | None = None,
    clock: MovableClock | None = None,
) -> Bot:
    """An application on ``database`` with the demo organization (and ``orgs``).

    Nothing runs in the background: tests call ``app.settle()`` (or the scheduler and
    delivery engine directly) and move the clock, so they never wait on real time.
    """
    config = Config(orgs=orgs or [demo_org(), second_org()])
    clock = clock or MovableClock(START, frozen=True)
    app = Application(
        config,
        clock=clock,
        db=database,
        senders=senders,
        groups=[*default_groups(), *(extra_groups or [])],
    )
    await app.start(upgrade=False, background=False)
    return Bot(app, clock)

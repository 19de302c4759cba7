"""Test helpers: an application on a real database, ways to speak to it as a person and to
read what its console delivered, and the real rallybot command run in a folder."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Self

from sqlalchemy import func, select

from adapters.console import ConsoleAdapter, Screen, console_senders
from bot.app import Application
from bot.clock import MovableClock
from bot.config import BotConfig, Config, OrgConfig, RoleSources, demo_org
from bot.context import Invocation
from bot.delivery import Sender
from bot.platform_roles import HeldRoles, RoleSource
from bot.registry import CommandGroup
from bot.reply import Reply
from rallybot.groups import default_groups
from storage.db import Database

START = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent
# A refusal names what was wrong: "field: rule", "/command needs the field(s) …",
# "/command needs the … role", or the polite not-set-up answer.
REFUSAL = re.compile(
    r"^([a-z_]+: .+|/[a-z ]+ needs the (field|role|organizer|admin).*|rallybot is not set up.*)",
    re.DOTALL,
)


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
    """Someone typing: a name on a platform, with the platform roles they hold (``roles``:
    Discord role ids, Slack user group ids, the console's role word; ``role_names``: the
    names of their Discord roles)."""

    name: str
    platform: str = "console"
    roles: frozenset[str] = frozenset()
    space: str | None = None
    role_names: frozenset[str] = frozenset()


class Bot:
    """A started application and helpers to run commands as people."""

    def __init__(self, app: Application, clock: MovableClock) -> None:
        self.app = app
        self.clock = clock
        #: the platform roles each person last acted with: (platform, space, user) -> roles
        self.held: dict[tuple[str, str, str], HeldRoles] = {}

    def answer_roles(self, platform: str) -> RoleSource:
        """Be ``platform``'s role source (as its adapter is): a person holds the roles they
        last acted with in that space, and someone who never acted there is not in it."""

        async def source(space_id: str, user_id: str) -> HeldRoles | None:
            return self.held.get((platform, space_id, user_id))

        self.app.services.platform_roles.register(platform, source)
        return source

    def invocation(self, person: Person, *, interactive: bool = False) -> Invocation:
        """The invocation an adapter would make for this person in the demo organization."""
        org = self.app.config.orgs[0]
        default_space = {
            "console": org.slug,
            "slack": (org.slack_team_ids or [""])[0],
            "discord": (org.discord_guild_ids or [""])[0],
        }[person.platform]
        space = person.space or default_space
        self.held[(person.platform, space, person.name)] = HeldRoles(
            person.roles, person.role_names
        )
        return Invocation(
            platform=person.platform,
            space_id=space,
            channel_id="general",
            user_id=person.name,
            display_name=person.name.title(),
            platform_roles=person.roles,
            role_names=person.role_names,
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
    config: Config | None = None,
) -> Bot:
    """An application on ``database`` with the demo organization (and ``orgs``), or with
    ``config`` when given.

    Nothing runs in the background: tests call ``app.settle()`` (or the scheduler and
    delivery engine directly) and move the clock, so they never wait on real time.
    """
    # files the bot would look for (a member's earlier exports) in a folder of the tests' own,
    # never in a rallybot-files/ of the folder the tests run in
    unused = Path(tempfile.gettempdir()) / f"rallybot-test-files-{os.getpid()}"
    config = config or Config(
        orgs=orgs or [demo_org(), second_org()], bot=BotConfig(files_dir=str(unused))
    )
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


async def ok(bot: Bot, person: Person | str, line: str, *, interactive: bool = False) -> Reply:
    """Type a command line as ``person`` and check it was not refused."""
    reply = await bot.say(person, line, interactive=interactive)
    assert not reply.error, reply.text
    return reply


async def refused(bot: Bot, person: Person | str, line: str) -> str:
    """Type a command line as ``person`` and check it was refused; the refusal's text."""
    reply = await bot.say(person, line)
    assert reply.error, reply.text
    return reply.text


async def link_accounts(bot: Bot, first: Person | str, second: Person | str) -> Reply:
    """Join ``second``'s account to ``first``'s member the way a person does: a code asked
    for on the first account, entered on the second, which confirms with the button the
    answer carries; the answer of the join."""
    code = (await ok(bot, first, "/link")).text.split("code is ")[1].split(".")[0]
    asked = await ok(bot, second, f"/link code:{code}")
    (confirm,) = asked.actions
    joined = await bot.click(second, confirm.id)
    assert joined.text.startswith("Linked."), joined.text
    return joined


class ConsoleBot:
    """A started bot whose console screen prints every delivered message, and ways to read
    what was delivered, move time and count rows."""

    def __init__(self, bot: Bot, out: io.StringIO, screen: Screen) -> None:
        self.bot = bot
        self.out = out
        self.screen = screen

    @classmethod
    async def start(
        cls, database: Database, tmp_path: Path, *, start: datetime = START, **options: object
    ) -> Self:
        """A bot on ``database`` delivering to a console screen (files saved under
        ``tmp_path``), its clock frozen at ``start``; ``options`` go to :func:`start_bot`."""
        out = io.StringIO()
        screen = Screen(out, tmp_path / "files")
        bot = await start_bot(
            database,
            senders=console_senders(screen),
            clock=MovableClock(start, frozen=True),
            **options,  # type: ignore[arg-type]
        )
        return cls(bot, out, screen)

    async def run_console(self, script: str, *, interactive: bool | None = None) -> str:
        """Run ``script`` through the console adapter to its end (checking it ends well);
        everything the console printed so far."""
        adapter = ConsoleAdapter(
            self.bot.app,
            self.screen,
            clock=self.bot.clock,
            stdin=io.StringIO(script),
            interactive=interactive,
        )
        assert await adapter.run() == 0
        return self.out.getvalue()

    async def ok(self, person: Person | str, line: str) -> Reply:
        """Type a command line as ``person`` and check it was not refused."""
        return await ok(self.bot, person, line)

    async def refused(self, person: Person | str, line: str) -> str:
        """Type a command line as ``person`` and check it was refused; the refusal's text."""
        return await refused(self.bot, person, line)

    def messages(self) -> list[tuple[str, str]]:
        """Every delivered message as (place, text), in order."""
        found: list[list[str]] = []
        for line in self.out.getvalue().splitlines():
            if line.startswith("["):
                place, _, rest = line[1:].partition("] ")
                found.append([place, rest])
            else:
                found[-1][1] += "\n" + line.strip()
        return [(place, text) for place, text in found]

    def at(self, place: str) -> list[str]:
        """The texts delivered at one place, e.g. "DM ana" or "slack #CALERTS"."""
        return [text for where, text in self.messages() if where == place]

    def edits(self, place: str) -> list[str]:
        """The edits delivered of the post at one place."""
        return [text for where, text in self.messages() if where.startswith(f"{place} (edit of ")]

    async def step_to(self, moment: datetime) -> None:
        """Let time pass up to ``moment``, each due item running when it falls due."""
        bot = self.bot
        while (upcoming := await bot.app.scheduler.next_due()) is not None and upcoming <= moment:
            bot.clock.advance(max(upcoming - bot.clock.now(), timedelta(0)))
            await bot.app.settle()
        bot.clock.advance(moment - bot.clock.now())
        await bot.app.settle()

    async def count(self, model: type, **where: object) -> int:
        """How many rows a table has whose columns hold the values in ``where``."""
        async with self.bot.app.db.transaction() as conn:
            query = select(func.count()).select_from(model)
            for column, value in where.items():
                query = query.where(getattr(model, column) == value)
            return (await conn.execute(query)).scalar_one()


def run_rallybot(
    args: list[str], cwd: Path, script: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real ``rallybot`` command run in ``cwd`` with ``script`` on its standard input,
    free of this environment's RALLYBOT_ settings (``env`` adds some)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("RALLYBOT_")}
    full_env.update(env or {})
    full_env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "rallybot", *args],
        cwd=cwd,
        input=script,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=False,
    )

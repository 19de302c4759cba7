"""The console adapter's loop: read lines, run commands and `!` meta commands, print replies.

Meta commands: ``!as NAME [member|organizer|admin]`` (``"two words"`` quoted; ``NAME@slack``
or ``NAME@discord`` act as that platform's account of the person), ``!press N`` or ``!press
LABEL`` (the newest open button of that label), ``!wait
DURATION``, ``!help``, ``!quit``. Lines starting with ``#`` are comments, so scripts can be
annotated. A script piped in runs to the end.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from adapters.console.screen import Screen
from bot.config import ConfigError
from bot.context import Invocation
from bot.errors import FieldError
from bot.platform_roles import HeldRoles
from bot.reply import Form, FormField, Reply
from bot.timeparse import format_duration, parse_duration

if TYPE_CHECKING:
    from bot.app import Application
    from bot.clock import MovableClock

CHANNEL = "general"
ROLES = ("member", "organizer", "admin")
META_HELP = """Console commands:
  !as NAME [member|organizer|admin]  act as NAME ("two words" in quotes); NAME@slack or
                                     NAME@discord for that account
  !press N | !press LABEL            click the Nth button of the last message, or the newest
                                     open LABEL
  !wait DURATION                     move the clock forward, e.g. !wait 3h
  !quit                              leave"""


@dataclass
class Actor:
    """Who is typing: a person's name, the platform account used, and the role given."""

    name: str = "guest"
    platform: str = "console"
    role: str = "member"

    @property
    def label(self) -> str:
        """How the console names them."""
        return self.name if self.platform == "console" else f"{self.name}@{self.platform}"


def _question(item: FormField) -> str:
    """A form field as the console asks it: its label, after the field's name where the label
    does not say it (``anonymous — yes (the default): nobody can see who voted for what``)."""
    name = item.name.replace("_", " ")
    label = item.label.lower()
    if all(word in label for word in name.split()):
        return item.label
    return f"{name} — {item.label}"


class ConsoleAdapter:
    """Runs the console chat over text streams."""

    def __init__(
        self,
        app: Application,
        screen: Screen,
        *,
        clock: MovableClock,
        stdin: TextIO | None = None,
        org_slug: str | None = None,
        interactive: bool | None = None,
    ) -> None:
        self.app = app
        self.screen = screen
        self.clock = clock
        self.stdin = stdin or sys.stdin
        self.interactive = self.stdin.isatty() if interactive is None else interactive
        orgs = list(app.services.orgs)
        if not orgs:
            raise ConfigError("the console needs at least one organization in the configuration")
        if org_slug:
            app.services.config.org(org_slug)  # refuses an unknown slug by name
        record, self.org_config = app.services.orgs.by_slug(org_slug) if org_slug else orgs[0]
        self.org = record
        self.actor = Actor()
        #: the role last given to each console name (``!as``), which the web dashboard's role
        #: check asks for
        self.given: dict[str, str] = {self.actor.name.lower(): self.actor.role}
        app.services.platform_roles.register("console", self.current_roles)

    async def current_roles(self, space_id: str, user_id: str) -> HeldRoles | None:
        """The role this console last gave ``user_id`` (None for a name never used here,
        or another organization's console room)."""
        role = self.given.get(user_id)
        if space_id != self.org.slug or role is None:
            return None
        return HeldRoles(frozenset({role}))

    def write(self, text: str) -> None:
        """Print a block of text."""
        self.screen.write(text)

    # input ----------------------------------------------------------------------------------

    async def readline(self) -> str | None:
        """The next line of input, or None at the end."""
        line = await asyncio.get_running_loop().run_in_executor(None, self.stdin.readline)
        self.screen.answered()
        return line if line else None

    def invocation(self) -> Invocation:
        """The current actor as an invocation in the console's organization."""
        actor = self.actor
        if actor.platform == "console":
            space = self.org.slug
        elif actor.platform == "slack":
            space = (self.org_config.slack_team_ids or [""])[0]
        else:
            space = (self.org_config.discord_guild_ids or [""])[0]
        return Invocation(
            platform=actor.platform,
            space_id=space,
            channel_id=CHANNEL,
            user_id=actor.name.lower(),
            display_name=actor.name,
            platform_roles=frozenset({actor.role}),
            interactive=self.interactive,
            console=True,
        )

    async def run(self) -> int:
        """Read and run lines until the input ends or `!quit`; return the exit status."""
        # the console's clock moves with !wait: the weekly digest keeps to it
        await self.app.scheduler.digests_follow_clock()
        self.write(
            f"rallybot console — {self.org.name}. You are {self.actor.label} "
            f"({self.actor.role}). Type /help, or !help for console commands."
        )
        while True:
            if self.interactive:
                self.screen.prompt(f"{self.actor.label}> ")
            line = await self.readline()
            if line is None:
                return 0
            if not await self.handle_line(line.strip()):
                return 0

    async def handle_line(self, line: str) -> bool:
        """Run one line; False means the console should end."""
        if not line or line.startswith("#"):
            return True
        if not self.interactive:
            self.write(f"{self.actor.label}> {line}")
        if line.startswith("!"):
            return await self.meta(line)
        if not line.startswith("/"):
            self.write("Commands start with / (try /help); console commands with ! (try !help).")
            return True
        reply = await self.app.dispatcher.handle_text(self.invocation(), line)
        await self.answer(reply)
        await self.app.settle()
        return True

    async def answer(self, reply: Reply) -> None:
        """Show a reply; when it asks for a form, ask each question and submit the answers."""
        place = "" if reply.ephemeral else f"#{CHANNEL}"
        if reply.form is None or not self.interactive:
            self.screen.show(reply, place)
            return
        form = reply.form
        self.write(
            f"{reply.text}\n== {form.title} == (blank keeps the value shown, or skips an "
            "optional field)"
        )
        values = {item.name: item.default for item in form.fields if item.default}
        asking = list(form.fields)
        while True:
            if not await self._ask(asking, values):
                self.write("\n(form cancelled)")
                return
            errors = self.app.dispatcher.check_form(form.id, values)
            if not errors:
                submitted = await self.app.dispatcher.handle_interaction(
                    self.invocation(), form.id, values
                )
                errors = submitted.errors if submitted.form is None else []
                if not submitted.error or not self._fields_of(form, errors):
                    await self.answer(submitted)
                    return
            asking = self._fields_of(form, errors)
            if len(asking) < len({error.field for error in errors}):
                # about something the form does not ask: asking again cannot mend it
                self.screen.show(Reply.refuse_fields(errors))
                return
            self.write("\n".join(e.text for e in errors) + "\nPlease correct:")

    async def _ask(self, fields: list[FormField], values: dict[str, str]) -> bool:
        """Ask ``fields`` in turn, each showing its current value; a blank answer keeps it
        (or leaves an optional field unset). False if the input ended."""
        for item in fields:
            hint = f" [{' | '.join(item.choices)}]" if item.choices else ""
            need = " (required)" if item.required else ""
            now = values.get(item.name, "")
            shown = f" (now: {now})" if now else ""
            self.screen.prompt(f"{_question(item)}{need}{hint}{shown}: ")
            line = await self.readline()
            if line is None:
                return False
            if line.strip():
                values[item.name] = line.strip()
        return True

    @staticmethod
    def _fields_of(form: Form, errors: list[FieldError]) -> list[FormField]:
        """The form's fields that ``errors`` name, in the form's order."""
        named = {error.field for error in errors}
        return [item for item in form.fields if item.name in named]

    # meta commands ---------------------------------------------------------------------------

    async def meta(self, line: str) -> bool:
        """Run a `!` console command."""
        word, _, rest = line[1:].partition(" ")
        word, rest = word.lower(), rest.strip()
        if word in ("quit", "exit", "q"):
            return False
        if word == "help":
            self.write(META_HELP)
        elif word == "as":
            self.switch(rest)
        elif word == "press":
            await self.press(rest)
        elif word == "wait":
            await self.wait(rest)
        else:
            self.write(f"!{word} is not a console command.\n{META_HELP}")
        return True

    def switch(self, rest: str) -> None:
        """`!as NAME [role]`."""
        try:
            parts = shlex.split(rest)
        except ValueError:
            parts = []
        if not parts or len(parts) > 2:
            self.write('usage: !as NAME [member|organizer|admin] (a NAME with spaces in "quotes")')
            return
        role = parts[1].lower() if len(parts) == 2 else "member"
        if role not in ROLES:
            self.write(f"role: must be one of {', '.join(ROLES)}")
            return
        match = re.fullmatch(
            r"([A-Za-z0-9_.-][A-Za-z0-9_. -]{0,30}[A-Za-z0-9_.-]|[A-Za-z0-9_.-])"
            r"(?:@(slack|discord|console))?",
            parts[0],
        )
        if not match:
            self.write(
                "NAME: letters, digits, spaces and . _ - (up to 32), optionally @slack or @discord"
            )
            return
        platform = match.group(2) or "console"
        if platform == "slack" and not self.org_config.slack_team_ids:
            self.write(f"{self.org.name} has no Slack workspace in its configuration.")
            return
        if platform == "discord" and not self.org_config.discord_guild_ids:
            self.write(f"{self.org.name} has no Discord server in its configuration.")
            return
        self.actor = Actor(match.group(1), platform, role)
        if platform == "console":
            self.given[self.actor.name.lower()] = role
        self.write(f"You are now {self.actor.label} ({role}).")

    async def press(self, rest: str) -> None:
        """`!press N` or `!press LABEL`."""
        if not rest:
            self.write("usage: !press N or !press LABEL")
            return
        if rest.isdigit():
            index = int(rest)
            if not 1 <= index <= len(self.screen.last_buttons):
                self.write(f"The last message has {len(self.screen.last_buttons)} button(s).")
                return
            button = self.screen.last_buttons[index - 1]
        else:
            wanted = rest.strip('"').lower()
            matches = [b for b in self.screen.all_buttons if b.label.lower() == wanted]
            if not matches:
                self.write(f"No button labelled {rest!r} has been shown.")
                return
            # a later edit shows the same button closed; the newest open one is meant
            button = next((b for b in reversed(matches) if not b.disabled), matches[-1])
        if button.disabled:
            self.write(f"The {button.label!r} button is closed.")
            return
        reply = await self.app.dispatcher.handle_interaction(
            self.invocation(), button.action_id, dict(button.values)
        )
        await self.answer(reply)
        await self.app.settle()

    async def wait(self, rest: str) -> None:
        """`!wait DURATION`: move the clock forward, running each item as it falls due."""
        try:
            delta = parse_duration(rest)
        except ValueError as exc:
            self.write(f"DURATION: must be {exc}")
            return
        target = self.clock.now() + delta
        while True:
            upcoming = await self.app.scheduler.next_due()
            if upcoming is None or upcoming > target:
                break
            if upcoming > self.clock.now():
                self.clock.advance(upcoming - self.clock.now())
            if not await self.app.scheduler.run_due():
                break  # another process holds it; it is theirs to run
            await self.app.delivery.drain()
        if target > self.clock.now():
            self.clock.advance(target - self.clock.now())
        await self.app.settle()
        self.write(
            f"(clock moved forward {format_duration(delta)} to "
            f"{self.clock.now():%Y-%m-%d %H:%M} UTC)"
        )

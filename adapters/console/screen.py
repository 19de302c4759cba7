"""The console's screen: prints replies at their place, saves files, remembers buttons.

It is also the console's sender for the delivery engine: channel posts and direct messages
are printed with their place (``[#alerts]``, ``[DM ana]``, ``[slack #CALERTS]``). The
console stands in for Slack and Discord too, so a demo needs no tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from adapters.console.render import printable, render
from bot import files
from bot.delivery import Outgoing, SendResult
from bot.ratelimit import Pace
from bot.reply import Action, Reply, Select


@dataclass
class Button:
    """A button or menu choice printed in the console, clickable with !press."""

    label: str
    action_id: str
    disabled: bool = False
    values: dict[str, str] = field(default_factory=dict)


class Screen:
    """Where the console writes."""

    def __init__(self, stdout: TextIO, files_dir: str | Path) -> None:
        self.stdout = stdout
        self.files_dir = Path(files_dir)
        self.last_buttons: list[Button] = []
        self.all_buttons: list[Button] = []
        self._posted = 0

    def write(self, text: str) -> None:
        """Print a block of text (made safe for the terminal)."""
        self.prompt(text + "\n")

    def prompt(self, text: str) -> None:
        """Print ``text`` without a line end (made safe for the terminal)."""
        self.stdout.write(printable(text))
        self.stdout.flush()

    def show(self, reply: Reply, place: str) -> str:
        """Print a reply at its place, save its files, remember its buttons; return a ref."""
        buttons: list[Button] = []
        for item in reply.actions:
            if isinstance(item, Action):
                buttons.append(Button(item.label, item.id, item.disabled))
            elif isinstance(item, Select):
                buttons.extend(
                    Button(label, item.id, values={"value": value}) for label, value in item.options
                )
        self.write(render(reply, place))
        indent = " " * (len(place) + 3) if place else ""
        for file in reply.files:
            self.write(f"{indent}saved {self.save(file.name, file.data)}")
        if buttons:
            self.last_buttons = buttons
            self.all_buttons.extend(buttons)
        self._posted += 1
        return f"console-{self._posted}"

    def save(self, name: str, data: bytes) -> Path:
        """Save a file the bot handed out (see :func:`bot.files.save`)."""
        return files.save(self.files_dir, name, data)


class ConsoleSender:
    """Delivers outbox messages of one platform by printing them on the screen."""

    rate = 10_000.0
    burst = 10_000.0
    concurrency = 1
    pace = Pace()

    def __init__(self, screen: Screen, platform: str) -> None:
        self.screen = screen
        self.platform = platform

    async def send(self, message: Outgoing) -> SendResult:
        """Print the message at its place."""
        where = f"#{message.target}" if message.target_kind == "channel" else f"DM {message.target}"
        if message.edit_ref:
            where += f" (edit of {message.edit_ref})"
        place = where if self.platform == "console" else f"{self.platform} {where}"
        return SendResult.sent(self.screen.show(message.reply, place))


def console_senders(screen: Screen) -> dict[str, ConsoleSender]:
    """Senders printing for the console and, standing in for them, Slack and Discord."""
    return {name: ConsoleSender(screen, name) for name in ("console", "slack", "discord")}

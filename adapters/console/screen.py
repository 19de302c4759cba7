"""The console's screen: prints replies at their place, saves files, remembers buttons.

It is also the console's sender for the delivery engine: channel posts and direct messages
are printed with their place (``[#alerts]``, ``[DM ana]``, ``[slack #alerts]``), a channel by
its configured name (its id when it has none). The console stands in for Slack and Discord
too, so a demo needs no tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    """Where the console writes.

    A prompt stays on the screen until its answer is read (``answered``). Whatever is printed
    meanwhile, such as a reminder delivered in the background, starts on a line of its own
    and the prompt is shown again after it, so nothing is printed over a prompt.
    """

    def __init__(self, stdout: TextIO, files_dir: str | Path, *, bold: bool | None = None) -> None:
        self.stdout = stdout
        self.files_dir = Path(files_dir)
        #: ``**words**`` in bold: only on a terminal, which understands it
        self.bold = stdout.isatty() if bold is None else bold
        self.last_buttons: list[Button] = []
        self.all_buttons: list[Button] = []
        self._posted = 0
        self._shown: dict[str, str] = {}
        self._waiting = ""

    def write(self, text: str) -> None:
        """Print a block of text (made safe for the terminal)."""
        self._emit(printable(text) + "\n")

    def prompt(self, text: str) -> None:
        """Print ``text`` without a line end (made safe for the terminal) and wait for input."""
        shown = printable(text)
        self._emit(shown)
        self._waiting = shown

    def answered(self) -> None:
        """The line typed at the prompt was read: the next output starts below it."""
        self._waiting = ""

    def _emit(self, text: str) -> None:
        """Print text already safe for the terminal, below a prompt waiting for input and
        with the prompt shown again after it."""
        if self._waiting:
            self.stdout.write("\n" + text + self._waiting)
        else:
            self.stdout.write(text)
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
        self._emit(render(reply, place, bold=self.bold) + "\n")
        indent = " " * (len(place) + 3) if place else ""
        for file in reply.files:
            self.write(f"{indent}saved {self.save(file.name, file.data)}")
        if buttons:
            self.last_buttons = buttons
            self.all_buttons.extend(buttons)
        self._posted += 1
        ref = f"console-{self._posted}"
        self._shown[ref] = printable(reply.title or reply.text.partition("\n")[0])
        return ref

    def describe(self, ref: str) -> str:
        """How people know a post printed earlier: its title or first line, not its ref."""
        about = self._shown.get(ref, "")
        if not about:
            return "an earlier post"
        return f"“{about[:47]}…”" if len(about) > 48 else f"“{about}”"

    def save(self, name: str, data: bytes) -> Path:
        """Save a file the bot handed out (see :func:`bot.files.save`)."""
        return files.save(self.files_dir, name, data)


class ConsoleSender:
    """Delivers outbox messages of one platform by printing them on the screen."""

    rate = 10_000.0
    burst = 10_000.0
    concurrency = 1
    pace = Pace()

    def __init__(
        self, screen: Screen, platform: str, names: Mapping[tuple[str, str], str] | None = None
    ) -> None:
        self.screen = screen
        self.platform = platform
        #: channel names by (platform, channel id), as the configuration gives them
        self.names = dict(names or {})

    async def send(self, message: Outgoing) -> SendResult:
        """Print the message at its place, a channel by its name."""
        if message.target_kind == "channel":
            channel = self.names.get((self.platform, message.target), message.target)
            where = f"#{channel}"
        else:
            where = f"DM {message.target}"
        if message.edit_ref:
            where += f" (edit of {self.screen.describe(message.edit_ref)})"
        place = where if self.platform == "console" else f"{self.platform} {where}"
        return SendResult.sent(self.screen.show(message.reply, place))


def console_senders(
    screen: Screen, names: Mapping[tuple[str, str], str] | None = None
) -> dict[str, ConsoleSender]:
    """Senders printing for the console and, standing in for them, Slack and Discord;
    ``names``: channel names by (platform, channel id) (``Config.channel_names()``)."""
    return {name: ConsoleSender(screen, name, names) for name in ("console", "slack", "discord")}

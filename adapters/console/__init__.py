"""The console adapter: a terminal chat with the same commands, for trying, demos and tests."""

from adapters.console.adapter import ConsoleAdapter
from adapters.console.screen import ConsoleSender, Screen, console_senders

__all__ = ["ConsoleAdapter", "ConsoleSender", "Screen", "console_senders"]

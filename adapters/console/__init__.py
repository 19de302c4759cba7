"""The console adapter: a terminal chat with the same commands, for trying, demos and tests."""

from adapters.console.adapter import ConsoleAdapter

__all__ = ["ConsoleAdapter"]

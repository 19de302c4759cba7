"""`rallybot run`: every platform adapter the config enables, in one process.

A platform adapter (Slack, Discord) offers the delivery engine its senders, is started
once the application is, and stopped before it. The application, scheduler and delivery
engine are shared, so one process serves an organization on every platform at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Mapping
from typing import Protocol

from bot.app import Application
from bot.clock import Clock
from bot.config import Config
from bot.delivery import Sender
from rallybot.groups import default_groups


class PlatformAdapter(Protocol):
    """What `rallybot run` needs of a platform adapter."""

    name: str

    def senders(self) -> Mapping[str, Sender]:
        """The delivery engine's senders this adapter provides, by platform name."""
        ...

    async def start(self, app: Application) -> None:
        """Connect to the platform and begin answering; returns once it is serving."""
        ...

    async def stop(self) -> None:
        """Disconnect and release what ``start`` took."""
        ...


def enabled_adapters(config: Config) -> list[PlatformAdapter]:
    """The adapters the configuration enables, built but not started."""
    adapters: list[PlatformAdapter] = []
    if config.slack.enabled:
        from adapters.slack import SlackAdapter

        adapters.append(SlackAdapter(config))
    if config.discord.enabled:
        from adapters.discord import DiscordAdapter

        adapters.append(DiscordAdapter(config))
    return adapters


async def serve(
    config: Config,
    adapters: list[PlatformAdapter],
    *,
    clock: Clock | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run ``adapters`` on one application until ``stop`` is set (or SIGINT/SIGTERM)."""
    senders: dict[str, Sender] = {}
    for adapter in adapters:
        senders.update(adapter.senders())
    app = Application(config, groups=default_groups(), clock=clock, senders=senders)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await app.start()
    started: list[PlatformAdapter] = []
    try:
        for adapter in adapters:
            await adapter.start(app)
            started.append(adapter)
        await stop.wait()
    finally:
        for adapter in reversed(started):
            await adapter.stop()
        await app.stop()

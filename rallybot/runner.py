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
    """The adapters the configuration enables, built but not started. The web pages share
    the Slack HTTP endpoint's server when ``[web]`` and ``[slack]`` name the same host and
    port, and have a server of their own otherwise. ``/metrics`` is served beside
    ``/healthz``, or on ``[metrics] port`` when no server has ``/healthz``."""
    adapters: list[PlatformAdapter] = []
    web_adapter = None
    if config.web.enabled:
        from adapters.web import WebAdapter

        web_adapter = WebAdapter(config)
    if config.slack.enabled:
        from adapters.slack import SlackAdapter

        slack, web = config.slack, config.web
        shared = (
            web_adapter is not None
            and slack.mode == "http"
            and (slack.host, slack.port) == (web.host, web.port)
        )
        mounts = [web_adapter.mount] if shared and web_adapter is not None else []
        adapters.append(SlackAdapter(config, mounts=mounts))
        if shared:
            web_adapter = None
    if web_adapter is not None:
        adapters.append(web_adapter)
    if config.discord.enabled:
        from adapters.discord import DiscordAdapter

        adapters.append(DiscordAdapter(config))
    has_health = config.web.enabled or (config.slack.enabled and config.slack.mode == "http")
    if config.metrics.enabled and not has_health:
        from adapters.metrics import MetricsAdapter

        adapters.append(MetricsAdapter(config))
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

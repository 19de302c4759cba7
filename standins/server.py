"""Serving a stand-in on this machine: an aiohttp application on 127.0.0.1 on a port the
system picks, and, for a stand-in run as its own process, waiting until standard input
closes.

The Slack stand-in, the Discord stand-in and the tests' delivery sink each serve through
:class:`LocalServer`, so none of them needs a fixed port and none listens beyond loopback.
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web

HOST = "127.0.0.1"


class LocalServer:
    """An aiohttp application served on 127.0.0.1 on a free port, until stopped."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.port = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        """Listen on 127.0.0.1 on a port the system picks; return the base URL
        (``http://127.0.0.1:<port>``)."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{HOST}:{self.port}"
        return self.url

    async def stop(self) -> None:
        """Close the listening socket and every open connection."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def until_stdin_closes() -> None:
    """Return once standard input is closed (how a parent process ends a stand-in)."""
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

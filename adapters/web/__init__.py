"""The web adapter: the bot's own pages, served by aiohttp and read through the core.

``WebAdapter`` is what `rallybot run` starts when ``[web] enabled`` (and what `rallybot
console --web PORT` starts): its own server on ``[web] host`` and ``port`` with ``GET
/healthz`` (503 while the database does not answer), or, when the Slack HTTP endpoint
listens on the same host and port, its routes mounted on the Slack adapter's server
(:meth:`WebAdapter.mount`), which has a ``/healthz`` of its own. Pages are rendered by the
server (Jinja2, no script, nothing fetched from elsewhere).

The routes, by concern: ``tracker`` (the public layoff tracker, ``/o/<slug>/layoffs`` and
its ``.json`` and ``.csv``), ``feeds`` (a member's private calendar,
``/calendar/<token>.ics``), ``dashboard`` (the organizers' dashboard, ``/dashboard`` and its
pages, signed in by ``dashboard_auth``). Further pages add a module of their own and a line
in :meth:`WebAdapter.mount`.

Public routes are limited per client address (429 with Retry-After). Behind a reverse proxy
on the same machine (a request from a loopback address) the client is the last address the
proxy added to ``X-Forwarded-For``.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from aiohttp import web

from adapters.listening import bind_error
from adapters.metrics import add_metrics_route
from adapters.web.dashboard import DashboardPages
from adapters.web.feeds import FeedPages
from adapters.web.tracker import TrackerPages, message
from bot.config import ConfigError
from bot.ratelimit import KeyedAllowance
from storage.db import DatabaseError

if TYPE_CHECKING:
    from bot.app import Application
    from bot.config import Config
    from bot.delivery import Sender

__all__ = ["WebAdapter"]

log = logging.getLogger("rallybot.web")

#: how long ``/healthz`` waits for the database before calling it unreachable, in seconds
HEALTH_TIMEOUT = 5.0
#: requests a minute one client address may make of the public pages, and its burst
PUBLIC_PER_MINUTE = 120
PUBLIC_BURST = 60
#: the paths the per-address limit applies to
PUBLIC_PREFIXES = ("/o/", "/calendar/", "/dashboard/login/")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def client_address(request: web.Request) -> str:
    """The address a request came from: the peer's, or the last one a reverse proxy on this
    machine added to ``X-Forwarded-For``."""
    peer = request.remote or ""
    try:
        local = ipaddress.ip_address(peer).is_loopback
    except ValueError:
        local = False
    forwarded = request.headers.get("X-Forwarded-For", "")
    if local and forwarded.strip():
        return forwarded.split(",")[-1].strip()
    return peer


class WebAdapter:
    """The bot's web pages for `rallybot run` and `rallybot console --web`."""

    name = "web"

    def __init__(
        self,
        config: Config,
        *,
        per_minute: float = PUBLIC_PER_MINUTE,
        burst: float = PUBLIC_BURST,
    ) -> None:
        self.config = config
        self.settings = config.web
        self._allowance = KeyedAllowance(per_minute, burst)
        #: the port the server listens on (the chosen one when ``port`` is 0)
        self.port: int | None = None
        self._runner: web.AppRunner | None = None
        self._app: Application | None = None

    def senders(self) -> Mapping[str, Sender]:
        """None: the web sends no messages."""
        return {}

    def mount(self, web_app: web.Application, app: Application) -> None:
        """Add the pages and the per-address limit to an aiohttp application (this adapter's
        own, or the Slack endpoint's when they share a port)."""
        self._app = app
        web_app.middlewares.append(self._limit)
        TrackerPages(app).add_routes(web_app.router)
        FeedPages(app).add_routes(web_app.router)
        DashboardPages(app).add_routes(web_app.router)

    @web.middleware
    async def _limit(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(PUBLIC_PREFIXES):
            wait = self._allowance.take(client_address(request))
            if wait:
                return message(
                    "Too many requests",
                    "Too many requests from your address; please wait a moment.",
                    429,
                    {"Retry-After": str(math.ceil(wait))},
                )
        return await handler(request)

    async def start(self, app: Application) -> None:
        """Serve the pages and ``/healthz`` on ``[web] host`` and ``port``."""
        web_app = web.Application()
        self.mount(web_app, app)
        web_app.router.add_get("/healthz", self._health)
        add_metrics_route(web_app, app)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            raise ConfigError(
                bind_error(
                    self.config.source, "[web] port", self.settings.host, self.settings.port, exc
                )
            ) from None
        sockets = getattr(site._server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.settings.port

    async def _health(self, _request: web.Request) -> web.Response:
        assert self._app is not None
        try:
            await self._app.db.ping(within=HEALTH_TIMEOUT)
        except DatabaseError as exc:
            log.warning("health check: %s", exc)
            return web.json_response({"ok": False, "database": "unreachable"}, status=503)
        return web.json_response({"ok": True})

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

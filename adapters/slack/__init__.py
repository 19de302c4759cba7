"""The Slack adapter: slack-bolt in HTTP mode (signed requests) or Socket Mode.

``SlackAdapter`` is what `rallybot run` starts when ``[slack] enabled``. In HTTP mode it
serves ``POST /slack/events`` (every slash command, interaction and event; a request whose
signature is wrong or missing, or whose timestamp is more than 5 minutes off, is refused
with 401 before anything runs, a replayed one is not run again: ``adapters/slack/edge.py``)
and ``GET /healthz`` (503 while the database does not answer) on ``[slack] host`` and
``port``, with the web adapter's pages too when ``[web]`` has the same host and port. In
Socket Mode it connects with the app token. With ``client_id`` and ``client_secret`` the app
is installed into workspaces through OAuth (``GET /slack/install``, limited per client
address, and ``adapters/slack/oauth.py``).
Every Web API call it makes, the delivery engine's included, goes to ``[slack] api_url``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.listening import bind_error
from adapters.metrics import add_metrics_route
from adapters.slack.app import SlackBot
from adapters.slack.edge import EventsGate
from adapters.slack.oauth import INSTALLS_PER_MINUTE, LIVE_STATES, Installations
from adapters.slack.sender import API_LOG, SlackSender
from bot.config import ConfigError
from bot.ratelimit import KeyedAllowance
from storage.db import DatabaseError

if TYPE_CHECKING:
    from bot.app import Application
    from bot.config import Config
    from bot.delivery import Sender

__all__ = ["SlackAdapter", "SlackBot", "SlackSender"]

EVENTS_PATH = "/slack/events"
#: how long ``/healthz`` waits for the database before calling it unreachable, in seconds
HEALTH_TIMEOUT = 5.0

log = logging.getLogger("rallybot.slack")

#: more routes for the HTTP server (the web adapter's pages when they share its port)
Mount = Callable[[web.Application, "Application"], None]


class SlackAdapter:
    """Slack for `rallybot run`: the bolt app, its HTTP server or socket, and the sender."""

    name = "slack"

    def __init__(
        self, config: Config, *, sender: SlackSender | None = None, mounts: Sequence[Mount] = ()
    ) -> None:
        settings = config.slack
        # each mode's secret: (mode, key, value)
        for mode, key, value in (
            ("http", "signing_secret", settings.signing_secret),
            ("socket", "app_token", settings.app_token),
        ):
            if settings.mode == mode and not value:
                raise ConfigError.at(
                    "slack",
                    key,
                    f"needed in {mode} mode (or set RALLYBOT_SLACK__{key.upper()})",
                    source=config.source,
                )
        if not settings.bot_token and not settings.oauth:
            raise ConfigError.at(
                "slack",
                "bot_token",
                "needed (or set RALLYBOT_SLACK__BOT_TOKEN), unless client_id and "
                "client_secret install the app through OAuth",
                source=config.source,
            )
        self.config = config
        self.settings = settings
        self.sender = sender or SlackSender(settings.bot_token, settings.api_url)
        self.bot: SlackBot | None = None
        #: the port the HTTP server listens on (the chosen one when ``port`` is 0)
        self.port: int | None = None
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self.installations: Installations | None = None
        self._gate: EventsGate | None = None
        self._app: Application | None = None
        self._installs = KeyedAllowance(INSTALLS_PER_MINUTE, INSTALLS_PER_MINUTE)
        self._mounts = tuple(mounts)

    def senders(self) -> Mapping[str, Sender]:
        """The delivery engine's Slack sender."""
        return {"slack": self.sender}

    async def start(self, app: Application) -> None:
        """Build the bolt app and start serving (HTTP) or connect (Socket Mode)."""
        settings = self.settings
        self._session = aiohttp.ClientSession()
        installations = None
        if settings.oauth:
            installations = self.installations = Installations(settings, app.db)

            self.sender.tokens = partial(installations.tokens, app.services.orgs)
        client = AsyncWebClient(
            token=None if settings.oauth else settings.bot_token,
            base_url=settings.api_url,
            session=self._session,
            logger=API_LOG,
        )
        self._app = app
        self.bot = SlackBot(app, settings, client, installations=installations)
        app.services.platform_roles.register("slack", self.bot.current_roles)
        if settings.mode == "socket":
            self._socket = AsyncSocketModeHandler(
                self.bot.bolt, settings.app_token, web_client=client
            )
            await self._socket.connect_async()
            log.info("Slack: connected in Socket Mode to %s", settings.api_url)
            return
        web_app = web.Application()
        web_app.router.add_post(EVENTS_PATH, self._events)
        web_app.router.add_get("/healthz", self._health)
        add_metrics_route(web_app, app)
        flow = self.bot.bolt.oauth_flow
        if flow is not None:
            web_app.router.add_get(flow.install_path, self._install)
            web_app.router.add_get(flow.redirect_uri_path, self._installed)
        for mount in self._mounts:
            mount(web_app, app)
        self._gate = EventsGate(settings.signing_secret, app.db)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, settings.host, settings.port)
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            raise ConfigError(
                bind_error(self.config.source, "[slack] port", settings.host, settings.port, exc)
            ) from None
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else settings.port
        log.info(
            "Slack: listening on http://%s:%d%s (and /healthz)",
            settings.host,
            self.port,
            EVENTS_PATH,
        )

    async def _events(self, request: web.Request) -> web.Response:
        assert self.bot is not None and self._gate is not None
        admitted = await self._gate.admit(request)
        if admitted is None:
            return web.Response(status=200, text="")
        return await to_aiohttp_response(await self.bot.bolt.async_dispatch(admitted))

    async def _install(self, request: web.Request) -> web.Response:
        assert self.bot is not None and self.bot.bolt.oauth_flow is not None
        assert self.installations is not None
        wait = self._installs.take(request.remote or "")
        if not wait and await self.installations.states.live() >= LIVE_STATES:
            wait = float(self.installations.states.expiration_seconds)
        if wait:
            return web.Response(
                status=429,
                text="Too many installations started; try again later.",
                headers={"Retry-After": str(math.ceil(wait))},
            )
        flow = self.bot.bolt.oauth_flow
        return await to_aiohttp_response(
            await flow.handle_installation(await to_bolt_request(request))
        )

    async def _installed(self, request: web.Request) -> web.Response:
        assert self.bot is not None and self.bot.bolt.oauth_flow is not None
        flow = self.bot.bolt.oauth_flow
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    async def _health(self, _request: web.Request) -> web.Response:
        assert self._app is not None
        try:
            await self._app.db.ping(within=HEALTH_TIMEOUT)
        except DatabaseError as exc:
            log.warning("health check: %s", exc)
            return web.json_response(
                {"ok": False, "mode": self.settings.mode, "database": "unreachable"}, status=503
            )
        return web.json_response({"ok": True, "mode": self.settings.mode})

    async def stop(self) -> None:
        """Stop answering, then close the connections."""
        if self._app is not None and self.bot is not None:
            self._app.services.platform_roles.unregister("slack", self.bot.current_roles)
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._gate is not None:
            await self._gate.close()
        if self._session is not None:
            await self._session.close()
            self._session = None
        await self.sender.close()

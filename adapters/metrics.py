"""``GET /metrics``: the application's numbers in the Prometheus text format, over aiohttp.

:func:`add_metrics_route` adds the route to every server that has ``/healthz`` (the web
pages' own, the Slack HTTP endpoint's) when ``[metrics] enabled``; without ``enabled`` there
is no such route (404). :class:`MetricsAdapter` is the small server of its own, on
``[metrics] host`` and ``port``, for a deployment with no such server (Discord only, Slack
in Socket Mode). With ``[metrics] token`` set, a scrape must send ``Authorization: Bearer
<token>`` (compared in constant time); anything else gets 401.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from aiohttp import web

from adapters.listening import bind_error
from bot.config import ConfigError
from bot.metrics import CONTENT_TYPE

if TYPE_CHECKING:
    from bot.app import Application
    from bot.config import Config
    from bot.delivery import Sender

__all__ = ["MetricsAdapter", "add_metrics_route"]

log = logging.getLogger("rallybot.metrics")

METRICS_PATH = "/metrics"


def add_metrics_route(web_app: web.Application, app: Application) -> None:
    """Serve ``GET /metrics`` on ``web_app`` when ``[metrics] enabled``; nothing otherwise."""
    settings = app.config.metrics
    if not settings.enabled:
        return
    token = settings.token.encode()

    async def metrics(request: web.Request) -> web.Response:
        if token and not _bearer_matches(request.headers.get("Authorization", ""), token):
            return web.Response(
                status=401,
                text="A bearer token is needed: Authorization: Bearer <[metrics] token>\n",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        body = await app.metrics.exposition()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    web_app.router.add_get(METRICS_PATH, metrics)


def _bearer_matches(header: str, token: bytes) -> bool:
    """Whether an Authorization header carries the token, compared in constant time."""
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    given_digest = hashlib.sha256(given.strip().encode()).digest()
    return hmac.compare_digest(given_digest, hashlib.sha256(token).digest())


class MetricsAdapter:
    """``/metrics`` on a server of its own, for `rallybot run` with no other web server."""

    name = "metrics"

    def __init__(self, config: Config) -> None:
        self.config = config
        #: the port the server listens on (the chosen one when ``port`` is 0)
        self.port: int | None = None
        self._runner: web.AppRunner | None = None

    def senders(self) -> Mapping[str, Sender]:
        """None: metrics send no messages."""
        return {}

    async def start(self, app: Application) -> None:
        """Serve ``/metrics`` on ``[metrics] host`` and ``port``."""
        settings = self.config.metrics
        web_app = web.Application()
        add_metrics_route(web_app, app)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, settings.host, settings.port)
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            raise ConfigError(
                bind_error(self.config.source, "[metrics] port", settings.host, settings.port, exc)
            ) from None
        sockets = getattr(site._server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else settings.port
        log.info("Metrics: listening on http://%s:%d%s", settings.host, self.port, METRICS_PATH)

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

"""Private calendar feeds: ``GET /calendar/<token>.ics``.

The token is looked up by its SHA-256 digest; an unknown or revoked one gets the same 404 as
any other address. The file itself is written by the feature that registered the
``calendar`` feed (the events), in a read-only transaction. Its ETag is a digest of the file
without its DTSTAMP lines (which carry the time of the request), so a calendar asking again
with ``If-None-Match`` gets 304 while nothing changed. The token is never logged: the server
keeps no access log, and a failure is logged without the path.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from adapters.web.tracker import message
from bot.unit import UnitOfWork
from storage import feeds

if TYPE_CHECKING:
    from bot.app import Application

log = logging.getLogger("rallybot.web")

#: the route; a token is 43 URL-safe characters, a little room is left either way
ROUTE = r"/calendar/{token:[A-Za-z0-9_-]{16,128}}.ics"
#: what a route of feeds starts with (the per-address limit covers it)
PREFIX = "/calendar/"
#: how stale the time a feed was last fetched may be before it is written again
USED_EVERY = timedelta(hours=1)
NOT_FOUND = ("Not found", "There is no calendar at this address.")


def _etag(body: bytes) -> str:
    """A digest of the file without its DTSTAMP lines."""
    kept = b"\r\n".join(line for line in body.split(b"\r\n") if not line.startswith(b"DTSTAMP"))
    return '"' + hashlib.sha256(kept).hexdigest()[:32] + '"'


def _matches(request: web.Request, etag: str) -> bool:
    """Whether the client's ``If-None-Match`` names this version."""
    given = request.headers.get("If-None-Match")
    if given is None:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in given.split(",")}
    return etag in tags or "*" in tags


class FeedPages:
    """The calendar feed route, reading through the application's database."""

    def __init__(self, app: Application) -> None:
        self.app = app

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Serve the feed route on ``router``; any other path under it is a 404."""
        router.add_get(ROUTE, self.serve)
        router.add_get(PREFIX + "{rest:.*}", self.unknown)

    async def unknown(self, _request: web.Request) -> web.Response:
        """The answer to an address that is no feed: the same as a revoked token's."""
        return message(*NOT_FOUND, 404)

    async def serve(self, request: web.Request) -> web.StreamResponse:
        """The member's calendar, or 404 for a token that opens none."""
        services = self.app.services
        render = services.registry.feeds().get("calendar")
        if render is None:
            return message(*NOT_FOUND, 404)
        try:
            async with self.app.db.reading() as conn:
                found = await feeds.feed_by_token(conn, request.match_info["token"])
                if found is None:
                    return message(*NOT_FOUND, 404)
                try:
                    services.orgs.by_id(found.org_id)
                except KeyError:
                    return message(*NOT_FOUND, 404)
                body = await render(UnitOfWork(services, conn), found.org_id, found.member_id)
            now = services.clock.now()
            if found.last_used_at is None or now - found.last_used_at >= USED_EVERY:
                async with self.app.db.transaction() as conn:
                    await feeds.mark_used(conn, found.id, now)
        except (OSError, SQLAlchemyError) as exc:
            log.warning("calendar feed: the database did not answer: %s", type(exc).__name__)
            return message(
                "Not available", "The calendar cannot be sent right now; try again soon.", 503
            )
        etag = _etag(body)
        headers = {
            "ETag": etag,
            "Cache-Control": "private, no-cache",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        }
        if _matches(request, etag):
            return web.Response(status=304, headers=headers)
        response = web.Response(body=body, headers=headers)
        response.content_type = "text/calendar"
        response.charset = "utf-8"
        return response

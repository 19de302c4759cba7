"""The public layoff tracker's routes: ``GET /o/<slug>/layoffs`` and its ``.json`` and ``.csv``.

An organization without ``public_tracker`` answers exactly as an unknown slug does (404).
Every answer carries an ETag made of the organization's tracker version and the request's
filters, and a Last-Modified; a matching ``If-None-Match`` (or, without one, an
``If-Modified-Since`` not older than the last change) gets 304 with no body. Rendered bodies
are kept in a bounded cache keyed by organization, version, format and filters, so a change
to the reports (which bumps the version) makes every cached page stale at once, in every
process; identical requests arriving together render once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from adapters.web.query import PAGE_SIZE, QueryError, TrackerQuery, parse_query
from adapters.web.render import (
    CSS_HASH,
    TrackerView,
    message_html,
    tracker_csv,
    tracker_html,
    tracker_json,
)
from storage.tracker import TrackerStamp, tracker_reports, tracker_stamp, tracker_summary

if TYPE_CHECKING:
    from bot.app import Application

log = logging.getLogger("rallybot.web")

#: rendered bodies kept at most, and the largest one kept
CACHE_ENTRIES = 256
CACHE_LARGEST = 32 * 1024 * 1024
#: the route of the tracker, its formats told apart by the ending
ROUTE = r"/o/{slug:[a-z0-9][a-z0-9-]{0,63}}/layoffs{ext:(\.json|\.csv)?}"
HTML_HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{CSS_HASH}'; img-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
CONTENT_TYPES = {
    "": "text/html; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
}


@dataclass(frozen=True)
class Rendered:
    """One rendered answer."""

    body: bytes


def message(
    title: str, text: str, status: int, headers: dict[str, str] | None = None
) -> web.Response:
    """A small HTML page saying what went wrong, with its status."""
    return web.Response(
        body=message_html(title, text, status),
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={**HTML_HEADERS, **(headers or {})},
    )


NOT_FOUND = ("Not found", "There is no public layoff tracker at this address.")


class RenderCache:
    """Rendered answers by key, the least recently used dropped first; one render per key
    at a time."""

    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        self.entries = entries
        self._kept: OrderedDict[tuple[Any, ...], Rendered] = OrderedDict()
        self._rendering: dict[tuple[Any, ...], asyncio.Future[Rendered]] = {}

    async def get(
        self, key: tuple[Any, ...], render: Callable[[], Awaitable[Rendered]]
    ) -> Rendered:
        """The answer kept under ``key``, else ``render``'s (kept when not too large)."""
        if (found := self._kept.get(key)) is not None:
            self._kept.move_to_end(key)
            return found
        if (pending := self._rendering.get(key)) is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Rendered] = asyncio.get_running_loop().create_future()
        self._rendering[key] = future
        try:
            rendered = await render()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: a waiter, if any, re-raises it
            raise
        finally:
            del self._rendering[key]
        future.set_result(rendered)
        if len(rendered.body) <= CACHE_LARGEST:
            self._kept[key] = rendered
            while len(self._kept) > self.entries:
                self._kept.popitem(last=False)
        return rendered


def _etag(org_id: int, stamp: TrackerStamp, ext: str, query: TrackerQuery) -> str:
    digest = hashlib.sha256(repr((org_id, ext, query.key())).encode()).hexdigest()[:16]
    return f'"{stamp.version}-{digest}"'


def _not_modified(request: web.Request, etag: str, changed_at: datetime | None) -> bool:
    """Whether the client's copy is current (RFC 9110 §13.1: If-None-Match wins)."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return etag in tags or "*" in tags
    since = request.headers.get("If-Modified-Since")
    if since is None or changed_at is None:
        return False
    try:
        client = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    if client.tzinfo is None:
        return False
    return changed_at.replace(microsecond=0) <= client


class TrackerPages:
    """The tracker's routes, reading through the application's database."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self.cache = RenderCache()
        self._stamps: dict[int, asyncio.Future[TrackerStamp]] = {}

    async def stamp(self, org_id: int) -> TrackerStamp:
        """The organization's tracker version, read now; requests arriving while a read is
        under way share it (it began at most one read's time before them)."""
        if (pending := self._stamps.get(org_id)) is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[TrackerStamp] = asyncio.get_running_loop().create_future()
        self._stamps[org_id] = future
        try:
            async with self.app.db.reading() as conn:
                found = await tracker_stamp(conn, org_id)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: a waiter, if any, re-raises it
            raise
        finally:
            del self._stamps[org_id]
        future.set_result(found)
        return found

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Serve the tracker's routes on ``router``."""
        router.add_get(ROUTE, self.serve)

    async def serve(self, request: web.Request) -> web.StreamResponse:
        """One tracker answer: HTML, JSON or CSV."""
        services = self.app.services
        try:
            record, org = services.orgs.by_slug(request.match_info["slug"])
        except KeyError:
            return message(*NOT_FOUND, 404)
        if not org.public_tracker:
            return message(*NOT_FOUND, 404)
        ext = request.match_info["ext"]
        today = services.clock.now().astimezone(ZoneInfo(org.timezone)).date()
        try:
            query = parse_query(request.query, today.year)
        except QueryError as exc:
            if ext == ".json":
                return web.json_response({"error": str(exc), "parameter": exc.param}, status=400)
            return message("Not a valid choice", str(exc), 400)
        try:
            stamp = await self.stamp(record.id)
        except (OSError, SQLAlchemyError) as exc:
            log.warning("tracker: the database did not answer: %s", type(exc).__name__)
            return message(
                "Not available", "The tracker cannot be shown right now; try again soon.", 503
            )
        etag = _etag(record.id, stamp, ext, query)
        headers = {"ETag": etag, "Cache-Control": "public, no-cache"}
        if stamp.changed_at is not None:
            headers["Last-Modified"] = format_datetime(stamp.changed_at.astimezone(UTC), True)
        if ext == "":
            headers.update(HTML_HEADERS)
        if ext == ".csv":
            headers["Content-Disposition"] = f'attachment; filename="layoffs-{record.slug}.csv"'
        if _not_modified(request, etag, stamp.changed_at):
            return web.Response(status=304, headers=headers)

        async def render() -> Rendered:
            async with self.app.db.reading() as conn:
                summary = await tracker_summary(conn, record.id, query.filters)
                paged = {} if ext == ".csv" else {"limit": PAGE_SIZE}
                reports = await tracker_reports(
                    conn,
                    record.id,
                    query.filters,
                    offset=(query.page - 1) * PAGE_SIZE if paged else 0,
                    **paged,
                )
            view = TrackerView(record.slug, record.name, query, summary, reports, today)
            draw = {"": tracker_html, ".json": tracker_json}.get(ext)
            if draw is None:
                return Rendered(await asyncio.to_thread(tracker_csv, reports))
            return Rendered(draw(view))

        key = (record.id, stamp.version, ext, query.key(), today.year)
        rendered = await self.cache.get(key, render)
        response = web.Response(body=rendered.body, headers=headers)
        response.content_type, _, _ = CONTENT_TYPES[ext].partition(";")
        response.charset = "utf-8"
        return response

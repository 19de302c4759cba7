"""The door of ``POST /slack/events``: every request checked before slack-bolt reads it.

Slack signs each request it sends with the app's signing secret: ``X-Slack-Signature`` is
``v0=`` and the HMAC-SHA256 of ``v0:{X-Slack-Request-Timestamp}:{body}``, and a timestamp
more than 5 minutes from now must be refused, so that a recorded request cannot be sent
again later (https://api.slack.com/authentication/verifying-requests-from-slack). Here:

- a request without those headers, with a timestamp that is not a whole number, more than 5
  minutes off, or with a wrong signature is refused with 401 before its body is parsed;
- a body that is not what Slack sends (bytes that are not UTF-8, which Slack always
  sends; a signed ``payload=`` or JSON body that is not a JSON object) is refused with 400;
- a signed request whose exact timestamp and signature were already answered within the
  window (a replay, or a proxy sending it twice) is answered 200 with an empty body and not
  run again. Slack's own retries of an event, marked with ``X-Slack-Retry-Num``, are
  dropped by ``SlackBot`` by the event id they carry.

Each refusal writes one short line at INFO, never the body or the signature.

The signatures answered are remembered by the process, and on PostgreSQL in the database
as well (``storage/slack_requests.py``), so the guarantee holds across every process
serving one Slack app behind a load balancer. Requests that arrive while one batch of
signatures is being written wait for the next, written in one statement on a connection
of its own, so a burst costs a few round trips, never a wait for the pool behind the
commands' work. On SQLite, the one-process deployment, the process's memory is the whole
memory: there every write waits its turn behind the one writer, and a write before each
acknowledgement made acknowledgements wait behind the commands' own writes
(``bench/slack_burst.py``: p99 from about 100 ms to about 600 ms). If the database cannot
be written, the process's memory alone decides, with a warning.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections import OrderedDict
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiohttp import web
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.slack_requests import forget_expired, remember

if TYPE_CHECKING:
    from storage.db import Database

#: how far a request's timestamp may be from now, in seconds (Slack's rule)
WINDOW = 5 * 60
#: how often, in seconds, a process drops the remembered signatures whose window has ended
PURGE_EVERY = 60.0
#: signatures a process remembers at most (Slack sends far fewer in 10 minutes)
REMEMBERED = 100_000

log = logging.getLogger("rallybot.slack.edge")


class SeenSignatures:
    """The signatures one process has answered, each until its window ends."""

    def __init__(self, limit: int = REMEMBERED) -> None:
        self.limit = limit
        self._until: OrderedDict[str, float] = OrderedDict()

    def first_sighting(self, digest: str, expires: float, now: float) -> bool:
        """Remember ``digest`` until ``expires``; False when it was already remembered."""
        while self._until and next(iter(self._until.values())) <= now:
            self._until.popitem(last=False)
        if digest in self._until:
            return False
        self._until[digest] = expires
        while len(self._until) > self.limit:
            self._until.popitem(last=False)
        return True


class SharedSignatures:
    """The signatures every process on one database has answered, written in batches."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: dict[str, tuple[datetime, asyncio.Future[bool]]] = {}
        self._writer: asyncio.Task[None] | None = None
        self._conn: AsyncConnection | None = None
        self._next_purge = 0.0

    async def first_sighting(self, digest: str, expires: datetime) -> bool:
        """Remember ``digest`` until ``expires``; False when a process already had."""
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending[digest] = (expires, answer)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return await answer

    async def _write(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, {}
            try:
                if self._conn is None or self._conn.closed or self._conn.invalidated:
                    self._conn = await self.db.engine.connect()
                conn = self._conn
                async with conn.begin():
                    now = time.time()
                    if now >= self._next_purge:
                        self._next_purge = now + PURGE_EVERY
                        await forget_expired(conn, datetime.fromtimestamp(now, UTC))
                    new = await remember(conn, {d: at for d, (at, _) in batch.items()})
            except Exception as exc:  # the database's own errors, whatever its driver
                await self.close()
                log.warning(
                    "signatures could not be remembered in the database (%s); "
                    "this process's memory decides",
                    type(exc).__name__,
                )
                new = set(batch)
            for digest, (_, answer) in batch.items():
                if not answer.done():
                    answer.set_result(digest in new)

    async def close(self) -> None:
        """Give back the connection the batches are written on."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # it may be broken already
                await conn.close()


class EventsGate:
    """Checks requests to ``/slack/events`` and remembers the signatures it let through."""

    def __init__(self, signing_secret: str, db: Database) -> None:
        self.verifier = SignatureVerifier(signing_secret)
        self.seen = SeenSignatures()
        self.shared = None if db.is_sqlite else SharedSignatures(db)

    def _refuse(self, status: type[web.HTTPException], reason: str) -> web.HTTPException:
        log.info("refused a request to /slack/events: %s", reason)
        return status(text="invalid request")

    async def admit(self, request: web.Request) -> AsyncBoltRequest | None:
        """The request, parsed for bolt, when it is Slack's and new; None for a replay.

        Raises 401 or 400 (as aiohttp HTTP exceptions) for a request that is not Slack's or
        that Slack would not send."""
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not timestamp or not signature:
            raise self._refuse(web.HTTPUnauthorized, "not signed")
        if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
            raise self._refuse(web.HTTPUnauthorized, "the timestamp is not a whole number")
        now = time.time()
        if abs(now - int(timestamp)) > WINDOW:
            raise self._refuse(web.HTTPUnauthorized, "the timestamp is more than 5 minutes off")
        try:
            body = (await request.read()).decode("utf-8")
        except UnicodeDecodeError:
            raise self._refuse(web.HTTPBadRequest, "the body is not UTF-8") from None
        if not self.verifier.is_valid(body, timestamp, signature):
            raise self._refuse(web.HTTPUnauthorized, "the signature is wrong")
        try:
            parsed = AsyncBoltRequest(
                body=body,
                query=request.query_string,
                headers=dict(request.headers),
            )
        except (ValueError, AttributeError, TypeError):
            # ValueError: a payload that is not JSON; AttributeError and TypeError: JSON
            # that is not an object, where bolt reads one.
            raise self._refuse(web.HTTPBadRequest, "the body is not one Slack sends") from None
        if not await self._first_time(timestamp, signature, now):
            log.info("a request to /slack/events was replayed; answered without running it")
            return None
        return parsed

    async def _first_time(self, timestamp: str, signature: str, now: float) -> bool:
        digest = hashlib.sha256(f"{timestamp}:{signature}".encode()).hexdigest()
        until = int(timestamp) + WINDOW
        if not self.seen.first_sighting(digest, until, now):
            return False
        if self.shared is None:
            return True
        return await self.shared.first_sighting(digest, datetime.fromtimestamp(until, UTC))

    async def close(self) -> None:
        """Release the database connection the gate holds, if any."""
        if self.shared is not None:
            await self.shared.close()

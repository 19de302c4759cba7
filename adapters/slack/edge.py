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
  run again. Slack's own retries are new requests, signed anew and marked with
  ``X-Slack-Retry-Num``; the event ids they carry are dropped by ``SlackBot``.

Each refusal writes one short line at INFO, never the body or the signature. The
signatures answered are remembered in the database (``storage/slack_requests.py``), so the
guarantee holds across every process serving one Slack app.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from aiohttp import web
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from storage.slack_requests import first_sighting, forget_expired

if TYPE_CHECKING:
    from storage.db import Database

#: how far a request's timestamp may be from now, in seconds (Slack's rule)
WINDOW = 5 * 60
#: how often, in seconds, a process drops the remembered signatures whose window has ended
PURGE_EVERY = 60.0

log = logging.getLogger("rallybot.slack.edge")


class EventsGate:
    """Checks requests to ``/slack/events`` and remembers the signatures it let through."""

    def __init__(self, signing_secret: str, db: Database) -> None:
        self.verifier = SignatureVerifier(signing_secret)
        self.db = db
        self._next_purge = 0.0

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
        if not timestamp.isascii() or not timestamp.isdigit():
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
        expires = datetime.fromtimestamp(int(timestamp), UTC) + timedelta(seconds=WINDOW)
        async with self.db.transaction() as conn:
            if now >= self._next_purge:
                self._next_purge = now + PURGE_EVERY
                await forget_expired(conn, datetime.fromtimestamp(now, UTC))
            return await first_sighting(conn, digest, expires)

"""The outcome of a dashboard action, carried across its redirect and shown once.

A form's POST answers 303 to the page it came from (so reloading that page runs nothing
again) and hands the outcome -- the reply's lines and whether it was a refusal -- to that
page's next GET in a short-lived cookie, which the GET reads and deletes. The cookie is
HttpOnly, SameSite=Lax, Secure like the session cookie, sent to the dashboard only, signed
with a key derived from the session's own token (so it cannot be forged, nor shown to any
other session), carries the time it was made, and is capped in size.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web

#: the cookie's name, and how long it is honoured after the action
COOKIE = "rallybot_dashboard_flash"
LIFETIME = timedelta(seconds=60)
#: the longest cookie value written (browsers keep 4 KB per cookie, name and flags included)
MAX_VALUE = 3000
#: at most this many lines are carried; a longer outcome ends with a line saying so
MAX_LINES = 20
MORE = "(more in the audit log)"


@dataclass(frozen=True)
class Outcome:
    """What an action answered: its lines of text, and whether it was refused."""

    lines: list[str]
    error: bool


def _key(session_token: str) -> bytes:
    return hashlib.sha256(f"dashboard-flash:{session_token}".encode()).digest()


def _sign(session_token: str, body: str) -> str:
    return hmac.new(_key(session_token), body.encode(), hashlib.sha256).hexdigest()


def _encode(outcome: Outcome, at: datetime) -> str:
    raw = json.dumps(
        {"l": outcome.lines, "e": outcome.error, "t": int(at.timestamp())},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def value_of(session_token: str, outcome: Outcome, at: datetime) -> str:
    """The cookie's value: the outcome, made at ``at``, signed for this session; lines
    are dropped from the end (and a last line says so) until it fits in ``MAX_VALUE``."""
    lines = [line for line in outcome.lines if line.strip()]
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], MORE]
    while True:
        body = _encode(Outcome(lines, outcome.error), at)
        if len(body) + 65 <= MAX_VALUE:
            return f"{body}.{_sign(session_token, body)}"
        shortened = [line[:200] for line in lines]
        if shortened != lines:
            lines = shortened
        elif len(lines) > 1:
            lines = [*lines[:-2], MORE]
        else:
            lines = [MORE]


def read(session_token: str, value: str, now: datetime) -> Outcome | None:
    """The outcome in a cookie's value if this session signed it and it is fresh, else
    None (a cookie from another session, altered, stale or malformed shows nothing)."""
    body, _, signature = value.partition(".")
    if not body or not hmac.compare_digest(signature, _sign(session_token, body)):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        lines, error, at = data["l"], data["e"], data["t"]
    except (ValueError, KeyError, TypeError):
        return None
    if not (isinstance(lines, list) and all(isinstance(x, str) for x in lines)):
        return None
    if not isinstance(at, int) or not 0 <= now.timestamp() - at <= LIFETIME.total_seconds():
        return None
    return Outcome(lines, bool(error))


def redirect(
    location: str, session_token: str, outcome: Outcome, now: datetime, *, path: str, secure: bool
) -> web.Response:
    """The 303 answer to an action's POST, carrying its outcome to ``location``."""
    response = web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})
    response.set_cookie(
        COOKIE,
        value_of(session_token, outcome, now),
        max_age=int(LIFETIME.total_seconds()),
        path=path,
        httponly=True,
        samesite="Lax",
        secure=secure,
    )
    return response


def take(request: web.Request, session_token: str, now: datetime) -> tuple[Outcome | None, bool]:
    """The outcome a GET carries (None if none or not valid), and whether a flash cookie
    came at all (to be deleted with ``forget``)."""
    value = request.cookies.get(COOKIE)
    if value is None:
        return None, False
    return read(session_token, value, now), True


def forget(response: web.StreamResponse, *, path: str, secure: bool) -> None:
    """Delete the flash cookie, so the outcome is shown once."""
    response.del_cookie(COOKIE, path=path, secure=secure, httponly=True, samesite="Lax")

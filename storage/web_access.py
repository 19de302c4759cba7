"""Sign-in to the organizers' dashboard: one-time login links and signed-in browsers.

Tokens are handed to the person once and never stored: a row keeps the SHA-256 digest of its
token, so a copy of the database signs no one in. A login link is spent by one sign-in; a
session ends when it expires, when its browser signs out, or when the person signs out
everywhere.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import WebLogin, WebSession

_logins = WebLogin.__table__
_sessions = WebSession.__table__


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The digest stored for a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Signer:
    """Who a login link or session signs in, and where they asked from (``roles`` and
    ``role_names``: the platform roles they held when they asked; the dashboard asks the
    platform again on every request and does not go by these)."""

    org_id: int
    member_id: int
    platform: str
    space_id: str
    account: str
    display_name: str
    roles: tuple[str, ...]
    role_names: tuple[str, ...]


@dataclass(frozen=True)
class Grant:
    """A login link or session found by its token, with when it expires."""

    signer: Signer
    expires_at: datetime
    used_at: datetime | None = None


def _values(signer: Signer) -> dict[str, Any]:
    return {
        "org_id": signer.org_id,
        "member_id": signer.member_id,
        "platform": signer.platform,
        "space_id": signer.space_id,
        "account": signer.account,
        "display_name": signer.display_name,
        "roles": sorted(signer.roles),
        "role_names": sorted(signer.role_names),
    }


def _grant(row: Any, used: bool = False) -> Grant:
    signer = Signer(
        row.org_id,
        row.member_id,
        row.platform,
        row.space_id,
        row.account,
        row.display_name,
        tuple(row.roles),
        tuple(row.role_names),
    )
    return Grant(signer, row.expires_at, row.used_at if used else None)


async def add_login(
    conn: AsyncConnection, signer: Signer, now: datetime, expires_at: datetime
) -> str:
    """Store a new login link for ``signer``; its token (given out once, kept hashed)."""
    token = new_token()
    await conn.execute(
        insert(_logins).values(
            token_hash=token_hash(token), created_at=now, expires_at=expires_at, **_values(signer)
        )
    )
    return token


async def find_login(conn: AsyncConnection, token: str) -> Grant | None:
    """The login link of ``token``, spent or not, expired or not; spends nothing."""
    row = (
        await conn.execute(select(_logins).where(_logins.c.token_hash == token_hash(token)))
    ).first()
    return None if row is None else _grant(row, used=True)


async def spend_login(conn: AsyncConnection, token: str, now: datetime) -> Signer | None:
    """Spend a login link: its signer, or None when it is unknown, expired or already
    spent (of two sign-ins at once, one wins)."""
    digest = token_hash(token)
    spent = await conn.execute(
        update(_logins)
        .where(
            _logins.c.token_hash == digest,
            _logins.c.used_at.is_(None),
            _logins.c.expires_at > now,
        )
        .values(used_at=now)
    )
    if spent.rowcount != 1:
        return None
    row = (await conn.execute(select(_logins).where(_logins.c.token_hash == digest))).one()
    return _grant(row).signer


async def add_session(
    conn: AsyncConnection, signer: Signer, now: datetime, expires_at: datetime
) -> str:
    """Store a signed-in browser; its token (for the cookie, kept hashed)."""
    token = new_token()
    await conn.execute(
        insert(_sessions).values(
            token_hash=token_hash(token), created_at=now, expires_at=expires_at, **_values(signer)
        )
    )
    return token


async def find_session(conn: AsyncConnection, token: str, now: datetime) -> Signer | None:
    """The signer of a session that has not expired, or None."""
    row = (
        await conn.execute(
            select(_sessions).where(
                _sessions.c.token_hash == token_hash(token), _sessions.c.expires_at > now
            )
        )
    ).first()
    return None if row is None else _grant(row).signer


async def move_session(conn: AsyncConnection, token: str, signer: Signer) -> bool:
    """Point a signed-in browser at another organization of the same member, reached through
    ``signer``'s account and space (the organization chooser); False when the session is gone
    or belongs to someone else."""
    moved = await conn.execute(
        update(_sessions)
        .where(
            _sessions.c.token_hash == token_hash(token),
            _sessions.c.member_id == signer.member_id,
        )
        .values(**_values(signer))
    )
    return moved.rowcount == 1


async def end_session(conn: AsyncConnection, token: str) -> None:
    """Sign one browser out."""
    await conn.execute(delete(_sessions).where(_sessions.c.token_hash == token_hash(token)))


async def end_sessions_of(conn: AsyncConnection, member_id: int) -> int:
    """Sign a member out everywhere, and void their unspent login links; how many sessions
    ended."""
    ended = await conn.execute(delete(_sessions).where(_sessions.c.member_id == member_id))
    await conn.execute(delete(_logins).where(_logins.c.member_id == member_id))
    return ended.rowcount or 0


async def forget_expired(conn: AsyncConnection, now: datetime) -> None:
    """Delete the login links and sessions that can no longer sign anyone in."""
    await conn.execute(delete(_logins).where(_logins.c.expires_at <= now))
    await conn.execute(delete(_sessions).where(_sessions.c.expires_at <= now))


async def access_of_member(conn: AsyncConnection, member_id: int) -> list[dict[str, Any]]:
    """A member's login links and sessions for /privacy export (never a token or digest)."""
    found: list[dict[str, Any]] = []
    for kind, table in (("login link", _logins), ("dashboard session", _sessions)):
        rows = await conn.execute(
            select(table).where(table.c.member_id == member_id).order_by(table.c.created_at)
        )
        for row in rows:
            item = {
                "kind": kind,
                "platform": row.platform,
                "account": row.account,
                "created_at": row.created_at.isoformat(),
                "expires_at": row.expires_at.isoformat(),
            }
            if kind == "login link":
                item["used_at"] = row.used_at and row.used_at.isoformat()
            found.append(item)
    return found

"""Signed Slack requests already answered, so a replayed one is not run twice.

A Slack signature is valid for 5 minutes around its timestamp; a digest of each signature
answered is kept until its window ends, in the database so that every process serving
``/slack/events`` (HTTP workers behind one load balancer) shares the memory. Remembering is
one ``INSERT … ON CONFLICT DO NOTHING``: the row that went in says "first time".
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import SlackRequestSeen

_seen = SlackRequestSeen.__table__


@cache
def _remember(dialect: str) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(_seen)
        .values(digest=bindparam("digest"), expires_at=bindparam("expires_at"))
        .on_conflict_do_nothing(index_elements=["digest"])
    )


async def first_sighting(conn: AsyncConnection, digest: str, expires_at: datetime) -> bool:
    """Remember ``digest`` until ``expires_at``; False when it was already remembered."""
    stmt = _remember(conn.dialect.name)
    result = await conn.execute(stmt, {"digest": digest, "expires_at": expires_at})
    return result.rowcount == 1


async def forget_expired(conn: AsyncConnection, now: datetime) -> int:
    """Drop the digests whose window has ended; how many were dropped."""
    result = await conn.execute(delete(_seen).where(_seen.c.expires_at <= now))
    return result.rowcount

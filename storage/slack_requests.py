"""Signed Slack requests already answered, so a replayed one is not run twice.

A Slack signature is valid for 5 minutes around its timestamp; a digest of each signature
answered is kept until its window ends, in the database so that every process serving
``/slack/events`` (HTTP workers behind one load balancer) shares the memory. Remembering is
one ``INSERT … ON CONFLICT DO NOTHING RETURNING`` for any number of digests: the rows that
went in say "first time".
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import SlackRequestSeen

_seen = SlackRequestSeen.__table__


async def remember(conn: AsyncConnection, digests: dict[str, datetime]) -> set[str]:
    """Remember each digest until its time, in one statement; the ones not remembered before."""
    if not digests:
        return set()
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(_seen)
        .values([{"digest": d, "expires_at": at} for d, at in digests.items()])
        .on_conflict_do_nothing(index_elements=["digest"])
        .returning(_seen.c.digest)
    )
    return set((await conn.execute(stmt)).scalars())


async def forget_expired(conn: AsyncConnection, now: datetime) -> int:
    """Drop the digests whose window has ended; how many were dropped."""
    result = await conn.execute(delete(_seen).where(_seen.c.expires_at <= now))
    return result.rowcount

"""A throw-away database for a benchmark: a SQLite file, or a fresh PostgreSQL schema."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

from storage.db import Database


@asynccontextmanager
async def bench_database(url: str | None, folder: Path) -> AsyncIterator[Database]:
    """A migrated, empty database; a PostgreSQL URL gets its own schema, dropped after."""
    if not url or url.startswith("sqlite"):
        db = Database(url or f"sqlite+aiosqlite:///{folder / 'bench.db'}")
        await db.upgrade()
        try:
            yield db
        finally:
            await db.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    conn = await asyncpg.connect(dsn)
    await conn.execute(f'CREATE SCHEMA "{schema}"')
    db = Database(url, schema=schema)
    try:
        await db.upgrade()
        yield db
    finally:
        await db.dispose()
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()

"""A process for the group-commit crash test: a burst of units of work on a SQLite file.

Usage: ``python group_commit_child.py PATH``. Units of work run a hundred at once, without
pause, each storing its number in ``answers``; every seventh stores its number and then
raises, so nothing of it may be kept. A number is printed (and flushed) only once its
``transaction()`` block has returned, which is after the COMMIT it shared with its group: a
printed number is an answer the bot would have sent. The parent kills this process while
the burst is under way.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import text

from storage.db import Database

AT_ONCE = 100
UNITS = 1_000_000


class Refused(Exception):
    """A unit of work that fails after writing."""


async def unit(db: Database, number: int) -> None:
    try:
        async with db.transaction() as conn:
            await conn.execute(text("INSERT INTO answers (id) VALUES (:id)"), {"id": number})
            if number % 7 == 0:
                raise Refused
    except Refused:
        return
    sys.stdout.write(f"{number}\n")
    sys.stdout.flush()


async def main(path: str) -> None:
    db = Database(f"sqlite+aiosqlite:///{path}")
    numbers = iter(range(1, UNITS))

    async def worker() -> None:
        for number in numbers:
            await unit(db, number)

    await asyncio.gather(*(worker() for _ in range(AT_ONCE)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))

"""The ballot secret: the key of every keyed hash that stands for a person without naming
them (anonymous ballots, the hourly count of layoff reports).

It is ``[polls] ballot_secret`` when configured; else, on a SQLite file, a secret made once in
a file beside the database (mode 0600); on an in-memory SQLite database one for the run;
on PostgreSQL none, because every process must share one, so it has to be configured. The
secret is never in the database, so the database alone cannot link a hash to a person.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from bot.config import Config
from storage.db import Database


def _secret_file(path: Path) -> bytes:
    """The secret kept in ``path``, made there once (mode 0600) if there is none yet."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip().encode()
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(32) + "\n")
    return path.read_text(encoding="ascii").strip().encode()


def find_ballot_secret(config: Config, db: Database) -> bytes | None:
    """The key of keyed hashes of people: ``[polls] ballot_secret``; else, on a SQLite file, one
    made once beside the database; on an in-memory SQLite database a new one; on PostgreSQL
    none (every process must share one, so it has to be configured). The application finds
    it once, when it starts, and keeps it in its services."""
    configured = config.polls.ballot_secret
    if configured:
        return configured.encode()
    if not db.is_sqlite:
        return None
    name = db.url.database or ""
    if name in ("", ":memory:") or name.startswith("file::memory:"):
        return secrets.token_bytes(32)
    return _secret_file(Path(name + ".ballot-secret"))

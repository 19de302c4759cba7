"""The ballot secret: the key of every keyed hash that stands for a person without naming
them (anonymous ballots, the hourly count of layoff reports).

It is ``[polls] ballot_secret`` when configured; else, on a SQLite file, a secret made once in
a file beside the database (mode 0600); on an in-memory SQLite database one for the process;
on PostgreSQL none, because every process must share one, so it has to be configured. The
secret is never in the database, so the database alone cannot link a hash to a person.
"""

from __future__ import annotations

import os
import secrets
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.services import Services

#: the secret each application (by its services) found or made, dropped with the application
_found: dict[int, bytes | None] = {}


def _secret_file(path: Path) -> bytes:
    """The secret kept in ``path``, made there once (mode 0600) if there is none yet."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip().encode()
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(32) + "\n")
    return path.read_text(encoding="ascii").strip().encode()


def ballot_secret(services: Services) -> bytes | None:
    """The key of keyed hashes of people: ``[polls] ballot_secret``; else, on a SQLite file, one
    made once beside the database; on an in-memory SQLite database one for the process; on
    PostgreSQL none (every process must share one, so it has to be configured)."""
    configured = services.config.polls.ballot_secret
    if configured:
        return configured.encode()
    if id(services) not in _found:
        db = services.db
        found: bytes | None = None
        if db.is_sqlite:
            name = db.url.database or ""
            if name in ("", ":memory:") or name.startswith("file::memory:"):
                found = secrets.token_bytes(32)
            else:
                found = _secret_file(Path(name + ".ballot-secret"))
        _found[id(services)] = found
        weakref.finalize(services, _found.pop, id(services), None)
    return _found[id(services)]

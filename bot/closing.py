"""When something that closes at a time (a poll, an alert) has closed: the one rule every
feature with a closing time reads, so a closing that has not run yet is seen the same way."""

from __future__ import annotations

from datetime import datetime


def closed_since(
    state: str, closed_at: datetime | None, closes_at: datetime | None, now: datetime
) -> datetime | None:
    """When it closed: the time it was closed (in state ``closed``), else its closing time
    once that has passed (the closing may not have run yet); None while it is open."""
    if state == "closed":
        return closed_at or closes_at
    if closes_at is not None and closes_at <= now:
        return closes_at
    return None

"""The one source of "now": a system clock, and one that the console and tests can move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """Return the current time in UTC."""
        ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        """Return the current time in UTC."""
        return datetime.now(UTC)


class MovableClock:
    """Wall-clock time plus an offset that only grows: `!wait 3h` moves it forward.

    With ``frozen`` set, time stands still except when moved, which keeps tests exact.
    """

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        base = start or datetime.now(UTC)
        if base.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self._frozen = frozen
        self._fixed = base.astimezone(UTC)
        self._offset = base.astimezone(UTC) - datetime.now(UTC)

    def now(self) -> datetime:
        """Return the current time in UTC, as moved."""
        if self._frozen:
            return self._fixed
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta`` (never backward)."""
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        self._fixed += delta
        self._offset += delta

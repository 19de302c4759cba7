"""Durations as people write them: ``90s``, ``30m``, ``2h``, ``1h30m``, ``7d``, ``2 hours``."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "week": 604800,
    "weeks": 604800,
}
_PART = re.compile(r"\s*(\d{1,6})\s*([a-z]+)\s*,?", re.IGNORECASE)


def parse_duration(text: str) -> timedelta:
    """Parse a duration; raise ValueError with the accepted forms when it is not one."""
    pos, total = 0, 0
    cleaned = text.strip().lower()
    if cleaned.startswith("in "):
        cleaned = cleaned[3:]
    cleaned = cleaned.replace(" and ", " ")
    while pos < len(cleaned):
        match = _PART.match(cleaned, pos)
        if not match or match.group(2) not in _UNITS:
            raise ValueError("a duration such as 90s, 30m, 2h, 1h30m or 7d")
        total += int(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not cleaned:
        raise ValueError("a duration such as 90s, 30m, 2h, 1h30m or 7d")
    return timedelta(seconds=total)


def format_duration(delta: timedelta) -> str:
    """A short human form: ``1h30m``, ``2d``, ``45s``."""
    seconds = int(delta.total_seconds())
    if seconds == 0:
        return "0s"
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            out.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(out)

"""Times as people read them: a moment shown on the wall clock of a person's or an
organization's timezone, the same way in every feature."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def local_time(moment: datetime, tz: ZoneInfo, *, now: datetime) -> str:
    """A time as a person reads it in their zone: ``Tue Nov 3, 9:00 AM CST``, with its year,
    ``Fri Jan 15, 2027, 9:00 AM CST``, when it falls outside the year it is ``now`` there."""
    local = moment.astimezone(tz)
    hour = local.strftime("%I").lstrip("0")
    year = f", {local.year}" if local.year != now.astimezone(tz).year else ""
    return f"{local:%a %b} {local.day}{year}, {hour}:{local:%M %p %Z}"

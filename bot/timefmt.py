"""Times as people read them: a moment shown on the wall clock of a person's or an
organization's timezone, the same way in every feature."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def local_time(moment: datetime, tz: ZoneInfo) -> str:
    """A time as a person reads it in their zone: ``Tue Nov 3, 9:00 AM CST``."""
    local = moment.astimezone(tz)
    hour = local.strftime("%I").lstrip("0")
    return f"{local:%a %b} {local.day}, {hour}:{local:%M %p %Z}"

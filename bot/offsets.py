"""Reminder offsets: how long before something a person is reminded ("7d, 1d, 2h"), typed
as an option, placed on the wall clock of a timezone, and said in words."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.options import Text
from bot.timeparse import format_duration, parse_duration

if TYPE_CHECKING:
    from bot.unit import UnitOfWork


@dataclass(frozen=True)
class Offsets(Text):
    """Times before something to be reminded, e.g. ``"7d, 1d, 2h"``; ``none`` for none.
    With ``default_word`` set, that word means "the event's own" (the value None)."""

    max_length: int = 100
    default_word: str = ""

    def convert(self, text: str) -> tuple[str, ...] | None:
        """The offsets, longest first, each written short ("1h30m"); None for the default."""
        folded = text.strip().lower()
        if self.default_word and folded == self.default_word:
            return None
        if folded == "none":
            return ()
        found: dict[timedelta, str] = {}
        for part in (p.strip() for p in re.split(r"[,;]", text)):
            if not part:
                continue
            try:
                delta = parse_duration(part)
            except ValueError:
                raise self.error(f"{part!r} is not a duration; write e.g. 7d, 1d, 2h") from None
            if not timedelta(minutes=1) <= delta <= timedelta(days=365):
                raise self.error(f"{part!r} must be from 1 minute to 365 days")
            found[delta] = format_duration(delta)
        if not found:
            raise self.error("needs at least one duration, e.g. 1d, 2h (or none)")
        if len(found) > 10:
            raise self.error("takes at most 10 durations")
        return tuple(found[d] for d in sorted(found, reverse=True))


def reminder_time(moment: datetime, offset: str, tz: ZoneInfo) -> datetime:
    """When to remind ``offset`` before ``moment``: whole days on the wall clock of ``tz``
    (a 9:00 event's "1d" reminder is at 9:00 the day before, across a daylight-saving change
    too), then hours and minutes as elapsed time."""
    delta = parse_duration(offset)
    local = moment.astimezone(tz)
    day = local.date() - timedelta(days=delta.days)
    wall = datetime.combine(day, local.time().replace(fold=0), tzinfo=tz)
    return wall.astimezone(UTC) - timedelta(seconds=delta.seconds)


async def schedule_reminders(
    ctx: UnitOfWork,
    kind: str,
    key: str,
    moment: datetime,
    offsets: Sequence[str],
    tz: ZoneInfo,
    **fields: Any,
) -> list[datetime]:
    """Schedule a due item of ``kind`` each offset before ``moment`` that is still ahead,
    keyed ``{key}:remind:{offset}`` with its offset in the payload and ``fields`` (ref_id,
    org_id, member_id) on the row; the times scheduled, in order."""
    scheduled = []
    for offset in offsets:
        at = reminder_time(moment, offset, tz)
        if at > ctx.now:
            await ctx.schedule(
                kind=kind,
                due_at=at,
                key=f"{key}:remind:{offset}",
                payload={"offset": offset},
                **fields,
            )
            scheduled.append(at)
    return scheduled


def spoken(offset: str) -> str:
    """An offset as words: "7d" is "7 days", "1h30m" is "1 hour 30 minutes"."""
    units = {"d": "day", "h": "hour", "m": "minute", "s": "second"}
    parts = re.findall(r"(\d+)([dhms])", offset)
    return " ".join(f"{n} {units[u]}{'' if n == '1' else 's'}" for n, u in parts) or offset

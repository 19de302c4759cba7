"""One feature's section of the weekly digest: a heading and a line per open subject."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.scheduler import DueContext
from bot.timefmt import TimedText


class _Subject(Protocol):
    @property
    def id(self) -> int: ...


S = TypeVar("S", bound=_Subject)
C = TypeVar("C")


async def digest_section(
    ctx: DueContext,
    org_id: int,
    heading: str,
    subjects: Sequence[S],
    counts_of: Callable[[AsyncConnection, list[int]], Awaitable[dict[int, C]]],
    line: Callable[[S, C, ZoneInfo, datetime], str],
) -> list[str]:
    """``heading`` and one ``line`` per subject (with its counts, in the organization's time
    zone, and the time the digest is written) as one section; none when there are no
    subjects."""
    if not subjects:
        return []
    counts = await counts_of(ctx.conn, [s.id for s in subjects])
    tz = ZoneInfo(ctx.services.orgs.by_id(org_id)[0].timezone)
    lines = [heading, *(line(s, counts[s.id], tz, ctx.now) for s in subjects)]
    return [TimedText.join("\n", lines)]

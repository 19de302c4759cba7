"""Times on Slack as each reader sees them: a reply's moments and spans written in mrkdwn's
date formatting, which Slack shows on the reader's own clock, and mrkdwn cut to a limit
without leaving a date (or a mention) half written.

Slack's "Formatting text for app surfaces", "Date formatting"
(https://api.slack.com/reference/surfaces/formatting#date-formatting) writes a date
``<!date^SECONDS^TOKENS^optional_link|fallback_text>``: seconds since the epoch, a format of
tokens in braces among text (``{date_short_pretty}`` is "Jan 1, 2014", or "today",
"yesterday" or "tomorrow" where that applies; ``{time}`` is "6:39 AM" or "06:39" as the
reader's settings say), and the text shown where the date cannot be (older clients,
notifications). Slack converts the time to the reader's timezone. It is parsed in mrkdwn
text objects only: headers, buttons, options, modal titles and the notification text keep
plain text.

A moment reads ``<!date^…^{date_short_pretty} {time}|Tue Nov 3, 10:00 AM EST>``, its
fallback the moment's text on the reader's clock. A span is its start so written, " – ",
and its end: ``{time}`` alone when it ends on the day it starts in its own zone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.timefmt import Moment, Span, local_time

#: the format of a moment: the day ("today", "tomorrow" or "Dec 7, 2026") and the time
DAY_AND_TIME = "{date_short_pretty} {time}"
#: the format of the end of a span within its day
TIME_ONLY = "{time}"

#: the end of a cut mrkdwn text that opens markup without closing it (in escaped text every
#: ``<`` opens markup)
_OPEN_TAG = re.compile(r"<[^>]*$")


def date(at: datetime, tokens: str, fallback: str, escape: Callable[[str], str]) -> str:
    """``<!date^SECONDS^TOKENS|fallback>``, the fallback made safe by ``escape``."""
    return f"<!date^{int(at.timestamp())}^{tokens}|{escape(fallback)}>"


def _reader(moment: Moment) -> ZoneInfo:
    """The zone the reader reads times in: their own where known, else the moment's."""
    return moment.viewer or moment.shown_in


def time_markup(escape: Callable[[str], str]) -> Callable[[Moment | Span], str]:
    """How a moment or a span is written in mrkdwn (see the module's docstring), its
    fallbacks made safe by ``escape``."""

    def markup(part: Moment | Span) -> str:
        first = part if isinstance(part, Moment) else part.start
        tz, now = _reader(first), first.now or first.instant
        start = date(first.instant, DAY_AND_TIME, local_time(first.instant, tz, now=now), escape)
        if isinstance(part, Moment):
            return start
        own, end = part.start.shown_in, part.end
        if first.instant.astimezone(own).date() == end.astimezone(own).date():
            local = end.astimezone(tz)
            clock = local.strftime("%I").lstrip("0") + f":{local:%M %p %Z}"
            return f"{start} – {date(end, TIME_ONLY, clock, escape)}"
        return f"{start} – {date(end, DAY_AND_TIME, local_time(end, tz, now=now), escape)}"

    return markup


def fit(mrkdwn: str, limit: int) -> str:
    """Escaped mrkdwn cut to at most ``limit`` characters with an ellipsis, as
    ``bot.reply.truncate`` cuts it, but never inside a date or a mention: one the cut would
    leave half written is left out whole (Slack would show the half as typed)."""
    if len(mrkdwn) <= limit:
        return mrkdwn
    return _OPEN_TAG.sub("", mrkdwn[: max(limit - 1, 0)]).rstrip() + "…"


def split_point(mrkdwn: str, limit: int) -> int:
    """Where to cut a line of escaped mrkdwn longer than ``limit``: at the limit, or before
    the markup the limit falls inside."""
    head = mrkdwn[:limit]
    found = _OPEN_TAG.search(head)
    return found.start() if found and found.start() > 0 else limit

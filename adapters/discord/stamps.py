"""Times on Discord as each reader sees them: a reply's moments and spans written as
Discord timestamps, which Discord shows on the reader's own clock and in their language,
and text cut to a limit without leaving a timestamp (or a mention) half written.

Discord's "Message Formatting" reference (https://discord.com/developers/docs/reference
#message-formatting, "Timestamp Styles": #message-formatting-timestamp-styles) writes a
timestamp ``<t:SECONDS:STYLE>``: seconds since the epoch, and one style letter of ``t``
(16:20), ``T`` (16:20:30), ``d`` (20/04/2021), ``D`` (20 April 2021), ``f`` (20 April 2021
16:20, the default), ``F`` (Tuesday, 20 April 2021 16:20) and ``R`` (2 months ago); the
timestamp is displayed "in the user's timezone and locale". Discord renders it in message
content, embed descriptions and embed field values; titles, footers, button labels, menu
options and modals show it as typed, so those keep the plain text of the event's zone.

A moment reads ``<t:…:F> (<t:…:R>)``: the weekday, date and time, then how far away it is
("in 3 days"). A span reads ``<t:start:F> – <t:end:t> (<t:start:R>)`` when it ends on the
day it starts in its own zone, else with the end's whole date (``<t:end:F>``). Where the
text itself says how far away the time is ("starts …, in 1 day", a reminder), the relative
timestamp is left out rather than said twice.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.timefmt import Moment, Span

#: the styles Discord documents
STYLES = frozenset("tTdDfFR")

#: a relative timestamp followed by the text's own "(in …)" or ", in …"
_SAID_TWICE = re.compile(r" \(<t:-?\d+:R>\)(?= \(in |, in )")
#: the end of a cut text that opens a timestamp or a mention without closing it
_OPEN_TAG = re.compile(r"<(?:t(?::-?\d*(?::\w?)?)?|#\d*|@[!&]?\d*)?$")


def stamp(at: datetime, style: str) -> str:
    """``<t:SECONDS:STYLE>`` for the instant ``at``."""
    assert style in STYLES, style
    return f"<t:{int(at.timestamp())}:{style}>"


def time_markup(part: Moment | Span) -> str:
    """A moment or a span as Discord timestamps (see the module's docstring)."""
    if isinstance(part, Moment):
        return f"{stamp(part.instant, 'F')} ({stamp(part.instant, 'R')})"
    tz = part.start.shown_in
    start, end = part.start.instant, part.end
    same_day = start.astimezone(tz).date() == end.astimezone(tz).date()
    last = stamp(end, "t" if same_day else "F")
    return f"{stamp(start, 'F')} – {last} ({stamp(start, 'R')})"


def once(marked: str) -> str:
    """Text with its timestamps, without a relative one where the text right after it
    already says how far away the time is."""
    return _SAID_TWICE.sub("", marked)


def fit(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters with an ellipsis, as
    ``bot.reply.truncate`` cuts it, but never inside a timestamp or a mention: one the cut
    would leave half written is left out whole (Discord would show the half as typed)."""
    if len(text) <= limit:
        return text
    cut = _OPEN_TAG.sub("", text[: max(limit - 1, 0)])
    return cut.rstrip() + "…"

"""Times and channels as people read them: a moment shown on the wall clock of a person's or
an organization's timezone, the same way in every feature, and a channel by its name.

A reply carries its times (``Moment``, ``Span``) and channels (``Channel``) as values inside
a ``TimedText``: the text reads as it always did, and an adapter renders each part itself
through ``render_text`` (times as text on every platform for now; a channel of the
adapter's own platform as its mention, which the platform shows by the channel's name)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


def local_time(moment: datetime, tz: ZoneInfo, *, now: datetime) -> str:
    """A time as a person reads it in their zone: ``Tue Nov 3, 9:00 AM CST``, with its year,
    ``Fri Jan 15, 2027, 9:00 AM CST``, when it falls outside the year it is ``now`` there."""
    local = moment.astimezone(tz)
    hour = local.strftime("%I").lstrip("0")
    year = f", {local.year}" if local.year != now.astimezone(tz).year else ""
    return f"{local:%a %b} {local.day}{year}, {hour}:{local:%M %p %Z}"


@dataclass(frozen=True)
class Moment:
    """An instant and the IANA zone to show it in (the viewer's own, when known)."""

    instant: datetime
    zone: str
    viewer_zone: str | None = None
    #: when the text was written: the year is shown when the moment falls outside its year
    now: datetime | None = None

    @property
    def shown_in(self) -> ZoneInfo:
        """The zone the moment is read in."""
        return ZoneInfo(self.viewer_zone or self.zone)

    def text(self) -> str:
        """The moment as plain text: ``Tue Nov 3, 9:00 AM CST``."""
        return local_time(self.instant, self.shown_in, now=self.now or self.instant)


@dataclass(frozen=True)
class Span:
    """From one moment to another, read in the zone of ``start``."""

    start: Moment
    end: datetime

    def text(self) -> str:
        """Within a day ("Mon Apr 12, 9:00 AM – 5:00 PM CDT"), or with both days (and both
        zone names, across a daylight-saving change)."""
        tz = self.start.shown_in
        start, end = self.start.instant.astimezone(tz), self.end.astimezone(tz)
        if start.date() == end.date() and start.tzname() == end.tzname():
            hour = end.strftime("%I").lstrip("0")
            head = self.start.text().rsplit(" ", 1)[0]
            return f"{head} – {hour}:{end:%M %p %Z}"
        now = self.start.now or self.start.instant
        return f"{local_time(start, tz, now=now)} – {local_time(end, tz, now=now)}"


@dataclass(frozen=True)
class Channel:
    """A channel of a platform, known to the bot by its id and to people by its name (the
    id when the configuration gives no name)."""

    platform: str
    id: str
    name: str = ""

    @property
    def shown(self) -> str:
        """The channel's name, or its id when no name is known."""
        return self.name or self.id

    def text(self) -> str:
        """The channel as plain text: ``#alerts`` on the console, ``slack #alerts`` on
        another platform."""
        if self.platform == "console":
            return f"#{self.shown}"
        return f"{self.platform} #{self.shown}"


Part = str | Moment | Span | Channel

#: how an adapter shows a channel: its markup, or None to show it as plain text
ChannelMarkup = Callable[[Channel], str | None]


def render_part(
    part: Part, *, channel: ChannelMarkup | None = None, escape: Callable[[str], str] = str
) -> str:
    """One part of a text as a platform shows it: a channel through ``channel`` (as text
    when that gives None), anything else as text made safe by ``escape``."""
    if isinstance(part, Channel) and channel is not None:
        markup = channel(part)
        if markup is not None:
            return markup
    return escape(part if isinstance(part, str) else part.text())


class TimedText(str):
    """Text with times and channels in it, kept as values: reads as its plain rendering
    everywhere, and ``parts`` holds the words, the times and the channels for an adapter to
    render."""

    parts: tuple[Part, ...]

    def __new__(cls, *parts: Part) -> TimedText:
        # a part that is itself a TimedText gives its own parts, so its values are kept
        flat = [q for p in parts for q in (p.parts if isinstance(p, TimedText) else (p,))]
        text = super().__new__(cls, "".join(render_part(p) for p in flat))
        text.parts = tuple(flat)
        return text

    @classmethod
    def join(cls, separator: str, pieces: list[str]) -> TimedText:
        """``separator.join(pieces)``, keeping the times and channels of the pieces that carry
        them."""
        parts: list[Part] = []
        for i, piece in enumerate(pieces):
            if i:
                parts.append(separator)
            parts.extend(piece.parts if isinstance(piece, TimedText) else (piece,))
        return cls(*parts)

    def to_data(self) -> list[Any]:
        """The parts as JSON data (for the outbox)."""
        out: list[Any] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, Moment):
                out.append({"moment": _moment_data(part)})
            elif isinstance(part, Channel):
                out.append({"channel": [part.platform, part.id, part.name]})
            else:
                out.append({"span": [_moment_data(part.start), part.end.isoformat()]})
        return out

    @classmethod
    def from_data(cls, data: list[Any]) -> TimedText:
        """The text stored by ``to_data``."""
        parts: list[Part] = []
        for item in data:
            if isinstance(item, str):
                parts.append(item)
            elif "moment" in item:
                parts.append(_moment_of(item["moment"]))
            elif "channel" in item:
                parts.append(Channel(*item["channel"]))
            else:
                start, end = item["span"]
                parts.append(Span(_moment_of(start), datetime.fromisoformat(end)))
        return cls(*parts)


def _moment_data(moment: Moment) -> list[str | None]:
    now = moment.now.isoformat() if moment.now else None
    return [moment.instant.isoformat(), moment.zone, moment.viewer_zone, now]


def _moment_of(data: list[str | None]) -> Moment:
    instant, zone, viewer, *rest = data  # rows queued before the year rule carry no "now"
    assert instant is not None and zone is not None
    now = datetime.fromisoformat(rest[0]) if rest and rest[0] else None
    return Moment(datetime.fromisoformat(instant), zone, viewer, now)


def render_text(
    text: str, *, channel: ChannelMarkup | None = None, escape: Callable[[str], str] = str
) -> str:
    """A reply's text as an adapter shows it: each time and channel in it rendered for the
    platform (a channel through ``channel``, see ``render_part``), the rest made safe by
    ``escape`` (Slack's mrkdwn escaping, say)."""
    if isinstance(text, TimedText):
        return "".join(render_part(p, channel=channel, escape=escape) for p in text.parts)
    return escape(text)

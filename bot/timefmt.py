"""Times and channels as people read them: a moment shown on the wall clock of its own
timezone (an event's, an organization's) and, in what one person reads, on theirs too where
it differs, the same way in every feature; and a channel by its name.

A reply carries its times (``Moment``, ``Span``) and channels (``Channel``) as values inside
a ``TimedText``: the text reads as it always did, and an adapter renders each part itself
through ``render_text``: a time as the platform's own markup where it has one (``time``,
which Discord and Slack show on each reader's clock), else as text; a channel of the
adapter's own platform as its mention, which the platform shows by the channel's name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo


def local_time(moment: datetime, tz: ZoneInfo, *, now: datetime) -> str:
    """A time as a person reads it in their zone: ``Tue Nov 3, 9:00 AM CST``, with its year,
    ``Fri Jan 15, 2027, 9:00 AM CST``, when it falls outside the year it is ``now`` there."""
    local = moment.astimezone(tz)
    hour = local.strftime("%I").lstrip("0")
    year = f", {local.year}" if local.year != now.astimezone(tz).year else ""
    return f"{local:%a %b} {local.day}{year}, {hour}:{local:%M %p %Z}"


def _clock(local: datetime, *, meridiem: bool = True) -> str:
    """``9:00 AM`` (or ``9:00`` without its AM or PM)."""
    hour = local.strftime("%I").lstrip("0")
    return f"{hour}:{local:%M %p}" if meridiem else f"{hour}:{local:%M}"


def _reading(local: datetime) -> tuple[object, ...]:
    """What a wall clock shows: the day and the time."""
    return (local.date(), local.hour, local.minute)


@dataclass(frozen=True)
class Moment:
    """An instant, the IANA zone it is shown in (the event's or the organization's own) and,
    in what one person reads, that person's zone: their local time follows where it reads
    differently (``9:00 AM CST (10:00 AM your time)``)."""

    instant: datetime
    zone: str
    viewer_zone: str | None = None
    #: when the text was written: the year is shown when the moment falls outside its year
    now: datetime | None = None

    def __post_init__(self) -> None:
        # of when the text was written only its year (on the zone's clock) shows, so that is
        # all that is kept, as the middle of that year: the same text is the same value, and
        # a post that shows it is not taken as changed from one day to the next
        if self.now is not None:
            year = self.now.astimezone(self.shown_in).year
            object.__setattr__(self, "now", datetime(year, 7, 1, tzinfo=UTC))

    @property
    def shown_in(self) -> ZoneInfo:
        """The zone the moment is shown in first."""
        return ZoneInfo(self.zone)

    @property
    def viewer(self) -> ZoneInfo | None:
        """The reader's zone, when it is another one than ``zone``."""
        if self.viewer_zone is None or self.viewer_zone == self.zone:
            return None
        return ZoneInfo(self.viewer_zone)

    def text(self) -> str:
        """The moment as plain text: ``Tue Nov 3, 9:00 AM CST``, then the reader's time where
        it differs: ``(10:00 AM your time)``, with its day when that is another one
        (``(Tue 11:00 PM your time)``)."""
        shown = local_time(self.instant, self.shown_in, now=self.now or self.instant)
        return shown + self.yours()

    def yours(self) -> str:
        """`` (10:00 AM your time)``, or nothing when the reader's clock reads the same."""
        viewer = self.viewer
        if viewer is None:
            return ""
        here, there = self.instant.astimezone(self.shown_in), self.instant.astimezone(viewer)
        if _reading(here) == _reading(there):
            return ""
        day = f"{there:%a} " if there.date() != here.date() else ""
        return f" ({day}{_clock(there)} your time)"


@dataclass(frozen=True)
class Span:
    """From one moment to another, shown in the zone of ``start``, then once in the reader's
    zone where it reads differently."""

    start: Moment
    end: datetime

    def text(self) -> str:
        """Within a day ("Mon Apr 12, 9:00 AM – 5:00 PM CDT"), or with both days (and both
        zone names, across a daylight-saving change); then the reader's time, if it differs:
        ``(8:00 – 9:30 AM your time)``."""
        tz = self.start.shown_in
        start, end = self.start.instant.astimezone(tz), self.end.astimezone(tz)
        now = self.start.now or self.start.instant
        if start.date() == end.date() and start.tzname() == end.tzname():
            hour = end.strftime("%I").lstrip("0")
            head = local_time(start, tz, now=now).rsplit(" ", 1)[0]
            shown = f"{head} – {hour}:{end:%M %p %Z}"
        else:
            shown = f"{local_time(start, tz, now=now)} – {local_time(end, tz, now=now)}"
        return shown + self.yours()

    def yours(self) -> str:
        """`` (8:00 – 9:30 AM your time)``, with the days where the reader's differ from the
        span's own, or nothing when the reader's clock reads the same."""
        viewer = self.start.viewer
        if viewer is None:
            return ""
        tz = self.start.shown_in
        start, end = self.start.instant.astimezone(tz), self.end.astimezone(tz)
        mine, mine_end = self.start.instant.astimezone(viewer), self.end.astimezone(viewer)
        if (_reading(start), _reading(end)) == (_reading(mine), _reading(mine_end)):
            return ""
        if mine.date() != mine_end.date():
            first, last = f"{mine:%a} {_clock(mine)}", f"{mine_end:%a} {_clock(mine_end)}"
        else:
            day = f"{mine:%a} " if mine.date() != start.date() else ""
            same_half = f"{mine:%p}" == f"{mine_end:%p}"
            first, last = f"{day}{_clock(mine, meridiem=not same_half)}", _clock(mine_end)
        return f" ({first} – {last} your time)"


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
#: how an adapter shows a time: its markup (already safe for the platform), or None to show
#: it as plain text
TimeMarkup = Callable[[Moment | Span], str | None]


def render_part(
    part: Part,
    *,
    channel: ChannelMarkup | None = None,
    time: TimeMarkup | None = None,
    escape: Callable[[str], str] = str,
) -> str:
    """One part of a text as a platform shows it: a channel through ``channel`` and a time
    through ``time`` (as text when either gives None or is not given), anything else as
    text made safe by ``escape``."""
    markup: str | None = None
    if isinstance(part, Channel) and channel is not None:
        markup = channel(part)
    elif isinstance(part, Moment | Span) and time is not None:
        markup = time(part)
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
    text: str,
    *,
    channel: ChannelMarkup | None = None,
    time: TimeMarkup | None = None,
    escape: Callable[[str], str] = str,
) -> str:
    """A reply's text as an adapter shows it: each time and channel in it rendered for the
    platform (a channel through ``channel``, a time through ``time``, see ``render_part``),
    the rest made safe by ``escape`` (Slack's mrkdwn escaping, say)."""
    if isinstance(text, TimedText):
        return "".join(
            render_part(p, channel=channel, time=time, escape=escape) for p in text.parts
        )
    return escape(text)

"""The options of /event: the event's number (with suggestions), people by their account,
and the options of creating an event and of answering one; the default reminder times."""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.offsets import Offsets
from bot.options import Choice, District, Integer, Ref, Text, Timezone, Url, UsState, YesNo
from bot.repeats import FORMS, parse_repeat
from bot.timefmt import local_time
from storage import events as store

KINDS = ("legislative-day", "meeting", "webinar", "rally", "training")
STATUSES = ("going", "maybe", "no")
DEFAULT_OFFSETS = ("7d", "1d", "2h")
MEETING_OFFSETS = ("1d", "1h")
MILESTONE_OFFSETS = ("1d",)
#: the most occurrences a repeating event may be given with ``count:``
MAX_COUNT = 200


@dataclass(frozen=True)
class Accounts(Text):
    """People by their account where the command is typed: ``ana``, ``@ana``, ``<@U123>``,
    comma-separated."""

    def convert(self, text: str) -> tuple[str, ...]:
        """The account ids named, without mention markup, each once."""
        names = []
        for part in (p.strip() for p in text.split(",")):
            # a Slack mention is <@U123|name>, a Discord one <@123> or <@!123>
            cleaned = re.sub(r"^<@!?|>$", "", part).partition("|")[0].lstrip("@").strip()
            if cleaned and cleaned not in names:
                names.append(cleaned)
        if not names:
            raise self.error("must name at least one person, e.g. ana or @ana")
        return tuple(names)


@dataclass(frozen=True)
class RepeatRule(Text):
    """A repeat as people type it ("every 2nd tuesday"): checked here, kept as typed."""

    max_length: int = 100

    def convert(self, text: str) -> str:
        """The typed repeat, once ``bot.repeats`` reads it; a refusal names this option."""
        parse_repeat(text, self.name)
        return " ".join(text.split())


async def suggest_events(ctx: Context, typed: str) -> list[tuple[str, str]]:
    """The organization's events whose number or title holds what was typed: those to come,
    soonest first, then those that are over, the latest first."""
    conn = ctx.conn
    found = await store.upcoming_events(conn, ctx.org.id, ctx.now)
    found += await store.past_events(conn, ctx.org.id, ctx.now)
    tz = ZoneInfo(ctx.org.timezone)
    folded = typed.strip().lower()
    return [
        (f"{e.id}: {e.title} ({local_time(e.starts_at, tz, now=ctx.now)})", str(e.id))
        for e in found
        if folded in str(e.id) or folded in e.title.lower()
    ][:25]


ID = Ref("id", required=True, help="the event's number, e.g. 3", suggest=suggest_events)
WHEN_HELP = 'e.g. "2027-04-12 09:00" or "4/12 9am", in the event\'s timezone'
CREATE_OPTIONS = (
    Text("title", required=True, max_length=200, help="a short title"),
    Choice(
        "kind",
        required=True,
        values=KINDS,
        aliases=(("legday", "legislative-day"),),
        help="what kind of event",
    ),
    Text("start", required=True, max_length=100, help=f"when it starts, {WHEN_HELP}"),
    Text("end", max_length=100, help='when it ends (a day and time, or "17:00" that day)'),
    Timezone(
        "timezone",
        help="the event's IANA timezone, city, US state or CST (default: the organization's)",
    ),
    Text("description", long=True, max_length=3000, help="what it is about"),
    Text("place", max_length=300, help="where it is"),
    Url("link", help="a link to join or read more (http or https)"),
    Integer("capacity", minimum=1, maximum=100_000, help="how many can go (no limit if left out)"),
    Text("rsvp_by", max_length=100, help="the RSVP deadline"),
    Offsets("reminders", help='reminders before the start, default "7d, 1d, 2h"; none for none'),
)
REPEAT_OPTIONS = (
    RepeatRule("repeat", help=f"make it a repeating event: {FORMS}"),
    Text(
        "until",
        max_length=100,
        help='with repeat: the last day it may fall on, e.g. "2027-06-30" (within two years)',
    ),
    Integer(
        "count",
        minimum=2,
        maximum=MAX_COUNT,
        help=f"with repeat: how many times in all (2 to {MAX_COUNT})",
    ),
)
OCCURRENCE_HELP = (
    'one date of a repeating event, as its series first gave it: "2026-12-08", "12/8" or "Dec 8"'
)
OCCURRENCE = Text("occurrence", max_length=40, help=OCCURRENCE_HELP)
FROM = Text("from", max_length=40, help="a date of a repeating event: that one and all later ones")
START_MESSAGE = YesNo(
    "start_message", help="a message in the event's channels when it starts (default yes)"
)
DETAIL_OPTIONS = (
    UsState("state", help="your state delegation, e.g. IL"),
    District("district", help="your congressional district"),
    Choice(
        "attend",
        values=("in-person", "virtual"),
        aliases=(("in person", "in-person"), ("online", "virtual")),
        help="in person or virtual",
    ),
    YesNo("first_time", help="is this your first time?"),
    Text(
        "accessibility",
        long=True,
        max_length=1000,
        help="accessibility needs (only organizers see them)",
    ),
    YesNo("lead_meeting", help="willing to lead a meeting?"),
)


DETAIL_OPTION_NAMES = tuple(opt.name for opt in DETAIL_OPTIONS)

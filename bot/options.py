"""Typed command options: each parses the text a person typed and says plainly what is wrong.

Adapters read the same declarations to build their platform's surface (Discord option types
and choices, Slack and console help), so an option is declared once, here or in a feature.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from bot.errors import ValidationError
from bot.suggest import accept_near, nearest
from bot.wording import counted
from bot.zones import resolve_zone

if TYPE_CHECKING:
    from bot.context import Context

#: offers values for an option as the person types: (label, value) pairs, best first
Suggest = Callable[["Context", str], Awaitable[list[tuple[str, str]]]]

YES = frozenset({"yes", "y", "true", "1", "on"})
NO = frozenset({"no", "n", "false", "0", "off"})


class _Cleared:
    """What a clearable option's "none" (or empty value) parses to: remove the value."""

    def __repr__(self) -> str:
        return "CLEARED"


CLEARED: Any = _Cleared()


def normalise_choice(text: str) -> str:
    """Fold case and treat '-', '_' and spaces alike: 'Sign on' == 'sign_on' == 'sign-on'."""
    return re.sub(r"[\s_\-]+", "-", text.strip().lower()).strip("-")


@dataclass(frozen=True)
class Option:
    """One named option of a command. Subclasses say how text becomes a value."""

    name: str
    help: str = ""
    required: bool = False
    #: the platform type an adapter should use: string, integer, boolean or number
    kind: str = "string"
    #: longest accepted text (Discord and Slack forms use it too)
    max_length: int = 200
    #: a long free-text field (forms show a paragraph box)
    long: bool = False
    #: values to offer while the person types (Discord autocomplete), e.g. open alerts' ids
    suggest: Suggest | None = field(default=None, compare=False, repr=False)
    #: "none" or an empty value clears the field: parse gives CLEARED
    clearable: bool = False

    @property
    def choices(self) -> Sequence[str]:
        """Fixed values to offer, if any."""
        return ()

    def parse(self, raw: str) -> Any:
        """Turn typed text into a value, or raise ValidationError naming this option."""
        text = raw.strip()
        if self.clearable and (not text or text.casefold() == "none"):
            return CLEARED
        if not text:
            raise self.error("must not be empty")
        if "\x00" in text:
            raise self.error("must not contain the NUL character")
        if len(text) > self.max_length:
            raise self.error(f"must be at most {self.max_length:,} characters (got {len(text):,})")
        return self.convert(text)

    def convert(self, text: str) -> Any:
        """Convert non-empty, length-checked text; the default keeps it as is."""
        return text

    def error(self, rule: str) -> ValidationError:
        """A ValidationError for this option."""
        return ValidationError(self.name, rule)


@dataclass(frozen=True)
class Text(Option):
    """Free text, trimmed, up to ``max_length`` characters."""


@dataclass(frozen=True)
class Integer(Option):
    """A whole number between ``minimum`` and ``maximum``; 1,000 and 1000 are both fine."""

    kind: str = "integer"
    minimum: int = 0
    maximum: int = 2**31 - 1

    def convert(self, text: str) -> int:
        cleaned = text.replace(",", "").replace("_", "")
        if not re.fullmatch(r"[+-]?\d{1,12}", cleaned):
            raise self.error(f"must be a whole number from {self.minimum:,} to {self.maximum:,}")
        value = int(cleaned)
        if not self.minimum <= value <= self.maximum:
            raise self.error(f"must be from {self.minimum:,} to {self.maximum:,} (got {value:,})")
        return value


@dataclass(frozen=True)
class YesNo(Option):
    """yes/no/true/false/y/n/1/0, any case."""

    kind: str = "boolean"

    @property
    def choices(self) -> Sequence[str]:
        return ("yes", "no")

    def convert(self, text: str) -> bool:
        folded = text.lower()
        if folded in YES:
            return True
        if folded in NO:
            return False
        raise self.error("must be yes or no")


@dataclass(frozen=True)
class Choice(Option):
    """One of a fixed set of values, matched case-insensitively with '-', '_' and ' ' alike."""

    values: tuple[str, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()
    #: take a plural ("pages") for its value and a near-spelling when it is close to one
    #: value only (words people type about themselves, not a choice that acts)
    forgiving: bool = False

    @property
    def choices(self) -> Sequence[str]:
        return self.values

    def convert(self, text: str) -> str:
        folded = normalise_choice(text)
        found = self._exact(folded)
        if found is None and self.forgiving:
            if folded.endswith("s"):
                found = self._exact(folded[:-1])
            if found is None:
                near = accept_near(folded, self._spellings())
                found = self._exact(near) if near is not None else None
        return found if found is not None else self._refuse(folded)

    def _exact(self, folded: str) -> str | None:
        for value in self.values:
            if normalise_choice(value) == folded:
                return value
        for alias, value in self.aliases:
            if normalise_choice(alias) == folded:
                return value
        return None

    def _spellings(self) -> list[str]:
        return [normalise_choice(word) for word in (*self.values, *(a for a, _ in self.aliases))]

    def _refuse(self, folded: str = "") -> str:
        close = nearest(folded, self._spellings()) if folded else []
        hint = f" (did you mean {self._exact(close[0])}?)" if close else ""
        raise self.error("must be one of " + ", ".join(self.values) + hint)


#: the ``notify:`` values that ping everyone in a channel (the rest name a role)
NOTIFY_ALL = ("here", "channel", "everyone")
_DISCORD_ROLE_MENTION = re.compile(r"<@&(\d{17,20})>")
_SLACK_GROUP_MENTION = re.compile(r"<!subteam\^(S[A-Z0-9]{2,})(?:\|[^>]*)?>")


@dataclass(frozen=True)
class Notify(Option):
    """Whom a channel post pings: ``here``, ``channel`` or ``everyone`` (with or without
    ``@``), or a role: a Discord role id or exact name, or a Slack user group id. A pasted
    role mention (``<@&id>``, ``<!subteam^ID>``) is taken as its id."""

    max_length: int = 100

    def convert(self, text: str) -> str:
        folded = normalise_choice(text.removeprefix("@"))
        if folded in NOTIFY_ALL:
            return folded
        pasted = _DISCORD_ROLE_MENTION.fullmatch(text) or _SLACK_GROUP_MENTION.fullmatch(text)
        if pasted:
            return pasted.group(1)
        if any(c in text for c in "\n\r<>"):
            raise self.error(
                "must be here, channel, everyone, or a role: a Discord role id or name, or "
                "a Slack user group id (one line, without < or >)"
            )
        return text


#: the organizer's deliberate ping of what a command announces, the same on every surface
NOTIFY = Notify(
    "notify",
    help="ping here, channel, everyone, or a role (Discord role id or name, Slack user group "
    "id); organizers only",
)


@dataclass(frozen=True)
class Ref(Option):
    """A row id as shown by the bot: ``42``, or with its prefix, ``L-42``."""

    kind: str = "integer"
    prefix: str = ""

    def convert(self, text: str) -> int:
        pattern = (
            r"(?:" + re.escape(self.prefix) + r"-?)?(\d{1,12})" if self.prefix else r"#?(\d{1,12})"
        )
        match = re.fullmatch(pattern, text, flags=re.IGNORECASE)
        if not match or int(match.group(1)) == 0:
            shown = f"{self.prefix}-42 or 42" if self.prefix else "42"
            raise self.error(f"must be an id such as {shown}")
        return int(match.group(1))


US_STATES: dict[str, str] = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "DC": "District of Columbia",
    "PR": "Puerto Rico",
    "GU": "Guam",
    "VI": "U.S. Virgin Islands",
    "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}
_STATE_BY_NAME = {normalise_choice(name): code for code, name in US_STATES.items()}


@dataclass(frozen=True)
class UsState(Option):
    """A US state, district or territory: two-letter code or full name, stored as the code."""

    max_length: int = 40

    def convert(self, text: str) -> str:
        code = text.upper()
        if code in US_STATES:
            return code
        by_name = _STATE_BY_NAME.get(normalise_choice(text))
        if by_name:
            return by_name
        raise self.error("must be a US state or territory, as a two-letter code such as IL")


@cache
@dataclass(frozen=True)
class District(Text):
    """A congressional district: a number from 1 to 53, or AL for at-large."""

    max_length: int = 8

    def convert(self, text: str) -> str:
        cleaned = re.sub(r"^[A-Za-z]{2}-", "", text.strip()).upper()
        if cleaned in ("AL", "AT-LARGE", "ATLARGE", "0"):
            return "AL"
        if cleaned.isdigit() and 1 <= int(cleaned) <= 53:
            return str(int(cleaned))
        raise self.error("must be a district number from 1 to 53, or AL for at-large")


def _timezones() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


async def suggest_timezones(_ctx: Context, typed: str) -> list[tuple[str, str]]:
    """The zone what was typed names (a city, state or abbreviation), then IANA timezone
    names containing it, the shortest (likeliest) first."""
    folded = typed.strip().lower().replace(" ", "_")
    found = [name for key, name in _timezones().items() if folded in key]
    found.sort(key=lambda name: (not name.lower().startswith(folded), len(name), name))
    with suppress(ValidationError):
        named = resolve_zone(typed, "timezone").key
        found = [named, *(name for name in found if name != named)]
    return [(name, name) for name in found[:25]]


@dataclass(frozen=True)
class Timezone(Option):
    """A timezone as people name it (see bot/zones.py), stored as its IANA name: an IANA name
    in any case, a city (Chicago), a US state (Illinois) or an abbreviation (CST)."""

    max_length: int = 64
    suggest: Suggest | None = field(default=suggest_timezones, compare=False, repr=False)

    def convert(self, text: str) -> str:
        return resolve_zone(text, self.name).key


@dataclass(frozen=True)
class Url(Option):
    """An http or https address with a host."""

    max_length: int = 2000

    def convert(self, text: str) -> str:
        try:
            parsed = urlparse(text)
        except ValueError:  # e.g. "http://[": not an address at all
            raise self.error("must be an http:// or https:// address") from None
        if parsed.scheme.lower() not in ("http", "https") or not parsed.netloc:
            raise self.error("must be an http:// or https:// address")
        return text


@dataclass(frozen=True)
class TextList(Option):
    """Comma-separated short items, e.g. ``topics:"pay equity, layoffs"``; ``none`` clears."""

    item_max: int = 40
    max_items: int = 20
    allowed: tuple[str, ...] = field(default=())
    #: with ``allowed``: take plurals and near-spellings as :class:`Choice` ``forgiving`` does
    forgiving: bool = False

    def convert(self, text: str) -> tuple[str, ...]:
        if text.lower() == "none":
            return ()
        items = [part.strip() for part in re.split(r"[,|]", text) if part.strip()]
        if len(items) > self.max_items:
            raise self.error(f"takes at most {counted(self.max_items, 'item')} (got {len(items)})")
        out: list[str] = []
        for item in items:
            if len(item) > self.item_max:
                raise self.error(f"each item must be at most {self.item_max} characters")
            if self.allowed:
                item = Choice(self.name, values=self.allowed, forgiving=self.forgiving).convert(
                    item
                )
            if item not in out:
                out.append(item)
        return tuple(out)

"""The options of /alert: the alert's number (with suggestions), comma-separated lists
checked item by item, a script with its placeholders, the contacts as CSV rows, and the
options of creating and signing an alert."""

from __future__ import annotations

import csv
import re
import string
from dataclasses import dataclass, field, replace

from bot.context import Context
from bot.errors import ValidationError
from bot.options import Choice, District, Option, Ref, Text, TextList, Url, UsState, YesNo
from bot.registry import Role
from bot.vocabulary import CLASSIFICATION_ALIASES, CLASSIFICATIONS, LIBRARY_TYPES
from commands.alerts.rules import OPEN, closed_at
from storage import alerts as store
from storage.alerts import TargetRecord

KINDS = ("sign-on", "call", "email", "show-up", "other")
PLACEHOLDERS = ("name", "state", "target")
_PLACEHOLDER_RULE = "the placeholders are {name}, {state} and {target}"
_TARGET_COLUMNS = "state,district,name,office,phone,email"


@dataclass(frozen=True)
class ListOf(TextList):
    """Comma-separated values, each checked by ``item`` (a state, a library type, …)."""

    item: Option = field(default_factory=lambda: Text("item"))

    def convert(self, text: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.item.convert(value) for value in super().convert(text)))


@dataclass(frozen=True)
class Script(Text):
    """What to say, with {name}, {state} and {target} filled in per member."""

    max_length: int = 2000
    long: bool = True

    def convert(self, text: str) -> str:
        try:
            parts = list(string.Formatter().parse(text))
        except ValueError:
            raise self.error(f"has a {{ or }} without its pair; {_PLACEHOLDER_RULE}") from None
        for _, name, spec, conversion in parts:
            if name is not None and (name not in PLACEHOLDERS or spec or conversion):
                shown = "{" + name + (f"!{conversion}" if conversion else "") + "}"
                raise self.error(f"{shown} is not a placeholder; {_PLACEHOLDER_RULE}")
        return text


def placeholders(script: str) -> set[str]:
    """The placeholders a (valid) script uses."""
    return {name for _, name, _, _ in string.Formatter().parse(script) if name}


@dataclass(frozen=True)
class Targets(Text):
    """CSV rows ``state,district,name,office,phone,email``, one a line or separated by ``;``,
    with an optional header row; district, office, phone and email may be left empty."""

    max_length: int = 3000
    long: bool = True

    def convert(self, text: str) -> tuple[TargetRecord, ...]:
        targets: list[TargetRecord] = []
        for number, line in enumerate(re.split(r"\r?\n|;", text), 1):
            cells = [cell.strip() for cell in next(csv.reader([line]), [])]
            if not any(cells):
                continue
            if not targets and cells[0].lower() == "state":
                continue
            targets.append(self._row(number, cells))
        if not targets:
            raise self.error(f"has no rows; write {_TARGET_COLUMNS}, one contact a line")
        return tuple(targets)

    def _row(self, number: int, cells: list[str]) -> TargetRecord:
        def refuse(rule: str) -> ValidationError:
            return self.error(f"row {number}: {rule}")

        if not 3 <= len(cells) <= 6:
            raise refuse(f"needs {_TARGET_COLUMNS} (3 to 6 values, got {len(cells)})")
        state, district, name, office, phone, email = [*cells, "", "", ""][:6]
        try:
            state = UsState("targets").convert(state)
            district = District("targets").convert(district) if district else ""
        except ValidationError:
            raise refuse(
                f"{state!r} and {district!r} must be a US state code such as IL and a "
                "district number from 1 to 53, AL or nothing"
            ) from None
        if not name:
            raise refuse("the name is missing")
        for column, value, limit in (("name", name, 200), ("office", office, 200)):
            if len(value) > limit:
                raise refuse(f"the {column} must be at most {limit} characters")
        if len(phone) > 40 or (phone and not re.fullmatch(r"[0-9+().\-\s x]+", phone)):
            raise refuse(f"{phone[:40]!r} is not a phone number")
        if email and (len(email) > 200 or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email)):
            raise refuse(f"{email[:200]!r} is not an email address")
        return TargetRecord(
            state, district or None, name, office or None, phone or None, email or None
        )


async def suggest_alerts(ctx: Context, typed: str) -> list[tuple[str, str]]:
    """The organization's alerts whose number or title holds what was typed, newest first:
    open ones for everyone, drafts and scheduled ones too for organizers."""
    organizer = await ctx.effective_role() >= Role.ORGANIZER
    states = ("draft", "scheduled", "sent") if organizer else OPEN
    found = await store.org_alerts(ctx.conn, ctx.org.id, states)
    folded = typed.strip().lower()
    return [
        (f"{a.id}: {a.title}", str(a.id))
        for a in found
        if (a.state != "sent" or closed_at(a, ctx.now) is None)
        and (folded in str(a.id) or folded in a.title.lower())
    ][:25]


ID = Ref("id", required=True, help="the alert's number, e.g. 7", suggest=suggest_alerts)


CREATE_OPTIONS = (
    Text("title", required=True, max_length=200, help="a short title"),
    Text("body", required=True, long=True, max_length=3000, help="what is happening and why"),
    Choice(
        "kind",
        required=True,
        values=KINDS,
        aliases=(("letter", "sign-on"), ("signon", "sign-on"), ("showup", "show-up")),
        help="what members are asked to do",
    ),
    Url("link", help="a page with more (http or https)"),
    ListOf("states", item=UsState("states"), max_items=56, help="only members in these states"),
    ListOf(
        "library_types",
        item=Choice("library_types", values=LIBRARY_TYPES),
        help="only these library types",
    ),
    ListOf(
        "classifications",
        item=Choice("classifications", values=CLASSIFICATIONS, aliases=CLASSIFICATION_ALIASES),
        help="only these worker classifications",
    ),
    Text(
        "deadline", max_length=100, help='when it closes, e.g. "friday 5pm" or "2026-12-01 17:00"'
    ),
    Script("script", help="what to say, with {name}, {state} and {target} filled in"),
    Targets("targets", help=f"who to contact: CSV rows {_TARGET_COLUMNS}"),
)
SIGN_OPTIONS = (
    ID,
    Text("name", max_length=100, help="your name as it should appear on the letter"),
    Text("title", max_length=100, help="your job title"),
    Text("institution", max_length=150, help="your library or system"),
    Text("city", max_length=100, help="your city"),
    UsState("state", help="your state"),
)

#: what /alert edit can change: create's own options, none of them required
EDITABLE = ("title", "body", "deadline", "script", "targets")
EDIT_OPTIONS = (
    ID,
    *(replace(option, required=False) for option in CREATE_OPTIONS if option.name in EDITABLE),
    YesNo("confirm", help="yes to change a letter's text after people signed it"),
)

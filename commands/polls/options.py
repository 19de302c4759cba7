"""The options of /poll: the poll's number (with suggestions), the list of options, the
built-in templates, and the options of /poll create and /poll vote."""

from __future__ import annotations

from dataclasses import dataclass

from bot.context import Context
from bot.options import Choice, Integer, Ref, Text, YesNo
from commands.polls.rules import (
    KINDS,
    MAX_OPTIONS,
    MIN_OPTIONS,
    OPTION_LENGTH,
    RESULTS,
    option_key,
    split_parts,
)
from storage import polls as store

EQUITY_PRIORITIES = (
    "Compensation",
    "Benefits",
    "Professional-development funding",
    "Institutional and disciplinary power",
    "Affordable MLS/MLIS pathways",
    "Alternative credentialing",
)


@dataclass(frozen=True)
class Template:
    """A built-in poll: its question, options and kind, each of which the creator may change."""

    question: str
    options: tuple[str, ...]
    kind: str


TEMPLATES = {
    "equity-priorities": Template(
        "Which equity priorities between library-worker classifications matter most to you?",
        EQUITY_PRIORITIES,
        "ranked",
    )
}


@dataclass(frozen=True)
class PollOptions(Text):
    """2 to 20 options separated by ``|``, each at most 80 characters, no two alike."""

    max_length: int = 2000
    long: bool = True

    def convert(self, text: str) -> tuple[str, ...]:
        options = split_parts(text, "|")
        if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            raise self.error(
                f"needs {MIN_OPTIONS} to {MAX_OPTIONS} options separated by | "
                f'(got {len(options)}), e.g. "Compensation | Benefits"'
            )
        seen: dict[str, str] = {}
        for option in options:
            if len(option) > OPTION_LENGTH:
                raise self.error(f"each option must be at most {OPTION_LENGTH} characters")
            if ">" in option:
                raise self.error(f"{option!r}: an option must not contain > (it orders a ranking)")
            key = option_key(option)
            if not key:
                raise self.error(f"{option!r}: an option needs a visible character")
            if key in seen:
                raise self.error(
                    f"lists {seen[key]!r} and {option!r}, which are the same option (compared "
                    "without case, width, invisible characters or extra spaces); each option once"
                )
            seen[key] = option
        return tuple(options)


async def suggest_polls(ctx: Context, typed: str) -> list[tuple[str, str]]:
    """The organization's polls whose number or question holds what was typed: open ones
    first, then closed ones, newest first in each."""
    found = await store.org_polls(ctx.conn, ctx.org.id, ("open",))
    found += await store.org_polls(ctx.conn, ctx.org.id, ("closed",))
    folded = typed.strip().lower()
    return [
        (f"{p.id}: {p.question}" + (" (closed)" if p.state == "closed" else ""), str(p.id))
        for p in found
        if folded in str(p.id) or folded in p.question.lower()
    ][:25]


ID = Ref("id", required=True, help="the poll's number, e.g. 5", suggest=suggest_polls)
CREATE_OPTIONS = (
    Text("question", max_length=300, help="what the poll asks"),
    PollOptions("options", help='2 to 20 options separated by |, e.g. "Pay | Benefits"'),
    Choice(
        "kind",
        values=KINDS,
        aliases=(("one", "single"), ("pick-one", "single"), ("rank", "ranked")),
        help="single (pick one), multiple (up to max), ranked or approval",
    ),
    Integer("max", minimum=2, maximum=MAX_OPTIONS, help="multiple: the most options to pick"),
    YesNo("anonymous", help="yes (the default): nobody can see who voted for what"),
    Text(
        "closes",
        max_length=100,
        help='when it closes, e.g. "friday 5pm"; else by /poll close (a member\'s poll: '
        "after some days)",
    ),
    Choice("results", values=RESULTS, help="live, or after-close (the default)"),
    Choice("template", values=tuple(TEMPLATES), help="equity-priorities: the seed options"),
)
VOTE_OPTIONS = (
    ID,
    Text("choice", max_length=OPTION_LENGTH, help="an option, by its text or number"),
    Text("choices", max_length=2000, help='multiple or approval: "A | B"'),
    Text("ranking", max_length=2000, help='ranked: "Benefits > Compensation"'),
)
# /poll edit takes the create command's question and options, checked by the same rules
EDIT_OPTIONS = (ID, CREATE_OPTIONS[0], CREATE_OPTIONS[1])
EXTEND_OPTIONS = (
    ID,
    Text("closes", required=True, max_length=100, help='the later closing time, e.g. "monday 5pm"'),
)

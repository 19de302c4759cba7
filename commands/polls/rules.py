"""The rules of a ballot, pure: which options a poll may have and when two are the same,
when a poll has closed, and which ballot a vote asks for given the voter's current one (a
click adds, removes or ranks next). Nothing here reads the database or a command's context,
so each rule is tested on its own."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.closing import closed_since
from bot.errors import MissingFields, ValidationError
from bot.suggest import nearest
from bot.timefmt import local_time
from storage.polls import PollRecord

KINDS = ("single", "multiple", "ranked", "approval")
RESULTS = ("live", "after-close")
MIN_OPTIONS, MAX_OPTIONS, OPTION_LENGTH = 2, 20, 80


def split_parts(text: str, separator: str) -> list[str]:
    """The non-blank parts of ``text`` between ``separator``s, stripped."""
    return [part.strip() for part in text.split(separator) if part.strip()]


def option_key(text: str) -> str:
    """What makes two options the same: equal after NFKC, casefolding, removing format
    characters (Unicode category Cf: zero-width and bidi controls) and collapsing spaces, so
    "Benefits", "ＢＥＮＥＦＩＴＳ", "bene\u200bfits" and "Benefits\u202e" are one option."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(c for c in folded if unicodedata.category(c) != "Cf")
    return " ".join(unicodedata.normalize("NFKC", kept).split())


def closed_at(poll: PollRecord, now: datetime) -> datetime | None:
    """When the poll closed (its time may have passed before the closing ran)."""
    return closed_since(poll.state, poll.closed_at, poll.closes_at, now)


def check_open(poll: PollRecord, now: datetime, tz: ZoneInfo) -> None:
    """Refuse a vote on a poll that has closed, saying when it closed."""
    closed = closed_at(poll, now)
    if closed is not None:
        raise ValidationError(
            "id",
            f"poll {poll.id} closed on {local_time(closed, tz, now=now)}; it takes no more votes",
        )


def option_position(poll: PollRecord, text: str, field: str) -> int:
    """An option by its text (any case), its number, or the start of one option's text
    only ("Wed" for "Wednesday evening"). A near-spelling is refused with the nearest
    option named, so no vote is recorded for a guess."""
    folded = option_key(text)
    keys = [option_key(option) for option in poll.options]
    for i, key in enumerate(keys):
        if key == folded:
            return i
    if folded.isdigit() and 1 <= int(folded) <= len(poll.options):
        return int(folded) - 1
    starting = [i for i, key in enumerate(keys) if folded and key.startswith(folded)]
    if len(starting) == 1:
        return starting[0]
    listed = ", ".join(f"{n}. {o}" for n, o in enumerate(poll.options, 1))
    if len(starting) > 1:
        both = " and ".join(repr(poll.options[i]) for i in starting)
        raise ValidationError(
            field, f"{text!r} starts {both}; give more of the option. Its options: {listed}"
        )
    close = nearest(folded, keys)
    hint = f" (did you mean {poll.options[keys.index(close[0])]!r}?)" if close else ""
    raise ValidationError(
        field, f"{text!r} is not an option of poll {poll.id}{hint}; its options: {listed}"
    )


def option_positions(poll: PollRecord, text: str, field: str, separator: str) -> list[int]:
    """The options ``text`` names between ``separator``s, in order, each once."""
    found: list[int] = []
    for part in split_parts(text, separator):
        position = option_position(poll, part, field)
        if position in found:
            raise ValidationError(
                field, f"lists {poll.options[position]!r} twice; give each option once"
            )
        found.append(position)
    if not found:
        raise ValidationError(field, f"names no option; separate options with {separator}")
    return found


def describe_ballot(poll: PollRecord, choices: tuple[int, ...] | list[int]) -> str:
    """A ballot in words: a ranking joined by >, other choices by |."""
    if poll.kind == "ranked":
        return " > ".join(poll.options[i] for i in choices)
    return " | ".join(poll.options[i] for i in choices)


def new_ballot(
    poll: PollRecord,
    current: tuple[int, ...] | None,
    choice: str | None,
    choices: str | None,
    ranking: str | None,
) -> list[int]:
    """The ballot a vote asks for, given the voter's current one (a click on an option of a
    multiple or approval poll adds or removes it; on a ranked poll it ranks it next)."""
    given = [
        name
        for name, value in (("choice", choice), ("choices", choices), ("ranking", ranking))
        if value is not None
    ]
    if not given:  # the field this kind of poll is voted with
        wanted = {"ranked": "ranking", "multiple": "choices", "approval": "choices"}
        raise MissingFields("poll vote", [wanted.get(poll.kind, "choice")])
    if len(given) > 1:
        raise ValidationError(
            given[1], f"give one of choice, choices or ranking, not {given[0]} as well"
        )
    if poll.kind == "single" and choice is None:
        raise ValidationError(
            given[0], f'poll {poll.id} is pick-one: vote with choice:"{poll.options[0]}"'
        )
    if poll.kind in ("multiple", "approval") and ranking is not None:
        raise ValidationError(
            "ranking", f'poll {poll.id} is not ranked: vote with choices:"A | B" or choice:'
        )
    if poll.kind == "ranked" and choices is not None:
        raise ValidationError(
            "choices",
            f'poll {poll.id} is ranked: vote with ranking:"A > B", or choice: to '
            "rank one more option",
        )
    mine = list(current or ())
    if ranking is not None:
        return option_positions(poll, ranking, "ranking", ">")
    if choices is not None:
        picked = option_positions(poll, choices, "choices", "|")
    else:
        assert choice is not None
        position = option_position(poll, choice, "choice")
        if poll.kind == "single":
            return [position]
        if poll.kind == "ranked":
            if position in mine:
                raise ValidationError(
                    "choice",
                    f"{poll.options[position]!r} is already your choice number "
                    f"{mine.index(position) + 1}; to rank afresh, use Start over or "
                    f"/poll withdraw id:{poll.id}",
                )
            return [*mine, position]
        picked = [c for c in mine if c != position] if position in mine else [*mine, position]
    if poll.kind == "multiple" and len(picked) > (poll.max_choices or 0):
        if choices is not None:
            raise ValidationError(
                "choices",
                f"poll {poll.id} takes at most {poll.max_choices} options; you gave "
                f"{len(picked)}: {describe_ballot(poll, picked)}",
            )
        raise ValidationError(
            "choice",
            f"poll {poll.id} takes at most {poll.max_choices} options; "
            f"you have {describe_ballot(poll, mine) or 'none'}. Click one of yours to remove it",
        )
    return picked

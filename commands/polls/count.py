"""Counting poll ballots: plurality, multiple choice and approval counts, instant runoff with
every round, and the folding of small groups in breakdowns. Pure functions on option
numbers (0-based positions in the poll's option list); nothing here touches the database.

Instant runoff (``instant_runoff``): each round counts every ballot for its highest-ranked
option still in the race. An option with more than half of the ballots still counting wins.
Otherwise one option is eliminated: the one with the fewest votes this round; a tie is broken
by the fewest first preferences (round 1 votes), and a tie on those by the order of the
poll's options, the later-listed option being eliminated. Options nobody has ranked at all
are eliminated together in the first round. A ballot whose ranked options are all eliminated
is exhausted: it is shown in each round and no longer counts toward the majority. When two
options are left tied, the tie rule eliminates one and the other wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

#: groups with fewer voters than this are not shown on their own in a breakdown
MIN_GROUP = 3


@dataclass(frozen=True)
class Round:
    """One round of an instant runoff."""

    number: int
    #: votes for each option still in the race, in the poll's order
    votes: dict[int, int]
    #: ballots whose ranked options have all been eliminated
    exhausted: int
    #: options eliminated at the end of this round (empty in the winning round)
    eliminated: tuple[int, ...] = ()
    #: why the eliminated option went, when it was a tie: "first preferences" or "order"
    tie_break: str = ""
    #: the winner, in the round that decided it
    winner: int | None = None


@dataclass(frozen=True)
class Runoff:
    """An instant-runoff count: its rounds and its winner (None without ballots)."""

    rounds: tuple[Round, ...]
    winner: int | None
    ballots: int


def plurality(ballots: Iterable[Sequence[int]], options: int) -> list[int]:
    """Votes per option for single, multiple-choice and approval ballots (each option on a
    ballot counts once)."""
    counts = [0] * options
    for ballot in ballots:
        for choice in set(ballot):
            counts[choice] += 1
    return counts


def leaders(counts: Sequence[int]) -> list[int]:
    """The options with the most votes (several on a tie; none when nobody voted)."""
    top = max(counts, default=0)
    return [i for i, n in enumerate(counts) if n == top] if top else []


def instant_runoff(ballots: Sequence[Sequence[int]], options: int) -> Runoff:
    """Count ranked ballots by instant runoff, keeping every round (rules: module docstring).

    Each ballot sits in the pile of the option it counts for; an eliminated option's pile is
    handed on to each ballot's next option still running, so every ranking is read once."""
    ballots = [list(dict.fromkeys(b)) for b in ballots if b]
    if not ballots:
        return Runoff((), None, 0)
    first = plurality([b[:1] for b in ballots], options)
    piles: dict[int, list[int]] = {i: [] for i in range(options)}
    for k, ballot in enumerate(ballots):
        piles[ballot[0]].append(k)
    ranked = {c for b in ballots for c in b}
    running = [i for i in range(options) if i in ranked]
    still = set(running)
    unranked = tuple(i for i in range(options) if i not in still)
    place = [0] * len(ballots)
    exhausted = 0
    rounds: list[Round] = []
    while True:
        number = len(rounds) + 1
        votes = {i: len(piles[i]) for i in (range(options) if number == 1 else running)}
        counting = len(ballots) - exhausted
        dropped = unranked if number == 1 else ()
        best = max(running, key=lambda i: votes[i])
        if len(running) == 1 or votes[best] * 2 > counting:
            rounds.append(Round(number, votes, exhausted, dropped, winner=best))
            return Runoff(tuple(rounds), best, len(ballots))
        fewest = min(votes[i] for i in running)
        loser, tie_break = _loser([i for i in running if votes[i] == fewest], first)
        rounds.append(Round(number, votes, exhausted, (*dropped, loser), tie_break))
        running.remove(loser)
        still.discard(loser)
        for k in piles.pop(loser):
            ballot, at = ballots[k], place[k] + 1
            while at < len(ballot) and ballot[at] not in still:
                at += 1
            place[k] = at
            if at < len(ballot):
                piles[ballot[at]].append(k)
            else:
                exhausted += 1


def _loser(tied: list[int], first: Sequence[int]) -> tuple[int, str]:
    """Which of the options tied on fewest votes is eliminated, and by which rule."""
    if len(tied) == 1:
        return tied[0], ""
    fewest_first = min(first[i] for i in tied)
    still = [i for i in tied if first[i] == fewest_first]
    if len(still) == 1:
        return still[0], "first preferences"
    return max(still), "order"


@dataclass(frozen=True)
class Group:
    """Ballots of one group in a breakdown (a state, a classification, or the folded rest)."""

    label: str
    ballots: tuple[tuple[int, ...], ...]


def fold_small_groups(
    groups: Mapping[str, Sequence[Sequence[int]]], minimum: int = MIN_GROUP
) -> tuple[list[Group], Group | None]:
    """Split ballots by group into the groups shown and one folded group ("other/hidden").

    A group with fewer than ``minimum`` voters is folded. If the folded ballots then number
    fewer than ``minimum`` (but some), the smallest shown groups are folded too, until the
    folded group is big enough, since the total minus the shown groups would reveal it.
    Shown groups come largest first (ties by label)."""
    shown = sorted(
        (Group(label, tuple(map(tuple, b))) for label, b in groups.items() if b),
        key=lambda g: (-len(g.ballots), g.label),
    )
    folded = [g for g in shown if len(g.ballots) < minimum]
    shown = [g for g in shown if len(g.ballots) >= minimum]
    hidden = sum(len(g.ballots) for g in folded)
    while 0 < hidden < minimum and shown:
        smallest = shown.pop()
        folded.append(smallest)
        hidden += len(smallest.ballots)
    if not folded:
        return shown, None
    return shown, Group("other/hidden", tuple(b for g in folded for b in g.ballots))

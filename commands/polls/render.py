"""What members see of a poll: its channel post with a button per option and its tally
line, the lines that say how to vote and who can see a vote, and the results with every
round of an instant runoff, a table and a chart."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import charts
from bot.reply import Action, File, Reply, Table
from bot.timefmt import Moment, TimedText
from bot.wording import counted
from commands.polls import count as poll_count
from storage.polls import BallotRecord, PollRecord


def kind_line(poll: PollRecord) -> str:
    """How to vote in a poll of this kind."""
    return {
        "single": "Pick one.",
        "multiple": f"Pick up to {poll.max_choices}: each click adds or removes an option.",
        "ranked": "Ranked choice: click the options in order of preference (first click is "
        "your first choice). Counted by instant runoff.",
        "approval": "Approve as many as you like: each click adds or removes an option.",
    }[poll.kind]


def anonymity_line(poll: PollRecord) -> str:
    """What every poll message says about who can see a vote."""
    if poll.anonymous:
        return "Anonymous: nobody, organizers included, can see how you voted."
    return "Not anonymous: your vote is stored with your name."


def _typed(poll: PollRecord) -> str:
    first = poll.options[0]
    example = {
        "single": f'choice:"{first}"',
        "multiple": f'choices:"{first} | {poll.options[1]}"',
        "approval": f'choices:"{first} | {poll.options[1]}"',
        "ranked": f'ranking:"{first} > {poll.options[1]}"',
    }[poll.kind]
    return f"Or type /poll vote id:{poll.id} {example}"


def _votes_line(poll: PollRecord, ballots: list[BallotRecord]) -> str:
    """Votes per option (first choices for a ranked poll), most first."""
    counts = poll_count.plurality(
        [b.choices[:1] if poll.kind == "ranked" else b.choices for b in ballots], len(poll.options)
    )
    ranked = sorted(range(len(counts)), key=lambda i: (-counts[i], i))
    shown = " · ".join(f"{poll.options[i]} {counts[i]}" for i in ranked if counts[i])
    prefix = "first choices: " if poll.kind == "ranked" else ""
    return f"{prefix}{shown}" if shown else ""


def ballots_phrase(n: int) -> str:
    """``n`` ballots, in words."""
    return counted(n, "ballot")


def _shown(poll: PollRecord, ballots: list[BallotRecord]) -> str:
    """The tally line of a channel post: edited when it changes."""
    if poll.state == "closed":
        return f"Closed · {ballots_phrase(len(ballots))} · results below"
    if poll.results != "live":
        return "Results are shown when the poll closes."
    votes = _votes_line(poll, ballots)
    return f"{ballots_phrase(len(ballots))} so far" + (f" · {votes}" if votes else "")


def _buttons(poll: PollRecord, *, disabled: bool = False) -> list[Action]:
    buttons = [
        Action(option, "poll vote", {"id": str(poll.id), "choice": str(n)}, disabled=disabled)
        for n, option in enumerate(poll.options, 1)
    ]
    if poll.kind == "ranked":
        buttons.append(
            Action("Start over", "poll withdraw", {"id": str(poll.id)}, disabled=disabled)
        )
    return buttons


def poll_post(
    poll: PollRecord, ballots: list[BallotRecord], tz: ZoneInfo, *, now: datetime
) -> Reply:
    """The poll as posted in a channel, with its tally line."""
    closed = poll.state == "closed"
    lines = [kind_line(poll), anonymity_line(poll)]
    if closed:
        shut = poll.closed_at or poll.created_at
        lines.append(TimedText("Closed on ", Moment(shut, tz.key, now=now), "."))
    elif poll.closes_at:
        lines.append(TimedText("Closes ", Moment(poll.closes_at, tz.key, now=now), "."))
    else:
        lines.append("Open until an organizer closes it.")
    lines.append(_shown(poll, ballots))
    if not closed:
        lines.append(_typed(poll))
    return Reply(
        title=f"Poll {poll.id}: {poll.question}",
        text=TimedText.join("\n", lines),
        actions=_buttons(poll, disabled=closed),
        ephemeral=False,
    )


def _round_line(poll: PollRecord, r: poll_count.Round) -> str:
    votes = " · ".join(f"{poll.options[i]} {n}" for i, n in r.votes.items())
    line = f"Round {r.number}: {votes}"
    if r.exhausted:
        line += f" · exhausted {r.exhausted}"
    if r.winner is not None:
        counting = sum(r.votes.values())
        won = r.votes[r.winner]
        how = "a majority" if won * 2 > counting else "the last option left"
        line += f" → {poll.options[r.winner]}, {won} of {counting} ({how})"
    elif r.eliminated:
        names = ", ".join(poll.options[i] for i in r.eliminated)
        why = {
            "": "fewest votes",
            "first preferences": "tied on fewest votes; fewer first choices",
            "order": "tied on fewest votes and first choices; listed later in the poll",
        }[r.tie_break]
        line += f" → {names} eliminated ({why})"
    return line


@dataclass(frozen=True)
class Outcome:
    """A poll's count, as text lines, a table and the chart's data."""

    lines: list[str]
    table: Table
    series: tuple[tuple[str, tuple[int, ...]], ...]


def count_ballots(poll: PollRecord, ballots: list[tuple[int, ...]], *, final: bool) -> Outcome:
    """Count ballots as the poll's kind says (instant runoff for ranked polls)."""
    n = len(ballots)
    options = len(poll.options)
    if poll.kind == "ranked":
        runoff = poll_count.instant_runoff(ballots, options)
        first = poll_count.plurality([b[:1] for b in ballots], options)
        lines = [_round_line(poll, r) for r in runoff.rounds]
        if runoff.winner is not None:
            rounds = len(runoff.rounds)
            verb = "wins" if final else "leads"
            lines.append(
                f"{poll.options[runoff.winner]} {verb} by instant runoff after "
                f"{counted(rounds, 'round')}."
            )
        last = runoff.rounds[-1].votes if runoff.rounds else {}
        final_votes = tuple(last.get(i, 0) for i in range(options))
        table = Table(
            ["option", "first choices", "final round"],
            [
                [o, str(first[i]), str(last[i]) if i in last else "out"]
                for i, o in enumerate(poll.options)
            ],
        )
        return Outcome(
            lines, table, (("first choices", tuple(first)), ("final round", final_votes))
        )
    counts = poll_count.plurality(ballots, options)
    top = poll_count.leaders(counts)
    lines = []
    if len(top) == 1:
        verb = "wins" if final else "leads"
        lines.append(f"{poll.options[top[0]]} {verb} with {counts[top[0]]} of {ballots_phrase(n)}.")
    elif top:
        names = " and ".join(poll.options[i] for i in top)
        lines.append(f"A tie: {names}, {counted(counts[top[0]], 'vote')} each.")
    table = Table(
        ["option", "votes", "of ballots"],
        [
            [o, str(counts[i]), f"{round(100 * counts[i] / n)}%" if n else "—"]
            for i, o in enumerate(poll.options)
        ],
    )
    return Outcome(lines, table, (("votes", tuple(counts)),))


async def results_reply(
    poll: PollRecord, ballots: list[BallotRecord], tz: ZoneInfo, *, now: datetime
) -> Reply:
    """The results of a poll, with a chart, as a post or an answer."""
    closed = poll.state == "closed"
    outcome = count_ballots(poll, [b.choices for b in ballots], final=closed)
    state = (
        TimedText("Closed on ", Moment(poll.closed_at or poll.created_at, tz.key, now=now), ".")
        if closed
        else "Still open; these are the results so far."
    )
    text = [state, anonymity_line(poll), f"{ballots_phrase(len(ballots))}."]
    if not ballots:
        text.append("Nobody voted.")
    files = []
    if ballots:
        png = await asyncio.to_thread(
            charts.horizontal_bars, poll.question, poll.options, outcome.series, "votes"
        )
        files.append(File(f"poll-{poll.id}-results.png", png, "image/png", "Poll results"))
    return Reply(
        title=f"Results of poll {poll.id}: {poll.question}",
        text=TimedText.join("\n", [*text, *outcome.lines]),
        table=outcome.table if ballots else None,
        files=files,
        ephemeral=False,
    )

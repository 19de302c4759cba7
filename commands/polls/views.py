"""What members read of polls: /poll results (with a breakdown by state or
classification), /poll list and /poll show. Registered on ``group`` after the handlers that
change a poll, so /help lists them in the same order."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.errors import ValidationError
from bot.options import Choice
from bot.reply import Reply, Table
from bot.timefmt import Moment, TimedText, local_time
from commands.polls import count as poll_count
from commands.polls import group
from commands.polls.commands import find_voter, org_poll
from commands.polls.keys import anonymous_key, named_key, needs_secret, voter_key
from commands.polls.options import (
    ID,
)
from commands.polls.render import (
    anonymity_line,
    ballots_phrase,
    poll_post,
    results_reply,
)
from commands.polls.rules import closed_at, describe_ballot
from storage import polls as store
from storage.polls import BallotRecord, PollRecord


def _group_label(by: str, value: str | None) -> str:
    if value is None:
        return f"{by} not given"
    return value


async def _groups(
    ctx: Context, poll: PollRecord, ballots: list[BallotRecord], by: str
) -> dict[str, list[tuple[int, ...]]]:
    """Ballots by the voters' state or classification (their profile now). On an anonymous
    poll the voters are found by making each member's key in memory; nothing is stored."""
    column = 0 if by == "state" else 1
    conn = ctx.conn
    if poll.anonymous:
        secret = needs_secret(ctx.services)
        profiles = await store.org_profiles(conn, ctx.org.id)
        by_key = {anonymous_key(secret, poll.id, m): p for m, p in profiles.items()}
    else:
        members = [b.member_id for b in ballots if b.member_id is not None]
        named = await store.profiles_of(conn, members)
        by_key = {named_key(m): named.get(m, (None, None)) for m in members}
    groups: dict[str, list[tuple[int, ...]]] = {}
    for ballot in ballots:
        value = by_key.get(ballot.voter_key, (None, None))[column]
        choices = ballot.choices[:1] if poll.kind == "ranked" else ballot.choices
        groups.setdefault(_group_label(by, value), []).append(choices)
    return groups


async def _breakdown(ctx: Context, poll: PollRecord, ballots: list[BallotRecord], by: str) -> Reply:
    minimum = ctx.services.config.polls.min_group
    shown, hidden = poll_count.fold_small_groups(await _groups(ctx, poll, ballots, by), minimum)
    rows = []
    for g in [*shown, *([hidden] if hidden else [])]:
        counts = poll_count.plurality(g.ballots, len(poll.options))
        order = sorted(range(len(counts)), key=lambda i: (-counts[i], i))
        votes = " · ".join(f"{poll.options[i]} {counts[i]}" for i in order if counts[i])
        rows.append([g.label, str(len(g.ballots)), votes])
    what = "first choices" if poll.kind == "ranked" else "votes"
    note = (
        f"Groups with fewer than {minimum} voters are counted in other/hidden, which is itself "
        f"never smaller than {minimum}."
    )
    if not shown:
        note = f"No {by} has {minimum} or more voters, so the ballots are not broken down."
    return Reply(
        title=f"Poll {poll.id} by {by}: {poll.question}",
        text=f"{ballots_phrase(len(ballots))}; {what} by the voters' {by} (from their "
        f"profiles).\n{anonymity_line(poll)}\n{note}",
        table=Table([by, "voters", what], rows) if rows else None,
    )


@group.command(
    "results",
    options=[ID, Choice("by", values=("state", "classification"), help="break down by")],
    help="A poll's results (live polls while open; every poll once closed)",
    read_only=True,
)
async def results(ctx: Context, id: int, by: str | None) -> Reply:
    """The results so far or final, with a chart; or broken down by state or classification."""
    poll = await org_poll(ctx, id)
    tz = ZoneInfo(ctx.org.timezone)
    ballots = await store.ballots(ctx.conn, id)
    closed = closed_at(poll, ctx.now) is not None
    if closed and poll.state == "open":  # its time has passed; the closing is on its way
        poll = replace(poll, state="closed", closed_at=poll.closes_at)
    if not closed and poll.results != "live":
        closes = (" (", Moment(poll.closes_at, tz.key, now=ctx.now), ")") if poll.closes_at else ()
        return Reply(
            text=TimedText(
                f"Poll {id}'s results are shown when it closes",
                *closes,
                f". {ballots_phrase(len(ballots))} so far. {anonymity_line(poll)}",
            )
        )
    if by is not None:
        if poll.anonymous and not closed:
            raise ValidationError(
                "by",
                f"poll {id} is anonymous, so it is broken down only once it has closed "
                "(comparing breakdowns before and after someone votes would show their vote)",
            )
        return await _breakdown(ctx, poll, ballots, by)
    reply = await results_reply(poll, ballots, tz, now=ctx.now)
    reply.ephemeral = True
    return reply


@group.command("list", help="Open polls, and the latest closed ones", read_only=True)
async def list_polls(ctx: Context) -> Reply:
    """Polls to vote in now, and recently closed ones."""
    found = await store.org_polls(ctx.conn, ctx.org.id, ("open", "closed"))
    open_polls = [p for p in found if closed_at(p, ctx.now) is None]
    closed = [p for p in found if closed_at(p, ctx.now) is not None][:5]
    polls = open_polls + closed
    if not polls:
        return Reply(text="There are no polls yet.")
    counts = await store.ballot_counts(ctx.conn, [p.id for p in polls])
    tz = ZoneInfo(ctx.org.timezone)
    rows = []
    for p in polls:
        shut = closed_at(p, ctx.now)
        when = (
            f"closed {local_time(shut, tz, now=ctx.now)}"
            if shut
            else (local_time(p.closes_at, tz, now=ctx.now) if p.closes_at else "by an organizer")
        )
        rows.append(
            [
                f"poll {p.id}",
                p.question,
                p.kind,
                "yes" if p.anonymous else "no",
                when,
                str(counts[p.id]),
            ]
        )
    return Reply(
        title="Polls",
        table=Table(["poll", "question", "kind", "anonymous", "closes", "ballots"], rows),
        text="See one with its buttons: /poll show id:N",
    )


@group.command("show", options=[ID], help="A poll with its buttons and your ballot", read_only=True)
async def show(ctx: Context, id: int) -> Reply:
    """The poll as posted, and the caller's current ballot."""
    poll = await org_poll(ctx, id)
    tz = ZoneInfo(ctx.org.timezone)
    if closed_at(poll, ctx.now) is not None and poll.state == "open":
        poll = replace(poll, state="closed", closed_at=poll.closes_at)
    ballots = await store.ballots(ctx.conn, id)
    reply = poll_post(poll, ballots, tz, now=ctx.now)
    options = "\n".join(f"{n}. {o}" for n, o in enumerate(poll.options, 1))
    member = await find_voter(ctx)
    mine = None
    if member is not None:
        mine = await store.get_ballot(ctx.conn, id, voter_key(ctx.services, poll, member.id))
    yours = f"Your ballot: {describe_ballot(poll, mine)}." if mine else "You have not voted."
    reply.text = TimedText(f"{options}\n\n", reply.text, f"\n{yours}")
    reply.ephemeral = True
    return reply

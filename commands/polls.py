"""/poll: polls with one ballot per member across platforms, changeable until closing.

A poll (pick one, pick up to N, ranked choice or approval; anonymous unless its creator says
otherwise) is posted in every alert channel with a button per option; `/poll vote` is the
typed equivalent. Ranked polls are counted by instant runoff, every round shown (the rules
are in ``commands.poll_count``). A poll closes at its time (a due item) or by command, and
its results are then posted with a chart.

Anonymous ballots are keyed by ``HMAC(ballot secret, poll id, member id)``: the secret is in
the configuration (or a file beside a SQLite database), never in the database, so the
database alone cannot link a ballot to a member, while the bot can still find a member's
ballot to refuse a second one or change it. A ballot is written in a transaction of its own,
so no member, outbox or due-item row shares its write; it has no id and no time.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot import charts, posts
from bot.context import Context
from bot.errors import MissingFields, PermissionDenied, UserError, ValidationError
from bot.options import Choice, Integer, Ref, Text, YesNo
from bot.posts import Unit
from bot.registry import CommandGroup, Role
from bot.reply import Action, File, Reply, Table
from bot.scheduler import DueContext
from bot.timefmt import local_time
from bot.when import parse_moment
from commands import poll_count
from storage import polls as store
from storage.polls import BallotRecord, PollRecord
from storage.repos import MemberRecord, Repos

if TYPE_CHECKING:

    from bot.services import Services

group = CommandGroup("poll", help="Polls: vote, rank priorities, see results")
group.home_section("Polls", "list", rank=30)

KINDS = ("single", "multiple", "ranked", "approval")
RESULTS = ("live", "after-close")
MIN_OPTIONS, MAX_OPTIONS, OPTION_LENGTH = 2, 20, 80
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


# options ---------------------------------------------------------------------------------


def _split(text: str, separator: str) -> list[str]:
    return [part.strip() for part in text.split(separator) if part.strip()]


def option_key(text: str) -> str:
    """What makes two options the same: equal after NFKC, casefolding, removing format
    characters (Unicode category Cf: zero-width and bidi controls) and collapsing spaces, so
    "Benefits", "ＢＥＮＥＦＩＴＳ", "bene\u200bfits" and "Benefits\u202e" are one option."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(c for c in folded if unicodedata.category(c) != "Cf")
    return " ".join(unicodedata.normalize("NFKC", kept).split())


@dataclass(frozen=True)
class PollOptions(Text):
    """2 to 20 options separated by ``|``, each at most 80 characters, no two alike."""

    max_length: int = 2000
    long: bool = True

    def convert(self, text: str) -> tuple[str, ...]:
        options = _split(text, "|")
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
    found = await store.org_polls(ctx.repos.conn, ctx.org.id, ("open",))
    found += await store.org_polls(ctx.repos.conn, ctx.org.id, ("closed",))
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
    Text("closes", max_length=100, help='when it closes, e.g. "friday 5pm"; else by /poll close'),
    Choice("results", values=RESULTS, help="live, or after-close (the default)"),
    Choice("template", values=tuple(TEMPLATES), help="equity-priorities: the seed options"),
)
VOTE_OPTIONS = (
    ID,
    Text("choice", max_length=OPTION_LENGTH, help="an option, by its text or number"),
    Text("choices", max_length=2000, help='multiple or approval: "A | B"'),
    Text("ranking", max_length=2000, help='ranked: "Benefits > Compensation"'),
)


# the ballot secret and voter keys --------------------------------------------------------


def anonymous_key(secret: bytes, poll_id: int, member_id: int) -> str:
    """An anonymous ballot's voter key: an HMAC-SHA256 of the poll and the member."""
    message = f"rallybot ballot|{poll_id}|{member_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _named_key(member_id: int) -> str:
    return f"m:{member_id}"


def _orphan_key() -> str:
    """A key no member can ever produce again: for a ballot whose voter erased their data."""
    return "x:" + secrets.token_hex(31)


def _needs_secret(services: Services, field: str = "id") -> bytes:
    """The ballot secret, or a refusal naming ``field`` that says how to get one."""
    secret = services.ballot_secret
    if secret is None:
        raise ValidationError(
            field,
            "anonymous polls need a ballot secret, which this bot does not have: an admin sets "
            "[polls] ballot_secret, the same for every bot process; until then, create polls "
            "with anonymous:no",
        )
    return secret


def voter_key(services: Services, poll: PollRecord, member_id: int) -> str:
    """The key of a member's ballot on this poll."""
    if poll.anonymous:
        return anonymous_key(_needs_secret(services), poll.id, member_id)
    return _named_key(member_id)


# what members see ------------------------------------------------------------------------


def _kind_line(poll: PollRecord) -> str:
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


def _closed_at(poll: PollRecord, now: datetime) -> datetime | None:
    """When the poll closed (its time may have passed before the closing ran)."""
    if poll.state == "closed":
        return poll.closed_at or poll.closes_at
    if poll.closes_at is not None and poll.closes_at <= now:
        return poll.closes_at
    return None


def _votes_line(poll: PollRecord, ballots: list[BallotRecord]) -> str:
    """Votes per option (first choices for a ranked poll), most first."""
    counts = poll_count.plurality(
        [b.choices[:1] if poll.kind == "ranked" else b.choices for b in ballots], len(poll.options)
    )
    ranked = sorted(range(len(counts)), key=lambda i: (-counts[i], i))
    shown = " · ".join(f"{poll.options[i]} {counts[i]}" for i in ranked if counts[i])
    prefix = "first choices: " if poll.kind == "ranked" else ""
    return f"{prefix}{shown}" if shown else ""


def _ballots_phrase(n: int) -> str:
    return f"{n} ballot{'s' if n != 1 else ''}"


def _shown(poll: PollRecord, ballots: list[BallotRecord]) -> str:
    """The tally line of a channel post: edited when it changes."""
    if poll.state == "closed":
        return f"Closed · {_ballots_phrase(len(ballots))} · results below"
    if poll.results != "live":
        return "Results are shown when the poll closes."
    votes = _votes_line(poll, ballots)
    return f"{_ballots_phrase(len(ballots))} so far" + (f" · {votes}" if votes else "")


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


def _post(poll: PollRecord, ballots: list[BallotRecord], tz: ZoneInfo) -> Reply:
    """The poll as posted in a channel, with its tally line."""
    closed = poll.state == "closed"
    lines = [_kind_line(poll), anonymity_line(poll)]
    if closed:
        lines.append(f"Closed on {local_time(poll.closed_at or poll.created_at, tz)}.")
    elif poll.closes_at:
        lines.append(f"Closes {local_time(poll.closes_at, tz)}.")
    else:
        lines.append("Open until an organizer closes it.")
    lines.append(_shown(poll, ballots))
    if not closed:
        lines.append(_typed(poll))
    return Reply(
        title=f"Poll {poll.id}: {poll.question}",
        text="\n".join(lines),
        actions=_buttons(poll, disabled=closed),
        ephemeral=False,
    )


# counting and results --------------------------------------------------------------------


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
            "order": "tied on fewest votes and first choices; listed later",
        }[r.tie_break]
        line += f" → {names} eliminated ({why})"
    return line


@dataclass(frozen=True)
class Outcome:
    """A poll's count, as text lines, a table and the chart's data."""

    lines: list[str]
    table: Table
    series: tuple[tuple[str, tuple[int, ...]], ...]


def count(poll: PollRecord, ballots: list[tuple[int, ...]], *, final: bool) -> Outcome:
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
                f"{rounds} round{'s' if rounds != 1 else ''}."
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
        lines.append(
            f"{poll.options[top[0]]} {verb} with {counts[top[0]]} of {_ballots_phrase(n)}."
        )
    elif top:
        names = " and ".join(poll.options[i] for i in top)
        lines.append(f"A tie: {names}, {counts[top[0]]} votes each.")
    table = Table(
        ["option", "votes", "of ballots"],
        [
            [o, str(counts[i]), f"{round(100 * counts[i] / n)}%" if n else "—"]
            for i, o in enumerate(poll.options)
        ],
    )
    return Outcome(lines, table, (("votes", tuple(counts)),))


async def results_reply(poll: PollRecord, ballots: list[BallotRecord], tz: ZoneInfo) -> Reply:
    """The results of a poll, with a chart, as a post or an answer."""
    closed = poll.state == "closed"
    outcome = count(poll, [b.choices for b in ballots], final=closed)
    state = (
        f"Closed on {local_time(poll.closed_at or poll.created_at, tz)}."
        if closed
        else "Still open; these are the results so far."
    )
    text = [state, anonymity_line(poll), f"{_ballots_phrase(len(ballots))}."]
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
        text="\n".join([*text, *outcome.lines]),
        table=outcome.table if ballots else None,
        files=files,
        ephemeral=False,
    )


# helpers ---------------------------------------------------------------------------------


async def _org_poll(ctx: Context, poll_id: int) -> PollRecord:
    poll = await store.get_poll(ctx.repos.conn, poll_id)
    if poll is None or poll.org_id != ctx.org.id:
        raise ValidationError("id", f"there is no poll {poll_id} here; see /poll list")
    return poll


def _check_open(poll: PollRecord, now: datetime, tz: ZoneInfo) -> None:
    closed = _closed_at(poll, now)
    if closed is not None:
        raise ValidationError(
            "id", f"poll {poll.id} closed on {local_time(closed, tz)}; it takes no more votes"
        )


def _position(poll: PollRecord, text: str, field: str) -> int:
    """An option by its text (any case) or its number."""
    folded = option_key(text)
    for i, option in enumerate(poll.options):
        if option_key(option) == folded:
            return i
    if folded.isdigit() and 1 <= int(folded) <= len(poll.options):
        return int(folded) - 1
    listed = ", ".join(f"{n}. {o}" for n, o in enumerate(poll.options, 1))
    raise ValidationError(
        field, f"{text!r} is not an option of poll {poll.id}; its options: {listed}"
    )


def _positions(poll: PollRecord, text: str, field: str, separator: str) -> list[int]:
    found: list[int] = []
    for part in _split(text, separator):
        position = _position(poll, part, field)
        if position in found:
            raise ValidationError(
                field, f"lists {poll.options[position]!r} twice; give each option once"
            )
        found.append(position)
    if not found:
        raise ValidationError(field, f"names no option; separate options with {separator}")
    return found


def _describe(poll: PollRecord, choices: tuple[int, ...] | list[int]) -> str:
    if poll.kind == "ranked":
        return " > ".join(poll.options[i] for i in choices)
    return " | ".join(poll.options[i] for i in choices)


async def _find_voter(ctx: Context) -> MemberRecord | None:
    """The caller as a member if stored, asked of the database (not the process's memory,
    which may be a moment behind a merge)."""
    return await ctx.repos.find_member(ctx.invocation.platform, ctx.invocation.user_id)


def _store_ballot(
    ctx: Context, poll: PollRecord, member_id: int | None, choices: list[int] | None
) -> None:
    """Once the command's (read-only) unit of work has ended: store the caller as a member if
    they are new, in a transaction of its own; write (or, with no choices, remove) the ballot
    in another that writes nothing else, the poll held open against a closing meanwhile; then
    schedule the live tally in a third."""
    ctx.after_commit(lambda: _write_ballot(ctx, poll, member_id, choices))


async def _write_ballot(
    ctx: Context, poll: PollRecord, member_id: int | None, choices: list[int] | None
) -> None:
    db, inv = ctx.services.db, ctx.invocation
    if member_id is None:
        async with db.transaction() as conn:
            name = inv.display_name or inv.user_id
            member_id = (
                await Repos(conn).ensure_member(inv.platform, inv.user_id, name, ctx.org.id)
            ).id
    key = voter_key(ctx.services, poll, member_id)
    async with db.transaction() as conn:
        fresh = await store.get_poll(conn, poll.id, lock=True)
        if fresh is None:
            raise ValidationError("id", f"there is no poll {poll.id} here; see /poll list")
        _check_open(fresh, ctx.now, ZoneInfo(ctx.org.timezone))
        if choices:
            named = None if poll.anonymous else member_id
            await store.put_ballot(conn, poll.id, key, named, choices)
        else:
            await store.remove_ballot(conn, poll.id, key)
    if poll.results == "live":
        await posts.refresh_soon(ctx, "poll", poll.id, alone=True)


# creating and closing --------------------------------------------------------------------


@group.command(
    "create",
    options=CREATE_OPTIONS,
    form_title="New poll",
    help="Create a poll, posted in the alert channels",
)
async def create(
    ctx: Context,
    question: str | None,
    options: tuple[str, ...] | None,
    kind: str | None,
    max: int | None,
    anonymous: bool | None,
    closes: str | None,
    results: str | None,
    template: str | None,
) -> Reply:
    """Store an open poll, post it in every alert channel, and schedule its closing."""
    organizer = await ctx.effective_role() >= Role.ORGANIZER
    if not ctx.org_config.members_may_create_polls and not organizer:
        raise PermissionDenied(
            "/poll create needs the organizer role in this organization; "
            f"you have the {ctx.role.label} role here."
        )
    seed = TEMPLATES[template] if template else None
    question = question or (seed.question if seed else None)
    options = options or (seed.options if seed else None)
    missing = [name for name, value in (("question", question), ("options", options)) if not value]
    if missing:
        raise MissingFields("poll create", missing)
    assert question is not None and options is not None
    kind = kind or (seed.kind if seed else "single")
    if kind == "multiple":
        if max is None:
            raise ValidationError(
                "max",
                f"is needed for kind:multiple: the most options a member may pick, "
                f"from 2 to {len(options)}",
            )
        if max > len(options):
            raise ValidationError(
                "max", f"must be at most the number of options, {len(options)} (got {max})"
            )
    elif max is not None:
        raise ValidationError("max", "applies to kind:multiple only")
    anonymous = True if anonymous is None else anonymous
    if anonymous:
        _needs_secret(ctx.services, "anonymous")
    tz = ZoneInfo(ctx.org.timezone)
    closes_at = parse_moment(closes, "closes", ctx.now, tz) if closes else None
    member = await ctx.member()
    if not organizer:
        await _check_poll_quota(ctx, member.id, tz)
    poll = await store.create_poll(
        ctx.repos.conn,
        org_id=ctx.org.id,
        question=question,
        options=list(options),
        kind=kind,
        max_choices=max,
        anonymous=anonymous,
        results=results or "after-close",
        closes_at=closes_at,
        created_by=member.id,
        now=ctx.now,
    )
    await ctx.audit("poll.create", f"poll {poll.id}", question=question, kind=kind)
    posted = await posts.announce(
        ctx,
        "poll",
        poll.id,
        _post(poll, [], tz),
        kind="poll",
        channels=ctx.org_config.alert_channels,
        org_id=poll.org_id,
    )
    if closes_at is not None:
        await ctx.schedule(
            kind="poll_close",
            due_at=closes_at,
            key=f"poll:{poll.id}:close",
            ref_id=poll.id,
            org_id=poll.org_id,
        )
    where = posts.place_names(posted) or "no channel (none is configured)"
    when = f"It closes {local_time(closes_at, tz)}" if closes_at else "Close it with"
    close_hint = (
        f"; or earlier with /poll close id:{poll.id}."
        if closes_at
        else (f" /poll close id:{poll.id}.")
    )
    return Reply(
        title=f"Poll {poll.id} is posted",
        text=f"“{question}” is posted in {where}.\n{_kind_line(poll)}\n{anonymity_line(poll)}\n"
        f"{when}{close_hint}",
    )


async def _check_poll_quota(ctx: Context, member_id: int, tz: ZoneInfo) -> None:
    """Refuse a member (not an organizer) who has created ``[limits] member_polls_per_day``
    polls in the last 24 hours; counted under the member's row lock, so that a burst of
    commands at once cannot pass the limit."""
    await ctx.repos.lock_member(member_id)
    quota = ctx.services.config.limits.member_polls_per_day
    created = await store.created_since(ctx.repos.conn, member_id, ctx.now - timedelta(days=1))
    if len(created) >= quota:
        # the oldest of the last day's polls leaves the window first
        freed = created[len(created) - quota] + timedelta(days=1)
        most = "the most" if len(created) == quota else f"more than the {quota}"
        raise UserError(
            f"You have created {len(created)} poll{'s' if len(created) != 1 else ''} in the "
            f"last 24 hours, {most} one member may create a day; you can create the next "
            f"one from {local_time(freed, tz)}, or ask an organizer to create it."
        )


async def _close_poll(ctx: Unit, poll: PollRecord) -> Reply | None:
    """Close a poll: post its results with a chart in every alert channel and close the
    buttons of its posts. None if it was closed already."""
    conn = ctx.repos.conn
    if not await store.mark_closed(conn, poll.id, ctx.now):
        return None
    closed = replace(poll, state="closed", closed_at=ctx.now)
    record, org = ctx.services.orgs.by_id(poll.org_id)
    results = await results_reply(
        closed, await store.ballots(conn, poll.id), ZoneInfo(record.timezone)
    )
    await posts.post_to_channels(
        ctx,
        org.alert_channels,
        results,
        kind="poll_results",
        key=f"poll:{poll.id}:results",
        org_id=poll.org_id,
    )
    await posts.refresh(ctx, "poll", {poll.id: f"poll:{poll.id}:closed"})
    return results


@group.command(
    "close", options=[ID], role=Role.ORGANIZER, help="Close a poll now and post its results"
)
async def close(ctx: Context, id: int) -> Reply:
    """Close a poll by command: results posted with a chart, buttons closed."""
    poll = await _org_poll(ctx, id)
    if poll.state == "closed":
        return Reply(text=f"Poll {id} is already closed; see /poll results id:{id}.")
    await ctx.cancel_due("poll_close", id)
    results = await _close_poll(ctx, poll)
    if results is None:
        return Reply(text=f"Poll {id} is already closed; see /poll results id:{id}.")
    await ctx.audit("poll.close", f"poll {id}")
    results.ephemeral = True
    results.text = f"Poll {id} is closed; the results are posted in the alert channels.\n" + (
        results.text
    )
    return results


@group.on_due("poll_close")
async def close_due(ctx: DueContext) -> None:
    """Close polls at their time."""
    polls = await store.get_polls(ctx.conn, [i.ref_id for i in ctx.items if i.ref_id])
    for poll in polls.values():
        if poll.state == "open":
            await _close_poll(ctx, poll)
            await ctx.repos.audit(
                poll.org_id, None, "poll.close", f"poll {poll.id}", {}, at=ctx.now
            )


@group.live_view("poll", edit_kind="poll_edit", interval=lambda config: config.polls.tally_interval)
async def channel_view(ctx: Unit, poll_id: int) -> Reply | None:
    """A poll's channel post as it should look now: its tally line, or closed. Live polls'
    posts are edited at most once per ``[polls] tally_interval``."""
    poll = await store.get_poll(ctx.repos.conn, poll_id)
    if poll is None:
        return None
    record, _ = ctx.services.orgs.by_id(poll.org_id)
    return _post(poll, await store.ballots(ctx.repos.conn, poll_id), ZoneInfo(record.timezone))


# voting ----------------------------------------------------------------------------------


def _new_ballot(
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
    if not given:
        raise MissingFields("poll vote", ["choice"])
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
        return _positions(poll, ranking, "ranking", ">")
    if choices is not None:
        picked = _positions(poll, choices, "choices", "|")
    else:
        assert choice is not None
        position = _position(poll, choice, "choice")
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
        raise ValidationError(
            "choices" if choices is not None else "choice",
            f"poll {poll.id} takes at most {poll.max_choices} options; "
            f"you have {_describe(poll, mine) or 'none'}. Click one of yours to remove it",
        )
    return picked


@group.command(
    "vote",
    options=VOTE_OPTIONS,
    form_title="Vote",
    help="Vote in a poll, or change your vote",
    read_only=True,
)
async def vote(
    ctx: Context, id: int, choice: str | None, choices: str | None, ranking: str | None
) -> Reply:
    """Store the caller's one ballot on a poll (the buttons' typed equivalent).

    The command only reads; the ballot is written after it, in a transaction of its own, so
    that nothing else (a new member, a due item) is written with it."""
    poll = await _org_poll(ctx, id)
    tz = ZoneInfo(ctx.org.timezone)
    _check_open(poll, ctx.now, tz)
    if poll.anonymous:
        _needs_secret(ctx.services)
    member = await _find_voter(ctx)
    current = None
    if member is not None:
        key = voter_key(ctx.services, poll, member.id)
        current = await store.get_ballot(ctx.repos.conn, id, key)
    ballot = _new_ballot(poll, current, choice, choices, ranking)
    _store_ballot(ctx, poll, member.id if member else None, ballot)
    closes = f" until {local_time(poll.closes_at, tz)}" if poll.closes_at else " until it closes"
    if not ballot:
        return Reply(
            text=f"You have no options chosen in poll {id} now, so you have no ballot "
            "there. Click an option to vote again."
        )
    verb = "is changed" if current else "is counted"
    more = ""
    if poll.kind == "ranked" and choice is not None and len(ballot) < len(poll.options):
        more = " Click another option to rank it next."
    return Reply(
        text=f"Your ballot in poll {id} {verb}: {_describe(poll, ballot)}.{more} "
        f"You can change it{closes}. {anonymity_line(poll)}"
    )


@group.command(
    "withdraw",
    options=[ID],
    help="Take your ballot back (or start a ranking over)",
    read_only=True,
)
async def withdraw(ctx: Context, id: int) -> Reply:
    """Remove the caller's ballot while the poll is open."""
    poll = await _org_poll(ctx, id)
    _check_open(poll, ctx.now, ZoneInfo(ctx.org.timezone))
    member = await _find_voter(ctx)
    if member is None:
        return Reply(text=f"You have no ballot in poll {id}.")
    key = voter_key(ctx.services, poll, member.id)
    if await store.get_ballot(ctx.repos.conn, id, key) is None:
        return Reply(text=f"You have no ballot in poll {id}.")
    _store_ballot(ctx, poll, member.id, None)
    again = (
        "Click the options in your order of preference."
        if poll.kind == "ranked"
        else ("You can vote again until it closes.")
    )
    return Reply(text=f"Your ballot in poll {id} is taken back. {again} {anonymity_line(poll)}")


# results, list, show ---------------------------------------------------------------------


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
    conn = ctx.repos.conn
    if poll.anonymous:
        secret = _needs_secret(ctx.services)
        profiles = await store.org_profiles(conn, ctx.org.id)
        by_key = {anonymous_key(secret, poll.id, m): p for m, p in profiles.items()}
    else:
        members = [b.member_id for b in ballots if b.member_id is not None]
        named = await store.profiles_of(conn, members)
        by_key = {_named_key(m): named.get(m, (None, None)) for m in members}
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
        text=f"{_ballots_phrase(len(ballots))}; {what} by the voters' {by} (from their "
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
    poll = await _org_poll(ctx, id)
    tz = ZoneInfo(ctx.org.timezone)
    ballots = await store.ballots(ctx.repos.conn, id)
    closed = _closed_at(poll, ctx.now) is not None
    if closed and poll.state == "open":  # its time has passed; the closing is on its way
        poll = replace(poll, state="closed", closed_at=poll.closes_at)
    if not closed and poll.results != "live":
        closes = f" ({local_time(poll.closes_at, tz)})" if poll.closes_at else ""
        return Reply(
            text=f"Poll {id}'s results are shown when it closes{closes}. "
            f"{_ballots_phrase(len(ballots))} so far. {anonymity_line(poll)}"
        )
    if by is not None:
        if poll.anonymous and not closed:
            raise ValidationError(
                "by",
                f"poll {id} is anonymous, so it is broken down only once it has closed "
                "(comparing breakdowns before and after someone votes would show their vote)",
            )
        return await _breakdown(ctx, poll, ballots, by)
    reply = await results_reply(poll, ballots, tz)
    reply.ephemeral = True
    return reply


@group.command("list", help="Open polls, and the latest closed ones", read_only=True)
async def list_polls(ctx: Context) -> Reply:
    """Polls to vote in now, and recently closed ones."""
    found = await store.org_polls(ctx.repos.conn, ctx.org.id, ("open", "closed"))
    open_polls = [p for p in found if _closed_at(p, ctx.now) is None]
    closed = [p for p in found if _closed_at(p, ctx.now) is not None][:5]
    polls = open_polls + closed
    if not polls:
        return Reply(text="There are no polls yet.")
    counts = await store.ballot_counts(ctx.repos.conn, [p.id for p in polls])
    tz = ZoneInfo(ctx.org.timezone)
    rows = []
    for p in polls:
        shut = _closed_at(p, ctx.now)
        when = (
            f"closed {local_time(shut, tz)}"
            if shut
            else (local_time(p.closes_at, tz) if p.closes_at else "by an organizer")
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
    poll = await _org_poll(ctx, id)
    tz = ZoneInfo(ctx.org.timezone)
    if _closed_at(poll, ctx.now) is not None and poll.state == "open":
        poll = replace(poll, state="closed", closed_at=poll.closes_at)
    ballots = await store.ballots(ctx.repos.conn, id)
    reply = _post(poll, ballots, tz)
    options = "\n".join(f"{n}. {o}" for n, o in enumerate(poll.options, 1))
    member = await _find_voter(ctx)
    mine = None
    if member is not None:
        mine = await store.get_ballot(ctx.repos.conn, id, voter_key(ctx.services, poll, member.id))
    yours = f"Your ballot: {_describe(poll, mine)}." if mine else "You have not voted."
    reply.text = f"{options}\n\n{reply.text}\n{yours}"
    reply.ephemeral = True
    return reply


# privacy and the digest ------------------------------------------------------------------


async def _anonymous_ballots(
    ctx: Context, member_id: int
) -> dict[tuple[int, str], tuple[int, ...]]:
    """A member's anonymous ballots, found by making their key for every anonymous poll."""
    secret = ctx.services.ballot_secret
    if secret is None:
        return {}
    polls = await store.anonymous_poll_ids(ctx.repos.conn)
    keys = [(p, anonymous_key(secret, p, member_id)) for p in polls]
    return await store.ballots_by_keys(ctx.repos.conn, keys)


@group.on_export
async def export(ctx: Context, member_id: int) -> list[dict[str, object]]:
    """A member's ballots, named and anonymous (found with the ballot secret), for the member."""
    conn = ctx.repos.conn
    found = {(p, k): c for p, k, c in await store.named_ballots(conn, member_id)}
    found.update(await _anonymous_ballots(ctx, member_id))
    polls = await store.get_polls(conn, [p for p, _ in found])
    return [
        {
            "poll": poll_id,
            "question": polls[poll_id].question,
            "anonymous": polls[poll_id].anonymous,
            "ballot": [polls[poll_id].options[i] for i in choices],
        }
        for (poll_id, _), choices in sorted(found.items())
    ]


@group.on_erase
async def erase(ctx: Context, member_id: int) -> None:
    """Ballots stay counted, under a random key no one can link to anybody, ever."""
    conn = ctx.repos.conn
    pairs = [(p, k) for p, k, _ in await store.named_ballots(conn, member_id)]
    pairs += list(await _anonymous_ballots(ctx, member_id))
    for poll_id, key in pairs:
        await store.rekey_ballot(conn, poll_id, key, _orphan_key(), None)


@group.on_merge
async def merge(ctx: Context, keep: int, drop: int) -> None:
    """One person, one ballot: ``drop``'s ballots become ``keep``'s, except where ``keep`` has
    voted too, where ``keep``'s ballot stays and ``drop``'s goes."""
    conn = ctx.repos.conn
    moves: list[tuple[int, str, str, int | None]] = []
    for poll_id, key, _ in await store.named_ballots(conn, drop):
        moves.append((poll_id, key, _named_key(keep), keep))
    secret = ctx.services.ballot_secret
    if secret is not None:
        for poll_id in await store.anonymous_poll_ids(conn):
            moves.append(
                (
                    poll_id,
                    anonymous_key(secret, poll_id, drop),
                    anonymous_key(secret, poll_id, keep),
                    None,
                )
            )
    await store.move_created_polls(conn, drop, keep)
    present = await store.ballots_by_keys(
        conn, [(p, k) for p, old, new, _ in moves for k in (old, new)]
    )
    for poll_id, old, new, member in moves:
        if (poll_id, old) not in present:
            continue
        if (poll_id, new) in present:
            await store.remove_ballot(conn, poll_id, old)
        else:
            await store.rekey_ballot(conn, poll_id, old, new, member)


@group.on_digest
async def digest(ctx: DueContext, org_id: int, since: datetime) -> list[str]:
    """Open polls with their ballots and closing times."""
    polls = [
        p
        for p in await store.org_polls(ctx.conn, org_id, ("open",))
        if _closed_at(p, ctx.now) is None
    ]
    if not polls:
        return []
    counts = await store.ballot_counts(ctx.conn, [p.id for p in polls])
    tz = ZoneInfo(ctx.services.orgs.by_id(org_id)[0].timezone)
    lines = ["Open polls:"]
    for p in polls:
        closes = f", closes {local_time(p.closes_at, tz)}" if p.closes_at else ""
        shown = "anonymous" if p.anonymous else "not anonymous"
        lines.append(
            f"• Poll {p.id}: {p.question} ({shown}): {_ballots_phrase(counts[p.id])}{closes}"
        )
    return ["\n".join(lines)]

"""The /poll commands: create, close, vote, withdraw, results (whole or broken down by
state or classification), list and show.

A ballot has no id and no time. On PostgreSQL every row keeps the id of the transaction
that wrote it (``xmin``), so a vote only reads in its command's unit of work and the ballot
is written after it, in a transaction of its own: no member, outbox or due-item row shares
its write. SQLite keeps no transaction id with a row, and the order its WAL keeps links a
member's row to their ballot just as much whether they were written in one transaction or
in two after each other; so there the vote is one unit of work (``UnitOfWork.apart``): the
poll read under the single writer, the member stored if new, the ballot written and the live
tally scheduled, committed together (and with other voters' units, by group commit).
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot import posts
from bot.context import Context
from bot.errors import MissingFields, PermissionDenied, UserError, ValidationError
from bot.registry import Role
from bot.reply import Reply
from bot.timefmt import Moment, TimedText, local_time
from bot.when import parse_moment
from bot.wording import counted
from commands.polls import group
from commands.polls.due import close_poll
from commands.polls.keys import needs_secret, voter_key
from commands.polls.options import (
    CREATE_OPTIONS,
    EDIT_OPTIONS,
    EXTEND_OPTIONS,
    ID,
    TEMPLATES,
    VOTE_OPTIONS,
)
from commands.polls.render import (
    anonymity_line,
    kind_line,
    poll_post,
)
from commands.polls.rules import check_open, closed_at, describe_ballot, new_ballot
from storage import members
from storage import polls as store
from storage.members import MemberRecord
from storage.polls import PollRecord


async def org_poll(ctx: Context, poll_id: int) -> PollRecord:
    poll = await store.get_poll(ctx.conn, poll_id)
    if poll is None or poll.org_id != ctx.org.id:
        raise ValidationError("id", f"there is no poll {poll_id} here; see /poll list")
    return poll


async def find_voter(ctx: Context) -> MemberRecord | None:
    """The caller as a member if stored, asked of the database (not the process's memory,
    which may be a moment behind a merge)."""
    return await members.find_member(ctx.conn, ctx.invocation.platform, ctx.invocation.user_id)


async def _store_ballot(
    ctx: Context, poll: PollRecord, member_id: int | None, choices: list[int] | None
) -> None:
    """Apart from the command's unit of work (``UnitOfWork.apart``): store the caller as a
    member if they are new; write (or, with no choices, remove) the ballot in a unit that
    writes nothing else, the poll held open against a closing meanwhile; then schedule the
    live tally. On PostgreSQL these are three transactions once the command's (read-only)
    unit has ended; on SQLite they are written in the command's unit."""
    await ctx.apart(lambda: _write_ballot(ctx, poll, member_id, choices))


async def _write_ballot(
    ctx: Context, poll: PollRecord, member_id: int | None, choices: list[int] | None
) -> None:
    inv = ctx.invocation
    if member_id is None:
        # The command found no member for the account: stored without asking again. On
        # PostgreSQL a second click that stored them meanwhile breaks the account's unique
        # key, and the dispatcher runs the vote once more, finding them; on SQLite the
        # writer, held since the command's reads, lets no other click in between.
        async with ctx.separate() as unit:
            name = inv.display_name or inv.user_id
            member, _ = await members.create_member(
                unit.conn, inv.platform, inv.user_id, name, ctx.org.id
            )
            member_id = member.id
    key = voter_key(ctx.services, poll, member_id)
    async with ctx.separate() as unit:
        fresh = await store.get_poll(unit.conn, poll.id, lock=True)
        if fresh is None:
            raise ValidationError("id", f"there is no poll {poll.id} here; see /poll list")
        check_open(fresh, unit.now, ZoneInfo(ctx.org.timezone))
        if choices:
            named = None if poll.anonymous else member_id
            await store.put_ballot(unit.conn, poll.id, key, named, choices)
        else:
            await store.remove_ballot(unit.conn, poll.id, key)
    if poll.results == "live":
        async with ctx.separate() as unit:
            await posts.refresh_soon(unit, "poll", poll.id, org_id=ctx.org.id)


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
        needs_secret(ctx.services, "anonymous")
    tz = ZoneInfo(ctx.org.timezone)
    closes_at = parse_moment(closes, "closes", ctx.now, tz) if closes else None
    if closes_at is None and not organizer:
        # a member's poll does not stay open for ever: no organizer may be watching it
        closes_at = ctx.now + timedelta(days=ctx.services.config.polls.member_poll_days)
    member = await ctx.member()
    if not organizer:
        await _check_poll_quota(ctx, member.id, tz)
    poll = await store.create_poll(
        ctx.conn,
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
        poll_post(poll, [], tz, now=ctx.now),
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
    where = posts.place_names(posted, ctx.org_config) or "no channel (none is configured)"
    when: tuple[str | Moment, ...] = (
        ("It closes ", Moment(closes_at, tz.key, now=ctx.now)) if closes_at else ("Close it with",)
    )
    if closes_at is not None and not closes:
        days = ctx.services.config.polls.member_poll_days
        when += (
            f" (members' polls close after {counted(days, 'day')}; closes: sets another time)",
        )
    close_hint = (
        f"; or earlier with /poll close id:{poll.id}."
        if closes_at
        else (f" /poll close id:{poll.id}.")
    )
    return Reply(
        title=f"Poll {poll.id} is posted",
        text=TimedText(
            f"“{question}” is posted in ",
            where,
            f".\n{kind_line(poll)}\n{anonymity_line(poll)}\n",
            *when,
            close_hint,
        ),
    )


async def _check_poll_quota(ctx: Context, member_id: int, tz: ZoneInfo) -> None:
    """Refuse a member (not an organizer) who has created ``[limits] member_polls_per_day``
    polls in the last 24 hours; counted under the member's row lock, so that a burst of
    commands at once cannot pass the limit."""
    await members.lock_member(ctx.conn, member_id)
    quota = ctx.services.config.limits.member_polls_per_day
    created = await store.created_since(ctx.conn, member_id, ctx.now - timedelta(days=1))
    if len(created) >= quota:
        # the oldest of the last day's polls leaves the window first
        freed = created[len(created) - quota] + timedelta(days=1)
        most = "the most" if len(created) == quota else f"more than the {quota}"
        raise UserError(
            f"You have created {counted(len(created), 'poll')} in the "
            f"last 24 hours, {most} one member may create a day; you can create the next "
            f"one from {local_time(freed, tz, now=ctx.now)}, or ask an organizer to create it."
        )


async def _creator_or_organizer(ctx: Context, command: str, id: int) -> PollRecord:
    """The poll, for its creator or an organizer; anyone else is refused."""
    poll = await org_poll(ctx, id)
    if await ctx.effective_role() < Role.ORGANIZER:
        member = await find_voter(ctx)
        creator = await store.poll_creator(ctx.conn, id)
        if member is None or creator != member.id:
            raise PermissionDenied(
                f"/poll {command} needs the organizer role, or to have created poll {id}; "
                f"you have the {ctx.role.label} role here."
            )
    return poll


async def _refresh_posts(ctx: Context, poll: PollRecord, change: str) -> None:
    """Edit the poll's channel posts now, so every announcement shows the change."""
    stamp = int(ctx.now.timestamp() * 1_000_000)
    await posts.refresh(ctx, "poll", {poll.id: f"poll:{poll.id}:{change}:{stamp}"})


@group.command(
    "edit",
    options=EDIT_OPTIONS,
    form_title="Edit poll",
    help="Change a poll's question or options before the first vote (your own poll; "
    "organizers: any)",
)
async def edit(
    ctx: Context, id: int, question: str | None, options: tuple[str, ...] | None
) -> Reply:
    """Change the question or the options of a poll nobody has voted in yet; its posts are
    edited to match."""
    poll = await _creator_or_organizer(ctx, "edit", id)
    if question is None and options is None:
        raise MissingFields("poll edit", ["question", "options"])
    tz = ZoneInfo(ctx.org.timezone)
    if closed_at(poll, ctx.now) is not None:
        raise ValidationError("id", f"poll {id} is closed; it can no longer be edited")
    new_options = options or poll.options
    if poll.kind == "multiple" and poll.max_choices and poll.max_choices > len(new_options):
        raise ValidationError(
            "options",
            f"poll {id} lets a member pick up to {poll.max_choices}, so it needs at least "
            f"{poll.max_choices} options (got {len(new_options)})",
        )
    new_question = question or poll.question
    if not await store.edit_poll(ctx.conn, id, question=new_question, options=list(new_options)):
        raise ValidationError(
            "id",
            f"poll {id} has votes; it can no longer be edited (a poll is edited only before "
            "the first vote)",
        )
    await ctx.audit(
        "poll.edit", f"poll {id}", question=new_question, options=" | ".join(new_options)
    )
    await _refresh_posts(ctx, poll, "edited")
    closing = ("\nIt closes ", Moment(poll.closes_at, tz.key, now=ctx.now), ".")
    return Reply(
        title=f"Poll {id} is changed",
        text=TimedText(
            f"“{new_question}”: {' · '.join(new_options)}.\n"
            f"Its posts in the alert channels are updated. {anonymity_line(poll)}",
            *(closing if poll.closes_at else ()),
        ),
    )


@group.command(
    "extend",
    options=EXTEND_OPTIONS,
    help="Move a poll's closing time later (your own poll; organizers: any)",
)
async def extend(ctx: Context, id: int, closes: str) -> Reply:
    """Close an open poll later than set: its closing is moved and its posts edited."""
    poll = await _creator_or_organizer(ctx, "extend", id)
    tz = ZoneInfo(ctx.org.timezone)
    shut = closed_at(poll, ctx.now)
    if shut is not None:
        raise ValidationError(
            "id",
            f"poll {id} closed on {local_time(shut, tz, now=ctx.now)}; a closed poll cannot "
            "be extended",
        )
    closes_at = parse_moment(closes, "closes", ctx.now, tz)
    if poll.closes_at is not None and closes_at <= poll.closes_at:
        raise ValidationError(
            "closes",
            f"must be later than the poll's current closing time, "
            f"{local_time(poll.closes_at, tz, now=ctx.now)}",
        )
    if not await store.set_closes_at(ctx.conn, id, closes_at):
        raise ValidationError("id", f"poll {id} is closed; a closed poll cannot be extended")
    await ctx.reschedule(
        kind="poll_close",
        due_at=closes_at,
        key=f"poll:{id}:close",
        ref_id=id,
        org_id=poll.org_id,
    )
    await ctx.audit("poll.extend", f"poll {id}", closes=closes_at.isoformat())
    await _refresh_posts(ctx, poll, "extended")
    return Reply(
        text=TimedText(
            f"Poll {id} now closes ",
            Moment(closes_at, tz.key, now=ctx.now),
            "; its posts in the alert channels are updated.",
        )
    )


@group.command(
    "close",
    options=[ID],
    help="Close a poll now and post its results (your own poll; organizers: any)",
)
async def close(ctx: Context, id: int) -> Reply:
    """Close a poll by command: results posted with a chart, buttons closed. Its creator may
    close it; organizers may close any poll."""
    poll = await _creator_or_organizer(ctx, "close", id)
    if poll.state == "closed":
        return Reply(text=f"Poll {id} is already closed; see /poll results id:{id}.")
    await ctx.cancel_due("poll_close", id)
    results = await close_poll(ctx, poll)
    if results is None:
        return Reply(text=f"Poll {id} is already closed; see /poll results id:{id}.")
    await ctx.audit("poll.close", f"poll {id}")
    results.ephemeral = True
    results.text = TimedText(
        f"Poll {id} is closed; the results are posted in the alert channels.\n", results.text
    )
    return results


@group.command(
    "vote",
    options=VOTE_OPTIONS,
    form_title="Vote",
    help="Vote in a poll, or change your vote",
    writes_apart=True,
)
async def vote(
    ctx: Context, id: int, choice: str | None, choices: str | None, ranking: str | None
) -> Reply:
    """Store the caller's one ballot on a poll (the buttons' typed equivalent).

    The ballot is written apart (``_store_ballot``): on PostgreSQL in a transaction of its
    own after the command's, which only reads, so that nothing else (a new member, a due
    item) is written with it; on SQLite in the command's unit of work."""
    poll = await org_poll(ctx, id)
    tz = ZoneInfo(ctx.org.timezone)
    check_open(poll, ctx.now, tz)
    if poll.anonymous:
        needs_secret(ctx.services)
    member = await find_voter(ctx)
    current = None
    if member is not None:
        key = voter_key(ctx.services, poll, member.id)
        current = await store.get_ballot(ctx.conn, id, key)
    ballot = new_ballot(poll, current, choice, choices, ranking)
    await _store_ballot(ctx, poll, member.id if member else None, ballot)
    closes = (
        (" until ", Moment(poll.closes_at, tz.key, now=ctx.now))
        if poll.closes_at
        else (" until it closes",)
    )
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
        text=TimedText(
            f"Your ballot in poll {id} {verb}: {describe_ballot(poll, ballot)}.{more} "
            "You can change it",
            *closes,
            f". {anonymity_line(poll)}",
        )
    )


@group.command(
    "withdraw",
    options=[ID],
    help="Take your ballot back (or start a ranking over)",
    writes_apart=True,
)
async def withdraw(ctx: Context, id: int) -> Reply:
    """Remove the caller's ballot while the poll is open."""
    poll = await org_poll(ctx, id)
    check_open(poll, ctx.now, ZoneInfo(ctx.org.timezone))
    member = await find_voter(ctx)
    if member is None:
        return Reply(text=f"You have no ballot in poll {id}.")
    key = voter_key(ctx.services, poll, member.id)
    if await store.get_ballot(ctx.conn, id, key) is None:
        return Reply(text=f"You have no ballot in poll {id}.")
    await _store_ballot(ctx, poll, member.id, None)
    again = (
        "Click the options in your order of preference."
        if poll.kind == "ranked"
        else ("You can vote again until it closes.")
    )
    return Reply(text=f"Your ballot in poll {id} is taken back. {again} {anonymity_line(poll)}")

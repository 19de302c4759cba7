"""A poll's scheduled work: closing at its time (results posted with a chart, buttons
closed), its channel post as a live view refreshed as ballots come in, and its lines in the
weekly digest."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import posts
from bot.digests import digest_section
from bot.reply import Reply
from bot.scheduler import DueContext
from bot.timefmt import Moment, TimedText
from bot.unit import UnitOfWork
from commands.polls import group
from commands.polls.render import ballots_phrase, poll_post, results_reply
from commands.polls.rules import closed_at
from storage import audit
from storage import polls as store
from storage.polls import PollRecord


async def close_poll(ctx: UnitOfWork, poll: PollRecord) -> Reply | None:
    """Close a poll: post its results with a chart in every alert channel and close the
    buttons of its posts. None if it was closed already."""
    conn = ctx.conn
    if not await store.mark_closed(conn, poll.id, ctx.now):
        return None
    closed = replace(poll, state="closed", closed_at=ctx.now)
    record, org = ctx.services.orgs.by_id(poll.org_id)
    results = await results_reply(
        closed, await store.ballots(conn, poll.id), ZoneInfo(record.timezone), now=ctx.now
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


@group.on_due("poll_close")
async def close_due(ctx: DueContext) -> None:
    """Close polls at their time."""
    polls = await store.get_polls(ctx.conn, [i.ref_id for i in ctx.items if i.ref_id])
    for poll in polls.values():
        if poll.state == "open":
            await close_poll(ctx, poll)
            await audit.add_entry(
                ctx.conn, poll.org_id, None, "poll.close", f"poll {poll.id}", {}, at=ctx.now
            )


@group.live_view("poll", edit_kind="poll_edit", interval=lambda config: config.polls.tally_interval)
async def channel_view(ctx: UnitOfWork, poll_id: int) -> Reply | None:
    """A poll's channel post as it should look now: its tally line, or closed. Live polls'
    posts are edited at most once per ``[polls] tally_interval``."""
    poll = await store.get_poll(ctx.conn, poll_id)
    if poll is None:
        return None
    record, _ = ctx.services.orgs.by_id(poll.org_id)
    ballots = await store.ballots(ctx.conn, poll_id)
    return poll_post(poll, ballots, ZoneInfo(record.timezone), now=ctx.now)


@group.on_digest
async def digest(ctx: DueContext, org_id: int, since: datetime) -> list[str]:
    """Open polls with their ballots and closing times."""
    polls = [
        p
        for p in await store.org_polls(ctx.conn, org_id, ("open",))
        if closed_at(p, ctx.now) is None
    ]
    return await digest_section(
        ctx, org_id, "Open polls:", polls, store.ballot_counts, _digest_line
    )


def _digest_line(p: PollRecord, ballots: int, tz: ZoneInfo, now: datetime) -> str:
    closes = (", closes ", Moment(p.closes_at, tz.key, now=now)) if p.closes_at else ()
    shown = "anonymous" if p.anonymous else "not anonymous"
    return TimedText(f"• Poll {p.id}: {p.question} ({shown}): {ballots_phrase(ballots)}", *closes)

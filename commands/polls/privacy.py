"""A member's ballots under /privacy: exported (anonymous ones found with the ballot
secret), erased (kept counted under a key no one can link to anybody) and merged when two
accounts are one person (one ballot per poll)."""

from __future__ import annotations

from bot.context import Context
from commands.polls import group
from commands.polls.keys import anonymous_key, named_key, orphan_key
from storage import polls as store


async def _anonymous_ballots(
    ctx: Context, member_id: int
) -> dict[tuple[int, str], tuple[int, ...]]:
    """A member's anonymous ballots, found by making their key for every anonymous poll."""
    secret = ctx.services.ballot_secret
    if secret is None:
        return {}
    polls = await store.anonymous_poll_ids(ctx.conn)
    keys = [(p, anonymous_key(secret, p, member_id)) for p in polls]
    return await store.ballots_by_keys(ctx.conn, keys)


@group.on_export
async def export(ctx: Context, member_id: int) -> list[dict[str, object]]:
    """A member's ballots, named and anonymous (found with the ballot secret), for the member."""
    conn = ctx.conn
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
    conn = ctx.conn
    pairs = [(p, k) for p, k, _ in await store.named_ballots(conn, member_id)]
    pairs += list(await _anonymous_ballots(ctx, member_id))
    for poll_id, key in pairs:
        await store.rekey_ballot(conn, poll_id, key, orphan_key(), None)


@group.on_merge
async def merge(ctx: Context, keep: int, drop: int) -> None:
    """One person, one ballot: ``drop``'s ballots become ``keep``'s, except where ``keep`` has
    voted too, where ``keep``'s ballot stays and ``drop``'s goes."""
    conn = ctx.conn
    moves: list[tuple[int, str, str, int | None]] = []
    for poll_id, key, _ in await store.named_ballots(conn, drop):
        moves.append((poll_id, key, named_key(keep), keep))
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

"""Benchmark: a burst of 1,000 anonymous ballots, and instant runoff over 100,000 ballots.

(1) 1,000 members vote at once in an anonymous ranked poll (asyncio tasks through the
dispatcher), each a second time right after to change their ballot: time per vote (p50, p99)
and in all, against 2,000 bare one-row insert transactions started at once on the same
database in the same run (their total and p99); ``--db postgresql+asyncpg://…`` runs it on
PostgreSQL (a schema of its own). (2) ``instant_runoff`` over 100,000 random ranked ballots
of 20 options, against a plain first-choice count of the same ballots in the same run. The
last line is JSON.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchdb import bench_database  # noqa: E402
from bench.common import (  # noqa: E402
    burst_figures,
    burst_json,
    burst_line,
    counts_parser,
    person,
    start_app,
)
from bot.config import Config, PollsConfig, demo_org  # noqa: E402
from commands.polls.count import instant_runoff, plurality  # noqa: E402
from storage.db import Database  # noqa: E402

OPTIONS = ("Compensation", "Benefits", "PD funding", "Power", "MLIS pathways", "Credentials")


async def vote_burst(db: Database, members: int) -> dict[str, float]:
    config = Config(orgs=[demo_org()], polls=PollsConfig(ballot_secret="bench-secret-0123456789"))
    app = await start_app(db, config)
    dispatch = app.dispatcher
    await dispatch.handle_text(
        person("olu", "organizer"),
        f'/poll create question:"What first?" options:"{" | ".join(OPTIONS)}" kind:ranked',
    )
    rng = random.Random(7)

    async def vote(n: int) -> list[float]:
        who = person(f"member{n}")
        took = []
        for _ in range(2):
            ranking = " > ".join(rng.sample(OPTIONS, 3))
            began = time.perf_counter()
            reply = await dispatch.handle_text(who, f'/poll vote id:1 ranking:"{ranking}"')
            if reply.error:
                raise SystemExit(f"unexpected answer: {reply.text}")
            took.append(time.perf_counter() - began)
        return took

    async def every_vote() -> list[float]:
        pairs = await asyncio.gather(*(vote(n) for n in range(members)))
        return [t for pair in pairs for t in pair]

    return await burst_figures(
        app,
        every_vote(),
        count="SELECT count(*) FROM poll_ballots",
        insert="INSERT INTO poll_ballots (poll_id, voter_key, choices) VALUES (1, ?, '[0]')",
        rows=((f"bench{n:059d}",) for n in range(2 * members)),
        expected=members,
        shortfall=f"{{stored}} ballots stored for {members} members",
    )


def runoff_count(ballots: int, options: int) -> dict[str, float]:
    rng = random.Random(11)
    weights = [options - i for i in range(options)]
    data = []
    for _ in range(ballots):
        depth = rng.randint(1, options)
        ranked = list(dict.fromkeys(rng.choices(range(options), weights, k=depth)))
        data.append(ranked)
    began = time.perf_counter()
    result = instant_runoff(data, options)
    irv = time.perf_counter() - began
    began = time.perf_counter()
    plurality([b[:1] for b in data], options)
    first = time.perf_counter() - began
    return {"irv_s": irv, "first_s": first, "rounds": len(result.rounds)}


async def main() -> None:
    args = counts_parser(
        __doc__,
        db_help="a database URL for the burst (default: a SQLite file)",
        voters=1000,
        ballots=100_000,
    ).parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        async with bench_database(args.db, Path(tmp)) as db:
            burst = await vote_burst(db, args.voters)
            backend = db.dialect
    count = runoff_count(args.ballots, 20)
    print(
        f"{args.voters:,} members voting twice at once ({backend}): "
        + burst_line(burst, f"{burst['stored']:,} ballots stored", "vote")
    )
    print(
        f"instant runoff over {args.ballots:,} ballots of 20 options: "
        f"{count['irv_s'] * 1000:.0f} ms in {count['rounds']} rounds; a first-choice count of "
        f"the same ballots: {count['first_s'] * 1000:.0f} ms"
    )
    print(
        json.dumps(
            {
                "bench": "polls",
                "db": backend,
                "voters": args.voters,
                "ballots_stored": burst["stored"],
                **burst_json(burst, "vote"),
                "runoff_ballots": args.ballots,
                "runoff_ms": round(count["irv_s"] * 1000, 1),
                "runoff_rounds": count["rounds"],
                "runoff_ratio_to_first_choice_count": round(count["irv_s"] / count["first_s"], 2),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())

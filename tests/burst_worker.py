"""A burst shared by two bot processes on one PostgreSQL schema: the same members clicking in
both at once.

``prepare`` creates, through the dispatcher, a sign-on alert (sent), an event of limited
capacity and an anonymous single-choice poll. ``python -m tests.burst_worker --db URL
--schema S --members N --side 0|1`` starts the application on that schema (nothing in the
background), prints ``ready``, waits for a line on its input, then runs its half of the
burst all at once (``--side 2``: the whole burst, one process alone) and prints one JSON
line: its answers' times, what was refused, how many commands ran once more after a
constraint stopped them, and its own CPU seconds. Member ``m<n>`` signs in one process and
says Going in the other, and votes where they signed, so every member's first contact
happens in both processes at once; a quarter of them also sign, say Going or vote a second
time in the other process (a double click landing on both). ``check`` then counts what is
stored and compares it with the bot's own tallies and with what was clicked.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.app import Application
from bot.clock import MovableClock
from bot.config import Config, PollsConfig, demo_org
from bot.context import Invocation
from commands.polls.count import plurality
from rallybot.groups import default_groups
from storage import alerts, events, polls
from storage.db import Database
from storage.models import AlertResponse, EventRsvp, Identity, Member, OrgMember, PollBallot

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
OPTIONS = ("Compensation", "Benefits", "Staffing")
#: every process needs the same secret for anonymous ballots
BALLOT_SECRET = "two-processes-secret-0123456789"


def config() -> Config:
    """The demo organization, with the ballot secret both processes share."""
    return Config(orgs=[demo_org()], polls=PollsConfig(ballot_secret=BALLOT_SECRET))


def person(name: str, role: str = "member") -> Invocation:
    """Someone at the console of the demo organization."""
    return Invocation(
        platform="console",
        space_id="demo",
        channel_id="general",
        user_id=name,
        display_name=name,
        platform_roles=frozenset({role}),
        console=True,
    )


def application(db: Database) -> Application:
    """The application on ``db``, its clock frozen, nothing in the background."""
    return Application(
        config(), groups=default_groups(), clock=MovableClock(NOW, frozen=True), db=db
    )


def commands_of(side: int, members: int) -> list[tuple[str, str]]:
    """The (member, command) pairs process ``side`` runs, in member order."""
    found = []
    for n in range(members):
        name = f"m{n}"
        sign = "/alert sign id:1"
        going = "/event rsvp id:1 status:going"
        vote = f"/poll vote id:1 choice:{OPTIONS[n % len(OPTIONS)]}"
        mine = n % 2 == side
        if mine:
            found += [(name, sign), (name, vote)]
        else:
            found.append((name, going))
        # a quarter click once more, in the other process
        twice = {0: sign, 1: going, 2: vote}.get(n % 4)
        if twice is not None and (twice == going) == mine:
            found.append((name, twice))
    return found


def expected_votes(members: int) -> Counter[int]:
    """The first choices the burst casts, by option."""
    return Counter(n % len(OPTIONS) for n in range(members))


async def prepare(db: Database, capacity: int) -> None:
    """The alert (sent), the event and the poll the burst answers."""
    app = application(db)
    await app.start(background=False)
    organizer = person("olu", "organizer")
    try:
        for command in (
            '/alert create title:"Save the library jobs" body:"Sign the letter." '
            'kind:sign-on deadline:"in 3 days"',
            "/alert send id:1",
            '/event create title:"Legislative day" kind:meeting start:"2027-04-12 09:00" '
            f"capacity:{capacity}",
            f'/poll create question:"What first?" options:"{" | ".join(OPTIONS)}"',
        ):
            reply = await app.dispatcher.handle_text(organizer, command)
            if reply.error:
                raise RuntimeError(f"{command}: {reply.text}")
        await app.settle()
    finally:
        await app.stop()


async def check(db: Database, members: int, capacity: int) -> dict[str, Any]:
    """What the burst stored, against the bot's tallies and what was clicked; ``problems``
    lists every difference."""
    problems: list[str] = []
    async with db.reading() as conn:

        async def scalar(query: Any) -> int:
            return int((await conn.execute(query)).scalar_one())

        identities = await scalar(
            select(func.count()).select_from(Identity).where(Identity.user_id.like("m%"))
        )
        accounts = await scalar(
            select(func.count(func.distinct(Identity.user_id))).where(Identity.user_id.like("m%"))
        )
        people = await scalar(select(func.count()).select_from(Member))
        in_org = await scalar(select(func.count()).select_from(OrgMember))
        signed = await scalar(
            select(func.count()).select_from(AlertResponse).where(AlertResponse.kind == "signed")
        )
        signers = await scalar(select(func.count(func.distinct(AlertResponse.member_id))))
        rsvps = Counter(
            dict(
                (
                    await conn.execute(
                        select(EventRsvp.status, func.count()).group_by(EventRsvp.status)
                    )
                ).all()
            )
        )
        answering = await scalar(select(func.count(func.distinct(EventRsvp.member_id))))
        places = await scalar(
            select(func.count(func.distinct(EventRsvp.waitlist_seq))).where(
                EventRsvp.status == "waitlisted"
            )
        )
        ballots = await scalar(select(func.count()).select_from(PollBallot))
        alert_tally = await alerts.counts(conn, 1)
        event_tally = (await events.counts_of(conn, [1]))[1]
        poll_count = (await polls.ballot_counts(conn, [1]))[1]
        firsts = plurality([b.choices[:1] for b in await polls.ballots(conn, 1)], len(OPTIONS))
    going = min(capacity, members)
    want = {
        "identities": (identities, members),
        "accounts": (accounts, members),
        "members (and the organizer)": (people, members + 1),
        "organization memberships": (in_org, members + 1),
        "signatures": (signed, members),
        "signers": (signers, members),
        "alert tally": (alert_tally.signed, signed),
        "rsvps": (sum(rsvps.values()), members),
        "people answering the event": (answering, members),
        "going": (rsvps["going"], going),
        "waitlisted": (rsvps["waitlisted"], members - going),
        "places in line": (places, members - going),
        "event tally going": (event_tally["going"], rsvps["going"]),
        "event tally waitlisted": (event_tally["waitlisted"], rsvps["waitlisted"]),
        "ballots": (ballots, members),
        "poll tally": (poll_count, ballots),
        "first choices": (dict(enumerate(firsts)), dict(sorted(expected_votes(members).items()))),
    }
    for what, (found, expected) in want.items():
        if found != expected:
            problems.append(f"{what}: {found}, expected {expected}")
    return {
        "identities": identities,
        "signatures": signed,
        "going": rsvps["going"],
        "waitlisted": rsvps["waitlisted"],
        "ballots": ballots,
        "problems": problems,
    }


class Side:
    """One of the two processes, started from the checkout ``root``."""

    def __init__(self, root: Path, url: str, schema: str, members: int, side: int) -> None:
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "tests.burst_worker", "--db", url, "--schema", schema),
                *("--members", str(members), "--side", str(side)),
            ],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ready(self) -> None:
        """Wait for the process to be ready for the burst."""
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line != "ready\n":
            self.proc.kill()
            raise RuntimeError(f"the process did not start: {line!r}")

    def go(self) -> None:
        """Start its half of the burst."""
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def result(self, timeout: float = 300) -> dict[str, Any]:
        """Its figures, once it has run its half and ended."""
        out, _ = self.proc.communicate(timeout=timeout)
        if self.proc.returncode != 0:
            raise RuntimeError(f"the process ended with {self.proc.returncode}")
        return json.loads(out.strip().splitlines()[-1])


def cpu_seconds() -> float:
    """This process's CPU seconds so far (user and system)."""
    times = os.times()
    return times.user + times.system


class Retried(logging.Handler):
    """Counts the commands the dispatcher ran once more after a constraint stopped them (a
    first contact another process made at the same moment)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "hit a constraint" in record.getMessage():
            self.count += 1


async def run_side(url: str, schema: str, members: int, side: int) -> None:
    retried = Retried()
    dispatch_log = logging.getLogger("bot.dispatch")
    dispatch_log.addHandler(retried)
    dispatch_log.setLevel(logging.INFO)
    db = Database(url, schema=schema)
    app = application(db)
    await app.start(background=False)
    todo = (
        commands_of(side, members)
        if side < 2
        else commands_of(0, members) + commands_of(1, members)
    )
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, input)
    refusals: list[str] = []

    async def one(name: str, command: str) -> float:
        began = time.perf_counter()
        reply = await app.dispatcher.handle_text(person(name), command)
        if reply.error:
            refusals.append(f"{name} {command}: {reply.text}")
        return time.perf_counter() - began

    cpu = cpu_seconds()
    began = time.perf_counter()
    latencies = await asyncio.gather(*(one(name, command) for name, command in todo))
    seconds = time.perf_counter() - began
    cpu = cpu_seconds() - cpu
    await app.stop()
    await db.dispose()
    print(
        json.dumps(
            {
                "side": side,
                "commands": len(todo),
                "seconds": seconds,
                "cpu_s": cpu,
                "latencies": latencies,
                "refusals": refusals,
                "retried": retried.count,
            }
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--schema", required=True)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--side", type=int, choices=(0, 1, 2), required=True, help="2: both")
    args = parser.parse_args()
    asyncio.run(run_side(args.db, args.schema, args.members, args.side))


if __name__ == "__main__":
    main()

"""Benchmark: two bot processes on one PostgreSQL schema sharing a burst of the same members.

``--members`` (200) members each sign an alert, say Going to an event of ``--capacity``
(120) places and vote in a poll: 600 commands, plus a second click landing on the other
process for a quarter of them. Each member's first contact happens in both processes at
once (``tests/burst_worker.py`` has the scenario and its checks). Afterwards: one member
and one identity per person, one signature, RSVP and ballot each, the capacity held, the
bot's tallies equal to the rows; the benchmark ends with an error otherwise.

What bounds throughput on this machine is measured while the burst runs: the CPU seconds
of the two bot processes (their own ``os.times``) and of their PostgreSQL backends
(``/proc/<pid>/stat``, found through ``pg_stat_activity`` and the processes' sockets), the
machine's CPU in all (``/proc/stat``, other work included), and samples of what the
backends were doing (``pg_stat_activity``: on CPU, waiting on a lock, or idle in a
transaction while the bot process works). The baseline, in the same run on a fresh schema,
is the whole burst in one process. The last line is JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchdb import bench_database  # noqa: E402
from bench.common import counts_parser, percentile  # noqa: E402
from tests.burst_worker import Side, check, prepare  # noqa: E402

PG_URL = os.environ.get(
    "RALLYBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
TICK = os.sysconf("SC_CLK_TCK")


def cpu_of(pid: int) -> float | None:
    """CPU seconds (user and system) of process ``pid``, None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


def machine_busy() -> tuple[float, float]:
    """The machine's busy and total CPU seconds since boot (every core)."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICK, sum(values) / TICK


def local_ports(pids: list[int]) -> set[int]:
    """The local TCP ports of the sockets the processes ``pids`` hold open."""
    inodes = set()
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                except OSError:
                    continue
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except FileNotFoundError:
            continue
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if parts[9] in inodes:
                        ports.add(int(parts[1].rsplit(":", 1)[1], 16))
        except FileNotFoundError:
            continue
    return ports


class Sampler:
    """Samples, every ``interval`` seconds, what the bot processes' PostgreSQL backends are
    doing and how much CPU each has used."""

    def __init__(self, dsn: str, pids: list[int], interval: float = 0.02) -> None:
        self.dsn = dsn
        self.pids = pids
        self.interval = interval
        self.states: Counter[str] = Counter()
        #: the lock waits seen, by table (or, for a transaction's lock, "transactionid")
        self.waits_on: Counter[str] = Counter()
        self.first_cpu: dict[int, float] = {}
        self.last_cpu: dict[int, float] = {}
        self.samples = 0
        self._ports: set[int] = set()
        #: ports of other clients' backends (other work on the same server)
        self._foreign: set[int] = set()
        self._stop = asyncio.Event()

    async def baseline(self, conn: asyncpg.Connection) -> None:
        """The CPU the backends open before the burst have used already."""
        for pid, _state in await self._ours(conn):
            if (cpu := cpu_of(pid)) is not None:
                self.first_cpu[pid] = cpu

    async def _ours(self, conn: asyncpg.Connection) -> list[tuple[int, str]]:
        rows = await conn.fetch(
            "SELECT pid, client_port, state, wait_event_type, wait_event FROM pg_stat_activity "
            "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        if any(r["client_port"] not in self._ports | self._foreign for r in rows):
            self._ports = local_ports(self.pids)
            self._foreign = {r["client_port"] for r in rows} - self._ports
        found = []
        for r in rows:
            if r["client_port"] not in self._ports:
                continue
            if r["state"] == "active":
                what = f"{r['wait_event_type']}:{r['wait_event']}" if r["wait_event"] else "on CPU"
            else:
                what = str(r["state"])
            found.append((r["pid"], what))
        if any(what.startswith("Lock") for _pid, what in found):
            ours = [pid for pid, _what in found]
            for r in await conn.fetch(
                "SELECT relation::regclass::text AS rel, locktype FROM pg_locks "
                "WHERE NOT granted AND pid = ANY($1::int[])",
                ours,
            ):
                self.waits_on[(r["rel"] or r["locktype"]).rsplit(".", 1)[-1]] += 1
        return found

    async def run(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            await self.baseline(conn)
            while not self._stop.is_set():
                for pid, what in await self._ours(conn):
                    self.states[what] += 1
                    if (cpu := cpu_of(pid)) is not None:
                        self.last_cpu[pid] = cpu
                self.samples += 1
                try:
                    await asyncio.wait_for(self._stop.wait(), self.interval)
                except TimeoutError:
                    pass
        finally:
            await conn.close()

    def stop(self) -> None:
        self._stop.set()

    @property
    def backend_cpu(self) -> float:
        """CPU seconds the backends used while sampled."""
        return sum(cpu - self.first_cpu.get(pid, 0.0) for pid, cpu in self.last_cpu.items())


async def burst(url: str, members: int, capacity: int, sides: list[int]) -> dict:
    """The burst run by one process per entry of ``sides`` on a fresh schema; its figures."""
    with tempfile.TemporaryDirectory() as tmp:
        async with bench_database(url, Path(tmp)) as db:
            assert db.schema is not None
            await prepare(db, capacity)
            loop = asyncio.get_running_loop()
            procs = [Side(ROOT, url, db.schema, members, side) for side in sides]
            try:
                for proc in procs:
                    await loop.run_in_executor(None, proc.ready)
                dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
                sampler = Sampler(dsn, [p.proc.pid for p in procs])
                sampling = asyncio.create_task(sampler.run())
                await asyncio.sleep(0.1)  # the sampler has its baseline
                busy, total = machine_busy()
                mine = os.times()
                began = time.perf_counter()
                for proc in procs:
                    proc.go()
                results = await asyncio.gather(
                    *(loop.run_in_executor(None, proc.result) for proc in procs)
                )
                seconds = time.perf_counter() - began
                busy_after, total_after = machine_busy()
                mine_after = os.times()
                sampler.stop()
                await sampling
            finally:
                for proc in procs:
                    if proc.proc.poll() is None:
                        proc.proc.kill()
                        proc.proc.wait()
            found = await check(db, members, capacity)
    refusals = [r for result in results for r in result["refusals"]]
    if found["problems"] or refusals:
        raise SystemExit(f"lost, doubled or refused: {found['problems'] + refusals}")
    latencies = [t for result in results for t in result["latencies"]]
    sampled = sum(sampler.states.values()) or 1
    return {
        "commands": sum(r["commands"] for r in results),
        "seconds": seconds,
        "p50_s": percentile(latencies, 50),
        "p99_s": percentile(latencies, 99),
        "bot_cpu_s": [r["cpu_s"] for r in results],
        "backend_cpu_s": sampler.backend_cpu,
        "sampler_cpu_s": mine_after.user + mine_after.system - mine.user - mine.system,
        "machine_busy_share": (busy_after - busy) / max(total_after - total, 1e-9),
        "backends_doing": {k: round(v / sampled, 3) for k, v in sampler.states.most_common(8)},
        "retried": sum(r["retried"] for r in results),
        "lock_waits_on": dict(sampler.waits_on.most_common(5)),
        **found,
    }


def bound(run: dict) -> str:
    """What the figures say bounds throughput."""
    cores = os.cpu_count() or 1
    bot = sum(run["bot_cpu_s"])
    use = (bot + run["backend_cpu_s"]) / (cores * run["seconds"])
    doing = run["backends_doing"]
    locks = sum(v for k, v in doing.items() if k.startswith("Lock"))
    waiting_for_bot = doing.get("idle in transaction", 0) + doing.get("idle", 0)
    top = "the bot processes" if bot >= run["backend_cpu_s"] else "PostgreSQL's backends"
    if locks >= 0.5 and use < 0.8:
        verdict = (
            "the burst is bound by row locks, not CPU: its units of work queue on the same "
            f"rows ({', '.join(run['lock_waits_on'])}), each held across round trips to a "
            f"bot process; {top} use the most CPU"
        )
    else:
        verdict = f"{top} use the most CPU"
    return (
        f"CPU: bot processes {bot:.2f} s and PostgreSQL backends {run['backend_cpu_s']:.2f} s "
        f"in {run['seconds']:.2f} s on {cores} cores ({use:.0%} of them; this sampling "
        f"{run['sampler_cpu_s']:.2f} s; the machine in all "
        f"{run['machine_busy_share']:.0%} busy); the backends were sampled waiting on locks "
        f"{locks:.0%} of the time and idle waiting for the bot {waiting_for_bot:.0%}: " + verdict
    )


async def main() -> None:
    parser = counts_parser(__doc__, db_help="PostgreSQL URL", members=200, capacity=120)
    args = parser.parse_args()
    url = args.db or PG_URL
    two = await burst(url, args.members, args.capacity, [0, 1])
    one = await burst(url, args.members, args.capacity, [2])
    for name, run in (("two processes", two), ("one process", one)):
        print(
            f"{name}: {run['commands']} commands in {run['seconds']:.2f} s "
            f"({run['commands'] / run['seconds']:.0f}/s), p50 {run['p50_s'] * 1000:.0f} ms, "
            f"p99 {run['p99_s'] * 1000:.0f} ms; {run['retried']} ran once more after a "
            "first contact made at the same moment"
        )
        print(f"  {bound(run)}")
        print(f"  backends: {run['backends_doing']}")
    print(
        f"stored: {two['identities']} identities, {two['signatures']} signatures, "
        f"{two['going']} going and {two['waitlisted']} waitlisted (capacity "
        f"{args.capacity}), {two['ballots']} ballots; nothing lost or doubled"
    )
    print(
        json.dumps(
            {
                "bench": "two_processes",
                "members": args.members,
                "capacity": args.capacity,
                "commands": two["commands"],
                "seconds": round(two["seconds"], 3),
                "p50_ms": round(two["p50_s"] * 1000, 1),
                "p99_ms": round(two["p99_s"] * 1000, 1),
                "one_process_seconds": round(one["seconds"], 3),
                "one_process_p99_ms": round(one["p99_s"] * 1000, 1),
                "ratio_to_one_process": round(two["seconds"] / one["seconds"], 3),
                "bot_cpu_s": [round(c, 3) for c in two["bot_cpu_s"]],
                "backend_cpu_s": round(two["backend_cpu_s"], 3),
                "sampler_cpu_s": round(two["sampler_cpu_s"], 3),
                "machine_busy_share": round(two["machine_busy_share"], 3),
                "backends_doing": two["backends_doing"],
                "lock_waits_on": two["lock_waits_on"],
                "retried_after_constraint": two["retried"],
                "lost": 0,
                "doubled": 0,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())

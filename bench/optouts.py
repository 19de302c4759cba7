"""Benchmark: importing and exporting an opt-out list of 10,000 accounts.

The organization has 5,000 members (one account each); the list names 10,000 accounts: the
5,000 members' (half of them with alert DMs off already) and 5,000 the bot has not seen, to
be kept as pending. The import (read, check, apply, in one transaction) is measured against
a baseline from the same run: the same 10,000 rows inserted bare into the pending table in
one transaction, with nothing read or checked. Then the export of the resulting list, and a
first command of 1,000 listed accounts (each taking its pending opt-out) against 1,000 first
commands of unlisted accounts. The last line is JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchdb import bench_database
from bench.common import counts_parser
from commands.optouts import parse_optouts
from storage import members as member_store
from storage import orgs
from storage.models import PendingOptout
from storage.optouts import export_optouts, import_optouts

_pending = PendingOptout.__table__


async def run(url: str | None, members: int, unseen: int, arrivals: int) -> dict[str, object]:
    """Set up, measure, and return the figures."""
    with tempfile.TemporaryDirectory() as folder:
        async with bench_database(url, Path(folder)) as db:
            async with db.transaction() as conn:
                org = await orgs.sync_org(conn, "bench", "Bench", "America/Chicago", [])
                for i in range(members):
                    member = await member_store.ensure_member(
                        conn, "slack", f"U{i:07d}", f"M{i}", org.id
                    )
                    if i % 2:
                        await member_store.update_profile(conn, member.id, {"alert_dms": False})
            lines = [f"slack,U{i:07d},M{i}" for i in range(members)]
            lines += [f"discord,{10**17 + i},New {i}" for i in range(unseen)]
            text = "platform,account,display_name\n" + "\n".join(lines) + "\n"
            now = datetime.now(UTC)

            started = time.perf_counter()
            rows, problems = parse_optouts(text)
            async with db.transaction() as conn:
                outcome = await import_optouts(conn, org.id, rows, now)
            imported = time.perf_counter() - started
            assert not problems and outcome.accounts == members + unseen
            assert outcome.pending == unseen and outcome.switched_off == members - members // 2

            started = time.perf_counter()
            async with db.transaction() as conn:
                data, people, exported_rows = await export_optouts(conn, org.id)
            exported = time.perf_counter() - started
            assert exported_rows == members + unseen

            baseline_rows = [
                {
                    "org_id": org.id,
                    "platform": "console",
                    "account": f"b{i}",
                    "display_name": "",
                    "imported_at": now,
                }
                for i in range(members + unseen)
            ]
            started = time.perf_counter()
            async with db.transaction() as conn:
                await conn.execute(insert(_pending), baseline_rows)
            bare = time.perf_counter() - started
            async with db.transaction() as conn:
                await conn.execute(delete(_pending).where(_pending.c.platform == "console"))

            async def first_commands(platform: str, start: int) -> float:
                began = time.perf_counter()
                for i in range(arrivals):
                    async with db.transaction() as conn:
                        await member_store.ensure_member(conn, platform, str(start + i), "", org.id)
                return time.perf_counter() - began

            listed = await first_commands("discord", 10**17)
            unlisted = await first_commands("discord", 2 * 10**17)
    return {
        "database": "postgresql" if url and url.startswith("postgresql") else "sqlite",
        "accounts": members + unseen,
        "import_s": round(imported, 3),
        "bare_insert_s": round(bare, 3),
        "import_ratio": round(imported / bare, 2),
        "export_s": round(exported, 3),
        "export_bytes": len(data),
        "people": people,
        "first_commands": arrivals,
        "listed_first_s": round(listed, 3),
        "unlisted_first_s": round(unlisted, 3),
        "first_ratio": round(listed / unlisted, 2),
    }


def main() -> None:
    """Run the benchmark and print its figures, the last line as JSON."""
    args = counts_parser(
        __doc__,
        db_help="a postgresql+asyncpg:// URL (default: a SQLite file)",
        members=5_000,
        unseen=5_000,
        arrivals=1_000,
    ).parse_args()
    figures = asyncio.run(run(args.db, args.members, args.unseen, args.arrivals))
    print(
        f"import of {figures['accounts']:,} accounts: {figures['import_s']} s "
        f"(bare insert {figures['bare_insert_s']} s, ratio {figures['import_ratio']})"
    )
    print(f"export: {figures['export_s']} s, {figures['export_bytes']:,} bytes")
    print(
        f"{figures['first_commands']:,} first commands of listed accounts: "
        f"{figures['listed_first_s']} s against {figures['unlisted_first_s']} s unlisted "
        f"(ratio {figures['first_ratio']})"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

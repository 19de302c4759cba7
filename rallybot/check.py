"""`rallybot check`: a pre-flight check of a deployment, before a campaign depends on it.

One line per item, ✓ or ✗, and with each ✗ what to do: the configuration is valid; the
database answers and its schema is at the newest migration; then, for each enabled
platform, what ``rallybot_check_slack`` and ``rallybot_check_discord`` check (tokens
accepted, alert and moderation channels reachable by the bot, the Slack signing secret, the
Discord slash commands synced). The exit code is 0 when every item passed, 1 otherwise.

Nothing secret is printed: tokens and the signing secret are only said to be set, accepted
or refused, and a database URL only by its host and database name.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.config import Config, ConfigError, load_config
from bot.logs import configure_logging
from storage.db import Database, DatabaseError
from storage.restore import restored_unknown

OK, FAILED = "✓", "✗"


@dataclass(frozen=True)
class Item:
    """One checked item: whether it passed, what it is, and what was found (with a ✗, what
    to do about it)."""

    ok: bool
    subject: str
    said: str

    def line(self) -> str:
        """The item as ``rallybot check`` prints it."""
        return f"{OK if self.ok else FAILED} {self.subject}: {self.said}"


def passed(subject: str, said: str) -> Item:
    """An item that passed."""
    return Item(True, subject, said)


def failed(subject: str, said: str) -> Item:
    """An item that failed; ``said`` names what is wrong and what to do."""
    return Item(False, subject, said)


def _missing_sqlite_file(db: Database) -> str | None:
    """The path of a SQLite database file that does not exist (the probe would make it)."""
    path = db.url.database or ""
    if not db.is_sqlite or path in ("", ":memory:") or path.startswith("file:"):
        return None
    return None if Path(path).exists() else path


async def check_database(db: Database) -> tuple[list[Item], bool]:
    """Whether the database answers and is at the newest migration; the items, and whether
    the database can be read by the checks that need it (OAuth installations)."""
    subject = "database"
    missing = _missing_sqlite_file(db)
    if missing is not None:
        return [
            failed(
                subject,
                f"there is no SQLite file at {missing}: run `rallybot db upgrade` to make it, "
                "or correct [database] url",
            )
        ], False
    try:
        await db.probe()
        current, head = await db.revision()
    except DatabaseError as exc:
        return [failed(subject, str(exc))], False
    where = "SQLite" if db.is_sqlite else "PostgreSQL"
    if current != head:
        return [
            passed(subject, f"{where} answers"),
            failed(
                "database schema",
                f"at revision {current or 'none (empty)'}, this rallybot needs {head}: "
                "run `rallybot db upgrade`",
            ),
        ], False
    return [passed(subject, f"{where} answers, schema at the newest revision ({head})")], True


async def check_restored(db: Database) -> list[Item]:
    """The messages a restore marked failed because nobody knows whether they went out
    (``rallybot restore``): listed so that someone checks them by hand; not a failure."""
    async with db.engine.connect() as conn:
        unknown = await restored_unknown(conn)
    if not unknown:
        return []
    shown = ", ".join(
        f"{m.id} ({m.kind} to {m.platform} {m.target_kind} {m.target})" for m in unknown[:10]
    )
    more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
    return [
        passed(
            "restored messages",
            f"{len(unknown)} message(s) were being sent when the backup was taken and are "
            f"marked failed, so none is sent twice; check by hand whether they arrived: "
            f"{shown}{more}",
        )
    ]


async def run_checks(config: Config, *, db: Database | None = None) -> list[Item]:
    """Every check of a loaded configuration; ``db`` stands for the configured database
    (tests give one on a schema of their own)."""
    from rallybot.check_discord import check_discord
    from rallybot.check_slack import check_slack

    items = [passed("configuration", f"{config.source} is valid")]
    owned = db is None
    usable = False
    try:
        if db is None:
            try:
                db = Database(config.database.url)
            except DatabaseError as exc:
                items.append(failed("database", str(exc)))
        if db is not None:
            found, usable = await check_database(db)
            items += found
        if db is not None and usable:
            items += await check_restored(db)
        if not (config.slack.enabled or config.discord.enabled):
            items.append(
                failed("platforms", "neither [slack] nor [discord] is enabled: set enabled = true")
            )
        if config.slack.enabled:
            items += await check_slack(config, db if usable else None)
        if config.discord.enabled:
            items += await check_discord(config)
    finally:
        if owned and db is not None:
            await db.dispose()
    return items


def report(items: list[Item], out: TextIO) -> int:
    """Print each item and a last line of the count; the exit code."""
    for item in items:
        print(item.line(), file=out)
    bad = sum(1 for item in items if not item.ok)
    if bad:
        print(f"{bad} of {len(items)} checks failed", file=out)
        return 1
    print(f"all {len(items)} checks passed", file=out)
    return 0


def main(path: str | None, out: TextIO | None = None) -> int:
    """`rallybot check [--config FILE]`: check, print, and return the exit code."""
    out = out or sys.stdout
    try:
        config = load_config(path)
    except ConfigError as exc:
        return report([failed("configuration", f"{exc}: correct it and check again")], out)
    configure_logging("ERROR", config.secrets(), config.bot.log_format)
    return report(asyncio.run(run_checks(config)), out)

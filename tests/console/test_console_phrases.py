"""Times and timezones as people say them, typed at the console."""

from __future__ import annotations

from pathlib import Path

from storage.db import Database
from tests.support import ConsoleBot


async def test_a_zone_name_and_a_date_phrase_at_the_console(
    database: Database, tmp_path: Path
) -> None:
    t = await ConsoleBot.start(database, tmp_path)  # Monday 2026-11-02, 9:00 CST
    out = await t.run_console(
        "!as ana\n"
        "/profile timezone:Denver\n"
        '/reminder add when:"Dec 25 9am" text:"Shift swap"\n'
        '/reminder add when:"every first monday 9am" text:"Meeting"\n'
        "/profile timezone:IST\n"
        "/profile timezone:Texas\n"
        "/profile\n"
    )
    assert "Reminder 1 set for Fri Dec 25, 9:00 AM MST (in 53 days)" in out
    assert "Reminder 2 set for Mon Nov 2, 9:00 AM MST (in 1h)" in out  # today, still ahead
    assert ", then the first Monday of each month at 9:00." in out
    assert (
        "timezone: IST could mean Asia/Kolkata (India), Asia/Jerusalem (Israel) or "
        "Europe/Dublin (Ireland); type the one you mean"
    ) in out
    assert "timezone: Texas has more than one timezone: America/Chicago or America/Denver" in out
    assert "timezone        America/Denver" in out  # the refusals changed nothing

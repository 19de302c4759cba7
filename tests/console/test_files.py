"""Files the bot hands out, as the console saves them: owner-only, one file for one content,
and a member's own data exports removed when they erase their data."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from bot import files
from bot.config import BotConfig, Config, demo_org
from storage.db import Database
from tests.support import ConsoleBot, Person, link_accounts, second_org


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def console_bot(database: Database, tmp_path: Path) -> ConsoleBot:
    """A console bot whose configured files folder is the one its screen saves in."""
    config = Config(
        orgs=[demo_org(), second_org()], bot=BotConfig(files_dir=str(tmp_path / "files"))
    )
    return await ConsoleBot.start(database, tmp_path, config=config)


async def test_exports_are_owner_only_and_erasing_removes_the_members_own(
    database: Database, tmp_path: Path
) -> None:
    t = await console_bot(database, tmp_path)
    await t.run_console(
        "!as ana\n/profile state:IL\n/privacy export\n/profile city:Chicago\n/privacy export\n"
        "!as bea\n/profile state:WI\n/privacy export\n"
    )
    folder = tmp_path / "files"
    saved = sorted(p.name for p in folder.iterdir())
    assert saved == [
        "rallybot-my-data-1-1.json",
        "rallybot-my-data-1.json",
        "rallybot-my-data-2.json",
    ]
    assert json.loads((folder / "rallybot-my-data-1-1.json").read_text())["profile"]["city"] == (
        "Chicago"
    )
    for path in folder.iterdir():
        assert mode(path) == 0o600, path.name
    assert mode(folder) == 0o700

    out = await t.run_console("!as ana\n/privacy delete confirm:yes\n")
    assert "no longer keeps anything" in out
    assert sorted(p.name for p in folder.iterdir()) == ["rallybot-my-data-2.json"]


async def test_a_poll_chart_posted_in_several_channels_is_saved_once(
    database: Database, tmp_path: Path
) -> None:
    t = await console_bot(database, tmp_path)
    organizer = Person("olu", roles=frozenset({"organizer"}))
    await t.ok(organizer, '/poll create question:"Q?" options:"A | B" anonymous:no')
    await t.ok("ana", "/poll vote id:1 choice:B")
    await t.run_console("!as olu organizer\n/poll close id:1\n")
    out = t.out.getvalue()
    results = [line for line in out.splitlines() if "== Results of poll 1: Q? ==" in line]
    assert len(results) >= 3  # #alerts, slack #CALERTS, discord #200000000000000001 and more
    chart = tmp_path / "files" / "poll-1-results.png"
    assert sorted(p.name for p in (tmp_path / "files").iterdir()) == [chart.name]
    assert mode(chart) == 0o600
    assert out.count(f"saved {chart}") == len(results)


async def test_linking_accounts_moves_the_exports_so_erasing_still_finds_them(
    database: Database, tmp_path: Path
) -> None:
    t = await console_bot(database, tmp_path)
    await t.run_console("!as ana\n/profile state:IL\n/privacy export\n")
    folder = tmp_path / "files"
    assert [p.name for p in folder.iterdir()] == ["rallybot-my-data-1.json"]
    slack = Person("U1", platform="slack")
    await t.ok(slack, "/profile city:Chicago")  # member 2, kept when ana's account joins
    await link_accounts(t.bot, slack, "ana")
    assert [p.name for p in folder.iterdir()] == ["rallybot-my-data-2.json"]
    assert mode(folder / "rallybot-my-data-2.json") == 0o600
    await t.run_console("!as ana\n/privacy delete confirm:yes\n")
    assert list(folder.iterdir()) == []


def test_saving_keeps_a_different_file_of_the_same_name(tmp_path: Path) -> None:
    first = files.save(tmp_path, "event-1.ics", b"one")
    again = files.save(tmp_path, "event-1.ics", b"one")
    other = files.save(tmp_path, "../event-1.ics", b"two")
    assert first == again == tmp_path / "event-1.ics" and first.read_bytes() == b"one"
    assert other == tmp_path / "event-1-1.ics" and other.read_bytes() == b"two"
    assert files.save(tmp_path, "event-1.ics", b"two") == other
    assert files.remove_member_exports(tmp_path, 1) == 0 and first.exists()

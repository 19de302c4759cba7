"""The console's details: buttons by label, names with spaces, background messages and the
prompt, the weekly digest on the console's clock, emphasis, and names instead of ids."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import timedelta
from pathlib import Path

from adapters.console import ConsoleAdapter
from bot.context import Context
from bot.registry import CommandGroup
from bot.reply import Action, Reply
from storage.db import Database
from tests.support import ConsoleBot

details = CommandGroup("details")


@details.command("offer")
async def _offer(ctx: Context) -> Reply:
    """A post with a button, as a feature shows a subject still open."""
    return Reply(text="Shifts to cover", ephemeral=False, actions=[Action("Take", "details take")])


@details.command("closed")
async def _closed(ctx: Context) -> Reply:
    """A later post showing a button of the same label closed."""
    return Reply(
        text="Last week's shifts",
        ephemeral=False,
        actions=[Action("Take", "details take", disabled=True)],
    )


@details.command("take")
async def _take(ctx: Context) -> Reply:
    return Reply(text="You took the shift.")


@details.command("bold")
async def _bold(ctx: Context) -> Reply:
    return Reply(text="The vote is **tonight** at **7 PM**; bring a friend.")


async def console(database: Database, tmp_path: Path) -> ConsoleBot:
    return await ConsoleBot.start(database, tmp_path, extra_groups=[details])


async def test_press_label_takes_the_newest_open_button(database: Database, tmp_path: Path) -> None:
    t = await console(database, tmp_path)
    out = await t.run_console("/details offer\n/details closed\n!press Take\n")
    assert "You took the shift." in out
    assert "button is closed" not in out
    # with no open button of that label, the closed one is named as closed
    out = await t.run_console("/details closed\n!press 1\n")
    assert "The 'Take' button is closed." in out


async def test_as_takes_a_quoted_name_with_a_space(database: Database, tmp_path: Path) -> None:
    t = await console(database, tmp_path)
    out = await t.run_console('!as "mary jane" organizer\n/profile state:IL\n!as "mary\n')
    assert "You are now mary jane (organizer)." in out
    assert "mary jane> /profile state:IL" in out
    assert "state           IL" in out
    assert 'usage: !as NAME [member|organizer|admin] (a NAME with spaces in "quotes")' in out


async def test_bold_is_rendered_on_a_terminal_and_bare_in_a_pipe(
    database: Database, tmp_path: Path
) -> None:
    t = await console(database, tmp_path)
    out = await t.run_console("/details bold\n")
    assert "The vote is tonight at 7 PM; bring a friend." in out
    assert "**" not in out and "\x1b" not in out

    t.screen.bold = True  # as on a terminal
    script = '/details bold\n/reminder add when:"in 1 hour" text:"\x1b[31mx"\n'
    shown = (await t.run_console(script))[len(out) :]
    assert "The vote is \x1b[1mtonight\x1b[22m at \x1b[1m7 PM\x1b[22m; bring a friend." in shown
    # a member's own escape sequence is still removed; only the bold is the console's
    assert "\x1b[31m" not in shown


async def test_a_background_message_never_prints_over_the_prompt(
    database: Database, tmp_path: Path
) -> None:
    t = await console(database, tmp_path)
    await t.ok("guest", '/reminder add when:"in 1 hour" text:"Phone bank"')
    read_end, write_end = os.pipe()
    with os.fdopen(read_end) as stdin, os.fdopen(write_end, "w") as typing:
        adapter = ConsoleAdapter(
            t.bot.app, t.screen, clock=t.bot.clock, stdin=stdin, interactive=True
        )
        running = asyncio.create_task(adapter.run())
        for _ in range(1000):  # until the console waits at its prompt
            if t.out.getvalue().endswith("guest> "):
                break
            await asyncio.sleep(0.01)
        # the reminder is delivered while the console waits for a line
        t.bot.clock.advance(timedelta(hours=1))
        await t.bot.app.settle()
        typing.write("!quit\n")
        typing.flush()
        assert await asyncio.wait_for(running, 10) == 0
    out = t.out.getvalue()
    # the message starts below the prompt, which is shown again where the next line is typed
    assert out.endswith("guest> \n[DM guest] ⏰ Reminder: Phone bank\nguest> "), out


async def test_wait_runs_the_weekly_digest_on_the_consoles_clock(
    database: Database, tmp_path: Path
) -> None:
    t = await console(database, tmp_path)
    # the clock starts on Monday 9:00 in Chicago: the next digest is a week away
    out = await t.run_console(
        '!as olu organizer\n/poll create question:"Which first?" options:"Pay | Hours" '
        "anonymous:no\n!wait 6d\n"
    )
    assert "This week in Demo Library Workers" not in out
    out = await t.run_console("!wait 1d\n")
    assert out.count("[#alerts] == This week in Demo Library Workers ==") == 1
    assert "(clock moved forward 1d to 2026-11-09 15:00 UTC)" in out
    # and each digest plans the next one
    out = await t.run_console("!wait 7d\n")
    assert out.count("[#alerts] == This week in Demo Library Workers ==") == 2


async def test_people_see_names_not_internal_ids(database: Database, tmp_path: Path) -> None:
    t = await console(database, tmp_path)
    out = await t.run_console(
        "\n".join(
            [
                "!as olu organizer",
                '/alert create title:"Save the library jobs" body:"Sign before the vote." '
                'kind:sign-on deadline:"in 2 days"',
                "!press Send now",
                "/alert sign id:1",
                "!wait 10s",
                '/reminder add when:"every weekday 8:30am" text:"Standup"',
                "/privacy export",
            ]
        )
    )
    assert "[#alerts (edit of “Sign-on letter: Save the library jobs (alert 1)”)]" in out
    assert "console-" not in out
    (export,) = (tmp_path / "files").glob("rallybot-my-data-*.json")  # named by member number
    data = json.loads(export.read_text())
    assert data["organizations"] == ["Demo Library Workers"]
    assert [r["repeats"] for r in data["reminder"]] == ["every weekday at 8:30"]

"""The console adapter, in process and as the real `rallybot console` command."""

from __future__ import annotations

import csv
import io
import logging
import re
from pathlib import Path

from bot.context import Context
from bot.errors import ValidationError
from bot.logs import REDACTED, SecretFilter
from bot.options import Choice, Integer, Text
from bot.registry import CommandGroup
from bot.reply import Action, Reply
from storage.db import Database
from tests.support import ConsoleBot, run_rallybot

demo = CommandGroup("demo")


@demo.command("ask", options=[Text("who", required=True), Text("why", required=True), Text("note")])
async def _ask(ctx: Context, who: str, why: str, note: str | None) -> Reply:
    """A command with required fields, for the console's form prompts."""
    return Reply(
        text=f"{who} because {why}",
        ephemeral=False,
        actions=[Action("Again", "demo ask", {"who": who, "why": "again"})],
    )


@demo.command(
    "size",
    options=[
        Text("who", required=True),
        Integer("count", minimum=1, maximum=10),
        Choice("mode", values=("in-person", "virtual")),
        Text("note"),
    ],
)
async def _size(
    ctx: Context, who: str, count: int | None, mode: str | None, note: str | None
) -> Reply:
    """A command with optional fields and a rule of its own, for the console's forms."""
    if count is not None and count % 2:
        raise ValidationError("count", f"must be even (got {count})")
    return Reply(text=f"{who} {count} {mode} {note}")


@demo.command(
    "explain",
    options=[
        Text("anonymous", required=True, help="yes (the default): nobody sees who answered"),
        Text("reason", required=True, help="reason: say why"),
    ],
)
async def _explain(ctx: Context, anonymous: str, reason: str) -> Reply:
    """A command whose fields have help texts, for how the console asks them."""
    return Reply(text=f"{anonymous} because {reason}")


async def run_console(
    database: Database, script: str, tmp_path: Path, *, interactive: bool = False
) -> str:
    t = await ConsoleBot.start(database, tmp_path, extra_groups=[demo])
    return await t.run_console(script, interactive=interactive)


async def test_console_link_asks_before_it_joins(database: Database, tmp_path: Path) -> None:
    t = await ConsoleBot.start(database, tmp_path)
    out = await t.run_console("!as ana@slack\n/profile state:IL\n/link\n")
    code = out.split("Your link code is ")[1].split(".")[0]
    out = await t.run_console(f"!as ana\n/link code:{code}\n/profile\n")
    assert f"Code {code} is from ana on Slack. Linking makes this console account" in out
    assert "state           —" in out  # nothing was joined
    out = await t.run_console("!as ana\n!press Yes, link my accounts\n/profile\n")
    assert "Linked. You are one member on console and slack now" in out
    assert "state           IL" in out


async def test_console_script(database: Database, tmp_path: Path) -> None:
    out = await run_console(
        database,
        "\n".join(
            [
                "# a comment is skipped",
                "/help",
                "!as ana organizer",
                "/profile state:IL timezone:America/Chicago",
                "/profile",
                "/privacy export",
                "!as ana@slack",
                "/profile",
                "!as bea@teams",
                "!as cam wizard",
                "hello?",
                "!wait 3h",
                "!wait soon",
                "!dance",
                '/demo ask who:Ana why:"pay equity"',
                "!press 1",
                "!press Again",
                "!press 7",
                "!quit",
                "/help",
            ]
        ),
        tmp_path,
    )
    assert "You are now ana (organizer)." in out
    assert "state           IL" in out
    assert "saved " in out and (tmp_path / "files" / "rallybot-my-data-1.json").exists()
    assert "You are now ana@slack (member)." in out
    assert "You have no profile yet" in out  # the Slack account is another person until /link
    assert "NAME: letters, digits" in out
    assert "role: must be one of member, organizer, admin" in out
    assert "Commands start with /" in out
    assert "(clock moved forward 3h to 2026-11-02 18:00 UTC)" in out
    assert "DURATION: must be a duration" in out
    assert "!dance is not a console command" in out
    assert "[#general] Ana because pay equity" in out
    assert out.count("Ana because again") == 2
    assert "The last message has 1 button(s)." in out
    assert out.rstrip().endswith("ana@slack> !quit")


async def test_console_names_missing_fields_without_a_terminal(
    database: Database, tmp_path: Path
) -> None:
    out = await run_console(database, "/demo ask note:x\n", tmp_path)
    assert "/demo ask needs the fields who, why." in out


async def test_console_asks_for_missing_fields_on_a_terminal(
    database: Database, tmp_path: Path
) -> None:
    out = await run_console(database, "/demo ask\nBea\nwe need it\n\n", tmp_path, interactive=True)
    assert "who (required): " in out and "why (required): " in out
    assert "Bea because we need it" in out


async def test_console_form_asks_every_field_and_again_only_those_in_error(
    database: Database, tmp_path: Path
) -> None:
    script = "\n".join(
        [
            "/demo size count:4",
            "",  # who: left blank
            "many",  # count: not a number
            "party",  # mode: not a choice
            "a note",  # note: optional, asked all the same
            "Bea",
            "3",  # a number, but odd: the command's own rule refuses it
            "virtual",
            "",  # count again: blank keeps what was typed
            "6",
            "",
        ]
    )
    out = await run_console(database, script, tmp_path, interactive=True)
    assert "who (required): " in out and "count (now: 4): " in out
    assert "mode [in-person | virtual]: " in out and "note: " in out
    assert (
        "who: is needed\ncount: must be a whole number from 1 to 10\n"
        "mode: must be one of in-person, virtual\nPlease correct:"
    ) in out
    asked_again = out.split("Please correct:")[1]
    assert "who (required): count (now: many): mode [in-person | virtual] (now: party): " in (
        asked_again
    )
    assert "note" not in asked_again.split("count: must be even")[0]
    # blank keeps the refused 3, which is refused again; then 6 is taken
    again = "count: must be even (got 3)\nPlease correct:\ncount (now: 3): "
    assert out.count(again) == 2
    assert out.endswith(again + "Bea 6 virtual a note\nguest> ")


async def test_a_form_question_names_its_field_where_the_label_does_not(
    database: Database, tmp_path: Path
) -> None:
    out = await run_console(database, "/demo explain\nno\nyes\n", tmp_path, interactive=True)
    assert "anonymous — yes (the default): nobody sees who answered (required): " in out
    assert "reason: say why (required): " in out  # the label names it already
    assert "no because yes" in out


def test_piped_script_runs_to_the_end_and_the_profile_survives_a_restart(tmp_path: Path) -> None:
    script = "/help\n!as ana organizer\n/profile state:IL timezone:America/Chicago\n/profile\n"
    first = run_rallybot(["console"], tmp_path, script)
    assert first.returncode == 0, first.stderr
    assert "state           IL" in first.stdout
    assert (tmp_path / "rallybot.db").exists()
    second = run_rallybot(
        ["console"], tmp_path, "!as ana\n/profile\n/profile timezone:Mars/Olympus\n"
    )
    assert second.returncode == 0, second.stderr
    assert "timezone        America/Chicago" in second.stdout
    assert "timezone: must be an IANA timezone name" in second.stdout
    assert "Traceback" not in second.stdout + second.stderr


def test_db_upgrade_and_config_errors(tmp_path: Path) -> None:
    env = {"RALLYBOT_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"}
    done = run_rallybot(["db", "upgrade"], tmp_path, env=env)
    assert done.returncode == 0 and "database is at revision" in done.stdout
    (tmp_path / "bad.toml").write_text('[slack]\nport = "x"\n')
    bad = run_rallybot(["run", "--config", "bad.toml"], tmp_path)
    assert bad.returncode == 2
    assert "bad.toml: [slack].port: must be a whole number" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_secrets_never_reach_the_log() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(SecretFilter(["xoxb-123-secret", "s3cr3t-pw"]))
    logger = logging.getLogger("rallybot.test.secrets")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("token %s rejected", "xoxb-123-secret")
        try:
            raise ValueError("connect to postgresql://bot:s3cr3t-pw@db failed")
        except ValueError:
            logger.exception("database down")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "xoxb-123-secret" not in text and "s3cr3t-pw" not in text
    assert f"token {REDACTED} rejected" in text
    assert f"ValueError: connect to postgresql://bot:{REDACTED}@db failed" in text


def test_a_reminder_added_in_one_process_fires_once_and_never_again(tmp_path: Path) -> None:
    add = '!as ana\n/reminder add when:"in 2 hours" text:"Call Rep. Smith"\n'
    first = run_rallybot(["console"], tmp_path, add + "!wait 3h\n")
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("[DM ana] ⏰ Reminder: Call Rep. Smith") == 1
    later = run_rallybot(["console"], tmp_path, "!as ana\n!wait 6h\n")
    assert later.returncode == 0, later.stderr
    assert "Call Rep. Smith" not in later.stdout


def test_a_reminder_added_in_one_process_fires_in_the_next(tmp_path: Path) -> None:
    first = run_rallybot(
        ["console"], tmp_path, '!as bea\n/reminder add when:"in 2 hours" text:"Phone bank"\n'
    )
    assert first.returncode == 0 and "Reminder 1 set" in first.stdout, first.stderr
    assert "⏰" not in first.stdout
    second = run_rallybot(["console"], tmp_path, "!wait 2h30m\n")
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("[DM bea] ⏰ Reminder: Phone bank") == 1


def test_export_layoffs_from_the_command_line(tmp_path: Path) -> None:
    script = (
        '/layoff report employer:"Springfield Public Library" workers:12 state:IL\n'
        "!as olu organizer\n!wait 20m\n!press Verify\n"
    )
    filed = run_rallybot(["console"], tmp_path, script)
    assert filed.returncode == 0, filed.stderr
    assert "Status    verified by olu" in filed.stdout
    exported = run_rallybot(["export", "layoffs", "--out", "layoffs.csv"], tmp_path)
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "layoffs.csv").read_text())))
    (ref,) = re.findall(r"Your report is (L-\d+)\.", filed.stdout)
    assert [(r["ref"], r["status"], r["workers"], r["reporter"]) for r in rows] == [
        (ref, "verified", "12", "")
    ]
    unknown = run_rallybot(["export", "layoffs", "--org", "nowhere"], tmp_path)
    assert unknown.returncode == 2 and "no organization with slug 'nowhere'" in unknown.stderr


def test_the_command_line_export_leaves_out_reports_not_yet_visible(tmp_path: Path) -> None:
    script = '/layoff report employer:"Elm Library"\n/layoff report "Oak Library" anonymous:no\n'
    filed = run_rallybot(["console"], tmp_path, script)
    assert filed.returncode == 0, filed.stderr
    # the anonymous report's moderation post is minutes away: until then no export has it
    exported = run_rallybot(["export", "layoffs"], tmp_path)
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [r["employer"] for r in rows] == ["Oak Library"]


def test_a_newcomer_reports_verifies_exports_and_runs_an_alert_in_the_console(
    tmp_path: Path,
) -> None:
    script = "\n".join(
        [
            '/layoff report employer:"Springfield Public Library" workers:12 state:IL',
            "!as olu organizer",
            "!wait 20m",
            "!press Verify",
            "/layoff stats",
            "/layoff export",
            '/alert create title:"Save the library jobs" body:"Sign before the vote." '
            'kind:sign-on deadline:"in 2 days"',
            "!press Send now",
            "!as ana",
            "/alert sign id:1",
            "/alert sign id:1",
            "!wait 10s",
            "!wait 3d",
            "/alert sign id:1",
        ]
    )
    run = run_rallybot(["console"], tmp_path, script + "\n")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert re.search(r"Your report is L-\d{4,5}\. ", out)
    assert "Status    verified by olu" in out
    assert "Reports           1" in out and "Workers affected  12" in out
    assert (tmp_path / "rallybot-files" / "layoffs-by-month.png").exists()
    assert (tmp_path / "rallybot-files" / "layoffs-demo.csv").exists()
    assert "You already signed alert 1" in out
    assert "[#alerts (edit of" in out and "1 signed · 0 acted" in out
    assert "Closed. Final: 1 signed" in out
    assert out.rstrip().splitlines()[-1].startswith("Alert 1 closed on ")
    signers = run_rallybot(["export", "signers", "--alert", "1"], tmp_path)
    assert signers.returncode == 0, signers.stderr
    rows = list(csv.DictReader(io.StringIO(signers.stdout)))
    assert [(r["name"], r["platform"]) for r in rows] == [("ana", "console")]
    missing = run_rallybot(["export", "signers", "--alert", "9"], tmp_path)
    assert missing.returncode == 2 and "--alert: no alert 9 in demo" in missing.stderr
    assert "Traceback" not in out + run.stderr


async def test_stored_text_prints_no_terminal_escapes(database: Database, tmp_path: Path) -> None:
    # a member's reminder carrying escape sequences: a window title (OSC), a screen clear and
    # colours (CSI, 7- and 8-bit), a carriage return that would overwrite the line, a bell
    hostile = "\x1b]0;pwned\x07Call \x1b[31mRep.\x1b[0m\x9b2J Smith\r\x07\x1bc\tnow"
    out = await run_console(
        database,
        "\n".join(
            [
                f'/reminder add when:"in 1 hour" text:"{hostile}"',
                "/reminder list",
                "!wait 2h",
            ]
        ),
        tmp_path,
    )
    assert "] ⏰ Reminder: Call Rep. Smith\tnow" in out, out
    assert "1   Mon Nov 2, 10:00 AM CST  once     Call Rep. Smith" in out, out
    controls = [c for c in out if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F]
    assert controls == [], controls
    assert "pwned" not in out


async def test_console_names_the_nearest_command_group(database: Database, tmp_path: Path) -> None:
    out = await run_console(database, "/layof\n/remind\n/dmeo size who:Ana\n", tmp_path)
    assert "/layof is not a command (did you mean /layoff?); try /help" in out
    assert "/remind is not a command (did you mean /reminder?); try /help" in out
    assert "/dmeo is not a command (did you mean /demo?); try /help" in out

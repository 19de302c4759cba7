"""/layoff through the dispatcher, scheduler and delivery engine, on both databases: anonymity,
moderation, duplicates, refusals, the hourly limit, statistics, the list and the export."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from adapters.console import Screen
from bot.config import BotConfig, Config, demo_org
from storage.db import Database
from storage.models import AuditEntry, Identity, LayoffReport, Member, OutboxMessage
from tests.conftest import bot_on_own_loop
from tests.support import START, Bot, ConsoleBot, Person, link_accounts, second_org

OLU = Person("olu", roles=frozenset({"organizer"}))
MOD_PLACES = ("[#moderation]", "[slack #CMODS]", "[discord #200000000000000002]")
RATE_LIMITED = "You have filed 5 reports in the last hour; please wait a little before the next."
PNG = b"\x89PNG\r\n\x1a\n"


async def layoff_bot(database: Database, tmp_path: Path) -> tuple[Bot, Screen, io.StringIO]:
    t = await ConsoleBot.start(database, tmp_path, start=START, orgs=[demo_org(), second_org()])
    return t.bot, t.screen, t.out


async def rows(bot: Bot, model: type, **where: object) -> list[object]:
    async with bot.app.db.transaction() as conn:
        query = select(model.__table__)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return list(await conn.execute(query.order_by(model.id)))


async def file_report(bot: Bot, who: Person | str, line: str) -> int:
    reply = await bot.say(who, f"/layoff report {line}")
    assert not reply.error, reply.text
    match = re.match(r"Thank you\. Your report is L-(\d+)\.", reply.text)
    assert match, reply.text
    return int(match.group(1))


def button(screen: Screen, label: str, report_id: int) -> str:
    """The action id of a moderation button of a report, as a moderator would click it."""
    for b in screen.all_buttons:
        if b.label == label and b.action_id.endswith(f"?id={report_id}"):
            return b.action_id
    raise AssertionError(f"no {label} button for L-{report_id}")


def files_under(folder: Path) -> dict[str, bytes]:
    """Every file under a folder (the SQLite database, its WAL, saved files) by name."""
    return {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


async def test_an_anonymous_report_leaves_no_trace_of_the_reporter(
    database: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")  # its statements and parameters
    bot, _, out = await layoff_bot(database, tmp_path)
    reply = await bot.say(Person("ana-7f3k"), '/layoff report employer:"Elm Street Library"')
    assert not reply.error
    assert reply.text.startswith("Thank you. Your report is L-1. It is anonymous")
    assert "Organizers will review it" in reply.text
    bot.clock.advance(timedelta(minutes=15))
    await bot.app.settle()
    assert "[#moderation] == Layoff report L-1 ==" in out.getvalue()
    assert await bot.count(Member) == 0 and await bot.count(Identity) == 0
    (report,) = await rows(bot, LayoffReport)
    assert report.reporter_member_id is None and report.anonymous and not report.ok_to_contact
    assert report.received_week == date(2026, 11, 2)
    for post in await rows(bot, OutboxMessage):  # stored as made when it was sent, not before
        assert START + timedelta(minutes=2) <= post.created_at <= START + timedelta(minutes=15)

    needle = b"ana-7f3k"
    assert "INSERT INTO layoff_reports" in caplog.text  # the database's log was captured too
    assert needle.decode() not in caplog.text.lower()
    assert needle.decode() not in out.getvalue().lower()
    if database.is_sqlite:
        files = files_under(tmp_path)
        assert {"rallybot.db", "rallybot.db-wal"} <= set(files)
        for name, data in files.items():
            assert needle not in data.lower(), name
    else:
        async with bot.app.db.transaction() as conn:
            for table in ("layoff_reports", "outbox", "audit_log", "members", "identities"):
                stored = (await conn.execute(text(f"SELECT * FROM {table}"))).all()
                assert needle.decode() not in repr(stored).lower(), table


async def test_a_named_report_shows_its_reporter_to_organizers_only(
    database: Database, tmp_path: Path
) -> None:
    bot, screen, out = await layoff_bot(database, tmp_path)
    reply = await bot.say(
        "bea",
        '/layoff report employer:"Oak Park Public Library" city:"Oak Park" state:IL '
        "workers:12 anonymous:no ok_to_contact:yes",
    )
    assert reply.text.startswith("Thank you. Your report is L-1. It carries your name")
    (report,) = await rows(bot, LayoffReport)
    (bea,) = await rows(bot, Member)
    assert report.reporter_member_id == bea.id and bea.display_name == "Bea"
    await bot.app.settle()  # a named report's post goes at once
    posted = out.getvalue()
    for place in MOD_PLACES:
        assert posted.count(f"{place} == Layoff report L-1 ==") == 1, place
    assert re.search(r"Reporter +Bea \(ok to contact\)", posted)
    assert re.search(r"Where +Oak Park, IL", posted)
    assert (await bot.click(OLU, button(screen, "Verify", 1))).text == "L-1 is now marked verified."
    for line in ("/layoff list", "/layoff stats", "/layoff list state:IL"):
        shown = (await bot.say("cy", line)).plain_text()
        assert "Oak Park Public Library" in shown or "Reports: 1" in shown, line
        assert "Bea" not in shown and "bea" not in shown, line


async def test_moderation_waits_for_anonymous_posts_and_buttons_decide(
    database: Database, tmp_path: Path
) -> None:
    bot, screen, out = await layoff_bot(database, tmp_path)
    for name in ("ana", "bo", "cy"):
        await file_report(bot, name, f'employer:"{name.title()} County Library" kind:furlough')
    await bot.app.settle()
    assert "Layoff report" not in out.getvalue()
    bot.clock.advance(timedelta(seconds=119))
    await bot.app.settle()
    assert "Layoff report" not in out.getvalue()
    bot.clock.advance(timedelta(minutes=13, seconds=1))
    await bot.app.settle()
    posted = out.getvalue()
    for report_id in (1, 2, 3):
        for place in MOD_PLACES:
            assert posted.count(f"{place} == Layoff report L-{report_id} ==") == 1
    assert re.search(r"Reporter +anonymous", posted) and re.search(r"Kind +furlough", posted)

    verify = button(screen, "Verify", 1)
    denied = await bot.click("ana", verify)
    assert denied.error
    assert denied.text == "/layoff verify needs the organizer role; you have the member role here."
    assert (await bot.click(OLU, verify)).text == "L-1 is now marked verified."
    again = await bot.click(OLU, verify)
    assert again.text == "L-1 is already verified; nothing changed."
    assert (await bot.click(OLU, button(screen, "Reject", 1))).text.startswith("L-1 is already")

    rejected = await bot.say(OLU, "/layoff reject id:L-2")
    assert rejected.text == "L-2 is now marked rejected."
    asked = await bot.click(OLU, button(screen, "Duplicate of…", 3))
    assert asked.error and asked.text == "/layoff duplicate needs the field of."
    form = await bot.app.dispatcher.handle_interaction(
        bot.invocation(OLU, interactive=True), button(screen, "Duplicate of…", 3)
    )
    assert form.form is not None and [f.name for f in form.form.fields] == ["id", "of"]
    assert form.form.fields[0].default == "3"
    bad = await bot.click(OLU, button(screen, "Duplicate of…", 3), {"of": "L-3"})
    assert bad.error and bad.text.startswith("of: must be another report")
    missing = await bot.click(OLU, button(screen, "Duplicate of…", 3), {"of": "L-99"})
    assert missing.error and missing.text == "of: no report L-99 here"
    done = await bot.click(OLU, button(screen, "Duplicate of…", 3), {"of": "1"})
    assert done.text == "L-3 is now marked duplicate of L-1."

    await bot.app.settle()
    edits = [line for line in out.getvalue().splitlines() if "(edit of" in line]
    assert len(edits) == 9 and all("== Layoff report L-" in line for line in edits)
    edited = out.getvalue().split("(edit of", 1)[1]
    for outcome in ("verified by Olu", "rejected by Olu", "duplicate of L-1 by Olu"):
        assert re.search(f"Status +{outcome}", edited), outcome
    assert "[1] Verify (closed)  [2] Reject (closed)  [3] Duplicate of… (closed)" in edited
    reports = await rows(bot, LayoffReport)
    assert [r.status for r in reports] == ["verified", "rejected", "duplicate"]
    assert reports[2].duplicate_of == 1
    assert all(r.moderated_at == START + timedelta(minutes=15) for r in reports)
    audit = await rows(bot, AuditEntry)
    assert [(a.action, a.target) for a in audit] == [
        ("layoff.verify", "L-1"),
        ("layoff.reject", "L-2"),
        ("layoff.duplicate", "L-3"),
    ]
    assert '"of": "L-1"' in audit[2].detail

    stranger = Person("UWIORG", platform="slack", space="TWI")  # an organizer elsewhere
    reply = await bot.say(stranger, "/layoff verify id:L-1")
    assert reply.error and reply.text == "id: no report L-1 here"
    for line in ("/layoff verify id:1", "/layoff reject id:1", "/layoff duplicate id:1 of:2"):
        reply = await bot.say("ana", line)
        assert reply.error and "needs the organizer role" in reply.text, line


async def test_the_same_employer_within_30_days_is_flagged(
    database: Database, tmp_path: Path
) -> None:
    bot, _, out = await layoff_bot(database, tmp_path)
    await file_report(bot, "ana", 'employer:"The Springfield Public Library"')
    await file_report(bot, "bo", 'employer:"springfield  public library."')
    await file_report(bot, "cy", 'employer:"Springfield College Library"')
    bot.clock.advance(timedelta(days=29))
    await file_report(bot, "di", 'employer:"SPRINGFIELD PUBLIC LIBRARY, THE"')
    await bot.app.settle()
    assert re.search(r"Possible duplicate +of L-1 \(same employer within 30 days\)", out.getvalue())
    bot.clock.advance(timedelta(days=31))
    await file_report(bot, "ed", "Springfield Public Library")  # typed without its key
    reports = await rows(bot, LayoffReport)
    assert [r.possible_duplicate_of for r in reports] == [None, 1, None, 2, None]
    assert reports[4].employer == "Springfield Public Library"


async def test_refusals_name_the_field_and_store_nothing(
    database: Database, tmp_path: Path
) -> None:
    bot, _, _ = await layoff_bot(database, tmp_path)
    workers = "workers: must be a whole number from 1 to 100,000, or unknown"
    source = "source: must be an http:// or https:// address"
    cases = {
        "workers:0": workers,
        "workers:100001": workers,
        "workers:100,001": workers,
        "workers:lots": workers,
        "workers:1.5": workers,
        "source:ftp://x": source,
        "source:javascript:alert(1)": source,
        "source:http://[": source,
        f'details:"{"x" * 2001}"': "details: must be at most 2,000 characters (got 2,001)",
        "kind:strike": "kind: must be one of layoff, furlough, hours-cut, position-eliminated, "
        "closure, hiring-freeze",
        "ok_to_contact:yes": "ok_to_contact: works with named reports only",
        "anonymous:yes ok_to_contact:yes": "ok_to_contact: works with named reports only",
        "effective_date:2/30/2026": "effective_date: 2/30/2026 is not a real date",
        "effective_date:2026-02-29": "effective_date: 2026-02-29 is not a real date",
        "effective_date:13/1": "effective_date: 13/1 is not a real date",
        "effective_date:2/29": "effective_date: 2/29 needs its year",
        "effective_date:soon": "effective_date: must be a date such as 2026-12-01",
        "state:ZZ": "state: must be a US state",
        "classifications:wizard": "classifications: must be one of librarian",
        "schedule:sometimes": "schedule: must be one of full-time, part-time, both",
        "union:maybe": "union: must be one of yes, no, unknown",
        "anonymous:perhaps": "anonymous: must be yes or no",
        f'city:"{"x" * 101}"': "city: must be at most 100 characters",
        'city:"a\x00b"': "city: must not contain the NUL character",
    }
    for extra, expected in cases.items():
        reply = await bot.say("ana", f'/layoff report employer:"Elm Library" {extra}')
        assert reply.error and reply.text.startswith(expected), (extra, reply.text)
    reply = await bot.say("ana", f'/layoff report employer:"{"x" * 201}"')
    assert reply.error and reply.text.startswith("employer: must be at most 200 characters")
    reply = await bot.say("ana", "/layoff report state:IL")
    assert reply.error and reply.text == "/layoff report needs the field employer."
    assert await bot.count(LayoffReport) == 0 and await bot.count(OutboxMessage) == 0
    assert await bot.count(Member) == 0

    form = await bot.say("ana", "/layoff report", interactive=True)
    assert form.form is not None and form.form.fields[0].name == "employer"
    assert form.form.fields[0].required and not any(f.required for f in form.form.fields[1:])
    filed = await bot.click("ana", form.form.id, {"employer": "Elm Library", "state": "wi"})
    assert filed.text.startswith("Thank you. Your report is L-1.")
    await file_report(
        bot,
        "ana",
        "Pine Hill Branch Library state:Illinois workers:1,200 effective_date:1/15 "
        'kind:"Hours cut" union:Unknown schedule:"part time" classifications:"page, librarian"',
    )
    await file_report(bot, "ana", "Oak Library workers:unknown effective_date:12/1/2026")
    await file_report(bot, "ana", "Ash Library workers:100,000 effective_date:2026-12-01")
    reports = await rows(bot, LayoffReport)
    assert [(r.employer, r.state, r.workers, r.effective_date) for r in reports] == [
        ("Elm Library", "WI", None, None),
        ("Pine Hill Branch Library", "IL", 1200, date(2027, 1, 15)),
        ("Oak Library", None, None, date(2026, 12, 1)),
        ("Ash Library", None, 100_000, date(2026, 12, 1)),
    ]
    assert (reports[1].kind, reports[1].union_represented, reports[1].schedule) == (
        "hours-cut",
        "unknown",
        "part-time",
    )
    assert reports[1].classifications == ["page", "librarian"]


async def test_five_reports_an_hour_anonymous_or_named(database: Database, tmp_path: Path) -> None:
    bot, _, _ = await layoff_bot(database, tmp_path)
    for n in range(5):
        named = " anonymous:no" if n % 2 else ""
        await file_report(bot, "ana", f"Library {n}{named}")
    for extra in ("", " anonymous:no"):
        reply = await bot.say("ana", f"/layoff report Library 6{extra}")
        assert reply.error and reply.text == RATE_LIMITED
    await file_report(bot, "bo", "Library 7")  # someone else may
    await file_report(bot, Person("ana", platform="slack"), "Library 8")  # another account
    assert await bot.count(LayoffReport) == 7
    bot.clock.advance(timedelta(minutes=59))
    assert (await bot.say("ana", "/layoff report Library 9")).text == RATE_LIMITED
    bot.clock.advance(timedelta(minutes=1))
    await file_report(bot, "ana", "Library 9")
    assert await bot.count(LayoffReport) == 8


async def test_stats_count_verified_reports_in_sql_with_a_chart(
    database: Database, tmp_path: Path
) -> None:
    bot, _, out = await layoff_bot(database, tmp_path)
    filed = [
        ("A Library state:IL library_type:public workers:10 effective_date:2026-12-01", "verify"),
        ("B Library state:IL library_type:academic workers:5 effective_date:11/15", "verify"),
        ("C Library state:WI library_type:public workers:unknown", "verify"),
        ("D Library state:IL library_type:public workers:100", "reject"),
        ("E Library state:IL workers:7", None),
        ("F Library state:WI library_type:school workers:3 effective_date:6/1/2025", "verify"),
        ("G Library workers:2 effective_date:2025-06-20", "verify"),
    ]
    for n, (line, decision) in enumerate(filed, start=1):
        await file_report(bot, f"p{n}", line)
        if decision:
            await bot.say(OLU, f"/layoff {decision} id:L-{n}")

    reply = await bot.say("ana", "/layoff stats")
    shown = dict(reply.fields)
    assert reply.title == "Verified layoff reports"
    assert shown["Reports"] == "5"
    assert shown["Workers affected"] == "20 (and 1 report with the number unknown)"
    assert shown["By state"] == "IL 2 (15 workers); WI 2 (3 workers); state not given 1 (2 workers)"
    assert shown["By library type"] == (
        "public 2 (10 workers); academic 1 (5 workers); school 1 (3 workers); "
        "type not given 1 (2 workers)"
    )
    assert reply.table is not None and reply.table.rows == [
        ["2025-06", "2", "5"],
        ["2026-11", "2", "5"],
        ["2026-12", "1", "10"],
    ]
    (chart,) = reply.files
    assert chart.name == "layoffs-by-month.png" and chart.data.startswith(PNG)
    assert len(chart.data) > 5_000

    il = await bot.say("ana", "/layoff stats state:il")
    assert il.title == "Verified layoff reports in IL" and dict(il.fields)["Reports"] == "2"
    since = await bot.say("ana", "/layoff stats since:11/1")
    assert since.title == "Verified layoff reports since 2026-11-01"
    assert since.table is not None and [r[0] for r in since.table.rows] == ["2026-11", "2026-12"]
    both = await bot.say("ana", "/layoff stats state:WI since:2026-01-01")
    assert dict(both.fields)["Reports"] == "1" and dict(both.fields)["Workers affected"] == (
        "0 (and 1 report with the number unknown)"
    )
    none = await bot.say("ana", "/layoff stats state:TX")
    assert none.text == "No verified layoff reports in TX yet." and not none.files
    bad = await bot.say("ana", "/layoff stats since:someday")
    assert bad.error and bad.text.startswith("since: must be a date")

    await bot.app.scheduler.add_digest("demo")
    await bot.app.settle()
    assert "[#alerts] == This week in Demo Library Workers ==" in out.getvalue()
    assert "5 new verified layoff reports this week (20 workers)" in out.getvalue()


async def test_list_shows_the_latest_verified_reports_without_reporters(
    database: Database, tmp_path: Path
) -> None:
    bot, _, _ = await layoff_bot(database, tmp_path)
    assert (await bot.say("ana", "/layoff list")).text == "No verified layoff reports yet."
    for n in range(1, 24):
        state = "WI" if n % 2 else "IL"
        named = " anonymous:no" if n == 23 else ""
        await file_report(bot, f"p{n}", f'"Library {n}" city:Springfield state:{state}{named}')
        if n != 22:
            await bot.say(OLU, f"/layoff verify id:{n}")
    listed = await bot.say("ana", "/layoff list")
    assert listed.table is not None and len(listed.table.rows) == 20
    assert listed.table.headers == ["ref", "employer", "where", "kind", "workers", "effective"]
    assert listed.table.rows[0] == [
        "L-23",
        "Library 23",
        "Springfield, WI",
        "layoff",
        "unknown",
        "—",
    ]
    assert [r[0] for r in listed.table.rows[:2]] == ["L-23", "L-21"]  # L-22 is pending
    assert "P23" not in listed.plain_text()
    il = await bot.say("ana", "/layoff list state:IL")
    assert il.table is not None and [r[0] for r in il.table.rows][:2] == ["L-20", "L-18"]
    assert len(il.table.rows) == 10


async def test_export_is_a_csv_of_every_report_for_organizers(
    database: Database, tmp_path: Path
) -> None:
    bot, _, _ = await layoff_bot(database, tmp_path)
    await file_report(bot, "bea", '"Oak Library" state:IL workers:4 anonymous:no ok_to_contact:y')
    await file_report(bot, "ana", '"=HYPERLINK(1)" details:"line one\nline, two" workers:unknown')
    await file_report(bot, "cy", '"Ash Library" classifications:"page, technician"')
    await bot.say(OLU, "/layoff verify id:1")
    await bot.say(OLU, "/layoff duplicate id:3 of:1")
    denied = await bot.say("ana", "/layoff export")
    assert denied.error and denied.text.startswith("/layoff export needs the organizer role")
    reply = await bot.say(OLU, "/layoff export")
    (exported,) = reply.files
    assert exported.name == "layoffs-demo.csv" and exported.mime == "text/csv"
    table = list(csv.DictReader(io.StringIO(exported.data.decode("utf-8"))))
    assert [r["ref"] for r in table] == ["L-1", "L-2", "L-3"]
    assert [r["status"] for r in table] == ["verified", "pending", "duplicate"]
    assert [r["reporter"] for r in table] == ["Bea", "", ""]
    assert [r["anonymous"] for r in table] == ["no", "yes", "yes"]
    assert table[0]["ok_to_contact"] == "yes" and table[0]["moderated_by"] == "Olu"
    assert table[1]["employer"] == "'=HYPERLINK(1)" and table[1]["details"] == "line one\nline, two"
    assert table[1]["workers"] == "unknown" and table[0]["workers"] == "4"
    assert table[2]["duplicate_of"] == "L-1" and table[2]["classifications"] == "page, technician"
    assert table[0]["received_week"] == "2026-11-02"
    audit = await rows(bot, AuditEntry, action="layoff.export")
    assert [a.target for a in audit] == ["demo"]
    elsewhere = await bot.say(Person("UWIORG", platform="slack", space="TWI"), "/layoff export")
    other = list(csv.DictReader(io.StringIO(elsewhere.files[0].data.decode("utf-8"))))
    assert other == [] and elsewhere.files[0].name == "layoffs-wi-library-workers.csv"


async def test_privacy_export_and_link_carry_named_reports(
    database: Database, tmp_path: Path
) -> None:
    bot, _, _ = await layoff_bot(database, tmp_path)
    await file_report(bot, "bea", "Oak Library anonymous:no")
    await file_report(bot, "bea", "Ash Library")  # anonymous: never hers in any export
    await file_report(bot, Person("U1", platform="slack"), "Elm Library anonymous:no")
    await link_accounts(bot, "bea", Person("U1", platform="slack"))
    (bea,) = await rows(bot, Member)
    reports = await rows(bot, LayoffReport)
    assert [r.reporter_member_id for r in reports] == [bea.id, None, bea.id]
    mine = await bot.say("bea", "/privacy export")
    data = mine.files[0].data.decode()
    assert '"ref": "L-1"' in data and '"ref": "L-3"' in data and "L-2" not in data


# --- random input through the whole report form -------------------------------------------

words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters='"\\'),
    max_size=40,
)
PLAUSIBLE = {
    "employer": ["Elm Library", "x" * 200, "x" * 201, "The Library!"],
    "state": ["IL", "illinois", "ZZ", "Puerto Rico"],
    "city": ["Springfield", "x" * 101],
    "kind": ["layoff", "Hours cut", "HIRING_FREEZE", "strike"],
    "workers": ["1", "100000", "100,000", "100001", "0", "-3", "unknown", "1,2,3", "12 "],
    "effective_date": ["2026-12-01", "12/1/2026", "12/1", "2/29", "2/30", "1/1/99", "0/0"],
    "library_type": ["public", "Academic", "museum"],
    "classifications": ["page", "page, librarian", "none", "wizard", ",,"],
    "schedule": ["full-time", "Part Time", "both", "never"],
    "union": ["yes", "no", "unknown", "Y"],
    "source": ["https://example.org/a", "ftp://x", "javascript:alert(1)", "http://", "http://["],
    "details": ["", "x" * 2000, "x" * 2001],
    "anonymous": ["yes", "no", "0", "maybe"],
    "ok_to_contact": ["yes", "no", "true", "perhaps"],
}
OPTION_NAMES = tuple(PLAUSIBLE)


def value_of(name: str) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(PLAUSIBLE[name]), words)


report_lines = st.builds(
    lambda values: (
        "/layoff report " + " ".join(f'{name}:"{value}"' for name, value in values.items())
    ),
    st.fixed_dictionaries(
        {"employer": value_of("employer")},
        optional={name: value_of(name) for name in OPTION_NAMES if name != "employer"},
    ),
)
REFUSAL = re.compile(r"^(" + "|".join(OPTION_NAMES) + r"): \S")


@pytest.fixture(params=["sqlite", "postgresql"])
def form_bot(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[asyncio.AbstractEventLoop, Bot]]:
    """An application whose hourly limit is out of the way, on its own event loop."""
    config = Config(orgs=[demo_org()], bot=BotConfig(layoff_reports_per_hour=1_000_000))
    with bot_on_own_loop(request.param, tmp_path, config=config) as found:
        yield found


def test_random_report_forms_are_filed_or_refused_by_field(form_bot) -> None:
    loop, bot = form_bot
    filed = 0

    @given(line=report_lines)
    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def check(line: str) -> None:
        nonlocal filed
        reply = loop.run_until_complete(bot.say("ana", line))
        shown = reply.plain_text()
        assert "Something went wrong" not in shown and "Traceback" not in shown, line
        if reply.error:
            assert REFUSAL.match(reply.text) or reply.text.startswith("You have filed"), (
                line,
                reply.text,
            )
        else:
            assert re.match(r"Thank you\. Your report is L-\d+\. ", reply.text), reply.text
            filed += 1

    check()

    async def stored() -> int:
        async with bot.app.db.transaction() as conn:
            return (await conn.execute(select(func.count()).select_from(LayoffReport))).scalar_one()

    assert loop.run_until_complete(stored()) == filed > 0

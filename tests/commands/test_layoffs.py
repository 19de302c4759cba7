"""/layoff through the dispatcher, scheduler and delivery engine, on both databases: anonymity,
hidden reports, random references, moderation, duplicates, refusals, the hourly limit,
statistics, the list and the export."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from adapters.console import Screen
from bot.config import BotConfig, Config, LimitsConfig, PollsConfig, demo_org
from commands.layoffs.limits import person_key
from storage.db import Database
from storage.models import (
    AuditEntry,
    Identity,
    LayoffReport,
    LayoffReportCount,
    Member,
    OutboxMessage,
)
from tests.conftest import bot_on_own_loop
from tests.support import START, Bot, ConsoleBot, Person, link_accounts, second_org, start_bot

OLU = Person("olu", roles=frozenset({"organizer"}))
MOD_PLACES = ("[#moderation]", "[slack #CMODS]", "[discord #200000000000000002]")
SECRET = "a-test-ballot-secret-0123456789"
PNG = b"\x89PNG\r\n\x1a\n"
#: the longest an anonymous report stays hidden
HELD_BACK = timedelta(minutes=15)


def limited(minutes: int) -> str:
    """The refusal of a sixth report within a clock hour."""
    unit = "minute" if minutes == 1 else "minutes"
    return (
        "You have filed 5 reports this hour, the most one person may; "
        f"you can file the next in {minutes} {unit}."
    )


def layoff_config(**options: object) -> Config:
    """Two organizations and a ballot secret (which PostgreSQL needs for anonymous reports)."""
    return Config(
        orgs=[demo_org(), second_org()], polls=PollsConfig(ballot_secret=SECRET), **options
    )


async def layoff_bot(database: Database, tmp_path: Path) -> tuple[Bot, Screen, io.StringIO]:
    t = await ConsoleBot.start(database, tmp_path, start=START, config=layoff_config())
    return t.bot, t.screen, t.out


async def reveal(bot: Bot) -> None:
    """Let the longest hold-back pass, so every anonymous report filed so far is visible."""
    bot.clock.advance(HELD_BACK)
    await bot.app.settle()


async def rows(bot: Bot, model: type, **where: object) -> list[object]:
    async with bot.app.db.transaction() as conn:
        query = select(model.__table__)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return list(await conn.execute(query.order_by(*model.__table__.primary_key)))


async def file_report(bot: Bot, who: Person | str, line: str) -> int:
    """File a report; the number of the reference it was given (4821 for L-4821)."""
    reply = await bot.say(who, f"/layoff report {line}")
    assert not reply.error, reply.text
    match = re.match(r"Thank you\. Your report is L-(\d+)\.", reply.text)
    assert match, reply.text
    return int(match.group(1))


def button(screen: Screen, label: str, ref: int) -> str:
    """The action id of a moderation button of a report, as a moderator would click it."""
    for b in screen.all_buttons:
        if b.label == label and b.action_id.endswith(f"?id={ref}"):
            return b.action_id
    raise AssertionError(f"no {label} button for L-{ref}")


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
    ref = int(re.findall(r"L-(\d+)\. It is anonymous", reply.text)[0])
    assert "Organizers will review it" in reply.text
    bot.clock.advance(timedelta(minutes=15))
    await bot.app.settle()
    assert f"[#moderation] == Layoff report L-{ref} ==" in out.getvalue()
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
            tables = ("layoff_reports", "layoff_report_counts", "outbox", "audit_log", "members")
            for table in (*tables, "identities"):
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
    ref = int(re.findall(r"L-(\d+)\. It carries your name", reply.text)[0])
    (report,) = await rows(bot, LayoffReport)
    (bea,) = await rows(bot, Member)
    assert report.reporter_member_id == bea.id and bea.display_name == "Bea"
    assert report.ref == ref and report.visible_from is None
    await bot.app.settle()  # a named report's post goes at once
    posted = out.getvalue()
    for place in MOD_PLACES:
        assert posted.count(f"{place} == Layoff report L-{ref} ==") == 1, place
    assert re.search(r"Reporter +Bea \(ok to contact\)", posted)
    assert re.search(r"Where +Oak Park, IL", posted)
    verified = await bot.click(OLU, button(screen, "Verify", ref))
    assert verified.text == f"L-{ref} is now marked verified."
    (audit,) = await rows(bot, AuditEntry)  # a named report's entry keeps its time
    assert (audit.target, audit.at) == (f"L-{ref}", START)
    for line in ("/layoff list", "/layoff stats", "/layoff list state:IL"):
        shown = (await bot.say("cy", line)).plain_text()
        assert "Oak Park Public Library" in shown or "Reports: 1" in shown, line
        assert "Bea" not in shown and "bea" not in shown, line


async def test_moderation_waits_for_anonymous_posts_and_buttons_decide(
    database: Database, tmp_path: Path
) -> None:
    bot, screen, out = await layoff_bot(database, tmp_path)
    one, two, three = [
        await file_report(bot, name, f'employer:"{name.title()} County Library" kind:furlough')
        for name in ("ana", "bo", "cy")
    ]
    await bot.app.settle()
    assert "Layoff report" not in out.getvalue()
    bot.clock.advance(timedelta(seconds=119))
    await bot.app.settle()
    assert "Layoff report" not in out.getvalue()
    bot.clock.advance(timedelta(minutes=13, seconds=1))
    await bot.app.settle()
    posted = out.getvalue()
    for ref in (one, two, three):
        for place in MOD_PLACES:
            assert posted.count(f"{place} == Layoff report L-{ref} ==") == 1
    assert re.search(r"Reporter +anonymous", posted) and re.search(r"Kind +furlough", posted)

    verify = button(screen, "Verify", one)
    denied = await bot.click("ana", verify)
    assert denied.error
    assert denied.text == "/layoff verify needs the organizer role; you have the member role here."
    assert (await bot.click(OLU, verify)).text == f"L-{one} is now marked verified."
    again = await bot.click(OLU, verify)
    assert again.text == f"L-{one} is already verified; nothing changed."
    reject_one = await bot.click(OLU, button(screen, "Reject", one))
    assert reject_one.text.startswith(f"L-{one} is already")

    rejected = await bot.say(OLU, f"/layoff reject id:L-{two}")
    assert rejected.text == f"L-{two} is now marked rejected."
    asked = await bot.click(OLU, button(screen, "Duplicate of…", three))
    assert asked.error and asked.text == "/layoff duplicate needs the field of."
    form = await bot.app.dispatcher.handle_interaction(
        bot.invocation(OLU, interactive=True), button(screen, "Duplicate of…", three)
    )
    assert form.form is not None and [f.name for f in form.form.fields] == ["id", "of"]
    assert form.form.fields[0].default == str(three)
    bad = await bot.click(OLU, button(screen, "Duplicate of…", three), {"of": f"L-{three}"})
    assert bad.error and bad.text.startswith("of: must be another report")
    missing = await bot.click(OLU, button(screen, "Duplicate of…", three), {"of": "L-99"})
    assert missing.error and missing.text == "of: no report L-99 here"
    done = await bot.click(OLU, button(screen, "Duplicate of…", three), {"of": str(one)})
    assert done.text == f"L-{three} is now marked duplicate of L-{one}."

    await bot.app.settle()
    edits = [line for line in out.getvalue().splitlines() if "(edit of" in line]
    assert len(edits) == 9 and all("== Layoff report L-" in line for line in edits)
    edited = out.getvalue().split("(edit of", 1)[1]
    for outcome in ("verified by Olu", "rejected by Olu", f"duplicate of L-{one} by Olu"):
        assert re.search(f"Status +{outcome}", edited), outcome
    assert "[1] Verify (closed)  [2] Reject (closed)  [3] Duplicate of… (closed)" in edited
    reports = await rows(bot, LayoffReport)
    assert [r.status for r in reports] == ["verified", "rejected", "duplicate"]
    assert reports[2].duplicate_of == reports[0].id
    # anonymous reports: the day of their moderation only
    assert all(r.moderated_at == START.replace(hour=0) for r in reports)
    audit = await rows(bot, AuditEntry)
    assert [(a.action, a.target) for a in audit] == [
        ("layoff.verify", f"L-{one}"),
        ("layoff.reject", f"L-{two}"),
        ("layoff.duplicate", f"L-{three}"),
    ]
    assert f'"of": "L-{one}"' in audit[2].detail
    # about anonymous reports, the audit log keeps the day, not the moment
    assert {a.at for a in audit} == {START.replace(hour=0)}

    stranger = Person("UWIORG", platform="slack", space="TWI")  # an organizer elsewhere
    reply = await bot.say(stranger, f"/layoff verify id:L-{one}")
    assert reply.error and reply.text == f"id: no report L-{one} here"
    lines = (f"/layoff verify id:{one}", f"/layoff reject id:{one}", "/layoff duplicate id:1 of:2")
    for line in lines:
        reply = await bot.say("ana", line)
        assert reply.error and "needs the organizer role" in reply.text, line


async def test_an_anonymous_report_is_hidden_until_its_post_is_due(
    database: Database, tmp_path: Path
) -> None:
    bot, _, out = await layoff_bot(database, tmp_path)
    named = await file_report(bot, "bea", '"Oak Library" anonymous:no')
    hidden = await file_report(bot, "ana", '"Elm Library" workers:12')
    (post_due,) = {r.visible_from for r in await rows(bot, LayoffReport, ref=hidden)}
    assert START + timedelta(minutes=2) <= post_due <= START + HELD_BACK
    missing = next(n for n in range(1000, 1010) if n not in (named, hidden))

    async def answers(ref: int) -> list[str]:
        """What organizers and members are told about L-<ref>, with the number taken out."""
        lines = [
            f"/layoff verify id:L-{ref}",
            f"/layoff reject id:{ref}",
            f"/layoff duplicate id:{ref} of:{named}",
            f"/layoff duplicate id:{named} of:L-{ref}",
        ]
        said = [(await bot.say(OLU, line)).plain_text() for line in lines]
        return [text.replace(str(ref), "<ref>") for text in said]

    told = await answers(hidden)
    assert told == await answers(missing)
    assert told[0] == "id: no report L-<ref> here"
    assert told[3] == "of: no report L-<ref> here"
    exported = (await bot.say(OLU, "/layoff export")).files[0].data.decode()
    assert f"L-{named}" in exported and "Elm Library" not in exported
    # a report on the same employer is not flagged against one nobody can see yet
    cy = await file_report(bot, "cy", '"Elm Library" anonymous:no')
    bot.clock.advance(post_due - START - timedelta(seconds=1))
    await bot.app.settle()
    assert (await bot.say(OLU, f"/layoff verify id:{hidden}")).text == told[0].replace(
        "<ref>", str(hidden)
    )
    assert f"L-{hidden}" not in out.getvalue()

    bot.clock.advance(timedelta(seconds=1))  # the moderation post is due: all can see it
    await bot.app.settle()
    assert f"[#moderation] == Layoff report L-{hidden} ==" in out.getvalue()
    exported = (await bot.say(OLU, "/layoff export")).files[0].data.decode()
    assert f"L-{hidden}" in exported and "Elm Library" in exported
    await bot.say(OLU, f"/layoff reject id:{cy}")
    await file_report(bot, "di", '"Elm Library" anonymous:no')
    flags = [r.possible_duplicate_of for r in await rows(bot, LayoffReport)]
    assert flags == [None, None, None, 2]  # of the report that was hidden
    verified = await bot.say(OLU, f"/layoff verify id:L-{hidden}")
    assert verified.text == f"L-{hidden} is now marked verified."
    (decided,) = await rows(bot, LayoffReport, ref=hidden)
    assert decided.visible_from is None  # decided: the time its post was due is not kept
    listed = await bot.say("bo", "/layoff list")
    assert listed.table is not None and listed.table.rows[0][:2] == [f"L-{hidden}", "Elm Library"]
    assert dict((await bot.say("bo", "/layoff stats")).fields)["Reports"] == "1"


async def test_references_are_short_random_numbers_typed_with_or_without_l(
    database: Database, tmp_path: Path
) -> None:
    bot, screen, _ = await layoff_bot(database, tmp_path)
    refs = [await file_report(bot, f"p{n}", f"Library {n} anonymous:no") for n in range(12)]
    assert all(1000 <= ref <= 99_999 for ref in refs)
    assert len(set(refs)) == 12 and refs != sorted(refs)  # not the order they arrived in
    stored = await rows(bot, LayoffReport)
    assert [r.ref for r in stored] == refs and [r.id for r in stored] == list(range(1, 13))
    assert (await bot.say(OLU, f"/layoff verify id:L-{refs[0]}")).text.endswith("verified.")
    assert (await bot.say(OLU, f"/layoff reject id:{refs[1]}")).text.endswith("rejected.")
    await bot.app.settle()
    clicked = await bot.click(OLU, button(screen, "Verify", refs[2]))
    assert clicked.text == f"L-{refs[2]} is now marked verified."
    # the same number in another organization is another report, or none
    other = Person("UWIORG", platform="slack", space="TWI")
    elsewhere = await file_report(bot, other, "Library W anonymous:no")
    assert (await bot.say(other, f"/layoff verify id:{refs[3]}")).error or refs[3] == elsewhere


async def test_the_same_employer_within_30_days_is_flagged(
    database: Database, tmp_path: Path
) -> None:
    bot, _, out = await layoff_bot(database, tmp_path)
    first = await file_report(bot, "ana", 'employer:"The Springfield Public Library"')
    await reveal(bot)
    await file_report(bot, "bo", 'employer:"springfield  public library."')
    await file_report(bot, "cy", 'employer:"Springfield College Library"')
    bot.clock.advance(timedelta(days=29))
    await file_report(bot, "di", 'employer:"SPRINGFIELD PUBLIC LIBRARY, THE"')
    await reveal(bot)
    shown = rf"Possible duplicate +of L-{first} \(same employer within 30 days\)"
    assert re.search(shown, out.getvalue())
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
    assert re.match(r"Thank you\. Your report is L-\d{4,5}\. ", filed.text), filed.text
    await file_report(
        bot,
        "ana",
        "Pine Hill Branch Library state:Illinois workers:1,200 effective_date:1/15 "
        'kind:"Hours cut" union:Unknown schedule:"part time" '
        'classifications:"pages, librarians, library assistants" library_type:publc',
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
    # plurals and near-spellings of descriptive choices are taken, as on /profile
    assert reports[1].classifications == ["page", "librarian", "library-assistant"]
    assert reports[1].library_type == "public"


async def test_an_unquoted_employer_with_spaces_is_shown_quoted(
    database: Database, tmp_path: Path
) -> None:
    bot, _, _ = await layoff_bot(database, tmp_path)
    reply = await bot.say("ana", "/layoff report employer:Oak Park PL workers:3")
    assert reply.error
    assert reply.text == 'employer: a value with spaces needs quotes: employer:"Oak Park PL"'
    assert await rows(bot, LayoffReport) == []
    # the employer typed first, without its key, needs no quotes
    await file_report(bot, "ana", "Oak Park PL workers:3")
    assert [r.employer for r in await rows(bot, LayoffReport)] == ["Oak Park PL"]


async def test_an_unquoted_value_after_the_employer_is_not_added_to_the_employer(
    database: Database, tmp_path: Path
) -> None:
    bot, _, _ = await layoff_bot(database, tmp_path)
    reply = await bot.say("ana", '/layoff report "Oak Library" city:Oak Park')
    assert reply.error
    assert reply.text == 'city: a value with spaces needs quotes: city:"Oak Park"'
    assert await rows(bot, LayoffReport) == []
    await file_report(bot, "ana", '"Oak Library" city:"Oak Park"')
    assert [(r.employer, r.city) for r in await rows(bot, LayoffReport)] == [
        ("Oak Library", "Oak Park")
    ]


async def test_five_reports_an_hour_anonymous_or_named(database: Database, tmp_path: Path) -> None:
    bot, _, _ = await layoff_bot(database, tmp_path)
    for n in range(5):
        named = " anonymous:no" if n % 2 else ""
        await file_report(bot, "ana", f"Library {n}{named}")
    for extra in ("", " anonymous:no"):
        reply = await bot.say("ana", f"/layoff report Library 6{extra}")
        assert reply.error and reply.text == limited(60)
    await file_report(bot, "bo", "Library 7")  # someone else may
    await file_report(bot, Person("ana", platform="slack"), "Library 8")  # another account
    assert await bot.count(LayoffReport) == 7
    bot.clock.advance(timedelta(minutes=59, seconds=30))
    assert (await bot.say("ana", "/layoff report Library 9")).text == limited(1)
    bot.clock.advance(timedelta(seconds=30))  # a new clock hour
    await file_report(bot, "ana", "Library 9")
    assert await bot.count(LayoffReport) == 8


async def test_a_limit_of_one_report_an_hour_reads_in_the_singular(
    database: Database, tmp_path: Path
) -> None:
    config = layoff_config(limits=LimitsConfig(layoff_reports_per_hour=1))
    t = await ConsoleBot.start(database, tmp_path, start=START, config=config)
    await file_report(t.bot, "ana", "Library 1")
    reply = await t.bot.say("ana", "/layoff report Library 2")
    assert reply.error
    assert reply.text == (
        "You have filed 1 report this hour, the most one person may; "
        "you can file the next in 60 minutes."
    )


async def test_linked_accounts_share_one_limit(database: Database, tmp_path: Path) -> None:
    bot, _, _ = await layoff_bot(database, tmp_path)
    slack = Person("U1", platform="slack")
    await link_accounts(bot, "ana", slack)
    for n in range(3):
        await file_report(bot, "ana", f"Library {n}")
    for n in range(3, 5):
        await file_report(bot, slack, f"Library {n} anonymous:no")
    for who in ("ana", slack):
        for extra in ("", " anonymous:no"):
            reply = await bot.say(who, f"/layoff report Library 6{extra}")
            assert reply.error and reply.text == limited(60)
    (member,) = await rows(bot, Member)
    counts = {c.person: c.count for c in await rows(bot, LayoffReportCount)}
    key = SECRET.encode()
    assert counts == {
        person_key(key, f"m:{member.id}"): 5,
        person_key(key, "a:console:ana"): 3,
        person_key(key, "a:slack:U1"): 2,
    }


async def test_an_anonymous_reports_count_shares_no_transaction_with_the_report(
    database: Database, tmp_path: Path
) -> None:
    bot, _, _ = await layoff_bot(database, tmp_path)
    await file_report(bot, "ana", "Library 1")
    await file_report(bot, "ana", "Library 2")
    assert await bot.count(LayoffReport) == 2 and await bot.count(LayoffReportCount) == 1
    if database.is_sqlite:
        return  # SQLite keeps no transaction id on a row
    async with bot.app.db.reading() as conn:
        reports = {x for (x,) in await conn.execute(text("SELECT xmin::text FROM layoff_reports"))}
        counts = {
            x for (x,) in await conn.execute(text("SELECT xmin::text FROM layoff_report_counts"))
        }
    # the count row was last written by the second report's count, not by a report's write
    assert len(reports) == 2 and len(counts) == 1 and not reports & counts


async def test_forty_reports_at_once_from_one_account_store_five(
    database: Database, tmp_path: Path
) -> None:
    bot, _, _ = await layoff_bot(database, tmp_path)
    replies = await asyncio.gather(
        *(bot.say("ana", f"/layoff report Library {n}") for n in range(40))
    )
    assert sum(not r.error for r in replies) == 5 == await bot.count(LayoffReport)
    assert {r.text for r in replies if r.error} == {limited(60)}
    assert await bot.count(Member) == 0 and await bot.count(Identity) == 0
    # the count is all that is kept of the person: a keyed hash, the hour and a number
    async with bot.app.db.reading() as conn:
        stored = (await conn.execute(text("SELECT * FROM layoff_report_counts"))).mappings().all()
    assert len(stored) == 1 and set(stored[0]) == {"person", "hour", "count"}
    (count,) = await rows(bot, LayoffReportCount)
    assert count.person == person_key(SECRET.encode(), "a:console:ana")
    assert re.fullmatch(r"[0-9a-f]{64}", count.person) and "ana" not in count.person
    assert (count.hour, count.count) == (START, 5)


async def test_the_limit_survives_a_restart(database: Database, tmp_path: Path) -> None:
    bot, _, _ = await layoff_bot(database, tmp_path)
    for n in range(3):
        await file_report(bot, "ana", f"Library {n}")
    await bot.app.stop()
    again = await start_bot(database, config=layoff_config(), clock=bot.clock)
    try:
        bot.clock.advance(timedelta(minutes=20))
        for n in range(3, 5):
            await file_report(again, "ana", f"Library {n}")
        reply = await again.say("ana", "/layoff report Library 6")
        assert reply.error and reply.text == limited(40)
        assert await again.count(LayoffReport) == 5
    finally:
        await again.app.stop()


async def test_counts_are_deleted_when_their_hour_ends(database: Database, tmp_path: Path) -> None:
    t = await ConsoleBot.start(database, tmp_path, config=layoff_config())
    await t.ok("ana", "/layoff report Library 1")
    bot = t.bot
    bot.clock.advance(timedelta(minutes=30))
    await t.ok("bo", "/layoff report Library 2 anonymous:no")  # his account and his member
    assert await bot.count(LayoffReportCount) == 3
    await t.step_to(START + timedelta(minutes=59, seconds=59))
    assert await bot.count(LayoffReportCount) == 3
    await t.step_to(START + timedelta(hours=1))  # the hour is over, and nobody reports
    assert await bot.count(LayoffReportCount) == 0
    assert await bot.count(LayoffReport) == 2


async def test_anonymous_reports_on_postgresql_need_the_ballot_secret(
    pg_url: tuple[str, str], tmp_path: Path
) -> None:
    url, schema = pg_url
    database = Database(url, schema=schema)
    await database.upgrade()
    bot = await start_bot(database)
    try:
        reply = await bot.say("ana", "/layoff report Library 1")
        assert reply.error and reply.text == (
            "anonymous: anonymous reports need a ballot secret, which this bot does not have: "
            "an admin sets [polls] ballot_secret, the same for every bot process; until then, "
            "add anonymous:no to file it with your name"
        )
        assert await bot.count(LayoffReport) == 0 and await bot.count(LayoffReportCount) == 0
        await file_report(bot, "ana", "Library 1 anonymous:no")
        assert await bot.count(LayoffReport) == 1
    finally:
        await bot.app.stop()


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
    refs = [await file_report(bot, f"p{n}", line) for n, (line, _) in enumerate(filed, start=1)]
    await reveal(bot)
    for ref, (_, decision) in zip(refs, filed, strict=True):
        if decision:
            assert not (await bot.say(OLU, f"/layoff {decision} id:L-{ref}")).error

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


async def test_a_report_counts_on_its_effective_date_else_the_thursday_of_its_week(
    database: Database, tmp_path: Path
) -> None:
    # Thursday December 3: the week (Monday November 30) counts in December, the ISO rule
    received = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
    t = await ConsoleBot.start(database, tmp_path, start=received, config=layoff_config())
    bot = t.bot
    elm = await file_report(bot, "ana", '"Elm Library" workers:4')
    oak = await file_report(bot, "bo", '"Oak Library" workers:2 effective_date:2026-11-20')
    await reveal(bot)
    for ref in (elm, oak):
        assert not (await bot.say(OLU, f"/layoff verify id:{ref}")).error

    reply = await bot.say("ana", "/layoff stats")
    assert reply.table is not None and reply.table.rows == [
        ["2026-11", "1", "2"],
        ["2026-12", "1", "4"],
    ]
    assert reply.text == (
        "Each report counts on its effective date, else on the Thursday of the week it was "
        "received."
    )
    since = await bot.say("ana", "/layoff stats since:12/1")
    assert dict(since.fields)["Reports"] == "1" and dict(since.fields)["Workers affected"] == "4"

    # Friday January 1, 2027 is in the week of Thursday December 31: it counts in 2026
    bot.clock.advance(datetime(2027, 1, 1, 15, 0, tzinfo=UTC) - bot.clock.now())
    ash = await file_report(bot, "cy", '"Ash Library" workers:3')
    await reveal(bot)
    assert not (await bot.say(OLU, f"/layoff verify id:{ash}")).error
    new_year = await bot.say("ana", "/layoff stats since:2027-01-01")
    assert new_year.text == "No verified layoff reports since 2027-01-01 yet."
    whole = await bot.say("ana", "/layoff stats")
    assert whole.table is not None and whole.table.rows == [
        ["2026-11", "1", "2"],
        ["2026-12", "2", "7"],
    ]

    exported = (await bot.say(OLU, "/layoff export")).files[0]
    table = list(csv.DictReader(io.StringIO(exported.data.decode("utf-8"))))
    counted = {r["employer"]: (r["received_week"], r["counted_on"]) for r in table}
    assert counted == {
        "Elm Library": ("2026-11-30", "2026-12-03"),
        "Oak Library": ("2026-11-30", "2026-11-20"),
        "Ash Library": ("2026-12-28", "2026-12-31"),
    }


async def test_an_anonymous_reports_moderation_keeps_the_day_only(
    database: Database, tmp_path: Path
) -> None:
    bot, _, _ = await layoff_bot(database, tmp_path)
    elm = await file_report(bot, "ana", '"Elm Library"')
    oak = await file_report(bot, "bo", '"Oak Library" anonymous:no')
    await reveal(bot)
    await bot.say(OLU, f"/layoff verify id:{elm}")
    await bot.say(OLU, f"/layoff reject id:{oak}")
    moderated = {r.employer: r.moderated_at for r in await rows(bot, LayoffReport)}
    assert moderated == {
        "Elm Library": START.replace(hour=0),
        "Oak Library": START + HELD_BACK,
    }
    exported = (await bot.say(OLU, "/layoff export")).files[0]
    table = list(csv.DictReader(io.StringIO(exported.data.decode("utf-8"))))
    assert {r["employer"]: r["moderated_at"] for r in table} == {
        "Elm Library": "2026-11-02",
        "Oak Library": "2026-11-02T15:15:00+00:00",
    }


async def test_list_shows_the_latest_verified_reports_without_reporters(
    database: Database, tmp_path: Path
) -> None:
    bot, _, _ = await layoff_bot(database, tmp_path)
    assert (await bot.say("ana", "/layoff list")).text == "No verified layoff reports yet."
    refs = [0]  # refs[n] is the n-th report's
    for n in range(1, 24):
        state = "WI" if n % 2 else "IL"
        named = " anonymous:no" if n == 23 else ""
        line = f'"Library {n}" city:Springfield state:{state}{named}'
        refs.append(await file_report(bot, f"p{n}", line))
    await reveal(bot)
    for n in range(1, 24):
        if n != 22:
            assert not (await bot.say(OLU, f"/layoff verify id:{refs[n]}")).error
    listed = await bot.say("ana", "/layoff list")
    assert listed.table is not None and len(listed.table.rows) == 20
    assert listed.table.headers == ["ref", "employer", "where", "kind", "workers", "effective"]
    assert listed.table.rows[0] == [
        f"L-{refs[23]}",
        "Library 23",
        "Springfield, WI",
        "layoff",
        "unknown",
        "—",
    ]
    # the 22nd is pending
    assert [r[0] for r in listed.table.rows[:2]] == [f"L-{refs[23]}", f"L-{refs[21]}"]
    assert "P23" not in listed.plain_text()
    il = await bot.say("ana", "/layoff list state:IL")
    assert il.table is not None
    assert [r[0] for r in il.table.rows][:2] == [f"L-{refs[20]}", f"L-{refs[18]}"]
    assert len(il.table.rows) == 10


async def test_export_is_a_csv_of_every_report_for_organizers(
    database: Database, tmp_path: Path
) -> None:
    bot, _, _ = await layoff_bot(database, tmp_path)
    oak = await file_report(
        bot, "bea", '"Oak Library" state:IL workers:4 anonymous:no ok_to_contact:y'
    )
    formula = await file_report(
        bot, "ana", '"=HYPERLINK(1)" details:"line one\nline, two" workers:unknown'
    )
    ash = await file_report(bot, "cy", '"Ash Library" classifications:"page, technician"')
    await reveal(bot)
    await bot.say(OLU, f"/layoff verify id:{oak}")
    await bot.say(OLU, f"/layoff duplicate id:{ash} of:{oak}")
    denied = await bot.say("ana", "/layoff export")
    assert denied.error and denied.text.startswith("/layoff export needs the organizer role")
    reply = await bot.say(OLU, "/layoff export")
    (exported,) = reply.files
    assert exported.name == "layoffs-demo.csv" and exported.mime == "text/csv"
    table = list(csv.DictReader(io.StringIO(exported.data.decode("utf-8"))))
    assert [r["ref"] for r in table] == [f"L-{oak}", f"L-{formula}", f"L-{ash}"]
    assert [r["status"] for r in table] == ["verified", "pending", "duplicate"]
    assert [r["reporter"] for r in table] == ["Bea", "", ""]
    assert [r["anonymous"] for r in table] == ["no", "yes", "yes"]
    assert table[0]["ok_to_contact"] == "yes" and table[0]["moderated_by"] == "Olu"
    assert table[1]["employer"] == "'=HYPERLINK(1)" and table[1]["details"] == "line one\nline, two"
    assert table[1]["workers"] == "unknown" and table[0]["workers"] == "4"
    assert table[2]["duplicate_of"] == f"L-{oak}"
    assert table[2]["classifications"] == "page, technician"
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
    oak = await file_report(bot, "bea", "Oak Library anonymous:no")
    ash = await file_report(bot, "bea", "Ash Library")  # anonymous: never hers in any export
    elm = await file_report(bot, Person("U1", platform="slack"), "Elm Library anonymous:no")
    await reveal(bot)
    await link_accounts(bot, "bea", Person("U1", platform="slack"))
    (bea,) = await rows(bot, Member)
    reports = await rows(bot, LayoffReport)
    assert [r.reporter_member_id for r in reports] == [bea.id, None, bea.id]
    mine = await bot.say("bea", "/privacy export")
    data = mine.files[0].data.decode()
    assert f'"ref": "L-{oak}"' in data and f'"ref": "L-{elm}"' in data
    assert f"L-{ash}" not in data


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
    config = layoff_config(bot=BotConfig(layoff_reports_per_hour=1_000_000))
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
            assert REFUSAL.match(reply.text), (
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


async def test_a_refused_report_spends_none_of_the_hourly_limit(
    database: Database, tmp_path: Path
) -> None:
    bot, _, _ = await layoff_bot(database, tmp_path)
    for extra in (" effective_date:2/29", " ok_to_contact:yes") * 3:
        reply = await bot.say("ana", f"/layoff report Library 0{extra}")
        assert reply.error and extra.split(":")[0].strip() in reply.text, reply.text
    assert await rows(bot, LayoffReportCount) == []
    for n in range(5):
        await file_report(bot, "ana", f"Library {n}")
    assert (await bot.say("ana", "/layoff report Library 6")).text == limited(60)

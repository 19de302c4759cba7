"""Consent across platforms and organizers' opt-out lists, through the dispatcher, the console's
delivery and the `rallybot` command line, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import select

from commands.optouts import parse_optouts
from rallybot.cli import main
from storage.db import Database
from storage.models import AuditEntry, Identity, Member, OutboxMessage, PendingOptout, Profile
from storage.optouts import OptoutRow, import_optouts
from tests.commands.test_alerts import START, AlertBot, alert_bot, ok
from tests.conftest import PG_URL, require_postgres
from tests.support import Bot, Person, link_accounts, start_bot

ORGANIZER = Person("olu", roles=frozenset({"organizer"}))
ANA_SLACK = Person("U1", platform="slack")
ANA_DISCORD = Person("111", platform="discord")
ANA_CONSOLE = Person("ana")
ANA = (ANA_SLACK, ANA_DISCORD, ANA_CONSOLE)
WI_ORGANIZER = Person("UWIORG", platform="slack", space="TWI")
ALERT = '/alert create title:"{title}" body:B kind:email'


async def send_alert(t: AlertBot, title: str) -> int:
    """Create and send an alert to everyone; return its id once it is all delivered."""
    preview = await ok(t.bot, ORGANIZER, ALERT.format(title=title))
    alert_id = int(preview.actions[0].args["id"])
    await ok(t.bot, ORGANIZER, f"/alert send id:{alert_id}")
    await t.bot.app.settle()
    return alert_id


async def alert_dms(t: AlertBot, people: tuple[Person, ...]) -> list[tuple[str, str]]:
    """The direct messages of kind ``alert`` queued to any of these accounts."""
    accounts = {(p.platform, p.name) for p in people}
    async with t.bot.app.db.transaction() as conn:
        rows = await conn.execute(
            select(OutboxMessage.platform, OutboxMessage.target).where(
                OutboxMessage.kind == "alert", OutboxMessage.target_kind == "user"
            )
        )
        return [(platform, target) for platform, target in rows if (platform, target) in accounts]


async def rows_of(bot: Bot, model: type) -> list[tuple[object, ...]]:
    """Every row of a small table, as tuples of its columns."""
    async with bot.app.db.transaction() as conn:
        table = model.__table__  # type: ignore[attr-defined]
        return [tuple(row) for row in await conn.execute(select(table))]


async def alert_dms_on(bot: Bot, person: Person) -> bool:
    """The ``alert dms`` field of the person's profile, as they see it."""
    shown = dict((await ok(bot, person, "/profile")).fields)
    return {"on": True, "off": False}[shown["alert dms"]]


def export_rows(data: bytes) -> list[dict[str, str]]:
    """An exported opt-out list as dictionaries."""
    return list(csv.DictReader(io.StringIO(data.decode())))


# consent follows the member -----------------------------------------------------------------


@pytest.mark.parametrize("code_on", ["slack", "discord"])
async def test_an_opt_out_made_before_linking_stops_alert_dms_on_every_account(
    database: Database, tmp_path: Path, code_on: str
) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, ANA_SLACK, "/profile alert_dms:no")
    await ok(bot, ANA_DISCORD, "/profile state:IL")  # DMs on here, before the link
    await ok(bot, "bea", "/profile state:WI")
    maker, taker = (ANA_SLACK, ANA_DISCORD) if code_on == "slack" else (ANA_DISCORD, ANA_SLACK)
    await link_accounts(bot, maker, taker)
    await link_accounts(bot, ANA_CONSOLE, maker)  # the console account joins too
    assert await bot.count(Member) == 2 and await bot.count(Identity) == 4
    for account in ANA:
        assert await alert_dms_on(bot, account) is False

    await send_alert(t, "First")
    assert await alert_dms(t, ANA) == []
    assert len(t.at("DM bea")) == 1  # the alert did go out by DM
    assert not t.at("slack DM U1") and not t.at("discord DM 111") and not t.at("DM ana")

    # one choice for the person: switching back on anywhere is one DM, to one account
    await ok(bot, ANA_DISCORD, "/profile alert_dms:yes")
    await send_alert(t, "Second")
    assert len(await alert_dms(t, ANA)) == 1


@pytest.mark.parametrize("opt_out_on", ANA, ids=lambda p: p.platform)
async def test_an_opt_out_made_after_linking_stops_alert_dms_on_every_account(
    database: Database, tmp_path: Path, opt_out_on: Person
) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    await link_accounts(bot, ANA_DISCORD, ANA_SLACK)
    await link_accounts(bot, ANA_SLACK, ANA_CONSOLE)
    await send_alert(t, "Before")
    assert len(await alert_dms(t, ANA)) == 1
    await ok(bot, opt_out_on, "/profile alert_dms:no")
    await send_alert(t, "After")
    assert len(await alert_dms(t, ANA)) == 1  # still only the first alert's
    for account in ANA:
        assert await alert_dms_on(bot, account) is False


async def test_reminders_event_messages_and_posts_still_reach_an_opted_out_member(
    database: Database, tmp_path: Path
) -> None:
    """Alert DMs are what an opt-out stops; what the member asked for still comes."""
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    await link_accounts(bot, ANA_SLACK, ANA_CONSOLE)
    await ok(bot, ANA_CONSOLE, "/profile alert_dms:no")
    await ok(bot, ANA_SLACK, '/reminder add when:"in 1 hour" text:"Call Rep. Smith"')
    await ok(
        bot,
        ORGANIZER,
        '/event create title:Meeting kind:meeting start:"2026-11-02 13:00" capacity:1 '
        'reminders:"2h"',
    )
    await ok(bot, "bea", "/event rsvp id:1 status:going")
    waiting = await ok(bot, ANA_SLACK, "/event rsvp id:1 status:going")
    assert "waitlist: number 1" in waiting.text
    await ok(bot, "bea", "/event rsvp id:1 status:no")
    await bot.app.settle()
    (promoted,) = t.at("slack DM U1")
    assert promoted.startswith("Good news: a place opened up")
    await t.step_to(START + timedelta(hours=3))
    texts = t.at("slack DM U1")
    assert any("Call Rep. Smith" in text for text in texts)
    assert any(text.startswith("⏰ “Meeting” (event 1)") for text in texts)
    # the event's announcement went to the channels as ever
    assert any("Meeting" in text for text in t.at("#alerts"))
    await ok(
        bot, ORGANIZER, '/poll create question:"Which first?" options:"Pay | Hours" anonymous:no'
    )
    await bot.app.settle()
    assert any("Which first?" in text for text in t.at("#alerts"))
    await send_alert(t, "Not by DM")
    assert await alert_dms(t, ANA) == []
    assert any("Not by DM" in text for text in t.at("#alerts"))


async def test_an_opt_out_after_an_alert_arrived_stops_its_nudge_on_every_account(
    database: Database, tmp_path: Path
) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    await link_accounts(bot, ANA_SLACK, ANA_DISCORD)
    await ok(bot, "bea", "/profile state:WI")
    preview = await ok(
        bot, ORGANIZER, '/alert create title:Call body:B kind:call deadline:"2026-11-05 17:00"'
    )
    await ok(bot, ORGANIZER, f"/alert send id:{preview.actions[0].args['id']}")
    await bot.app.settle()
    assert len(await alert_dms(t, ANA)) == 1
    await ok(bot, ANA_DISCORD, "/profile alert_dms:no")
    await t.step_to(START + timedelta(days=3))
    async with bot.app.db.transaction() as conn:
        nudged = sorted(
            (platform, target)
            for platform, target in await conn.execute(
                select(OutboxMessage.platform, OutboxMessage.target).where(
                    OutboxMessage.kind == "alert_nudge"
                )
            )
        )
    assert nudged == [("console", "bea"), ("console", "olu")]  # nobody of Ana's


# imports ----------------------------------------------------------------------------------------


async def test_import_takes_good_rows_and_names_each_bad_row_by_line_and_field(
    database: Database, tmp_path: Path
) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, ANA_SLACK, '/profile state:IL name:"Ana Ruiz"')
    await ok(bot, "cy", "/profile alert_dms:no")
    await ok(bot, ORGANIZER, '/privacy optouts-import csv:"discord,999,Kept from before"')
    members_before = await bot.count(Member)
    listing = ";".join(
        [
            "platform,account,display_name",
            "slack,u1,Ana",  # 2: known, DMs on: switched off (Slack ids are upper case)
            "Discord,80351110224678912,Dora",  # 3: not seen yet: kept
            "teams,U2",  # 4: no such platform
            "slack,#general",  # 5: not a Slack user id
            "discord,",  # 6: no account
            "console,cy",  # 7: already off
            "discord,80351110224678912,Dora again",  # 8: the same account: counted once
            "console,ok," + "x" * 201,  # 9: name too long
            "",
            'console,dee,"Dee, the page"',  # 11: a quoted comma
        ]
    )
    reply = await ok(bot, ORGANIZER, f"/privacy optouts-import csv:'{listing}'")
    assert reply.text.splitlines() == [
        "4 accounts taken: alert DMs now off for 1 member (1 had them off already); "
        "2 kept until the account first appears here.",
        "4 rows refused and left out:",
        "line 4: platform: 'teams' is not slack, discord or console",
        "line 5: account: '#general' is not a Slack user id (U or W, then letters and digits, "
        "e.g. U024BE7LH)",
        "line 6: account: is empty; give the account's user id on the platform",
        "line 9: display_name: must be at most 200 characters",
    ]
    assert await alert_dms_on(bot, ANA_SLACK) is False
    assert dict((await ok(bot, ANA_SLACK, "/profile")).fields)["name"] == "Ana Ruiz"
    pending = sorted((p, a, n) for _, p, a, n, _ in await rows_of(bot, PendingOptout))
    assert pending == [
        ("console", "dee", "Dee, the page"),
        ("discord", "80351110224678912", "Dora"),
        ("discord", "999", "Kept from before"),
    ]
    assert await bot.count(Member) == members_before  # no member made for an unseen account
    async with bot.app.db.transaction() as conn:
        (detail,) = (
            await conn.execute(
                select(AuditEntry.detail)
                .where(AuditEntry.action == "optouts.import")
                .order_by(AuditEntry.id.desc())
                .limit(1)
            )
        ).one()
    assert json.loads(detail) == {"accounts": 4, "pending": 2, "refused": 4, "switched_off": 1}

    # a list with no good row is refused whole, naming the rows, and changes nothing
    bad = await bot.say(ORGANIZER, "/privacy optouts-import csv:'irc,bob;slack,U 1'")
    assert bad.error and bad.text.startswith("csv: has no row that can be taken (line 1: platform")
    assert "line 2: account: 'U 1' is not a Slack user id" in bad.text
    header_only = await bot.say(ORGANIZER, "/privacy optouts-import csv:'platform,name'")
    assert header_only.error and "line 1: header: needs the columns" in header_only.text
    assert len(await rows_of(bot, PendingOptout)) == 3


async def test_an_imported_opt_out_is_honoured_when_the_account_first_appears(
    database: Database, tmp_path: Path
) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, ANA_CONSOLE, "/profile state:IL")
    await ok(
        bot, ORGANIZER, "/privacy optouts-import csv:'discord,111;slack,U1;slack,U8;console,fay'"
    )
    assert await bot.count(Member) == 2  # ana and the organizer; nobody for the list
    # U8 first appears in another organization: that one's list says nothing of it
    u8_elsewhere = Person("U8", platform="slack", space="TWI")
    await ok(bot, u8_elsewhere, "/profile state:WI")
    assert await alert_dms_on(bot, u8_elsewhere) is True
    await ok(bot, Person("U8", platform="slack"), "/help")  # looking around stores nothing
    assert await alert_dms_on(bot, u8_elsewhere) is True
    await ok(bot, Person("U8", platform="slack"), "/link")  # now a member here
    assert await alert_dms_on(bot, u8_elsewhere) is False
    # Discord 111 first appears by a command of its own; Slack U1 by entering a /link code
    await ok(bot, ANA_DISCORD, "/profile timezone:America/Chicago")
    assert await alert_dms_on(bot, ANA_DISCORD) is False
    assert await alert_dms_on(bot, ANA_CONSOLE) is True
    await link_accounts(bot, ANA_CONSOLE, ANA_SLACK)
    assert await alert_dms_on(bot, ANA_CONSOLE) is False  # the opt-out won the merge
    await link_accounts(bot, ANA_DISCORD, ANA_CONSOLE)
    remaining = [(p, a) for _, p, a, _, _ in await rows_of(bot, PendingOptout)]
    assert remaining == [("console", "fay")]
    await send_alert(t, "Hello")
    assert await alert_dms(t, ANA) == []
    assert await alert_dms(t, (Person("U8", platform="slack"),)) == []


async def test_an_account_first_seen_elsewhere_takes_its_opt_out_when_linked_in(
    database: Database, tmp_path: Path
) -> None:
    """Discord 444 is listed by the demo organization but first appears in Wisconsin's guild;
    joined by /link to a demo member, it is in the demo organization and its opt-out holds."""
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, ORGANIZER, "/privacy optouts-import csv:'discord,444'")
    elsewhere = Person("444", platform="discord", space="300000000000000001")
    await ok(bot, elsewhere, "/profile state:WI")
    assert await alert_dms_on(bot, elsewhere) is True
    await ok(bot, ANA_SLACK, "/profile state:IL")
    await link_accounts(bot, ANA_SLACK, elsewhere)
    assert await alert_dms_on(bot, ANA_SLACK) is False
    assert await bot.count(PendingOptout) == 0
    await send_alert(t, "Hello")
    assert await alert_dms(t, (ANA_SLACK, Person("444", platform="discord"))) == []


async def test_an_account_appearing_during_an_import_waits_for_it_and_finds_its_opt_out(
    pg_url: tuple[str, str],
) -> None:
    """PostgreSQL: an account stored while an import is still open must not miss its row."""
    url, schema = pg_url
    db = Database(url, schema=schema)
    await db.upgrade()
    watcher = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        bot = await start_bot(db)
        org_id = bot.app.services.orgs.by_slug("demo")[0].id
        newcomer = Person("U7", platform="slack")
        async with db.transaction() as conn:
            await import_optouts(conn, org_id, [OptoutRow(1, "slack", "U7")], START)
            arriving = asyncio.create_task(bot.say(newcomer, "/profile state:IL"))
            for _ in range(400):  # until the newcomer's first write waits for the import
                waiting = await watcher.fetchval(
                    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE NOT l.granted AND c.relname = 'identities' AND n.nspname = $1",
                    schema,
                )
                if waiting or arriving.done():
                    break
                await asyncio.sleep(0.025)
            assert waiting and not arriving.done()
        assert not (await arriving).error
        assert await alert_dms_on(bot, newcomer) is False
        assert await bot.count(PendingOptout) == 0
    finally:
        await watcher.close()
        await db.dispose()


# exports ----------------------------------------------------------------------------------------


async def test_export_lists_every_account_of_a_person_once_as_one_opt_out(
    database: Database, tmp_path: Path
) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    await link_accounts(bot, ANA_SLACK, ANA_DISCORD)
    await link_accounts(bot, ANA_SLACK, ANA_CONSOLE)
    await ok(bot, ANA_DISCORD, "/profile alert_dms:no")
    await ok(bot, "bea", "/profile state:WI")  # DMs on: not listed
    await ok(bot, "cy", "/profile alert_dms:no")
    await ok(bot, WI_ORGANIZER, "/profile alert_dms:no")  # another organization's member
    await ok(bot, ORGANIZER, "/privacy optouts-import csv:'slack,U9,Gil'")
    reply = await ok(bot, ORGANIZER, "/privacy optouts")
    assert reply.text == "3 people want no alert DMs (5 accounts)."
    (file,) = reply.files
    assert file.name == "demo-alert-dm-optouts.csv" and file.mime == "text/csv"
    assert export_rows(file.data) == [
        {"platform": "slack", "account": "U1", "display_name": "U1", "person": "1",
         "status": "member"},
        {"platform": "discord", "account": "111", "display_name": "111", "person": "1",
         "status": "member"},
        {"platform": "console", "account": "ana", "display_name": "Ana", "person": "1",
         "status": "member"},
        {"platform": "console", "account": "cy", "display_name": "Cy", "person": "2",
         "status": "member"},
        {"platform": "slack", "account": "U9", "display_name": "Gil", "person": "3",
         "status": "pending"},
    ]  # fmt: skip
    wi = await ok(bot, WI_ORGANIZER, "/privacy optouts")
    assert [r["account"] for r in export_rows(wi.files[0].data)] == ["UWIORG"]
    assert await t.count(AuditEntry, action="optouts.export") == 2

    # the exported file is itself a list to import: everything is already there
    again = await ok(
        bot,
        ORGANIZER,
        "/privacy optouts-import csv:'" + file.data.decode().replace("\r\n", ";") + "'",
    )
    assert again.text == (
        "5 accounts taken: alert DMs now off for 0 members (2 had them off already); "
        "1 kept until the account first appears here."
    )
    assert len(await rows_of(bot, PendingOptout)) == 1


async def test_members_are_refused_and_told_the_role_needed(
    database: Database, tmp_path: Path
) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    for line in ("/privacy optouts", "/privacy optouts-import csv:'slack,U5'"):
        denied = await bot.say("bea", line)
        assert denied.error, line
        assert denied.text.startswith(f"{line.split(' csv')[0]} needs the organizer role"), (
            denied.text
        )
        denied = await bot.say(ANA_SLACK, line)
        assert "needs the organizer role" in denied.text
    assert await bot.count(PendingOptout) == 0
    assert await t.count(AuditEntry, action="optouts.import") == 0
    assert await t.count(AuditEntry, action="optouts.export") == 0
    shown = (await ok(bot, "bea", "/help privacy")).text
    assert "/privacy optouts-import csv:…  (organizers only)" in shown


async def test_privacy_export_and_delete_cover_imported_opt_outs(
    database: Database, tmp_path: Path
) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    # Wisconsin's organizers list U5 and 555 before either is seen there
    await ok(bot, WI_ORGANIZER, "/privacy optouts-import csv:'slack,U5,Hal;discord,555'")
    await ok(bot, ORGANIZER, "/privacy optouts-import csv:'console,zed'")
    hal = Person("U5", platform="slack")  # in the demo organization only
    await ok(bot, hal, "/profile state:IL")
    await link_accounts(bot, hal, Person("555", platform="discord"))
    assert await alert_dms_on(bot, hal) is True  # not a member in Wisconsin
    export = await ok(bot, hal, "/privacy export")
    data = json.loads(export.files[0].data)
    assert [
        (row["organization"], row["platform"], row["account"], row["display_name"])
        for row in data["alert_dm_optouts_imported"]
    ] == [
        ("wi-library-workers", "discord", "555", ""),
        ("wi-library-workers", "slack", "U5", "Hal"),
    ]
    ask = await ok(bot, hal, "/privacy delete")
    for erased in ("reminders", "event answers", "opt-out your organizers imported"):
        assert erased in ask.text
    for kept in ("signatures", "poll ballots", "layoff reports"):
        assert kept in ask.text.split("These stay counted")[1]
    await ok(bot, hal, "/privacy delete confirm:yes")
    assert [(p, a) for _, p, a, _, _ in await rows_of(bot, PendingOptout)] == [("console", "zed")]
    assert await bot.count(Profile) == 0


# the command line -------------------------------------------------------------------------------


@contextmanager
def cli_database(backend: str, folder: Path) -> Iterator[str]:
    """A database URL for the command line: a SQLite file, or a PostgreSQL database of its own
    (the command line takes no schema), dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / 'cli.db'}"
        return
    asyncio.run(require_postgres())
    name = f"t_{uuid.uuid4().hex[:16]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_cli_import_and_export_round_trip(
    backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with cli_database(backend, tmp_path) as url:
        config = tmp_path / "config.toml"
        config.write_text(f'[database]\nurl = "{url}"\n')
        assert main(["db", "upgrade", "--config", str(config)]) == 0

        async def seed() -> None:
            db = Database(url)
            try:
                bot = await start_bot(db)
                await ok(bot, ANA_CONSOLE, "/profile state:IL")
                await link_accounts(bot, ANA_CONSOLE, ANA_SLACK)
                await ok(bot, "bea", "/profile state:IL")
                await bot.app.stop()
            finally:
                await db.dispose()

        asyncio.run(seed())
        listing = tmp_path / "optouts.csv"
        listing.write_bytes(
            "\ufeffPlatform,Account,Display name\n"
            "console,ANA,Ana\n"
            'discord,80351110224678912,"=HYPERLINK(""http://evil.example"",""Dora"")"\n'
            "teams,U2\n"
            "slack,\n".encode()
        )
        capsys.readouterr()
        code = main(["import", "optouts", "--config", str(config), "--org", "demo", str(listing)])
        printed = capsys.readouterr().out
        assert code == 1, printed  # some rows were refused; the good ones are kept
        assert printed.splitlines() == [
            "demo: 2 accounts taken: alert DMs now off for 1 member (0 had them off already); "
            "1 kept until the account first appears here.",
            "2 rows refused and left out:",
            "line 4: platform: 'teams' is not slack, discord or console",
            "line 5: account: is empty; give the account's user id on the platform",
        ]
        out = tmp_path / "export.csv"
        assert main(["export", "optouts", "--config", str(config), "--out", str(out)]) == 0
        exported = out.read_bytes()
        assert [(r["platform"], r["account"], r["person"], r["status"]) for r in
                export_rows(exported)] == [
            ("console", "ana", "1", "member"),
            ("slack", "U1", "1", "member"),
            ("discord", "80351110224678912", "2", "pending"),
        ]  # fmt: skip
        # a spreadsheet shows the formula-like name as text; reading it back takes the ' off
        assert export_rows(exported)[2]["display_name"] == (
            '\'=HYPERLINK("http://evil.example","Dora")'
        )
        # round trip: the export read back changes nothing and exports the same
        assert main(["import", "optouts", "--config", str(config), str(out)]) == 0
        assert "(1 had them off already); 1 kept" in capsys.readouterr().out
        assert main(["export", "optouts", "--config", str(config)]) == 0
        assert capsys.readouterr().out.encode() == exported

        nothing = tmp_path / "bad.csv"
        nothing.write_text("irc,bob\n")
        assert main(["import", "optouts", "--config", str(config), str(nothing)]) == 2
        err = capsys.readouterr().err
        assert "line 1: platform: 'irc' is not slack, discord or console" in err
        assert "has no row that can be taken" in err
        unknown = main(["import", "optouts", "--config", str(config), "--org", "nope", str(out)])
        assert unknown == 2 and "nope" in capsys.readouterr().err

        async def audit() -> list[str]:
            db = Database(url)
            try:
                async with db.transaction() as conn:
                    rows = await conn.execute(
                        select(AuditEntry.action, AuditEntry.target).order_by(AuditEntry.id)
                    )
                    return [f"{action} {target}" for action, target in rows]
            finally:
                await db.dispose()

        assert asyncio.run(audit()) == [
            "optouts.import cli",
            "optouts.export cli",
            "optouts.import cli",
            "optouts.export cli",
        ]


def test_accounts_are_read_as_each_platform_writes_them() -> None:
    """Slack ids are upper case and console names lower case (as `!as` makes them), so an
    imported opt-out finds its account however the list wrote it."""
    rows, problems = parse_optouts("console,Ana.B\nslack,w0123ABC\nconsole,has space\n")
    assert [(r.platform, r.account) for r in rows] == [("console", "ana.b"), ("slack", "W0123ABC")]
    assert [str(p) for p in problems] == [
        "line 3: account: 'has space' is not a console name (up to 32 letters, digits, _, . or -)"
    ]

"""/help, /profile, /link, /privacy and role checks through the dispatcher, on both databases."""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.context import Context
from bot.options import Text
from bot.registry import CommandGroup, Role
from bot.reply import Reply
from storage import members, orgs
from storage.db import Database
from storage.models import AuditEntry, Identity, Member, OrgMember, Profile
from tests.support import Bot, Person, link_accounts, run_rallybot, start_bot

# A feature of the tests' own: one command per role, to check the core's role checks.
roles_group = CommandGroup("drill", help="role checks")


@roles_group.command("organize", role=Role.ORGANIZER, options=[Text("note", required=True)])
async def _organize(ctx: Context, note: str) -> Reply:
    """An organizer-only command that writes to the audit log."""
    await ctx.audit("drill.organize", target="note", note=note)
    return Reply(text=f"organized: {note}")


@roles_group.command("administer", role=Role.ADMIN)
async def _administer(ctx: Context) -> Reply:
    """An admin-only command."""
    return Reply(text="administered")


async def bot_for(database: Database) -> Bot:
    return await start_bot(database, extra_groups=[roles_group])


async def test_profile_set_show_and_refusals(database: Database) -> None:
    bot = await bot_for(database)
    reply = await bot.say(
        "ana",
        "/profile state:IL timezone:America/Chicago library_type:Public "
        'classification:"Library Assistant/Paraprofessional" topics:"pay '
        'equity, layoffs"',
    )
    assert not reply.error, reply.text
    shown = dict(reply.fields)
    assert shown["state"] == "IL"
    assert shown["library type"] == "public"
    assert shown["classification"] == "library-assistant"
    assert shown["topics"] == "pay equity, layoffs"
    reply = await bot.say("ana", "/profile timezone:Mars/Olympus")
    assert reply.error and reply.text.startswith("timezone: must be an IANA timezone")
    again = dict((await bot.say("ana", "/profile")).fields)
    assert again["timezone"] == "America/Chicago" and again["state"] == "IL"
    reply = await bot.say("ana", "/profile state:IL state:WI")
    assert reply.error and "state: is given twice" in reply.text
    reply = await bot.say("ana", "/profile district:99")
    assert reply.error and reply.text.startswith("district: must be a district number")
    reply = await bot.say("ana", "/profile alert_dms:perhaps")
    assert reply.error and reply.text == "alert_dms: must be yes or no"


async def test_showing_an_empty_profile_stores_nothing(database: Database) -> None:
    bot = await bot_for(database)
    reply = await bot.say("bea", "/profile")
    assert "no profile yet" in reply.text
    assert await bot.count(Member) == 0
    await bot.say("bea", "/help")
    assert await bot.count(Member) == 0


async def test_unknown_space_gets_a_polite_answer_and_nothing_is_stored(database: Database) -> None:
    bot = await bot_for(database)
    stranger = Person("U9", platform="slack", space="TUNKNOWN")
    reply = await bot.say(stranger, "/profile state:IL")
    assert reply.error and "not set up for this workspace" in reply.text
    assert await bot.count(Member) == 0 and await bot.count(Identity) == 0


async def test_help_lists_by_role(database: Database) -> None:
    bot = await bot_for(database)
    member_help = (await bot.say("ana", "/help")).text
    assert "/profile" in member_help and "/drill" not in member_help
    organizer = Person("olu", roles=frozenset({"organizer"}))
    organizer_help = (await bot.say(organizer, "/help")).text
    assert "/drill — role checks (organizers: organize)\n" in organizer_help
    assert "administer" not in organizer_help
    admin_help = (await bot.say(Person("ade", roles=frozenset({"admin"})), "/help")).text
    assert "/drill — role checks (organizers: organize; admins: administer)\n" in admin_help
    detail = (await bot.say("ana", "/help profile")).text
    assert "timezone: IANA timezone" in detail
    bad = await bot.say("ana", "/help nonsense")
    assert bad.error and bad.text.startswith("topic: 'nonsense' is not a command group")


async def test_help_without_a_group_is_one_line_per_group(database: Database) -> None:
    bot = await bot_for(database)
    short = (await bot.say("ana", "/help")).text.splitlines()
    groups = ["layoff", "alert", "event", "profile", "link", "privacy", "reminder", "poll"]
    assert [line.split(" — ")[0] for line in short[:-1]] == [f"/{g}" for g in groups]
    assert short[0] == "/layoff — Report layoffs, furloughs, cuts and closures"
    assert short[-1] == (
        "/help event shows a group's commands and options. "
        "You have the member role in Demo Library Workers."
    )
    organizer = (await bot.say(Person("olu", roles=frozenset({"organizer"})), "/help")).text
    assert "/layoff — Report layoffs, furloughs, cuts and closures (organizers: verify, " in (
        organizer
    )
    # the drill group and the dashboard, for organizers
    assert len(organizer.splitlines()) == len(short) + 2
    assert (
        "\n/dashboard — A sign-in link to manage your organization on the web "
        "(organizers: dashboard)\n" in organizer
    )
    for asked in ("/help event", "/help topic:event", "/help /event"):
        detail = (await bot.say("ana", asked)).text
        assert detail.startswith("/event: Events and RSVP")
        assert "\n/event rsvp id:… " in detail and "(organizers only)" in detail


async def test_roles_come_from_each_platform_and_denials_name_the_role(database: Database) -> None:
    bot = await bot_for(database)
    denied = await bot.say("ana", "/drill organize note:x")
    assert denied.error
    assert denied.text == "/drill organize needs the organizer role; you have the member role here."
    # Discord: role names (exactly) or ids on the member, from the config (demo org: none,
    # second org: "Steward"); Slack: user ids.
    steward = Person(
        "77", platform="discord", role_names=frozenset({"Steward"}), space="300000000000000001"
    )
    assert (await bot.say(steward, "/drill organize note:hi")).text == "organized: hi"
    lookalike = Person(
        "78", platform="discord", role_names=frozenset({"steward"}), space="300000000000000001"
    )
    assert (await bot.say(lookalike, "/drill organize note:hi")).error
    slack_org = Person("UWIORG", platform="slack", space="TWI")
    assert (await bot.say(slack_org, "/drill organize note:hi")).text == "organized: hi"
    slack_member = Person("UOTHER", platform="slack", space="TWI")
    assert (await bot.say(slack_member, "/drill organize note:hi")).error
    admin_denied = await bot.say(Person("olu", roles=frozenset({"organizer"})), "/drill administer")
    assert "needs the admin role" in admin_denied.text


async def test_a_granted_role_counts(database: Database) -> None:
    bot = await bot_for(database)
    await bot.say("ana", "/profile state:IL")
    async with database.transaction() as conn:
        ana = await members.find_member(conn, "console", "ana")
        org_id = bot.app.services.orgs.by_slug("demo")[0].id
        await orgs.grant_role(conn, org_id, ana.id, "organizer")
    assert (await bot.say("ana", "/drill organize note:ok")).text == "organized: ok"


def test_rallybot_roles_grants_lists_and_revokes_a_role_that_commands_honour(
    tmp_path: Path,
) -> None:
    def run(*args: str, script: str = "") -> subprocess.CompletedProcess[str]:
        done = run_rallybot(list(args), tmp_path, script)
        assert "Traceback" not in done.stdout + done.stderr, done.stderr
        return done

    export = "!as ana\n/layoff export\n"
    assert "needs the organizer role" in run("console", script=export).stdout
    grant = ("roles", "grant", "--org", "demo", "--platform", "console", "--account", "ana")
    granted = run(*grant, "--role", "organizer")
    assert granted.returncode == 0, granted.stderr
    assert "'ana'" in granted.stdout and "organizer" in granted.stdout
    allowed = run("console", script=export).stdout
    assert "needs the organizer role" not in allowed and "layoffs-demo.csv" in allowed
    listed = run("roles", "list", "--org", "demo")
    assert listed.returncode == 0 and "organizer\tconsole:ana" in listed.stdout
    revoke = ("roles", "revoke", "--org", "demo", "--platform", "console", "--account", "ana")
    assert run(*revoke).returncode == 0
    assert "needs the organizer role" in run("console", script=export).stdout
    again = run(*revoke)
    assert again.returncode == 2 and "--account: console account 'ana' has no role" in again.stderr
    wrong = run(*grant, "--role", "owner")
    assert wrong.returncode == 2 and "--role: invalid choice: 'owner'" in wrong.stderr
    assert "no role is granted" in run("roles", "list", "--org", "demo").stdout
    with sqlite3.connect(tmp_path / "rallybot.db") as db:
        actions = [row[0] for row in db.execute("SELECT action FROM audit_log ORDER BY id")]
    assert [a for a in actions if a.startswith("role.")] == ["role.grant", "role.revoke"]


async def test_organizer_actions_are_audited(database: Database) -> None:
    bot = await bot_for(database)
    await bot.say(Person("olu", roles=frozenset({"organizer"})), '/drill organize note:"a b"')
    async with database.sessions() as session:
        entry = (await session.execute(select(AuditEntry))).scalar_one()
    assert entry.action == "drill.organize"
    assert json.loads(entry.detail) == {"note": "a b"}
    assert entry.at == bot.clock.now()


async def test_missing_fields_are_named_or_asked_with_a_form(database: Database) -> None:
    bot = await bot_for(database)
    olu = Person("olu", roles=frozenset({"organizer"}))
    reply = await bot.say(olu, "/drill organize")
    assert reply.error and reply.text == "/drill organize needs the field note."
    asked = await bot.say(olu, "/drill organize", interactive=True)
    assert asked.form is not None and [f.name for f in asked.form.fields] == ["note"]
    done = await bot.click(olu, asked.form.id, {"note": "from the form"})
    assert done.text == "organized: from the form"


def code_of(reply: Reply) -> str:
    """The code a `/link` answer gives."""
    return reply.text.split("code is ")[1].split(".")[0]


async def test_link_asks_to_confirm_and_names_the_other_account(database: Database) -> None:
    bot = await bot_for(database)
    ana_slack = Person("U1", platform="slack")
    ana_discord = Person("111", platform="discord")
    await bot.say(ana_slack, "/profile state:IL")
    await bot.say(ana_discord, "/profile timezone:America/Chicago alert_dms:no")
    assert await bot.count(Member) == 2
    code = code_of(await bot.say(ana_slack, "/link"))
    asked = await bot.say(ana_discord, f"/link code:{code.lower()}")
    # entering a code joins nothing: it says whose account it is and asks
    assert not asked.error and asked.title == "Link these accounts?"
    assert asked.text.startswith(f"Code {code} is from U1 on Slack. Linking makes this Discord")
    assert f"type /link code:{code} confirm:yes" in asked.text
    assert await bot.count(Member) == 2
    assert dict((await bot.say(ana_slack, "/profile")).fields)["alert dms"] == "on"
    (button,) = asked.actions
    assert button.label == "Yes, link my accounts"
    assert (button.command, button.args) == ("link", {"code": code, "confirm": "yes"})
    # the button is the typed command: clicking it joins the two
    reply = await bot.click(ana_discord, button.id)
    assert "one member on discord and slack" in reply.text, reply.text
    assert await bot.count(Member) == 1 and await bot.count(Identity) == 2
    profile = dict((await bot.say(ana_slack, "/profile")).fields)
    assert profile["state"] == "IL" and profile["timezone"] == "America/Chicago"
    # consent follows the person: the opt-out made on Discord holds on Slack too
    assert profile["alert dms"] == "off"
    for line in (f"/link {code}", f"/link code:{code} confirm:yes"):
        again = await bot.say(ana_discord, line)
        assert again.error and again.text.startswith("code: is not a code we gave out")


async def test_only_the_account_that_entered_a_code_can_confirm_it(database: Database) -> None:
    bot = await bot_for(database)
    owner, victim = Person("U1", platform="slack"), Person("5", platform="discord")
    other = Person("6", platform="discord")
    code = code_of(await bot.say(owner, "/link"))
    # typed with confirm:yes before seeing whose account it is: it asks, nothing is joined
    first = await bot.say(victim, f"/link code:{code} confirm:yes")
    assert first.title == "Link these accounts?" and await bot.count(Member) == 2
    # the code now answers to the account that entered it, and to no other
    taken = await bot.say(other, f"/link code:{code} confirm:yes")
    assert taken.error and taken.text == (
        "code: was entered from another account already; get a new one with /link"
    )
    mine = await bot.say(owner, f"/link code:{code} confirm:yes")
    assert mine.error and "enter it from your account on another platform" in mine.text
    assert await bot.count(Member) == 2
    # a click of the confirm button by someone else is the same refusal
    clicked = await bot.click(other, first.actions[0].id)
    assert clicked.error and clicked.text.startswith("code: was entered from another account")
    assert await bot.count(Member) == 2
    joined = await bot.say(victim, f"/link code:{code} confirm:yes")
    assert joined.text.startswith("Linked."), joined.text
    assert await bot.count(Member) == 1


async def test_link_code_rules(database: Database) -> None:
    bot = await bot_for(database)
    slack = Person("U1", platform="slack")
    code = code_of(await bot.say(slack, "/link"))
    same = await bot.say(Person("U2", platform="slack"), f"/link code:{code}")
    assert same.error and "enter it from your account on another platform" in same.text
    code = code_of(await bot.say(slack, "/link"))
    bot.clock.advance(timedelta(minutes=11))
    late = await bot.say(Person("5", platform="discord"), f"/link code:{code}")
    assert late.error and late.text.startswith("code: has expired")
    # a code entered in time but confirmed too late is refused too
    code = code_of(await bot.say(slack, "/link"))
    bot.clock.advance(timedelta(minutes=9))
    asked = await bot.say(Person("5", platform="discord"), f"/link code:{code}")
    assert "Confirm within 1 minute with the button" in asked.text
    bot.clock.advance(timedelta(minutes=2))
    late = await bot.click(Person("5", platform="discord"), asked.actions[0].id)
    assert late.error and late.text.startswith("code: has expired")
    assert await bot.count(Member) == 2
    refused = await bot.say(slack, "/link confirm:yes")
    assert refused.error and refused.text == "code: is needed with confirm: the code you entered"
    # a brand-new account joins: no second member is left
    await link_accounts(bot, slack, Person("6", platform="discord"))
    assert await bot.count(Member) == 2


async def test_privacy_export_and_delete(database: Database) -> None:
    bot = await bot_for(database)
    assert (await bot.say("cam", "/privacy export")).text == "The bot keeps nothing about you."
    await bot.say("cam", "/profile state:OR city:Portland")
    export = await bot.say("cam", "/privacy export")
    data = json.loads(export.files[0].data)
    assert data["profile"]["state"] == "OR" and data["profile"]["city"] == "Portland"
    assert data["accounts"] == [{"platform": "console", "user_id": "cam", "display_name": "Cam"}]
    ask = await bot.say("cam", "/privacy delete")
    assert ask.actions and ask.actions[0].label == "Yes, erase my data"
    assert ask.text.splitlines() == [
        "Erased everywhere: profile, linked accounts, reminders, event answers, calendar "
        "addresses, any opt-out your organizers imported.",
        "These stay counted without your name: alert signatures and answers, poll ballots, "
        "layoff reports, organizer actions.",
        "It cannot be undone; if you come back, alert DMs start on.",
    ]
    assert await bot.count(Member) == 1
    done = await bot.click("cam", ask.actions[0].id)
    assert "no longer keeps anything" in done.text
    for model in (Member, Identity, Profile, OrgMember):
        assert await bot.count(model) == 0


async def test_a_fault_in_a_handler_is_answered_and_rolled_back(database: Database, caplog) -> None:
    faulty = CommandGroup("fault")

    @faulty.command()
    async def _boom(ctx: Context) -> Reply:
        """Store something, then fail."""
        member = await ctx.member()
        await members.update_profile(ctx.conn, member.id, {"state": "IL"})
        raise RuntimeError("a bug, not the person's fault")

    bot = await start_bot(database, extra_groups=[faulty])
    reply = await bot.say("dee", "/fault")
    assert reply.error and reply.text.startswith("Something went wrong on our side (ref ")
    assert "Traceback" not in reply.text and "RuntimeError" not in reply.text
    assert await bot.count(Member) == 0
    assert "a bug, not the person's fault" in caplog.text


async def test_a_member_remembered_by_one_process_and_merged_by_another(
    db_url: tuple[str, str | None], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.dispatch")
    url, schema = db_url
    first_db, second_db = Database(url, schema=schema), Database(url, schema=schema)
    await first_db.upgrade()
    first, second = await bot_for(first_db), await bot_for(second_db)
    try:
        ana_discord = Person("111", platform="discord")
        ana_slack = Person("U1", platform="slack")
        await first.say(ana_discord, "/profile state:IL")  # the first process remembers her
        await second.say(ana_slack, "/profile timezone:America/Chicago")
        await link_accounts(second, ana_slack, ana_discord)  # merged away in the second one
        reply = await first.say(ana_discord, "/profile city:Chicago")
        assert not reply.error, reply.text
        shown = dict(reply.fields)
        assert shown["city"] == "Chicago"
        assert shown["timezone"] == "America/Chicago" and shown["state"] == "IL"
        assert await first.count(Member) == 1
        assert "/profile hit a constraint; running it once more afresh" in caplog.text
    finally:
        await first.app.stop()
        await second.app.stop()


async def test_profile_takes_plurals_and_near_spellings_and_clears_with_none(
    database: Database,
) -> None:
    bot = await bot_for(database)
    reply = await bot.say(
        "ana", '/profile classification:"library assistants" library_type:publc state:IL city:Elgin'
    )
    assert not reply.error, reply.text
    shown = dict(reply.fields)
    assert shown["classification"] == "library-assistant"
    assert shown["library type"] == "public"
    shown = dict((await bot.say("ana", "/profile classification:pages")).fields)
    assert shown["classification"] == "page"
    far = await bot.say("ana", "/profile classification:techn")
    assert far.error and far.text.startswith("classification: must be one of librarian")
    assert far.text.endswith("(did you mean technician?)")
    reply = await bot.say("ana", '/profile state:none city:"" topics:none')
    assert not reply.error, reply.text
    shown = dict(reply.fields)
    assert shown["state"] == "—" and shown["city"] == "—" and shown["topics"] == "—"
    assert shown["classification"] == "page"
    assert await bot.count(Profile) == 1

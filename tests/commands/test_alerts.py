"""Action alerts through the dispatcher, scheduler and delivery engine, on both databases."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from commands import alerts
from rallybot.groups import default_groups
from storage import alerts as alert_store
from storage.db import Database
from storage.models import (
    Alert,
    AlertDelivery,
    AlertResponse,
    AlertTarget,
    AuditEntry,
    ChannelPost,
    DueItem,
    OutboxMessage,
)
from tests.support import ConsoleBot, Person, link_accounts, ok

START = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # Monday 9:00 in Chicago
ORGANIZER = Person("olu", roles=frozenset({"organizer"}))
U1 = Person("U1", platform="slack")
D9 = Person("9", platform="discord")
TARGETS = (
    "state,district,name,office,phone,email;"
    "IL,5,Rep. Quigley,Washington office,202-225-4061,quigley@example.org;"
    "IL,7,Rep. Davis,,202-225-5006,;"
    "WI,,Sen. Baldwin,,202-224-5653,"
)
CREATE = (
    '/alert create title:"Save the Elm St branch" '
    'body:"The council votes Friday on closing the Elm St branch." kind:"Sign on" '
    "link:https://example.org/elm states:IL,MN "
    'deadline:"2026-11-06 17:00" '
    'script:"I am {name}, a library worker in {state}. Please tell {target} to keep it open." '
    f'targets:"{TARGETS}"'
)


class AlertBot(ConsoleBot):
    """A bot with the alert commands whose console prints every delivered message."""

    def button(self, label: str) -> str:
        """The action id of the newest button with this label."""
        return next(b.action_id for b in reversed(self.screen.all_buttons) if b.label == label)


async def alert_bot(database: Database, tmp_path: Path, start: datetime = START) -> AlertBot:
    wired = any(g is alerts.group for g in default_groups())
    return await AlertBot.start(
        database, tmp_path, start=start, extra_groups=[] if wired else [alerts.group]
    )


async def members(t: AlertBot) -> None:
    """Ana (IL-5, full profile), Bea (WI), Cy (IL, no alert DMs), Eve (MN), U1 on Slack (IL,
    no district) and 9 on Discord (IL-7)."""
    bot = t.bot
    await ok(
        bot,
        "ana",
        '/profile state:IL district:5 name:"Ana Ruiz" title:Librarian '
        'institution:"Chicago Public Library" city:Chicago',
    )
    await ok(bot, "bea", "/profile state:WI")
    await ok(bot, "cy", "/profile state:IL alert_dms:no")
    await ok(bot, "eve", "/profile state:MN")
    await ok(bot, U1, "/profile state:IL")
    await ok(bot, D9, "/profile state:IL district:7")


async def sent_alert(t: AlertBot, line: str = CREATE) -> None:
    """Create alert 1 and send it now; everything delivered."""
    preview = await ok(t.bot, ORGANIZER, line)
    await ok(t.bot, ORGANIZER, f"/alert send id:{preview.actions[0].args['id']}")
    await t.bot.app.settle()


async def test_create_previews_then_send_posts_and_dms_the_audience(
    database: Database, tmp_path: Path
) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    await members(t)
    preview = await ok(bot, ORGANIZER, CREATE)
    assert preview.title == "Preview of alert 1 (draft)"
    # as members will see it, the script filled in for the organizer (no profile yet)
    assert "**Sign-on letter: Save the Elm St branch (alert 1)**" in preview.text
    # without a state in the profile, the script leaves a blank and says how to fill it
    assert "I am Olu, a library worker in [your state]." in preview.text
    assert "Your profile has no state: set it (e.g. /profile state:IL)" in preview.text
    assert "lists no one" not in preview.text
    assert "[Sign on]  [I took action]  [Not for me]" in preview.text
    assert "It goes by DM to 4 members" in preview.text
    assert "#alerts, discord #200000000000000001, slack #CALERTS" in preview.text
    assert "/alert send id:1" in preview.text
    (send_now,) = preview.actions
    assert send_now.label == "Send now" and send_now.id == "alert.send?id=1"
    await bot.app.settle()
    assert t.out.getvalue() == "" and await t.count(AlertDelivery) == 0

    sent = await bot.click(ORGANIZER, send_now.id)
    assert sent.text.startswith("Alert 1 goes out now"), sent.text
    again = await bot.say(ORGANIZER, "/alert send id:1")
    assert again.text.startswith("Alert 1 is already scheduled")
    await bot.app.settle()
    assert (await bot.say(ORGANIZER, "/alert send id:1")).text.startswith("Alert 1 is already sent")

    for place in ("#alerts", "slack #CALERTS", "discord #200000000000000001"):
        (post,) = t.at(place)
        assert post.startswith("== Sign-on letter: Save the Elm St branch (alert 1) ==")
        assert "0 signed · 0 acted" in post and "Closes Fri Nov 6, 5:00 PM CST." in post
        assert "[1] Sign on  [2] I took action  [3] Not for me" in post
    (ana,) = t.at("DM ana")
    # the script reads as speech (name and office); the details are on lines of their own
    assert (
        "What to say:\nI am Ana Ruiz, a library worker in Illinois. Please tell Rep. Quigley "
        "(Washington office) to keep it open." in ana
    )
    assert (
        "Who to contact: Rep. Quigley (Washington office, 202-225-4061, quigley@example.org)" in ana
    )
    assert "Rep. Davis" not in ana and "More: https://example.org/elm" in ana
    (slack,) = t.at("slack DM U1")  # IL without a district: every IL contact
    assert "Please tell Rep. Quigley (Washington office) and Rep. Davis to keep" in slack
    assert (
        "Who to contact:\n• Rep. Quigley (Washington office, 202-225-4061, quigley@example.org)"
        "\n• Rep. Davis (202-225-5006)" in slack
    )
    (discord,) = t.at("discord DM 9")
    assert "Please tell Rep. Davis to keep it open." in discord and "Quigley" not in discord
    assert "Who to contact: Rep. Davis (202-225-5006)" in discord
    for dm in (ana, slack, discord):  # contacts listed: the DM does not say there are none
        assert "lists no one to contact" not in dm and "Set your state" not in dm
    (eve,) = t.at("DM eve")
    assert "This alert lists no one to contact in Minnesota." in eve
    assert "Please tell your representative" in eve
    # not in the audience (WI, no profile) or no alert DMs
    assert not t.at("DM bea") and not t.at("DM cy") and not t.at("DM olu")
    assert await t.count(AlertDelivery) == 4 and await t.count(ChannelPost) == 3
    assert await t.count(AuditEntry, action="alert.create") == 1
    assert await t.count(AuditEntry, action="alert.send") == 1


async def test_the_preview_counts_its_audience_in_words_that_agree(
    database: Database, tmp_path: Path
) -> None:
    t = await alert_bot(database, tmp_path)
    await ok(t.bot, "ana", "/profile state:IL")
    one = await ok(t.bot, ORGANIZER, "/alert create title:A body:B kind:email states:IL")
    assert "It goes by DM to 1 member of its audience who takes alert DMs and" in one.text
    await ok(t.bot, "bea", "/profile state:IL")
    two = await ok(t.bot, ORGANIZER, "/alert create title:C body:D kind:email states:IL")
    assert "It goes by DM to 2 members of its audience who take alert DMs and" in two.text


async def test_audience_by_library_type_and_classification_or_everyone(
    database: Database, tmp_path: Path
) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, "ana", "/profile library_type:public classification:librarian")
    await ok(bot, "bea", "/profile library_type:academic classification:paraprofessional")
    await ok(bot, "cy", "/link")  # a member without a profile
    await sent_alert(t, "/alert create title:A body:B kind:email library_types:public")
    await sent_alert(
        t, '/alert create title:C body:D kind:show-up classifications:"assistant, page"'
    )
    await sent_alert(t, "/alert create title:E body:F kind:other")
    assert [text.split("\n")[0] for text in t.at("DM ana")] == [
        "== Email: A (alert 1) ==",
        "== Action: E (alert 3) ==",
    ]
    assert [text.split("\n")[0] for text in t.at("DM bea")] == [
        "== Show up: C (alert 2) ==",
        "== Action: E (alert 3) ==",
    ]
    assert [text.split("\n")[0] for text in t.at("DM cy")] == ["== Action: E (alert 3) =="]
    async with bot.app.db.transaction() as conn:
        audience = (await conn.execute(select(Alert.audience).where(Alert.id == 2))).scalar_one()
    assert audience == {
        "states": [],
        "library_types": [],
        "classifications": ["library-assistant", "page"],
    }


async def test_sign_acted_decline_withdraw(database: Database, tmp_path: Path) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    await members(t)
    early = await bot.say("ana", "/alert sign id:1")
    assert early.error and early.text == "id: there is no alert 1 here; see /alert list"
    await ok(bot, ORGANIZER, CREATE)
    draft = await bot.say("ana", "/alert sign id:1")
    assert draft.error and draft.text == "Alert 1 has not been sent yet."
    await ok(bot, ORGANIZER, "/alert send id:1")
    await bot.app.settle()

    # the DM's button, clicked (not interactive): signed with the profile
    signed = await bot.click("ana", t.button("Sign on"))
    assert signed.text == "Thank you for signing, Ana Ruiz. Alert 1 so far: 1 signed · 0 acted."
    assert signed.ephemeral
    twice = await bot.click("ana", t.button("Sign on"))
    assert twice.text == "You already signed alert 1 on Mon Nov 2, 9:00 AM CST."

    # typed, interactive: a form pre-filled from the profile, then submitted
    form_reply = await bot.say(U1, "/alert sign id:1", interactive=True)
    form = form_reply.form
    assert form is not None and form.args == {"id": "1"}
    defaults = {f.name: f.default for f in form.fields}
    assert defaults == {"name": "U1", "title": "", "institution": "", "city": "", "state": "IL"}
    assert await t.count(AlertResponse) == 1
    done = await bot.click(
        U1, form.id, {"name": "Sam Lee", "title": "Page", "institution": "", "state": "IL"}
    )
    assert done.text == "Thank you for signing, Sam Lee. Alert 1 so far: 2 signed · 0 acted."
    async with bot.app.db.transaction() as conn:
        rows = (
            await conn.execute(
                select(
                    AlertResponse.name,
                    AlertResponse.title,
                    AlertResponse.institution,
                    AlertResponse.state,
                    AlertResponse.platform,
                ).order_by(AlertResponse.id)
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("Ana Ruiz", "Librarian", "Chicago Public Library", "IL", "console"),
        ("Sam Lee", "Page", None, "IL", "slack"),
    ]

    acted = await bot.say(D9, "/alert acted id:1")
    assert acted.text == "Thank you for taking action! Alert 1 so far: 2 signed · 1 acted."
    assert (await bot.say(D9, "/alert acted id:1")).text.startswith(
        "You already told us you acted on alert 1"
    )
    declined = await bot.click("bea", t.button("Not for me"))
    assert declined.text == "Got it: alert 1 is not for you. We won't remind you about it."
    assert (await bot.say("ana", "/alert decline id:1")).text.startswith(
        "You already signed alert 1, so you stay counted."
    )
    # signing after "not for me" replaces it
    assert (await bot.say("bea", "/alert sign id:1")).text.startswith("Thank you for signing, Bea.")
    assert await t.count(AlertResponse, kind="declined") == 0

    withdrawn = await bot.say("ana", "/alert withdraw id:1")
    assert withdrawn.text == (
        "Your signature on alert 1 is withdrawn. Alert 1 so far: 2 signed · 1 acted."
    )
    assert (await bot.say("ana", "/alert withdraw id:1")).text == "You have not signed alert 1."
    assert (await bot.say("ana", "/alert sign id:1")).text.startswith("Thank you for signing")

    call = (
        '/alert create title:"Call the mayor" body:"Budget hearing." kind:call '
        'script:"Hello, I am {name}."'
    )
    await ok(bot, ORGANIZER, call)
    await ok(bot, ORGANIZER, "/alert send id:2")
    await bot.app.settle()
    (post,) = [p for p in t.at("#alerts") if "(alert 2)" in p]
    assert "0 acted" in post and "signed" not in post and "Sign on" not in post
    not_letter = await bot.say("ana", "/alert sign id:2")
    assert not_letter.error and not_letter.text.startswith("id: alert 2 is not a sign-on letter")
    assert (await bot.say("ana", "/alert acted id:2")).text.endswith("Alert 2 so far: 1 acted.")

    shown = await ok(bot, D9, "/alert show id:1")
    assert "Please tell Rep. Davis to keep it open." in shown.text and shown.ephemeral
    assert "Who to contact: Rep. Davis (202-225-5006)" in shown.text
    assert "lists no one" not in shown.text
    # without {target} in the script, the contacts are listed on their own
    contacts = (
        '/alert create title:G body:H kind:email targets:"IL,7,Rep. Davis,,,davis@example.org"'
    )
    await sent_alert(t, contacts)
    (dm,) = [text for text in t.at("discord DM 9") if "(alert 3)" in text]
    assert "Who to contact: Rep. Davis (davis@example.org)" in dm and "What to say" not in dm
    listed = await ok(bot, "bea", "/alert list")
    assert listed.table is not None
    assert [row[0] for row in listed.table.rows] == ["alert 3", "alert 2", "alert 1"]
    assert listed.table.rows[2][4] == "3 signed · 1 acted"


async def test_one_signature_per_person_across_linked_accounts(
    database: Database, tmp_path: Path
) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    slack, discord = Person("U5", platform="slack"), Person("55", platform="discord")
    await ok(bot, slack, "/profile state:IL")
    await ok(bot, discord, "/profile state:IL")
    await sent_alert(t)
    await sent_alert(t, "/alert create title:Call body:B kind:call")
    assert await t.count(AlertDelivery) == 5  # both accounts and the organizer (alert 2)
    # before linking they are two members: both sign alert 1; on alert 2 one acts, the other
    # says "not for me"
    await ok(bot, slack, "/alert sign id:1")
    await ok(bot, discord, "/alert sign id:1")
    await ok(bot, slack, "/alert acted id:2")
    await ok(bot, discord, "/alert decline id:2")
    await link_accounts(bot, slack, discord)
    assert await t.count(AlertResponse, kind="signed") == 1
    assert await t.count(AlertResponse, kind="acted") == 1
    assert await t.count(AlertResponse, kind="declined") == 0
    assert await t.count(AlertDelivery) == 3
    again = await bot.say(discord, "/alert sign id:1")
    assert again.text.startswith("You already signed alert 1 on")
    # linked first, then one signature only
    ana_slack, ana_discord = Person("U7", platform="slack"), Person("77", platform="discord")
    await link_accounts(bot, ana_slack, ana_discord)
    await ok(bot, ana_slack, "/alert sign id:1")
    assert (await bot.say(ana_discord, "/alert sign id:1")).text.startswith("You already signed")
    assert await t.count(AlertResponse, kind="signed") == 2
    status = dict((await ok(bot, ORGANIZER, "/alert status id:1")).fields)
    assert status["signed"] == "2"


async def test_a_thousand_concurrent_sign_ons_and_a_double_click(
    database: Database, tmp_path: Path
) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    await ok(bot, "ana", "/profile state:IL")
    await sent_alert(t)
    began = time.perf_counter()
    replies = await asyncio.gather(
        *(bot.say(Person(f"m{i}"), "/alert sign id:1") for i in range(1000))
    )
    took = time.perf_counter() - began
    print(f"\n1,000 concurrent sign-ons on {database.dialect}: {took:.2f} s")
    assert all(r.text.startswith("Thank you for signing") for r in replies), {
        r.text for r in replies if not r.text.startswith("Thank you")
    }
    assert await t.count(AlertResponse, kind="signed") == 1000
    bot.clock.advance(timedelta(seconds=5))
    await bot.app.settle()
    for place in ("#alerts", "slack #CALERTS", "discord #200000000000000001"):
        assert any("1000 signed · 0 acted" in text for text in t.edits(place))
    assert await t.count(OutboxMessage, kind="tally") == 3

    # the same member clicking twice at once: one signature, one "already signed"
    sign = t.button("Sign on")
    first, second = await asyncio.gather(bot.click("ana", sign), bot.click("ana", sign))
    texts = sorted([first.text, second.text])
    assert texts[0].startswith("Thank you for signing, Ana.")
    assert texts[1].startswith("You already signed alert 1 on")
    assert await t.count(AlertResponse, kind="signed") == 1001


async def test_the_tally_is_coalesced_per_interval(database: Database, tmp_path: Path) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    await sent_alert(t)
    for i in range(50):
        await ok(bot, Person(f"m{i}"), "/alert sign id:1")
        await bot.app.delivery.drain()  # posts go out as they come; the tally waits
    assert await t.count(DueItem, kind="posts.refresh") == 1
    assert await t.count(OutboxMessage, kind="tally") == 0
    bot.clock.advance(timedelta(seconds=5))
    await bot.app.settle()
    assert await t.count(OutboxMessage, kind="tally") == 3
    edits = [text for place, text in t.messages() if "(edit of" in place]
    assert len(edits) == 3 and all("50 signed · 0 acted" in e for e in edits)
    # the next interval: a signature and its withdrawal leave the tally as shown, no edit
    await ok(bot, "zed", "/alert sign id:1")
    await ok(bot, "zed", "/alert withdraw id:1")
    bot.clock.advance(timedelta(seconds=5))
    await bot.app.settle()
    assert await t.count(DueItem, kind="posts.refresh", state="done") == 2
    assert await t.count(OutboxMessage, kind="tally") == 3


async def test_send_later_nudge_once_and_close_at_the_deadline(
    database: Database, tmp_path: Path
) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    await members(t)
    await ok(bot, "dee", "/profile state:IL")
    await ok(bot, ORGANIZER, CREATE)
    later = await bot.say(ORGANIZER, '/alert send id:1 at:"tomorrow 9am"')
    assert later.text.startswith("Alert 1 goes out Tue Nov 3, 9:00 AM CST"), later.text
    await t.step_to(datetime(2026, 11, 3, 14, 59, tzinfo=UTC))
    assert t.out.getvalue() == ""
    assert (await bot.say("ana", "/alert sign id:1")).text == "Alert 1 has not been sent yet."
    await t.step_to(datetime(2026, 11, 3, 15, 0, tzinfo=UTC))
    assert len(t.at("#alerts")) == 1 and len(t.at("DM dee")) == 1

    await ok(bot, "ana", "/alert sign id:1")
    await ok(bot, U1, "/alert acted id:1")
    await ok(bot, "eve", "/alert decline id:1")
    # the nudge: 24 hours before the deadline (Thu 5 PM), once, to Dee and 9 only
    await t.step_to(datetime(2026, 11, 5, 22, 59, tzinfo=UTC))
    assert "A reminder" not in t.out.getvalue()
    await t.step_to(datetime(2026, 11, 5, 23, 1, tzinfo=UTC))
    nudged = {place for place, text in t.messages() if text.startswith("A reminder")}
    assert nudged == {"DM dee", "discord DM 9"}
    (dee,) = [text for text in t.at("DM dee") if text.startswith("A reminder")]
    assert "“Save the Elm St branch” closes Fri Nov 6, 5:00 PM CST" in dee
    assert "[1] Sign on  [2] I took action  [3] Not for me" in dee

    # the deadline: posts edited with the final tally and disabled buttons
    await t.step_to(datetime(2026, 11, 7, tzinfo=UTC))
    for place in ("#alerts", "slack #CALERTS", "discord #200000000000000001"):
        closed = t.edits(place)[-1]
        assert closed.startswith("== Sign-on letter: Save the Elm St branch (alert 1) ==")
        assert "Closed. Final: 1 signed · 1 acted. Thank you, everyone" in closed
        assert "Closes" not in closed and "Or type" not in closed
        assert "[1] Sign on (closed)  [2] I took action (closed)  [3] Not for me (closed)" in closed
    refused = await bot.click("dee", t.button("Sign on"))
    assert refused.error and refused.text == "Alert 1 closed on Fri Nov 6, 5:00 PM CST."
    assert (await bot.say("ana", "/alert withdraw id:1")).text.startswith("Alert 1 closed on")
    assert await t.count(AuditEntry, action="alert.close") == 1
    await t.step_to(datetime(2026, 11, 20, tzinfo=UTC))
    assert sum(text.startswith("A reminder") for _, text in t.messages()) == 2
    assert not (await ok(bot, "ana", "/alert list")).table


async def test_a_missed_nudge_is_skipped(database: Database, tmp_path: Path) -> None:
    t = await alert_bot(database, tmp_path)
    await members(t)
    await sent_alert(t)
    # the bot is down from before the nudge (Thu 5 PM) until Thu 8 PM, past the grace hour
    t.bot.clock.advance(datetime(2026, 11, 6, 2, 0, tzinfo=UTC) - t.bot.clock.now())
    await t.bot.app.settle()
    assert "A reminder" not in t.out.getvalue()
    assert await t.count(DueItem, kind="alert_nudge", state="missed") == 1


async def test_status_signers_and_roles(database: Database, tmp_path: Path) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    await members(t)
    for line in (CREATE, "/alert send id:1", "/alert status id:1", "/alert signers id:1"):
        denied = await bot.say("ana", line)
        command = " ".join(line.split()[:2])
        assert denied.error and denied.text == (
            f"{command} needs the organizer role; you have the member role here."
        )
    await ok(bot, ORGANIZER, CREATE)
    await ok(bot, ORGANIZER, "/alert send id:1")
    await bot.app.scheduler.run_due()  # the fan-out is queued, not yet sent
    queued = await ok(bot, ORGANIZER, "/alert status id:1")
    assert dict(queued.fields)["direct messages"] == "4 queued · 0 sent · 0 failed"
    await bot.app.delivery.drain()
    await ok(bot, "ana", "/alert sign id:1")
    await ok(bot, U1, '/alert sign id:1 name:"Sam Lee" city:Springfield')
    await ok(bot, "bea", "/alert sign id:1")
    await ok(bot, D9, "/alert acted id:1")
    await ok(bot, "eve", "/alert decline id:1")
    status = await ok(bot, ORGANIZER, "/alert status id:1")
    fields = dict(status.fields)
    assert fields["state"] == "sent (closes Fri Nov 6, 5:00 PM CST)"
    assert (fields["signed"], fields["acted"], fields["declined"]) == ("3", "1", "1")
    assert fields["direct messages"] == "0 queued · 4 sent · 0 failed"
    assert fields["channel posts"] == "0 queued · 3 sent · 0 failed"
    assert status.table is not None
    assert status.table.rows == [
        ["state IL", "2", "1", "0"],
        ["state MN", "0", "0", "1"],
        ["state WI", "1", "0", "0"],
        ["platform console", "2", "0", "1"],
        ["platform discord", "0", "1", "0"],
        ["platform slack", "1", "0", "0"],
    ]
    exported = await ok(bot, ORGANIZER, "/alert signers id:1")
    (file,) = exported.files
    assert file.name == "alert-1-signers.csv" and exported.text == "3 signers of alert 1."
    rows = list(csv.reader(io.StringIO(file.data.decode())))
    assert rows == [
        ["name", "title", "institution", "city", "state", "platform", "signed_on"],
        [
            "Ana Ruiz",
            "Librarian",
            "Chicago Public Library",
            "Chicago",
            "IL",
            "console",
            "2026-11-02",
        ],
        ["Sam Lee", "", "", "Springfield", "IL", "slack", "2026-11-02"],
        ["Bea", "", "", "", "WI", "console", "2026-11-02"],
    ]
    assert await t.count(AuditEntry, action="alert.signers") == 1
    async with bot.app.db.transaction() as conn:
        assert await alert_store.export_signers_csv(conn, 1) == file.data

    # privacy: the export holds the answers; erasing keeps the count, drops the name
    mine = await ok(bot, "ana", "/privacy export")
    data = json.loads(mine.files[0].data)
    assert [(a["alert"], a["answer"]) for a in data["alert"]] == [(1, "signed")]
    assert data["alert"][0]["signed_as"]["institution"] == "Chicago Public Library"
    await ok(bot, "ana", "/privacy delete confirm:yes")
    assert dict((await ok(bot, ORGANIZER, "/alert status id:1")).fields)["signed"] == "3"
    rows = list(
        csv.reader(
            io.StringIO((await ok(bot, ORGANIZER, "/alert signers id:1")).files[0].data.decode())
        )
    )
    assert [r[0] for r in rows[1:]] == ["Sam Lee", "Bea"]

    # the weekly digest lists the open alert
    await bot.app.scheduler.add_digest("demo")
    await bot.app.settle()
    (digest,) = [text for text in t.at("#alerts") if text.startswith("== This week in")]
    assert "Open action alerts:" in digest
    assert "• Alert 1: Save the Elm St branch: 3 signed · 1 acted, closes Fri Nov 6" in digest


async def test_refusals_name_their_field_and_store_nothing(
    database: Database, tmp_path: Path
) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    base = '/alert create title:T body:B kind:call deadline:"friday 5pm"'
    cases = {
        f'{base} script:"Hi {{nonsense}}"': "script: {nonsense} is not a placeholder; "
        "the placeholders are {name}, {state} and {target}",
        f'{base} script:"Hi {{name"': "script: has a { or } without its pair;",
        f'{base} script:"Call {{target}}"': "script: uses {target}, which needs targets",
        f'{base} targets:"IL,5,Rep. A;XX,1,Rep. B"': "targets: row 2: 'XX' and '1' must be a "
        "US state code",
        f'{base} targets:"state,district,name;IL,,"': "targets: row 2: the name is missing",
        f'{base} targets:"IL,1,A,B,312-555-0100,nobody"': "targets: row 1: 'nobody' is not an "
        "email address",
        '/alert create title:T body:B kind:call deadline:"every friday 5pm"': "deadline: must "
        "be one time, not a repeat",
        '/alert create title:T body:B kind:call deadline:"2026-01-01 09:00"': "deadline: "
        "2026-01-01 09:00 has already passed",
        "/alert create title:T body:B kind:petition": "kind: must be one of sign-on, call, "
        "email, show-up, other",
        "/alert create title:T body:B kind:call states:IL,ZZ": "states: must be a US state",
        "/alert create title:T body:B kind:call library_types:museum": "library_types: must "
        "be one of public",
        "/alert create title:T body:B kind:call link:ftp://x.org": "link: must be an http",
        "/alert create title:T kind:call": "/alert create needs the field body.",
    }
    for line, expected in cases.items():
        reply = await bot.say(ORGANIZER, line)
        assert reply.error and reply.text.startswith(expected), (line, reply.text)
    assert await t.count(Alert) == 0 and await t.count(AlertTarget) == 0
    # sending: a time after the deadline, a repeat, an alert of no one
    await ok(bot, ORGANIZER, base)
    for line, expected in {
        '/alert send id:1 at:"2026-11-07 09:00"': "at: must be before the deadline, Fri Nov 6",
        '/alert send id:1 at:"every day 9am"': "at: must be one time",
        "/alert send id:9": "id: there is no alert 9 here; see /alert list",
        "/alert send id:x": "id: must be an id such as 42",
    }.items():
        reply = await bot.say(ORGANIZER, line)
        assert reply.error and reply.text.startswith(expected), (line, reply.text)
    assert await t.count(DueItem) == 0


async def test_the_sign_on_form_shows_the_signature_before_it_is_sent(
    database: Database, tmp_path: Path
) -> None:
    t = await alert_bot(database, tmp_path)
    await members(t)
    await sent_alert(t)
    out = await t.run_console("!as ana\n/alert sign id:1\n\n\n\n\n\n", interactive=True)
    shown = out.index("Your signature will read: Ana Ruiz, Chicago Public Library, IL.")
    assert shown < out.index("== Sign alert 1 ==") < out.index("Thank you for signing, Ana Ruiz.")
    form = (await t.bot.say(U1, "/alert sign id:1", interactive=True)).text
    assert form.startswith("Your signature will read: U1, no library given, IL.\n")
    assert await t.count(AlertResponse) == 1

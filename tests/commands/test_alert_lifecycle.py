"""Alerts changed after creation: edit before and after sending, close early, cancel; on both
databases, through the dispatcher, scheduler and delivery engine."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from storage.db import Database
from storage.models import AuditEntry, DueItem, OutboxMessage
from tests.commands.test_alerts import CREATE, ORGANIZER, alert_bot, members, sent_alert
from tests.support import ok

POSTS = ("#alerts", "slack #CALERTS", "discord #200000000000000001")
AFTER_DEADLINE = datetime(2026, 11, 7, tzinfo=UTC)


async def test_edit_before_sending_changes_what_goes_out(
    database: Database, tmp_path: Path
) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    await members(t)
    await ok(bot, ORGANIZER, CREATE)
    edited = await ok(bot, ORGANIZER, '/alert edit id:1 title:"Keep the Elm St branch open"')
    assert edited.text == "Alert 1 changed (title)."
    await ok(bot, ORGANIZER, "/alert send id:1")
    await bot.app.settle()
    (post,) = t.at("#alerts")
    assert "Keep the Elm St branch open (alert 1)" in post and "Save the" not in post
    assert "Keep the Elm St branch open" in t.at("DM ana")[0]
    assert await t.count(AuditEntry, action="alert.edit") == 1


async def test_edit_after_sending_edits_each_post_once_not_the_dms(
    database: Database, tmp_path: Path
) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    await members(t)
    await sent_alert(t)
    dms = await t.count(OutboxMessage, target_kind="user")
    edited = await ok(bot, ORGANIZER, '/alert edit id:1 body:"The council votes Monday."')
    assert "Its channel posts are updated; direct messages already sent are not" in edited.text
    await bot.app.settle()
    for place in POSTS:
        (edit,) = t.edits(place)
        assert "The council votes Monday." in edit and "votes Friday" not in edit
    assert await t.count(OutboxMessage, target_kind="user") == dms
    shown = await ok(bot, "ana", "/alert show id:1")
    assert "The council votes Monday." in shown.text
    # a later deadline moves the closing: nothing closes at the old one
    await ok(bot, ORGANIZER, '/alert edit id:1 deadline:"2026-11-10 17:00"')
    await t.step_to(AFTER_DEADLINE)
    assert await t.count(AuditEntry, action="alert.close") == 0
    await ok(bot, "ana", "/alert sign id:1")
    await t.step_to(datetime(2026, 11, 11, tzinfo=UTC))
    assert await t.count(AuditEntry, action="alert.close") == 1
    assert "Closed. Final: 1 signed" in t.edits("#alerts")[-1]


async def test_changing_a_signed_letter_needs_confirm_and_tells_each_signer(
    database: Database, tmp_path: Path
) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    await members(t)
    await sent_alert(t)
    await ok(bot, "ana", "/alert sign id:1")
    await ok(bot, "bea", "/alert acted id:1")
    # no new alerts by DM: still told of a change to the letter her name is on
    await ok(bot, "ana", "/profile alert_dms:no")
    refused = await bot.say(ORGANIZER, '/alert edit id:1 script:"Say no to closing."')
    assert refused.error and [e.field for e in refused.errors] == ["confirm"]
    assert "1 member signed this letter; add confirm:yes" in refused.text
    assert not (await ok(bot, "ana", "/alert show id:1")).text.count("Say no to closing.")
    before = len(t.at("DM ana"))
    done = await ok(bot, ORGANIZER, '/alert edit id:1 script:"Say no to closing." confirm:yes')
    assert done.text.endswith("1 signer told by DM.")
    await bot.app.settle()
    told = t.at("DM ana")[before:]
    assert len(told) == 1 and "The text of the letter you signed" in told[0]
    assert "Withdraw my signature" in told[0]
    assert not any("The text of the letter" in text for text in t.at("DM bea"))
    withdrawn = await bot.click("ana", t.button("Withdraw my signature"))
    assert withdrawn.text.startswith("Your signature on alert 1 is withdrawn.")


async def test_close_early_posts_the_final_tally_and_refuses_later_answers(
    database: Database, tmp_path: Path
) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    await members(t)
    await sent_alert(t)
    await ok(bot, "ana", "/alert sign id:1")
    closed = await ok(bot, ORGANIZER, "/alert close id:1")
    assert closed.text == "Alert 1 is closed. Final: 1 signed · 0 acted. Its channel posts show it."
    await bot.app.settle()
    for place in POSTS:
        final = t.edits(place)[-1]
        assert "Closed. Final: 1 signed · 0 acted. Thank you, everyone" in final
        assert "Sign on (closed)" in final
    refused = await bot.say("bea", "/alert sign id:1")
    assert refused.error and refused.text.startswith("Alert 1 closed on")
    again = await bot.say(ORGANIZER, "/alert close id:1")
    assert again.error and [e.field for e in again.errors] == ["id"]
    edits = len(t.edits("#alerts"))
    await t.step_to(AFTER_DEADLINE)
    assert len(t.edits("#alerts")) == edits
    assert not any(text.startswith("A reminder") for _, text in t.messages())
    assert await t.count(AuditEntry, action="alert.close") == 1


async def test_cancel_tells_signers_and_nothing_runs_after(
    database: Database, tmp_path: Path
) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    await members(t)
    await sent_alert(t)
    await ok(bot, "ana", "/alert sign id:1")
    await ok(bot, "bea", "/alert acted id:1")
    await ok(bot, "ana", "/profile alert_dms:no")
    await ok(bot, "bea", "/profile alert_dms:no")
    done = await ok(bot, ORGANIZER, '/alert cancel id:1 reason:"Wrong branch."')
    assert done.text.endswith("1 signer told by DM.")
    await bot.app.settle()
    (told,) = [text for text in t.at("DM ana") if "was cancelled" in text]
    assert "Wrong branch." in told
    assert not any("was cancelled" in text for text in t.at("DM bea"))
    for place in POSTS:
        (edit,) = t.edits(place)
        assert "Cancelled" in edit and "Sign on (closed)" in edit
    refused = await bot.say("bea", "/alert sign id:1")
    assert refused.error and refused.text == "Alert 1 was cancelled."
    shown = await ok(bot, "ana", "/alert show id:1")
    assert shown.text.startswith("Cancelled: this alert was sent in error.")
    assert not shown.actions
    assert await t.count(DueItem, kind="alert_close", state="pending") == 0
    await t.step_to(AFTER_DEADLINE)
    assert all(len(t.edits(place)) == 1 for place in POSTS)
    assert not any(text.startswith("A reminder") for _, text in t.messages())
    assert await t.count(AuditEntry, action="alert.close") == 0
    assert await t.count(AuditEntry, action="alert.cancel") == 1
    assert not (await ok(bot, ORGANIZER, "/alert list")).table


async def test_a_member_may_not_edit_close_or_cancel(database: Database, tmp_path: Path) -> None:
    t = await alert_bot(database, tmp_path)
    bot = t.bot
    await sent_alert(t)
    for line in ("/alert edit id:1 title:X", "/alert close id:1", "/alert cancel id:1"):
        denied = await bot.say("ana", line)
        command = " ".join(line.split()[:2])
        assert denied.error and denied.text == (
            f"{command} needs the organizer role; you have the member role here."
        )
    assert await t.count(AuditEntry, action="alert.edit") == 0
    nothing = await bot.say(ORGANIZER, "/alert edit id:1")
    assert nothing.error and [e.field for e in nothing.errors] == ["id"]

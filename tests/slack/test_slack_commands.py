"""Every command group end to end through Slack's HTTP mode: signed slash commands, button
clicks (block_actions), modals (views.open, view_submission) and what the delivery engine
then posts through the real slack_sdk into the Slack stand-in."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

from sqlalchemy import func, select

from bot.config import WebConfig
from standins.slack import block_actions_body, slash_command_body
from storage.models import AlertResponse, LayoffReport, Member
from tests.slack_support import SlackRig, buttons, slack_rig, until

ORG = "U0ORG"
ANA = "U0ANA"
BALLOT_SECRET = "a-test-ballot-secret-0123456789"


async def count(rig: SlackRig, model: type) -> int:
    async with rig.app.db.sessions() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_link_gives_a_code_and_refuses_a_wrong_one(database) -> None:
    async with slack_rig(database) as rig:
        code = await rig.command(ANA, "/link")
        assert "/link code:" in code["text"]
        wrong = await rig.command(ANA, "/link code:ZZZZ-ZZZZ")
        assert "code" in wrong["text"]


async def test_privacy_export_is_a_file_and_delete_asks_first(database) -> None:
    async with slack_rig(database) as rig:
        await rig.command(ANA, "/profile state:OR city:Portland")
        export = await rig.command(ANA, "/privacy export")
        assert "privacy" in json.dumps(export["blocks"]).lower() or export["text"]
        await until(lambda: rig.standin.sent("files.completeUploadExternal"))
        (upload,) = [u for u in rig.standin.uploads.values() if "data" in u]
        assert upload["channel"] == "D0ANA"  # the person's own conversation with the bot
        assert json.loads(upload["data"])["profile"]["city"] == "Portland"
        ask = await rig.command(ANA, "/privacy delete")
        erase = buttons(ask["blocks"])["Yes, erase my data"]
        done = await rig.click(ANA, erase)
        assert "no longer keeps anything" in done["text"]
        assert await count(rig, Member) == 0


async def test_layoff_report_is_anonymous_in_logs_and_moderated_by_buttons(
    database, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    async with slack_rig(database) as rig:
        rig.app.services.ballot_secret = BALLOT_SECRET.encode()  # for anonymous reports
        filed = await rig.command(
            "U0WHISTLE",
            '/layoff report employer:"Elm County Library" kind:layoff workers:3 state:IL',
        )
        (ref,) = re.findall(r"Your report is L-(\d+)\.", filed["text"])
        assert await count(rig, Member) == 0
        rig.app.services.clock.advance(timedelta(minutes=16))
        await rig.app.settle()
        (post,) = rig.standin.posted_to("C0MODS")
        assert f"Layoff report L-{ref}" in post["text"]
        moderation = buttons(post["blocks"])
        denied = await rig.click(ANA, moderation["Verify"])
        assert "needs the organizer role" in denied["text"]
        verified = await rig.click(ORG, moderation["Verify"])
        assert verified["text"] == f"L-{ref} is now marked verified."
        await rig.app.settle()
        (edit,) = rig.standin.sent("chat.update")
        assert edit["channel"] == "C0MODS" and "verified" in edit["text"]
        assert "Verify" not in buttons(edit["blocks"])  # closed buttons are not offered
        async with rig.app.db.sessions() as session:
            (report,) = (await session.execute(select(LayoffReport))).scalars()
        assert report.status == "verified"
    assert "U0WHISTLE" not in caplog.text  # who filed it is nowhere, logs included


async def test_the_moderation_posts_tracker_button_switches_show_and_hide(database) -> None:
    async with slack_rig(database) as rig:
        rig.app.config.web = WebConfig(enabled=True, host="127.0.0.1", port=0)
        rig.app.config.orgs[0].public_tracker = True
        filed = await rig.command(
            "U0WHO", '/layoff report employer:"Quiet Branch" kind:layoff anonymous:no'
        )
        (ref,) = re.findall(r"Your report is L-(\d+)\.", filed["text"])
        await rig.app.settle()
        (post,) = rig.standin.posted_to("C0MODS")
        verified = await rig.click(ORG, buttons(post["blocks"])["Verify"])
        assert verified["text"] == f"L-{ref} is now marked verified."
        await rig.app.settle()
        (edit,) = rig.standin.sent("chat.update")
        assert edit["ts"] == post["ts"] and "Hide from the public tracker" not in str(edit)
        show = buttons(edit["blocks"])["Show on the public tracker"]
        denied = await rig.click(ANA, show)
        assert "needs the organizer role" in denied["text"]
        await rig.app.settle()
        assert len(rig.standin.sent("chat.update")) == 1  # a refusal edits nothing
        labels = []
        for _ in range(3):
            (label,) = set(buttons(edit["blocks"])) & {
                "Show on the public tracker",
                "Hide from the public tracker",
            }
            answer = await rig.click(ORG, buttons(edit["blocks"])[label])
            shown = label.startswith("Show")
            said = "now appears on" if shown else "no longer appears on"
            assert said in answer["text"], answer
            await rig.app.settle()
            edit = rig.standin.sent("chat.update")[-1]
            assert edit["channel"] == "C0MODS" and edit["ts"] == post["ts"]
            assert ("shown on" if shown else "hidden from") in edit["text"], edit["text"]
            labels.append(label)
        assert labels == [
            "Show on the public tracker",
            "Hide from the public tracker",
            "Show on the public tracker",
        ]
        assert "Hide from the public tracker" in buttons(edit["blocks"])
        assert "Verify" not in buttons(edit["blocks"])  # still decided
        assert len(rig.standin.sent("chat.update")) == 4
        async with rig.app.db.sessions() as session:
            (report,) = (await session.execute(select(LayoffReport))).scalars()
        assert report.published


async def test_a_missing_field_opens_a_modal_and_errors_show_inline(database) -> None:
    async with slack_rig(database) as rig:
        rig.app.services.ballot_secret = BALLOT_SECRET.encode()  # for anonymous reports
        asked = await rig.caller.post(
            slash_command_body(
                "/layoff",
                "report kind:layoff",
                team_id="T0001",
                user_id=ANA,
                response_url=rig.standin.response_url(),
            )
        )
        assert asked[0] == 200
        (opened,) = await until(lambda: rig.standin.sent("views.open"))
        view = opened["view"]
        assert view["type"] == "modal" and view["callback_id"] == "layoff.report"
        inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
        assert inputs["employer"]["optional"] is False
        assert inputs["kind"]["element"]["initial_option"]["value"] == "layoff"
        status, body = await rig.submit(
            ANA,
            view["callback_id"],
            {"employer": "Oak Library", "workers": "lots"},
            metadata=view["private_metadata"],
        )
        assert status == 200
        answer = json.loads(body)
        assert answer["response_action"] == "errors" and "workers" in answer["errors"]
        assert await count(rig, LayoffReport) == 0
        status, body = await rig.submit(
            ANA,
            view["callback_id"],
            {"employer": "Oak Library", "workers": "4"},
            metadata=view["private_metadata"],
        )
        assert status == 200 and body == ""
        await until(lambda: rig.standin.sent("chat.postEphemeral") or rig.standin.responses)
        assert await count(rig, LayoffReport) == 1


async def test_alert_create_send_and_sign_on_from_the_dm(database) -> None:
    async with slack_rig(database) as rig:
        await rig.command(ANA, '/profile state:IL name:"Ana Ruiz" city:Chicago')
        preview = await rig.command(
            ORG,
            '/alert create title:"Save the Elm St branch" body:"The council votes Friday." '
            'kind:"Sign on" deadline:"2026-11-06 17:00"',
        )
        assert "Preview of alert 1" in preview["text"]
        sent = await rig.click(ORG, buttons(preview["blocks"])["Send now"])
        assert sent["text"].startswith("Alert 1 goes out now")
        await rig.app.settle()
        (channel_post,) = rig.standin.posted_to("C0ALERTS")
        assert "0 signed" in channel_post["text"]
        (dm,) = rig.standin.posted_to(ANA)
        sign_on = buttons(dm["blocks"])["Sign on"]
        before = len(rig.standin.sent("views.open"))
        await rig.caller.post(
            block_actions_body(
                sign_on,
                team_id="T0001",
                user_id=ANA,
                channel_id="D0ANA",
                response_url=rig.standin.response_url(),
            )
        )
        opened = await until(lambda: rig.standin.sent("views.open")[before:])
        view = opened[0]["view"]
        names = {
            b["block_id"]: b["element"].get("initial_value")
            for b in view["blocks"]
            if b["type"] == "input"
        }
        assert names["name"] == "Ana Ruiz" and names["city"] == "Chicago"
        intro = json.dumps([b for b in view["blocks"] if b["type"] == "section"])
        assert "Your signature will read: Ana Ruiz, no library given, IL." in intro
        status, _ = await rig.submit(
            ANA,
            view["callback_id"],
            {"name": "Ana Ruiz", "city": "Chicago", "state": "IL"},
            metadata=view["private_metadata"],
        )
        assert status == 200
        await until(lambda: rig.standin.responses[-1]["text"].startswith("Thank you"))
        assert await count(rig, AlertResponse) == 1
        rig.app.services.clock.advance(timedelta(seconds=10))
        await rig.app.settle()
        edits = rig.standin.sent("chat.update")
        assert edits and "1 signed" in edits[-1]["text"]
        assert edits[-1]["channel"] == "C0ALERTS"


async def test_reminder_arrives_by_direct_message(database) -> None:
    async with slack_rig(database) as rig:
        added = await rig.command(ANA, '/reminder add when:"in 2 hours" text:"Call Rep. Smith"')
        assert added["text"].startswith("Reminder 1 set for Mon Nov 2, 11:00 AM CST")
        listed = await rig.command(ANA, "/reminder list")
        assert "Call Rep. Smith" in listed["text"]
        rig.app.services.clock.advance(timedelta(hours=3))
        await rig.app.settle()
        (dm,) = rig.standin.posted_to(ANA)
        assert "Call Rep. Smith" in dm["text"]


async def test_organizers_from_a_user_group_may_export(database) -> None:
    async with slack_rig(database, usergroups={"S0STEWARDS": ["U0STEW"]}) as rig:
        denied = await rig.command(ANA, "/layoff export")
        assert "needs the organizer role" in denied["text"]
        allowed = await rig.command("U0STEW", "/layoff export")
        assert "organizer role" not in allowed["text"]
        await until(lambda: rig.standin.sent("files.completeUploadExternal"))
        await rig.command("U0STEW", "/layoff export")
        # the group's members were asked once and remembered
        assert len(rig.standin.sent("usergroups.users.list")) == 1


async def test_alert_close_from_slack_edits_the_post_with_the_final_tally(database) -> None:
    async with slack_rig(database) as rig:
        await rig.command(ANA, "/profile state:IL")
        await rig.command(
            ORG, '/alert create title:"Save the Elm St branch" body:"Votes Friday." kind:"Sign on"'
        )
        await rig.command(ORG, "/alert send id:1")
        await rig.app.settle()
        (dm,) = rig.standin.posted_to(ANA)
        await rig.command(ANA, "/alert sign id:1 name:Ana")
        denied = await rig.command(ANA, "/alert close id:1")
        assert "needs the organizer role" in denied["text"]
        closed = await rig.command(ORG, "/alert close id:1")
        assert closed["text"].startswith("Alert 1 is closed. Final: 1 signed · 0 acted.")
        await rig.app.settle()
        (edit,) = [e for e in rig.standin.sent("chat.update") if e["channel"] == "C0ALERTS"]
        assert "Closed. Final: 1 signed · 0 acted." in edit["text"]
        refused = await rig.click(ANA, buttons(dm["blocks"])["I took action"])
        assert refused["text"].startswith("Alert 1 closed on")

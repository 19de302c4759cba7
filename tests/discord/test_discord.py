"""The Discord adapter end to end: the real discord.py client against the local stand-in.

Every command group is typed as a slash command over the gateway and answered through the
interaction callback; buttons are clicked on the messages the bot posted, also after a
restart; modals are submitted; the outbox is delivered as channel posts and DMs with
nonces and within the rate limits. Runs on a SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import MovableClock
from bot.config import ConfigError
from bot.messages import Messages
from bot.reply import Reply
from standins.discord import DiscordStandIn
from storage.db import Database
from storage.models import AlertResponse, Identity, LayoffReport, Member, OutboxMessage
from tests.discord_support import (
    ALERTS,
    ANA,
    BEA,
    CAL,
    GUILD,
    MODS,
    STRANGER_GUILD,
    DiscordRig,
    buttons,
    discord_config,
    final,
    guilds,
    message_text,
    text_of,
)
from tests.support import START

EPHEMERAL = 64


async def count(db: Database, model: type) -> int:
    """Rows in a table."""
    async with db.sessions() as session:
        return len((await session.execute(select(model))).scalars().all())


async def test_connects_through_api_url_and_the_gateway_it_names(rig: DiscordRig) -> None:
    standin = rig.standin
    # the REST base and the gateway both came from the configuration, not discord.com
    assert standin.requests["GET /api/v10/gateway/bot"] >= 1
    paths = standin.gateway_paths
    assert paths and all(p.startswith("/gateway?v=10") for p in paths)
    assert standin.identifies == 1 and standin.connected_shards() == [0]
    # the sync put one command per group, guild-only, with typed options
    synced = {c["name"]: c for c in standin.commands[GUILD]}
    assert set(synced) == {
        "layoff",
        "alert",
        "event",
        "poll",
        "profile",
        "link",
        "privacy",
        "reminder",
        "help",
        "dashboard",
    }
    alert_sign = next(o for o in synced["alert"]["options"] if o["name"] == "sign")
    id_option = alert_sign["options"][0]
    assert id_option == {
        "type": 4,
        "name": "id",
        "description": "the alert's number, e.g. 7",
        "required": True,
        "min_value": 1,
        "autocomplete": True,
    }
    kind = next(o for o in synced["layoff"]["options"][0]["options"] if o["name"] == "kind")
    assert {c["value"] for c in kind["choices"]} >= {"layoff", "hours-cut", "closure"}
    timezone = next(o for o in synced["profile"]["options"] if o["name"] == "timezone")
    assert timezone["autocomplete"] is True and "choices" not in timezone
    assert synced["help"]["contexts"] == [0]


async def test_every_command_group_answers_in_its_first_response(rig: DiscordRig) -> None:
    standin = rig.standin
    help_answer = await rig.slash(BEA, "help")
    assert "/layoff — Report layoffs" in text_of(help_answer)
    assert help_answer.responses[0]["data"]["flags"] & EPHEMERAL

    profile = await rig.slash(
        BEA, "profile", {"state": "Illinois", "library_type": "public", "alert_dms": True}
    )
    assert "IL" in text_of(profile), text_of(profile)
    shown = await rig.slash(BEA, "profile")
    assert "public" in text_of(shown)
    bad = await rig.slash(BEA, "profile", {"timezone": "Mars/Olympus"})
    assert "timezone: must be an IANA timezone" in text_of(bad)

    link = await rig.slash(BEA, "link")
    assert "code" in text_of(link).lower()

    export = await rig.slash(BEA, "privacy", sub="export")
    files = final(export)["files"]
    assert len(files) == 1 and files[0]["filename"].endswith(".json")
    assert json.loads(files[0]["data"])  # the member's own data, as a file

    reminder = await rig.slash(
        BEA, "reminder", {"when": "in 2 hours", "text": "Call Rep. Smith"}, sub="add"
    )
    assert "Reminder 1 set" in text_of(reminder)
    listed = await rig.slash(BEA, "reminder", sub="list")
    assert "Call Rep. Smith" in text_of(listed)
    cancelled = await rig.slash(BEA, "reminder", {"id": 1}, sub="cancel")
    assert "cancel" in text_of(cancelled).lower()

    report = await rig.slash(
        BEA,
        "layoff",
        {"employer": "Elm St Public Library", "workers": "12", "state": "IL", "anonymous": False},
        sub="report",
    )
    ref = int(re.findall(r"Your report is L-(\d+)\.", text_of(report))[0])
    denied = await rig.slash(BEA, "layoff", {"id": ref}, sub="verify")
    assert "needs the organizer role" in text_of(denied)
    # organizers by role name (ana) and admins by role id (cal)
    verified = await rig.slash(ANA, "layoff", {"id": ref}, sub="verify")
    assert f"L-{ref} is now marked verified" in text_of(verified)
    stats = await rig.slash(CAL, "layoff", sub="stats")
    stats_message = final(stats)
    assert stats_message["files"] and stats_message["files"][0]["filename"].endswith(".png")
    assert stats_message["data"]["embeds"][0]["image"]["url"].startswith("attachment://")

    created = await rig.slash(
        ANA,
        "alert",
        {"title": "Save the Elm St branch", "body": "Council votes Friday.", "kind": "sign-on"},
        sub="create",
    )
    preview = rig.message(created)
    assert "Save the Elm St branch" in message_text(preview)
    assert buttons(preview), "the preview offers its actions as buttons"
    sent = await rig.slash(ANA, "alert", {"id": 1}, sub="send")
    assert "Alert 1" in text_of(sent), text_of(sent)
    await rig.settle()
    posted = standin.messages_in(ALERTS)
    assert len(posted) == 1 and "Save the Elm St branch" in message_text(posted[0])
    assert {"Sign on", "I took action", "Not for me"} <= set(buttons(posted[0]))
    assert posted[0]["nonce"] and len(posted[0]["nonce"]) <= 25
    # a click on the post, then the coalesced tally edit of that same message
    acted = await rig.click(BEA, posted[0]["id"], "I took action")
    assert "action" in text_of(acted).lower(), text_of(acted)
    rig.clock.advance(timedelta(seconds=30))
    await rig.settle()
    assert posted[0]["edits"] == 1 and "1 acted" in message_text(posted[0])
    # bea (alert DMs on) got it by DM too; a click in the DM, which names no guild, runs in
    # her organization
    (dm,) = standin.messages_in(standin.dm_channels[BEA])
    signed = await rig.click(BEA, dm["id"], "Sign on", guild=None)
    assert signed.responses[0]["type"] in (4, 9), signed.responses
    if signed.responses[0]["type"] == 9:  # a form pre-filled from her profile
        box = signed.responses[0]["data"]
        signed = await rig.submit(BEA, box["custom_id"], {"name": "Bea Reyes"}, guild=None)
    assert "signed" in text_of(signed).lower(), text_of(signed)
    # the report's moderation message, with its buttons
    rig.clock.advance(timedelta(minutes=20))
    await rig.settle()
    (moderation,) = standin.messages_in(MODS)
    assert f"L-{ref}" in message_text(moderation) and "Verify" in buttons(moderation)
    # every first answer was a callback, none left waiting
    for interaction in standin.interactions.values():
        assert interaction.responses, interaction.payload["data"]


async def test_an_unknown_guild_gets_a_polite_answer_and_nothing_is_stored(
    rig: DiscordRig,
) -> None:
    db = rig.database
    answer = await rig.slash(BEA, "profile", {"state": "WI"}, guild=STRANGER_GUILD)
    assert "not set up" in text_of(answer)
    assert answer.responses[0]["data"]["flags"] & EPHEMERAL
    report = await rig.slash(
        BEA, "layoff", {"employer": "Oak Library"}, sub="report", guild=STRANGER_GUILD
    )
    assert "not set up" in text_of(report)
    assert await count(db, Member) == 0 and await count(db, Identity) == 0
    assert await count(db, LayoffReport) == 0 and await count(db, OutboxMessage) == 0


async def test_buttons_keep_working_after_a_restart(rig: DiscordRig) -> None:
    standin = rig.standin
    await rig.slash(
        ANA,
        "alert",
        {"title": "Call the mayor", "body": "Budget hearing.", "kind": "call"},
        sub="create",
    )
    await rig.slash(ANA, "alert", {"id": 1}, sub="send")
    await rig.settle()
    (post,) = standin.messages_in(ALERTS)

    await rig.stop_bot()  # the process goes away; the messages stay in Discord
    await rig.start_bot()
    assert standin.identifies == 2

    acted = await rig.click(BEA, post["id"], "I took action")
    assert acted.responses[0]["type"] in (4, 5)  # answered, perhaps deferred first
    assert "action" in text_of(acted).lower()
    again = await rig.click(BEA, post["id"], "I took action")
    assert text_of(again) != "" and not text_of(again).startswith("Something went wrong")
    async with rig.database.sessions() as session:
        kinds = (await session.execute(select(AlertResponse.kind))).scalars().all()
    assert kinds == ["acted"]


async def test_a_missing_field_opens_a_modal_and_a_long_form_goes_in_steps(
    rig: DiscordRig,
) -> None:
    rig.app.services.ballot_secret = b"a-test-ballot-secret-0123456789"  # anonymous reports
    # a short form is one modal whose custom id is the command's action id
    short = await rig.slash(BEA, "reminder", {"text": "Call"}, sub="add")
    assert short.responses[0]["type"] == 9  # MODAL
    box = short.responses[0]["data"]
    assert box["custom_id"] == "reminder.add" and len(box["components"]) == 2
    added = await rig.submit(BEA, box["custom_id"], {"when": "in 2 hours", "text": "Call"})
    assert "Reminder 1 set" in text_of(added)

    members = (await count(rig.database, Member), await count(rig.database, Identity))
    opened = await rig.slash(BEA, "layoff", sub="report")
    assert opened.responses[0]["type"] == 9
    form = opened.responses[0]["data"]
    inputs = [row["components"][0] for row in form["components"]]
    assert len(inputs) == 5 and inputs[0]["custom_id"] == "employer"
    assert inputs[0]["required"] is True and form["title"].endswith("(1/3)")
    assert form["custom_id"].startswith("rbform:")
    first = await rig.submit(BEA, form["custom_id"], {"employer": "Maple Branch Library"})
    step = rig.message(first)
    assert "Step 1 of 3" in step["content"] and step["flags"] & EPHEMERAL
    assert set(buttons(step)) == {"Continue (2/3)", "Send now"}
    more = await rig.click(BEA, step["id"], "Continue (2/3)")
    assert more.responses[0]["type"] == 9
    second = more.responses[0]["data"]
    assert second["title"].endswith("(2/3)") and len(second["components"]) == 5
    names = [row["components"][0]["custom_id"] for row in second["components"]]
    answers = {n: SECOND_STEP[n] for n in names if n in SECOND_STEP}
    between = await rig.submit(BEA, second["custom_id"], answers)
    assert "Step 2 of 3" in text_of(between)
    done = await rig.click(BEA, step["id"], "Send now")
    assert re.search(r"Your report is L-\d{4,5}\. It is anonymous", text_of(done))
    # the draft is gone: sending it twice does nothing
    again = await rig.click(BEA, step["id"], "Send now")
    assert "no longer kept" in text_of(again)
    # anonymous: the report added no member and no identity; nothing names bea
    assert (await count(rig.database, Member), await count(rig.database, Identity)) == members
    assert await count(rig.database, LayoffReport) == 1


#: answers for fields the layoff report's second step may show
SECOND_STEP = {"workers": "12", "state": "IL", "city": "Springfield", "kind": "furlough"}


async def test_autocomplete_offers_open_alerts_and_timezones(rig: DiscordRig) -> None:
    standin = rig.standin
    await rig.slash(ANA, "alert", {"title": "Save Elm", "body": "b", "kind": "email"}, sub="create")
    await rig.slash(ANA, "alert", {"id": 1}, sub="send")
    await rig.settle()
    offered = await rig.wait(
        await standin.autocomplete(BEA, "alert", "sign", "id", "", guild_id=GUILD)
    )
    choices = offered.responses[0]["data"]["choices"]
    assert offered.responses[0]["type"] == 8 and choices == [{"name": "1: Save Elm", "value": 1}]
    zones = await rig.wait(
        await standin.autocomplete(BEA, "profile", None, "timezone", "chicago", guild_id=GUILD)
    )
    assert zones.responses[0]["data"]["choices"][0]["value"] == "America/Chicago"
    stranger = await rig.wait(
        await standin.autocomplete(BEA, "alert", "sign", "id", "", guild_id=STRANGER_GUILD)
    )
    assert stranger.responses[0]["data"]["choices"] == []


async def test_dms_are_delivered_once_with_the_channel_remembered(rig: DiscordRig) -> None:
    standin = rig.standin
    for text in ("Call Rep. Smith", "Email the board"):
        await rig.slash(BEA, "reminder", {"when": "in 1 hour", "text": text}, sub="add")
    rig.clock.advance(timedelta(hours=2))
    await rig.settle()
    dm = standin.dm_channels[BEA]
    delivered = " | ".join(message_text(m) for m in standin.messages_in(dm))
    assert len(standin.messages_in(dm)) == 2
    assert "Call Rep. Smith" in delivered and "Email the board" in delivered
    assert standin.requests["POST /api/v10/users/@me/channels"] == 1  # opened once
    await rig.adapter.sender.flush()  # type: ignore[union-attr]  # stored in batches
    async with rig.database.sessions() as session:
        remembered = (
            await session.execute(select(Identity.dm_channel).where(Identity.user_id == BEA))
        ).scalar_one()
    assert remembered == dm
    # the same outbox row sent again (a crash before it was marked sent): Discord keeps one
    async with rig.database.sessions() as session:
        row = (await session.execute(select(OutboxMessage).limit(1))).scalar_one()
    from bot.delivery import Outgoing
    from bot.reply import from_payload

    outgoing = Outgoing(
        row.id, "discord", "user", BEA, from_payload(row.payload), row.kind, row.idempotency_key
    )
    again = await rig.adapter.sender.send(outgoing)  # type: ignore[union-attr]
    assert again.ok and len(standin.messages_in(dm)) == 2
    assert sum(m["deduplicated"] for m in standin.messages_in(dm)) == 1
    assert standin.invalid_requests == 0


async def test_a_slow_answer_is_deferred_then_edited(
    standin: DiscordStandIn, database: Database
) -> None:
    from datetime import timedelta as td

    rig = DiscordRig(standin, database, discord_config(standin, defer_after=td(0)))
    await rig.start_bot()
    try:
        answer = await rig.slash(BEA, "help")
        assert answer.responses[0]["type"] == 5  # deferred, "thinking"
        assert answer.responses[0]["data"]["flags"] & EPHEMERAL
        assert answer.responses[1]["type"] == "edit"
        assert "/layoff — Report layoffs" in text_of(answer)
        assert rig.message(answer)["loading"] is False
    finally:
        await rig.stop_bot()


async def test_an_invalidated_session_reconnects_to_the_configured_gateway(
    rig: DiscordRig,
) -> None:
    standin = rig.standin
    await standin.invalidate_sessions()
    await standin.wait_connected(1)
    # discord.py resets to its fixed address after an invalid session; the client's HTTP
    # layer sends it to the address /gateway/bot named (the network guard would refuse
    # anything else)
    assert standin.identifies == 2 and len(standin.gateway_paths) == 2
    answer = await rig.slash(BEA, "help")
    assert "/layoff — Report layoffs" in text_of(answer)
    await standin.ask_reconnect()
    answer = await rig.slash(BEA, "help")
    assert "/layoff — Report layoffs" in text_of(answer)
    assert standin.resumes == 1


async def test_channel_posts_stay_within_the_route_and_global_limits(
    database: Database,
) -> None:
    standin = DiscordStandIn(guilds(), channel_limit=2, channel_window=0.3, global_rate=20)
    await standin.start()
    rig = DiscordRig(
        standin, database, discord_config(standin, global_rate=20), clock=MovableClock(START)
    )
    try:
        await rig.start_bot()
        assert rig.app is not None
        async with rig.app.db.transaction() as conn:
            from bot.messages import Messages
            from bot.reply import Reply

            out = Messages(conn, rig.clock.now())
            for i in range(8):
                await out.to_channel(
                    "discord", ALERTS, Reply(text=f"post {i}"), kind="t", key=f"post-{i}"
                )
            for i in range(12):
                await out.to_person(
                    "discord",
                    str(800000000000000000 + i),
                    Reply(text=f"dm {i}"),
                    kind="t",
                    key=f"dm-{i}",
                )
        await rig.settle(retries=True)
        assert len(standin.messages_in(ALERTS)) == 8
        assert sum(1 for m in standin.messages.values() if m["content"].startswith("dm ")) == 12
        # discord.py read the bucket headers and waited; the client paced the global limit
        assert standin.invalid_requests == 0, standin.limited_buckets
    finally:
        await rig.stop_bot()
        await standin.stop()


async def test_a_busy_channel_holds_no_slot_the_dms_need(database: Database) -> None:
    # 40 posts queued for one channel (Discord lets it take 2 every 0.2 s), then 10 DMs to
    # ten people: the channel's posts go one at a time and the DMs go alongside, instead
    # of queueing behind posts that hold every slot while they wait for the channel.
    standin = DiscordStandIn(guilds(), channel_limit=2, channel_window=0.2, global_rate=50)
    await standin.start()
    rig = DiscordRig(
        standin, database, discord_config(standin, global_rate=50), clock=MovableClock(START)
    )
    try:
        await rig.start_bot()
        assert rig.app is not None
        async with rig.app.db.transaction() as conn:
            out = Messages(conn, rig.clock.now())
            for i in range(40):
                await out.to_channel(
                    "discord", ALERTS, Reply(text=f"post {i}"), kind="poll", key=f"post-{i}"
                )
            for i in range(10):
                await out.to_person(
                    "discord",
                    str(820000000000000000 + i),
                    Reply(text=f"dm {i}"),
                    kind="poll",
                    key=f"dm-{i}",
                )
        await rig.settle(retries=True)
        order = [m["content"].split()[0] for m in standin.messages.values()]
        assert order.count("post") == 40 and order.count("dm") == 10
        last_dm = len(order) - 1 - order[::-1].index("dm")
        assert order[:last_dm].count("post") <= 4, order
        assert [m["content"] for m in standin.messages_in(ALERTS)] == [
            f"post {i}" for i in range(40)
        ]
    finally:
        await rig.stop_bot()
        await standin.stop()


async def test_429s_are_retried_after_their_retry_after(database: Database) -> None:
    # the bot believes it may send 200 a second; the stand-in allows 10: 429s with Via
    standin = DiscordStandIn(guilds(), global_rate=10)
    await standin.start()
    rig = DiscordRig(
        standin, database, discord_config(standin, global_rate=200), clock=MovableClock(START)
    )
    try:
        await rig.start_bot()
        assert rig.app is not None
        async with rig.app.db.transaction() as conn:
            from bot.messages import Messages
            from bot.reply import Reply

            out = Messages(conn, rig.clock.now())
            for i in range(20):
                await out.to_person(
                    "discord",
                    str(810000000000000000 + i),
                    Reply(text=f"dm {i}"),
                    kind="t",
                    key=f"dm-{i}",
                )
        await rig.settle(retries=True)
        assert standin.limited["global"] > 0
        assert sum(1 for m in standin.messages.values() if m["content"].startswith("dm ")) == 20
    finally:
        await rig.stop_bot()
        await standin.stop()


async def test_a_refused_token_or_an_unreachable_api_is_a_clear_error(
    standin: DiscordStandIn, database: Database
) -> None:
    config = discord_config(standin)
    config.discord.token = "not-the-token-at-all"
    rig = DiscordRig(standin, database, config)
    with pytest.raises(ConfigError, match=r"^\[discord\] token: Discord refused it") as refused:
        await rig.start_bot()
    assert "not-the-token-at-all" not in str(refused.value)
    await rig.stop_bot()
    config = discord_config(standin)
    config.discord.api_url = "http://127.0.0.1:9/api/v10"  # nothing listens there
    rig = DiscordRig(standin, database, config)
    with pytest.raises(ConfigError, match=r"^\[discord\] api_url: http://127.0.0.1:9/api/v10"):
        await rig.start_bot()
    await rig.stop_bot()


async def test_report_ids_are_string_options_that_take_their_prefix(rig: DiscordRig) -> None:
    synced = {c["name"]: c for c in rig.standin.commands[GUILD]}
    actions = {o["name"]: o for o in synced["layoff"]["options"]}
    for action, names in (("verify", ["id"]), ("reject", ["id"]), ("duplicate", ["id", "of"])):
        declared = [o for o in actions[action]["options"] if o["name"] in names]
        assert [o["type"] for o in declared] == [3] * len(names), action
        assert all("min_value" not in o for o in declared)
    # the other ids stay numbers
    event_show = next(o for o in synced["event"]["options"] if o["name"] == "show")
    assert event_show["options"][0]["type"] == 4

    named = {"state": "IL", "anonymous": False}  # an anonymous report shows up later
    first = await rig.slash(BEA, "layoff", {"employer": "Elm St Library", **named}, sub="report")
    second = await rig.slash(CAL, "layoff", {"employer": "Elm Street", **named}, sub="report")
    one, two = (
        re.findall(r"Your report is (L-\d+)\.", text_of(answer))[0] for answer in (first, second)
    )
    duplicate = await rig.slash(ANA, "layoff", {"id": two, "of": one}, sub="duplicate")
    assert f"{two} is now marked duplicate of {one}." in text_of(duplicate)
    verified = await rig.slash(ANA, "layoff", {"id": one}, sub="verify")
    assert f"{one} is now marked verified" in text_of(verified)
    # the plain number works as well, and a wrong id names the field and the rule
    again = await rig.slash(ANA, "layoff", {"id": one.removeprefix("L-")}, sub="reject")
    assert f"{one} is already verified; nothing changed." in text_of(again)
    wrong = await rig.slash(ANA, "layoff", {"id": "Lx42"}, sub="verify")
    assert "id: must be an id such as L-42 or 42" in text_of(wrong)

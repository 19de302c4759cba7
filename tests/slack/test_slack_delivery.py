"""Block Kit within Slack's limits, and the delivery engine's Slack sender: posts, direct
messages, tally edits, files, 429 with Retry-After and per-channel pacing, all through the
real slack_sdk into the Slack stand-in, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from adapters.slack import render
from adapters.slack.sender import SlackSender
from bot.clock import SystemClock
from bot.delivery import DeliveryEngine, EngineSettings
from bot.messages import Messages
from bot.reply import Action, File, Form, FormField, Reply, Select, Table
from standins.slack import Limits, SlackStandIn, block_errors, view_errors
from storage.models import OutboxMessage


def huge_reply() -> Reply:
    """A reply over every one of Slack's limits at once."""
    return Reply(
        title="T" * 400,
        text=("A long line of text about the branch closure. " * 200 + "\n") * 3,
        fields=[(f"field {n}", "v" * 2500) for n in range(35)],
        table=Table(["state", "reports"], [[f"S{n}", str(n)] for n in range(600)]),
        actions=[Action("L" * 90 + str(n), "alert sign", {"id": str(n)}) for n in range(40)]
        + [
            Select(
                "Pick", "poll vote", "choice", [(f"o{n}" * 30, f"v{n}" * 60) for n in range(150)]
            )
        ],
        files=[File("chart.png", b"png")],
        ephemeral=False,
    )


async def test_every_limit_is_kept_and_slack_accepts_it() -> None:
    blocks = render.reply_blocks(huge_reply())
    assert len(blocks) <= 50 and block_errors(blocks) == []
    assert blocks[0]["text"]["text"].endswith("…") and len(blocks[0]["text"]["text"]) == 150
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
        for element in block.get("elements", []):
            if element.get("type") == "button":
                assert len(element["text"]["text"]) == 75 and element["text"]["text"][-1] == "…"
    standin = SlackStandIn()
    await standin.start()
    try:
        client = AsyncWebClient(token=standin.bot_token, base_url=standin.api_url)
        answer = await client.chat_postMessage(channel="C0ALERTS", **render.message(huge_reply()))
        assert answer["ok"] and not standin.refused
        with pytest.raises(SlackApiError) as refused:
            await client.chat_postMessage(
                channel="C0ALERTS", text="x", blocks=[{"type": "divider"}] * 51
            )
        assert refused.value.response["error"] == "invalid_blocks"
    finally:
        await standin.stop()


def test_a_modal_keeps_the_view_limits() -> None:
    form = Form(
        "A title far longer than twenty-four characters",
        "layoff report",
        [
            FormField("employer", "Employer", required=True),
            FormField("kind", "Kind", choices=("layoff", "furlough"), default="furlough"),
            FormField("details", "Details", long=True, max_length=5000, default="d" * 4000),
        ],
        args={"state": "IL"},
    )
    view = render.modal(form, intro="Tell us what happened.", metadata={"channel": "C1"})
    assert view_errors(view) == []
    assert view["callback_id"] == "layoff.report?state=IL"
    assert len(view["title"]["text"]) == 24
    details = next(b for b in view["blocks"] if b.get("block_id") == "details")
    assert details["element"]["max_length"] == 3000
    assert len(details["element"]["initial_value"]) == 3000


async def send_through_engine(database, standin: SlackStandIn, sender: SlackSender, add) -> None:
    engine = DeliveryEngine(database, SystemClock(), {"slack": sender}, EngineSettings(batch=50))
    async with database.transaction() as conn:
        await add(Messages(conn, SystemClock().now()))
    await engine.drain(retries=True, give_up_after=30)
    await sender.close()


async def rows(database) -> list[OutboxMessage]:
    async with database.sessions() as session:
        return list((await session.execute(select(OutboxMessage))).scalars())


async def test_posts_dms_edits_and_files(database) -> None:
    standin = SlackStandIn()
    await standin.start()
    try:
        sender = SlackSender(standin.bot_token, standin.api_url)

        async def add(messages: Messages) -> None:
            await messages.to_channel(
                "slack", "C0ALERTS", Reply(text="0 signed · 0 acted"), kind="alert", key="post"
            )
            await messages.to_person(
                "slack",
                "U0ANA",
                Reply(text="Your calendar entry", files=[File("event.ics", b"BEGIN:VCALENDAR")]),
                kind="event",
                key="dm",
            )

        await send_through_engine(database, standin, sender, add)
        post, dm = sorted(await rows(database), key=lambda r: r.id)
        assert post.state == dm.state == "sent"
        assert post.platform_ref.startswith("C0ALERTS:")
        assert dm.platform_ref.startswith("D0ANA:")  # the DM's channel, for later edits
        (upload,) = standin.uploads.values()
        assert upload["channel"] == "D0ANA" and upload["data"] == b"BEGIN:VCALENDAR"

        async def edit(messages: Messages) -> None:
            await messages.edit(
                post.id,
                "slack",
                "channel",
                "C0ALERTS",
                Reply(text="1 signed"),
                kind="tally",
                key="tally:1",
            )

        await send_through_engine(
            database, standin, SlackSender(standin.bot_token, standin.api_url), edit
        )
        (update,) = standin.sent("chat.update")
        assert update["channel"] == "C0ALERTS" and update["ts"] == post.platform_ref.split(":")[1]
        assert update["text"] == "1 signed"
    finally:
        await standin.stop()


async def test_429_retry_after_is_obeyed_and_nothing_is_lost_or_doubled(database) -> None:
    limits = Limits()
    limits.methods["chat.postMessage"] = (40.0, 2.0)
    standin = SlackStandIn(limits=limits)
    await standin.start()
    try:
        sender = SlackSender(standin.bot_token, standin.api_url, rate=200.0, burst=20.0)

        async def add(messages: Messages) -> None:
            for n in range(60):
                await messages.to_person(
                    "slack", f"U{n:04d}", Reply(text=f"alert {n}"), kind="alert", key=f"a{n}"
                )

        await send_through_engine(database, standin, sender, add)
        assert standin.limited > 0
        assert all(r.state == "sent" for r in await rows(database))
        delivered = [a["channel"] for a in standin.sent("chat.postMessage")]
        assert sorted(delivered) == sorted(f"U{n:04d}" for n in range(60))
    finally:
        await standin.stop()


async def test_one_channel_is_paced_without_a_429(database) -> None:
    limits = Limits(per_channel=(10.0, 3.0))
    standin = SlackStandIn(limits=limits)
    await standin.start()
    try:
        sender = SlackSender(
            standin.bot_token, standin.api_url, channel_interval=0.1, channel_burst=2
        )

        async def add(messages: Messages) -> None:
            for n in range(12):
                await messages.to_channel(
                    "slack", "C0BUSY", Reply(text=f"post {n}"), kind="post", key=f"p{n}"
                )

        await send_through_engine(database, standin, sender, add)
        assert standin.limited == 0
        assert len(standin.posted_to("C0BUSY")) == 12
    finally:
        await standin.stop()


async def test_a_refused_message_fails_without_retrying(database) -> None:
    standin = SlackStandIn(bot_token="xoxb-other")
    await standin.start()
    try:
        sender = SlackSender("xoxb-wrong", standin.api_url)

        async def add(messages: Messages) -> None:
            await messages.to_channel("slack", "C1", Reply(text="hi"), kind="post", key="k")

        await send_through_engine(database, standin, sender, add)
        (row,) = await rows(database)
        assert row.state == "failed" and row.attempts <= 1 and "invalid_auth" in row.error
    finally:
        await standin.stop()


def test_mrkdwn_is_escaped_and_bold_is_slacks() -> None:
    reply = Reply(title="Alert", text="**Save the branch** & tell <Rep. Smith>")
    shown = render.message(reply)
    assert shown["blocks"][1]["text"]["text"] == "*Save the branch* &amp; tell &lt;Rep. Smith&gt;"
    assert shown["text"] == "*Alert*\n*Save the branch* &amp; tell &lt;Rep. Smith&gt;"


async def test_a_flooded_channel_spends_no_turn_of_the_others(database) -> None:
    # One person has 40 reminders due at once, then five others one each; the platform
    # allows 5 calls a second and each channel one post every half second. The others'
    # reminders must not wait behind the flood: no call is spent on a post its channel
    # cannot take yet, and no claim takes rows only to hand them back.
    limits = Limits(per_channel=(2.0, 3.0))
    standin = SlackStandIn(limits=limits)
    await standin.start()
    sender = SlackSender(
        standin.bot_token, standin.api_url, rate=5.0, burst=1.0, channel_interval=0.5
    )
    engine = DeliveryEngine(database, SystemClock(), {"slack": sender}, EngineSettings(poll=0.1))
    others = [f"U0OTHER{n}" for n in range(5)]
    try:
        async with database.transaction() as conn:
            messages = Messages(conn, SystemClock().now())
            for n in range(40):
                await messages.to_person(
                    "slack", "U0FLOOD", Reply(text=f"flood {n}"), kind="reminder", key=f"f{n}"
                )
            for user in others:
                await messages.to_person(
                    "slack", user, Reply(text="yours"), kind="reminder", key=f"o:{user}"
                )
        await engine.start()
        deadline = asyncio.get_running_loop().time() + 20
        while not all(standin.posted_to(user) for user in others):
            assert asyncio.get_running_loop().time() < deadline, "the others never came"
            await asyncio.sleep(0.05)
    finally:
        await engine.stop()
        await sender.close()
        await standin.stop()
    order = [args["channel"] for args in standin.sent("chat.postMessage")]
    last_other = max(order.index(user) for user in others)
    assert order[:last_other].count("U0FLOOD") <= 3, order
    assert standin.limited == 0

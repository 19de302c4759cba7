"""The Slack HTTP edge under bad and replayed requests, on SQLite and PostgreSQL: refused
cheaply (401 or 400, one short log line, no traceback) before slack-bolt parses anything,
and a signed request sent twice run once: by one process, or on PostgreSQL by two."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from standins.slack import sign, slash_command_body
from storage.db import Database
from storage.models import Reminder, SlackRequestSeen
from tests.slack_support import SECRET, TEAM, SlackRig, slack_rig, until

FORM = "application/x-www-form-urlencoded"


async def post_raw(rig: SlackRig, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST exactly these bytes and headers to the bot's events URL."""
    async with rig.caller.session.post(rig.url, data=body, headers=headers) as response:
        return response.status, await response.text()


def signed(body: bytes, content_type: str = FORM, timestamp: str | None = None) -> dict[str, str]:
    """Slack's headers for ``body``, signed with the test secret."""
    ts = timestamp or str(int(time.time()))
    signature = sign(SECRET, ts, body.decode("utf-8", "surrogateescape"))
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
    }


def not_utf8_signed() -> tuple[bytes, dict[str, str]]:
    """A body that is not UTF-8, with a valid signature over its bytes."""
    import hashlib
    import hmac

    body = b"command=%2Fhelp&text=\xff\xfe"
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    headers = {
        "Content-Type": FORM,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": "v0=" + digest.hexdigest(),
    }
    return body, headers


BAD_REQUESTS: list[tuple[str, Any, int]] = [
    ("no headers at all", lambda: (b"command=%2Fhelp", {"Content-Type": FORM}), 401),
    (
        "a timestamp that is not a number",
        lambda: (
            b"command=%2Fhelp",
            {
                "Content-Type": FORM,
                "X-Slack-Request-Timestamp": "yesterday",
                "X-Slack-Signature": "v0=" + "0" * 64,
            },
        ),
        401,
    ),
    (
        # Python refuses to read a number of more than 4,300 digits (a ValueError)
        "a timestamp of 5,000 digits",
        lambda: (
            b"command=%2Fhelp",
            {
                "Content-Type": FORM,
                "X-Slack-Request-Timestamp": "9" * 5000,
                "X-Slack-Signature": "v0=" + "0" * 64,
            },
        ),
        401,
    ),
    (
        "an unsigned payload that is not JSON",
        lambda: (b"payload=%7Bnot+json", {"Content-Type": FORM}),
        401,
    ),
    (
        "a signed payload that is not JSON",
        lambda: (b"payload=%7Bnot+json", signed(b"payload=%7Bnot+json")),
        400,
    ),
    (
        "a signed payload that is a JSON list",
        lambda: (b"payload=%5B1%2C2%5D", signed(b"payload=%5B1%2C2%5D")),
        400,
    ),
    (
        "a signed JSON body that is not JSON",
        lambda: (b"{oops", signed(b"{oops", "application/json")),
        400,
    ),
    ("a signed body that is not UTF-8", not_utf8_signed, 400),
]


@pytest.mark.parametrize(("case", "make", "status"), BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS])
async def test_bad_requests_are_refused_with_one_short_line_and_no_traceback(
    database, caplog, case: str, make: Any, status: int
) -> None:
    caplog.set_level(logging.INFO)
    async with slack_rig(database) as rig:
        body, headers = make()
        caplog.clear()
        answer, text = await post_raw(rig, body, headers)
        await asyncio.sleep(0.05)  # anything logged after the answer shows up too
        assert answer == status, (case, text)
        lines = [r for r in caplog.records if r.name.startswith(("rallybot", "aiohttp", "slack"))]
        assert len(lines) <= 1, [r.getMessage() for r in lines]
        assert all(r.exc_info is None for r in caplog.records)
        assert "Traceback" not in caplog.text
        assert all(len(r.getMessage()) < 120 for r in lines)
        assert not rig.standin.responses and not rig.standin.calls
        # a good request still gets through afterwards
        assert "/layoff" in (await rig.command("U0ANA", "/help"))["text"]


async def count_reminders(db: Database) -> int:
    async with db.reading() as conn:
        return (await conn.execute(select(func.count()).select_from(Reminder))).scalar_one()


def reminder_request(rig: SlackRig) -> tuple[tuple[str, str], str]:
    """A slash command adding a reminder, and the response URL it carries."""
    url = rig.standin.response_url()
    body = slash_command_body(
        "/reminder",
        'add when:"in 2 hours" text:"Call Rep. Smith"',
        team_id=TEAM,
        user_id="U0ANA",
        response_url=url,
    )
    return body, url


def answers_at(rig: SlackRig, url: str) -> int:
    token = url.rsplit("/", 1)[1]
    return sum(1 for r in rig.standin.responses if r["_token"] == token)


async def test_a_replayed_slash_command_runs_once(database, caplog) -> None:
    caplog.set_level(logging.INFO)
    async with slack_rig(database) as rig:
        body, url = reminder_request(rig)
        stamp = int(time.time())
        first, _, _ = await rig.caller.post(body, timestamp=stamp)
        assert first == 200
        await rig.answer_at(url)
        caplog.clear()
        again, text, _ = await rig.caller.post(body, timestamp=stamp)
        assert (again, text) == (200, "")
        # a later command is answered; the replay was never run
        assert "/layoff" in (await rig.command("U0ANA", "/help"))["text"]
        await asyncio.sleep(0.2)
        assert answers_at(rig, url) == 1
        assert await count_reminders(database) == 1
        assert "Traceback" not in caplog.text
        # the same command signed anew (as Slack sends a new one) runs
        fresh, _, _ = await rig.caller.post(body, timestamp=stamp + 1)
        assert fresh == 200
        await until(lambda: answers_at(rig, url) == 2)
        assert await count_reminders(database) == 2


async def test_a_request_replayed_to_another_process_on_postgresql_runs_once(pg_url) -> None:
    url, schema = pg_url
    first, other = Database(url, schema=schema), Database(url, schema=schema)
    await first.upgrade()
    try:
        async with slack_rig(first) as one, slack_rig(other) as two:
            body, response_url = reminder_request(one)
            stamp = int(time.time())
            assert (await one.caller.post(body, timestamp=stamp))[0] == 200
            await one.answer_at(response_url)
            status, text, _ = await two.caller.post(body, timestamp=stamp)
            assert (status, text) == (200, "")
            assert "/layoff" in (await two.command("U0ANA", "/help"))["text"]
            await asyncio.sleep(0.2)
            assert answers_at(one, response_url) == 1
            assert await count_reminders(first) == 1
    finally:
        await first.dispose()
        await other.dispose()


async def test_signatures_past_their_window_are_forgotten_on_postgresql(pg_url) -> None:
    url, schema = pg_url
    database = Database(url, schema=schema)
    await database.upgrade()
    past = datetime.now(UTC) - timedelta(minutes=1)
    async with database.transaction() as conn:
        await conn.execute(insert(SlackRequestSeen).values(digest="0" * 64, expires_at=past))
    try:
        async with slack_rig(database) as rig:
            assert "/layoff" in (await rig.command("U0ANA", "/help"))["text"]
            async with database.reading() as conn:
                rows = (await conn.execute(select(SlackRequestSeen.expires_at))).scalars().all()
            (kept,) = rows  # the old one dropped, the new one kept until its window ends
            assert datetime.now(UTC) < kept <= datetime.now(UTC) + timedelta(minutes=5, seconds=1)
    finally:
        await database.dispose()

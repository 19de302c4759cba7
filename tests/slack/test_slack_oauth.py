"""Installing the app into a workspace through OAuth, on SQLite and PostgreSQL: the state
and installation kept in our database by slack_sdk's stores (tables of migration 0007),
then commands answered and messages sent with that workspace's own token; and
``GET /slack/install`` kept from growing the table of states without bound."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import aiohttp
from sqlalchemy import text

from adapters.slack import SlackAdapter
from adapters.slack.oauth import INSTALLS_PER_MINUTE, LIVE_STATES, PURGE_BATCH
from bot.app import Application
from bot.clock import MovableClock
from bot.platform_roles import HeldRoles
from bot.reply import Reply
from rallybot.groups import default_groups
from standins.slack import SlackCaller, SlackStandIn, slash_command_body
from tests.slack_support import SECRET, TEAM, slack_config, slack_rig, until
from tests.support import START


async def test_install_through_oauth_then_answer_and_send_with_its_token(database) -> None:
    standin = SlackStandIn(team_id=TEAM, bot_token="xoxb-not-this-one")
    await standin.start()
    config = slack_config(
        standin, bot_token="", client_id=standin.client_id, client_secret=standin.client_secret
    )
    adapter = SlackAdapter(config)
    app = Application(
        config,
        groups=default_groups(),
        clock=MovableClock(START, frozen=True),
        db=database,
        senders=adapter.senders(),
    )
    await app.start(upgrade=False, background=False)
    await adapter.start(app)
    try:
        async with aiohttp.ClientSession() as session:
            base = f"http://127.0.0.1:{adapter.port}"
            caller = SlackCaller(f"{base}/slack/events", SECRET, session)
            not_yet = standin.response_url()
            before = await caller.post(
                slash_command_body("/help", "", team_id=TEAM, user_id="U0ANA", response_url=not_yet)
            )
            assert before[0] == 200
            await until(lambda: standin.responses)
            assert "install" in standin.responses.pop()["text"].lower()

            async with session.get(f"{base}/slack/install") as page:
                assert page.status == 200
                state = re.search(r"state=([0-9a-f-]{36})", await page.text()).group(1)
                cookie = page.cookies["slack-app-oauth-state"]
            # the browser brings back the state cookie (Secure: here sent by hand over http)
            code = standin.grant(TEAM)
            async with session.get(
                f"{base}/slack/oauth_redirect",
                params={"code": code, "state": state},
                headers={"Cookie": f"{cookie.key}={cookie.value}"},
            ) as done:
                assert done.status == 200, await done.text()
            async with database.reading() as conn:
                bots = (await conn.execute(text("SELECT team_id, bot_token FROM slack_bots"))).all()
                states = (await conn.execute(text("SELECT count(*) FROM slack_oauth_states"))).one()
            ((team, token),) = bots
            assert team == TEAM and token.startswith(f"xoxb-{TEAM}-")
            assert states[0] == 0  # the one-time state was used up

            url = standin.response_url()
            status, _, _ = await caller.post(
                slash_command_body("/help", "", team_id=TEAM, user_id="U0ANA", response_url=url)
            )
            assert status == 200
            await until(lambda: standin.responses)
            assert "/profile" in standin.responses[0]["text"]

            record = app.services.orgs.lookup("slack", TEAM)[0]
            async with database.transaction() as conn:
                from bot.messages import Messages

                await Messages(conn, START).to_channel(
                    "slack", "C0ALERTS", Reply(text="hello"), kind="post", key="k", org_id=record.id
                )
            await app.settle()
            (post,) = [c for c in standin.calls if c.method == "chat.postMessage"]
            assert post.token == token and post.args["channel"] == "C0ALERTS"

            # the dashboard's role check reads the user groups with the workspace's token,
            # asking again although the chat command's failed read is remembered
            standin.usergroups["S0STEWARDS"] = ["U0ANA"]
            held = await app.services.platform_roles.current("slack", TEAM, "U0ANA")
            assert held == HeldRoles(frozenset({"S0STEWARDS"}))
            read = [c for c in standin.calls if c.method == "usergroups.users.list"][-1]
            assert read.token == token
    finally:
        await adapter.stop()
        await app.stop()
        await standin.stop()


def oauth_overrides() -> dict[str, str]:
    """The [slack] settings that install the app through OAuth with the stand-in's client."""
    standin = SlackStandIn(team_id=TEAM)
    return {
        "bot_token": "",
        "client_id": standin.client_id,
        "client_secret": standin.client_secret,
    }


async def count_states(database, *, expired: bool | None = None) -> int:
    query = "SELECT count(*) FROM slack_oauth_states"
    if expired is not None:
        query += " WHERE expire_at " + ("<= :now" if expired else "> :now")
    now = datetime.now(UTC).replace(tzinfo=None)
    async with database.reading() as conn:
        return (await conn.execute(text(query), {"now": now})).scalar_one()


async def add_states(database, count: int, expire_at: datetime) -> None:
    rows = [{"state": f"old-{i}", "expire_at": expire_at} for i in range(count)]
    async with database.transaction() as conn:
        await conn.execute(
            text("INSERT INTO slack_oauth_states (state, expire_at) VALUES (:state, :expire_at)"),
            rows,
        )


async def test_a_thousand_install_hits_from_one_address_leave_a_few_states(database) -> None:
    async with slack_rig(database, **oauth_overrides()) as rig:
        base = f"http://127.0.0.1:{rig.adapter.port}"
        statuses: list[int] = []
        retry_after: set[str] = set()
        for _ in range(1000):
            async with rig.caller.session.get(f"{base}/slack/install") as page:
                statuses.append(page.status)
                if page.status == 429:
                    retry_after.add(page.headers["Retry-After"])
        allowed = statuses.count(200)
        assert 1 <= allowed <= INSTALLS_PER_MINUTE + 1
        assert statuses.count(429) == 1000 - allowed
        assert all(int(seconds) >= 1 for seconds in retry_after)
        assert await count_states(database) == allowed


async def test_expired_states_are_purged_as_new_ones_are_issued(database) -> None:
    expired = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=11)
    await add_states(database, PURGE_BATCH + 50, expired)
    async with slack_rig(database, **oauth_overrides()) as rig:
        install = f"http://127.0.0.1:{rig.adapter.port}/slack/install"
        async with rig.caller.session.get(install) as page:
            assert page.status == 200
        assert await count_states(database, expired=True) == 50  # at most a batch at a time
        async with rig.caller.session.get(install) as page:
            assert page.status == 200
        assert await count_states(database, expired=True) == 0
        assert await count_states(database, expired=False) == 2


async def test_install_is_refused_while_too_many_states_wait(database) -> None:
    waiting = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=9)
    await add_states(database, LIVE_STATES, waiting)
    async with slack_rig(database, **oauth_overrides()) as rig:
        install = f"http://127.0.0.1:{rig.adapter.port}/slack/install"
        async with rig.caller.session.get(install) as page:
            assert page.status == 429
            assert int(page.headers["Retry-After"]) > 0
        assert await count_states(database) == LIVE_STATES

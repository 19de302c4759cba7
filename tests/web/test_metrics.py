"""``GET /metrics``: off by default, the bearer token, the Prometheus text as prometheus-client
parses it, its numbers moving as an alert fans out to Slack members through the Slack
stand-in (429s included), the Slack endpoint's server, and what a layoff report must not
change."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.metrics import MetricsAdapter
from adapters.slack.sender import SlackSender
from adapters.web import WebAdapter
from bot.clock import MovableClock
from bot.config import Config, ConfigError, MetricsConfig, load_config
from rallybot.runner import enabled_adapters
from standins.slack import Limits, SlackStandIn
from storage.db import Database
from tests.rallybot.test_startup import relayed_postgres
from tests.support import START, Bot, Person, ok, start_bot
from tests.web_support import HELD_BACK, OLU, tracker_config, web_rig

TOKEN = "metrics-token-0123456789abcdef"
#: a sample's name and its labels, as sorted pairs
Key = tuple[str, tuple[tuple[str, str], ...]]


def metrics_config(**settings: object) -> Config:
    """The tracker's configuration with ``[metrics]`` enabled (and ``settings``)."""
    config = tracker_config()
    config.metrics = MetricsConfig(enabled=True, **settings)  # type: ignore[arg-type]
    return config


def parse(body: bytes) -> dict[Key, float]:
    """Every sample of a scrape, by name and labels, through prometheus-client's parser."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode("utf-8"))
        for sample in family.samples
    }


def value(samples: dict[Key, float], name: str, **labels: str) -> float:
    """One sample's value (0 when the scrape does not have it)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples: dict[Key, float], name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` that carry ``labels`` (among others)."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= set(ls))


def without_process(samples: dict[Key, float]) -> dict[Key, float]:
    """The samples apart from the process's own (CPU time, memory), which move by themselves."""
    return {key: v for key, v in samples.items() if not key[0].startswith("process_")}


@dataclass
class Served:
    """A bot, the web server in front of it and a client."""

    bot: Bot
    url: str
    session: aiohttp.ClientSession

    async def scrape(self, **headers: str) -> dict[Key, float]:
        """GET /metrics, which must answer 200 in the Prometheus text format; its samples."""
        async with self.session.get(self.url + "/metrics", headers=headers) as response:
            body = await response.read()
            assert response.status == 200, body[:300]
            assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return parse(body)


@asynccontextmanager
async def served(database: Database, config: Config, **bot: object) -> AsyncIterator[Served]:
    """A bot on ``database`` (``bot``: :func:`start_bot`'s options) with the web adapter
    serving it; scrapes read the queues afresh every time."""
    started = await start_bot(database, config=config, **bot)  # type: ignore[arg-type]
    started.app.metrics.cache_seconds = 0
    adapter = WebAdapter(config)
    await adapter.start(started.app)
    session = aiohttp.ClientSession()
    try:
        yield Served(started, f"http://127.0.0.1:{adapter.port}", session)
    finally:
        await session.close()
        await adapter.stop()
        await started.app.stop()


async def test_metrics_are_off_unless_enabled(database: Database) -> None:
    async with web_rig(database) as rig:
        assert (await rig.get("/healthz"))[0] == 200
        assert (await rig.get("/metrics"))[0] == 404


async def test_the_token_is_needed_when_set(database: Database) -> None:
    config = metrics_config(token=TOKEN)
    async with served(database, config) as web:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            async with web.session.get(web.url + "/metrics", headers=headers) as response:
                assert response.status == 401, headers
                assert "Bearer" in response.headers["WWW-Authenticate"]
                assert "rallybot_" not in await response.text()
        samples = await web.scrape(Authorization=f"Bearer {TOKEN}")
        assert value(samples, "rallybot_start_time_seconds") > 0
        assert TOKEN in config.secrets()


async def test_numbers_move_as_an_alert_fans_out_to_slack_members(database: Database) -> None:
    limits = Limits()
    limits.methods["chat.postMessage"] = (40.0, 2.0)  # fewer than the bot tries: 429s
    standin = SlackStandIn(limits=limits)
    await standin.start()
    sender = SlackSender(standin.bot_token, standin.api_url, rate=200.0, burst=20.0)
    members = [Person(f"U{n:04d}", platform="slack") for n in range(30)]
    config = metrics_config()
    try:
        async with served(
            database, config, senders={"slack": sender}, clock=MovableClock(START)
        ) as web:
            for member in members:
                await ok(web.bot, member, "/profile state:IL")
            preview = await ok(
                web.bot,
                OLU,
                '/alert create title:"Save the Elm St branch" kind:"Sign on" states:IL '
                'body:"The council votes Friday on closing the Elm St branch."',
            )
            await ok(web.bot, OLU, f"/alert send id:{preview.actions[0].args['id']}")
            before = await web.scrape()
            assert value(before, "rallybot_commands_total", group="profile", outcome="ok") == 30
            assert value(before, "rallybot_commands_total", group="alert", outcome="ok") == 2
            assert value(before, "rallybot_answer_seconds_count", platform="slack") == 30
            assert value(before, "rallybot_answer_seconds_count", platform="console") == 2
            assert value(before, "rallybot_outbox_depth", platform="slack", priority="urgent") == 0
            assert value(before, "rallybot_due_items_pending") >= 1  # the fan-out itself

            await web.bot.app.scheduler.run_due()  # the fan-out: a DM to each member
            queued = await web.scrape()
            depth = value(queued, "rallybot_outbox_depth", platform="slack", priority="urgent")
            assert depth >= len(members)  # each member's DM, and the Slack alert channel's post
            assert value(queued, "rallybot_sends_total", platform="slack", outcome="sent") == 0

            await web.bot.app.delivery.drain(retries=True, give_up_after=30)
            after = await web.scrape()
            assert value(after, "rallybot_outbox_depth", platform="slack", priority="urgent") == 0
            sent = value(after, "rallybot_sends_total", platform="slack", outcome="sent")
            limited = value(after, "rallybot_sends_total", platform="slack", outcome="429")
            assert sent == depth == len(standin.sent("chat.postMessage"))
            assert standin.limited > 0 and limited == standin.limited
            assert value(after, "rallybot_sends_total", platform="slack", outcome="failed") == 0
            assert value(after, "rallybot_send_seconds_count", platform="slack") == sent + limited

            # the alert's posts to the console and Discord channels have no sender here:
            # ten minutes on, they are the oldest due messages
            web.bot.clock.advance(timedelta(minutes=10))
            later = await web.scrape()
            assert value(later, "rallybot_outbox_oldest_due_seconds") >= 600
            assert total(later, "rallybot_outbox_depth", platform="console") >= 1

            names = {m.name for m in members} | {OLU.name, "Olu"}
            for org in config.orgs:
                names |= {org.slug, org.name, *org.slack_team_ids, *org.discord_guild_ids}
                for channels in (*org.alert_channels.values(), *org.moderation_channels.values()):
                    names |= set(channels)
            labels = {v for (_, pairs) in later for (_, v) in pairs}
            assert labels and not labels & names, labels & names
    finally:
        await sender.close()
        await standin.stop()


async def test_an_anonymous_report_changes_nothing_a_scrape_shows(database: Database) -> None:
    async with served(database, metrics_config()) as web:
        await ok(web.bot, "bea", "/profile state:IL")
        first = without_process(await web.scrape())
        reply = await ok(
            web.bot,
            Person("ana", platform="slack"),
            '/layoff report employer:"Elm St Library" workers:4 state:IL',
        )
        assert "anonymous" in reply.text
        # a form asking for the missing fields is not seen either
        await web.bot.say("cal", "/layoff report", interactive=True)
        assert without_process(await web.scrape()) == first
        # a command that is counted does move the numbers
        await ok(web.bot, "bea", "/profile state:WI")
        counted = await web.scrape()
        assert value(counted, "rallybot_commands_total", group="profile", outcome="ok") == 2
        # the moderation post counts once it is due, with everything else that is due
        web.bot.clock.advance(HELD_BACK)
        due = await web.scrape()
        assert total(due, "rallybot_outbox_depth", priority="urgent") >= 1
        assert not any(key[1] and "layoff" in dict(key[1]).values() for key in due)


async def test_the_slack_endpoint_serves_metrics_beside_healthz(database: Database) -> None:
    standin = SlackStandIn(team_id="TDEMO")
    await standin.start()
    config = metrics_config()
    config.web.enabled = False
    config.slack.enabled, config.slack.host, config.slack.port = True, "127.0.0.1", 0
    config.slack.signing_secret = "a-signing-secret"
    config.slack.bot_token, config.slack.api_url = standin.bot_token, standin.api_url
    adapters = enabled_adapters(config)
    assert [a.name for a in adapters] == ["slack"]  # no server of its own for /metrics
    bot = await start_bot(database, config=config)
    (slack,) = adapters
    await slack.start(bot.app)
    try:
        async with aiohttp.ClientSession() as session:
            base = f"http://127.0.0.1:{slack.port}"  # type: ignore[attr-defined]
            async with session.get(base + "/healthz") as response:
                assert response.status == 200
            async with session.get(base + "/metrics") as response:
                samples = parse(await response.read())
        assert value(samples, "rallybot_due_items_late") == 0
    finally:
        await slack.stop()
        await bot.app.stop()
        await standin.stop()


async def test_two_applications_keep_counts_of_their_own(database: Database) -> None:
    async with (
        served(database, metrics_config()) as one,
        served(database, metrics_config()) as two,
    ):
        await ok(one.bot, "bea", "/profile state:IL")
        assert value(await one.scrape(), "rallybot_commands_total", group="profile", outcome="ok")
        assert not value(
            await two.scrape(), "rallybot_commands_total", group="profile", outcome="ok"
        )


def test_metrics_adapter_is_for_a_deployment_without_a_web_server() -> None:
    config = metrics_config()
    config.web.enabled = False
    config.slack.enabled, config.slack.mode = True, "socket"
    config.slack.app_token, config.slack.bot_token = "xapp-1", "xoxb-1"
    assert [type(a) for a in enabled_adapters(config)][-1] is MetricsAdapter
    config.metrics.enabled = False
    assert MetricsAdapter not in [type(a) for a in enabled_adapters(config)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[metrics]\nport = 70000\n", r"\[metrics\] port: must be from 0 to 65535"),
        ('[metrics]\nhost = " "\n', r"\[metrics\] host: must not be empty"),
        ('[metrics]\ntoken = "short"\n', r"\[metrics\] token: must be at least 16 characters"),
        ('[metrics]\ntoken = "has a space 0123456789"\n', r"\[metrics\] token: .*without spaces"),
        ('[metrics]\nenabled = "yes"\n', r"\[metrics\]\.enabled: must be true or false"),
    ],
)
def test_bad_metrics_keys_are_refused_naming_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bot.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path, environ={})


def test_metrics_keys_from_the_environment_and_the_token_kept_secret() -> None:
    assert load_config(None, environ={}).metrics == MetricsConfig()
    config = load_config(
        None,
        environ={
            "RALLYBOT_METRICS__ENABLED": "true",
            "RALLYBOT_METRICS__PORT": "9191",
            "RALLYBOT_METRICS__TOKEN": TOKEN,
        },
    )
    assert (config.metrics.enabled, config.metrics.port) == (True, 9191)
    assert TOKEN in config.secrets() and TOKEN not in repr(config)
    with pytest.raises(ConfigError, match="RALLYBOT_METRICS__PORT"):
        load_config(None, environ={"RALLYBOT_METRICS__PORT": "lots"})


async def test_database_errors_are_counted_and_a_scrape_still_answers(
    pg_url: tuple[str, str],
) -> None:
    async with relayed_postgres(pg_url) as (relay, database):
        async with served(database, metrics_config()) as web:
            assert not total(await web.scrape(), "rallybot_database_errors_total")
            await relay.stop()
            samples = await web.scrape()  # the queue figures cannot be read now
            assert total(samples, "rallybot_database_errors_total") >= 1
            assert value(samples, "rallybot_start_time_seconds") > 0

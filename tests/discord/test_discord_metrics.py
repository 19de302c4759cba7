"""``/metrics`` for a Discord-only deployment: no web server has ``/healthz``, so `rallybot
run`'s adapters include a small server of its own on ``[metrics] port``, and a slash
command through the stand-in shows in its numbers."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from adapters.metrics import MetricsAdapter
from bot.config import Config, MetricsConfig
from rallybot.runner import enabled_adapters
from standins.discord import DiscordStandIn
from tests.discord_support import BEA, DiscordRig, discord_config, text_of

TOKEN = "discord-metrics-token-0123456789"


async def test_a_discord_only_bot_serves_metrics_on_its_own_port(rig: DiscordRig) -> None:
    config = rig.config
    config.metrics = MetricsConfig(enabled=True, host="127.0.0.1", port=0, token=TOKEN)
    adapters = enabled_adapters(config)
    assert [a.name for a in adapters] == ["discord", "metrics"]
    server = adapters[-1]
    assert isinstance(server, MetricsAdapter) and rig.app is not None
    await server.start(rig.app)
    try:
        answer = await rig.slash(BEA, "profile", {"state": "Illinois"})
        assert "IL" in text_of(answer)
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{server.port}/metrics"
            async with session.get(url) as response:
                assert response.status == 401
            auth = {"Authorization": f"Bearer {TOKEN}"}
            async with session.get(url, headers=auth) as response:
                assert response.status == 200
                text = await response.text()
            async with session.get(url.replace("/metrics", "/healthz"), headers=auth) as response:
                assert response.status == 404  # only /metrics on this server
    finally:
        await server.stop()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("rallybot_commands_total", (("group", "profile"), ("outcome", "ok")))] == 1
    assert samples[("rallybot_answer_seconds_count", (("platform", "discord"),))] == 1
    assert ("rallybot_sends_total", (("outcome", "429"), ("platform", "discord"))) in samples


def test_a_discord_only_config_without_metrics_has_no_metrics_server(
    standin: DiscordStandIn,
) -> None:
    config: Config = discord_config(standin)
    assert [a.name for a in enabled_adapters(config)] == ["discord"]

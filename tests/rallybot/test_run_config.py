"""The config.toml the run tests and the benchmarks write for a `rallybot run` on the stand-ins."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_config
from standins.config import run_config


def test_a_run_config_reads_back_as_written(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    org = {"slug": "il-library-workers", "name": "Illinois Library Workers"}
    org |= {"timezone": "America/Chicago", "slack_team_ids": ["T0IL"]}
    org["alert_channels"] = {"slack": ["C0ALERTS"]}
    org["organizers"] = {"slack_users": ["U0ORG"]}
    slack = {"enabled": True, "mode": "http", "port": 8123, "api_url": 'http://127.0.0.1:1/"api"/'}
    path.write_text(
        run_config(tmp_path / "run.db", orgs=[org], bot={"log_level": "WARNING"}, slack=slack),
        encoding="utf-8",
    )
    config = load_config(path, environ={})
    assert config.database.url == f"sqlite+aiosqlite:///{tmp_path / 'run.db'}"
    assert config.bot.log_level == "WARNING"
    assert config.slack.enabled is True
    assert config.slack.port == 8123
    assert config.slack.api_url == 'http://127.0.0.1:1/"api"/'
    [read] = config.orgs
    assert read.slug == "il-library-workers"
    assert read.slack_team_ids == ["T0IL"]
    assert read.alert_channels == {"slack": ["C0ALERTS"]}
    assert read.organizers.slack_users == ["U0ORG"]


def test_a_value_toml_cannot_hold_is_refused() -> None:
    with pytest.raises(TypeError, match="no TOML form"):
        run_config(Path("run.db"), orgs=[], bot={"log_level": None})

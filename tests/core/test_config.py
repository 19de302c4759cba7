"""Configuration: the example file loads, overrides apply, mistakes name the key and file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from tests.support import ROOT

EXAMPLE = ROOT / "config.example.toml"


def test_example_config_loads() -> None:
    config = load_config(EXAMPLE, environ={})
    assert config.database.url == "sqlite+aiosqlite:///rallybot.db"
    assert config.scheduler.grace == timedelta(hours=1)
    assert config.slack.api_url == "https://slack.com/api/"
    org = config.org("il-library-workers")
    assert org.alert_channels["slack"] == ["C0ALERTS"]
    assert org.organizers.discord_roles == ["Organizer"]
    assert ("slack", "T0001") in org.spaces()


def test_environment_overrides(tmp_path: Path) -> None:
    env = {
        "RALLYBOT_SLACK__BOT_TOKEN": "xoxb-from-env",
        "RALLYBOT_SLACK__PORT": "3100",
        "RALLYBOT_SLACK__ENABLED": "yes",
        "RALLYBOT_SCHEDULER__GRACE": "30m",
        "RALLYBOT_DATABASE__URL": "postgresql+asyncpg://bot:s3cr3t-pw@127.0.0.1/rb",
        "RALLYBOT_REQUIRE_POSTGRES": "1",  # not a config key: no double underscore
    }
    config = load_config(EXAMPLE, environ=env)
    assert config.slack.bot_token == "xoxb-from-env"
    assert config.slack.port == 3100 and config.slack.enabled is True
    assert config.scheduler.grace == timedelta(minutes=30)
    assert set(config.secrets()) == {"xoxb-from-env", "s3cr3t-pw"}
    assert "xoxb-from-env" not in repr(config) and "s3cr3t-pw" not in repr(config)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[slack]\nport = "abc"\n', "[slack].port: must be a whole number"),
        ('[slack]\ntokn = "x"\n', "[slack]: unknown key 'tokn'"),
        ("[slak]\n", "unknown section [slak]"),
        ('[slack]\nmode = "carrier-pigeon"\n', '[slack] mode: must be "http" or "socket"'),
        ('[scheduler]\ngrace = "soon"\n', "[scheduler].grace: must be a duration"),
        ('[[orgs]]\nslug = "Bad Slug"\n', "[[orgs]] #1 slug"),
        ('[[orgs]]\nslug = "a"\ntimezone = "Mars/Olympus"\n', "[[orgs]] #1 timezone"),
        ('[[orgs]]\nslug = "a"\n[[orgs]]\nslug = "a"\n', "'a' is used twice"),
        (
            '[[orgs]]\nslug = "a"\nslack_team_ids = ["T1"]\n[[orgs]]\nslug = "b"\n'
            'slack_team_ids = ["T1"]\n',
            "slack space T1 also belongs to a",
        ),
        ('[[orgs]]\nslug = "a"\nalert_channels = { irc = ["#x"] }\n', "unknown platform 'irc'"),
        (
            '[[orgs]]\nslug = "a"\norganizers = { slack_usergroups = ["stewards"] }\n',
            "organizers.slack_usergroups: 'stewards' is not a user group id",
        ),
        (
            '[[orgs]]\nslug = "a"\ncontact = "Organizers <org@example.org>"\n',
            "[[orgs]] #1 contact: 'Organizers <org@example.org>' is not an email address",
        ),
        ("this is not toml", "not valid TOML"),
    ],
)
def test_mistakes_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={})
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_bad_environment_values_name_the_variable() -> None:
    with pytest.raises(ConfigError, match="RALLYBOT_SLACK__PORT: must be a whole number"):
        load_config(None, environ={"RALLYBOT_SLACK__PORT": "lots"})
    with pytest.raises(ConfigError, match="RALLYBOT_SLACK__NOPE: unknown key 'nope'"):
        load_config(None, environ={"RALLYBOT_SLACK__NOPE": "1"})
    with pytest.raises(ConfigError, match="RALLYBOT_WHAT__EVER: unknown section 'what'"):
        load_config(None, environ={"RALLYBOT_WHAT__EVER": "1"})


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.toml", environ={})


def test_limits_section_and_the_old_layoff_key(tmp_path: Path) -> None:
    config = load_config(EXAMPLE, environ={})
    assert config.limits.reminders_per_member == 50
    assert config.limits.member_polls_per_day == 5
    assert config.layoff_reports_per_hour == 5
    old = tmp_path / "old.toml"
    old.write_text("[bot]\nlayoff_reports_per_hour = 8\n", encoding="utf-8")
    assert load_config(old, environ={}).layoff_reports_per_hour == 8
    both = tmp_path / "both.toml"
    both.write_text(
        "[bot]\nlayoff_reports_per_hour = 8\n[limits]\nlayoff_reports_per_hour = 3\n",
        encoding="utf-8",
    )
    assert load_config(both, environ={}).layoff_reports_per_hour == 3
    with pytest.raises(ConfigError, match=r"\[limits\] member_polls_per_day: must be at least 1"):
        load_config(None, environ={"RALLYBOT_LIMITS__MEMBER_POLLS_PER_DAY": "0"})


def test_member_poll_days_is_a_whole_number_of_days_from_1(tmp_path: Path) -> None:
    assert load_config(EXAMPLE, environ={}).polls.member_poll_days == 7
    assert load_config(None, environ={}).polls.member_poll_days == 7
    env = {"RALLYBOT_POLLS__MEMBER_POLL_DAYS": "3"}
    assert load_config(None, environ=env).polls.member_poll_days == 3
    rule = r"\[polls\] member_poll_days: must be a whole number of days, 1 or more \(got 0\)"
    with pytest.raises(ConfigError, match=rule):
        load_config(None, environ={"RALLYBOT_POLLS__MEMBER_POLL_DAYS": "0"})
    path = tmp_path / "config.toml"
    path.write_text("[polls]\nmember_poll_days = -2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"member_poll_days: must be a whole number of days"):
        load_config(path, environ={})
    path.write_text("[polls]\nmember_poll_days = 1.5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[polls\]\.member_poll_days: must be a whole number"):
        load_config(path, environ={})
    with pytest.raises(ConfigError, match="RALLYBOT_POLLS__MEMBER_POLL_DAYS: must be a whole"):
        load_config(None, environ={"RALLYBOT_POLLS__MEMBER_POLL_DAYS": "a week"})


def test_an_unknown_organization_lists_the_slugs() -> None:
    config = load_config(EXAMPLE, environ={})
    with pytest.raises(ConfigError) as err:
        config.org("nowhere")
    assert "no organization with slug 'nowhere'" in str(err.value)
    assert "(the organizations: il-library-workers)" in str(err.value)


def test_a_channel_may_carry_the_name_people_know_it_by(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[[orgs]]\nslug = "a"\n'
        'alert_channels = { slack = ["C0ALERTS#alerts"], discord = [{ id = "200000000000000001",'
        ' name = "#rally" }], console = ["alerts"] }\n'
        'moderation_channels = { slack = [{ id = "C0MODS" }], discord = [200000000000000002] }\n'
    )
    org = load_config(path, environ={}).org("a")
    assert org.alert_channels == {
        "slack": ["C0ALERTS"],
        "discord": ["200000000000000001"],
        "console": ["alerts"],
    }
    assert org.moderation_channels == {"slack": ["C0MODS"], "discord": ["200000000000000002"]}
    assert org.channel("slack", "C0ALERTS").text() == "slack #alerts"
    assert org.channel("discord", "200000000000000001").text() == "discord #rally"
    # no name given: the id, the only name the bot knows
    assert org.channel("slack", "C0MODS").text() == "slack #C0MODS"
    assert org.channel("console", "alerts").text() == "#alerts"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('"C0ALERTS#"', "alert_channels.slack[0]: 'C0ALERTS#' has no name after #"),
        ('"#alerts"', "alert_channels.slack[0]: '#alerts' has no id before #"),
        ('"C0ALERTS#all hands"', "alert_channels.slack[0]: name: 'all hands' is not a channel"),
        ('{ name = "alerts" }', "alert_channels.slack[0]: id: missing"),
        ('{ id = "C0ALERTS", title = "x" }', "alert_channels.slack[0]: unknown key 'title'"),
        ("true", "alert_channels.slack[0]: must be a channel id"),
    ],
)
def test_a_wrong_channel_entry_is_named_with_the_rule(
    tmp_path: Path, entry: str, message: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[[orgs]]\nslug = "a"\nalert_channels = {{ slack = [{entry}] }}\n')
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={})
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_events_announce_before_reads_like_reminder_offsets(tmp_path: Path) -> None:
    assert load_config(EXAMPLE, environ={}).events.announce_before == timedelta(days=7)
    assert load_config(None, environ={}).events.announce_before == timedelta(days=7)
    env = {"RALLYBOT_EVENTS__ANNOUNCE_BEFORE": "2d12h"}
    assert load_config(None, environ=env).events.announce_before == timedelta(days=2, hours=12)
    path = tmp_path / "config.toml"
    path.write_text('[events]\nannounce_before = "a week"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[events\]\.announce_before: must be"):
        load_config(path, environ={})
    path.write_text('[events]\nannounce_before = "400d"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[events\] announce_before: must be from 1 minute"):
        load_config(path, environ={})

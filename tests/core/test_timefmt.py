"""Times as people read them: the year is shown exactly when it is not the current one."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.timefmt import Channel, TimedText, local_time, render_text

CHICAGO = ZoneInfo("America/Chicago")
TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)  # Thursday 10:00 AM CST


def test_a_time_in_the_current_year_has_no_year() -> None:
    moment = datetime(2026, 12, 24, 15, 0, tzinfo=UTC)
    assert local_time(moment, CHICAGO, now=NOW) == "Thu Dec 24, 9:00 AM CST"


def test_a_time_in_another_year_shows_it() -> None:
    next_year = datetime(2027, 1, 15, 15, 0, tzinfo=UTC)
    assert local_time(next_year, CHICAGO, now=NOW) == "Fri Jan 15, 2027, 9:00 AM CST"
    last_year = datetime(2025, 12, 1, 15, 0, tzinfo=UTC)
    assert local_time(last_year, CHICAGO, now=NOW) == "Mon Dec 1, 2025, 9:00 AM CST"


def test_the_year_is_the_one_on_the_wall_clock_of_the_zone() -> None:
    new_years_eve = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)  # 5 PM in Chicago, 2027 in Tokyo
    assert local_time(new_years_eve, CHICAGO, now=NOW) == "Thu Dec 31, 5:00 PM CST"
    assert local_time(new_years_eve, TOKYO, now=NOW) == "Fri Jan 1, 2027, 8:00 AM JST"
    # once it is 2027 in Tokyo, a time in 2027 there needs no year
    assert local_time(new_years_eve, TOKYO, now=new_years_eve) == "Fri Jan 1, 8:00 AM JST"


def test_a_channel_is_a_value_each_platform_shows_by_name() -> None:
    slack = Channel("slack", "C0ALERTS", "alerts")
    discord = Channel("discord", "200000000000000001")
    text = TimedText.join(", ", [TimedText(Channel("console", "alerts")), TimedText(slack)])
    text = TimedText("Posted in ", text, " and ", discord, ".")
    assert text == "Posted in #alerts, slack #alerts and discord #200000000000000001."
    mention = {"slack": "<#{}>"}
    shown = render_text(
        text,
        channel=lambda c: mention[c.platform].format(c.id) if c.platform in mention else None,
        escape=str.upper,
    )
    assert shown == "POSTED IN #ALERTS, <#C0ALERTS> AND DISCORD #200000000000000001."
    stored = TimedText.from_data(json.loads(json.dumps(text.to_data())))
    assert stored.parts == text.parts

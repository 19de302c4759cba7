"""Times as people read them: the year is shown exactly when it is not the current one."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.timefmt import Channel, Moment, Span, TimedText, local_time, render_text

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


# An event's times in its own zone; in what one person reads, their time follows where it
# reads differently.
NINE_CHICAGO = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)  # Tue Dec 8, 9:00 AM CST


def test_a_moment_shows_the_events_zone_then_the_readers_time() -> None:
    moment = Moment(NINE_CHICAGO, "America/Chicago", "America/New_York", NOW)
    assert moment.text() == "Tue Dec 8, 9:00 AM CST (10:00 AM your time)"


def test_no_your_time_in_the_same_zone_nor_where_the_clock_reads_the_same() -> None:
    assert Moment(NINE_CHICAGO, "America/Chicago", "America/Chicago", NOW).text() == (
        "Tue Dec 8, 9:00 AM CST"
    )
    # Winnipeg keeps the same clock as Chicago
    assert Moment(NINE_CHICAGO, "America/Chicago", "America/Winnipeg", NOW).text() == (
        "Tue Dec 8, 9:00 AM CST"
    )
    # a channel post carries no reader
    assert Moment(NINE_CHICAGO, "America/Chicago", None, NOW).text() == "Tue Dec 8, 9:00 AM CST"


def test_the_readers_day_is_named_when_it_is_another_one() -> None:
    late = datetime(2026, 12, 9, 5, 0, tzinfo=UTC)  # Tue 11:00 PM CST, Wed 2:00 PM in Tokyo
    assert Moment(late, "America/Chicago", "Asia/Tokyo", NOW).text() == (
        "Tue Dec 8, 11:00 PM CST (Wed 2:00 PM your time)"
    )
    assert Moment(NINE_CHICAGO, "America/Chicago", "America/Los_Angeles", NOW).text() == (
        "Tue Dec 8, 9:00 AM CST (7:00 AM your time)"
    )
    early = datetime(2026, 12, 8, 6, 30, tzinfo=UTC)  # Tue 12:30 AM CST, Mon 10:30 PM in LA
    assert Moment(early, "America/Chicago", "America/Los_Angeles", NOW).text() == (
        "Tue Dec 8, 12:30 AM CST (Mon 10:30 PM your time)"
    )


def test_a_span_has_one_your_time() -> None:
    end = datetime(2026, 12, 8, 16, 30, tzinfo=UTC)  # 10:30 AM CST
    start = Moment(NINE_CHICAGO, "America/Chicago", "America/Denver", NOW)
    assert Span(start, end).text() == "Tue Dec 8, 9:00 AM – 10:30 AM CST (8:00 – 9:30 AM your time)"
    noon = datetime(2026, 12, 8, 19, 0, tzinfo=UTC)  # 1:00 PM CST, 12:00 PM in Denver
    assert Span(start, noon).text() == (
        "Tue Dec 8, 9:00 AM – 1:00 PM CST (8:00 AM – 12:00 PM your time)"
    )
    same = Moment(NINE_CHICAGO, "America/Chicago", "America/Chicago", NOW)
    assert Span(same, end).text() == "Tue Dec 8, 9:00 AM – 10:30 AM CST"
    # on the reader's next day
    tokyo = Moment(NINE_CHICAGO, "America/Chicago", "Asia/Tokyo", NOW)
    assert Span(tokyo, end).text() == (
        "Tue Dec 8, 9:00 AM – 10:30 AM CST (Wed 12:00 – 1:30 AM your time)"
    )
    # across the reader's midnight, both days
    evening = Moment(datetime(2026, 12, 8, 23, 0, tzinfo=UTC), "America/Chicago", "UTC", NOW)
    assert Span(evening, datetime(2026, 12, 9, 1, 0, tzinfo=UTC)).text() == (
        "Tue Dec 8, 5:00 PM – 7:00 PM CST (Tue 11:00 PM – Wed 1:00 AM your time)"
    )


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


def test_a_moment_written_on_another_day_of_the_year_is_the_same_value() -> None:
    spring = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    written_now = Moment(NINE_CHICAGO, "America/Chicago", None, NOW)
    written_in_spring = Moment(NINE_CHICAGO, "America/Chicago", None, spring)
    assert written_now == written_in_spring
    assert TimedText(written_now).to_data() == TimedText(written_in_spring).to_data()
    # the year on the zone's clock still decides: New Year's Eve in Chicago is 2027 in Tokyo
    eve = datetime(2027, 1, 1, 3, 0, tzinfo=UTC)
    assert Moment(NINE_CHICAGO, "Asia/Tokyo", None, eve).text() == "Wed Dec 9, 2026, 12:00 AM JST"
    assert Moment(NINE_CHICAGO, "America/Chicago", None, eve).text() == "Tue Dec 8, 9:00 AM CST"

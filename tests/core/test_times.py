"""Times in replies are values (an instant and the zone to show it in) that each adapter
renders: the console's text reads as before, Discord and Slack show each reader's clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from adapters.console.render import render as console_render
from adapters.discord.render import render as discord_render
from adapters.slack.render import fallback_text, reply_blocks
from bot.reply import Reply, from_payload, to_payload
from bot.timefmt import Moment, Span, TimedText, render_text
from commands.events.render import announcement
from standins.discord.markup import timestamp_problem
from standins.slack_dates import date_problem
from storage.events import EventRecord

EVENT = EventRecord(
    id=4,
    org_id=1,
    title="Chapter meeting",
    description=None,
    kind="meeting",
    starts_at=datetime(2026, 11, 20, 0, 0, tzinfo=UTC),
    ends_at=datetime(2026, 11, 20, 1, 30, tzinfo=UTC),
    timezone="America/Chicago",
    place=None,
    link=None,
    capacity=None,
    rsvp_deadline=datetime(2026, 11, 19, 18, 0, tzinfo=UTC),
    reminder_offsets=(),
    created_at=datetime(2026, 11, 1, tzinfo=UTC),
)
#: when the texts are written: the same year, so no year is shown
NOW = datetime(2026, 11, 1, tzinfo=UTC)
WHEN = "When: Thu Nov 19, 6:00 PM – 7:30 PM CST"
RSVP_BY = "RSVP by Thu Nov 19, 12:00 PM CST"


def test_an_announcement_carries_its_times_as_values() -> None:
    text = announcement(EVENT, now=NOW).text
    assert text.splitlines()[:2] == [WHEN, RSVP_BY]
    assert isinstance(text, TimedText)
    span, deadline = [p for p in text.parts if not isinstance(p, str)]
    assert span == Span(Moment(EVENT.starts_at, "America/Chicago", now=NOW), EVENT.ends_at)
    assert deadline == Moment(EVENT.rsvp_deadline, "America/Chicago", now=NOW)
    # read in a person's zone, the zone to show it in travels with the instant
    shown = announcement(EVENT, ZoneInfo("America/New_York"), now=NOW).text
    assert isinstance(shown, TimedText)
    moments = [p for p in shown.parts if isinstance(p, Moment)]
    assert moments == [Moment(EVENT.rsvp_deadline, "America/Chicago", "America/New_York", NOW)]
    assert "RSVP by Thu Nov 19, 12:00 PM CST (1:00 PM your time)" in shown


def test_times_survive_the_outbox_and_every_adapter_renders_them() -> None:
    reply = announcement(EVENT, now=NOW)
    stored = from_payload(to_payload(reply))
    assert isinstance(stored.text, TimedText)
    assert stored.text.parts == reply.text.parts  # type: ignore[attr-defined]
    assert render_text(stored.text) == reply.text
    assert WHEN in console_render(stored, "#general")
    # Discord and Slack show it on each reader's own clock; Slack's notification reads as text
    start, end = int(EVENT.starts_at.timestamp()), int(EVENT.ends_at.timestamp())
    stamps = f"When: <t:{start}:F> – <t:{end}:t> (<t:{start}:R>)"
    assert stamps in str(discord_render(stored).embeds[0].description)
    dates = (
        f"When: <!date^{start}^{{date_short_pretty}} {{time}}|Thu Nov 19, 6:00 PM CST> – "
        f"<!date^{end}^{{time}}|7:30 PM CST>"
    )
    assert dates in str(reply_blocks(stored))
    assert WHEN in fallback_text(stored)


def test_a_time_outside_the_year_it_is_written_in_shows_its_year_after_the_outbox() -> None:
    december = datetime(2025, 12, 3, tzinfo=UTC)
    reply = from_payload(to_payload(announcement(EVENT, now=december)))
    assert "When: Thu Nov 19, 2026, 6:00 PM – 7:30 PM CST" in render_text(reply.text)


def test_a_persons_time_follows_the_events_through_the_outbox_not_in_a_channel_post() -> None:
    nine = replace(
        EVENT,
        starts_at=datetime(2026, 11, 20, 15, 0, tzinfo=UTC),  # Fri 9:00 AM CST
        ends_at=datetime(2026, 11, 20, 16, 30, tzinfo=UTC),
        rsvp_deadline=None,
    )
    personal = from_payload(to_payload(announcement(nine, ZoneInfo("America/New_York"), now=NOW)))
    mine = "When: Fri Nov 20, 9:00 AM – 10:30 AM CST (10:00 – 11:30 AM your time)"
    assert mine in render_text(personal.text)
    assert mine in console_render(personal, "DM ana")
    assert mine in fallback_text(personal)
    start, end = int(nine.starts_at.timestamp()), int(nine.ends_at.timestamp())
    shown = str(discord_render(personal).embeds[0].description)
    assert f"When: <t:{start}:F> – <t:{end}:t> (<t:{start}:R>)" in shown
    assert "your time" not in shown  # Discord shows the reader's own clock
    # on Slack the fallback of each date is the time on the reader's clock
    blocks = str(reply_blocks(personal))
    assert f"<!date^{start}^{{date_short_pretty}} {{time}}|Fri Nov 20, 10:00 AM EST>" in blocks
    assert f"<!date^{end}^{{time}}|11:30 AM EST>" in blocks
    # the same zone as the event's: no "your time"
    chicago = from_payload(to_payload(announcement(nine, ZoneInfo("America/Chicago"), now=NOW)))
    assert "When: Fri Nov 20, 9:00 AM – 10:30 AM CST\n" in render_text(chicago.text) + "\n"
    assert "your time" not in render_text(chicago.text)
    # a channel post: the event's zone only
    posted = from_payload(to_payload(announcement(nine, now=NOW)))
    assert "When: Fri Nov 20, 9:00 AM – 10:30 AM CST" in render_text(posted.text)
    assert "your time" not in render_text(posted.text)


def test_a_fields_times_survive_the_outbox_and_every_adapter_renders_them() -> None:
    closes = Moment(datetime(2026, 11, 6, 23, 0, tzinfo=UTC), "America/Chicago", now=NOW)
    reply = Reply(
        text="Poll 3",
        fields=[("closes", TimedText("Closes ", closes, ".")), ("question", "Strike?")],
    )
    stored = from_payload(to_payload(reply))
    (name, value), plain = stored.fields
    assert name == "closes" and isinstance(value, TimedText)
    assert value.parts == ("Closes ", closes, ".")
    assert plain == ("question", "Strike?") and not isinstance(plain[1], TimedText)
    assert "closes    Closes Fri Nov 6, 5:00 PM CST." in console_render(stored, "")
    at = int(closes.instant.timestamp())
    (embed,) = discord_render(stored).embeds
    assert embed.fields[0].value == f"Closes <t:{at}:F> (<t:{at}:R>)."
    mrkdwn = f"Closes <!date^{at}^{{date_short_pretty}} {{time}}|Fri Nov 6, 5:00 PM CST>."
    assert mrkdwn in str(reply_blocks(stored))
    assert "closes: Closes Fri Nov 6, 5:00 PM CST." in fallback_text(stored)


def test_a_field_stored_before_fields_kept_their_times_reads_as_its_text() -> None:
    stored = from_payload('{"text":"","fields":[["closes","Fri Nov 6, 5:00 PM CST"]]}')
    assert stored.fields == [("closes", "Fri Nov 6, 5:00 PM CST")]


def test_a_long_digest_keeps_every_time_whole_within_each_platforms_limits() -> None:
    closes = Moment(datetime(2026, 11, 6, 23, 0, tzinfo=UTC), "America/Chicago", now=NOW)
    lines = [
        TimedText(f"• Poll {n}: Which branch first? {n}: 3 ballots, closes ", closes)
        for n in range(1, 151)
    ]
    digest = Reply(
        title="This week in Local 88", text=TimedText.join("\n", ["Open polls:", *lines])
    )
    stored = from_payload(to_payload(digest))
    # the console reads every line as text
    assert console_render(stored, "").count("closes Fri Nov 6, 5:00 PM CST") == 150
    (embed,) = discord_render(stored).embeds
    assert embed.description is not None and len(embed.description) <= 4096
    assert embed.description.endswith("…") and timestamp_problem(embed.description, "d") is None
    assert embed.description.count("<t:") % 2 == 0  # each time whole: its day and how far
    sections = [b["text"]["text"] for b in reply_blocks(stored) if b["type"] == "section"]
    assert all(len(s) <= 3000 for s in sections)
    assert all(date_problem(s) is None for s in sections)
    assert sum(s.count("<!date^") for s in sections) == 150

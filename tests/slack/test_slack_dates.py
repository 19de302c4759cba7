"""Times on Slack as each reader sees them: a time in mrkdwn is Slack's date formatting,
``<!date^SECONDS^{date_short_pretty} {time}|fallback>``, which Slack shows on the reader's
clock, its fallback the time as the reader reads it today; headers, buttons, options and the
notification text keep plain text; long text is cut within Slack's limits never inside a
date; and the stand-in refuses a malformed date or one where Slack shows none."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from adapters.slack.dates import fit
from adapters.slack.render import fallback_text, message, reply_blocks, reply_text
from bot.reply import Action, Reply, Select
from bot.timefmt import Moment, Span, TimedText
from standins.slack import block_errors
from standins.slack_dates import date_errors

NOW = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
NINE = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # Mon Dec 7, 9:00 AM in Chicago
FIVE = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)
NEXT_DAY = datetime(2026, 12, 8, 18, 0, tzinfo=UTC)
CHICAGO, NEW_YORK = "America/Chicago", "America/New_York"
NINE_S, FIVE_S, NEXT_S = (int(t.timestamp()) for t in (NINE, FIVE, NEXT_DAY))
DAY_TIME = "{date_short_pretty} {time}"


def sections(blocks: list[dict]) -> str:
    """The mrkdwn of every section."""
    return "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b)


def test_a_time_is_a_slack_date_with_the_readers_time_as_its_fallback() -> None:
    text = TimedText("Closes ", Moment(NINE, CHICAGO, NEW_YORK, NOW), " & then <b>.")
    blocks = reply_blocks(Reply(title="Call: Save the branch", text=text))
    assert block_errors(blocks) == []
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Call: Save the branch", "emoji": True},
    }
    assert sections(blocks) == (
        f"Closes <!date^{NINE_S}^{DAY_TIME}|Mon Dec 7, 10:00 AM EST> &amp; then &lt;b&gt;."
    )
    # a channel post is read in the event's own zone
    post = reply_blocks(Reply(text=TimedText(Moment(NINE, CHICAGO, None, NOW))))
    assert sections(post) == f"<!date^{NINE_S}^{DAY_TIME}|Mon Dec 7, 9:00 AM CST>"


def test_the_notification_text_keeps_the_time_as_text() -> None:
    text = TimedText("Closes ", Moment(NINE, CHICAGO, NEW_YORK, NOW), ".")
    assert fallback_text(Reply(title="T", text=text)) == (
        "*T*\nCloses Mon Dec 7, 9:00 AM CST (10:00 AM your time)."
    )
    assert "<!date" not in message(Reply(text=text))["text"]


def test_a_span_is_its_start_and_its_end_a_time_only_within_its_day() -> None:
    day = reply_blocks(Reply(text=TimedText(Span(Moment(NINE, CHICAGO, None, NOW), FIVE))))
    assert sections(day) == (
        f"<!date^{NINE_S}^{DAY_TIME}|Mon Dec 7, 9:00 AM CST> – "
        f"<!date^{FIVE_S}^{{time}}|5:00 PM CST>"
    )
    span = Span(Moment(NINE, CHICAGO, NEW_YORK, NOW), NEXT_DAY)
    two = reply_blocks(Reply(text=TimedText(span)))
    assert sections(two) == (
        f"<!date^{NINE_S}^{DAY_TIME}|Mon Dec 7, 10:00 AM EST> – "
        f"<!date^{NEXT_S}^{DAY_TIME}|Tue Dec 8, 1:00 PM EST>"
    )
    assert block_errors(day + two) == []


def test_buttons_options_and_field_names_stay_plain_and_field_values_are_dates() -> None:
    when = Moment(NINE, CHICAGO, None, NOW)
    reply = Reply(
        text="Pick",
        fields=[(TimedText("from ", when), TimedText("until ", when))],
        actions=[
            Action(TimedText("Remind me ", when), "event remind", {"id": "1"}),
            Select("Pick", "event rsvp", "status", [(TimedText("Going ", when), "going")]),
        ],
    )
    blocks = reply_blocks(reply)
    assert block_errors(blocks) == []
    (field,) = blocks[1]["fields"]
    assert field["text"] == (
        f"*from Mon Dec 7, 9:00 AM CST*\nuntil <!date^{NINE_S}^{DAY_TIME}|Mon Dec 7, 9:00 AM CST>"
    )
    button, menu = blocks[2]["elements"]
    assert button["text"]["text"] == "Remind me Mon Dec 7, 9:00 AM CST"
    assert menu["options"][0]["text"]["text"] == "Going Mon Dec 7, 9:00 AM CST"


def test_a_long_line_of_dates_is_cut_between_them_within_slacks_limits() -> None:
    when = Moment(NINE, CHICAGO, NEW_YORK, NOW)
    line = TimedText.join("; ", [TimedText(f"meeting {i} ", when) for i in range(100)])
    blocks = reply_blocks(Reply(text=line, fields=[("times", line)]))
    assert block_errors(blocks) == [], block_errors(blocks)
    pieces = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    assert len(pieces) > 1 and all(len(p) <= 3000 for p in pieces)
    # every date is whole, and nothing is lost between the pieces
    dates = re.compile(r"<!date\^\d+\^[^|]+\|[^>]+>")
    assert sum(len(dates.findall(p)) for p in pieces) == 100
    assert "".join(pieces) == reply_text(line)
    field = blocks[-1]["fields"][0]["text"]
    assert len(field) <= 2000 and field.endswith("…")
    assert date_errors({"type": "mrkdwn", "text": field}, "field") == []


def test_a_cut_never_leaves_half_a_date_or_mention() -> None:
    text = f"Starts <!date^{NINE_S}^{DAY_TIME}|Mon Dec 7, 9:00 AM CST> in <#C0ALERTS>"
    for limit in range(1, len(text)):
        cut = fit(text, limit)
        assert len(cut) <= limit and "<" not in cut.rpartition(">")[2], cut


def test_the_stand_in_refuses_a_malformed_date_or_one_where_slack_shows_none() -> None:
    def section(text: str) -> list[dict]:
        return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]

    assert block_errors(section(f"<!date^{NINE_S}^{{date}} at {{time}}^https://x.org|9 AM>")) == []
    for bad in (
        f"<!date^{NINE_S}^{DAY_TIME}>",  # no fallback
        f"<!date^tomorrow^{DAY_TIME}|9 AM>",  # not a timestamp
        f"<!date^{NINE_S}^{{when}}|9 AM>",  # no such token
        f"<!date^{NINE_S}^at noon|9 AM>",  # no token at all
    ):
        assert block_errors(section(bad)), bad
    header = [{"type": "header", "text": {"type": "plain_text", "text": f"<!date^{NINE_S}^x|y>"}}]
    assert any("plain text" in e for e in block_errors(header))

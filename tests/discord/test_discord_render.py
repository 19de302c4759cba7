"""Rendering, the command tree and the settings: replies and registry within Discord's limits.

Each rendered message, modal and command is checked by the stand-in's own validators (the
rules Discord applies) as well as for what the person sees.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import discord
import pytest

from adapters.discord.render import (
    marked,
    modal,
    modal_values,
    render,
    render_form_as_text,
    with_ping,
)
from adapters.discord.stamps import fit
from adapters.discord.tree import build_commands, command_of
from bot.config import ConfigError, load_config
from bot.registry import Registry
from bot.reply import Action, File, Form, FormField, Reply, Select, Table, decode_action
from bot.timefmt import Moment, Span, TimedText
from rallybot.groups import default_groups
from standins.discord import check_command, check_message, check_modal
from standins.discord.markup import timestamp_problem


def message_payload(reply: Reply) -> dict:
    """The JSON discord.py would send for a rendered reply."""
    rendered = render(reply)
    view = rendered.view
    return {
        "content": rendered.content,
        "embeds": [e.to_dict() for e in rendered.embeds],
        "components": view.to_components() if view is not None else [],
    }


def test_a_short_answer_is_content_and_a_long_one_is_cut_with_an_ellipsis() -> None:
    short = message_payload(Reply(text="Reminder 1 set."))
    assert short["content"] == "Reminder 1 set." and short["embeds"] == []
    long_text = "word " * 2000  # 10,000 characters
    long = message_payload(Reply(text=long_text))
    assert check_message(long) is None
    description = long["embeds"][0]["description"]
    assert 4000 < len(description) <= 4096 and description.endswith("…")


def test_embeds_keep_within_6000_characters_in_total() -> None:
    reply = Reply(
        title="T" * 400,
        text="x" * 5000,
        fields=[(f"field {i}" * 30, "v" * 2000) for i in range(30)],
        table=Table(["state", "reports"], [["IL", str(n)] for n in range(400)]),
    )
    payload = message_payload(reply)
    assert check_message(payload) is None, check_message(payload)
    embed = payload["embeds"][0]
    assert len(embed["title"]) == 256 and embed["title"].endswith("…")
    assert all(len(f["value"]) <= 1024 for f in embed.get("fields", []))
    assert len(embed.get("fields", [])) <= 25


def test_a_table_is_a_code_block_in_the_embed() -> None:
    payload = message_payload(
        Reply(title="Layoffs by state", table=Table(["state", "reports"], [["IL", "3"]]))
    )
    description = payload["embeds"][0]["description"]
    assert description.startswith("```") and description.endswith("```")
    assert "IL" in description


def test_buttons_fill_five_rows_of_five_with_labels_cut_at_80() -> None:
    actions = [Action(f"{'Sign on ' * 20}{i}", "alert sign", {"id": str(i)}) for i in range(30)]
    payload = message_payload(Reply(text="Pick one", actions=actions))
    rows = payload["components"]
    assert check_message(payload) is None
    assert len(rows) == 5 and all(len(r["components"]) == 5 for r in rows)
    first = rows[0]["components"][0]
    assert len(first["label"]) == 80 and first["label"].endswith("…")
    assert decode_action(first["custom_id"]) == ("alert sign", {"id": "0"})


def test_a_menu_takes_its_own_row_and_styles_map() -> None:
    actions: list[Action | Select] = [
        Action("Going", "event rsvp", {"id": "3", "status": "going"}, style="primary"),
        Select("Choose", "poll vote", "choice", [("Benefits", "benefits")], {"id": "5"}),
        Action("Close", "alert close", {"id": "1"}, style="danger", disabled=True),
    ]
    rows = message_payload(Reply(text="x", actions=actions))["components"]
    assert [len(r["components"]) for r in rows] == [1, 1, 1]
    going, menu, close = (r["components"][0] for r in rows)
    assert going["style"] == discord.ButtonStyle.primary.value
    assert menu["type"] == 3 and menu["custom_id"].endswith("_select=choice")
    assert close["style"] == discord.ButtonStyle.danger.value and close["disabled"] is True


def test_a_chart_is_shown_in_the_embed_and_a_csv_is_attached() -> None:
    rendered = render(
        Reply(
            text="Reports by month",
            files=[
                File("chart.png", b"\x89PNG...", "image/png"),
                File("layoffs.csv", b"a,b\n", "text/csv"),
            ],
        )
    )
    assert rendered.embeds[0].image.url == "attachment://chart.png"
    assert [f.filename for f in rendered.discord_files()] == ["chart.png", "layoffs.csv"]


def test_a_form_is_a_modal_of_at_most_five_inputs_required_first() -> None:
    form = Form(
        title="Report a layoff, furlough, cut or closure — it takes a minute",
        command="layoff report",
        fields=[FormField(f"f{i}", f"Field number {i} " * 5) for i in range(7)]
        + [FormField("employer", "Employer", required=True, max_length=9000)]
        + [FormField("kind", "Kind", choices=("layoff", "furlough"))],
    )
    box = modal(form).to_dict()
    assert check_modal(box) is None, check_modal(box)
    inputs = [row["components"][0] for row in box["components"]]
    assert len(inputs) == 5 and inputs[0]["custom_id"] == "employer"
    assert inputs[0]["required"] is True and inputs[0]["max_length"] == 4000
    assert len(box["title"]) <= 45 and box["custom_id"] == "layoff.report"
    submitted = {
        "components": [{"type": 1, "components": [{"custom_id": "employer", "value": "Elm St"}]}]
    }
    assert modal_values(submitted) == {"employer": "Elm St"}


def test_the_command_tree_follows_discords_rules() -> None:
    registry = Registry(default_groups())
    for prefix in ("", "rb-"):
        commands = build_commands(registry, prefix)
        for command in commands:
            assert check_command(command) is None, check_command(command)
        assert {c["name"] for c in commands} == {
            f"{prefix}{g}"
            for g in (
                "layoff",
                "alert",
                "event",
                "poll",
                "profile",
                "link",
                "privacy",
                "reminder",
                "help",
                "dashboard",
            )
        }
    report = next(c for c in build_commands(registry) if c["name"] == "layoff")["options"][0]
    assert report["name"] == "report" and report["options"][0]["name"] == "employer"
    anonymous = next(o for o in report["options"] if o["name"] == "anonymous")
    assert anonymous["type"] == 5 and "choices" not in anonymous


def test_interaction_data_reads_back_as_the_core_command() -> None:
    registry = Registry(default_groups())
    data = {
        "name": "rb-layoff",
        "options": [
            {
                "type": 1,
                "name": "report",
                "options": [
                    {"type": 3, "name": "employer", "value": "Elm St"},
                    {"type": 5, "name": "anonymous", "value": False},
                    {"type": 3, "name": "state", "value": "il", "focused": True},
                ],
            }
        ],
    }
    found = command_of(registry, "rb-", data)
    assert found is not None
    command, raw, focused = found
    assert command.name == "layoff report" and focused == "state"
    assert raw == {"employer": "Elm St", "anonymous": "no", "state": "il"}
    assert command_of(registry, "rb-", {"name": "layoff"}) is None
    assert command_of(registry, "", {"name": "profile", "options": []})[0].name == "profile"


def test_the_discord_settings_are_checked_with_the_key_named(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    for body, message in [
        ("shard_ids = [0]", "[discord] shard_ids: needs shard_count as well"),
        ("shard_count = 2\nshard_ids = [2]", "[discord] shard_ids: 2 is not from 0 to"),
        ("global_rate = 0", "[discord] global_rate: must be from 1 to 50,000"),
        ('defer_after = "3s"', "[discord] defer_after: must be from 0s to 2.5s"),
        ("sync_on_start = 1", "[discord].sync_on_start: must be true or false"),
    ]:
        path.write_text(f"[discord]\n{body}\n")
        with pytest.raises(ConfigError) as refused:
            load_config(path, environ={})
        assert message in str(refused.value), str(refused.value)
    path.write_text("[discord]\nshard_count = 4\nshard_ids = [2, 3]\nsync_on_start = true\n")
    config = load_config(path, environ={"RALLYBOT_DISCORD__GLOBAL_RATE": "40"})
    assert config.discord.shard_ids == [2, 3] and config.discord.global_rate == 40


def test_a_form_that_came_too_late_for_a_modal_says_the_whole_command() -> None:
    # a button's form (a legislative day's Going) keeps the values the button carried
    form = Form(
        "Going to Advocacy Day",
        "event rsvp",
        [FormField("state", "State delegation", True), FormField("district", "District")],
        args={"id": "2", "status": "going"},
    )
    rendered = render_form_as_text(Reply(text="A few questions.", form=form))
    assert rendered.content == (
        "A few questions.\nType it as: `/event rsvp id:2 status:going state:…`"
    )
    assert rendered.ephemeral


# --- times as each reader sees them ---------------------------------------------------------

NOW = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
NINE = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # Mon Dec 7, 9:00 AM in Chicago
FIVE = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)  # 5:00 PM the same day
NEXT_DAY = datetime(2026, 12, 8, 18, 0, tzinfo=UTC)
CHICAGO, NEW_YORK = "America/Chicago", "America/New_York"
NINE_S, FIVE_S, NEXT_S = (int(t.timestamp()) for t in (NINE, FIVE, NEXT_DAY))


def test_a_time_in_text_is_a_discord_timestamp_with_how_far_away_it_is() -> None:
    text = TimedText("Closes ", Moment(NINE, CHICAGO, NEW_YORK, NOW), ".")
    payload = message_payload(Reply(text=text, actions=[Action("Sign on", "alert sign")]))
    assert payload["content"] == f"Closes <t:{NINE_S}:F> (<t:{NINE_S}:R>)."
    assert check_message(payload) is None
    # the console and every plain place read it as they always did
    assert str(text) == "Closes Mon Dec 7, 9:00 AM CST (10:00 AM your time)."
    # where the text says how far away it is, Discord's relative time is not said again
    reminder = TimedText("Starts ", Moment(NINE, CHICAGO, None, NOW), " (in 1 day).")
    assert message_payload(Reply(text=reminder))["content"] == f"Starts <t:{NINE_S}:F> (in 1 day)."
    reminder = TimedText("Starts ", Moment(NINE, CHICAGO, "Asia/Tokyo", NOW), ", in 1 day.")
    assert str(reminder) == "Starts Mon Dec 7, 9:00 AM CST (Tue 12:00 AM your time), in 1 day."
    assert message_payload(Reply(text=reminder))["content"] == f"Starts <t:{NINE_S}:F>, in 1 day."


def test_a_span_is_its_start_and_its_end_a_time_only_within_its_day() -> None:
    day = TimedText("When: ", Span(Moment(NINE, CHICAGO, None, NOW), FIVE))
    assert message_payload(Reply(text=day))["content"] == (
        f"When: <t:{NINE_S}:F> – <t:{FIVE_S}:t> (<t:{NINE_S}:R>)"
    )
    # ends the next day in Chicago: the end's whole date
    two_days = TimedText("When: ", Span(Moment(NINE, CHICAGO, None, NOW), NEXT_DAY))
    assert message_payload(Reply(text=two_days))["content"] == (
        f"When: <t:{NINE_S}:F> – <t:{NEXT_S}:F> (<t:{NINE_S}:R>)"
    )


def test_titles_field_names_and_buttons_keep_the_events_zone_as_text() -> None:
    when = Moment(NINE, CHICAGO, None, NOW)
    reply = Reply(
        title=TimedText("Rally ", when),
        text=TimedText("When: ", when),
        fields=[(TimedText("from ", when), TimedText("until ", when))],
        actions=[
            Action(TimedText("Remind me ", when), "event remind", {"id": "1"}),
            Select("Pick", "event rsvp", "status", [(TimedText("Going ", when), "going")]),
        ],
    )
    payload = message_payload(reply)
    assert check_message(payload) is None, check_message(payload)
    embed = payload["embeds"][0]
    assert embed["title"] == "Rally Mon Dec 7, 9:00 AM CST"
    assert embed["description"] == f"When: <t:{NINE_S}:F> (<t:{NINE_S}:R>)"
    (field,) = embed["fields"]
    assert field["name"] == "from Mon Dec 7, 9:00 AM CST"
    assert field["value"] == f"until <t:{NINE_S}:F> (<t:{NINE_S}:R>)"
    button, menu = (row["components"][0] for row in payload["components"])
    assert button["label"] == "Remind me Mon Dec 7, 9:00 AM CST"
    assert menu["options"][0]["label"] == "Going Mon Dec 7, 9:00 AM CST"


def test_a_long_text_of_times_is_cut_between_timestamps_within_discords_limits() -> None:
    when = Moment(NINE, CHICAGO, None, NOW)
    many = TimedText.join("\n", [TimedText(f"Meeting {i}: ", when) for i in range(100)])
    # the timestamps are longer than the text they stand for, and over an embed's 4,096
    assert len(str(many)) < 4096 < len(marked(many))
    payload = message_payload(Reply(text=many, fields=[("times", many)]))
    assert check_message(payload) is None, check_message(payload)
    embed = payload["embeds"][0]
    for shown in (embed["description"], embed["fields"][0]["value"]):
        assert shown.endswith("…")
        assert timestamp_problem(shown, "text") is None
    # a ping in front of content of Discord's full 2,000 characters
    stamp = marked(TimedText(when))
    content = TimedText("x" * (2000 - len(stamp)), when)
    rendered = render(Reply(text=content))
    assert rendered.content is not None and len(rendered.content) == 2000
    pinged = with_ping(rendered, "here", {})
    assert pinged is not None and pinged.content is not None
    # the relative timestamp is left out whole, the full one kept
    assert len(pinged.content) <= 2000 and pinged.content.endswith(f"<t:{NINE_S}:F> (…")
    assert timestamp_problem(pinged.content, "content") is None


def test_a_cut_never_leaves_half_a_timestamp_or_mention() -> None:
    text = f"Starts <t:{NINE_S}:F> in <#200000000000000001>"
    for limit in range(1, len(text)):
        cut = fit(text, limit)
        assert len(cut) <= limit and timestamp_problem(cut, "cut") is None
        assert "<" not in cut.rpartition(">")[2], cut


def test_the_stand_in_refuses_a_malformed_timestamp_or_one_where_discord_shows_none() -> None:
    assert check_message({"content": f"<t:{NINE_S}:F> <t:{NINE_S}> <t:-5:R>"}) is None
    assert "not a timestamp" in (check_message({"content": "at <t:tomorrow:F>"}) or "")
    assert "not a timestamp" in (check_message({"content": f"<t:{NINE_S}:Q>"}) or "")
    assert "not a timestamp" in (check_message({"content": f"<t:{NINE_S}:F"}) or "")
    titled = {"embeds": [{"title": f"At <t:{NINE_S}:F>"}]}
    assert "embeds.title" in (check_message(titled) or "")
    labelled = {
        "components": [
            {
                "type": 1,
                "components": [{"type": 2, "style": 1, "label": f"<t:{NINE_S}>", "custom_id": "x"}],
            }
        ]
    }
    assert "components" in (check_message(labelled) or "")
    rsvp = TimedText("RSVP ", Moment(NINE, CHICAGO, None, NOW))
    box = modal(Form(rsvp, "event rsvp", [FormField("note", "Note")]))
    assert check_modal(box.to_dict()) is None  # the modal's title is plain text
    stamped = {**box.to_dict(), "title": f"<t:{NINE_S}:t>"}
    assert "title" in (check_modal(stamped) or "")

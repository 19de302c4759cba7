"""Block Kit rendering of the core's replies and forms: every Slack layout is made here.

Slack's limits are kept here, so nothing the bot sends is refused: at most 50 blocks in a
message (100 in a modal or the Home tab), 3,000 characters in a section, 2,000 in a field
and at most 10 fields, 150 in a header, 75 in a button's or option's text, 25 elements in
an actions block, 100 options in a menu, 24 characters in a modal's title. Text longer than
a limit is cut with an ellipsis (``bot.reply.truncate``). A button's action id is the core's
stateless id, so a click is dispatched like the typed command.

Mentions are deliberate: every text is escaped (``&``, ``<``, ``>``, as Slack's "Formatting
text for app surfaces" asks), so ``<!channel>`` typed by a member shows as typed, and
messages go with ``parse: "none"`` and no ``link_names``, so a plain ``@channel`` stays
text. Only an organizer's ``notify:`` on a channel post adds ``<!here>``, ``<!channel>``,
``<!everyone>`` or ``<!subteam^ID>`` (``message(..., announce=True)``). A Slack channel a
reply names is written ``<#C0ALERTS>``, which Slack shows as the channel's name; a channel of
another platform is shown by its configured name. A time in mrkdwn text is Slack's date
formatting (``dates.py``), shown on each reader's own clock; headers, buttons, options,
modal titles and the notification text keep the plain text. Text is cut never inside a
date or a mention.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from adapters.slack.dates import fit, split_point, time_markup
from bot.config import SLACK_USERGROUP_ID
from bot.errors import FieldError
from bot.options import NOTIFY_ALL
from bot.reply import Action, Form, Reply, Select, format_table, truncate
from bot.timefmt import Channel, render_text

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
FIELD_TEXT = 2000
FIELDS_PER_SECTION = 10
HEADER_TEXT = 150
BUTTON_TEXT = 75
OPTION_TEXT = 75
OPTION_VALUE = 150
ACTION_ID = 255
ELEMENTS_PER_ACTIONS = 25
OPTIONS_PER_MENU = 100
VIEW_TITLE = 24
INPUT_LABEL = 2000
INPUT_LENGTH = 3000
MESSAGE_TEXT = 40_000
PRIVATE_METADATA = 3000

Block = dict[str, Any]

_DOUBLE_STARS = re.compile(r"\*\*(.+?)\*\*")


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn gives a meaning to (&, <, >)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _bold(text: str) -> str:
    """The core's ``**bold**`` as Slack's ``*bold*``."""
    return _DOUBLE_STARS.sub(r"*\1*", text)


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit) or " ", "emoji": True}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _chunks(text: str, limit: int) -> list[str]:
    """Split text at line breaks into pieces of at most ``limit`` characters."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # one line longer than a piece: cut it at the limit
            if current:
                pieces.append(current)
                current = ""
            at = split_point(line, limit)
            pieces.append(line[:at])
            line = line[at:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


def channel_mention(channel: Channel) -> str | None:
    """A Slack channel as ``<#C0ALERTS>`` (Slack shows its name); None for another
    platform's channel, shown by name as text."""
    return f"<#{channel.id}>" if channel.platform == "slack" else None


def reply_text(text: str) -> str:
    """A reply's text as mrkdwn: escaped, its channels as mentions, its times as dates that
    Slack shows on the reader's clock."""
    return render_text(text, channel=channel_mention, time=time_markup(escape), escape=escape)


def notification_text(text: str) -> str:
    """A reply's text for where Slack parses no date (the notification): escaped, its
    channels as mentions, its times as text."""
    return render_text(text, channel=channel_mention, escape=escape)


def _sections(text: str) -> list[Block]:
    return _mrkdwn_sections(escape(text))


def _mrkdwn_sections(mrkdwn: str) -> list[Block]:
    """Sections of text already escaped for mrkdwn."""
    return [
        {"type": "section", "text": _mrkdwn(piece)}
        for piece in _chunks(_bold(mrkdwn), SECTION_TEXT)
        if piece.strip()
    ]


def _table_sections(text: str) -> list[Block]:
    fence = "```"
    room = SECTION_TEXT - 2 * len(fence) - 2
    return [
        {"type": "section", "text": _mrkdwn(f"{fence}\n{piece}\n{fence}")}
        for piece in _chunks(escape(text), room)
    ]


def _button(action: Action) -> Block:
    button: Block = {
        "type": "button",
        "text": _plain(action.label, BUTTON_TEXT),
        "action_id": action.id[:ACTION_ID],
        "value": action.id[:ACTION_ID],
    }
    if action.style in ("primary", "danger"):
        button["style"] = action.style
    return button


def _option(label: str, value: str) -> Block:
    return {"text": _plain(label, OPTION_TEXT), "value": value[:OPTION_VALUE]}


def _menu(select: Select) -> Block:
    return {
        "type": "static_select",
        "placeholder": _plain(select.placeholder or "Choose", OPTION_TEXT),
        "action_id": select.id[:ACTION_ID],
        "options": [_option(label, value) for label, value in select.options[:OPTIONS_PER_MENU]],
    }


def _actions(reply: Reply) -> list[Block]:
    elements: list[Block] = []
    closed: list[str] = []
    seen: set[str] = set()
    for item in reply.actions:
        if isinstance(item, Action) and item.disabled:
            closed.append(item.label)
            continue
        if item.id in seen or (isinstance(item, Select) and not item.options):
            continue  # Slack refuses a message where two elements share an action id
        seen.add(item.id)
        elements.append(_button(item) if isinstance(item, Action) else _menu(item))
    blocks: list[Block] = [
        {"type": "actions", "elements": elements[i : i + ELEMENTS_PER_ACTIONS]}
        for i in range(0, len(elements), ELEMENTS_PER_ACTIONS)
    ]
    if closed:
        names = ", ".join(closed)
        blocks.append(
            {"type": "context", "elements": [_mrkdwn(truncate(escape(f"Closed: {names}"), 3000))]}
        )
    return blocks


def reply_blocks(reply: Reply, *, limit: int = MESSAGE_BLOCKS) -> list[Block]:
    """The reply as Block Kit blocks, at most ``limit`` of them."""
    blocks: list[Block] = []
    if reply.title:
        blocks.append({"type": "header", "text": _plain(reply.title, HEADER_TEXT)})
    if reply.text:
        shown = reply_text(reply.text)
        text = f":warning: {shown}" if reply.error else shown
        blocks.extend(_mrkdwn_sections(text))
    for i in range(0, len(reply.fields), FIELDS_PER_SECTION):
        blocks.append(
            {
                "type": "section",
                "fields": [
                    _mrkdwn(fit(f"*{escape(name)}*\n{reply_text(value)}", FIELD_TEXT))
                    for name, value in reply.fields[i : i + FIELDS_PER_SECTION]
                ],
            }
        )
    if reply.table is not None and reply.table.headers:
        blocks.extend(_table_sections(format_table(reply.table)))
    if reply.files:
        names = escape(", ".join(f.name for f in reply.files))
        blocks.append({"type": "context", "elements": [_mrkdwn(truncate(f"Files: {names}", 3000))]})
    actions = _actions(reply)
    if len(blocks) + len(actions) > limit:
        keep = max(limit - len(actions) - 1, 0)
        blocks = [*blocks[:keep], {"type": "context", "elements": [_mrkdwn("… (cut short)")]}]
    return [*blocks, *actions][:limit]


def fallback_text(reply: Reply) -> str:
    """The plain text Slack shows in notifications and where blocks cannot be shown (its
    channels as mentions, which Slack shows by name)."""
    head = [escape(f"**{reply.title}**")] if reply.title else []
    body = [notification_text(reply.text)] if reply.text else []
    rest = escape(replace(reply, title="", text="").plain_text())
    text = "\n".join([*head, *body, *([rest] if rest else [])])
    return fit(_bold(text) or " ", MESSAGE_TEXT)


def mention(notify: str) -> str:
    """Slack's markup for an organizer's ping: ``<!here>``, ``<!channel>``, ``<!everyone>``
    or a user group's ``<!subteam^ID>``; empty for a role that is not a Slack user group id
    (a Discord role)."""
    if notify in NOTIFY_ALL:
        return f"<!{notify}>"
    if SLACK_USERGROUP_ID.fullmatch(notify):
        return f"<!subteam^{notify}>"
    return ""


def message(reply: Reply, *, announce: bool = False) -> dict[str, Any]:
    """Arguments for chat.postMessage / chat.update / chat.postEphemeral: text and blocks,
    parsed by nobody (``parse: "none"``). With ``announce`` (a new channel post), the
    reply's ``notify`` is put in front."""
    ping = mention(reply.notify) if announce else ""
    if not ping:
        return {"text": fallback_text(reply), "blocks": reply_blocks(reply), "parse": "none"}
    text = fit(f"{ping} {fallback_text(reply)}", MESSAGE_TEXT)
    blocks = [{"type": "section", "text": _mrkdwn(ping)}]
    blocks += reply_blocks(reply, limit=MESSAGE_BLOCKS - 1)
    return {"text": text, "blocks": blocks, "parse": "none"}


def post_options(reply: Reply) -> dict[str, bool]:
    """Extra arguments of chat.postMessage for this reply: no unfurling of its links and
    media when the reply asks for no previews (a private link a preview would fetch)."""
    if reply.no_previews:
        return {"unfurl_links": False, "unfurl_media": False}
    return {}


def response(reply: Reply) -> dict[str, Any]:
    """A body for a response_url: ephemeral or in the channel, never replacing the original."""
    return {
        "response_type": "ephemeral" if reply.ephemeral else "in_channel",
        "replace_original": False,
        **message(reply),
    }


def _input(field_: Any) -> Block:
    name = field_.name
    element: Block
    if field_.choices:
        options = [_option(c, c) for c in field_.choices[:OPTIONS_PER_MENU]]
        element = {"type": "static_select", "action_id": name, "options": options}
        chosen = [o for o in options if o["value"] == field_.default]
        if chosen:
            element["initial_option"] = chosen[0]
    else:
        max_length = max(1, min(field_.max_length or INPUT_LENGTH, INPUT_LENGTH))
        element = {
            "type": "plain_text_input",
            "action_id": name,
            "multiline": bool(field_.long),
            "max_length": max_length,
        }
        if field_.default:
            element["initial_value"] = field_.default[:max_length]
    block: Block = {
        "type": "input",
        "block_id": name,
        "optional": not field_.required,
        "label": _plain(field_.label or name, INPUT_LABEL),
        "element": element,
    }
    if field_.help:
        block["hint"] = _plain(field_.help, INPUT_LABEL)
    return block


def modal(form: Form, *, intro: str = "", metadata: dict[str, str] | None = None) -> dict[str, Any]:
    """A modal asking the form's questions; its callback id is the form's stateless id."""
    blocks: list[Block] = []
    if form.error:
        blocks.extend(_sections(f":warning: {form.error}"))
    elif intro:
        blocks.extend(_sections(intro))
    blocks.extend(_input(f) for f in form.fields)
    packed = json.dumps(metadata or {}, separators=(",", ":"))
    return {
        "type": "modal",
        "callback_id": form.id[:ACTION_ID],
        "title": _plain(form.title, VIEW_TITLE),
        "submit": _plain("Submit", VIEW_TITLE),
        "close": _plain("Cancel", VIEW_TITLE),
        "private_metadata": packed if len(packed) <= PRIVATE_METADATA else "{}",
        "blocks": blocks[:VIEW_BLOCKS],
    }


def form_values(state: dict[str, Any]) -> dict[str, str]:
    """A submitted modal's ``state.values`` as the core's {field: text}."""
    values: dict[str, str] = {}
    for block_id, actions in state.items():
        for item in actions.values():
            if item.get("type") in ("static_select", "external_select"):
                chosen = item.get("selected_option") or {}
                value = chosen.get("value")
            else:
                value = item.get("value")
            if value is not None:
                values[block_id] = str(value)
    return values


def field_errors(form_fields: list[str], errors: list[FieldError]) -> dict[str, str]:
    """Inline errors for a modal (``response_action: errors``), keyed by block id: each
    field in error that the modal shows gets its rule; errors about fields the modal does
    not show go, together, on its first field."""
    if not form_fields:
        return {}
    marked: dict[str, str] = {}
    elsewhere: list[str] = []
    for error in errors:
        if error.field in form_fields:
            marked[error.field] = truncate(error.text, 150)
        else:
            elsewhere.append(error.text)
    if elsewhere:
        first = form_fields[0]
        marked[first] = truncate("\n".join([*elsewhere, marked.get(first, "")]).strip(), 150)
    return marked


def home(sections: list[tuple[str, Reply]], *, intro: str = "") -> dict[str, Any]:
    """The App Home tab: a header and the rendered reply of each section (under the
    section's heading, which stands in for the reply's own title)."""
    blocks: list[Block] = [{"type": "header", "text": _plain("rallybot", HEADER_TEXT)}]
    if intro:
        blocks.extend(_sections(intro))
    for heading, reply in sections:
        part = [
            {"type": "divider"},
            {"type": "header", "text": _plain(heading, HEADER_TEXT)},
            *reply_blocks(replace(reply, title=""), limit=20),
        ]
        if len(blocks) + len(part) > VIEW_BLOCKS:
            break
        blocks.extend(part)
    return {"type": "home", "blocks": _unique_actions(blocks)}


def _unique_actions(blocks: list[Block]) -> list[Block]:
    """Drop repeated buttons: in one view every action id must be unique."""
    seen: set[str] = set()
    out: list[Block] = []
    for block in blocks:
        if block["type"] == "actions":
            elements = [e for e in block["elements"] if e["action_id"] not in seen]
            seen.update(e["action_id"] for e in elements)
            if not elements:
                continue
            block = {**block, "elements": elements}
        out.append(block)
    return out

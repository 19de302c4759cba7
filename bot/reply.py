"""What a handler returns: text, fields, a table, files, buttons, or a form to fill in.

The model is platform-neutral. Each adapter renders it in one module (Block Kit, Discord
embeds and components, plain text) and enforces its platform's limits there. Every button
carries a short stateless id naming a command and its arguments, so a click is dispatched
exactly like the typed command and still works after a restart.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from bot.errors import FieldError
from bot.timefmt import TimedText

#: Discord's limit for a custom id, the tighter of the two platforms
MAX_ACTION_ID = 100


def encode_action(command: str, args: dict[str, str] | None = None) -> str:
    """Encode a command and its arguments as an action id: ``event.rsvp?id=3&status=going``."""
    head = command.replace(" ", ".")
    if not args:
        encoded = head
    else:
        body = "&".join(f"{key}={quote(str(value), safe='')}" for key, value in args.items())
        encoded = f"{head}?{body}"
    if len(encoded) > MAX_ACTION_ID:
        raise ValueError(f"action id longer than {MAX_ACTION_ID} characters: {encoded[:40]}…")
    return encoded


def decode_action(action_id: str) -> tuple[str, dict[str, str]]:
    """Split an action id into the command name and its arguments."""
    head, _, body = action_id.partition("?")
    args: dict[str, str] = {}
    if body:
        for part in body.split("&"):
            key, _, value = part.partition("=")
            if key:
                args[key] = unquote(value)
    return head.replace(".", " "), args


@dataclass
class Action:
    """A button: clicking it runs ``command`` with ``args`` as the clicking person."""

    label: str
    command: str
    args: dict[str, str] = field(default_factory=dict)
    style: str = "default"  # default, primary or danger
    disabled: bool = False

    @property
    def id(self) -> str:
        """The stateless id a platform carries back on a click."""
        return encode_action(self.command, self.args)


@dataclass
class Select:
    """A menu: choosing an option runs ``command`` with ``args`` and ``{arg: value}``."""

    placeholder: str
    command: str
    arg: str
    options: list[tuple[str, str]]  # (label, value)
    args: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The stateless id of the menu; the chosen value arrives with the interaction."""
        return encode_action(self.command, {**self.args, "_select": self.arg})


@dataclass
class FormField:
    """One input of a form."""

    name: str
    label: str
    required: bool = False
    long: bool = False
    default: str = ""
    max_length: int = 200
    choices: tuple[str, ...] = ()
    help: str = ""


@dataclass
class Form:
    """Questions to ask before running ``command``; ``args`` are already known values."""

    title: str
    command: str
    fields: list[FormField]
    args: dict[str, str] = field(default_factory=dict)
    error: str = ""

    @property
    def id(self) -> str:
        """The stateless id a submission carries back."""
        return encode_action(self.command, self.args)


@dataclass
class File:
    """A file to hand to the person: a CSV export, a chart, an .ics calendar entry."""

    name: str
    data: bytes
    mime: str = "application/octet-stream"
    description: str = ""


@dataclass
class Table:
    """Rows under headers, for counts and lists."""

    headers: list[str]
    rows: list[list[str]]


@dataclass
class Reply:
    """A handler's answer. ``ephemeral`` answers are seen by the caller only."""

    text: str = ""
    title: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)
    table: Table | None = None
    files: list[File] = field(default_factory=list)
    actions: list[Action | Select] = field(default_factory=list)
    form: Form | None = None
    ephemeral: bool = True
    error: bool = False
    #: for a refusal of values: every field in error and the rule it broke, so an adapter
    #: can mark the fields of a form without reading them back out of ``text``
    errors: list[FieldError] = field(default_factory=list)
    #: an organizer's deliberate ping, for a channel post only (never a DM or an edit):
    #: "here", "channel", "everyone" or a role (a Discord role id or name, a Slack user group
    #: id); without it nothing in the message pings anyone
    notify: str = ""
    #: the platform must not show a preview of the links in the message (a private link,
    #: such as a one-time login link, that a preview would fetch)
    no_previews: bool = False

    @classmethod
    def refuse(cls, text: str, errors: list[FieldError] | None = None) -> Reply:
        """A refusal, seen by the caller only; ``errors`` names the fields it is about."""
        return cls(text=text, ephemeral=True, error=True, errors=list(errors or []))

    @classmethod
    def refuse_fields(cls, errors: list[FieldError]) -> Reply:
        """A refusal of the values of ``errors``' fields, each named on a line of its own."""
        return cls.refuse("\n".join(error.text for error in errors), errors)

    def plain_text(self) -> str:
        """The whole reply as plain text: the fallback every platform can show."""
        parts: list[str] = []
        if self.title:
            parts.append(f"**{self.title}**")
        if self.text:
            parts.append(self.text)
        if self.fields:
            parts.append("\n".join(f"{name}: {value}" for name, value in self.fields))
        if self.table is not None:
            parts.append(format_table(self.table))
        for file in self.files:
            parts.append(f"(file: {file.name})")
        return "\n".join(parts)


def format_table(table: Table) -> str:
    """Lay a table out in aligned columns of plain text."""
    cells = [table.headers, *table.rows]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(table.headers))]
    lines = [
        "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def to_payload(reply: Reply) -> str:
    """A reply as JSON text, for the outbox (files base64-encoded, forms left out)."""
    return json.dumps(
        {
            "text": reply.text,
            **({"timed": reply.text.to_data()} if isinstance(reply.text, TimedText) else {}),
            "title": reply.title,
            "fields": [_field_data(name, value) for name, value in reply.fields],
            "table": None
            if reply.table is None
            else {"headers": reply.table.headers, "rows": reply.table.rows},
            "files": [
                {
                    "name": f.name,
                    "mime": f.mime,
                    "description": f.description,
                    "data": base64.b64encode(f.data).decode(),
                }
                for f in reply.files
            ],
            "actions": [
                {
                    "type": "button",
                    "label": a.label,
                    "command": a.command,
                    "args": a.args,
                    "style": a.style,
                    "disabled": a.disabled,
                }
                if isinstance(a, Action)
                else {
                    "type": "select",
                    "placeholder": a.placeholder,
                    "command": a.command,
                    "arg": a.arg,
                    "options": [list(o) for o in a.options],
                    "args": a.args,
                }
                for a in reply.actions
            ],
            "ephemeral": reply.ephemeral,
            "notify": reply.notify,
            **({"no_previews": True} if reply.no_previews else {}),
        },
        separators=(",", ":"),
    )


def _field_data(name: str, value: str) -> list[Any]:
    """A field as JSON data: its name and value, then the value's times and channels where
    it carries them."""
    if isinstance(value, TimedText):
        return [name, value, value.to_data()]
    return [name, value]


def _field_of(data: list[Any]) -> tuple[str, str]:
    """The field stored by ``_field_data``."""
    name, value, *timed = data
    return (name, TimedText.from_data(timed[0]) if timed else value)


def from_payload(text: str) -> Reply:
    """The reply stored by ``to_payload``."""
    data = json.loads(text)
    actions: list[Action | Select] = []
    for a in data.get("actions", []):
        if a["type"] == "button":
            actions.append(Action(a["label"], a["command"], a["args"], a["style"], a["disabled"]))
        else:
            actions.append(
                Select(
                    a["placeholder"],
                    a["command"],
                    a["arg"],
                    [tuple(o) for o in a["options"]],
                    a["args"],
                )
            )
    table = data.get("table")
    return Reply(
        text=TimedText.from_data(data["timed"]) if "timed" in data else data.get("text", ""),
        title=data.get("title", ""),
        fields=[_field_of(f) for f in data.get("fields", [])],
        table=None if table is None else Table(table["headers"], table["rows"]),
        files=[
            File(f["name"], base64.b64decode(f["data"]), f["mime"], f["description"])
            for f in data.get("files", [])
        ],
        actions=actions,
        ephemeral=data.get("ephemeral", False),
        notify=data.get("notify", ""),
        no_previews=data.get("no_previews", False),
    )

"""Plain-text rendering of the core's replies for the console.

Stored text is printed on a terminal, so it is made inert first (``printable``): escape
sequences (CSI, OSC, DCS and the rest, which could move the cursor, retitle the window,
clear the screen or fake other output) are removed, and so is every other C0 and C1
control character but the newline and the tab.
"""

from __future__ import annotations

import re

from bot.reply import Action, Reply, Select, format_table
from bot.timefmt import render_text

_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x9b[0-?]*[ -/]*[@-~]"  # CSI, 8-bit
    r"|[\x1b][\]PX^_].*?(?:\x07|\x1b\\|\x9c|$)"  # OSC, DCS, SOS, PM, APC to their end
    r"|[\x90\x98\x9d\x9e\x9f].*?(?:\x07|\x1b\\|\x9c|$)"  # the same, 8-bit
    r"|\x1b[ -/]*[0-~]",  # any other escape
    re.DOTALL,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: ``**words**`` within one line, as the core marks emphasis
_BOLD = re.compile(r"\*\*(\S(?:[^\n]*?\S)?)\*\*")
_BOLD_ON, _BOLD_OFF = "\x1b[1m", "\x1b[22m"


def printable(text: str) -> str:
    """``text`` safe for a terminal: escape sequences and control characters removed, newlines
    and tabs kept."""
    return _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text))


def emphasize(text: str, *, bold: bool) -> str:
    """``**words**`` in already printable text shown bold (a terminal), or as the bare words
    (a pipe or a file); the asterisks are never shown."""
    return _BOLD.sub(rf"{_BOLD_ON}\1{_BOLD_OFF}" if bold else r"\1", text)


def render(reply: Reply, place: str, first_button: int = 1, *, bold: bool = False) -> str:
    """The reply as terminal text under its place tag, buttons numbered from ``first_button``;
    ``bold`` (a terminal) shows ``**words**`` in bold, else the words without asterisks."""
    lines: list[str] = []
    if reply.title:
        lines.append(f"== {reply.title} ==")
    if reply.text:
        lines.append(render_text(reply.text))
    if reply.fields:
        width = max(len(name) for name, _ in reply.fields)
        lines.extend(f"  {name.ljust(width)}  {value}" for name, value in reply.fields)
    if reply.table is not None:
        lines.append(format_table(reply.table))
    buttons = []
    number = first_button
    for item in reply.actions:
        if isinstance(item, Action):
            state = " (closed)" if item.disabled else ""
            buttons.append(f"[{number}] {item.label}{state}")
            number += 1
        elif isinstance(item, Select):
            for label, _value in item.options:
                buttons.append(f"[{number}] {label}")
                number += 1
    if buttons:
        lines.append("  ".join(buttons))
    body = emphasize(printable("\n".join(lines)), bold=bold) if lines else "(empty)"
    tag = f"[{place}] " if place else ""
    indent = " " * len(tag)
    out = body.splitlines() or [""]
    return "\n".join([tag + out[0], *(indent + line for line in out[1:])])

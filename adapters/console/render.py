"""Plain-text rendering of the core's replies for the console."""

from __future__ import annotations

from bot.reply import Action, Reply, Select, format_table


def render(reply: Reply, place: str, first_button: int = 1) -> str:
    """The reply as terminal text under its place tag, buttons numbered from ``first_button``."""
    lines: list[str] = []
    if reply.title:
        lines.append(f"== {reply.title} ==")
    if reply.text:
        lines.append(reply.text)
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
    body = "\n".join(lines) if lines else "(empty)"
    tag = f"[{place}] " if place else ""
    indent = " " * len(tag)
    out = body.splitlines() or [""]
    return "\n".join([tag + out[0], *(indent + line for line in out[1:])])

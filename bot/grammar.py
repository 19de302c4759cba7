"""The command grammar shared by Slack and the console: ``/group action key:value key:"two words"``.

Values may be quoted with straight or curly quotes (phones type curly ones); inside quotes a
backslash escapes the next character. A word without a colon is positional.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import ValidationError

_OPEN_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’"}
_KEY = re.compile(r"([A-Za-z][A-Za-z0-9_-]{0,31}):")


@dataclass(frozen=True)
class Token:
    """One word of a command line: ``key`` is None for a positional word."""

    key: str | None
    value: str


def _read_value(text: str, pos: int) -> tuple[str, int]:
    """Read a bare or quoted value starting at ``pos``; return it and the position after it."""
    if pos < len(text) and text[pos] in _OPEN_QUOTES:
        closing = _OPEN_QUOTES[text[pos]]
        start = pos
        pos += 1
        out: list[str] = []
        while pos < len(text):
            char = text[pos]
            if char == "\\" and pos + 1 < len(text):
                out.append(text[pos + 1])
                pos += 2
                continue
            if char == closing or (closing == "”" and char == '"'):
                return "".join(out), pos + 1
            out.append(char)
            pos += 1
        raise ValidationError("text", f"the quote opened at character {start + 1} is never closed")
    end = pos
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[pos:end], end


def tokenize(text: str) -> list[Token]:
    """Split the text after a command name into key:value and positional tokens."""
    tokens: list[Token] = []
    pos = 0
    length = len(text)
    while pos < length:
        if text[pos].isspace():
            pos += 1
            continue
        match = _KEY.match(text, pos)
        if match:
            value, pos = _read_value(text, match.end())
            tokens.append(Token(match.group(1).lower().replace("-", "_"), value))
        else:
            value, pos = _read_value(text, pos)
            tokens.append(Token(None, value))
        if pos < length and not text[pos].isspace():
            raise ValidationError(
                "text", f"put a space after the value that ends at character {pos}"
            )
    return tokens


def split_command(line: str, prefix: str = "") -> tuple[str, str]:
    """Split ``/group rest`` into the group name (prefix removed, lower case) and the rest."""
    stripped = line.strip()
    if not stripped.startswith("/"):
        raise ValidationError("command", "must start with / (for example /help)")
    head, _, rest = stripped[1:].partition(" ")
    name = head.lower()
    if prefix and name.startswith(prefix.lower()):
        name = name[len(prefix) :]
    if not name:
        raise ValidationError("command", "needs a name after the / (for example /help)")
    return name, rest.strip()

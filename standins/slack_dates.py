"""Slack's date formatting, as the Slack stand-in checks it in the blocks it is sent.

Slack's "Formatting text for app surfaces", "Date formatting"
(https://api.slack.com/reference/surfaces/formatting#date-formatting) writes a date in
mrkdwn as ``<!date^timestamp^token_string^optional_link|fallback_text>``: a Unix timestamp
in seconds, a format made of tokens in braces (``{date_num}``, ``{date}``,
``{date_short}``, ``{date_long}``, ``{date_pretty}``, ``{date_short_pretty}``,
``{date_long_pretty}``, ``{time}``, ``{time_secs}``, ``{ago}``; the date element of rich
text adds ``{day_divider_pretty}``, ``{date_slash}`` and ``{date_long_full}``) and other
text, an optional link, and the fallback text shown where the date cannot be. Only mrkdwn
text objects are parsed; a ``plain_text`` object shows the markup as typed.

Slack takes either mistake and shows the reader the raw markup; the stand-in refuses it
(as ``invalid_blocks``, naming the place), so a test sees the mistake.
"""

from __future__ import annotations

import re
from typing import Any

TOKENS = frozenset(
    {
        "date_num",
        "date",
        "date_short",
        "date_long",
        "date_pretty",
        "date_short_pretty",
        "date_long_pretty",
        "time",
        "time_secs",
        "ago",
        "day_divider_pretty",
        "date_slash",
        "date_long_full",
    }
)
#: a date as the documentation writes it: timestamp, format, optional link, fallback
DATE = re.compile(r"<!date\^(-?\d+)\^([^^|>]+)(?:\^[^|>]+)?\|([^>]+)>")
_STARTS = re.compile(r"<!date")
_TOKEN = re.compile(r"\{(\w+)\}")


def date_problem(text: str) -> str | None:
    """What is wrong with the first date in mrkdwn ``text`` that is not well formed."""
    for found in _STARTS.finditer(text):
        tail = text[found.start() : found.start() + 40]
        date = DATE.match(text, found.start())
        if date is None:
            return f"{tail!r} is not <!date^timestamp^format|fallback>"
        tokens = _TOKEN.findall(date.group(2))
        unknown = [t for t in tokens if t not in TOKENS]
        if not tokens or unknown:
            return f"{tail!r}: the format needs known tokens ({', '.join(unknown) or 'none'})"
    return None


def date_errors(obj: Any, where: str) -> list[str]:
    """Every malformed date in the mrkdwn of ``obj`` (blocks, or any part of them) and every
    date in its plain text, where Slack shows the markup as typed."""
    if isinstance(obj, list):
        return [e for i, item in enumerate(obj) for e in date_errors(item, f"{where}/{i}")]
    if not isinstance(obj, dict):
        return []
    kind, text = obj.get("type"), obj.get("text")
    if kind in ("mrkdwn", "plain_text") and isinstance(text, str):
        if kind == "plain_text":
            shown = _STARTS.search(text) is not None
            return [f"plain text shows the date markup as typed [{where}/text]"] if shown else []
        problem = date_problem(text)
        return [f"{problem} [{where}/text]"] if problem else []
    return [e for key, value in obj.items() for e in date_errors(value, f"{where}/{key}")]

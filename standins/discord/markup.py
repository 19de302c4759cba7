"""Discord timestamps, as the stand-in checks them in what it is sent.

Discord's "Message Formatting" reference (https://discord.com/developers/docs/reference
#message-formatting) writes a timestamp ``<t:TIMESTAMP>`` or ``<t:TIMESTAMP:STYLE>``: whole
seconds, and one of the styles of its "Timestamp Styles" table (``t``, ``T``, ``d``,
``D``, ``f``, ``F``, ``R``). Discord shows it, in the reader's timezone and locale, in
message content, embed descriptions and embed field values. Elsewhere (titles, footers,
author names, field names, button labels, menu options and placeholders, modals) it shows
the markup as typed.

Discord itself takes either mistake and shows the reader the raw markup; the stand-in
refuses it (as an invalid form body naming the place), so a test sees the mistake.
"""

from __future__ import annotations

import re
from typing import Any

#: the styles of Discord's "Timestamp Styles" table
STYLES = "tTdDfFR"
#: a well-formed timestamp
TIMESTAMP = re.compile(rf"<t:-?\d+(?::[{STYLES}])?>")
#: where a timestamp starts: anything after it is checked against ``TIMESTAMP``
_STARTS = re.compile(r"<t:")


def timestamp_problem(text: str, where: str) -> str | None:
    """What is wrong with the first timestamp in ``text`` that is not well formed, or None."""
    for found in _STARTS.finditer(text):
        if not TIMESTAMP.match(text, found.start()):
            tail = text[found.start() : found.start() + 24]
            return f"{where}: {tail!r} is not a timestamp <t:SECONDS:STYLE> (styles {STYLES})"
    return None


def _plain_problem(text: str | None, where: str) -> str | None:
    if text and _STARTS.search(text):
        return f"{where}: Discord shows no timestamp here, only the markup"
    return None


def message_problem(body: dict[str, Any]) -> str | None:
    """The first malformed timestamp in a message, or a timestamp where Discord shows none."""
    problem = timestamp_problem(body.get("content") or "", "content")
    for embed in body.get("embeds") or []:
        problem = problem or timestamp_problem(embed.get("description") or "", "description")
        problem = problem or _plain_problem(embed.get("title"), "embeds.title")
        problem = problem or _plain_problem((embed.get("footer") or {}).get("text"), "footer")
        problem = problem or _plain_problem((embed.get("author") or {}).get("name"), "author")
        for field in embed.get("fields") or []:
            problem = problem or _plain_problem(field.get("name"), "embeds.fields.name")
            problem = problem or timestamp_problem(field.get("value") or "", "fields.value")
    for row in body.get("components") or []:
        problem = problem or components_problem(row.get("components") or [])
    return problem


def components_problem(items: list[dict[str, Any]]) -> str | None:
    """A timestamp in a button's or an input's label, or a menu's placeholder or options."""
    for item in items:
        texts = [item.get("label"), item.get("placeholder")]
        for option in item.get("options") or []:
            texts += [option.get("label"), option.get("description")]
        for text in texts:
            problem = _plain_problem(text, "components")
            if problem:
                return problem
    return None


def modal_problem(data: dict[str, Any]) -> str | None:
    """A timestamp in a modal's title or its inputs' labels and placeholders."""
    problem = _plain_problem(data.get("title"), "title")
    for row in data.get("components") or []:
        problem = problem or components_problem(row.get("components") or [])
    return problem

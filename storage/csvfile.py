"""The one CSV writer of every export, and the reading of its cells back.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab
or a carriage return) as a formula, so a display name such as ``=HYPERLINK(…)`` could act on
the computer of the organizer who opens the file. Every text cell that starts so is written
with a leading ``'``, which spreadsheets read as "this is text". Numbers (an int or a float,
or a text that is a plain decimal number such as ``-5`` or ``12.5``) are left alone: nothing
runs in them. :func:`read_cell` takes the ``'`` off again, so an exported list imported back
reads as it was.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime

#: what a spreadsheet may take as the start of a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_QUOTE = "'"


def _escaped(text: str) -> bool:
    """Whether a text cell is written with a leading ``'``: it starts like a formula, or it
    already starts with ``'`` before what would be taken off on reading (so it reads back
    exactly)."""
    if text.startswith(FORMULA_STARTS):
        return not _PLAIN_NUMBER.fullmatch(text)
    return text[:1] == _QUOTE and text[1:2] in (*FORMULA_STARTS, _QUOTE)


def safe_cell(value: object) -> str | int | float:
    """One cell as written: nothing for None, yes/no, ISO dates, numbers as they are, and
    text that a spreadsheet would run as a formula behind a ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    if isinstance(value, date | datetime):
        return value.isoformat()
    text = str(value)
    return _QUOTE + text if _escaped(text) else text


def write_csv(headers: Sequence[str], rows: Iterable[Iterable[object]]) -> bytes:
    """A CSV file (UTF-8, a header row) of ``rows``, every cell made safe by :func:`safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue().encode("utf-8")


def read_cell(text: str) -> str:
    """A cell of a file this writer made, as it was before writing: the ``'`` put before a
    formula-like text is taken off (any other text is kept as it is)."""
    if text[:1] == _QUOTE and text[1:2] in (*FORMULA_STARTS, _QUOTE):
        return text[1:]
    return text

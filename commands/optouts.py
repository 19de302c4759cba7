"""Opt-out lists as organizers hand them over: CSV rows ``platform,account[,display_name]``
read and checked row by row, so that a bad row is named by its line and field and the good
rows are still taken. Used by `/privacy optouts-import` and `rallybot import optouts`."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from storage.csvfile import read_cell
from storage.optouts import ImportOutcome, OptoutRow

PLATFORMS = ("slack", "discord", "console")
COLUMNS = "platform,account[,display_name]"
_HEADER_NAMES = {
    "platform": "platform",
    "account": "account",
    "account_id": "account",
    "user_id": "account",
    "user": "account",
    "id": "account",
    "display_name": "display_name",
    "name": "display_name",
}
_ACCOUNT_RULES = {
    "slack": (
        re.compile(r"[UW][A-Z0-9]{1,20}"),
        "is not a Slack user id (U or W, then letters and digits, e.g. U024BE7LH)",
    ),
    "discord": (
        re.compile(r"[0-9]{1,20}"),
        "is not a Discord user id (a number, e.g. 80351110224678912)",
    ),
    "console": (
        re.compile(r"[a-z0-9_.-]{1,32}"),
        "is not a console name (up to 32 letters, digits, _, . or -)",
    ),
}
_NAME_MAX = 200
#: refused rows listed in a reply; the rest are counted
SHOWN_PROBLEMS = 20


@dataclass(frozen=True)
class Problem:
    """Why one row of a list was refused."""

    line: int
    field: str
    rule: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.rule}"


def _normal(name: str) -> str:
    return re.sub(r"[\s-]+", "_", name.strip().lower())


def _split_rows(text: str) -> str:
    """Chat text may separate rows with ``;``: each one outside CSV quotes becomes a line."""
    out: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        out.append("\n" if char == ";" and not quoted else char)
    return "".join(out)


def _check_account(platform: str, account: str) -> tuple[str, str | None]:
    """The account as stored (Slack ids upper case, console names lower case) and what is
    wrong with it, if anything."""
    if not account:
        return account, "is empty; give the account's user id on the platform"
    value = account.upper() if platform == "slack" else account.lower()
    pattern, rule = _ACCOUNT_RULES[platform]
    if not pattern.fullmatch(value) or (platform == "discord" and int(value) >= 2**64):
        return value, f"{account[:40]!r} {rule}"
    return value, None


def parse_optouts(text: str, *, chat: bool = False) -> tuple[list[OptoutRow], list[Problem]]:
    """Read a list: the rows to take and the refused ones, by line. An optional first row of
    column names (``platform,account,display_name``; other columns are left aside) sets the
    order. ``chat`` text may separate rows with ``;`` as well as new lines. The ``'`` an
    export puts before a formula-like cell is taken off, so an exported list reads back."""
    reader = csv.reader(io.StringIO(_split_rows(text) if chat else text))
    rows: list[OptoutRow] = []
    problems: list[Problem] = []
    columns: dict[str, int] | None = None
    seen_any = False
    line = 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            cells = [read_cell(cell.strip()) for cell in cells]
            if not any(cells):
                continue
            if not seen_any:
                seen_any = True
                if _normal(cells[0]) == "platform":
                    columns = {}
                    for index, name in enumerate(cells):
                        key = _HEADER_NAMES.get(_normal(name))
                        if key is not None:
                            columns.setdefault(key, index)
                    if "account" not in columns:
                        problems.append(Problem(start, "header", f"needs the columns {COLUMNS}"))
                        return [], problems
                    continue
            row, found = _row(start, cells, columns)
            problems.extend(found)
            if row is not None:
                rows.append(row)
    except csv.Error as exc:
        problems.append(Problem(line, "csv", f"cannot be read ({exc}); later rows are not read"))
    return rows, problems


def _row(
    line: int, cells: list[str], columns: dict[str, int] | None
) -> tuple[OptoutRow | None, list[Problem]]:
    if columns is None:
        if len(cells) > 3:
            return None, [Problem(line, "columns", f"expected {COLUMNS} (got {len(cells)} values)")]
        columns = {"platform": 0, "account": 1, "display_name": 2}

    def cell(name: str) -> str:
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    problems: list[Problem] = []
    platform = cell("platform").lower()
    account = cell("account")
    name = cell("display_name")
    if platform not in PLATFORMS:
        shown = repr(platform[:40]) if platform else "nothing"
        problems.append(Problem(line, "platform", f"{shown} is not slack, discord or console"))
    else:
        account, rule = _check_account(platform, account)
        if rule is not None:
            problems.append(Problem(line, "account", rule))
    if len(name) > _NAME_MAX:
        problems.append(Problem(line, "display_name", f"must be at most {_NAME_MAX} characters"))
    if problems:
        return None, problems
    return OptoutRow(line, platform, account, name), []


def describe_import(
    outcome: ImportOutcome, problems: list[Problem], *, limit: int | None = SHOWN_PROBLEMS
) -> str:
    """What an import did and which rows it refused (the first ``limit``), in words."""
    parts = [
        f"{outcome.accounts} account{'s' if outcome.accounts != 1 else ''} taken: alert DMs "
        f"now off for {outcome.switched_off} member{'s' if outcome.switched_off != 1 else ''} "
        f"({outcome.already_off} had them off already); {outcome.pending} kept until the "
        "account first appears here."
    ]
    if problems:
        rows = len({p.line for p in problems})
        parts.append(f"{rows} row{'s' if rows != 1 else ''} refused and left out:")
        shown = problems if limit is None else problems[:limit]
        parts.extend(str(p) for p in shown)
        if len(problems) > len(shown):
            parts.append(f"… and {len(problems) - len(shown)} more")
    return "\n".join(parts)

"""Words that depend on a number: "1 vote", "2 votes", "1 person", "3 people"."""

from __future__ import annotations


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """``singular`` for exactly 1 (or -1), else ``plural_form`` (default: ``singular`` + s)."""
    if abs(n) == 1:
        return singular
    return plural_form if plural_form is not None else f"{singular}s"


def counted(n: int, singular: str, plural_form: str | None = None) -> str:
    """The number, with thousands separators, and the noun that agrees with it: "1 vote",
    "1,204 votes", "0 ballots"."""
    return f"{n:,} {plural(n, singular, plural_form)}"

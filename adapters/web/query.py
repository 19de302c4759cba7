"""The tracker's query parameters: ``state``, ``kind``, ``year`` and ``page``, each checked,
and a refusal that names the parameter and its rule (answered with 400). Other parameters
(a campaign's tracking tags, say) are left alone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from multidict import MultiMapping

from bot.options import US_STATES
from bot.vocabulary import LAYOFF_KINDS
from storage.tracker import TrackerFilter

#: reports listed on one page of the tracker (and of its JSON)
PAGE_SIZE = 50
#: the first year the tracker's year filter takes
FIRST_YEAR = 1990
#: the highest page number taken
LAST_PAGE = 100_000


class QueryError(Exception):
    """A query parameter is wrong; ``param`` names it and ``rule`` says what it takes."""

    def __init__(self, param: str, rule: str) -> None:
        super().__init__(f"{param}: {rule}")
        self.param = param
        self.rule = rule


@dataclass(frozen=True)
class TrackerQuery:
    """What a tracker request asks for: its filters and its page."""

    filters: TrackerFilter
    page: int = 1

    def params(self, *, page: bool = True) -> dict[str, str]:
        """The query parameters that ask for this again (without ``page`` when told)."""
        found = {
            "state": self.filters.state,
            "kind": self.filters.kind,
            "year": None if self.filters.year is None else str(self.filters.year),
        }
        if page and self.page != 1:
            found["page"] = str(self.page)
        return {key: value for key, value in found.items() if value is not None}

    def query_string(self, **changed: str | None) -> str:
        """``?…`` for this query with some parameters changed (None: dropped)."""
        params: dict[str, str | None] = {**self.params(), **changed}
        kept = {key: value for key, value in params.items() if value is not None}
        return "?" + urlencode(kept) if kept else "?"

    def key(self) -> tuple[str | None, str | None, int | None, int]:
        """The cache key of this query."""
        f = self.filters
        return f.state, f.kind, f.year, self.page


def _one(query: MultiMapping[str], name: str) -> str | None:
    """A parameter given once (an empty value counts as not given)."""
    values = query.getall(name, [])
    if len(values) > 1:
        raise QueryError(name, "give it once")
    value = values[0].strip() if values else ""
    return value or None


def parse_query(query: MultiMapping[str], this_year: int) -> TrackerQuery:
    """The tracker query in a request's parameters, or a ``QueryError`` naming the first
    parameter that is wrong."""
    state = _one(query, "state")
    if state is not None:
        state = state.upper()
        if state not in US_STATES:
            raise QueryError(
                "state", "must be a US state or territory as a two-letter code, such as IL"
            )
    kind = _one(query, "kind")
    if kind is not None:
        kind = kind.lower()
        if kind not in LAYOFF_KINDS:
            raise QueryError("kind", f"must be one of {', '.join(LAYOFF_KINDS)}")
    year_text = _one(query, "year")
    year = None
    if year_text is not None:
        if not re.fullmatch(r"\d{4}", year_text) or not (
            FIRST_YEAR <= int(year_text) <= this_year + 1
        ):
            raise QueryError("year", f"must be a year from {FIRST_YEAR} to {this_year + 1}")
        year = int(year_text)
    page_text = _one(query, "page")
    page = 1
    if page_text is not None:
        if not re.fullmatch(r"\d{1,6}", page_text) or not 1 <= int(page_text) <= LAST_PAGE:
            raise QueryError("page", f"must be a whole number from 1 to {LAST_PAGE:,}")
        page = int(page_text)
    return TrackerQuery(TrackerFilter(state, kind, year), page)

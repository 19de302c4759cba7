"""The tracker as HTML (Jinja2 templates in ``templates/``, escaped throughout), JSON and CSV:
the same counts and reports in each. The CSV goes through the project's one CSV writer, so a
cell a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from adapters.web import svg
from adapters.web.query import FIRST_YEAR, PAGE_SIZE, TrackerQuery
from bot.options import US_STATES
from bot.vocabulary import LAYOFF_KINDS
from storage.csvfile import write_csv
from storage.tracker import PublicReport, Tally, TrackerSummary

ENV = Environment(
    loader=PackageLoader("adapters.web", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_CSS = (ENV.loader.get_source(ENV, "site.css")[0]).strip()  # type: ignore[union-attr]
ENV.globals["css"] = Markup(_CSS)
#: the page's one style sheet is inline; the Content-Security-Policy allows it by its hash
CSS_HASH = base64.b64encode(hashlib.sha256(_CSS.encode("utf-8")).digest()).decode("ascii")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
CSV_HEADERS = ("employer", "city", "state", "month", "workers", "kind", "source")


def month_text(month: str) -> str:
    """ "2026-11" as people read it: "Nov 2026"."""
    year, _, number = month.partition("-")
    if not number.isdigit() or not 1 <= int(number) <= 12:
        return month
    return f"{MONTHS[int(number) - 1]} {year}"


def place_text(city: str | None, state: str | None) -> str:
    """A city and state as shown, a dash when neither is given."""
    return ", ".join(p for p in (city, state) if p) or "—"


@dataclass(frozen=True)
class TrackerView:
    """Everything one tracker page shows."""

    slug: str
    name: str
    query: TrackerQuery
    summary: TrackerSummary
    #: the reports of this page (of every page, for the CSV)
    reports: list[PublicReport]
    today: date

    @property
    def pages(self) -> int:
        """How many pages the matching reports fill (at least one)."""
        return max(1, -(-self.summary.reports // PAGE_SIZE))


def _tallies(tallies: list[Tally]) -> list[dict[str, Any]]:
    return [{"label": t.label, "reports": t.reports, "workers": t.workers} for t in tallies]


def _report(r: PublicReport) -> dict[str, Any]:
    return {
        "employer": r.employer,
        "city": r.city,
        "state": r.state,
        "month": r.month,
        "workers": r.workers,
        "kind": r.kind,
        "source": r.source_url,
    }


def tracker_json(view: TrackerView) -> bytes:
    """The page's data as JSON: the counts, and this page's reports."""
    s, f = view.summary, view.query.filters
    data = {
        "organization": {"slug": view.slug, "name": view.name},
        "filters": {"state": f.state, "kind": f.kind, "year": f.year},
        "totals": {"reports": s.reports, "workers": s.workers, "libraries": s.libraries},
        "by_state": _tallies(s.by_state),
        "by_month": _tallies(s.by_month),
        "by_library_type": _tallies(s.by_type),
        "by_kind": _tallies(s.by_kind),
        "page": view.query.page,
        "pages": view.pages,
        "page_size": PAGE_SIZE,
        "reports": [_report(r) for r in view.reports],
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def tracker_csv(reports: list[PublicReport]) -> bytes:
    """Every matching report as CSV, spreadsheet-safe."""
    rows = (
        (
            r.employer,
            r.city,
            r.state,
            r.month,
            "unknown" if r.workers is None else r.workers,
            r.kind,
            r.source_url,
        )
        for r in reports
    )
    return write_csv(CSV_HEADERS, rows)


def tracker_html(view: TrackerView) -> bytes:
    """The tracker page."""
    q, s = view.query, view.summary
    other_filters = q.params(page=False)
    other_filters.pop("state", None)
    html = ENV.get_template("tracker.html").render(
        view=view,
        q=q,
        s=s,
        f=q.filters,
        state_name=US_STATES.get(q.filters.state or "", ""),
        states=sorted(US_STATES.items(), key=lambda item: item[1]),
        kinds=LAYOFF_KINDS,
        years=range(view.today.year, FIRST_YEAR - 1, -1),
        map=svg.state_map(s.by_state, other_filters, q.filters.state),
        chart=svg.month_chart(s.by_month),
        month_text=month_text,
        place=place_text,
        downloads=q.query_string(page=None),
        page_size=PAGE_SIZE,
    )
    return html.encode("utf-8")


def message_html(title: str, message: str, status: int) -> bytes:
    """A plain page saying what went wrong (not found, a wrong parameter, too many requests)."""
    return (
        ENV.get_template("message.html")
        .render(title=title, message=message, status=status)
        .encode("utf-8")
    )

"""The tracker's pictures, drawn by the server as SVG: a US map as a grid of state tiles, and
reports by month as bars. Nothing comes from outside (no map tiles, no fonts, no script);
colours are CSS classes, so the page's light and dark styles apply. Every tile is a link that
filters the page by its state, named for screen readers, and each picture has a title and a
description; the page repeats their numbers in tables."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from markupsafe import Markup, escape

from bot.options import US_STATES
from storage.tracker import Tally

#: (column, row) of each state's tile: the 50 states and DC laid out roughly as on a map, the
#: territories along the bottom row
TILES: dict[str, tuple[int, int]] = {
    "AK": (0, 0), "ME": (11, 0),
    "WI": (6, 1), "VT": (10, 1), "NH": (11, 1),
    "WA": (1, 2), "ID": (2, 2), "MT": (3, 2), "ND": (4, 2), "MN": (5, 2), "IL": (6, 2),
    "MI": (7, 2), "NY": (9, 2), "MA": (10, 2),
    "OR": (1, 3), "NV": (2, 3), "WY": (3, 3), "SD": (4, 3), "IA": (5, 3), "IN": (6, 3),
    "OH": (7, 3), "PA": (8, 3), "NJ": (9, 3), "CT": (10, 3), "RI": (11, 3),
    "CA": (1, 4), "UT": (2, 4), "CO": (3, 4), "NE": (4, 4), "MO": (5, 4), "KY": (6, 4),
    "WV": (7, 4), "VA": (8, 4), "MD": (9, 4), "DE": (10, 4),
    "AZ": (2, 5), "NM": (3, 5), "KS": (4, 5), "AR": (5, 5), "TN": (6, 5), "NC": (7, 5),
    "SC": (8, 5), "DC": (9, 5),
    "OK": (4, 6), "LA": (5, 6), "MS": (6, 6), "AL": (7, 6), "GA": (8, 6),
    "HI": (0, 7), "GU": (1, 7), "MP": (2, 7), "AS": (3, 7), "TX": (4, 7), "FL": (9, 7),
    "PR": (10, 7), "VI": (11, 7),
}  # fmt: skip
TILE = 50
GAP = 4
#: shades of a tile, from no report to the most reports
SHADES = 5


def _shade(reports: int, most: int) -> int:
    """The shade (0 to SHADES - 1) of a tile with ``reports`` when the busiest has ``most``."""
    if reports <= 0 or most <= 0:
        return 0
    return 1 + min(SHADES - 2, (reports * (SHADES - 1) - 1) // most)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def state_map(by_state: Sequence[Tally], query: dict[str, str], chosen: str | None) -> Markup:
    """The US tile map: each state shaded by its reports, a link filtering the page by it
    (``query`` is the page's other filters); ``chosen`` is outlined."""
    counts = {t.label: t for t in by_state}
    most = max((t.reports for t in by_state if t.label in TILES), default=0)
    width, height = 12 * TILE, 8 * TILE
    parts = [
        f'<svg class="map" viewBox="0 0 {width} {height}" role="group" '
        'aria-labelledby="map-title"><title id="map-title">Reports by state</title>'
    ]
    for code, (col, row) in TILES.items():
        tally = counts.get(code)
        reports = tally.reports if tally else 0
        workers = tally.workers if tally else 0
        shade = _shade(reports, most)
        link = "?" + urlencode({**query, "state": code, "page": "1"})
        label = f"{US_STATES[code]}: {_plural(reports, 'report')}, {_plural(workers, 'worker')}"
        x, y = col * TILE, row * TILE
        outline = " chosen" if code == chosen else ""
        parts.append(
            f'<a href="{escape(link)}" aria-label="{escape(label)}">'
            f"<title>{escape(label)}</title>"
            f'<rect class="tile s{shade}{outline}" x="{x}" y="{y}" '
            f'width="{TILE - GAP}" height="{TILE - GAP}" rx="4"/>'
            f'<text class="code s{shade}" x="{x + (TILE - GAP) / 2}" y="{y + 20}">{code}</text>'
            f'<text class="num s{shade}" x="{x + (TILE - GAP) / 2}" y="{y + 38}">'
            f"{reports:,}</text></a>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


#: the most months the chart shows (the latest); the table below it lists them all
CHART_MONTHS = 36
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _month_range(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` ("2026-01"), both included."""
    year, month = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    found = []
    while (year, month) <= end:
        found.append(f"{year:04}-{month:02}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def _month_label(month: str) -> str:
    return f"{MONTHS[int(month[5:7]) - 1]} {month[:4]}"


def month_chart(by_month: Sequence[Tally]) -> Markup:
    """Bars of reports by month: every month from the first with a report to the last (at
    most the latest ``CHART_MONTHS``), months without one as gaps."""
    counts = {t.label: t.reports for t in by_month if len(t.label) == 7}
    if not counts:
        return Markup("")
    months = _month_range(min(counts), max(counts))[-CHART_MONTHS:]
    width, height, top, left = 480, 150, 10, 10
    slot = (width - 2 * left) / len(months)
    bar = max(2.0, min(48.0, slot * 0.7))
    most = max(counts.get(m, 0) for m in months) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height + top + 34}" role="img" '
        'aria-labelledby="chart-title chart-desc">'
        '<title id="chart-title">Reports by month</title>'
        f'<desc id="chart-desc">{len(months)} months from {_month_label(months[0])} to '
        f"{_month_label(months[-1])}; the most in one month: {most:,}</desc>"
        f'<line class="axis" x1="{left}" y1="{top + height}" x2="{width - left}" '
        f'y2="{top + height}"/>'
    ]
    labelled = {0, len(months) - 1}
    step = max(1, round(len(months) / 4))
    labelled.update(i for i in range(step, len(months) - step // 2, step))
    for i, month in enumerate(months):
        n = counts.get(month, 0)
        x = left + i * slot + (slot - bar) / 2
        if n:
            h = max(2, round(height * n / most))
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{top + height - h}" width="{bar:.1f}" '
                f'height="{h}"><title>{_month_label(month)}: {_plural(n, "report")}</title></rect>'
            )
        if i in labelled:
            anchor = "start" if i == 0 and len(months) > 1 else "middle"
            anchor = "end" if i == len(months) - 1 and len(months) > 1 else anchor
            tx = (
                left
                + i * slot
                + (0 if anchor == "start" else slot if anchor == "end" else slot / 2)
            )
            parts.append(
                f'<text class="label" text-anchor="{anchor}" x="{tx:.1f}" '
                f'y="{top + height + 22}">{_month_label(month)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))

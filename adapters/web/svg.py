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


def month_chart(by_month: Sequence[Tally]) -> Markup:
    """Bars of reports by month, the latest ``CHART_MONTHS`` months with a report."""
    months = [t for t in by_month if t.label][-CHART_MONTHS:]
    if not months:
        return Markup("")
    bar, height, top, bottom = 16, 160, 16, 40
    width = max(len(months) * bar + 40, 200)
    most = max(t.reports for t in months) or 1
    first, last = months[0].label, months[-1].label
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height + top + bottom}" role="img" '
        'aria-labelledby="chart-title chart-desc">'
        '<title id="chart-title">Reports by month</title>'
        f'<desc id="chart-desc">{len(months)} months from {first} to {last}; the most in one '
        f"month: {most:,}</desc>"
        f'<line class="axis" x1="20" y1="{top + height}" x2="{width - 10}" y2="{top + height}"/>'
    ]
    for i, t in enumerate(months):
        h = max(2, round(height * t.reports / most))
        x = 24 + i * bar
        parts.append(
            f'<rect class="bar" x="{x}" y="{top + height - h}" width="{bar - 4}" height="{h}">'
            f"<title>{escape(t.label)}: {_plural(t.reports, 'report')}</title></rect>"
        )
        if i == 0 or i == len(months) - 1 or t.label.endswith("-01"):
            parts.append(
                f'<text class="label" x="{x + (bar - 4) / 2}" y="{top + height + 16}">'
                f"{escape(t.label[:4] if t.label.endswith('-01') else t.label)}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))

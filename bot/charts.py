"""Charts drawn as PNG images for replies: bars per option (polls' results) and columns per
period (layoff reports by month). Drawn on matplotlib's Agg canvas, which keeps no global
state, so charts may be drawn in worker threads; the same data gives the same picture, so a
drawn one is kept for the next asker."""

from __future__ import annotations

import io
import textwrap
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLOURS = ("#3b6ea5", "#e08a2c")


def _figure(width: float, height: float) -> Figure:
    """A figure of ``width`` by ``height`` inches on its own Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _shorten(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


#: characters a title line holds before it wraps onto the next
TITLE_WIDTH = 60


def _title(text: str) -> str:
    """A chart's title, wrapped onto as many lines as it needs, never cut."""
    return "\n".join(textwrap.wrap(text, TITLE_WIDTH, break_on_hyphens=False)) or text


@lru_cache(maxsize=64)
def horizontal_bars(
    title: str,
    labels: tuple[str, ...],
    series: tuple[tuple[str, tuple[int, ...]], ...],
    axis_label: str,
) -> bytes:
    """A PNG of horizontal bars per label, one colour per named series of counts, with a
    legend when there is more than one series."""
    return _png(bars_figure(title, labels, series, axis_label))


def bars_figure(
    title: str,
    labels: tuple[str, ...],
    series: tuple[tuple[str, tuple[int, ...]], ...],
    axis_label: str,
) -> Figure:
    """The figure of :func:`horizontal_bars`, its title wrapped to fit."""
    from matplotlib.ticker import MaxNLocator

    title_lines = _title(title).count("\n")
    height = 1.2 + 0.25 * title_lines + 0.45 * len(labels) * max(1, len(series))
    figure = _figure(7.2, min(height, 12))
    axes = figure.subplots()
    width = 0.8 / len(series)
    for s, (name, counts) in enumerate(series):
        positions = [i + (s - (len(series) - 1) / 2) * width for i in range(len(labels))]
        axes.barh(positions, counts, height=width, label=name, color=COLOURS[s % 2])
    axes.set_yticks(range(len(labels)), [_shorten(label, 32) for label in labels])
    axes.invert_yaxis()
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel(axis_label)
    axes.set_title(_title(title))
    if len(series) > 1:
        axes.legend(loc="lower right")
    figure.tight_layout()
    return figure


@lru_cache(maxsize=64)
def columns(title: str, bars: tuple[tuple[str, int], ...], axis_label: str) -> bytes:
    """A small PNG of one column per (label, count), in order, at most about 12 labels
    written under them."""
    return _png(columns_figure(title, bars, axis_label))


def columns_figure(title: str, bars: tuple[tuple[str, int], ...], axis_label: str) -> Figure:
    """The figure of :func:`columns`, its title wrapped to fit."""
    from matplotlib.ticker import MaxNLocator

    wrapped = _title(title)
    extra = 0.25 * wrapped.count("\n")  # inches for each further title line
    figure = _figure(6.4, 3.2 + extra)
    axes = figure.subplots()
    labels = [label for label, _ in bars]
    axes.bar(range(len(bars)), [count for _, count in bars], color=COLOURS[0])
    step = max(1, len(labels) // 12)
    axes.set_xticks(range(0, len(labels), step), labels[::step], rotation=45, ha="right")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel(axis_label)
    axes.set_title(wrapped)
    top = 1 - (0.32 + extra) / (3.2 + extra)
    figure.subplots_adjust(left=0.1, right=0.98, top=top, bottom=0.8 / (3.2 + extra))
    return figure

"""Charts drawn as PNG images for replies: bars per option (polls' results) and columns per
period (layoff reports by month). Drawn on matplotlib's Agg canvas, which keeps no global
state, so charts may be drawn in worker threads; the same data gives the same picture, so a
drawn one is kept for the next asker."""

from __future__ import annotations

import io
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


@lru_cache(maxsize=64)
def horizontal_bars(
    title: str,
    labels: tuple[str, ...],
    series: tuple[tuple[str, tuple[int, ...]], ...],
    axis_label: str,
) -> bytes:
    """A PNG of horizontal bars per label, one colour per named series of counts, with a
    legend when there is more than one series."""
    from matplotlib.ticker import MaxNLocator

    height = 1.2 + 0.45 * len(labels) * max(1, len(series))
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
    axes.set_title(_shorten(title, 60))
    if len(series) > 1:
        axes.legend(loc="lower right")
    figure.tight_layout()
    return _png(figure)


@lru_cache(maxsize=64)
def columns(title: str, bars: tuple[tuple[str, int], ...], axis_label: str) -> bytes:
    """A small PNG of one column per (label, count), in order, at most about 12 labels
    written under them."""
    from matplotlib.ticker import MaxNLocator

    figure = _figure(6.4, 3.2)
    axes = figure.subplots()
    labels = [label for label, _ in bars]
    axes.bar(range(len(bars)), [count for _, count in bars], color=COLOURS[0])
    step = max(1, len(labels) // 12)
    axes.set_xticks(range(0, len(labels), step), labels[::step], rotation=45, ha="right")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel(axis_label)
    axes.set_title(title)
    figure.subplots_adjust(left=0.1, right=0.98, top=0.9, bottom=0.25)
    return _png(figure)

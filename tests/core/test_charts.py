"""Charts: a long title wraps onto more lines inside the picture instead of being cut."""

from __future__ import annotations

from matplotlib.figure import Figure

from bot import charts

LONG = (
    "Should the union ask the county board to restore Sunday hours at every branch "
    "library, including the bookmobile stops?"
)


def title_fits(figure: Figure) -> str:
    """The figure's title, checked to lie wholly inside the picture."""
    (axes, *_) = figure.axes
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    box = axes.title.get_window_extent(renderer)
    whole = figure.bbox
    assert whole.x0 <= box.x0 and box.x1 <= whole.x1 and box.y1 <= whole.y1, (box, whole)
    return axes.get_title()


def test_a_long_title_wraps_whole_in_both_kinds_of_chart() -> None:
    bars = charts.bars_figure(LONG, ("Yes", "No"), (("votes", (3, 1)),), "votes")
    months = charts.columns_figure(LONG, (("2026-10", 2), ("2026-11", 5)), "reports")
    for figure in (bars, months):
        title = title_fits(figure)
        assert title.replace("\n", " ") == LONG
        assert title.count("\n") >= 1
        assert all(len(line) <= charts.TITLE_WIDTH for line in title.splitlines())


def test_a_short_title_stays_on_one_line_and_pictures_are_kept() -> None:
    assert title_fits(charts.columns_figure("Reports by month", (("2026-11", 5),), "n")) == (
        "Reports by month"
    )
    png = charts.columns("Reports by month", (("2026-11", 5),), "n")
    assert (
        png.startswith(b"\x89PNG")
        and charts.columns("Reports by month", (("2026-11", 5),), "n") is png
    )

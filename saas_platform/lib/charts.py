"""Bar charts drawn on the server: the geometry of grouped bars for an SVG, with the numbers
kept beside it for the table screen readers read (includes/bar_chart.html draws both)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

# The SVG's own coordinates; CSS scales it to the width it is given.
WIDTH = 640
HEIGHT = 240
PLOT_TOP = 12
PLOT_BOTTOM = 208  # the baseline; the group labels sit under it
LABEL_Y = 228
GROUP_GAP = 0.3  # the share of a group's width left empty between groups


@dataclass(frozen=True)
class Bar:
    series: int
    series_name: str
    value: Decimal | None
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class BarGroup:
    label: str
    values: list[Decimal | None]
    bars: list[Bar]
    label_x: float


@dataclass(frozen=True)
class BarChart:
    title: str
    series: list[str]
    groups: list[BarGroup]
    width: int = WIDTH
    height: int = HEIGHT
    baseline: int = PLOT_BOTTOM
    label_y: int = LABEL_Y


def bar_chart(
    *, title: str, series: Sequence[str], groups: Sequence[tuple[str, Sequence[Decimal | None]]]
) -> BarChart:
    """A grouped bar chart: one group per label, one bar per series in each, scaled to the
    largest value. A value of None (a month still to come) draws no bar."""
    values = [value for _, group_values in groups for value in group_values if value]
    largest = max(values, default=Decimal(0))
    group_width = WIDTH / max(len(groups), 1)
    bar_width = group_width * (1 - GROUP_GAP) / max(len(series), 1)
    plot_height = PLOT_BOTTOM - PLOT_TOP
    drawn = []
    for index, (label, group_values) in enumerate(groups):
        left = index * group_width + group_width * GROUP_GAP / 2
        bars = []
        for series_index, value in enumerate(group_values):
            height = float(value / largest) * plot_height if value and largest else 0.0
            bars.append(
                Bar(
                    series=series_index,
                    series_name=series[series_index],
                    value=value,
                    x=round(left + series_index * bar_width, 1),
                    y=round(PLOT_BOTTOM - height, 1),
                    width=round(bar_width, 1),
                    height=round(height, 1),
                )
            )
        drawn.append(
            BarGroup(
                label=label,
                values=list(group_values),
                bars=bars,
                label_x=round(index * group_width + group_width / 2, 1),
            )
        )
    return BarChart(title=title, series=list(series), groups=drawn)

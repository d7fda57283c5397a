"""Bar charts drawn on the server: the geometry of grouped bars for an SVG, with the numbers
kept beside it for the table screen readers read (includes/bar_chart.html draws both); and
horizontal bars, a row per label, for lists with long names (horizontal_bar_chart.html)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from saas_platform.lib import formatting

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
    template: ClassVar[str] = "includes/bar_chart.html"


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


# --- Horizontal bars ---------------------------------------------------------------------------
# One row per label (a fund, a donor, a campaign), its name written in HTML beside the bars so
# it wraps and stays legible at a phone's width, where an SVG's text would shrink with it.

BAR_THICKNESS = 14  # px: the SVG of a row is as tall as its bars
BAR_GAP = 3


class ValueStyle(StrEnum):
    MONEY = "money"
    COUNT = "count"


@dataclass(frozen=True)
class HorizontalBar:
    series: int
    series_name: str
    value: Decimal | None
    text: str  # the value as the chart writes it: $1,234.50, or 12
    length: float  # of the plot's width, 0 to 100 (the SVG's viewBox is 100 wide)
    y: int


@dataclass(frozen=True)
class HorizontalBarRow:
    label: str
    note: str  # what the row adds in words ("3 donors"), or ""
    bars: list[HorizontalBar]


@dataclass(frozen=True)
class HorizontalBarChart:
    title: str
    label_heading: str  # what the labels are, heading their column in the table ("Fund")
    series: list[str]
    note_heading: str  # what the notes are ("Donors"), or "" for no notes
    rows: list[HorizontalBarRow]
    row_height: int  # px, the bars of one row and the gaps between them
    bar_thickness: int = BAR_THICKNESS
    template: ClassVar[str] = "includes/horizontal_bar_chart.html"


def horizontal_bar_chart(
    *,
    title: str,
    label_heading: str,
    series: Sequence[str],
    rows: Sequence[tuple[str, Sequence[Decimal | None]]],
    notes: Sequence[str] = (),
    note_heading: str = "",
    style: ValueStyle = ValueStyle.MONEY,
) -> HorizontalBarChart:
    """Horizontal bars: one row per (label, values), one bar per series in each, every bar
    scaled to the largest value of the chart. A value of None (no goal) draws no bar; a
    negative one draws none either. `notes`, if given, say one thing more per row."""
    largest = max(
        (value for _, values in rows for value in values if value is not None and value > 0),
        default=Decimal(0),
    )
    write = formatting.money if style is ValueStyle.MONEY else formatting.count
    drawn = []
    for index, (label, values) in enumerate(rows):
        bars = [
            HorizontalBar(
                series=series_index,
                series_name=series[series_index],
                value=value,
                text="" if value is None else write(value),
                length=(
                    round(float(value / largest) * 100, 1)
                    if value is not None and value > 0 and largest
                    else 0.0
                ),
                y=series_index * (BAR_THICKNESS + BAR_GAP),
            )
            for series_index, value in enumerate(values)
        ]
        drawn.append(HorizontalBarRow(label=label, note=notes[index] if notes else "", bars=bars))
    return HorizontalBarChart(
        title=title,
        label_heading=label_heading,
        series=list(series),
        note_heading=note_heading if notes else "",
        rows=drawn,
        row_height=len(series) * (BAR_THICKNESS + BAR_GAP) - BAR_GAP,
    )


# What a report or a page may draw.
Chart = BarChart | HorizontalBarChart

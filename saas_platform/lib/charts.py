"""Charts drawn on the server: the geometry of grouped bars (includes/bar_chart.html), of
horizontal bars, a row per label, for lists with long names (horizontal_bar_chart.html), and of
a line over time with a reference level such as a goal (includes/line_chart.html), with the
numbers kept beside each for the table screen readers read (the includes draw both)."""

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
# --- A line over time -------------------------------------------------------------------------

LINE_PLOT_TOP = 28  # room above the plot for the reference line's label
LINE_PLOT_LEFT = 8
LINE_PLOT_RIGHT = WIDTH - 8
LINE_AXIS_LABELS_AT_MOST = 6


@dataclass(frozen=True)
class LinePoint:
    label: str  # in the table and the point's tooltip
    axis_label: str  # under the axis: "" where labels are thinned out so they do not collide
    anchor: str  # the axis label's text-anchor: the first and last stay inside the chart
    value: Decimal
    x: float
    y: float


@dataclass(frozen=True)
class LineChart:
    title: str
    label_heading: str  # the table's first column: what a point's label is
    value_heading: str
    points: list[LinePoint]
    line: str  # the polyline's points ("x,y x,y ...")
    area: str  # the polygon under the line, down to the baseline
    reference_name: str
    reference: Decimal | None
    reference_y: float | None
    reference_label_y: float | None  # the reference's label sits just above its line
    width: int = WIDTH
    height: int = HEIGHT
    baseline: int = PLOT_BOTTOM
    label_y: int = LABEL_Y
    plot_left: int = LINE_PLOT_LEFT
    plot_right: int = LINE_PLOT_RIGHT


def _axis_labels_every(count: int) -> int:
    return max(1, -(-count // LINE_AXIS_LABELS_AT_MOST))  # ceiling division


def line_chart(
    *,
    title: str,
    label_heading: str,
    value_heading: str,
    points: Sequence[tuple[str, str, Decimal]],
    reference: Decimal | None = None,
    reference_name: str = "",
) -> LineChart:
    """A line through `points` (each: its label in the table, its short label under the axis,
    its value), left to right at equal steps, scaled so that the largest value and the
    `reference` (a goal, drawn as a level line; none when it is None or zero) both fit. The
    axis shows at most LINE_AXIS_LABELS_AT_MOST labels, always the last one."""
    values = [value for _, _, value in points]
    if reference is not None and reference <= 0:
        reference = None
    top = max([*values, reference or Decimal(0)], default=Decimal(0))
    plot_height = PLOT_BOTTOM - LINE_PLOT_TOP
    plot_width = LINE_PLOT_RIGHT - LINE_PLOT_LEFT
    step = plot_width / (len(points) - 1) if len(points) > 1 else 0.0
    every = _axis_labels_every(len(points))
    last = len(points) - 1

    def y_of(value: Decimal) -> float:
        return round(PLOT_BOTTOM - (float(value / top) * plot_height if top else 0.0), 1)

    drawn = []
    for index, (label, axis_label, value) in enumerate(points):
        x = round(LINE_PLOT_LEFT + index * step if len(points) > 1 else WIDTH / 2, 1)
        # The last label always shows; the one before it only if it leaves room.
        shown = index == last or (index % every == 0 and last - index >= every)
        anchor = "middle"
        if len(points) > 1 and index == 0:
            anchor = "start"
        elif len(points) > 1 and index == last:
            anchor = "end"
        drawn.append(
            LinePoint(
                label=label,
                axis_label=axis_label if shown else "",
                anchor=anchor,
                value=value,
                x=x,
                y=y_of(value),
            )
        )
    line = " ".join(f"{point.x},{point.y}" for point in drawn)
    area = ""
    if drawn:
        area = f"{drawn[0].x},{PLOT_BOTTOM} {line} {drawn[-1].x},{PLOT_BOTTOM}"
    reference_y = y_of(reference) if reference is not None else None
    return LineChart(
        title=title,
        label_heading=label_heading,
        value_heading=value_heading,
        points=drawn,
        line=line,
        area=area,
        reference_name=reference_name,
        reference=reference,
        reference_y=reference_y,
        reference_label_y=None if reference_y is None else round(reference_y - 6, 1),
    )

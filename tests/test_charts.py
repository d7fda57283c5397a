"""The charts drawn on the server: a line over time scaled to its largest value or its goal,
whichever is higher, with its axis labels thinned so that they do not collide."""

from __future__ import annotations

from decimal import Decimal

from saas_platform.lib.charts import (
    LINE_PLOT_LEFT,
    LINE_PLOT_RIGHT,
    LINE_PLOT_TOP,
    PLOT_BOTTOM,
    line_chart,
)


def _points(*values: str) -> list[tuple[str, str, Decimal]]:
    return [(f"Week {n}", f"W{n}", Decimal(value)) for n, value in enumerate(values, start=1)]


def test_a_line_is_scaled_to_its_goal_when_the_goal_is_higher() -> None:
    chart = line_chart(
        title="Raised",
        label_heading="Week ending",
        value_heading="Raised to date",
        points=_points("0", "50", "100"),
        reference=Decimal("200"),
        reference_name="Goal",
    )

    assert [point.x for point in chart.points] == [LINE_PLOT_LEFT, 320.0, LINE_PLOT_RIGHT]
    half_way = PLOT_BOTTOM - (PLOT_BOTTOM - LINE_PLOT_TOP) / 2
    assert [point.y for point in chart.points] == [PLOT_BOTTOM, 163.0, half_way]
    assert chart.reference_y == LINE_PLOT_TOP
    assert chart.reference_label_y == LINE_PLOT_TOP - 6
    assert chart.line == "8.0,208.0 320.0,163.0 632.0,118.0"
    assert chart.area == f"8.0,{PLOT_BOTTOM} {chart.line} 632.0,{PLOT_BOTTOM}"
    assert [point.anchor for point in chart.points] == ["start", "middle", "end"]


def test_past_its_goal_the_line_reaches_the_top_and_the_goal_sits_below() -> None:
    chart = line_chart(
        title="Raised",
        label_heading="Week ending",
        value_heading="Raised to date",
        points=_points("100", "400"),
        reference=Decimal("200"),
        reference_name="Goal",
    )
    assert chart.points[-1].y == LINE_PLOT_TOP
    assert chart.reference_y == PLOT_BOTTOM - (PLOT_BOTTOM - LINE_PLOT_TOP) / 2


def test_no_goal_draws_no_reference_and_nothing_raised_stays_on_the_baseline() -> None:
    chart = line_chart(
        title="Raised",
        label_heading="Week ending",
        value_heading="Raised to date",
        points=_points("0"),
        reference=Decimal("0"),
    )
    assert (chart.reference, chart.reference_y) == (None, None)
    (point,) = chart.points
    assert (point.x, point.y, point.anchor) == (320.0, PLOT_BOTTOM, "middle")


def test_the_axis_shows_a_few_labels_always_the_last_and_the_table_all() -> None:
    chart = line_chart(
        title="Raised",
        label_heading="Week ending",
        value_heading="Raised to date",
        points=_points(*[str(n) for n in range(26)]),
    )
    shown = [point.axis_label for point in chart.points if point.axis_label]
    assert shown == ["W1", "W6", "W11", "W16", "W21", "W26"]
    assert [point.label for point in chart.points] == [f"Week {n}" for n in range(1, 27)]

"""The fundraising reports' charts, from figures worked out by hand: what each bar stands for,
its length against the longest, and the words beside it. (The reports' own figures, and the
charts they hand their pages, are tested in test_reports.)"""

from __future__ import annotations

from decimal import Decimal

from saas_platform.lib.charts import HorizontalBarChart
from tenant_apps.donations import report_charts
from tenant_apps.donations.report_charts import CampaignFigures, FundFigures


def _figures(chart: HorizontalBarChart | None) -> list[tuple[str, list[str], list[float], str]]:
    """Each row's label, its bars' values as written, their lengths and its note."""
    assert chart is not None
    return [
        (row.label, [bar.text for bar in row.bars], [bar.length for bar in row.bars], row.note)
        for row in chart.rows
    ]


def test_lybunt_sums_last_years_giving_by_level() -> None:
    # Under $100: 50 + 99.99 = 149.99 (2 donors); $100 to under $500: 100 + 450 = 550;
    # $1,000 to under $5,000: 1,200; $5,000 or more: 7,000 (the longest bar).
    amounts = [Decimal(value) for value in ("50", "99.99", "100", "450", "1200", "7000")]
    chart = report_charts.lybunt_chart(amounts=amounts, last_year=2025)
    assert chart is not None
    assert chart.title == "FY2025 giving at risk, by giving level"
    assert chart.series == ["FY2025 giving"]
    assert _figures(chart) == [
        ("$5,000 or more", ["$7,000.00"], [100.0], "1 donor"),
        ("$1,000 to under $5,000", ["$1,200.00"], [17.1], "1 donor"),
        ("$500 to under $1,000", ["$0.00"], [0.0], "0 donors"),
        ("$100 to under $500", ["$550.00"], [7.9], "2 donors"),
        ("Under $100", ["$149.99"], [2.1], "2 donors"),
    ]


def test_sybunt_gathers_lifetime_giving_by_the_year_donors_last_gave() -> None:
    # Seven years of last gifts: the five latest one by one, 2019 and 2018 together
    # (1,000 + 600 = 1,600, the longest bar).
    donors = [
        (2024, Decimal("100")),
        (2024, Decimal("300")),
        (2023, Decimal("80")),
        (2022, Decimal("160")),
        (2021, Decimal("320")),
        (2020, Decimal("800")),
        (2019, Decimal("1000")),
        (2018, Decimal("600")),
    ]
    chart = report_charts.sybunt_chart(donors=donors)
    assert _figures(chart) == [
        ("FY2024", ["$400.00"], [25.0], "2 donors"),
        ("FY2023", ["$80.00"], [5.0], "1 donor"),
        ("FY2022", ["$160.00"], [10.0], "1 donor"),
        ("FY2021", ["$320.00"], [20.0], "1 donor"),
        ("FY2020", ["$800.00"], [50.0], "1 donor"),
        ("FY2019 or earlier", ["$1,600.00"], [100.0], "2 donors"),
    ]


def test_campaigns_are_drawn_raised_against_goal() -> None:
    chart = report_charts.campaign_chart(
        campaigns=[
            CampaignFigures(
                name="Spring", goal=Decimal("1000"), raised=Decimal("500"), percent="50.0"
            ),
            CampaignFigures(name="Gala", goal=Decimal("0"), raised=Decimal("250"), percent=None),
        ]
    )
    assert chart is not None
    assert chart.series == ["Raised", "Goal"]
    assert _figures(chart) == [
        ("Spring", ["$500.00", "$1,000.00"], [50.0, 100.0], "50.0% of goal"),
        ("Gala", ["$250.00", ""], [25.0, 0.0], "No goal"),
    ]


def test_funds_are_drawn_by_amount_with_their_gifts() -> None:
    chart = report_charts.fund_chart(
        funds=[
            FundFigures(name="General fund", amount=Decimal("400.00"), gift_count=2),
            FundFigures(name="Scholarships", amount=Decimal("150.00"), gift_count=1),
        ]
    )
    assert _figures(chart) == [
        ("General fund", ["$400.00"], [100.0], "2 gifts"),
        ("Scholarships", ["$150.00"], [37.5], "1 gift"),
    ]


def test_top_donors_chart_draws_the_first_25() -> None:
    donors = [(f"Donor {number}", Decimal(1000 - number)) for number in range(30)]
    chart = report_charts.top_donors_chart(donors=donors)
    assert chart is not None
    assert chart.title == "The top 25 donors by total giving"
    assert len(chart.rows) == 25
    assert _figures(chart)[0] == ("Donor 0", ["$1,000.00"], [100.0], "")
    assert _figures(chart)[-1] == ("Donor 24", ["$976.00"], [97.6], "")


def test_retention_counts_who_stayed_lapsed_came_and_came_back() -> None:
    chart = report_charts.retention_chart(
        fiscal_year=2026, last_year=2025, rate="40.0", retained=2, lapsed=3, new=5, reactivated=1
    )
    assert chart is not None
    assert chart.title == "FY2026: 40.0% of FY2025's donors gave again"
    assert _figures(chart) == [
        ("Retained: gave in FY2025 and FY2026", ["2"], [40.0], ""),
        ("Lapsed: gave in FY2025, not in FY2026", ["3"], [60.0], ""),
        ("New: first gift in FY2026", ["5"], [100.0], ""),
        ("Reactivated: back in FY2026 after a year or more", ["1"], [20.0], ""),
    ]


def test_no_chart_where_there_is_nothing_to_draw() -> None:
    assert report_charts.lybunt_chart(amounts=[], last_year=2025) is None
    assert report_charts.sybunt_chart(donors=[]) is None
    assert report_charts.campaign_chart(campaigns=[]) is None
    assert report_charts.fund_chart(funds=[]) is None
    assert report_charts.top_donors_chart(donors=[]) is None
    assert (
        report_charts.retention_chart(
            fiscal_year=2026, last_year=2025, rate=None, retained=0, lapsed=0, new=0, reactivated=0
        )
        is None
    )

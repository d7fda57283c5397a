"""The report kit's table and charts, for every app's reports: columns that say how the page
writes their values and which cell links to the row's page, columns kept for CSV, words for
codes; a statement written as before (accountants' figures); horizontal bars and their
template, with the numbers in a table for screen readers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.template.loader import render_to_string

from saas_platform.lib.charts import ValueStyle, horizontal_bar_chart
from saas_platform.lib.report_pages import report_table
from saas_platform.lib.reports import Choice, Column, Report, Row, Style


def _lapsed() -> Report:
    return Report(
        name="lapsed",
        title="Lapsed",
        parameters={},
        columns=[
            Column("Donor", on_page=False),
            Column("Name", link=True),
            "Fund",
            Column("Given", Style.MONEY),
            Column("Gifts", Style.COUNT),
            Column("Of goal", Style.PERCENT),
            "Last gift",
        ],
        rows=[
            Row(
                "line",
                [
                    7,
                    "Ada <b>L</b>",
                    Choice("without", "Without donor restrictions"),
                    Decimal("1234.5"),
                    1200,
                    "50.0",
                    date(2025, 9, 1),
                ],
                link="/donors/7/",
            ),  # fmt: skip
            Row("total", ["1 donor", "", "", Decimal("-1234.5"), "", "", ""]),
        ],
    )


def test_the_page_writes_values_as_their_columns_say_and_links_the_donor() -> None:
    table = report_table(_lapsed())
    assert [column.text for column in table.columns] == [
        "Name",
        "Fund",
        "Given",
        "Gifts",
        "Of goal",
        "Last gift",
    ]
    assert [column.numeric for column in table.columns] == [
        False,
        False,
        True,
        True,
        True,
        False,
    ]
    line, total = table.rows
    assert (line.header.text, line.header.url) == ("Ada <b>L</b>", "/donors/7/")
    assert [cell.text for cell in line.cells] == [
        "Without donor restrictions",
        "$1,234.50",
        "1,200",
        "50.0%",
        "Sep 1, 2025",
    ]
    assert not any(cell.url for cell in line.cells)
    # The total's words sit under the ids, which the page leaves out: its first column has them.
    assert (total.header.text, total.header.url) == ("1 donor", "")
    assert total.cells[1].text == "-$1,234.50"


def test_csv_keeps_the_ids_codes_iso_dates_and_plain_figures() -> None:
    assert _lapsed().as_table() == [
        ["Donor", "Name", "Fund", "Given", "Gifts", "Of goal", "Last gift"],
        ["7", "Ada <b>L</b>", "without", "1234.50", "1200", "50.0", "2025-09-01"],
        ["1 donor", "", "", "-1234.50", "", "", ""],
    ]


def test_a_statement_of_plain_columns_is_written_as_accountants_write_it() -> None:
    report = Report(
        name="balances",
        title="Balances",
        parameters={},
        columns=["Line", "Amount"],
        rows=[
            Row("heading", ["Assets", ""]),
            Row("line", ["Cash", Decimal("-1234.5")]),
            Row("total", ["Total", Decimal("10")]),
        ],
    )
    table = report_table(report)
    assert [(column.text, column.numeric) for column in table.columns] == [
        ("Line", False),
        ("Amount", True),
    ]
    assert [
        (row.kind, row.header.text, [cell.text for cell in row.cells]) for row in table.rows
    ] == [
        ("heading", "Assets", [""]),
        ("line", "Cash", ["(1,234.50)"]),
        ("total", "Total", ["10.00"]),
    ]
    assert report.chart is None
    assert report.as_table()[2] == ["Cash", "-1234.50"]


def test_horizontal_bars_are_scaled_to_the_largest_value() -> None:
    chart = horizontal_bar_chart(
        title="Raised",
        label_heading="Campaign",
        series=["Raised", "Goal"],
        rows=[
            ("Spring", [Decimal("250"), Decimal("1000")]),
            ("Gala", [Decimal("-5"), None]),
        ],
        notes=["25.0% of goal", "No goal"],
        note_heading="Of the goal",
    )
    spring, gala = chart.rows
    assert [(bar.text, bar.length, bar.y) for bar in spring.bars] == [
        ("$250.00", 25.0, 0),
        ("$1,000.00", 100.0, 17),
    ]
    # A negative value and a missing one draw no bar; the missing one writes nothing.
    assert [(bar.text, bar.length) for bar in gala.bars] == [("-$5.00", 0.0), ("", 0.0)]
    assert chart.row_height == 31  # two bars of 14 px and the 3 px between them
    counts = horizontal_bar_chart(
        title="Donors",
        label_heading="Donors",
        series=["Donors"],
        rows=[("New", [Decimal(1200)])],
        style=ValueStyle.COUNT,
    )
    assert counts.rows[0].bars[0].text == "1,200"
    assert counts.note_heading == ""


def test_the_chart_template_draws_bars_and_a_table_and_escapes_labels() -> None:
    chart = horizontal_bar_chart(
        title="Top <donors>",
        label_heading="Donor",
        series=["Total"],
        rows=[("<script>alert(1)</script>", [Decimal("40")]), ("Ben", [Decimal("10")])],
        notes=["2 gifts", "1 gift"],
        note_heading="Gifts",
    )
    html = render_to_string(chart.template, {"chart": chart, "id": "top"})
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'aria-labelledby="top-title"' in html
    assert '<rect class="series-0" x="0" y="0" width="25.0" height="14">' in html
    assert '<div class="visually-hidden"><table>' in html
    assert (
        '<thead><tr><th scope="col">Donor</th><th scope="col">Total</th>'
        '<th scope="col">Gifts</th></tr></thead>'
    ) in html
    assert "<td>$10.00</td><td>1 gift</td>" in html
    assert 'class="legend"' not in html  # one series needs no legend

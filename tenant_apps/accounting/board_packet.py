"""The board packet: the statements of financial position (at the end of a period), activities
and functional expenses (over it) in one PDF, each from the top of a page under the
organization's name and the period, with the figures as the report pages print them. Same
fonts as the receipts (see donations' receipt_pdf for why Latin-1)."""

from __future__ import annotations

from datetime import date

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from saas_platform.lib.report_pages import day_text, period_text, report_table
from saas_platform.lib.reports import Report
from tenant_apps.accounting import reports

_MARGIN = 12  # mm
_LABEL_SHARE = 0.34  # of the table's width, for the column of words


def _text(value: str) -> str:
    """`value` as the built-in fonts write it: Latin-1, anything else as its nearest letters."""
    value = value.replace("\u2013", "-").replace("\u2014", "-").replace("\u2019", "'")
    value = value.replace("\u201c", '"').replace("\u201d", '"')
    return value.encode("latin-1", "replace").decode("latin-1")


def board_packet_reports(*, start: date, end: date, compare: str | None = None) -> list[Report]:
    """The packet's statements; beside the budget, the statement of financial position stands
    alone (no budget plans balances)."""
    balances_compare = None if compare == reports.BUDGET else compare
    return [
        reports.financial_position(as_of=end, compare=balances_compare),
        reports.activities(start=start, end=end, compare=compare),
        reports.functional_expenses(start=start, end=end, compare=compare),
    ]


def _page(pdf: FPDF, organization: str, report: Report, subtitle: str) -> None:
    table = report_table(report)
    wide = len(table.columns) > 5
    pdf.add_page(orientation="L" if wide else "P")
    width = pdf.w - 2 * _MARGIN
    pdf.set_font("Helvetica", style="B", size=13)
    pdf.multi_cell(width, 6, _text(organization), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", style="B", size=15)
    pdf.multi_cell(width, 8, _text(report.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(width, 5, _text(subtitle), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)

    figures = len(table.columns) - 1
    label = width * (_LABEL_SHARE if figures < 5 else 0.22)
    widths = (label, *([(width - label) / max(figures, 1)] * figures))
    pdf.set_font("Helvetica", size=7 if figures > 6 else 9)
    with pdf.table(
        col_widths=widths,
        text_align=("LEFT", *(("RIGHT",) * figures)),
        line_height=5 if figures > 6 else 5.5,
        first_row_as_headings=True,
        borders_layout="HORIZONTAL_LINES",
    ) as drawn:
        header = drawn.row()
        for column in table.columns:
            header.cell(_text(column.text))
        for row in table.rows:
            cells = drawn.row()
            bold = row.kind in ("heading", "total")
            pdf.set_font(style="B" if bold else "")
            cells.cell(_text(row.header.text))
            for cell in row.cells:
                cells.cell(_text(cell.text))
            pdf.set_font(style="")


def board_packet_render(
    *, organization: str, start: date, end: date, compare: str | None = None
) -> bytes:
    """The packet's PDF for the period from `start` to `end`, the statements beside the prior
    period or year, or the approved budget, when `compare` says so (see reports.compared)."""
    position, activities, functional = board_packet_reports(start=start, end=end, compare=compare)
    period = period_text(start, end)
    if compare == reports.BUDGET:
        beside, balances_beside = f", beside {reports.budgets_text(activities)}", ""
    else:
        beside = f", beside the {reports.COMPARISONS[compare].lower()}" if compare else ""
        balances_beside = beside
    pdf = FPDF(format="letter")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(auto=True, margin=_MARGIN)
    pdf.set_title(_text(f"Board packet, {period}"))
    pdf.set_author(_text(organization))
    _page(pdf, organization, position, f"As of {day_text(end)}{balances_beside}")
    _page(pdf, organization, activities, f"{period}{beside}")
    _page(pdf, organization, functional, f"{period}{beside}")
    return bytes(pdf.output())


def statement_render(*, organization: str, report: Report, subtitle: str) -> bytes:
    """One report's PDF, drawn as the packet draws each of its statements."""
    pdf = FPDF(format="letter")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(auto=True, margin=_MARGIN)
    pdf.set_title(_text(f"{report.title}, {subtitle}"))
    pdf.set_author(_text(organization))
    _page(pdf, organization, report, subtitle)
    return bytes(pdf.output())

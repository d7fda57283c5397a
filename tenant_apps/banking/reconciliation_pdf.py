"""The reconciliation report as a PDF: the book balance, the outstanding deposits and payments,
and the bank's balance, under the organization's name (the board packet's fonts: Latin-1)."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from saas_platform.lib.formatting import money
from tenant_apps.banking.selectors import LedgerItem, ReconciliationReport

_MARGIN = 15  # mm


def _text(value: str) -> str:
    value = value.replace("\u2013", "-").replace("\u2014", "-").replace("\u2019", "'")
    return value.encode("latin-1", "replace").decode("latin-1")


def _day(value: object) -> str:
    return f"{value:%B} {value.day}, {value.year}"  # type: ignore[attr-defined]


def reconciliation_pdf(*, organization: str, report: ReconciliationReport) -> bytes:
    statement = report.statement
    pdf = FPDF(format="letter")
    pdf.set_margins(_MARGIN, _MARGIN)
    pdf.add_page()
    width = pdf.w - 2 * _MARGIN

    def line(label: str, amount: str, *, bold: bool = False) -> None:
        pdf.set_font("Helvetica", style="B" if bold else "", size=10)
        pdf.cell(width * 0.7, 6, _text(label))
        pdf.cell(width * 0.3, 6, _text(amount), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def items(title: str, rows: list[LedgerItem], total: str) -> None:
        line(title, "", bold=True)
        if not rows:
            line("    None", "")
        for item in rows:
            number = f"Entry {item.number}" if item.number else "Entry"
            line(f"    {_day(item.date)} - {number} {item.memo}"[:90], money(abs(item.amount)))
        line(f"    Total {title.lower()}", total)

    pdf.set_font("Helvetica", style="B", size=13)
    pdf.multi_cell(width, 6, _text(organization), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", style="B", size=15)
    pdf.multi_cell(width, 8, "Bank reconciliation", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=10)
    subtitle = (
        f"{statement.account.code} {statement.account.name}, as of {_day(statement.statement_date)}"
    )
    pdf.multi_cell(width, 5, _text(subtitle), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    line("Balance in the books", money(report.book_balance), bold=True)
    items("Outstanding deposits", report.outstanding_deposits, money(-report.deposits_total))
    items("Outstanding payments", report.outstanding_payments, money(report.payments_total))
    line("Adjusted book balance", money(report.adjusted_book_balance), bold=True)
    line("Balance on the bank statement", money(report.bank_balance), bold=True)
    line("Unexplained difference", money(report.unexplained), bold=True)
    return bytes(pdf.output())

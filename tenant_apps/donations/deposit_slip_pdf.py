"""Drawing a deposit slip as a PDF: the deposit's date and bank account, each check or cash
gift (donor, check number, amount) and the total, for the trip to the bank. Same fonts and
page as the receipts (see receipt_pdf)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from saas_platform.lib.formatting import money
from tenant_apps.donations.models import GiftMethod
from tenant_apps.donations.receipt_pdf import latin1

if TYPE_CHECKING:
    from tenant_apps.donations.models import Deposit, Gift

_WIDTH = 180  # mm of text on Letter with 15 mm margins


def _line(pdf: FPDF, text: str, *, size: float = 10, style: str = "", height: float = 5) -> None:
    pdf.set_font("Helvetica", style=style, size=size)
    pdf.multi_cell(_WIDTH, height, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def deposit_slip_render(*, organization: str, deposit: Deposit, gifts: Sequence[Gift]) -> bytes:
    pdf = FPDF(format="letter")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(latin1(f"Deposit slip {deposit.pk}"))
    pdf.set_author(latin1(organization))
    pdf.add_page()

    _line(pdf, organization, size=14, style="B", height=7)
    _line(pdf, f"Deposit slip no. {deposit.pk}", size=16, style="B", height=8)
    _line(pdf, f"Date: {deposit.deposit_on:%B} {deposit.deposit_on.day}, {deposit.deposit_on.year}")
    _line(pdf, f"Into: {deposit.bank_account.code} {deposit.bank_account.name}")
    pdf.ln(4)

    checks = [gift for gift in gifts if gift.method == GiftMethod.CHECK]
    cash = sum((gift.amount for gift in gifts if gift.method == GiftMethod.CASH), Decimal("0"))
    total = sum((gift.amount for gift in gifts), Decimal("0"))
    pdf.set_font("Helvetica", size=10)
    with pdf.table(
        col_widths=(100, 40, 40),
        text_align=("LEFT", "LEFT", "RIGHT"),
        line_height=6,
        first_row_as_headings=True,
    ) as drawn:
        rows = [("Donor", "Check no.", "Amount")]
        rows += [
            (gift.donor.display_name, gift.check_number, money(gift.amount)) for gift in checks
        ]
        if cash:
            rows.append(("Cash", "", money(cash)))
        rows.append((f"Total ({len(gifts)} items)", "", money(total)))
        for row in rows:
            cells = drawn.row()
            for value in row:
                cells.cell(latin1(value))
    return bytes(pdf.output())

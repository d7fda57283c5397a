"""Drawing a receipt as a PDF from what it says (the content stored with the receipt), and
several receipts as one PDF (a year's statements, to print at once).

The PDF uses the built-in Helvetica font: nothing is embedded, so a receipt is a few kilobytes
and its text can be extracted (screen readers, tests). The built-in fonts cover Latin-1 only;
other characters are written as their closest ASCII letters or as "?".
"""

from __future__ import annotations

import io
import logging
import unicodedata
from typing import TYPE_CHECKING, TypedDict

from django.http import FileResponse
from fpdf import FPDF
from fpdf.enums import XPos, YPos

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from tenant_apps.donations.models import Receipt


class ReceiptTable(TypedDict):
    columns: list[str]
    rows: list[list[str]]
    total: list[str]


class ReceiptContent(TypedDict):
    """What a receipt says, kept on the receipt as issued (Receipt.content)."""

    title: str
    organization: str
    organization_address: list[str]
    ein: str
    number: str
    version: int
    issued_on: str
    donor: str
    donor_address: list[str]
    correction: str
    facts: list[list[str]]
    table: ReceiptTable | None
    statements: list[str]
    signature: list[str]


# Typographic punctuation, and Latin letters that do not decompose into a base letter and an
# accent (NFKD leaves them whole), written the way they are commonly spelled without them.
_PUNCTUATION = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u0141": "L",
        "\u0142": "l",
        "\u0110": "D",
        "\u0111": "d",
        "\u0131": "i",
        "\u0152": "OE",
        "\u0153": "oe",
    }
)
_WIDTH = 180  # mm of text on A4/Letter with 15 mm margins


def latin1(text: str) -> str:
    """`text` as the built-in fonts can write it (see the module's docstring)."""
    text = str(text).translate(_PUNCTUATION)
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(
            char if ord(char) < 256 else "" if unicodedata.combining(char) else "?"
            for char in decomposed
        )
    return text


def _line(pdf: FPDF, text: str, *, size: float = 10, style: str = "", height: float = 5) -> None:
    pdf.set_font("Helvetica", style=style, size=size)
    text = latin1(text)
    if "\n" not in text and pdf.get_string_width(text) <= _WIDTH - 2 * pdf.c_margin:
        # One line, drawn where multi_cell would draw it without working out where to break
        # (most of the time a receipt took to draw).
        pdf.cell(_WIDTH, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        pdf.multi_cell(_WIDTH, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _document(*, title: str, author: str) -> FPDF:
    pdf = FPDF(format="letter")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(latin1(title))
    pdf.set_author(latin1(author))
    return pdf


def receipt_pdf_render(content: ReceiptContent, *, logo: bytes | None = None) -> bytes:
    """A receipt's PDF; `logo` (PNG or JPEG, checked when it was uploaded) heads it."""
    pdf = _document(title=f"{content['title']} {content['number']}", author=content["organization"])
    pdf.add_page()
    if logo:
        _logo_drawn(pdf, logo)
    _receipt_drawn(pdf, content)
    return bytes(pdf.output())


def _logo_drawn(pdf: FPDF, logo: bytes) -> None:
    """The logo 15 mm high, its width in proportion, above the organization's name. A logo
    the PDF library cannot read is left out: it must never stop a receipt."""
    try:
        pdf.image(io.BytesIO(logo), h=15)
    except Exception:
        logger.warning("the organization's logo could not be drawn on a receipt", exc_info=True)
        return
    pdf.ln(3)


class ReceiptsDocument:
    """Several receipts in one PDF, in the order they are added, each from the top of a new
    page and named in the document's outline (a PDF reader's bookmarks) by its donor and
    number. Drawn from the receipts' stored content, as each receipt's own PDF was, each headed
    by the organization's `logo` when it has one (the PDF holds the image once)."""

    def __init__(self, *, title: str, author: str, logo: bytes | None = None) -> None:
        self._pdf = _document(title=title, author=author)
        self._logo = logo

    def add(self, content: ReceiptContent) -> None:
        self._pdf.add_page()
        self._pdf.start_section(latin1(f"{content['donor']}, no. {content['number']}"))
        if self._logo:
            _logo_drawn(self._pdf, self._logo)
        _receipt_drawn(self._pdf, content)

    def output(self) -> bytes:
        return bytes(self._pdf.output())


def _receipt_drawn(pdf: FPDF, content: ReceiptContent) -> None:
    """Draws the receipt from where the page's cursor is (the top of a new page)."""
    _line(pdf, content["organization"], size=14, style="B", height=7)
    for address_line in content["organization_address"]:
        _line(pdf, address_line)
    _line(pdf, f"EIN: {content['ein']}")
    pdf.ln(6)

    _line(pdf, content["title"], size=16, style="B", height=8)
    _line(pdf, f"Receipt no. {content['number']}, version {content['version']}")
    _line(pdf, f"Issued on {content['issued_on']}")
    pdf.ln(4)

    _line(pdf, "Donor", style="B")
    _line(pdf, content["donor"])
    for address_line in content["donor_address"]:
        _line(pdf, address_line)
    pdf.ln(4)

    if content["correction"]:
        _line(pdf, content["correction"], style="B")
        pdf.ln(3)

    for label, value in content["facts"]:
        _line(pdf, f"{label}: {value}")
    if content["facts"]:
        pdf.ln(3)

    table = content["table"]
    if table:
        pdf.set_font("Helvetica", size=9)
        with pdf.table(
            col_widths=(30, 65, 25, 60),
            text_align=("LEFT", "LEFT", "RIGHT", "LEFT"),
            line_height=5,
            first_row_as_headings=True,
        ) as drawn:
            for row in [table["columns"], *table["rows"], table["total"]]:
                cells = drawn.row()
                for value in row:
                    cells.cell(latin1(value))
        pdf.ln(4)

    for statement in content["statements"]:
        _line(pdf, statement)
        pdf.ln(2)
    _line(pdf, "Please keep this written acknowledgment with your tax records.")
    if content["signature"]:
        pdf.ln(8)
        for signature_line in content["signature"]:
            _line(pdf, signature_line)


def receipt_pdf_download(receipt: Receipt) -> FileResponse:
    """The receipt as it was issued, a PDF (the API and the receipt's page send it)."""
    return FileResponse(
        receipt.pdf.open("rb"),
        content_type="application/pdf",
        filename=f"receipt-{receipt.number:06d}-v{receipt.version}.pdf",
    )

"""The columns of an uploaded file and the fields they are read as: each field's name in words,
the headers that other exports and plain spreadsheets give it (recognised whatever their case,
spaces and punctuation), the checks of a mapping chosen on the imports page, and the preview
of the first rows as the import will read them (it writes nothing)."""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import amount_parse
from tenant_apps.donations.models import GiftMethod, ImportKind
from tenant_apps.donations.services.import_csv import (
    COLUMNS,
    FALSE_WORDS,
    REQUIRED_COLUMNS,
    TRUE_WORDS,
    CsvFile,
    CsvRecords,
    csv_rows,
)
from tenant_apps.donations.services.import_donors import donors_validate
from tenant_apps.donations.services.import_gifts import (
    amount_text,
    date_read,
    gifts_validate,
    method_read,
)
from tenant_apps.donors.models import DonorKind

# Each field in words, for the mapping page's choices and its preview.
FIELD_LABELS: dict[str, dict[str, str]] = {
    ImportKind.DONORS: {
        "type": "Individual or organization",
        "first_name": "First name",
        "last_name": "Last name",
        "organization_name": "Organization name",
        "email": "Email",
        "phone": "Phone",
        "address_line1": "Address line 1",
        "address_line2": "Address line 2",
        "city": "City",
        "region": "State or province",
        "postcode": "ZIP or postal code",
        "country": "Country",
        "tags": "Tags",
        "email_ok": "May be emailed",
        "email_news_ok": "Email news",
        "mail_ok": "May be mailed",
        "phone_ok": "May be phoned",
        "do_not_contact": "Do not contact",
        "notes": "Notes",
    },
    ImportKind.GIFTS: {
        "donor_id": "Donor number",
        "donor_email": "Donor's email",
        "amount": "Amount",
        "received_on": "Date received",
        "method": "Method",
        "fund": "Fund",
        "campaign": "Campaign",
        "check_number": "Check number",
        "designation": "Memo",
        "payment_reference": "Payment reference",
        "goods_services_value": "Value given in return",
        "goods_services_description": "Goods or services given in return",
        "in_kind_description": "In-kind description",
    },
}

# The headers each field is recognised by, besides its own name: a plain spreadsheet's, and the
# exports of Bloomerang (constituents, transactions) and Little Green Light (constituents,
# gifts). An export's own record numbers (Bloomerang's Account Number, LGL's Constituent ID)
# are not ours, so they are never read as a donor number.
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    ImportKind.DONORS: {
        "type": ("Donor Type", "Constituent Type", "Record Type", "Account Type", "Kind"),
        "first_name": ("First Name", "First", "Given Name", "Forename", "FirstName"),
        "last_name": ("Last Name", "Last", "Surname", "Family Name", "LastName"),
        "organization_name": (
            "Organization",
            "Organisation",
            "Organisation Name",
            "Company",
            "Company Name",
            "Org Name",
            "Business Name",
        ),
        "email": (
            "E-mail",
            "Email Address",
            "E-mail Address",
            "Primary Email",
            "Primary Email Address",
            "Home Email",
            "Personal Email",
        ),
        "phone": (
            "Phone Number",
            "Telephone",
            "Tel",
            "Mobile",
            "Mobile Phone",
            "Cell",
            "Cell Phone",
            "Home Phone",
            "Primary Phone",
            "Primary Phone Number",
        ),
        "address_line1": (
            "Address",
            "Address 1",
            "Street",
            "Street Address",
            "Street 1",
            "Address Street",
            "Primary Street",
            "Primary Address Street",
            "Primary Address Line 1",
            "Mailing Address",
        ),
        "address_line2": (
            "Address 2",
            "Street 2",
            "Apt",
            "Suite",
            "Apartment",
            "Primary Address Line 2",
        ),
        "city": ("Town", "Address City", "Primary City", "Primary Address City"),
        "region": (
            "State",
            "Province",
            "State/Province",
            "State or Province",
            "Address State",
            "Primary State",
            "Primary Address State",
        ),
        "postcode": (
            "Zip",
            "ZIP Code",
            "Zipcode",
            "Postal Code",
            "Post Code",
            "ZIP/Postal Code",
            "Address Zip Code",
            "Primary Zip",
            "Primary Zip Code",
            "Primary Address Zip Code",
            "Primary Postal Code",
        ),
        "country": (
            "Country Code",
            "Address Country",
            "Primary Country",
            "Primary Address Country",
        ),
        "tags": ("Tag", "Labels"),
        "email_ok": ("Email OK", "OK to Email"),
        "email_news_ok": ("Email Opt In", "Newsletter", "Email Newsletter", "Email News"),
        "mail_ok": ("Mail OK", "OK to Mail"),
        "phone_ok": ("Phone OK", "OK to Call"),
        "do_not_contact": ("Do Not Contact", "DNC"),
        "notes": ("Note", "Comments", "Comment", "Constituent Note"),
    },
    ImportKind.GIFTS: {
        "donor_id": ("Donor ID", "Donor Number", "Donor No", "Donor #", "IFM Donor ID"),
        "donor_email": (
            "Email",
            "E-mail",
            "Email Address",
            "E-mail Address",
            "Donor Email",
            "Donor Email Address",
            "Primary Email",
            "Primary Email Address",
            "Constituent Email",
        ),
        "amount": (
            "Gift Amount",
            "Donation Amount",
            "Transaction Amount",
            "Amount Received",
        ),
        "received_on": (
            "Date",
            "Gift Date",
            "Donation Date",
            "Transaction Date",
            "Date Received",
            "Received",
            "Received On",
            "Deposit Date",
        ),
        "method": (
            "Payment Method",
            "Payment Type",
            "Method of Payment",
            "Pay Method",
            "Tender",
        ),
        "fund": ("Fund Code", "Fund Name", "Gift Fund"),
        "campaign": ("Campaign Code", "Campaign Name", "Gift Campaign"),
        "check_number": ("Check #", "Check No", "Check Num", "Cheque Number", "Check/Reference No"),
        "designation": ("Memo", "Note", "Notes", "Gift Note", "Designation Note", "Purpose"),
        "payment_reference": (
            "Reference",
            "Payment Reference",
            "Transaction ID",
            "Payment ID",
            "Processor Reference",
        ),
        "goods_services_value": (
            "Non-Deductible Amount",
            "Nondeductible Amount",
            "Fair Market Value",
            "Benefit Value",
            "Goods and Services Value",
        ),
        "goods_services_description": ("Benefit Description", "Goods and Services"),
        "in_kind_description": ("In-Kind Description", "In Kind Description", "Item Description"),
    },
}


def header_key(name: str) -> str:
    """A header as recognition compares it: case, spaces and punctuation left out, "#" read as
    "number" ("E-mail" and "email", "Check #" and "check_number" meet)."""
    text = name.casefold().replace("#", " number ").replace("&", " and ")
    return re.sub(r"[^0-9a-z]+", "", text)


@functools.cache
def _recognised_headers(kind: str) -> dict[str, str]:
    index = {header_key(name): name for name in COLUMNS[kind]}
    for name, aliases in ALIASES[kind].items():
        for alias in aliases:
            index.setdefault(header_key(alias), name)
    return index


def columns_recognise(header: Sequence[str], *, kind: str) -> list[str]:
    """The field each column of `header` is read as by its name, "" where the name is not
    recognised; a field already given to an earlier column is not given again."""
    known = _recognised_headers(kind)
    mapping: list[str] = []
    for name in header:
        found = known.get(header_key(name), "")
        mapping.append(found if found not in mapping else "")
    return mapping


def column_title(header: Sequence[str], position: int) -> str:
    """A column as pages name it: its header, or its place when the header is empty."""
    written = header[position] if position < len(header) else ""
    return written or f"Column {position + 1} (no header)"


def _quoted(header: Sequence[str], position: int) -> str:
    written = header[position] if position < len(header) else ""
    return f"“{written}”" if written else f"column {position + 1} (no header)"


@dataclass(frozen=True)
class MappingProblems:
    by_column: dict[int, str] = field(default_factory=dict)  # position: what is wrong there
    missing: list[str] = field(default_factory=list)  # a sentence for each required field

    def __bool__(self) -> bool:
        return bool(self.by_column or self.missing)

    @property
    def column_messages(self) -> list[str]:
        """Each column's problem once (a field chosen twice is the problem of both columns)."""
        return list(dict.fromkeys(self.by_column.values()))


def mapping_problems(
    *, header: Sequence[str], mapping: Sequence[str], kind: str
) -> MappingProblems:
    """What is wrong with reading the columns of `header` as `mapping`: a field chosen for two
    columns, a required field chosen for none."""
    labels = FIELD_LABELS[kind]
    positions: dict[str, list[int]] = defaultdict(list)
    for position, name in enumerate(mapping):
        if name:
            positions[name].append(position)
    by_column = {}
    for name, chosen in positions.items():
        if len(chosen) > 1:
            names = " and ".join(_quoted(header, position) for position in chosen)
            for position in chosen:
                by_column[position] = (
                    f"{labels[name]} is chosen for {names}: choose it for one column only."
                )
    missing = []
    for group in REQUIRED_COLUMNS[kind]:
        if not any(name in positions for name in group):
            words = " or ".join(labels[name] for name in group)
            missing.append(f"No column is read as {words}: a {kind} file needs one.")
    return MappingProblems(by_column=by_column, missing=missing)


def mapping_check(*, header: Sequence[str], mapping: Sequence[str], kind: str) -> None:
    """A ServiceError unless `mapping` gives each column of `header` a field of `kind` (or ""),
    no field twice and every required field. Its fields name the columns ("column_0" is the
    first) and, under "columns", what the file lacks as a whole."""
    if len(mapping) != len(header):
        raise ServiceError(
            f"The file has {len(header)} columns: choose a field (or none) for each.",
            fields={"columns": ["The choices do not match the file's columns."]},
        )
    unknown = sorted({name for name in mapping if name and name not in COLUMNS[kind]})
    if unknown:
        raise ServiceError(
            f"A {kind} file has no field {', '.join(unknown)}.",
            fields={"columns": [f"Unknown field: {', '.join(unknown)}."]},
        )
    problems = mapping_problems(header=header, mapping=mapping, kind=kind)
    if problems:
        fields = {f"column_{position}": [text] for position, text in problems.by_column.items()}
        if problems.missing:
            fields["columns"] = problems.missing
        messages = [*problems.column_messages, *problems.missing]
        raise ServiceError(" ".join(messages), fields=fields)


# --- A cell as the import reads it -----------------------------------------------------------

MONEY_FIELDS = frozenset({"amount", "goods_services_value"})
YES_NO_FIELDS = frozenset({"email_ok", "email_news_ok", "mail_ok", "phone_ok", "do_not_contact"})


@dataclass(frozen=True)
class CellReading:
    """What a cell will be read as: an amount (`money`), a date (`date`) or words (`text`)."""

    value: str | Decimal | date
    shown_as: str = "text"


def cell_read(name: str, written: str) -> CellReading:
    """The cell of field `name` as the import will read it; what it cannot read stays as
    written (the row's check says what is wrong with it)."""
    if not written:
        return CellReading("")
    if name in MONEY_FIELDS:
        try:
            return CellReading(amount_parse(amount_text(written), field=name), "money")
        except ServiceError:
            return CellReading(written)
    if name == "received_on":
        day = date_read(written)
        return CellReading(day, "date") if day is not None else CellReading(written)
    if name == "method":
        method = method_read(written)
        labels = dict(GiftMethod.choices)
        return CellReading(labels.get(method, written))
    if name == "type":
        kind = "organization" if written.lower() == "organisation" else written.lower()
        return CellReading(dict(DonorKind.choices).get(kind, written))
    if name in YES_NO_FIELDS:
        word = written.lower()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return CellReading("Yes" if word in TRUE_WORDS else "No")
    return CellReading(written)


# --- The preview of the mapping page -----------------------------------------------------------

PREVIEW_ROWS = 5


@dataclass(frozen=True)
class PreviewColumn:
    position: int
    title: str  # the column as the file names it
    label: str  # the field it is read as, in words


@dataclass(frozen=True)
class PreviewCell:
    reading: CellReading
    error: str = ""


@dataclass(frozen=True)
class PreviewRow:
    number: int
    cells: list[PreviewCell]
    problems: list[str]  # what is wrong with the row and belongs to no column shown


@dataclass(frozen=True)
class ImportPreview:
    columns: list[PreviewColumn]
    rows: list[PreviewRow]
    problems: MappingProblems

    @property
    def cells_with_errors(self) -> int:
        return sum(1 for row in self.rows for cell in row.cells if cell.error)

    @property
    def listed_problems(self) -> list[tuple[int, str]]:
        """Every problem of the rows shown, as (row, what is wrong), a cell's named by its
        field: the list a phone shows under the table, too wide for it."""
        listed = []
        for row in self.rows:
            for column, cell in zip(self.columns, row.cells, strict=True):
                if cell.error:
                    listed.append((row.number, f"{column.label}: {cell.error}"))
            listed += [(row.number, problem) for problem in row.problems]
        return listed

    @property
    def has_row_problems(self) -> bool:
        return any(row.problems for row in self.rows)

    @property
    def rows_with_errors(self) -> int:
        return sum(1 for row in self.rows if row.problems or any(c.error for c in row.cells))


def import_preview(*, kind: str, read: CsvRecords, mapping: Sequence[str]) -> ImportPreview:
    """The first rows of `read` as the import would read them through `mapping`: each value
    parsed, and each row checked by the import's own rules (a few queries for all the rows
    together, whatever their number), its errors on the cells they belong to. Writes nothing.
    A field chosen for two columns is read from the first (the confirmation refuses it)."""
    header = read.header
    mapping = [*mapping[: len(header)], *[""] * (len(header) - len(mapping))]
    fields: list[str | None] = []
    for name in mapping:
        fields.append(name if name and name not in fields else None)
    parsed = CsvFile(columns=[name for name in fields if name], rows=csv_rows(read, fields))
    if kind == ImportKind.DONORS:
        errors = donors_validate(parsed, progress=_unreported).errors
    else:
        errors = gifts_validate(parsed, progress=_unreported).errors
    by_cell: dict[tuple[int, str], list[str]] = defaultdict(list)
    for error in errors:
        by_cell[error["row"], error["column"]].append(error["message"])
    labels = FIELD_LABELS[kind]
    shown = [(position, name) for position, name in enumerate(fields) if name]
    rows = []
    for row in parsed.rows:
        cells = [
            PreviewCell(
                cell_read(name, row.values.get(name, "")),
                " ".join(by_cell.pop((row.number, name), [])),
            )
            for _, name in shown
        ]
        problems = [
            f"{labels.get(column, column) + ': ' if column else ''}{message}"
            for (number, column), messages in sorted(by_cell.items())
            if number == row.number
            for message in messages
        ]
        rows.append(PreviewRow(number=row.number, cells=cells, problems=problems))
    return ImportPreview(
        columns=[
            PreviewColumn(position, column_title(header, position), labels[name])
            for position, name in shown
        ],
        rows=rows,
        problems=mapping_problems(header=header, mapping=mapping, kind=kind),
    )


def _unreported(done: int) -> None:
    """A preview's checks report no progress: nobody polls them."""

"""Reading an uploaded CSV file for an import: the columns of each kind, the checks of the file
as a whole, its rows and cells, and the row errors and duplicate suggestions an import reports
(see services.imports)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypedDict

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.uploads import file_refusal, upload_text
from tenant_apps.donations.models import ImportKind
from tenant_apps.donors import services as donors

# so that the spreadsheet would not read it as a formula.
ESCAPED_FORMULA = re.compile(r"^'[=+\-@\t\r]")
TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0"})

DONOR_COLUMNS = donors.DONOR_CSV_COLUMNS
GIFT_COLUMNS = (
    "donor_id",
    "donor_email",
    "amount",
    "received_on",
    "method",
    "fund",
    "campaign",
    "check_number",
    "designation",
    "payment_reference",
    "goods_services_value",
    "goods_services_description",
    "in_kind_description",
)
# What each column holds, for the upload page (and a person writing a file by hand).
COLUMN_HELP: dict[str, dict[str, str]] = {
    ImportKind.DONORS: {
        "type": "individual or organization; empty: organization when only organization_name "
        "is given, else individual",
        "first_name": "an individual needs a first or a last name",
        "last_name": "",
        "organization_name": "required for an organization",
        "email": "one address, the donor's primary",
        "phone": "7 to 15 digits, in any format",
        "address_line1": "required when any other part of the address is given",
        "address_line2": "",
        "city": "",
        "region": "state or province",
        "postcode": "",
        "country": "two-letter code (US, CA, GB...); empty: US",
        "tags": "tag names separated by ; (new names create tags)",
        "email_ok": "yes or no (empty: yes)",
        "email_news_ok": "yes or no (empty: no): asked to be sent news and appeals by email",
        "mail_ok": "yes or no (empty: yes)",
        "phone_ok": "yes or no (empty: yes)",
        "do_not_contact": "yes or no (empty: no)",
        "notes": "",
    },
    ImportKind.GIFTS: {
        "donor_id": "the donor's number; donor_id or donor_email is required",
        "donor_email": "an email of exactly one donor (merged donors are not matched)",
        "amount": "more than zero, at most two decimals (1234.50 or 1,234.50)",
        "received_on": "the date received, as YYYY-MM-DD",
        "method": "cash, check, card, ach, stock or in_kind",
        "fund": "a fund code; empty: GEN",
        "campaign": "a campaign code",
        "check_number": "",
        "designation": "",
        "payment_reference": "the processor's reference; unique",
        "goods_services_value": "good-faith value of goods or services given in return",
        "goods_services_description": "required with a value given in return",
        "in_kind_description": "required for an in-kind gift",
    },
}
COLUMNS: dict[str, tuple[str, ...]] = {
    ImportKind.DONORS: DONOR_COLUMNS,
    ImportKind.GIFTS: GIFT_COLUMNS,
}
# At least one column of each group is in the header.
REQUIRED_COLUMNS: dict[str, tuple[tuple[str, ...], ...]] = {
    ImportKind.DONORS: (("first_name", "last_name", "organization_name"),),
    ImportKind.GIFTS: (("donor_id", "donor_email"), ("amount",), ("received_on",), ("method",)),
}
# The longest a cell may be, for the columns whose service names the whole group ("addresses")
# rather than the column: the file's author is told which column.
COLUMN_MAX_LENGTH = {
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "region": 100,
    "postcode": 20,
    "phone": 40,
    "email": 254,
}


class RowError(TypedDict):
    row: int
    column: str
    message: str


def row_error(row: int, column: str, message: str) -> RowError:
    return {"row": row, "column": column, "message": message}


@dataclass(frozen=True)
class CsvRow:
    number: int  # as a spreadsheet shows it: the header is row 1
    values: dict[str, str]
    stray: str = ""  # what is wrong with the row's shape, if anything
    # Cells that no text column can hold, as (column, message); their values are left empty.
    unreadable: tuple[tuple[str, str], ...] = ()

    def shape_errors(self) -> list[RowError]:
        """What is wrong with the row as read, before any rule of the kind is checked."""
        errors = [row_error(self.number, "", self.stray)] if self.stray else []
        errors += [row_error(self.number, column, message) for column, message in self.unreadable]
        return errors


@dataclass(frozen=True)
class CsvFile:
    columns: list[str]
    rows: list[CsvRow]


class DuplicateSuggestion(TypedDict, total=False):
    row: int
    reasons: list[str]
    donor: int
    donor_name: str
    same_as_row: int
    gift: int


def _cell(value: str) -> str:
    value = value.strip()
    if ESCAPED_FORMULA.match(value):
        return value[1:]
    return value


# PostgreSQL's text cannot hold a NUL character (a zero byte), and spreadsheets never write one:
# a file that has one was damaged or made by a program, so the cell is named, not guessed at.
_NUL = "\x00"
_NUL_MESSAGE = "The cell holds a NUL character (a zero byte), which text cannot hold; remove it."
# More columns than any export of a donor database writes: past this the file is not a list.
MAX_COLUMNS = 200


@dataclass(frozen=True)
class CsvRecords:
    """A file's header as written (each name stripped) and its records, blank lines left out."""

    header: list[str]
    records: list[tuple[int, list[str]]]  # (row number as a spreadsheet shows it, cells)


def csv_records(content: bytes, *, limit: int | None = None) -> CsvRecords:
    """The header and the records (the first `limit` of them, if given) of a CSV file, or a
    ServiceError (on `file`) about the file as a whole: empty, not UTF-8, not CSV, a header
    with a NUL character or too many columns, no rows."""
    text = upload_text(content)
    if not text.strip():
        raise file_refusal("The file is empty.")
    # Strict: a quote left open would otherwise swallow the rest of the file into one cell.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    try:
        header = next(reader)
        for position, name in enumerate(header, start=1):
            if _NUL in name:
                raise file_refusal(
                    f"Column {position} of the header holds a NUL character (a zero byte); "
                    "remove it and upload the file again."
                )
        if len(header) > MAX_COLUMNS:
            raise file_refusal(
                f"The header has {len(header)} columns; a file may have at most {MAX_COLUMNS}. "
                "Leave out the columns you do not need."
            )
        for number, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue  # a blank line, as spreadsheets leave at the end
            records.append((number, record))
            if limit is not None and len(records) >= limit:
                break
    except csv.Error as error:
        raise file_refusal(
            f"The file is not valid CSV near line {reader.line_num}: {error}."
        ) from None
    if not records:
        raise file_refusal("The file has a header but no rows.")
    return CsvRecords(header=[name.strip() for name in header], records=records)


def _header_check(header: list[str], kind: str) -> list[str]:
    """The fields a header names itself (a file sent to the API): known, once each, and the
    required ones there."""
    names = [name.lower() for name in header]
    known = COLUMNS[kind]
    named = [name for name in names if name]
    repeated = sorted({name for name in named if named.count(name) > 1})
    if repeated:
        raise file_refusal(f"The header names a column twice: {', '.join(repeated)}.")
    unknown = [name for name in named if name not in known]
    if unknown:
        raise file_refusal(
            f"Unknown column{'s' if len(unknown) > 1 else ''} in the header: "
            f"{', '.join(unknown)}. The columns of a {kind} file are: {', '.join(known)}."
        )
    for group in REQUIRED_COLUMNS[kind]:
        if not set(group) & set(named):
            wanted = " or ".join(group)
            raise file_refusal(f"The header has no {wanted} column: a {kind} file needs it.")
    return names


def csv_rows(read: CsvRecords, columns: Sequence[str | None]) -> list[CsvRow]:
    """The records as {field: value}. `columns` names the field of each column by position:
    "" for a column whose header is empty (a value there is a row error), None for a column
    left out (its values are not read)."""
    rows = []
    for number, record in read.records:
        values = {name: _cell(cell) for name, cell in zip(columns, record, strict=False) if name}
        unreadable = tuple((name, _NUL_MESSAGE) for name, value in values.items() if _NUL in value)
        for name, _message in unreadable:
            values[name] = ""
        stray = ""
        if len(record) > len(columns) and any(cell.strip() for cell in record[len(columns) :]):
            stray = (
                f"The row has {len(record)} cells and the header {len(columns)} columns: "
                "a value is outside every column (a comma not in quotes?)."
            )
        elif any(cell.strip() for name, cell in zip(columns, record, strict=False) if name == ""):
            stray = "A value is in a column whose header is empty."
        rows.append(CsvRow(number=number, values=values, stray=stray, unreadable=unreadable))
    return rows


def csv_read(content: bytes, *, kind: str, mapping: Sequence[str] | None = None) -> CsvFile:
    """The file's rows as {field: value}, or a ServiceError (on `file`) about the file as a
    whole (see csv_records). Without a `mapping` the header names the fields, and a header
    with unknown or missing columns is refused; with one (checked by
    import_columns.mapping_check), column i is read as the field mapping[i], "" leaving it out."""
    read = csv_records(content)
    if mapping is None:
        columns: list[str | None] = list(_header_check(read.header, kind))
    else:
        columns = [field or None for field in mapping]
    return CsvFile(columns=[name for name in columns if name], rows=csv_rows(read, columns))


def refusal_errors(
    row: int, refusals: Iterable[ServiceError], column_of: Callable[[str, str], str]
) -> list[RowError]:
    """The services' refusals as row errors: each field they name becomes its column."""
    errors = []
    for refusal in refusals:
        for service_field, messages in (refusal.fields or {"": [refusal.message]}).items():
            detail = " ".join(str(message) for message in messages)
            errors.append(row_error(row, column_of(service_field, detail), refusal.message))
    return errors


# A few believable rows of each kind, for the sample files of the imports page: every column is
# in the sample's header, and the gifts are from the sample donors (by email), so the donors'
# file and then the gifts' file import cleanly.
SAMPLE_ROWS: dict[str, list[dict[str, str]]] = {
    ImportKind.DONORS: [
        {
            "type": "individual",
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace.hopper@example.org",
            "phone": "(555) 010-1000",
            "address_line1": "1 Navy Way",
            "city": "Arlington",
            "region": "VA",
            "postcode": "22201",
            "country": "US",
            "tags": "Board; Monthly donors",
            "email_ok": "yes",
            "mail_ok": "yes",
            "phone_ok": "no",
            "do_not_contact": "no",
            "notes": "Met at the spring gala",
        },
        {
            "type": "organization",
            "organization_name": "Riverside Community Foundation",
            "email": "grants@riverside-foundation.example.org",
            "phone": "555-010-2000",
            "address_line1": "200 Main Street",
            "address_line2": "Suite 4",
            "city": "Springfield",
            "region": "IL",
            "postcode": "62701",
            "country": "US",
            "tags": "Foundations",
        },
        {
            "type": "individual",
            "first_name": "Alan",
            "last_name": "Turing",
            "email": "alan.turing@example.org",
            "tags": "Volunteers",
            "mail_ok": "no",
        },
    ],
    ImportKind.GIFTS: [
        {
            "donor_email": "grace.hopper@example.org",
            "amount": "250.00",
            "received_on": "2026-11-02",
            "method": "check",
            "fund": "GEN",
            "check_number": "1042",
            "designation": "Year-end appeal",
        },
        {
            "donor_email": "grants@riverside-foundation.example.org",
            "amount": "5000.00",
            "received_on": "2026-11-14",
            "method": "ach",
            "fund": "GEN",
            "designation": "Operating grant",
        },
        {
            "donor_email": "alan.turing@example.org",
            "amount": "120.00",
            "received_on": "2026-11-20",
            "method": "card",
            "goods_services_value": "40.00",
            "goods_services_description": "Gala dinner ticket",
        },
    ],
}

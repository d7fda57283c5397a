"""Reading a payroll provider's pay-run file (CSV): one row a person, with who they are and what
the run cost for them. The header names the columns; these names are recognized, in any case,
with spaces, underscores or hyphens alike:

- who: `employee id` (the number the pay-run pages show for each staff member), `email` (or
  `employee email`), `employee name` (or `name`, `employee`); one of them at least. A row with
  an employee id is matched by it alone; else by its email, and when no staff member has that
  email, by its name;
- `gross pay` (or `gross`), `employer taxes` (or `employer tax`, `employer payroll taxes`),
  `benefits` (or `employer benefits`): amounts in dollars, `$` and thousands separators allowed,
  empty read as zero.

Every problem is reported with its line number in the file (the header is line 1); the rows are
matched to staff records by the pay-run service, which saves nothing unless every row is good.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from saas_platform.lib.errors import ServiceError

MAX_ROWS = 2000
MAX_FILE_BYTES = 1024 * 1024
MAX_AMOUNT = Decimal("9999999999.99")

HEADERS: dict[str, tuple[str, ...]] = {
    "employee_id": ("employee id", "employee number"),
    "email": ("email", "employee email", "email address"),
    "name": ("employee name", "name", "employee", "full name"),
    "gross_pay": ("gross pay", "gross"),
    "employer_taxes": ("employer taxes", "employer tax", "employer payroll taxes"),
    "benefits": ("benefits", "employer benefits"),
}
AMOUNT_COLUMNS = {
    "gross_pay": "gross pay",
    "employer_taxes": "employer taxes",
    "benefits": "benefits",
}
WHO_COLUMNS = ("employee_id", "email", "name")


@dataclass(frozen=True)
class CsvPayLine:
    line_number: int
    employee_id: str
    email: str
    name: str
    gross_pay: Decimal
    employer_taxes: Decimal
    benefits: Decimal


def _normal(header: str) -> str:
    return re.sub(r"[\s_\-]+", " ", header.strip().lower())


def _columns_of(header: list[str]) -> dict[str, int]:
    """Which column holds each field; refused when an amount or every way of naming the
    person is missing, or when a field has two columns."""
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        normal = _normal(name)
        for field, names in HEADERS.items():
            if normal in names:
                if field in columns:
                    raise ServiceError(
                        f"Two columns of the file give {names[0]}; keep one.",
                        fields={"file": [f"Line 1: two columns for {names[0]}."]},
                    )
                columns[field] = index
    missing = [label for field, label in AMOUNT_COLUMNS.items() if field not in columns]
    if not any(field in columns for field in WHO_COLUMNS):
        missing.insert(0, "employee id, email or employee name")
    if missing:
        raise ServiceError(
            "The file's header lacks " + ", ".join(missing) + ".",
            fields={"file": ["Line 1: the header needs " + "; ".join(missing) + "."]},
        )
    return columns


def amount_read(text: str) -> Decimal:
    """An amount as a provider writes it: `1,234.50`, `$1,234.50`, or empty for zero."""
    cleaned = text.strip().replace("$", "").replace(",", "")
    if not cleaned:
        return Decimal("0.00")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{text.strip()!r} is not an amount") from None
    if not amount.is_finite():
        raise ValueError(f"{text.strip()!r} is not an amount")
    if amount < 0:
        raise ValueError(f"{text.strip()} is negative")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"{text.strip()} has more than two decimal places")
    if amount > MAX_AMOUNT:
        raise ValueError(f"{text.strip()} is too large")
    return amount.quantize(Decimal("0.01"))


def pay_run_csv_read(raw: bytes) -> tuple[list[CsvPayLine], list[str]]:
    """The rows of the file and the problems of its rows ("Line 4: ..."); a file that cannot be
    read at all (not UTF-8, no header, too many rows) raises ServiceError."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ServiceError(
            "The file is not UTF-8 text; export it from the payroll provider as CSV (UTF-8).",
            fields={"file": ["Not a UTF-8 CSV file."]},
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ServiceError("The file is empty.", fields={"file": ["Line 1: no header."]}) from None
    columns = _columns_of(header)
    lines: list[CsvPayLine] = []
    problems: list[str] = []
    try:
        rows = list(reader)
    except csv.Error as error:
        raise ServiceError(
            f"The file is not valid CSV: {error}.", fields={"file": [str(error)]}
        ) from None
    if len(rows) > MAX_ROWS:
        raise ServiceError(
            f"The file has more than {MAX_ROWS:,} rows; import it in parts.",
            fields={"file": ["Too many rows."]},
        )
    for offset, row in enumerate(rows):
        line_number = offset + 2
        if not any(cell.strip() for cell in row):
            continue

        def cell(field: str, row: list[str] = row) -> str:
            index = columns.get(field)
            return row[index].strip() if index is not None and index < len(row) else ""

        row_problems = []
        amounts: dict[str, Decimal] = {}
        for field, label in AMOUNT_COLUMNS.items():
            try:
                amounts[field] = amount_read(cell(field))
            except ValueError as error:
                row_problems.append(f"{label}: {error}")
        if not any(cell(field) for field in WHO_COLUMNS):
            row_problems.append("no employee id, email or name")
        if amounts and len(amounts) == len(AMOUNT_COLUMNS) and not any(amounts.values()):
            row_problems.append("it pays nothing (gross pay, taxes and benefits are all zero)")
        if row_problems:
            problems.append(f"Line {line_number}: " + "; ".join(row_problems) + ".")
            continue
        lines.append(
            CsvPayLine(
                line_number=line_number,
                employee_id=cell("employee_id"),
                email=cell("email"),
                name=cell("name"),
                **amounts,
            )
        )
    if not lines and not problems:
        raise ServiceError(
            "The file has a header and no rows.", fields={"file": ["No rows after the header."]}
        )
    return lines, problems

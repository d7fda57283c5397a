"""Reading bank statement files: OFX and QFX (through ofxparse) and CSV with a column mapping.
A file that cannot be read is a ServiceError saying why; nothing is written here."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import ofxparse

from saas_platform.lib.errors import ServiceError

MAX_LINES = 20_000
DATE_FORMATS = {
    "%Y-%m-%d": "Year-month-day (2026-11-30)",
    "%m/%d/%Y": "Month/day/year (11/30/2026)",
    "%d/%m/%Y": "Day/month/year (30/11/2026)",
}


@dataclass(frozen=True)
class ParsedLine:
    date: date
    amount: Decimal
    description: str
    reference: str


@dataclass
class ParsedStatement:
    lines: list[ParsedLine] = field(default_factory=list)
    closing_balance: Decimal | None = None
    statement_date: date | None = None


@dataclass(frozen=True)
class CsvMapping:
    """Which column (by its header) holds what; `amount`, or `debit` and `credit`."""

    date: str
    description: str
    amount: str = ""
    debit: str = ""
    credit: str = ""
    reference: str = ""
    date_format: str = "%Y-%m-%d"


def _refuse(message: str) -> ServiceError:
    return ServiceError(message, fields={"file": [message]})


def _text(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _refuse("The file is not text: choose the statement's OFX, QFX or CSV file.")


def _amount(value: Decimal) -> Decimal:
    amount = value.quantize(Decimal("0.01"))
    if abs(amount) > Decimal("999999999999.99"):
        raise _refuse(f"An amount in the file is too large: {value}.")
    return amount


def ofx_read(raw: bytes) -> ParsedStatement:
    """The transactions, closing balance and date of an OFX or QFX file's first account."""
    try:
        ofx = ofxparse.OfxParser.parse(io.BytesIO(raw))
        account = ofx.accounts[0] if ofx.accounts else None
        statement = account.statement if account is not None else None
        transactions = list(statement.transactions) if statement is not None else []
    except Exception as error:  # ofxparse raises anything from its parser on a bad file
        raise _refuse(
            "The file could not be read as an OFX or QFX statement "
            f"({type(error).__name__}). Download it again from the bank, or use CSV."
        ) from None
    if statement is None:
        raise _refuse("The file holds no bank statement.")
    if len(transactions) > MAX_LINES:
        raise _refuse(f"The file has more than {MAX_LINES:,} lines; import it in parts.")
    parsed = ParsedStatement()
    for transaction in transactions:
        try:
            amount = _amount(Decimal(transaction.amount))
            day = transaction.date.date() if isinstance(transaction.date, datetime) else None
        except (InvalidOperation, TypeError, ValueError, AttributeError):
            raise _refuse("A transaction in the file has no readable amount or date.") from None
        if day is None:
            raise _refuse("A transaction in the file has no date.")
        if not amount:
            continue
        description = " ".join(
            part.strip() for part in (transaction.payee or "", transaction.memo or "") if part
        )
        parsed.lines.append(
            ParsedLine(day, amount, description[:255], str(transaction.id or "").strip()[:255])
        )
    balance = getattr(statement, "balance", None)
    if balance is not None:
        try:
            parsed.closing_balance = _amount(Decimal(balance))
        except (InvalidOperation, TypeError, ValueError):
            parsed.closing_balance = None
    end = getattr(statement, "balance_date", None) or getattr(statement, "end_date", None)
    if isinstance(end, datetime):
        parsed.statement_date = end.date()
    return parsed


def csv_headers(raw: bytes) -> list[str]:
    """The header row of a CSV file, to choose the mapping from."""
    rows = csv.reader(io.StringIO(_text(raw)))
    header = next(rows, None)
    if not header or not any(cell.strip() for cell in header):
        raise _refuse("The CSV file is empty: its first row must name the columns.")
    return [cell.strip() for cell in header]


def _csv_amount(value: str, *, row: int, column: str) -> Decimal:
    cleaned = value.strip().replace(",", "").replace("$", "")
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    cleaned = cleaned.strip("()")
    if not cleaned:
        return Decimal("0")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise _refuse(f"Row {row}, column “{column}”: “{value}” is not an amount.") from None
    if not amount.is_finite():
        raise _refuse(f"Row {row}, column “{column}”: “{value}” is not an amount.")
    return _amount(-amount if negative else amount)


def csv_read(raw: bytes, mapping: CsvMapping) -> ParsedStatement:
    """The lines of a CSV statement, read through `mapping`; the first bad row refuses all."""
    reader = csv.DictReader(io.StringIO(_text(raw)))
    headers = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = headers
    wanted = [mapping.date, mapping.description, mapping.reference]
    wanted += [mapping.amount] if mapping.amount else [mapping.debit, mapping.credit]
    if not mapping.amount and not (mapping.debit and mapping.credit):
        raise _refuse("Choose the amount column, or both the debit and credit columns.")
    missing = [name for name in wanted if name and name not in headers]
    if missing:
        raise _refuse(f"The file has no column named {', '.join(missing)}.")
    if mapping.date_format not in DATE_FORMATS:
        raise _refuse("Choose how the file writes its dates.")
    parsed = ParsedStatement()
    for row_number, row in enumerate(reader, start=2):
        if row_number - 1 > MAX_LINES:
            raise _refuse(f"The file has more than {MAX_LINES:,} lines; import it in parts.")
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        raw_date = (row.get(mapping.date) or "").strip()
        try:
            day = datetime.strptime(raw_date, mapping.date_format).date()  # noqa: DTZ007
        except ValueError:
            raise _refuse(
                f"Row {row_number}, column “{mapping.date}”: “{raw_date}” is not a date as "
                f"{DATE_FORMATS[mapping.date_format].split(' (')[0].lower()}."
            ) from None
        if mapping.amount:
            amount = _csv_amount(
                row.get(mapping.amount) or "", row=row_number, column=mapping.amount
            )
        else:
            debit = _csv_amount(row.get(mapping.debit) or "", row=row_number, column=mapping.debit)
            credit = _csv_amount(
                row.get(mapping.credit) or "", row=row_number, column=mapping.credit
            )
            # A bank's debit takes money out of the account, its credit puts money in.
            amount = abs(credit) - abs(debit)
        if not amount:
            continue
        description = (row.get(mapping.description) or "").strip()[:255]
        reference = (row.get(mapping.reference) or "").strip()[:255] if mapping.reference else ""
        parsed.lines.append(ParsedLine(day, amount, description, reference))
    if not parsed.lines:
        raise _refuse("The file has no statement lines.")
    return parsed

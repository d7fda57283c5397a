"""Reading statement files: the shipped OFX, CSV through a mapping, and files refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from saas_platform.lib.errors import ServiceError
from tenant_apps.banking.statement_files import CsvMapping, csv_headers, csv_read, ofx_read
from tenant_apps.banking.tests.factories import SAMPLE_OFX


def test_the_sample_ofx_is_read_with_its_balance_and_date() -> None:
    parsed = ofx_read(SAMPLE_OFX.read_bytes())
    assert [(line.date, line.amount, line.reference) for line in parsed.lines] == [
        (date(2026, 11, 4), Decimal("1250.00"), "202611040001"),
        (date(2026, 11, 20), Decimal("-800.00"), "202611200002"),
        (date(2026, 11, 30), Decimal("-15.00"), "202611300003"),
    ]
    assert parsed.lines[2].description == "MONTHLY SERVICE FEE"
    assert parsed.closing_balance == Decimal("435.00")
    assert parsed.statement_date == date(2026, 11, 30)


@pytest.mark.parametrize("raw", [b"", b"not a statement", b"<OFX><BANKMSGSRSV1>", b"\x89PNG\x00"])
def test_a_file_that_is_not_ofx_is_refused_with_a_message(raw: bytes) -> None:
    with pytest.raises(ServiceError, match="OFX|statement"):
        ofx_read(raw)


CSV = (
    b"Posted,Details,Debit,Credit,Ref\n"
    b"11/04/2026,Deposit,,1250.00\n"
    b"11/20/2026,Check 1042,800.00,,\n"
)


def test_csv_with_debit_and_credit_columns() -> None:
    assert csv_headers(CSV) == ["Posted", "Details", "Debit", "Credit", "Ref"]
    mapping = CsvMapping(
        date="Posted",
        description="Details",
        debit="Debit",
        credit="Credit",
        reference="Ref",
        date_format="%m/%d/%Y",
    )
    parsed = csv_read(CSV, mapping)
    assert [(line.date, line.amount, line.description) for line in parsed.lines] == [
        (date(2026, 11, 4), Decimal("1250.00"), "Deposit"),
        (date(2026, 11, 20), Decimal("-800.00"), "Check 1042"),
    ]


def test_csv_with_one_signed_amount_column_and_parentheses() -> None:
    raw = b'Date,Amount,Memo\n2026-11-30,(15.00),Fee\n2026-11-30,"1,000.50",Grant\n'
    parsed = csv_read(raw, CsvMapping(date="Date", amount="Amount", description="Memo"))
    assert [line.amount for line in parsed.lines] == [Decimal("-15.00"), Decimal("1000.50")]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"Date,Amount,Memo\n30/11/2026,5,Fee\n", "Row 2, column “Date”"),
        (b"Date,Amount,Memo\n2026-11-30,five,Fee\n", "Row 2, column “Amount”: “five”"),
        (b"Day,Amount,Memo\n2026-11-30,5,Fee\n", "no column named Date"),
        (b"Date,Amount,Memo\n", "no statement lines"),
        (b"Date,Amount,Memo\n2026-11-30,NaN,Fee\n", "not an amount"),
    ],
)
def test_bad_csv_rows_are_refused_naming_the_row(raw: bytes, message: str) -> None:
    with pytest.raises(ServiceError, match=message):
        csv_read(raw, CsvMapping(date="Date", amount="Amount", description="Memo"))

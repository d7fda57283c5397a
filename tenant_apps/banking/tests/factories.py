"""Statements for the bank desk's tests, imported through the service as a file would be."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from tenant_apps.accounting.models import Account
from tenant_apps.banking.models import BankStatement
from tenant_apps.banking.services.statements import statement_import
from tenant_apps.banking.statement_files import ParsedLine, ParsedStatement

SAMPLE_OFX = Path(__file__).resolve().parent / "data" / "checking-2026-11.ofx"


def statement_made(
    lines: list[tuple[date, str, str]],
    *,
    closing: str,
    statement_date: date,
    account_code: str = "1010",
) -> BankStatement:
    """A statement of the account with (date, amount, description) lines, references made up."""
    parsed = ParsedStatement(
        lines=[
            ParsedLine(day, Decimal(amount), description, f"T{index}-{day:%Y%m%d}-{amount}")
            for index, (day, amount, description) in enumerate(lines)
        ],
        closing_balance=Decimal(closing),
        statement_date=statement_date,
    )
    return statement_import(
        account=Account.objects.get(code=account_code),
        parsed=parsed,
        source_name="test.csv",
        acting_user=None,  # type: ignore[arg-type]  # imported by the system in tests
    ).statement

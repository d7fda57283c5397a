"""Importing a bank statement: its lines (a line the account already holds, by the bank's id,
is skipped), its closing balance and date, and the reconciliation it opens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.inputs import date_check
from tenant_apps.accounting.models import Account
from tenant_apps.banking.models import (
    BankStatement,
    Reconciliation,
    ReconciliationState,
    StatementLine,
)
from tenant_apps.banking.statement_files import ParsedStatement
from tenant_apps.core.services import actor_of, audit_record

if TYPE_CHECKING:
    from shared_apps.users.models import User


@dataclass(frozen=True)
class ImportResult:
    statement: BankStatement
    added: int
    skipped: int

    @property
    def summary(self) -> str:
        added = f"{self.added:,} line{'s' if self.added != 1 else ''} imported"
        if self.skipped:
            return f"{added}, {self.skipped:,} already imported skipped"
        return added


def _statement_for(
    account: Account, statement_date: date, closing_balance: Decimal, source_name: str, user: User
) -> BankStatement:
    """The account's statement of that date (a second file of the same date adds to it, unless
    its reconciliation is finished), or a new one with its reconciliation."""
    statement = (
        BankStatement.objects.select_for_update()
        .filter(account=account, statement_date=statement_date)
        .first()
    )
    if statement is None:
        statement = BankStatement.objects.create(
            account=account,
            statement_date=statement_date,
            closing_balance=closing_balance,
            source_name=source_name[:255],
            imported_by=actor_of(user),
        )
        Reconciliation.objects.create(
            statement=statement, account=account, statement_date=statement_date
        )
        return statement
    if statement.reconciliation.state == ReconciliationState.FINISHED:
        raise StateConflict(
            f"The statement of {statement_date:%B} {statement_date.day}, {statement_date.year} "
            "is reconciled and locked; nothing can be added to it."
        )
    statement.closing_balance = closing_balance
    statement.source_name = source_name[:255]
    statement.save(update_fields=["closing_balance", "source_name"])
    return statement


def statement_import(
    *,
    account: Account,
    parsed: ParsedStatement,
    source_name: str,
    acting_user: User,
    statement_date: date | None = None,
    closing_balance: Decimal | None = None,
) -> ImportResult:
    """Write a parsed statement's lines to `account`; the date and closing balance given win
    over the file's. All or nothing."""
    statement_date = statement_date or parsed.statement_date
    if closing_balance is None:
        closing_balance = parsed.closing_balance
    if statement_date is None:
        raise ServiceError(
            "The file does not say the statement's date: enter it.",
            fields={"statement_date": ["Enter the statement's date."]},
        )
    if closing_balance is None:
        raise ServiceError(
            "The file does not say the closing balance: enter it.",
            fields={"closing_balance": ["Enter the closing balance."]},
        )
    statement_date = date_check(statement_date, field="statement_date")
    if not parsed.lines:
        raise ServiceError("The file has no statement lines.", fields={"file": ["No lines."]})
    late = [line for line in parsed.lines if line.date > statement_date]
    if late:
        raise ServiceError(
            f"{len(late)} line(s) are dated after the statement date "
            f"({late[0].date.isoformat()}): check the statement date.",
            fields={"statement_date": ["Earlier than some of the lines."]},
        )
    with transaction.atomic(durable=True):
        statement = _statement_for(
            account, statement_date, closing_balance, source_name, acting_user
        )
        references = {line.reference for line in parsed.lines if line.reference}
        known = set(
            StatementLine.objects.filter(account=account, reference__in=references).values_list(
                "reference", flat=True
            )
        )
        seen: set[str] = set()
        new_lines = []
        for line in parsed.lines:
            if line.reference and (line.reference in known or line.reference in seen):
                continue
            seen.add(line.reference)
            new_lines.append(
                StatementLine(
                    statement=statement,
                    account=account,
                    date=line.date,
                    amount=line.amount,
                    description=line.description,
                    reference=line.reference,
                )
            )
        StatementLine.objects.bulk_create(new_lines)
        skipped = len(parsed.lines) - len(new_lines)
        audit_record(
            "bank.statement_import",
            acting_user=acting_user,
            obj=statement,
            account=account.code,
            added=len(new_lines),
            skipped=skipped,
            source=source_name[:255],
        )
    return ImportResult(statement=statement, added=len(new_lines), skipped=skipped)

"""Clearing statement lines against the books: automatically (same amount within a few days,
where only one pairing is possible), by hand (one or several ledger items summing to the line),
by an entry made from the line (bank fees, interest), and undone while the reconciliation is
open. A reconciliation finishes when the difference is zero, and is then locked."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from saas_platform.lib.errors import ServiceError, StateConflict
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import EntrySource, Function
from tenant_apps.banking import selectors
from tenant_apps.banking.models import (
    BankStatement,
    Match,
    MatchedLine,
    MatchKind,
    Reconciliation,
    ReconciliationState,
    StatementLine,
)
from tenant_apps.core.services import actor_of, audit_record

if TYPE_CHECKING:
    from shared_apps.users.models import User

# What "create entry" posts against, by the direction of the money.
FEE_ACCOUNT = "8550"  # bank and merchant fees
INTEREST_ACCOUNT = "5110"  # investment income (interest and dividends)
DEFAULT_FUND = "GEN"


def _open_reconciliation(statement: BankStatement) -> Reconciliation:
    """The statement's reconciliation, locked for this transaction; refused once finished."""
    reconciliation = Reconciliation.objects.select_for_update().get(statement=statement)
    if reconciliation.state == ReconciliationState.FINISHED:
        raise StateConflict(
            "This reconciliation is finished and locked: its matches cannot change."
        )
    return reconciliation


def _unmatched_line(statement_line: StatementLine) -> StatementLine:
    line = StatementLine.objects.select_for_update().get(pk=statement_line.pk)
    if Match.objects.filter(statement_line=line).exists():
        raise StateConflict("This statement line is already matched; unmatch it first.")
    return line


def _match_write(
    line: StatementLine, items: Sequence[selectors.LedgerItem], kind: str, user: User | None
) -> Match:
    match = Match.objects.create(statement_line=line, kind=kind, matched_by=actor_of(user))
    MatchedLine.objects.bulk_create(
        MatchedLine(match=match, journal_line_id=line_id)
        for item in items
        for line_id in item.line_ids
    )
    return match


# --- Automatic -------------------------------------------------------------------------------


def auto_match(*, statement: BankStatement, acting_user: User | None) -> int:
    """Match each unmatched line of the statement to the one uncleared ledger item of the same
    amount dated within the window, where that item could match no other line. Returns how
    many lines were matched. One query for the lines, one for the items, two writes."""
    with transaction.atomic():
        _open_reconciliation(statement)
        lines = list(
            StatementLine.objects.filter(statement=statement, match__isnull=True).order_by(
                "date", "id"
            )
        )
        if not lines:
            return 0
        window = selectors.MATCH_WINDOW
        items = selectors.ledger_items(
            statement.account,
            start=min(line.date for line in lines) - window,
            end=max(line.date for line in lines) + window,
        )
        items_of_amount: dict[Decimal, list[selectors.LedgerItem]] = defaultdict(list)
        for item in items:
            items_of_amount[item.amount].append(item)
        candidates: dict[int, list[selectors.LedgerItem]] = {}
        claims: dict[int, int] = defaultdict(int)  # ledger item -> lines it could match
        for line in lines:
            near = [
                item
                for item in items_of_amount.get(line.amount, ())
                if abs(item.date - line.date) <= window
            ]
            candidates[line.pk] = near
            for item in near:
                claims[item.entry_id] += 1
        pairs = [
            (line, found[0])
            for line in lines
            if len(found := candidates[line.pk]) == 1 and claims[found[0].entry_id] == 1
        ]
        if not pairs:
            return 0
        user = actor_of(acting_user)
        matches = Match.objects.bulk_create(
            Match(statement_line=line, kind=MatchKind.AUTOMATIC, matched_by=user)
            for line, _ in pairs
        )
        MatchedLine.objects.bulk_create(
            MatchedLine(match=match, journal_line_id=line_id)
            for match, (_, item) in zip(matches, pairs, strict=True)
            for line_id in item.line_ids
        )
        audit_record("bank.auto_match", acting_user=acting_user, obj=statement, matched=len(pairs))
    return len(pairs)


# --- By hand ---------------------------------------------------------------------------------


def match_create(
    *, statement_line: StatementLine, entry_ids: Sequence[int], acting_user: User | None
) -> Match:
    """Match a line to the uncleared ledger items of these entries, which must sum to it: one
    is a manual match, several a split."""
    entry_ids = sorted(set(entry_ids))
    if not entry_ids:
        raise ServiceError(
            "Choose the ledger lines that match this statement line.",
            fields={"entries": ["Choose at least one."]},
        )
    with transaction.atomic():
        _open_reconciliation(statement_line.statement)
        line = _unmatched_line(statement_line)
        items = selectors.ledger_items(line.statement.account, entry_ids=entry_ids)
        if len(items) != len(entry_ids):
            raise StateConflict(
                "One of the chosen ledger lines is already matched or is not on this account."
            )
        total = sum((item.amount for item in items), Decimal("0"))
        if total != line.amount:
            raise ServiceError(
                f"The chosen ledger lines add up to {total:,.2f}; the statement line is "
                f"{line.amount:,.2f}. Choose lines that add up to it.",
                fields={"entries": ["They do not add up to the statement line."]},
            )
        kind = MatchKind.SPLIT if len(items) > 1 else MatchKind.MANUAL
        match = _match_write(line, items, kind, acting_user)
        audit_record(
            "bank.match",
            acting_user=acting_user,
            obj=match,
            statement_line=line.pk,
            entries=entry_ids,
            kind=kind,
        )
    return match


def match_remove(*, statement_line: StatementLine, acting_user: User | None) -> None:
    """Undo a line's match while its reconciliation is open (an entry created from the line
    stays in the books: reverse it in the journal if it was wrong)."""
    with transaction.atomic():
        _open_reconciliation(statement_line.statement)
        match = Match.objects.select_for_update().filter(statement_line=statement_line).first()
        if match is None:
            raise StateConflict("This statement line is not matched.")
        audit_record(
            "bank.unmatch",
            acting_user=acting_user,
            obj=match,
            statement_line=statement_line.pk,
            kind=match.kind,
        )
        MatchedLine.objects.filter(match=match).delete()
        match.delete()


def line_entry_create(
    *,
    statement_line: StatementLine,
    acting_user: User | None,
    account_code: str | None = None,
    fund: str = DEFAULT_FUND,
    memo: str = "",
) -> Match:
    """Post an entry for a line the books do not have yet (a bank fee, interest earned) against
    the bank account, and match the line to it. Money out is charged to `account_code` (bank
    fees by default) as management and general; money in is credited to it (interest)."""
    with transaction.atomic():
        _open_reconciliation(statement_line.statement)
        line = _unmatched_line(statement_line)
        bank = line.statement.account.code
        amount = abs(line.amount)
        memo = (memo or line.description or "Bank statement line").strip()[:500]
        if line.amount < 0:
            lines = [
                accounting.LineSpec(
                    account=account_code or FEE_ACCOUNT,
                    fund=fund,
                    debit=amount,
                    function=Function.MANAGEMENT_GENERAL,
                ),
                accounting.LineSpec(account=bank, fund=fund, credit=amount),
            ]
        else:
            lines = [
                accounting.LineSpec(account=bank, fund=fund, debit=amount),
                accounting.LineSpec(
                    account=account_code or INTEREST_ACCOUNT, fund=fund, credit=amount
                ),
            ]
        entry = accounting.entry_record(
            date=line.date,
            memo=memo,
            lines=lines,
            source=EntrySource.MANUAL,
            source_reference=f"bank-line:{line.pk}",
            acting_user=acting_user,
        )
        items = selectors.ledger_items(line.statement.account, entry_ids=[entry.pk])
        match = _match_write(line, items, MatchKind.CREATED, acting_user)
        audit_record(
            "bank.entry_create",
            acting_user=acting_user,
            obj=match,
            statement_line=line.pk,
            entry=entry.pk,
        )
    return match


# --- Finishing -------------------------------------------------------------------------------


def reconciliation_finish(*, statement: BankStatement, acting_user: User | None) -> Reconciliation:
    """Finish (and lock) the statement's reconciliation when its difference is zero and every
    earlier statement of the account is reconciled."""
    with transaction.atomic():
        reconciliation = _open_reconciliation(statement)
        earlier = Reconciliation.objects.filter(
            account_id=statement.account_id,
            statement_date__lt=statement.statement_date,
            state=ReconciliationState.IN_PROGRESS,
        ).first()
        if earlier is not None:
            raise StateConflict(
                f"Reconcile the statement of {earlier.statement_date:%B} "
                f"{earlier.statement_date.day}, {earlier.statement_date.year} first."
            )
        balances = selectors.statement_balances(statement)
        if balances.difference:
            raise ServiceError(
                f"The cleared balance is {balances.cleared_balance:,.2f} and the statement's "
                f"{balances.closing:,.2f}: a difference of {balances.difference:,.2f} is left "
                "to find. Match or create entries for the remaining lines.",
                fields={"difference": ["Not zero."]},
            )
        reconciliation.state = ReconciliationState.FINISHED
        reconciliation.finished_by = actor_of(acting_user)
        reconciliation.finished_at = timezone.now()
        reconciliation.save(update_fields=["state", "finished_by", "finished_at"])
        audit_record(
            "bank.reconciliation_finish",
            acting_user=acting_user,
            obj=reconciliation,
            account=statement.account.code,
            statement_date=statement.statement_date.isoformat(),
            balance=str(balances.closing),
        )
    return reconciliation

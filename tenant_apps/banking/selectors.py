"""Reads of the bank desk: the bank accounts with their last reconciliation, a statement's
lines, the ledger lines of a bank account not yet cleared (an entry's lines on the account as
one item, so a closed deposit of several funds is one amount), and the reconciliation's figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from tenant_apps.accounting.models import (
    LEDGER_STATES,
    Account,
    AccountType,
    FiscalPeriod,
    JournalLine,
    PeriodState,
)
from tenant_apps.banking.models import (
    BankStatement,
    Reconciliation,
    ReconciliationState,
    StatementLine,
)

ZERO = Decimal("0.00")
# The bank accounts by their Unified Chart of Accounts codes: checking and savings.
BANK_UCOA_CODES = ("1010", "1020")
# How far apart the bank's date and the books' date of the same money may be for it to be
# matched automatically.
MATCH_WINDOW = timedelta(days=3)


def bank_account_queryset() -> QuerySet[Account]:
    """Active cash accounts at a bank that take postings (no sub-accounts)."""
    return Account.objects.filter(
        type=AccountType.ASSET,
        ucoa_code__in=BANK_UCOA_CODES,
        is_active=True,
        children__isnull=True,
    ).order_by("code")


@dataclass(frozen=True)
class BankAccountRow:
    account: Account
    last_reconciled: date | None
    statements: int
    in_progress: int
    last_statement_id: int | None


def bank_account_summaries() -> QuerySet[Any]:  # Accounts, with the annotations below
    """The bank accounts, each annotated with its last finished reconciliation's date
    (`last_reconciled`), its number of statements (`statement_count`), of reconciliations in
    progress (`in_progress`) and its latest statement's id (`last_statement`): one query."""
    finished = Reconciliation.objects.filter(
        account=OuterRef("pk"), state=ReconciliationState.FINISHED
    ).order_by("-statement_date")
    in_progress = (
        Reconciliation.objects.filter(account=OuterRef("pk"), state=ReconciliationState.IN_PROGRESS)
        .values("account")
        .annotate(count=Count("pk"))
        .values("count")
    )
    statements = (
        BankStatement.objects.filter(account=OuterRef("pk"))
        .values("account")
        .annotate(count=Count("pk"))
        .values("count")
    )
    latest = BankStatement.objects.filter(account=OuterRef("pk")).order_by("-statement_date", "-id")
    return bank_account_queryset().annotate(
        last_reconciled=Subquery(finished.values("statement_date")[:1]),
        statement_count=Coalesce(Subquery(statements), 0),
        in_progress=Coalesce(Subquery(in_progress), 0),
        last_statement=Subquery(latest.values("pk")[:1]),
    )


def bank_account_list() -> list[BankAccountRow]:
    """Each bank account with its last finished reconciliation's date, in one query."""
    return [
        BankAccountRow(
            account=account,
            last_reconciled=account.last_reconciled,
            statements=account.statement_count,
            in_progress=account.in_progress,
            last_statement_id=account.last_statement,
        )
        for account in bank_account_summaries()
    ]


def statement_summaries() -> QuerySet[BankStatement]:
    """Every statement with its account, importer, reconciliation and number of lines."""
    return BankStatement.objects.select_related(
        "account", "imported_by", "reconciliation"
    ).annotate(line_count=Count("lines"))


def reconciliation_list() -> QuerySet[Reconciliation]:
    return Reconciliation.objects.select_related("account", "finished_by")


@dataclass(frozen=True)
class UnreconciledAccount:
    account: Account
    last_reconciled: date | None
    last_statement_id: int | None


@dataclass(frozen=True)
class UnreconciledAccounts:
    """Bank accounts not reconciled through the end of the last closed month (`closed_through`,
    None while no month is closed), or never reconciled at all."""

    closed_through: date | None
    accounts: list[UnreconciledAccount]


def unreconciled_accounts() -> UnreconciledAccounts:
    """The bank accounts whose last finished reconciliation is older than the last closed
    month's end, or that were never reconciled, in code order: two queries. A closed month
    whose bank was not reconciled was closed on figures nobody checked against the bank."""
    closed_through = FiscalPeriod.objects.filter(state=PeriodState.CLOSED).aggregate(
        last=Max("end")
    )["last"]
    finished = Reconciliation.objects.filter(
        account=OuterRef("pk"), state=ReconciliationState.FINISHED
    ).order_by("-statement_date")
    latest = BankStatement.objects.filter(account=OuterRef("pk")).order_by("-statement_date", "-id")
    behind = Q(last_reconciled__isnull=True)
    if closed_through is not None:
        behind |= Q(last_reconciled__lt=closed_through)
    accounts = (
        bank_account_queryset()
        .annotate(
            last_reconciled=Subquery(finished.values("statement_date")[:1]),
            last_statement=Subquery(latest.values("pk")[:1]),
        )
        .filter(behind)
    )
    return UnreconciledAccounts(
        closed_through=closed_through,
        accounts=[
            UnreconciledAccount(
                account=account,
                last_reconciled=account.last_reconciled,
                last_statement_id=account.last_statement,
            )
            for account in accounts
        ],
    )


def bank_account_by_code(code: str) -> Account | None:
    return bank_account_queryset().filter(code=code).first()


def statement_of(pk: int) -> BankStatement | None:
    return (
        BankStatement.objects.select_related("account", "reconciliation", "imported_by")
        .filter(pk=pk)
        .first()
    )


def statement_list(account: Account) -> QuerySet[BankStatement]:
    return (
        BankStatement.objects.filter(account=account)
        .select_related("reconciliation")
        .annotate(line_count=Count("lines"))
        .order_by("-statement_date", "-id")
    )


@dataclass(frozen=True)
class LedgerItem:
    """An entry's lines on a bank account, as one amount: money in is positive."""

    entry_id: int
    number: int | None
    date: date
    memo: str
    amount: Decimal
    line_ids: list[int]


def ledger_items(
    account: Account,
    *,
    start: date | None = None,
    end: date | None = None,
    cleared: bool = False,
    entry_ids: list[int] | None = None,
) -> list[LedgerItem]:
    """The account's ledger items not yet cleared (or, with `cleared`, those cleared), dated
    between `start` and `end` when given, in one query."""
    lines = JournalLine.objects.filter(
        account=account, entry__state__in=LEDGER_STATES, bank_match__isnull=not cleared
    )
    if start is not None:
        lines = lines.filter(entry__date__gte=start)
    if end is not None:
        lines = lines.filter(entry__date__lte=end)
    if entry_ids is not None:
        lines = lines.filter(entry_id__in=entry_ids)
    return _items_of(lines)


def _items_of(lines: QuerySet[JournalLine]) -> list[LedgerItem]:
    """Ledger lines grouped into items, one an entry (its lines on the account netted), in date
    order; an entry netting to zero on the account is no item."""
    rows = (
        lines.values("entry_id", "entry__number", "entry__date", "entry__memo")
        .annotate(amount=Sum(F("debit") - F("credit")), line_ids=ArrayAgg("id"))
        .filter(~Q(amount=0))
        .order_by("entry__date", "entry_id")
    )
    return [
        LedgerItem(
            entry_id=row["entry_id"],
            number=row["entry__number"],
            date=row["entry__date"],
            memo=row["entry__memo"],
            amount=row["amount"],
            line_ids=sorted(row["line_ids"]),
        )
        for row in rows
    ]


def statement_lines(statement: BankStatement) -> list[StatementLine]:
    return list(
        StatementLine.objects.filter(statement=statement)
        .select_related("match")
        .annotate(entry_numbers=ArrayAgg("match__ledger_lines__journal_line__entry__number"))
        .order_by("date", "id")
    )


@dataclass(frozen=True)
class Balances:
    """A statement's balances as reconciled: the balance it starts from (the previous
    statement's closing balance, or for the first one its closing balance less its lines), what
    is cleared, and the difference still to find."""

    beginning: Decimal
    cleared: Decimal
    closing: Decimal

    @property
    def cleared_balance(self) -> Decimal:
        return self.beginning + self.cleared

    @property
    def difference(self) -> Decimal:
        return self.closing - self.cleared_balance


def statement_balances(statement: BankStatement) -> Balances:
    sums = StatementLine.objects.filter(statement=statement).aggregate(
        total=Coalesce(Sum("amount"), ZERO),
        cleared=Coalesce(Sum("amount", filter=Q(match__isnull=False)), ZERO),
    )
    previous = (
        BankStatement.objects.filter(
            account_id=statement.account_id, statement_date__lt=statement.statement_date
        )
        .order_by("-statement_date", "-id")
        .values_list("closing_balance", flat=True)
        .first()
    )
    beginning = previous if previous is not None else statement.closing_balance - sums["total"]
    return Balances(beginning=beginning, cleared=sums["cleared"], closing=statement.closing_balance)


@dataclass(frozen=True)
class ReconciliationReport:
    statement: BankStatement
    book_balance: Decimal
    outstanding_deposits: list[LedgerItem]
    outstanding_payments: list[LedgerItem]
    bank_balance: Decimal

    @property
    def deposits_total(self) -> Decimal:
        return sum((item.amount for item in self.outstanding_deposits), ZERO)

    @property
    def payments_total(self) -> Decimal:
        return -sum((item.amount for item in self.outstanding_payments), ZERO)

    @property
    def adjusted_book_balance(self) -> Decimal:
        """The book balance less deposits the bank has not seen, plus payments it has not
        paid: the bank's balance when everything is accounted for."""
        return self.book_balance - self.deposits_total + self.payments_total

    @property
    def unexplained(self) -> Decimal:
        return self.bank_balance - self.adjusted_book_balance


def reconciliation_report(statement: BankStatement) -> ReconciliationReport:
    """The book balance at the statement date, the items in the books the bank has not cleared
    by then, and the bank's balance: two queries."""
    book_balance = JournalLine.objects.filter(
        account_id=statement.account_id,
        entry__state__in=LEDGER_STATES,
        entry__date__lte=statement.statement_date,
    ).aggregate(balance=Coalesce(Sum(F("debit") - F("credit")), ZERO))["balance"]
    outstanding = _outstanding_at(statement)
    return ReconciliationReport(
        statement=statement,
        book_balance=book_balance,
        outstanding_deposits=[item for item in outstanding if item.amount > 0],
        outstanding_payments=[item for item in outstanding if item.amount < 0],
        bank_balance=statement.closing_balance,
    )


def _outstanding_at(statement: BankStatement) -> list[LedgerItem]:
    """Items in the books by the statement date not cleared by a line of the bank dated by then
    (an item cleared by a later statement was outstanding at this one)."""
    lines = JournalLine.objects.filter(
        Q(bank_match__isnull=True)
        | Q(bank_match__match__statement_line__date__gt=statement.statement_date),
        account_id=statement.account_id,
        entry__state__in=LEDGER_STATES,
        entry__date__lte=statement.statement_date,
    )
    return _items_of(lines)


def last_reconciled(account: Account) -> date | None:
    return (
        Reconciliation.objects.filter(account=account, state=ReconciliationState.FINISHED)
        .aggregate(last=Max("statement_date"))
        .get("last")
    )

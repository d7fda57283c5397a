"""Reads of the books of the current schema: the settings and the fiscal calendar, the chart,
funds, programs, periods and entries, the ledger's sums the reports are built from, and the
cash each fund holds (for the dashboard). The financial reports are in reports.py."""

from __future__ import annotations

import functools
from calendar import monthrange
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, TypedDict

from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Concat

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.singletons import singleton_get
from tenant_apps.accounting.models import (
    LEDGER_STATES,
    MONTHS_IN_YEAR,
    Account,
    AccountingSettings,
    AccountType,
    Budget,
    BudgetLine,
    BudgetState,
    EntrySource,
    EntryState,
    FiscalPeriod,
    Fund,
    JournalEntry,
    JournalLine,
    PeriodState,
    Program,
    RecurringEntry,
    RecurringEntryLine,
    RecurringPosting,
    Restriction,
)

# --- Settings and the fiscal calendar -----------------------------------------------------


@dataclass
class BooksReference:
    """What the books are written against, kept for a books_reference_kept() block: the
    accounting settings' row and the accounts (with their children counted), funds and
    programs read so far, by code."""

    settings: AccountingSettings | None = None
    accounts: dict[str, Account] = field(default_factory=dict)
    funds: dict[str, Fund] = field(default_factory=dict)
    programs: dict[str, Program] = field(default_factory=dict)


_reference: ContextVar[BooksReference | None] = ContextVar("books_reference", default=None)


@contextmanager
def books_reference_kept() -> Iterator[None]:
    """Inside the block, the accounting settings and each account, fund and program that
    entries name are read once (a drain of Stripe's events posts hundreds of entries in one
    transaction, which read the same few rows again for every batch). For a block that writes
    none of them: what is kept is what the block read first. Outside one, every read goes to
    the database."""
    token = _reference.set(BooksReference())
    try:
        yield
    finally:
        _reference.reset(token)


def books_reference() -> BooksReference | None:
    """What the current books_reference_kept() block keeps, or None outside one."""
    return _reference.get()


def accounting_settings() -> AccountingSettings:
    kept = _reference.get()
    if kept is None:
        return singleton_get(AccountingSettings)
    if kept.settings is None:
        kept.settings = singleton_get(AccountingSettings)
    return kept.settings


def fiscal_year_of(day: date, *, start_month: int) -> int:
    """The fiscal year a date falls in, named after the calendar year the fiscal year ends in."""
    if start_month == 1 or day.month < start_month:
        return day.year
    return day.year + 1


def fiscal_year_bounds(fiscal_year: int, *, start_month: int) -> tuple[date, date]:
    start = date(fiscal_year if start_month == 1 else fiscal_year - 1, start_month, 1)
    end_year, end_month = (start.year + 1, start_month - 1) if start_month > 1 else (start.year, 12)
    return start, date(end_year, end_month, monthrange(end_year, end_month)[1])


def fiscal_year_start(day: date) -> date:
    """The first day of the organization's fiscal year that `day` falls in."""
    start_month = accounting_settings().fiscal_year_start_month
    year = fiscal_year_of(day, start_month=start_month)
    return fiscal_year_bounds(year, start_month=start_month)[0]


def fiscal_year_start_changeable() -> bool:
    """Whether the fiscal year's first month may still change: only before the first posting,
    since every posted entry, closed month and report is filed under its fiscal year."""
    return not JournalEntry.objects.exclude(state=EntryState.DRAFT).exists()


# --- Chart, periods and entries -----------------------------------------------------------


def account_list() -> QuerySet[Account]:
    return Account.objects.select_related("parent").order_by("code")


class AccountRow(TypedDict):
    code: str
    name: str
    type: str
    normal_balance: str
    ucoa_code: str
    is_active: bool
    parent_code: str | None


def account_rows() -> QuerySet[Account, AccountRow]:
    """The chart as the API lists it: rows of values, each account's parent read as its code
    (`parent_code`); no Account, and no parent Account, is built for each row."""
    # A copy of the query made once per process: making it (the columns, the parent's join)
    # cost as much as compiling it, on every read of the list. The schema is the connection's.
    return _account_rows_query().all()


@functools.cache
def _account_rows_query() -> QuerySet[Account, AccountRow]:
    return Account.objects.values(
        "code",
        "name",
        "type",
        "normal_balance",
        "ucoa_code",
        "is_active",
        parent_code=F("parent__code"),
    ).order_by("code")


def fund_list() -> QuerySet[Fund]:
    return Fund.objects.order_by("code")


def program_list() -> QuerySet[Program]:
    return Program.objects.order_by("code")


# What a time-restricted fund's release entry names as its source, around the fund's id.
_RELEASE_REFERENCE = ("fund ", " release date")


def fund_release_reference(fund: Fund) -> str:
    """The source reference of a time-restricted fund's release entry: one per fund."""
    return f"{_RELEASE_REFERENCE[0]}{fund.pk}{_RELEASE_REFERENCE[1]}"


def fund_released(fund: Fund) -> bool:
    """Whether the fund's release date has been acted on: its release entry exists."""
    return JournalEntry.objects.filter(
        source=EntrySource.RELEASE, source_reference=fund_release_reference(fund)
    ).exists()


@dataclass(frozen=True)
class ChartFilters:
    """What the chart's, funds' and programs' lists are narrowed to: `status` is "active",
    "inactive" or "" (both); `text` is found in the code or the name; `kind` is an account's
    type or a fund's restriction."""

    status: str = "active"
    text: str = ""
    kind: str = ""


def _chart_filtered[Row: (Account, Fund, Program)](
    rows: QuerySet[Row], filters: ChartFilters, *, kind_field: str
) -> QuerySet[Row]:
    if filters.status:
        rows = rows.filter(is_active=filters.status == "active")
    if filters.text:
        rows = rows.filter(Q(code__icontains=filters.text) | Q(name__icontains=filters.text))
    if filters.kind and kind_field:
        rows = rows.filter(**{kind_field: filters.kind})
    return rows


def account_desk_list(*, filters: ChartFilters) -> QuerySet[Account]:
    """The chart of accounts as its page lists it, with each account's parent, and whether it
    sums others (a summary account takes no postings)."""
    rows = Account.objects.select_related("parent").annotate(
        is_summary=Exists(Account.objects.filter(parent=OuterRef("pk")))
    )
    return _chart_filtered(rows, filters, kind_field="type")


def account_parent_choices() -> QuerySet[Account]:
    """The accounts a new account can be put under: those without postings (a summary account
    takes none)."""
    return (
        Account.objects.filter(is_active=True)
        .exclude(Exists(JournalLine.objects.filter(account=OuterRef("pk"))))
        .order_by("code")
    )


def _released() -> Exists:
    """Whether a fund's time restriction has been released (see services.releases): its
    release entry exists."""
    return Exists(
        JournalEntry.objects.filter(
            source=EntrySource.RELEASE,
            source_reference=Concat(
                Value(_RELEASE_REFERENCE[0]),
                Cast(OuterRef("pk"), output_field=CharField()),
                Value(_RELEASE_REFERENCE[1]),
            ),
        )
    )


def _funds_with_release_state() -> QuerySet[Fund]:
    return Fund.objects.annotate(is_released=_released())


def fund_desk_list(*, filters: ChartFilters) -> QuerySet[Fund]:
    """The funds as their page lists them, each marked released once its time restriction has
    been released."""
    return _chart_filtered(_funds_with_release_state(), filters, kind_field="restriction")


def funds_due_for_release(*, today: date) -> list[Fund]:
    """Time-restricted funds whose release date has come and that have not been released."""
    return list(
        Fund.objects.filter(restriction=Restriction.TIME, release_on__lte=today)
        .exclude(_released())
        .order_by("release_on", "code")
    )


def program_desk_list(*, filters: ChartFilters) -> QuerySet[Program]:
    return _chart_filtered(Program.objects.all(), filters, kind_field="")


def period_list() -> QuerySet[FiscalPeriod]:
    return FiscalPeriod.objects.select_related("closed_by").order_by("start")


def period_of_month(year: int, month: int) -> FiscalPeriod | None:
    """The period starting on the first of that month, with who closed it (None if there is
    none)."""
    return period_list().filter(start=date(year, month, 1)).first()


@dataclass(frozen=True)
class MonthsNotClosed:
    """The months already over that are still open: how many, and the earliest (the next one
    to close, since months close in order)."""

    count: int
    earliest: FiscalPeriod | None


def months_not_closed(*, today: date) -> MonthsNotClosed:
    """Months that ended before `today` and are open: one query."""
    over = list(
        FiscalPeriod.objects.filter(end__lt=today, state=PeriodState.OPEN)
        .annotate(over=Window(Count("id")))
        .order_by("start")[:1]
    )
    if not over:
        return MonthsNotClosed(count=0, earliest=None)
    return MonthsNotClosed(count=over[0].over, earliest=over[0])


def entry_list() -> QuerySet[JournalEntry]:
    """Entries with their people and lines, in a fixed number of queries per page."""
    return JournalEntry.objects.select_related(
        "created_by", "posted_by", "reversed_by"
    ).prefetch_related(
        Prefetch(
            "lines",
            queryset=JournalLine.objects.select_related("account", "fund", "program").order_by(
                "id"
            ),
        )
    )


@dataclass(frozen=True)
class JournalFilters:
    """What the journal page lists: each criterion left as None selects everything."""

    start: date | None = None
    end: date | None = None
    account: Account | None = None
    fund: Fund | None = None
    state: str | None = None
    source: str | None = None
    text: str = ""


def journal_entries(filters: JournalFilters) -> QuerySet[JournalEntry]:
    """Entries as the journal page lists them, with their people and the total of their debits
    (the entry's amount): one query a page whatever the number of lines."""
    entries = JournalEntry.objects.select_related("created_by", "posted_by").annotate(
        amount=Coalesce(Sum("lines__debit"), ZERO)
    )
    if filters.start is not None:
        entries = entries.filter(date__gte=filters.start)
    if filters.end is not None:
        entries = entries.filter(date__lte=filters.end)
    # EXISTS rather than a join: an entry with two lines on the account is listed once, and
    # its amount still sums every line.
    if filters.account is not None:
        entries = entries.filter(
            Exists(JournalLine.objects.filter(entry=OuterRef("pk"), account=filters.account))
        )
    if filters.fund is not None:
        entries = entries.filter(
            Exists(JournalLine.objects.filter(entry=OuterRef("pk"), fund=filters.fund))
        )
    if filters.state:
        entries = entries.filter(state=filters.state)
    if filters.source:
        entries = entries.filter(source=filters.source)
    text = filters.text.strip()
    if text:
        matches: Q = (
            Q(memo__icontains=text)
            | Q(source_reference__icontains=text)
            | Q(Exists(JournalLine.objects.filter(entry=OuterRef("pk"), memo__icontains=text)))
        )
        if text.isdigit() and len(text) < 10:
            matches |= Q(number=int(text))
        entries = entries.filter(matches)
    return entries


def entry_detail(*, pk: int) -> JournalEntry | None:
    """An entry with what its page shows: its lines, its people, what it reverses and what
    reversed it, and the entries its posting generated."""
    return (
        entry_list()
        .select_related("reverses", "origin")
        .prefetch_related("generated")
        .filter(pk=pk)
        .first()
    )


# --- The ledger -------------------------------------------------------------------------------

ZERO = Decimal("0.00")


def ledger_lines(**filters: Any) -> QuerySet[JournalLine]:
    """The lines in the books: of posted entries, and of reversed ones (their reversals, posted,
    offset them)."""
    return JournalLine.objects.filter(entry__state__in=LEDGER_STATES, **filters)


def ledger_sum(expression: str, *, condition: Q | None = None) -> Coalesce:
    """The sum of a line column (`debit`, `credit`), zero where no line counts."""
    return Coalesce(Sum(expression, filter=condition), ZERO)


# --- Cash by fund -----------------------------------------------------------------------------

# The cash accounts by their Unified Chart of Accounts codes: the bank accounts, petty cash, and
# the money on its way to the bank (undeposited checks and cash, card payments awaiting payout).
CASH_UCOA_CODES = ("1010", "1020", "1040", "1050")


@dataclass(frozen=True)
class FundCash:
    code: str
    name: str
    cash: Decimal


@dataclass(frozen=True)
class CashByFund:
    as_of: date
    funds: list[FundCash]
    total: Decimal


def cash_by_fund(*, as_of: date) -> CashByFund:
    """The cash each fund holds as of a date: the balance of the cash accounts (debit minus
    credit, as the fund balances report sums assets), by fund, in one aggregate query. Funds
    whose cash never moved are left out."""
    rows = (
        ledger_lines(
            entry__date__lte=as_of,
            account__type=AccountType.ASSET,
            account__ucoa_code__in=CASH_UCOA_CODES,
        )
        .values("fund__code", "fund__name")
        .annotate(cash=ledger_sum("debit") - ledger_sum("credit"))
        .order_by("fund__code")
    )
    funds = [FundCash(row["fund__code"], row["fund__name"], row["cash"]) for row in rows]
    return CashByFund(as_of=as_of, funds=funds, total=sum((f.cash for f in funds), ZERO))


def recurring_list() -> QuerySet[RecurringEntry]:
    """Recurring entries with their lines and the months they were posted for: three queries."""
    return RecurringEntry.objects.filter(is_active=True).prefetch_related(
        Prefetch(
            "lines",
            queryset=RecurringEntryLine.objects.select_related("account", "fund").order_by("id"),
        ),
        Prefetch(
            "postings",
            queryset=RecurringPosting.objects.select_related("entry").order_by("-month"),
        ),
    )


# --- Budgets ----------------------------------------------------------------------------------


def budget_months(budget: Budget) -> list[date]:
    """The first day of each of the budget's twelve months, in the fiscal year's order."""
    first = budget.starts_on.year * 12 + budget.starts_on.month - 1
    return [date((first + index) // 12, (first + index) % 12 + 1, 1) for index in range(12)]


def budget_month_names(budget: Budget) -> list[str]:
    """The months as a budget's grid and CSV file head them: Jan, Feb... from the fiscal
    year's first month."""
    return [f"{month:%b}" for month in budget_months(budget)]


@dataclass(frozen=True)
class BudgetFilters:
    """What the budgets' list selects: a fiscal year, a state ("" for any)."""

    fiscal_year: int | None = None
    state: str = ""


def budget_desk_list(*, filters: BudgetFilters) -> QuerySet[Budget]:
    """Budgets as their list shows them, with their total and number of lines: one query."""
    budgets = Budget.objects.select_related("created_by", "approved_by").annotate(
        line_count=Count("lines"),
    )
    if filters.fiscal_year is not None:
        budgets = budgets.filter(fiscal_year=filters.fiscal_year)
    if filters.state:
        budgets = budgets.filter(state=filters.state)
    return budgets


def budget_detail(*, pk: int) -> Budget | None:
    """A budget with its lines and what they name, in the order the grid shows them, and
    their number."""
    return (
        Budget.objects.select_related("created_by", "approved_by")
        .annotate(line_count=Count("lines"))
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=BudgetLine.objects.select_related("account", "fund", "program").order_by(
                    "account__code", "fund__code", "program__code", "id"
                ),
            )
        )
        .filter(pk=pk)
        .first()
    )


def budget_choices() -> QuerySet[Budget]:
    """Budgets a report can be run on, the latest fiscal year first."""
    return Budget.objects.order_by("-fiscal_year", "name")


# Release from restriction moves net assets between classes, and is not budgeted.
_RELEASE_PARENT = "6900"


@dataclass(frozen=True)
class BudgetAmounts:
    """What the approved budgets plan for a period of whole months: the budgets the months
    fall in (in the order of their years) and each account's amounts summed over the months,
    by account id, across every fund and program."""

    budgets: list[Budget]
    by_account: dict[int, Decimal]


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_of(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def approved_budget_amounts(*, start: date, end: date) -> BudgetAmounts:
    """The approved budgets' amounts for the months from `start` (the first of a month) to
    `end` (the last day of one). A month is planned by the approved budget whose twelve
    months hold it; where two approved budgets of a year do, by the one approved last. A
    month no approved budget holds is refused, naming its fiscal year, rather than read as
    planned at zero. Two queries."""
    if start.day != 1 or end.day != monthrange(end.year, end.month)[1]:
        first, last = start.replace(day=1), end.replace(day=monthrange(end.year, end.month)[1])
        raise ServiceError(
            "A budget plans whole months: compare a period from the first of a month to the "
            f"last day of one, such as {first.day} {first:%B %Y} to {last.day} {last:%B %Y}.",
            fields={"compare": ["A budget needs a period of whole months."]},
        )
    first_month, last_month = _month_index(start), _month_index(end)
    # A budget holding the period's first month starts at most eleven months before it.
    earliest = _month_of(max(first_month - (MONTHS_IN_YEAR - 1), 12))
    candidates = list(
        Budget.objects.filter(
            state=BudgetState.APPROVED, starts_on__gte=earliest, starts_on__lte=end
        ).order_by(F("approved_at").desc(nulls_last=True), "-pk")
    )
    positions: dict[int, list[int]] = defaultdict(list)
    unplanned: list[date] = []
    for month in range(first_month, last_month + 1):
        budget = next(
            (
                budget
                for budget in candidates
                if 0 <= month - _month_index(budget.starts_on) < MONTHS_IN_YEAR
            ),
            None,
        )
        if budget is None:
            unplanned.append(_month_of(month))
        else:
            positions[budget.pk].append(month - _month_index(budget.starts_on))
    if unplanned:
        start_month = accounting_settings().fiscal_year_start_month
        years = sorted({fiscal_year_of(month, start_month=start_month) for month in unplanned})
        named = " or ".join(f"FY{year}" for year in years)
        raise ServiceError(
            f"No approved budget for {named}: approve the year's budget on the budgets page, "
            "or compare with the prior period or the prior year.",
            fields={"compare": [f"No approved budget for {named}."]},
        )
    by_account: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for budget_id, account_id, amounts in BudgetLine.objects.filter(
        budget_id__in=list(positions)
    ).values_list("budget_id", "account_id", "amounts"):
        by_account[account_id] += sum((amounts[index] for index in positions[budget_id]), ZERO)
    used = sorted(
        (budget for budget in candidates if budget.pk in positions),
        key=lambda budget: budget.starts_on,
    )
    return BudgetAmounts(budgets=used, by_account=dict(by_account))


def budgetable_accounts() -> dict[str, Account]:
    """The accounts a budget can hold, by code: revenue and expense accounts that take
    postings (not summary accounts), releases from restriction left out. One query."""
    accounts = list(
        Account.objects.select_related("parent").filter(
            type__in=(AccountType.REVENUE, AccountType.EXPENSE)
        )
    )
    parents = {account.parent_id for account in accounts}
    return {
        account.code: account
        for account in accounts
        if account.pk not in parents
        and account.code != _RELEASE_PARENT
        and not (account.parent is not None and account.parent.code == _RELEASE_PARENT)
    }


def budget_funds_and_programs() -> tuple[list[Fund], list[Program]]:
    """The funds and the programs some budget line is for: what a budget versus actual report
    can be narrowed to. Two queries."""
    funds = list(
        Fund.objects.filter(pk__in=BudgetLine.objects.filter(fund__isnull=False).values("fund_id"))
    )
    programs = list(
        Program.objects.filter(
            pk__in=BudgetLine.objects.filter(program__isnull=False).values("program_id")
        )
    )
    return funds, programs

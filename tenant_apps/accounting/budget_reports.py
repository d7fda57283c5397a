"""Budget versus actual, as a selector: for one budget and one month of its fiscal year, each
budgeted or active revenue and expense account's actual and budget for the month and for the
year to date, with the variance and the variance as a percent of the budget.

A variance is positive when it is favourable: revenue above its budget, expenses below theirs
(and the net, revenue less expenses, above its budget). The actuals are the ledger's, as the
statement of activities sums them (posted and reversed entries), in one aggregate query.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.reports import Column, Report, Row, Style, money
from tenant_apps.accounting.balances import Span, ledger_span_sums
from tenant_apps.accounting.models import Account, AccountType, Budget, BudgetLine, Fund, Program
from tenant_apps.accounting.reports import ledger_link
from tenant_apps.accounting.selectors import budget_months, budgetable_accounts

ZERO = Decimal("0.00")
PERCENT = Decimal("0.1")
SECTIONS = ((AccountType.REVENUE, "Revenue"), (AccountType.EXPENSE, "Expenses"))
COLUMNS: list[str | Column] = [
    "Account",
    Column("Month actual", Style.STATEMENT, link=True),
    Column("Month budget", Style.STATEMENT),
    Column("Month variance", Style.STATEMENT),
    Column("Month variance %", Style.PERCENT),
    Column("Year-to-date actual", Style.STATEMENT),
    Column("Year-to-date budget", Style.STATEMENT),
    Column("Year-to-date variance", Style.STATEMENT),
    Column("Year-to-date variance %", Style.PERCENT),
]


@dataclass(frozen=True)
class Figures:
    """An account's (or a total's) four figures; the variances follow from them."""

    month_actual: Decimal = ZERO
    month_budget: Decimal = ZERO
    ytd_actual: Decimal = ZERO
    ytd_budget: Decimal = ZERO

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.month_actual + other.month_actual,
            self.month_budget + other.month_budget,
            self.ytd_actual + other.ytd_actual,
            self.ytd_budget + other.ytd_budget,
        )

    def __sub__(self, other: Figures) -> Figures:
        return Figures(
            self.month_actual - other.month_actual,
            self.month_budget - other.month_budget,
            self.ytd_actual - other.ytd_actual,
            self.ytd_budget - other.ytd_budget,
        )


def variance(actual: Decimal, budget: Decimal, *, expense: bool) -> Decimal:
    """Positive when favourable: revenue above budget, an expense below it."""
    return budget - actual if expense else actual - budget


def variance_percent(difference: Decimal, budget: Decimal) -> str:
    """The variance as a percent of the budget, to one decimal rounded half up as people round
    ("" where nothing was budgeted: no percent of zero)."""
    if not budget:
        return ""
    return str((difference * 100 / abs(budget)).quantize(PERCENT, rounding=ROUND_HALF_UP))


def _cells(figures: Figures, *, expense: bool) -> list[Any]:
    month = variance(figures.month_actual, figures.month_budget, expense=expense)
    ytd = variance(figures.ytd_actual, figures.ytd_budget, expense=expense)
    return [
        figures.month_actual,
        figures.month_budget,
        month,
        variance_percent(month, figures.month_budget),
        figures.ytd_actual,
        figures.ytd_budget,
        ytd,
        variance_percent(ytd, figures.ytd_budget),
    ]


def _json(figures: Figures, *, expense: bool) -> dict[str, str]:
    cells = _cells(figures, expense=expense)
    keys = (
        "month_actual",
        "month_budget",
        "month_variance",
        "month_variance_percent",
        "ytd_actual",
        "ytd_budget",
        "ytd_variance",
        "ytd_variance_percent",
    )
    return {
        key: money(value) if isinstance(value, Decimal) else value
        for key, value in zip(keys, cells, strict=True)
    }


def _code_id(model: type[Fund] | type[Program], code: str | None, field: str) -> int | None:
    if not code:
        return None
    found = model.objects.filter(code=code).values_list("id", flat=True).first()
    if found is None:
        raise ServiceError(f"There is no {field} {code!r}.", fields={field: [f"Unknown {field}."]})
    return found


def budget_versus_actual(
    *, budget: int, month: date, fund: str | None = None, program: str | None = None
) -> Report:
    """The budget `budget` (an id) against the books for `month` (any day of it) and for its
    fiscal year up to the end of that month; with `fund` or `program` (codes), only the budget
    lines of that fund or program and the ledger lines posted to it."""
    chosen = Budget.objects.filter(pk=budget).first()
    if chosen is None:
        raise ServiceError("There is no such budget.", fields={"budget": ["Unknown budget."]})
    months = budget_months(chosen)
    first = month.replace(day=1)
    if first not in months:
        raise ServiceError(
            f"{first:%B %Y} is not in FY{chosen.fiscal_year} of “{chosen.name}”: choose a month "
            f"from {months[0]:%B %Y} to {months[-1]:%B %Y}.",
            fields={"month": [f"From {months[0]:%B %Y} to {months[-1]:%B %Y}."]},
        )
    position = months.index(first)
    last = first.replace(day=monthrange(first.year, first.month)[1])
    fund_id = _code_id(Fund, fund, "fund")
    program_id = _code_id(Program, program, "program")

    accounts = budgetable_accounts()
    by_id = {account.pk: account for account in accounts.values()}
    narrowed: dict[str, Any] = {}
    if fund_id is not None:
        narrowed["fund_id"] = fund_id
    if program_id is not None:
        narrowed["program_id"] = program_id

    budgeted: dict[int, Figures] = {}
    for account_id, amounts in BudgetLine.objects.filter(budget=chosen, **narrowed).values_list(
        "account_id", "amounts"
    ):
        figures = Figures(
            month_budget=amounts[position], ytd_budget=sum(amounts[: position + 1], ZERO)
        )
        budgeted[account_id] = budgeted.get(account_id, Figures()) + figures

    sums = ledger_span_sums(
        spans={"month": Span(first, last), "ytd": Span(chosen.starts_on, last)},
        group_by=["account_id"],
        account_ids=list(by_id),
        fund_id=fund_id,
        program_id=program_id,
    )
    actual: dict[int, Figures] = {}
    for row in sums:
        if not row["ytd"].lines:
            continue  # no line this year: the account shows only if it is budgeted
        sign = 1 if by_id[row["account_id"]].type == AccountType.EXPENSE else -1
        actual[row["account_id"]] = Figures(
            month_actual=sign * (row["month"].debit - row["month"].credit),
            ytd_actual=sign * (row["ytd"].debit - row["ytd"].credit),
        )

    parameters = {
        "budget": str(chosen.pk),
        "month": f"{first:%Y-%m}",
        **({"fund": fund} if fund else {}),
        **({"program": program} if program else {}),
    }
    report = Report(
        name="budget-versus-actual",
        title=f"Budget versus actual: {chosen.name}",
        parameters=parameters,
        columns=COLUMNS,
    )
    totals: dict[str, Figures] = {}
    data: dict[str, Any] = {
        "budget": {"id": chosen.pk, "name": chosen.name, "fiscal_year": chosen.fiscal_year},
        "month": f"{first:%Y-%m}",
    }
    for kind, heading in SECTIONS:
        expense = kind == AccountType.EXPENSE
        # An account shows when it is budgeted or moved this fiscal year.
        shown: list[tuple[Account, Figures]] = [
            (account, budgeted.get(account.pk, Figures()) + actual.get(account.pk, Figures()))
            for account in sorted(by_id.values(), key=lambda account: account.code)
            if account.type == kind and (account.pk in budgeted or account.pk in actual)
        ]
        report.rows.append(Row("heading", [heading, *[""] * 8]))
        total = Figures()
        items = []
        for account, figures in shown:
            total += figures
            report.rows.append(
                Row(
                    "line",
                    [f"{account.code} {account.name}", *_cells(figures, expense=expense)],
                    ledger_link(account.code, first, last, fund),
                )
            )
            items.append(
                {"account": account.code, "name": account.name, **_json(figures, expense=expense)}
            )
        report.rows.append(
            Row("total", [f"Total {heading.lower()}", *_cells(total, expense=expense)])
        )
        totals[kind] = total
        data[heading.lower()] = items
        data[f"total_{heading.lower()}"] = _json(total, expense=expense)
    net = totals[AccountType.REVENUE] - totals[AccountType.EXPENSE]
    report.rows.append(Row("total", ["Net (revenue less expenses)", *_cells(net, expense=False)]))
    data["net"] = _json(net, expense=False)
    report.data = data
    return report

"""Writes to budgets: a budget made for a fiscal year, its monthly amounts replaced as a whole
(from the grid or a CSV file, all rows or none), and its approval and return to draft. An
approved budget refuses changes to its amounts."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.inputs import MAX_AMOUNT, number_parse, text_check
from tenant_apps.accounting.models import (
    MONTHS_IN_YEAR,
    Account,
    AccountType,
    Budget,
    BudgetLine,
    BudgetState,
    Fund,
    Program,
)
from tenant_apps.accounting.selectors import (
    accounting_settings,
    budget_month_names,
    budgetable_accounts,
    fiscal_year_bounds,
)
from tenant_apps.core.services import actor_of, audit_record

if TYPE_CHECKING:
    from shared_apps.users.models import User

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
EARLIEST_YEAR, LATEST_YEAR = 1901, 2999


@dataclass(frozen=True)
class BudgetRowSpec:
    """One row of a budget as typed or imported: an account code, optionally a fund's or a
    program's code, and the twelve monthly amounts in the fiscal year's order."""

    account: str
    amounts: Sequence[Decimal]
    fund: str = ""
    program: str = ""


def spread_evenly(annual: Decimal) -> list[Decimal]:
    """`annual` in twelve monthly amounts, whole cents, that add up to it exactly: equal
    shares, the cents left over added one to each of the last months."""
    cents = int((annual.quantize(CENT) * 100).to_integral_value())
    share, left = divmod(abs(cents), MONTHS_IN_YEAR)
    sign = -1 if cents < 0 else 1
    months = [share + (1 if index >= MONTHS_IN_YEAR - left else 0) for index in range(12)]
    return [(Decimal(sign * month) / 100).quantize(CENT) for month in months]


def budget_amount_parse(value: Any, *, field: str) -> Decimal:
    """A budget amount as a person types it: blank is zero; a dollar sign and thousands
    separators are allowed; negatives too (a contra-revenue account)."""
    text = "" if value is None else str(value).strip().replace(",", "").replace("$", "")
    if not text:
        return ZERO
    try:
        too_large = abs(Decimal(text)) > MAX_AMOUNT
    except (InvalidOperation, ValueError):
        too_large = False  # number_parse says what is wrong with it
    if too_large:  # checked first: rounding 1e400 to cents overflows
        raise ServiceError(f"{field}: the amount is too large.", fields={field: ["Too large."]})
    return number_parse(text, field=field)


def _name_check(name: Any) -> str:
    return text_check(name, field="name", max_length=200, required=True)


def budget_create(*, name: str, fiscal_year: int, acting_user: User | None) -> Budget:
    """A draft budget for `fiscal_year`, with no amounts yet."""
    name = _name_check(name)
    if not isinstance(fiscal_year, int) or not EARLIEST_YEAR <= fiscal_year <= LATEST_YEAR:
        raise ServiceError(
            f"fiscal_year: a year from {EARLIEST_YEAR} to {LATEST_YEAR}.",
            fields={"fiscal_year": [f"A year from {EARLIEST_YEAR} to {LATEST_YEAR}."]},
        )
    start_month = accounting_settings().fiscal_year_start_month
    starts_on, _ = fiscal_year_bounds(fiscal_year, start_month=start_month)
    try:
        with transaction.atomic():
            budget = Budget.objects.create(
                name=name,
                fiscal_year=fiscal_year,
                starts_on=starts_on,
                created_by=actor_of(acting_user),
            )
            audit_record(
                "budget.create",
                acting_user=acting_user,
                obj=budget,
                name=name,
                fiscal_year=fiscal_year,
            )
    except IntegrityError:
        raise ServiceError(
            f"There is already a budget named “{name}” for FY{fiscal_year}.",
            fields={"name": ["Already used for this fiscal year."]},
        ) from None
    return budget


def _draft_check(budget: Budget) -> None:
    if budget.state != BudgetState.DRAFT:
        raise StateConflict(
            f"“{budget.name}” is approved: return it to draft before changing its amounts."
        )


@dataclass(frozen=True)
class _Chart:
    accounts: dict[str, Account]
    funds: dict[str, Fund]
    programs: dict[str, Program]


def _chart() -> _Chart:
    return _Chart(
        accounts=budgetable_accounts(),
        funds={fund.code: fund for fund in Fund.objects.all()},
        programs={program.code: program for program in Program.objects.all()},
    )


def _row_problems(row: BudgetRowSpec, chart: _Chart) -> list[str]:
    """What is wrong with one row, each in words; empty when it can be saved."""
    problems = []
    if row.account not in chart.accounts:
        exists = Account.objects.filter(code=row.account).exists() if row.account else False
        problems.append(
            f"account {row.account!r} is not a revenue or expense account that takes postings"
            if exists
            else f"there is no account {row.account!r}"
            if row.account
            else "the account code is missing"
        )
    if row.fund and row.fund not in chart.funds:
        problems.append(f"there is no fund {row.fund!r}")
    if row.program and row.program not in chart.programs:
        problems.append(f"there is no program {row.program!r}")
    elif (
        row.program
        and row.account in chart.accounts
        and chart.accounts[row.account].type != AccountType.EXPENSE
    ):
        problems.append("a program is given only with an expense account")
    if len(row.amounts) != MONTHS_IN_YEAR:
        problems.append(f"{len(row.amounts)} monthly amounts instead of 12")
    return problems


def _lines_replace(
    budget: Budget,
    rows: Sequence[tuple[str, BudgetRowSpec]],
    chart: _Chart,
    known: Mapping[str, list[str]] | None = None,
) -> int:
    """Check every row (`label` names it in a message; `known` holds problems already found
    with a row, by label), then replace the budget's lines: all or none. Rows of zeros are
    left out."""
    problems: list[str] = []
    seen: dict[tuple[str, str, str], str] = {}
    for label, row in rows:
        key = (row.account, row.fund, row.program)
        row_problems = [*(known or {}).get(label, []), *_row_problems(row, chart)]
        if key in seen and not row_problems:
            row_problems.append(f"the same account, fund and program as {seen[key]}")
        seen.setdefault(key, label)
        problems += [f"{label}: {problem}." for problem in row_problems]
    if problems:
        raise ServiceError(
            f"Nothing was saved: {len(problems)} problem{'s' if len(problems) > 1 else ''}.",
            fields={"rows": problems},
        )
    lines = [
        BudgetLine(
            budget=budget,
            account=chart.accounts[row.account],
            fund=chart.funds[row.fund] if row.fund else None,
            program=chart.programs[row.program] if row.program else None,
            amounts=[amount.quantize(CENT) for amount in row.amounts],
        )
        for _, row in rows
        if any(row.amounts)
    ]
    BudgetLine.objects.filter(budget=budget).delete()
    BudgetLine.objects.bulk_create(lines)
    Budget.objects.filter(pk=budget.pk).update(updated_at=timezone.now())
    return len(lines)


def budget_amounts_save(
    *, budget: Budget, rows: Sequence[BudgetRowSpec], acting_user: User | None
) -> int:
    """Replace the draft budget's amounts with `rows` (the grid's): every row checked, and
    none saved if one is wrong. Returns the number of lines kept (rows of zeros are not)."""
    with transaction.atomic():
        budget = Budget.objects.select_for_update().get(pk=budget.pk)
        _draft_check(budget)
        labelled = [(f"Row {index}", row) for index, row in enumerate(rows, start=1)]
        count = _lines_replace(budget, labelled, _chart())
        total = sum((sum(row.amounts, ZERO) for row in rows), ZERO)
        audit_record(
            "budget.amounts_save",
            acting_user=acting_user,
            obj=budget,
            lines=count,
            total=f"{total:.2f}",
        )
    return count


# --- Import ------------------------------------------------------------------------------------

MAX_IMPORT_ROWS = 5000


def _header_columns(header: list[str], month_names: list[str]) -> dict[str, int]:
    """Where each known column is in the header; a ServiceError when it cannot be read."""
    names = [name.strip().lower() for name in header]
    months = [name.lower() for name in month_names]
    known = {"account", "fund", "program", "annual", *months}
    unknown = [name for name in names if name and name not in known]
    if unknown:
        raise ServiceError(
            f"Line 1: unknown column {unknown[0]!r}. The columns are account, optionally fund "
            f"and program, then either the twelve months ({', '.join(month_names)}) or annual.",
            fields={"rows": [f"Line 1: unknown column {unknown[0]!r}."]},
        )
    positions = {name: index for index, name in enumerate(names) if name}
    has_months = [month in positions for month in months]
    message = ""
    if "account" not in positions:
        message = "Line 1: the header has no account column."
    elif "annual" in positions and any(has_months):
        message = "Line 1: give either the twelve months or annual, not both."
    elif "annual" not in positions and not all(has_months):
        missing = [name for name, found in zip(month_names, has_months, strict=True) if not found]
        message = f"Line 1: the months {', '.join(missing)} are missing (or give annual)."
    if message:
        raise ServiceError(message, fields={"rows": [message]})
    return positions


def budget_rows_read(
    text: str, *, budget: Budget
) -> tuple[list[tuple[str, BudgetRowSpec]], dict[str, list[str]]]:
    """The rows of a budget CSV file, each labelled with its line number, and the problems
    with their amounts by label (such a row's amounts read as zeros). A header that cannot be
    read is a ServiceError."""
    month_names = budget_month_names(budget)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if not header:
        raise ServiceError("The file is empty.", fields={"rows": ["Line 1: the file is empty."]})
    positions = _header_columns(header, month_names)

    def cell(values: list[str], name: str) -> str:
        index = positions.get(name)
        return values[index].strip() if index is not None and index < len(values) else ""

    rows: list[tuple[str, BudgetRowSpec]] = []
    problems: dict[str, list[str]] = {}
    for values in reader:
        label = f"Line {reader.line_num}"
        if not any(value.strip() for value in values):
            continue
        if len(rows) >= MAX_IMPORT_ROWS:
            raise ServiceError(
                f"A budget file holds at most {MAX_IMPORT_ROWS:,} rows.",
                fields={"rows": [f"{label}: more than {MAX_IMPORT_ROWS:,} rows."]},
            )
        try:
            if "annual" in positions:
                amounts = spread_evenly(budget_amount_parse(cell(values, "annual"), field="annual"))
            else:
                amounts = [
                    budget_amount_parse(cell(values, name.lower()), field=name)
                    for name in month_names
                ]
        except ServiceError as error:
            problems[label] = [error.message.rstrip(".")]
            amounts = [ZERO] * MONTHS_IN_YEAR
        rows.append(
            (
                label,
                BudgetRowSpec(
                    account=cell(values, "account"),
                    fund=cell(values, "fund"),
                    program=cell(values, "program"),
                    amounts=amounts,
                ),
            )
        )
    return rows, problems


def budget_import(*, budget: Budget, text: str, acting_user: User | None) -> int:
    """Replace the draft budget's amounts with those of a CSV file: every bad row reported
    with its line number, and nothing saved unless every row is good."""
    with transaction.atomic():
        budget = Budget.objects.select_for_update().get(pk=budget.pk)
        _draft_check(budget)
        rows, problems = budget_rows_read(text, budget=budget)
        count = _lines_replace(budget, rows, _chart(), known=problems)
        audit_record("budget.import", acting_user=acting_user, obj=budget, lines=count)
    return count


def budget_approve(*, budget: Budget, acting_user: User | None) -> Budget:
    """Mark the draft budget approved: what the board agreed. Its amounts are then fixed."""
    with transaction.atomic():
        budget = Budget.objects.select_for_update().get(pk=budget.pk)
        if budget.state == BudgetState.APPROVED:
            raise StateConflict(f"“{budget.name}” is already approved.")
        budget.state = BudgetState.APPROVED
        budget.approved_by = actor_of(acting_user)
        budget.approved_at = timezone.now()
        budget.save(update_fields=["state", "approved_by", "approved_at", "updated_at"])
        audit_record("budget.approve", acting_user=acting_user, obj=budget)
    return budget


def budget_return_to_draft(*, budget: Budget, acting_user: User | None) -> Budget:
    """Return an approved budget to draft, so that its amounts can be changed again."""
    with transaction.atomic():
        budget = Budget.objects.select_for_update().get(pk=budget.pk)
        if budget.state == BudgetState.DRAFT:
            raise StateConflict(f"“{budget.name}” is already a draft.")
        budget.state = BudgetState.DRAFT
        budget.approved_by = None
        budget.approved_at = None
        budget.save(update_fields=["state", "approved_by", "approved_at", "updated_at"])
        audit_record("budget.return_to_draft", acting_user=acting_user, obj=budget)
    return budget

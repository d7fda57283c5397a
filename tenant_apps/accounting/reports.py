"""The six financial reports, as selectors. Each aggregates the ledger in the database with a
fixed number of queries whatever the number of lines, and returns a `Report`: structured data
for JSON and a table of rows for CSV and the page.

Only entries in the books count: posted ones, and reversed ones (offset by their reversals).
Signs: assets and expenses are debit minus credit; liabilities, net assets and revenue are
credit minus debit. A line's net-asset class (without or with donor restrictions) is stored on
the line (see JournalLine.net_asset_class).
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast
from urllib.parse import urlencode

from django.db import connection
from django.urls import reverse

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.reports import (
    Choice,
    Column,
    Report,
    Row,
    RowsPage,
    money,
    range_check,
)
from tenant_apps.accounting.balances import (
    NO_DAYS,
    Span,
    ledger_span_sums,
    month_first,
    month_last,
    until,
)
from tenant_apps.accounting.models import (
    LEDGER_STATES,
    Account,
    AccountType,
    Function,
    Fund,
    NetAssetClass,
    NormalBalance,
    Program,
)
from tenant_apps.accounting.selectors import (
    BudgetAmounts,
    approved_budget_amounts,
    fiscal_year_start,
)

ZERO = Decimal("0.00")
EQUITY_TYPES = (AccountType.NET_ASSETS, AccountType.REVENUE, AccountType.EXPENSE)
RELEASE_PARENT = "6900"
CLASSES = (NetAssetClass.WITHOUT, NetAssetClass.WITH)


def _fund_id(code: str | None) -> int | None:
    if not code:
        return None
    fund_id = Fund.objects.filter(code=code).values_list("id", flat=True).first()
    if fund_id is None:
        raise ServiceError(f"There is no fund {code!r}.", fields={"fund": ["Unknown fund."]})
    return fund_id


def _signed(account: Account, debit: Decimal, credit: Decimal) -> Decimal:
    """The balance in the account's normal direction."""
    return debit - credit if account.normal_balance == NormalBalance.DEBIT else credit - debit


def _is_release(account: Account) -> bool:
    return account.code == RELEASE_PARENT or (
        account.parent is not None and account.parent.code == RELEASE_PARENT
    )


def ledger_link(account: str, start: date, end: date, fund: str | None = None) -> str:
    """The general ledger page of `account` over a period: where a figure is drilled down to
    the lines behind it (a balance on a date: from the start of its fiscal year, with the
    opening balance above the lines)."""
    query = urlencode(
        {
            "account": account,
            "start": start.isoformat(),
            "end": end.isoformat(),
            **({"fund": fund} if fund else {}),
        }
    )
    return f"{reverse('accounting:report', args=['general-ledger'])}?{query}"


def _accounts() -> dict[int, Account]:
    return {account.pk: account for account in Account.objects.select_related("parent")}


# --- Trial balance ----------------------------------------------------------------------------


def trial_balance(*, as_of: date, fund: str | None = None) -> Report:
    """Every account's balance as of a date, in the debit or credit column; the columns agree."""
    sums = ledger_span_sums(
        spans={"to_date": Span(None, as_of)}, group_by=["account_id"], fund_id=_fund_id(fund)
    )
    accounts = _accounts()
    report = Report(
        name="trial-balance",
        title="Trial balance",
        parameters={"as_of": as_of.isoformat(), **({"fund": fund} if fund else {})},
        columns=[
            "Account",
            "Name",
            "Type",
            Column("Debit", link=True),
            Column("Credit", link=True),
        ],
    )
    year_start = fiscal_year_start(as_of)
    total_debit = total_credit = ZERO
    lines = []
    for row in sorted(sums, key=lambda row: accounts[row["account_id"]].code):
        account = accounts[row["account_id"]]
        net = row["to_date"].debit - row["to_date"].credit
        if not net:
            continue
        debit, credit = (net, ZERO) if net > 0 else (ZERO, -net)
        total_debit += debit
        total_credit += credit
        lines.append(
            {
                "account": account.code,
                "name": account.name,
                "type": account.type,
                "debit": money(debit),
                "credit": money(credit),
            }
        )
        report.rows.append(
            Row(
                "line",
                [account.code, account.name, account.type, debit, credit],
                ledger_link(account.code, year_start, as_of, fund),
            )
        )
    report.rows.append(Row("total", ["Total", "", "", total_debit, total_credit]))
    report.data = {
        "accounts": lines,
        "total_debit": money(total_debit),
        "total_credit": money(total_credit),
        "balanced": total_debit == total_credit,
    }
    return report


# --- Statement of financial position ----------------------------------------------------------


def financial_position(*, as_of: date, compare: str | None = None) -> Report:
    """Assets, liabilities and net assets (without and with donor restrictions) as of a date;
    with `compare`, beside those of an earlier date (see `compared`). No budget plans
    balances, so a budget comparison is refused."""
    if compare == BUDGET:
        raise ServiceError(
            "compare: a budget plans a period's revenue and expenses, not the balances on a "
            "date; compare the statement of financial position with the prior period or the "
            "prior year.",
            fields={"compare": ["No budget plans balances on a date."]},
        )
    if compare:
        prior = financial_position(as_of=prior_dates(compare, as_of=as_of)["as_of"])
        return compared(financial_position(as_of=as_of), prior, compare)
    sums = ledger_span_sums(
        spans={"to_date": Span(None, as_of)}, group_by=["account_id", "net_asset_class"]
    )
    accounts = _accounts()
    balances: dict[str, dict[str, Decimal]] = {
        AccountType.ASSET: defaultdict(Decimal),
        AccountType.LIABILITY: defaultdict(Decimal),
    }
    net_assets: dict[str, Decimal] = {klass: ZERO for klass in CLASSES}
    for row in sums:
        account, to_date = accounts[row["account_id"]], row["to_date"]
        if account.type in balances:
            balances[account.type][account.code] += _signed(account, to_date.debit, to_date.credit)
        else:
            net_assets[row["net_asset_class"]] += to_date.credit - to_date.debit

    report = Report(
        name="financial-position",
        title="Statement of financial position",
        parameters={"as_of": as_of.isoformat()},
        columns=["Line", Column("Amount", link=True)],
    )
    year_start = fiscal_year_start(as_of)

    def section(kind: str, heading: str) -> tuple[list[dict[str, str]], Decimal]:
        report.rows.append(Row("heading", [heading, ""]))
        items, total = [], ZERO
        for code, amount in sorted(balances[kind].items()):
            if not amount:
                continue
            account = next(a for a in accounts.values() if a.code == code)
            items.append({"account": code, "name": account.name, "amount": money(amount)})
            report.rows.append(
                Row(
                    "line", [f"{code} {account.name}", amount], ledger_link(code, year_start, as_of)
                )
            )
            total += amount
        report.rows.append(Row("total", [f"Total {heading.lower()}", total]))
        return items, total

    assets, total_assets = section(AccountType.ASSET, "Assets")
    liabilities, total_liabilities = section(AccountType.LIABILITY, "Liabilities")
    without, with_ = net_assets[NetAssetClass.WITHOUT], net_assets[NetAssetClass.WITH]
    total_net_assets = without + with_
    report.rows += [
        Row("heading", ["Net assets", ""]),
        Row("line", ["Without donor restrictions", without]),
        Row("line", ["With donor restrictions", with_]),
        Row("total", ["Total net assets", total_net_assets]),
        Row("total", ["Total liabilities and net assets", total_liabilities + total_net_assets]),
    ]
    report.data = {
        "assets": assets,
        "total_assets": money(total_assets),
        "liabilities": liabilities,
        "total_liabilities": money(total_liabilities),
        "net_assets": {
            "without_donor_restrictions": money(without),
            "with_donor_restrictions": money(with_),
            "total": money(total_net_assets),
        },
        "total_liabilities_and_net_assets": money(total_liabilities + total_net_assets),
        "balanced": total_assets == total_liabilities + total_net_assets,
    }
    return report


# --- Statement of activities ------------------------------------------------------------------


def _columns(values: dict[str, Decimal]) -> dict[str, str]:
    without, with_ = values.get(NetAssetClass.WITHOUT, ZERO), values.get(NetAssetClass.WITH, ZERO)
    return {
        "without_donor_restrictions": money(without),
        "with_donor_restrictions": money(with_),
        "total": money(without + with_),
    }


def _cells(values: dict[str, Decimal]) -> list[Decimal]:
    without, with_ = values.get(NetAssetClass.WITHOUT, ZERO), values.get(NetAssetClass.WITH, ZERO)
    return [without, with_, without + with_]


def activities(*, start: date, end: date, compare: str | None = None) -> Report:
    """Revenue and support, releases from restriction, expenses by function and the change in
    net assets for a date range, in three columns; net assets at its start and end. With
    `compare`, the totals of an earlier period beside them, or of the approved budget for the
    same months (see `compared` and `activities_budget`)."""
    range_check(start, end)
    if compare == BUDGET:
        current = activities(start=start, end=end)
        shown = [item["account"] for item in _data(current)["revenue_and_support"]]
        return compared(current, activities_budget(start=start, end=end, shown=shown), compare)
    if compare:
        dates = prior_dates(compare, start=start, end=end)
        prior = activities(start=dates["start"], end=dates["end"])
        return compared(activities(start=start, end=end), prior, compare)
    accounts = _accounts()
    # Filtering on the ids of the equity-type accounts spares the join to the chart.
    equity_ids = [pk for pk, account in accounts.items() if account.type in EQUITY_TYPES]
    sums = ledger_span_sums(
        spans={
            "before": until(start, before=True),
            "period": Span(start, end),
        },
        group_by=["account_id", "net_asset_class", "function", "program_id"],
        account_ids=equity_ids,
    )
    programs = {program.pk: program for program in Program.objects.all()}

    revenue: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    releases: dict[str, Decimal] = defaultdict(Decimal)
    expenses: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    opening: dict[str, Decimal] = defaultdict(Decimal)
    other: dict[str, Decimal] = defaultdict(Decimal)
    for row in sums:
        account = accounts[row["account_id"]]
        klass = row["net_asset_class"]
        opening[klass] += row["before"].credit - row["before"].debit
        movement = row["period"].credit - row["period"].debit
        if account.type == AccountType.EXPENSE:
            if row["function"] == Function.PROGRAM:
                program = programs[row["program_id"]]
                key = (f"program:{program.code}", f"Program services: {program.name}")
            else:
                # An expense line always carries a function (services.lines checks it).
                function = cast(str, row["function"])
                key = (function, Function(function).label)
            expenses[key][klass] -= movement
        elif account.type == AccountType.REVENUE and _is_release(account):
            releases[klass] += movement
        elif account.type == AccountType.REVENUE:
            revenue[account.code][klass] += movement
        else:  # posted straight to a net-assets account: a correction, an opening balance
            other[klass] += movement

    report = Report(
        name="activities",
        title="Statement of activities",
        parameters={"start": start.isoformat(), "end": end.isoformat()},
        columns=[
            "Line",
            Column("Without donor restrictions", link=True),
            Column("With donor restrictions", link=True),
            Column("Total", link=True),
        ],
    )
    by_code = {account.code: account for account in accounts.values()}

    def add(total: dict[str, Decimal], values: dict[str, Decimal]) -> None:
        for klass, amount in values.items():
            total[klass] += amount

    support_total: dict[str, Decimal] = defaultdict(Decimal)
    revenue_items = []
    report.rows.append(Row("heading", ["Revenue and support", "", "", ""]))
    for code in sorted(revenue):
        values = revenue[code]
        if not any(values.values()):
            continue
        add(support_total, values)
        name = by_code[code].name
        revenue_items.append({"account": code, "name": name, **_columns(values)})
        report.rows.append(
            Row("line", [f"{code} {name}", *_cells(values)], ledger_link(code, start, end))
        )
    add(support_total, releases)
    report.rows.append(Row("line", ["Net assets released from restrictions", *_cells(releases)]))
    report.rows.append(Row("total", ["Total revenue and support", *_cells(support_total)]))

    expense_total: dict[str, Decimal] = defaultdict(Decimal)
    expense_items = []
    report.rows.append(Row("heading", ["Expenses", "", "", ""]))
    order = {Function.MANAGEMENT_GENERAL.value: 1, Function.FUNDRAISING.value: 2}
    for key in sorted(expenses, key=lambda key: (order.get(key[0], 0), key[0])):
        values = expenses[key]
        if not any(values.values()):
            continue
        add(expense_total, values)
        expense_items.append({"function": key[0], "name": key[1], **_columns(values)})
        report.rows.append(Row("line", [key[1], *_cells(values)]))
    report.rows.append(Row("total", ["Total expenses", *_cells(expense_total)]))

    change: dict[str, Decimal] = {
        klass: support_total[klass] - expense_total[klass] + other[klass] for klass in CLASSES
    }
    closing: dict[str, Decimal] = {klass: opening[klass] + change[klass] for klass in CLASSES}
    if any(other.values()):
        report.rows.append(
            Row("line", ["Other changes in net assets (direct postings)", *_cells(other)])
        )
    report.rows += [
        Row("total", ["Change in net assets", *_cells(change)]),
        Row("line", ["Net assets, beginning of period", *_cells(opening)]),
        Row("total", ["Net assets, end of period", *_cells(closing)]),
    ]
    report.data = {
        "revenue_and_support": revenue_items,
        "released_from_restrictions": _columns(releases),
        "total_revenue_and_support": _columns(support_total),
        "expenses": expense_items,
        "total_expenses": _columns(expense_total),
        "other_changes_in_net_assets": _columns(other),
        "change_in_net_assets": _columns(change),
        "net_assets_beginning": _columns(opening),
        "net_assets_end": _columns(closing),
    }
    return report


# --- Statement of functional expenses ---------------------------------------------------------


def functional_expenses(*, start: date, end: date, compare: str | None = None) -> Report:
    """Expenses by nature (account) and function, program services split by program; with
    `compare`, each account's total in an earlier period, or in the approved budget for the
    same months, beside them (see `compared` and `functional_expenses_budget`)."""
    range_check(start, end)
    if compare == BUDGET:
        current = functional_expenses(start=start, end=end)
        shown = [item["account"] for item in _data(current)["expenses"]]
        budget = functional_expenses_budget(start=start, end=end, shown=shown)
        return compared(current, budget, compare)
    if compare:
        dates = prior_dates(compare, start=start, end=end)
        prior = functional_expenses(start=dates["start"], end=dates["end"])
        return compared(functional_expenses(start=start, end=end), prior, compare)
    accounts = _accounts()
    sums = ledger_span_sums(
        spans={"period": Span(start, end)},
        group_by=["account_id", "function", "program_id"],
        account_ids=[pk for pk, account in accounts.items() if account.type == AccountType.EXPENSE],
    )
    programs = sorted(Program.objects.all(), key=lambda program: program.code)
    matrix: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    used_programs: set[int] = set()
    for row in sums:
        if row["function"] == Function.PROGRAM:
            column = f"program:{row['program_id']}"
            used_programs.add(row["program_id"])
        else:
            column = cast(str, row["function"])  # expense lines carry one: see activities
        matrix[row["account_id"]][column] += row["period"].debit - row["period"].credit

    shown = [program for program in programs if program.pk in used_programs]
    columns = [
        *(f"program:{program.pk}" for program in shown),
        "program_total",
        Function.MANAGEMENT_GENERAL.value,
        Function.FUNDRAISING.value,
        "total",
    ]
    labels = [
        *(f"Program: {program.name}" for program in shown),
        "Total program services",
        Function.MANAGEMENT_GENERAL.label,
        Function.FUNDRAISING.label,
        "Total expenses",
    ]
    report = Report(
        name="functional-expenses",
        title="Statement of functional expenses",
        parameters={"start": start.isoformat(), "end": end.isoformat()},
        columns=["Account", "Name", *(Column(label, link=True) for label in labels)],
    )
    totals: dict[str, Decimal] = defaultdict(Decimal)
    items = []
    for account_id in sorted(matrix, key=lambda account_id: accounts[account_id].code):
        values = matrix[account_id]
        values["program_total"] = sum((values[f"program:{program.pk}"] for program in shown), ZERO)
        values["total"] = (
            values["program_total"]
            + values[Function.MANAGEMENT_GENERAL]
            + values[Function.FUNDRAISING]
        )
        if not any(values[column] for column in columns):
            continue
        for column in columns:
            totals[column] += values[column]
        account = accounts[account_id]
        items.append(
            {
                "account": account.code,
                "name": account.name,
                "programs": {
                    program.code: money(values[f"program:{program.pk}"]) for program in shown
                },
                "program_services": money(values["program_total"]),
                "management_general": money(values[Function.MANAGEMENT_GENERAL]),
                "fundraising": money(values[Function.FUNDRAISING]),
                "total": money(values["total"]),
            }
        )
        report.rows.append(
            Row(
                "line",
                [account.code, account.name, *(values[column] for column in columns)],
                ledger_link(account.code, start, end),
            )
        )
    report.rows.append(Row("total", ["Total", "", *(totals[column] for column in columns)]))
    report.data = {
        "programs": [{"code": program.code, "name": program.name} for program in shown],
        "expenses": items,
        "totals": {
            "programs": {program.code: money(totals[f"program:{program.pk}"]) for program in shown},
            "program_services": money(totals["program_total"]),
            "management_general": money(totals[Function.MANAGEMENT_GENERAL]),
            "fundraising": money(totals[Function.FUNDRAISING]),
            "total": money(totals["total"]),
        },
    }
    return report


# --- Fund balances ----------------------------------------------------------------------------


def fund_balances(*, as_of: date) -> Report:
    """Each fund's assets, liabilities and net assets (by class) as of a date."""
    sums = ledger_span_sums(
        spans={"to_date": Span(None, as_of)},
        group_by=["fund_id", "account_id", "net_asset_class"],
    )
    kinds = dict(Account.objects.values_list("id", "type"))
    figures: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in sums:
        kind, net = kinds[row["account_id"]], row["to_date"].debit - row["to_date"].credit
        if kind == AccountType.ASSET:
            figures[row["fund_id"]]["assets"] += net
        elif kind == AccountType.LIABILITY:
            figures[row["fund_id"]]["liabilities"] -= net
        else:
            figures[row["fund_id"]][row["net_asset_class"]] -= net

    report = Report(
        name="fund-balances",
        title="Fund balances",
        parameters={"as_of": as_of.isoformat()},
        columns=[
            "Fund",
            "Name",
            "Restriction",
            "Assets",
            "Liabilities",
            "Without donor restrictions",
            "With donor restrictions",
            "Fund balance",
        ],
    )
    totals: dict[str, Decimal] = defaultdict(Decimal)
    items = []
    for fund in Fund.objects.order_by("code"):
        values = figures.get(fund.pk, {})
        assets, liabilities = values.get("assets", ZERO), values.get("liabilities", ZERO)
        without = values.get(NetAssetClass.WITHOUT, ZERO)
        with_ = values.get(NetAssetClass.WITH, ZERO)
        balance = without + with_
        for key, amount in (
            ("assets", assets),
            ("liabilities", liabilities),
            ("without", without),
            ("with", with_),
            ("balance", balance),
        ):
            totals[key] += amount
        items.append(
            {
                "fund": fund.code,
                "name": fund.name,
                "restriction": fund.restriction,
                "assets": money(assets),
                "liabilities": money(liabilities),
                "without_donor_restrictions": money(without),
                "with_donor_restrictions": money(with_),
                "balance": money(balance),
            }
        )
        report.rows.append(
            Row(
                "line",
                [
                    fund.code,
                    fund.name,
                    fund.restriction,
                    assets,
                    liabilities,
                    without,
                    with_,
                    balance,
                ],
            )
        )
    report.rows.append(
        Row(
            "total",
            [
                "Total",
                "",
                "",
                totals["assets"],
                totals["liabilities"],
                totals["without"],
                totals["with"],
                totals["balance"],
            ],
        )
    )
    report.data = {
        "funds": items,
        "totals": {
            "assets": money(totals["assets"]),
            "liabilities": money(totals["liabilities"]),
            "without_donor_restrictions": money(totals["without"]),
            "with_donor_restrictions": money(totals["with"]),
            "balance": money(totals["balance"]),
        },
    }
    return report


# --- General ledger ---------------------------------------------------------------------------

# Lines are in the order (date, entry number, line id): a key that is unique (posted entries are
# numbered without gaps, once) and the order a bookkeeper reads the journal in, so a page starts
# where the one before it ended (keyset paging) however far into the year it is. Each page's
# lines are read from a window of days that the stored monthly line counts say holds them, so a
# page of a busy account never walks the account's whole year.
_LINES_SQL = """
SELECT e.date, e.number, l.id, e.number, e.source, coalesce(nullif(l.memo, ''), e.memo), f.code,
       l.debit, l.credit, l.function, p.code
  FROM {lines}
  JOIN accounting_fund f ON f.id = l.fund_id
  LEFT JOIN accounting_program p ON p.id = l.program_id
 WHERE e.state IN %(states)s AND e.date BETWEEN %(from)s AND %(to)s
"""
# Two ways to the account's lines of a window of days, each written so that the planner cannot
# turn it into the other (OFFSET 0 keeps a lateral subquery from being flattened into a join):
# walking the window's entries in the ledger's order and looking each one's lines of the account
# up, right for a busy account, whose page is found within a few days' entries; or reading every
# line the account has and looking each one's entry up, right for an account with few lines. Left
# to the planner, the two cost about the same on paper for a busy account, and it sometimes
# chose to read all of the account's lines (100,000 over three years in the benchmark) for a page
# or the days of a month: 150 to 350 ms instead of 2 to 10.
_BY_ENTRY = """accounting_journalentry e
 CROSS JOIN LATERAL (
       SELECT * FROM accounting_journalline l
        WHERE l.entry_id = e.id AND l.account_id = %(account)s
          AND (%(fund)s::bigint IS NULL OR l.fund_id = %(fund)s::bigint)
       OFFSET 0) AS l"""
_BY_ACCOUNT = """accounting_journalline l
  JOIN LATERAL (SELECT * FROM accounting_journalentry e WHERE e.id = l.entry_id OFFSET 0) AS e
    ON l.account_id = %(account)s
   AND (%(fund)s::bigint IS NULL OR l.fund_id = %(fund)s::bigint)"""
# Which way, from the stored monthly line counts: the entries are walked when the lines of the
# window's months, all accounts together, are fewer than four times the lines the account has in
# all. Reading one of the account's lines (its heap page, then its entry) costs about as much as
# walking four lines' worth of entries (an index probe an entry, which has two to five lines).
# {months} are conditions on `month`.
_WALK_SQL = """WITH walk AS MATERIALIZED (
SELECT (SELECT coalesce(sum(line_count), 0) FROM accounting_balance WHERE {months})
       < 4 * (SELECT coalesce(sum(line_count), 0) FROM accounting_balance
               WHERE account_id = %(account)s) AS walk)
"""
# A page's walk stops at its `limit` lines: it is expected to go through the window's lines in
# the proportion the account's (and fund's) lines are of them, `limit` of those.
_PAGE_WALK_SQL = """WITH walk AS MATERIALIZED (
SELECT least(lines, coalesce(%(limit)s * lines / nullif(account_lines, 0), lines))
       < 4 * (SELECT coalesce(sum(line_count), 0) FROM accounting_balance
               WHERE account_id = %(account)s) AS walk
  FROM (SELECT coalesce(sum(line_count), 0) AS lines,
               coalesce(sum(line_count) FILTER (
                   WHERE account_id = %(account)s
                     AND (%(fund)s::bigint IS NULL OR fund_id = %(fund)s::bigint)), 0)
                 AS account_lines
          FROM accounting_balance
         WHERE month BETWEEN %(from_month)s AND %(to)s) AS months)
"""
_WALKED = "(SELECT walk FROM walk)"
_PAGE_SQL = (
    _LINES_SQL
    + """
   AND (e.date, e.number) {than}= (%(date)s, %(number)s)
   AND (e.date, e.number, l.id) {than} (%(date)s, %(number)s, %(line)s)
   AND {walk}
 ORDER BY e.date {order}, e.number {order}, l.id {order}
 LIMIT %(limit)s"""
)
# One branch reads the lines, the other stops at its one-time filter.
_AFTER, _BEFORE = (
    _PAGE_WALK_SQL
    + "("
    + _PAGE_SQL.format(lines=_BY_ENTRY, than=than, order=order, walk=_WALKED)
    + ")\n UNION ALL\n("
    + _PAGE_SQL.format(lines=_BY_ACCOUNT, than=than, order=order, walk=f"NOT {_WALKED}")
    + f")\n ORDER BY 1 {order}, 2 {order}, 3 {order}\n LIMIT %(limit)s\n"
    for than, order in ((">", "ASC"), ("<", "DESC"))
)

# Everything a page needs besides its lines, in one aggregate over the account's stored monthly
# balances and the lines of the months read in part: the balance brought from before the period,
# the period's lines up to a place (their sum and number), the period's totals and its line
# counts by month. {opening}, {to_key}, {after_key} (lines counted in {to_key} that come off it)
# and {period} are conditions on the union's rows, {days} on the entries' dates and {months} on
# the months of those days.
_DAYS_SQL = """
        SELECT NULL, e.date, e.number, l.id, l.debit, l.credit, 1
          FROM {lines}
         WHERE e.state IN %(states)s AND ({days}) AND {walk}"""
_SUMS_SQL = """SELECT coalesce(sum(debit - credit) FILTER (WHERE {opening}), 0.00),
       coalesce(sum(debit - credit) FILTER (WHERE {to_key}), 0.00)
         - coalesce(sum(debit - credit) FILTER (WHERE {after_key}), 0.00),
       coalesce(sum(line_count) FILTER (WHERE {to_key}), 0)
         - coalesce(sum(line_count) FILTER (WHERE {after_key}), 0),
       coalesce(sum(line_count) FILTER (WHERE {period}), 0),
       coalesce(sum(debit) FILTER (WHERE {period}), 0.00),
       coalesce(sum(credit) FILTER (WHERE {period}), 0.00),
       array_agg(month) FILTER (WHERE day IS NULL AND month >= %(start_month)s),
       array_agg(line_count) FILTER (WHERE day IS NULL AND month >= %(start_month)s)
  FROM (SELECT month, NULL::date AS day, NULL::bigint AS number, NULL::bigint AS line,
               debit, credit, line_count
          FROM accounting_balance
         WHERE account_id = %(account)s AND month <= %(end)s
           AND (%(fund)s::bigint IS NULL OR fund_id = %(fund)s::bigint)
        UNION ALL{walked}
        UNION ALL{by_account}) AS parts
"""
_AGGREGATE_SQL = _WALK_SQL + _SUMS_SQL.replace(
    "{walked}", _DAYS_SQL.replace("{lines}", _BY_ENTRY).replace("{walk}", _WALKED)
).replace(
    "{by_account}",
    _DAYS_SQL.replace("{lines}", _BY_ACCOUNT).replace("{walk}", f"NOT {_WALKED}"),
)

LEDGER_PAGE_SIZE = 200
LEDGER_PAGE_MAX = 1000
# How many lines the streamed CSV reads at a time.
LEDGER_CHUNK = 2000
LEDGER_COLUMNS = [
    "Date",
    "Entry",
    "Memo",
    "Fund",
    "Function",
    "Program",
    "Debit",
    "Credit",
    "Balance",
]
_BIGGEST_ID = 2**63 - 1


@dataclass(frozen=True, order=True)
class LedgerKey:
    """A line's place in the ledger's order, and its text in a page's address:
    2026-03-01.1234.5678 (the date, the entry's number, the line's id)."""

    date: date
    number: int
    line: int

    def __str__(self) -> str:
        return f"{self.date.isoformat()}.{self.number}.{self.line}"

    @classmethod
    def parse(cls, text: str, *, name: str) -> LedgerKey:
        parts = text.split(".")
        try:
            day, number, line = date.fromisoformat(parts[0]), int(parts[1]), int(parts[2])
        except (ValueError, IndexError):
            day, number, line = None, -1, -1
        if day is None or len(parts) != 3 or not (0 <= number <= _BIGGEST_ID >= line >= 0):
            raise ServiceError(
                f"{name}: {text[:40]!r} is not a place in the ledger; follow the page links "
                "or leave it out for the first page.",
                fields={name: ["Not a place in the ledger."]},
            )
        return cls(day, number, line)


@dataclass(frozen=True)
class LedgerSums:
    """What the aggregate says about the period around a place in it: the opening balance,
    the sum and number of the period's lines up to the place, the period's number of lines and
    totals, and its lines by month (from the stored balances: the months at the period's ends
    count their whole month). Sums are debit minus credit."""

    opening: Decimal
    to_key: Decimal
    to_key_count: int
    total: int
    debit: Decimal
    credit: Decimal
    by_month: dict[date, int]


def _condition(span: Span, arguments: list[Any]) -> list[str]:
    """Conditions on the aggregate's rows for the stored months and the days of `span`."""
    conditions = []
    months = span.whole_months()
    if months is not None:
        conditions.append("(day IS NULL AND month BETWEEN %s AND %s)")
        arguments += months
    for first, last in span.partial_days():
        conditions.append("(day BETWEEN %s AND %s)")
        arguments += [first, last]
    return conditions


@dataclass(frozen=True)
class _Ledger:
    """One account's ledger over a period, as the queries below read it."""

    account: Account
    fund: str | None
    start: date
    end: date
    arguments: dict[str, Any]

    @property
    def direction(self) -> int:
        return 1 if self.account.normal_balance == NormalBalance.DEBIT else -1

    @property
    def parameters(self) -> dict[str, str]:
        return {
            "account": self.account.code,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            **({"fund": self.fund} if self.fund else {}),
        }

    def report(self, **extra: Any) -> Report:
        return Report(
            name="general-ledger",
            title=f"General ledger: {self.account.code} {self.account.name}",
            parameters=self.parameters,
            columns=LEDGER_COLUMNS,
            **extra,
        )

    def sums(self, key: LedgerKey, *, including: bool) -> LedgerSums:
        """The aggregate around `key`: the period's lines before it (and it, `including`)."""
        start, end = self.start, self.end
        arguments: list[Any] = []
        opening = _condition(until(start, before=True), arguments)
        opening_arguments, arguments = arguments, []
        period = _condition(Span(start, end), arguments)
        period_arguments, arguments = arguments, []
        days = [
            (first, last)
            for span in (until(start, before=True), Span(start, end))
            for first, last in span.partial_days()
        ]
        # Lines after the key counted in `to_key` that come off its sums: none, but for a key
        # past the middle of its month.
        after_key: list[str] = []
        after_key_arguments: list[Any] = []
        key_month, key_month_last = month_first(key.date), month_last(key.date)
        if key.date > end:
            to_key, to_key_arguments = period, period_arguments
        elif (
            start <= key_month
            and key_month_last <= end
            and (key_month_last - key.date) < (key.date - key_month)
            and Span(key_month, key_month_last).whole_months() is not None
        ):
            # Past the middle of its month: the month's stored balance less its lines after the
            # key, which are fewer to read than those before it.
            to_key = _condition(Span(start, key_month_last), arguments)
            to_key_arguments = arguments
            after_key = [
                f"(day BETWEEN %s AND %s AND (day, number, line) {'>' if including else '>='}"
                " (%s, %s, %s))"
            ]
            after_key_arguments = [key.date, key_month_last, key.date, key.number, key.line]
            days += Span(start, key_month_last).partial_days()
            days.append((key.date, key_month_last))
        else:
            before_key_month = (
                NO_DAYS if key_month == date.min else Span(start, key_month - timedelta(days=1))
            )
            to_key = _condition(before_key_month, arguments)
            to_key.append(
                f"(day BETWEEN %s AND %s AND (day, number, line) {'<=' if including else '<'}"
                " (%s, %s, %s))"
            )
            from_day = max(start, key_month)
            arguments += [from_day, key.date, key.date, key.number, key.line]
            to_key_arguments = arguments
            days += before_key_month.partial_days()
            days.append((from_day, key.date))
        day_conditions = " OR ".join("e.date BETWEEN %s AND %s" for _ in days) or "false"
        sql = _AGGREGATE_SQL.format(
            months=" OR ".join("month BETWEEN %s AND %s" for _ in days) or "false",
            opening=" OR ".join(opening) or "false",
            to_key=" OR ".join(to_key) or "false",
            after_key=" OR ".join(after_key) or "false",
            period=" OR ".join(period) or "false",
            days=day_conditions,
        )
        named = {
            **self.arguments,
            "start_month": month_first(start),
            "end": end,
        }
        # Positional arguments in the order the SQL names them; the named ones bound apart.
        positional = [
            *(day for first, last in days for day in (month_first(first), last)),
            *opening_arguments,
            *to_key_arguments,
            *after_key_arguments,
            *to_key_arguments,
            *after_key_arguments,
            *period_arguments,
            *period_arguments,
            *period_arguments,
        ]
        # The days' lines are read by one of two branches (the other stops at once).
        day_arguments = [day for pair in days for day in pair] * 2
        with connection.cursor() as cursor:
            cursor.execute(*_bind(sql, named, positional, day_arguments))
            opening_sum, to_key_sum, to_key_count, total, debit, credit, months, counts = (
                cursor.fetchone()
            )
        by_month: dict[date, int] = defaultdict(int)
        for month, count in zip(months or [], counts or [], strict=True):
            by_month[month] += count
        return LedgerSums(
            opening=opening_sum,
            to_key=to_key_sum,
            to_key_count=int(to_key_count),
            total=int(total),
            debit=debit,
            credit=credit,
            by_month=dict(by_month),
        )

    def lines(
        self,
        *,
        after: LedgerKey | None = None,
        limit: int | None = None,
        by_month: dict[date, int] | None = None,
    ) -> list[Any]:
        """The period's lines after `after` (from its start without it), `limit` of them."""
        key = after or LedgerKey(self.start, 0, 0)
        first = max(self.start, key.date)
        last = self.end
        if limit is not None and by_month is not None:
            # The months after the key's that hold `limit` lines between them bound the read.
            seen = 0
            for month in sorted(month for month in by_month if month > month_first(first)):
                seen += by_month[month]
                if seen >= limit:
                    last = min(last, month_last(month))
                    break
        return self._fetch(_AFTER, key, limit, first, last)

    def lines_before(
        self, key: LedgerKey, *, limit: int, by_month: dict[date, int] | None = None
    ) -> list[Any]:
        """The `limit` lines of the period just before `key`, in the ledger's order."""
        first, last = self.start, min(self.end, key.date)
        if by_month is not None:
            seen = 0
            for month in sorted((m for m in by_month if m < month_first(last)), reverse=True):
                seen += by_month[month]
                if seen >= limit:
                    first = max(first, month)
                    break
        return self._fetch(_BEFORE, key, limit, first, last)[::-1]

    def _fetch(
        self, sql: str, key: LedgerKey, limit: int | None, first: date, last: date
    ) -> list[Any]:
        with connection.cursor() as cursor:
            cursor.execute(
                sql,
                {
                    **self.arguments,
                    "date": key.date,
                    "number": key.number,
                    "line": key.line,
                    "limit": limit,
                    "from": first,
                    "from_month": month_first(first),
                    "to": last,
                },
            )
            return cursor.fetchall()

    def rows(self, lines: list[Any], balance: Decimal) -> tuple[list[Row], Decimal]:
        """Table rows of `lines`, each with its running balance from `balance`, and the
        balance after the last of them. Dates stay dates: the page writes them as the staff
        pages do, the CSV as ISO dates."""
        rows = []
        for day, _, _, number, _, memo, fund_code, debit, credit, function, program in lines:
            balance += self.direction * (debit - credit)
            rows.append(
                Row(
                    "line",
                    [
                        day,
                        number,
                        memo,
                        fund_code,
                        # The page words the function; CSV keeps its code.
                        Choice(function, Function(function).label) if function else "",
                        program or "",
                        debit or "",
                        credit or "",
                        balance,
                    ],
                )
            )
        return rows, balance

    def closing_row(self, debit: Decimal, credit: Decimal, closing: Decimal) -> Row:
        return Row(
            "total",
            [self.end, "", "Closing balance", "", "", "", debit, credit, closing],
        )


def _bind(
    sql: str, named: dict[str, Any], positional: list[Any], days: list[Any]
) -> tuple[str, list[Any]]:
    """`sql` with its named placeholders turned positional, and the arguments in their order:
    psycopg2 takes one style a statement."""
    values: list[Any] = []
    pieces = re.split(r"(%\([a-z_]+\)s|%s)", sql)
    queue = iter([*positional, *days])
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            continue
        values.append(next(queue) if piece == "%s" else named[piece[2:-2]])
        pieces[index] = "%s"
    return "".join(pieces), values


def _ledger(*, account: str, start: date, end: date, fund: str | None) -> _Ledger:
    range_check(start, end)
    target = Account.objects.filter(code=account).first()
    if target is None:
        raise ServiceError(
            f"There is no account {account!r}.", fields={"account": ["Unknown account."]}
        )
    return _Ledger(
        account=target,
        fund=fund,
        start=start,
        end=end,
        arguments={
            "account": target.pk,
            "states": tuple(str(state) for state in LEDGER_STATES),
            "fund": _fund_id(fund),
        },
    )


def _page_size(size: int | None) -> int:
    if size is None:
        return LEDGER_PAGE_SIZE
    if not 1 <= size <= LEDGER_PAGE_MAX:
        raise ServiceError(
            f"size: a page holds 1 to {LEDGER_PAGE_MAX} lines.",
            fields={"size": [f"From 1 to {LEDGER_PAGE_MAX}."]},
        )
    return size


def general_ledger(
    *,
    account: str,
    start: date,
    end: date,
    fund: str | None = None,
    after: str = "",
    size: int | None = None,
) -> Report:
    """One account's lines in a date range with a running balance, after the opening balance
    carried from before the range (in the account's normal direction). As JSON, a page of
    `size` lines (LEDGER_PAGE_SIZE by default) after the line `after` (a LedgerKey's text),
    with the place of its last line to ask for the next (`page.next`), and the period's totals
    and closing balance on every page; as a streamed CSV, every line, a chunk at a time."""
    ledger = _ledger(account=account, start=start, end=end, fund=fund)
    size = _page_size(size)
    after_key = LedgerKey.parse(after, name="after") if after else None
    first = LedgerKey(start, 0, 0)

    def stream() -> Iterator[Row]:
        sums = ledger.sums(first, including=False)
        opening = ledger.direction * sums.opening
        yield Row("line", [start, "", "Opening balance", "", "", "", "", "", opening])
        balance, place = opening, None
        while True:
            lines = ledger.lines(after=place, limit=LEDGER_CHUNK, by_month=sums.by_month)
            rows, balance = ledger.rows(lines, balance)
            yield from rows
            if len(lines) < LEDGER_CHUNK:
                break
            place = LedgerKey(*lines[-1][:3])
        yield ledger.closing_row(sums.debit, sums.credit, balance)

    def data() -> dict[str, Any]:
        key = after_key or first
        sums = ledger.sums(key, including=after_key is not None)
        lines = ledger.lines(after=key, limit=size + 1, by_month=sums.by_month)
        more, lines = len(lines) > size, lines[:size]
        opening = ledger.direction * sums.opening
        rows, _ = ledger.rows(lines, opening + ledger.direction * sums.to_key)
        closing = opening + ledger.direction * (sums.debit - sums.credit)
        # Amounts come from numeric(14, 2) columns, so str() already gives two decimals.
        return {
            "account": {
                "code": ledger.account.code,
                "name": ledger.account.name,
                "normal_balance": ledger.account.normal_balance,
            },
            "opening_balance": money(opening),
            "lines": [
                {
                    "date": day.isoformat(),
                    "entry": number,
                    "source": source,
                    "memo": memo,
                    "fund": fund,
                    "function": function,
                    "program": program,
                    "debit": str(debit),
                    "credit": str(credit),
                    "balance": str(row.cells[-1]),
                }
                for (day, _, _, number, source, memo, fund, debit, credit, function, program), (
                    row
                ) in zip(lines, rows, strict=True)
            ],
            "total_debit": money(sums.debit),
            "total_credit": money(sums.credit),
            "closing_balance": money(closing),
            "page": {
                "first": sums.to_key_count + 1 if lines else sums.to_key_count,
                "last": sums.to_key_count + len(lines),
                "total": sums.total,
                "next": str(LedgerKey(*lines[-1][:3])) if more else None,
            },
        }

    return ledger.report(data=data, stream=stream)


def general_ledger_page(
    *,
    account: str,
    start: date,
    end: date,
    fund: str | None = None,
    after: str = "",
    before: str = "",
    size: int | None = None,
) -> Report:
    """One page of `size` lines (LEDGER_PAGE_SIZE by default) of the general ledger: the
    first, the one after the line `after` or the one before the line `before` (a LedgerKey's
    text). The page starts from the balance brought forward from every line before it and ends
    with the balance carried forward, or on the last page the period's closing balance and
    totals. Three queries (the account, one aggregate, the page's lines) and one more with a
    fund, however many lines the period has and however deep the page is."""
    if after and before:
        raise ServiceError(
            "Ask for the page after a line or before one, not both.",
            fields={"before": ["Give after or before, not both."]},
        )
    size = _page_size(size)
    after_key = LedgerKey.parse(after, name="after") if after else None
    before_key = LedgerKey.parse(before, name="before") if before else None
    ledger = _ledger(account=account, start=start, end=end, fund=fund)
    if before_key is not None:
        sums = ledger.sums(before_key, including=False)
        # One line more than a page tells whether a page comes before this one.
        lines = ledger.lines_before(before_key, limit=size + 1, by_month=sums.by_month)
        more_before, lines = len(lines) > size, lines[-size:]
        before_count = sums.to_key_count - len(lines)
        brought = sums.to_key - sum((line[7] - line[8] for line in lines), ZERO)
        more_after = before_count + len(lines) < sums.total
    else:
        key = after_key or LedgerKey(start, 0, 0)
        sums = ledger.sums(key, including=after_key is not None)
        lines = ledger.lines(after=key, limit=size + 1, by_month=sums.by_month)
        more_after, lines = len(lines) > size, lines[:size]
        before_count, brought = sums.to_key_count, sums.to_key
        more_before = before_count > 0
    opening = ledger.direction * sums.opening
    brought = opening + ledger.direction * brought
    # Past the period's last line, everything in it comes before the page.
    first_key = LedgerKey(*lines[0][:3]) if lines else LedgerKey(end, _BIGGEST_ID, _BIGGEST_ID)

    rows = []
    if before_count == 0:
        rows.append(Row("line", [start, "", "Opening balance", "", "", "", "", "", opening]))
    else:
        rows.append(Row("line", [first_key.date, "", "Brought forward", *[""] * 5, brought]))
    line_rows, carried = ledger.rows(lines, brought)
    rows += line_rows
    if more_after:
        last_day = lines[-1][0]
        rows.append(Row("total", [last_day, "", "Carried forward", *[""] * 5, carried]))
    else:
        rows.append(ledger.closing_row(sums.debit, sums.credit, carried))
    return ledger.report(
        rows=rows,
        page=RowsPage(
            first=before_count + 1 if lines else before_count,
            last=before_count + len(lines),
            total=sums.total,
            previous={"before": str(first_key)} if more_before and lines else None,
            next={"after": str(LedgerKey(*lines[-1][:3]))} if more_after else None,
        ),
    )


REPORTS: dict[str, Callable[..., Report]] = {
    "trial-balance": trial_balance,
    "financial-position": financial_position,
    "activities": activities,
    "functional-expenses": functional_expenses,
    "fund-balances": fund_balances,
    "general-ledger": general_ledger,
}


# --- Comparison columns ------------------------------------------------------------------------

PRIOR_COMPARISONS = {
    "prior-period": "Prior period",
    "prior-year": "Prior year",
}
BUDGET = "budget"
# Beside the statements of a period's revenue and expenses (activities, functional expenses)
# only: no budget plans balances on a date.
COMPARISONS = {**PRIOR_COMPARISONS, BUDGET: "Budget"}


def _year_earlier(day: date) -> date:
    """The same day a year before; 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def prior_dates(compare: str, **dates: date) -> dict[str, date]:
    """The dates of the statement `compare` puts beside one for `dates`: a year earlier, or the
    period just before (ending the day before it starts: as many whole months as it has, or
    else as many days; for a balance date, the last day of the month before)."""
    if compare not in PRIOR_COMPARISONS:
        raise ServiceError(
            f"compare: {compare!r} is not a comparison with an earlier statement; use "
            f"{' or '.join(PRIOR_COMPARISONS)}.",
            fields={"compare": ["Not a comparison."]},
        )
    if compare == "prior-year":
        return {name: _year_earlier(day) for name, day in dates.items()}
    if "as_of" in dates:
        return {"as_of": dates["as_of"].replace(day=1) - timedelta(days=1)}
    start, end = dates["start"], dates["end"]
    prior_end = start - timedelta(days=1)
    if start.day == 1 and (end + timedelta(days=1)).day == 1:  # whole months: as many before
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        first = (start.year * 12 + start.month - 1) - months
        return {"start": date(first // 12, first % 12 + 1, 1), "end": prior_end}
    return {"start": prior_end - (end - start), "end": prior_end}


def _row_key(row: Row) -> tuple[str, tuple[Any, ...]]:
    return row.kind, tuple(cell for cell in row.cells if not isinstance(cell, Decimal) and cell)


def _last_figure(row: Row) -> Decimal | None:
    figures = [cell for cell in row.cells if isinstance(cell, Decimal)]
    return figures[-1] if figures else None


def _data(report: Report) -> dict[str, Any]:
    return report.data() if callable(report.data) else report.data


def compared(current: Report, prior: Report, compare: str) -> Report:
    """`current` with two more columns: the total of the same line in `prior` (an earlier
    statement, or the budget) and the change (beside a budget, actual over or under it).
    Lines are matched by their words (account, line name); a line only the prior statement has
    is placed where it stands there, with zeros for the current figures. A line the prior
    statement lacks had nothing then (zero) beside an earlier statement; a budget speaks only
    of the lines it plans, so beside it such a line, or one it holds without a figure, shows
    nothing."""
    width = len(current.columns)
    prior_rows: dict[tuple[str, tuple[Any, ...]], list[int]] = defaultdict(list)
    for index, row in enumerate(prior.rows):
        prior_rows[_row_key(row)].append(index)
    placed: set[int] = set()
    merged: list[tuple[Row, Row | None]] = []

    def place_prior_only(before: int) -> None:
        for index in range(before):
            if index in placed:
                continue
            placed.add(index)
            row = prior.rows[index]
            words = list(itertools.takewhile(lambda cell: not isinstance(cell, Decimal), row.cells))
            filler: Any = "" if row.kind == "heading" else ZERO
            merged.append((Row(row.kind, (words + [filler] * width)[:width], row.link), row))

    for row in current.rows:
        candidates = [index for index in prior_rows.get(_row_key(row), []) if index not in placed]
        if not candidates:
            merged.append((row, None))
            continue
        place_prior_only(candidates[0])
        placed.add(candidates[0])
        merged.append((row, prior.rows[candidates[0]]))
    place_prior_only(len(prior.rows))

    unmatched = None if compare == BUDGET else ZERO
    rows = []
    for row, prior_row in merged:
        now = _last_figure(row)
        then = _last_figure(prior_row) if prior_row is not None else unmatched
        if row.kind == "heading" or now is None or then is None:
            rows.append(Row(row.kind, [*row.cells, "", ""], row.link))
            continue
        rows.append(Row(row.kind, [*row.cells, then, now - then], row.link))
    prior_data = _data(prior)
    current_data = _data(current)
    change = "Over (under) budget" if compare == BUDGET else "Change"
    return Report(
        name=current.name,
        title=current.title,
        parameters={**current.parameters, "compare": compare},
        columns=[*current.columns, COMPARISONS[compare], change],
        rows=rows,
        data={
            **current_data,
            "comparison": {"compare": compare, "parameters": prior.parameters, **prior_data},
        },
        chart=current.chart,
    )


# --- The budget beside the statements ----------------------------------------------------------


def _budget_parameters(start: date, end: date) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat()}


def _budgets_data(amounts: BudgetAmounts) -> list[dict[str, Any]]:
    return [
        {"id": budget.pk, "name": budget.name, "fiscal_year": budget.fiscal_year}
        for budget in amounts.budgets
    ]


def budgets_text(report: Report) -> str:
    """The approved budgets a statement is compared with, as its caption names them:
    the approved budget “Operating budget” (FY2026)."""
    budgets = _data(report).get("comparison", {}).get("budgets", [])
    named = " and ".join(f"“{budget['name']}” (FY{budget['fiscal_year']})" for budget in budgets)
    return f"the approved budget{'s' if len(budgets) > 1 else ''} {named}"


def _planned(
    amounts: BudgetAmounts, accounts: dict[int, Account], kind: str, shown: list[str]
) -> list[tuple[Account, Decimal]]:
    """The accounts of `kind` the budget plans for, or that the statement shows (planned at
    zero when the budget leaves them out), by code, with their amounts."""
    planned = {
        account.code: (account, amounts.by_account.get(pk, ZERO))
        for pk, account in accounts.items()
        if account.type == kind
        and not _is_release(account)
        and (amounts.by_account.get(pk) or account.code in shown)
    }
    return [planned[code] for code in sorted(planned)]


def activities_budget(*, start: date, end: date, shown: list[str]) -> Report:
    """The approved budget for a period of whole months shaped as the statement of
    activities, to stand beside it: revenue by account (those in `shown`, the statement's, and
    those budgeted), the totals of revenue and of expenses and the change in net assets. A
    budget plans accounts, not functions, net-asset classes or releases from restriction:
    those lines it holds without a figure, or not at all. Three queries."""
    range_check(start, end)
    amounts = approved_budget_amounts(start=start, end=end)
    accounts = _accounts()
    revenue = _planned(amounts, accounts, AccountType.REVENUE, shown)
    total_revenue = sum((amount for _, amount in revenue), ZERO)
    total_expenses = sum(
        (
            amount
            for pk, amount in amounts.by_account.items()
            if accounts[pk].type == AccountType.EXPENSE
        ),
        ZERO,
    )
    change = total_revenue - total_expenses
    return Report(
        name="activities-budget",
        title="Budget",
        parameters=_budget_parameters(start, end),
        columns=["Line", "Budget"],
        rows=[
            Row("heading", ["Revenue and support"]),
            *(Row("line", [f"{a.code} {a.name}", amount]) for a, amount in revenue),
            Row("line", ["Net assets released from restrictions"]),
            Row("total", ["Total revenue and support", total_revenue]),
            Row("heading", ["Expenses"]),
            Row("total", ["Total expenses", total_expenses]),
            Row("total", ["Change in net assets", change]),
        ],
        data={
            "budgets": _budgets_data(amounts),
            "revenue_and_support": [
                {"account": a.code, "name": a.name, "budget": money(amount)}
                for a, amount in revenue
            ],
            "total_revenue_and_support": money(total_revenue),
            "total_expenses": money(total_expenses),
            "change_in_net_assets": money(change),
        },
    )


def functional_expenses_budget(*, start: date, end: date, shown: list[str]) -> Report:
    """The approved budget for a period of whole months shaped as the statement of functional
    expenses, to stand beside its total column: each expense account's amount (those in
    `shown`, the statement's, and those budgeted) and their total. Three queries."""
    range_check(start, end)
    amounts = approved_budget_amounts(start=start, end=end)
    expenses = _planned(amounts, _accounts(), AccountType.EXPENSE, shown)
    total = sum((amount for _, amount in expenses), ZERO)
    return Report(
        name="functional-expenses-budget",
        title="Budget",
        parameters=_budget_parameters(start, end),
        columns=["Account", "Name", "Budget"],
        rows=[
            *(Row("line", [a.code, a.name, amount]) for a, amount in expenses),
            Row("total", ["Total", "", total]),
        ],
        data={
            "budgets": _budgets_data(amounts),
            "expenses": [
                {"account": a.code, "name": a.name, "budget": money(amount)}
                for a, amount in expenses
            ],
            "total": money(total),
        },
    )

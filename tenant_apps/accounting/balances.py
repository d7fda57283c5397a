"""Reads of the books' sums over stretches of days, from the monthly balances the database keeps
(models.Balance): the months a stretch covers whole are read as their balance rows, and only
the days of the months at its ends that it covers in part are read as journal lines. A report
then costs about the same at a million lines as at a thousand.

Every sum counts the lines in the books: of posted entries, and of reversed ones (offset by
their posted reversals), as `selectors.ledger_lines` does.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection

from tenant_apps.accounting.models import LEDGER_STATES

# What a balance row and a journal line both carry, by the column's name in both tables.
DIMENSIONS = ("account_id", "fund_id", "net_asset_class", "function", "program_id")
EARLIEST = date(1, 1, 1)


def month_first(day: date) -> date:
    return day.replace(day=1)


def month_last(day: date) -> date:
    return day.replace(day=monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class Span:
    """The days from `start` to `end`, both included; `start` None is since the first entry."""

    start: date | None
    end: date

    def whole_months(self) -> tuple[date, date] | None:
        """The first days of the first and last months the span covers whole (None if none)."""
        if self.start is None:
            first = EARLIEST
        elif self.start.day == 1:
            first = self.start
        else:
            first = month_last(self.start) + timedelta(days=1)
        last = month_first(self.end) if self.end == month_last(self.end) else None
        if last is None:
            before = month_first(self.end) - timedelta(days=1)
            last = month_first(before) if before >= EARLIEST else None
        if last is None or first > last:
            return None
        return first, last

    def partial_days(self) -> list[tuple[date, date]]:
        """The stretches of days in months the span covers in part: at most two."""
        start = self.start or EARLIEST
        months = self.whole_months()
        if months is None:
            return [(start, self.end)] if start <= self.end else []
        first, last = months
        parts = []
        if start < first:
            parts.append((start, first - timedelta(days=1)))
        after = month_last(last) + timedelta(days=1)
        if after <= self.end:
            parts.append((after, self.end))
        return parts


@dataclass(frozen=True)
class Sums:
    debit: Decimal
    credit: Decimal
    lines: int


ZERO = Decimal("0.00")


def _span_condition(span: Span, arguments: list[Any]) -> str:
    """The SQL condition that a row of the union below belongs to `span`."""
    conditions = []
    months = span.whole_months()
    if months is not None:
        conditions.append("(day IS NULL AND month BETWEEN %s AND %s)")
        arguments += months
    for first, last in span.partial_days():
        conditions.append("(day BETWEEN %s AND %s)")
        arguments += [first, last]
    return " OR ".join(conditions) or "false"


def ledger_span_sums(
    *,
    spans: dict[str, Span],
    group_by: Sequence[str],
    account_ids: Sequence[int] | None = None,
    fund_id: int | None = None,
    program_id: int | None = None,
) -> list[dict[str, Any]]:
    """The debits, credits and line counts of the books in each of `spans`, by the columns
    `group_by` (of DIMENSIONS), narrowed to `account_ids`, a fund and a program: one query.
    Each row has the `group_by` values and a Sums per span name."""
    unknown = set(group_by) - set(DIMENSIONS)
    if unknown:
        raise ValueError(f"not a dimension of the ledger: {sorted(unknown)}")
    filters, filter_arguments = [], []
    if account_ids is not None:
        filters.append("account_id = ANY(%s)")
        filter_arguments.append(list(account_ids))
    if fund_id is not None:
        filters.append("fund_id = %s")
        filter_arguments.append(fund_id)
    if program_id is not None:
        filters.append("program_id = %s")
        filter_arguments.append(program_id)

    month_ranges = [months for span in spans.values() if (months := span.whole_months())]
    day_ranges = [part for span in spans.values() for part in span.partial_days()]
    parts, arguments = [], []
    if month_ranges:
        conditions = ["month BETWEEN %s AND %s", *filters]
        arguments += [min(pair[0] for pair in month_ranges), max(pair[1] for pair in month_ranges)]
        arguments += filter_arguments
        parts.append(
            # Column names from DIMENSIONS and conditions of our own: values are arguments.
            f"SELECT {', '.join(DIMENSIONS)}, month, NULL::date AS day, debit, credit, line_count"  # noqa: S608
            f" FROM accounting_balance WHERE {' AND '.join(conditions)}"
        )
    if day_ranges:
        days = " OR ".join("e.date BETWEEN %s AND %s" for _ in day_ranges)
        for first, last in day_ranges:
            arguments += [first, last]
        arguments.append(tuple(str(state) for state in LEDGER_STATES))
        arguments += filter_arguments
        line_filters = "".join(f" AND l.{condition}" for condition in filters)
        parts.append(
            f"SELECT {', '.join(f'l.{column}' for column in DIMENSIONS)}, NULL::date AS month,"  # noqa: S608
            " e.date AS day, l.debit, l.credit, 1 AS line_count"
            " FROM accounting_journalline l JOIN accounting_journalentry e ON e.id = l.entry_id"
            f" WHERE ({days}) AND e.state IN %s{line_filters}"
        )
    if not parts:
        return []

    selected = list(group_by)
    span_arguments: list[Any] = []
    for span in spans.values():
        condition_arguments: list[Any] = []
        condition = _span_condition(span, condition_arguments)
        selected += [
            f"coalesce(sum(debit) FILTER (WHERE {condition}), 0.00)",
            f"coalesce(sum(credit) FILTER (WHERE {condition}), 0.00)",
            f"coalesce(sum(line_count) FILTER (WHERE {condition}), 0)",
        ]
        span_arguments += condition_arguments * 3  # the condition is written three times
    grouping = f" GROUP BY {', '.join(group_by)}" if group_by else ""
    sql = f"SELECT {', '.join(selected)} FROM ({' UNION ALL '.join(parts)}) AS parts{grouping}"  # noqa: S608 (names from DIMENSIONS)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*span_arguments, *arguments])
        rows = cursor.fetchall()
    width = len(group_by)
    result = []
    for row in rows:
        item: dict[str, Any] = dict(zip(group_by, row[:width], strict=True))
        for index, name in enumerate(spans):
            debit, credit, lines = row[width + 3 * index : width + 3 * index + 3]
            item[name] = Sums(debit, credit, int(lines))
        result.append(item)
    return result

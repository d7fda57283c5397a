"""Reads of the books' sums over stretches of days, from the monthly balances the database keeps
(models.Balance): the months a stretch covers whole are read as their balance rows, and only
the days of the months at its ends that it covers in part are read as journal lines. A report
then costs about the same at a million lines as at a thousand.

Every sum counts the lines in the books: of posted entries, and of reversed ones (offset by
their posted reversals), as `selectors.ledger_lines` does.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection

from tenant_apps.accounting.models import LEDGER_STATES

# What a balance row and a journal line both carry, by the column's name in both tables.
DIMENSIONS = ("account_id", "fund_id", "net_asset_class", "function", "program_id")
EARLIEST = date(1, 1, 1)

_lines_only: ContextVar[bool] = ContextVar("accounting_sums_from_lines_only", default=False)


@contextmanager
def sums_from_lines_only() -> Iterator[None]:
    """Within it, every sum is read from the journal lines alone, the stored balances left
    aside: the full recomputation the stored balances are checked against."""
    token = _lines_only.set(True)
    try:
        yield
    finally:
        _lines_only.reset(token)


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
        """The first days of the first and last months the span covers whole (None if none,
        or when sums are read from the lines only)."""
        if _lines_only.get():
            return None
        if self.start is None:
            first = EARLIEST
        elif self.start.day == 1:
            first = self.start
        elif month_last(self.start) == date.max:
            return None
        else:
            first = month_last(self.start) + timedelta(days=1)
        if self.end == month_last(self.end):
            last: date | None = month_first(self.end)
        elif month_first(self.end) == date.min:
            last = None
        else:
            last = month_first(month_first(self.end) - timedelta(days=1))
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
        if month_last(last) < self.end:
            parts.append((month_last(last) + timedelta(days=1), self.end))
        return parts


@dataclass(frozen=True)
class Reading:
    """How a span is read: stored balances for `months` (ranges of first days), plus the lines
    of `added` days, less the lines of `taken` days. A month the span covers more than half of
    is read as its balance less the lines of the days it leaves out: fewer lines to read."""

    months: list[tuple[date, date]]
    added: list[tuple[date, date]]
    taken: list[tuple[date, date]]


def _month_pieces(first: date, last: date) -> list[tuple[date, date]]:
    """The days from `first` to `last` cut at the ends of months."""
    pieces = []
    while first <= last:
        end = min(last, month_last(first))
        pieces.append((first, end))
        if end == date.max:
            break
        first = end + timedelta(days=1)
    return pieces


def span_reading(span: Span) -> Reading:
    """How `span` is read (see Reading); all of it from lines when sums are read from the lines
    only."""
    if _lines_only.get():
        return Reading(months=[], added=span.partial_days(), taken=[])
    whole = span.whole_months()
    months = [whole] if whole is not None else []
    added, taken = [], []
    for part_first, part_last in span.partial_days():
        for first, last in _month_pieces(part_first, part_last):
            month_start, month_end = month_first(first), month_last(first)
            covered = (last - first).days + 1
            if 2 * covered <= (month_end - month_start).days + 1:
                added.append((first, last))
                continue
            months.append((month_start, month_start))
            if month_start < first:
                taken.append((month_start, first - timedelta(days=1)))
            if last < month_end:
                taken.append((last + timedelta(days=1), month_end))
    return Reading(months=months, added=added, taken=taken)


# A span that ends before it starts: no day at all.
NO_DAYS = Span(date.max, date.min)


def until(day: date, *, before: bool) -> Span:
    """Everything up to `day`, or up to the day before it (nothing before the calendar's
    first day)."""
    if not before:
        return Span(None, day)
    if day == date.min:
        return NO_DAYS
    return Span(None, day - timedelta(days=1))


@dataclass(frozen=True)
class Sums:
    debit: Decimal
    credit: Decimal
    lines: int


ZERO = Decimal("0.00")


def _reading_sql(reading: Reading, arguments: list[Any]) -> tuple[str, str]:
    """The SQL conditions that a row of the union below adds to a span, and that it takes
    from it."""
    added = []
    for first, last in reading.months:
        added.append("(day IS NULL AND month BETWEEN %s AND %s)")
        arguments += [first, last]
    for first, last in reading.added:
        added.append("(day BETWEEN %s AND %s)")
        arguments += [first, last]
    taken = []
    for first, last in reading.taken:
        taken.append("(day BETWEEN %s AND %s)")
        arguments += [first, last]
    return " OR ".join(added) or "false", " OR ".join(taken) or "false"


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
    Each row has the `group_by` values and a Sums per span name; a group with no line in any
    span is left out."""
    unknown = set(group_by) - set(DIMENSIONS)
    if unknown:
        raise ValueError(f"not a dimension of the ledger: {sorted(unknown)}")
    filters: list[str] = []
    filter_arguments: list[Any] = []
    if account_ids is not None:
        filters.append("account_id = ANY(%s)")
        filter_arguments.append(list(account_ids))
    if fund_id is not None:
        filters.append("fund_id = %s")
        filter_arguments.append(fund_id)
    if program_id is not None:
        filters.append("program_id = %s")
        filter_arguments.append(program_id)

    readings = {name: span_reading(span) for name, span in spans.items()}
    month_ranges = [months for reading in readings.values() for months in reading.months]
    day_ranges = [
        days for reading in readings.values() for days in [*reading.added, *reading.taken]
    ]
    parts: list[str] = []
    arguments: list[Any] = []
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
    for reading in readings.values():
        condition_arguments: list[Any] = []
        added, taken = _reading_sql(reading, condition_arguments)
        selected += [
            f"coalesce(sum(CASE WHEN {added} THEN {column} WHEN {taken} THEN -{column} END),"
            f" {zero})"
            for column, zero in (("debit", "0.00"), ("credit", "0.00"), ("line_count", "0"))
        ]
        span_arguments += condition_arguments * 3  # the conditions are written three times
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
        # A month read as its balance less the days left out can leave a group with no line
        # in any span: it is not in the books of these spans.
        if any(item[name].lines for name in spans):
            result.append(item)
    return result


# --- Checking the stored balances against the lines ------------------------------------------

# The balances the posted lines add up to, by month and dimensions (what the posting trigger
# keeps, and what a rebuild writes).
RECOMPUTED_SQL = """
SELECT date_trunc('month', e.date)::date AS month, l.account_id, l.fund_id, l.net_asset_class,
       l.function, l.program_id, sum(l.debit) AS debit, sum(l.credit) AS credit,
       count(*) AS line_count
  FROM accounting_journalline l JOIN accounting_journalentry e ON e.id = l.entry_id
 WHERE e.state IN ('posted', 'reversed')
 GROUP BY 1, 2, 3, 4, 5, 6
"""

_DIFFERENCES_SQL = f"""
WITH recomputed AS ({RECOMPUTED_SQL})
SELECT coalesce(s.month, r.month), coalesce(s.account_id, r.account_id),
       coalesce(s.fund_id, r.fund_id), coalesce(s.net_asset_class, r.net_asset_class),
       coalesce(s.function, r.function), coalesce(s.program_id, r.program_id),
       s.debit, s.credit, s.line_count, r.debit, r.credit, r.line_count
  FROM accounting_balance s
  FULL JOIN recomputed r
    ON r.month = s.month AND r.account_id = s.account_id AND r.fund_id = s.fund_id
   AND r.net_asset_class = s.net_asset_class
   AND r.function IS NOT DISTINCT FROM s.function
   AND r.program_id IS NOT DISTINCT FROM s.program_id
 WHERE s.id IS NULL OR r.month IS NULL
    OR (s.debit, s.credit, s.line_count) <> (r.debit, r.credit, r.line_count)
 ORDER BY 1, 2, 3, 4, 5, 6
"""  # noqa: S608 (no input: one constant inside another)


@dataclass(frozen=True)
class BalanceDifference:
    """A stored monthly balance that is not what its lines add up to: `stored` or `lines` is
    None where only the other has the row."""

    month: date
    account_id: int
    fund_id: int
    net_asset_class: str
    function: str | None
    program_id: int | None
    stored: Sums | None
    lines: Sums | None

    def __str__(self) -> str:
        def text(sums: Sums | None) -> str:
            if sums is None:
                return "nothing"
            return f"debits {sums.debit}, credits {sums.credit}, {sums.lines} lines"

        where = (
            f"{self.month:%Y-%m} account {self.account_id} fund {self.fund_id} "
            f"{self.net_asset_class} {self.function or '-'} program {self.program_id or '-'}"
        )
        return f"{where}: stored {text(self.stored)}; the lines add up to {text(self.lines)}"


def balance_differences() -> list[BalanceDifference]:
    """Every stored monthly balance of the current schema that differs from what the posted
    lines add up to, or is missing, or has no lines behind it: one query."""
    with connection.cursor() as cursor:
        cursor.execute(_DIFFERENCES_SQL)
        rows = cursor.fetchall()
    return [
        BalanceDifference(
            month=row[0],
            account_id=row[1],
            fund_id=row[2],
            net_asset_class=row[3],
            function=row[4],
            program_id=row[5],
            stored=None if row[6] is None else Sums(row[6], row[7], int(row[8])),
            lines=None if row[9] is None else Sums(row[9], row[10], int(row[11])),
        )
        for row in rows
    ]

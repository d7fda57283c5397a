"""The report kit every app's reports are made with: a `Report` is a name, a title, its
parameters, the figures for JSON and a table of rows for CSV and the page (`report_api` serves
it over the API, `report_pages` as a page), and may draw a chart on its page. An app's reports
are its own selectors that return one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from saas_platform.lib.charts import Chart
from saas_platform.lib.errors import ServiceError

ZERO = Decimal("0.00")


def money(value: Decimal | None) -> str:
    return f"{(value or ZERO):.2f}"


class Style(StrEnum):
    """How the page writes a column's values. PLAIN writes them as they are (an amount as
    accountants print it, 1,234.50); the others as the staff pages write them elsewhere."""

    PLAIN = "plain"
    MONEY = "money"  # $1,234.50
    STATEMENT = "statement"  # $1,234.50, and a negative amount as ($1,234.50)
    COUNT = "count"  # 1,234
    PERCENT = "percent"  # 50.0%


@dataclass(frozen=True)
class Column:
    """A column of the table. `label` heads it in CSV and on the page; `style` says how the
    page writes its values; `link` makes its cell a link to the page the row is about
    (`Row.link`); a column not `on_page` is for CSV only (an id, which a person does not read
    but a spreadsheet joins on). A report may give a plain label instead: a PLAIN column."""

    label: str
    style: Style = Style.PLAIN
    link: bool = False
    on_page: bool = True


@dataclass(frozen=True)
class Choice:
    """A value that CSV and the API give as its code and the page as words ("without",
    "Without donor restrictions")."""

    code: str
    label: str

    def __str__(self) -> str:
        return self.code


@dataclass
class Row:
    """A table row: `kind` is heading, line or total; `cells` are the label then the figures.
    `link` is the address of the page the row is about (a donor's), for the cells of the
    columns that link to it; CSV leaves it out."""

    kind: str
    cells: list[Any]
    link: str = ""


@dataclass(frozen=True)
class RowsPage:
    """Where a report's rows sit when the page shows a part of them: lines `first` to `last`
    (counted from 1) of `total`, and the query parameters that ask for the pages before and
    after it (None at either end), added to the report's own parameters."""

    first: int
    last: int
    total: int
    previous: dict[str, str] | None
    next: dict[str, str] | None


@dataclass
class Report:
    name: str
    title: str
    parameters: dict[str, str]
    columns: Sequence[str | Column]
    rows: list[Row] = field(default_factory=list)
    # The figures for JSON, or a function that makes them: a long report builds them only
    # when they are asked for (a page or a CSV needs only the rows).
    data: dict[str, Any] | Callable[[], dict[str, Any]] = field(default_factory=dict)
    # The chart the page draws above the table (None where a chart would say nothing), made
    # from the report's own figures when the page asks: JSON and CSV never build it.
    chart: Callable[[], Chart | None] | None = None
    # A page of a long report's rows (see RowsPage); None when `rows` are all of them.
    page: RowsPage | None = None
    # The rows of a report too long to hold at once, made as they are written out (a CSV
    # streamed to the reader); `rows` is then left empty.
    stream: Callable[[], Iterator[Row]] | None = None

    @property
    def table_columns(self) -> list[Column]:
        return [column if isinstance(column, Column) else Column(column) for column in self.columns]

    def as_json(self) -> dict[str, Any]:
        data = self.data() if callable(self.data) else self.data
        return {"report": self.name, "title": self.title, "parameters": self.parameters, **data}

    def as_table(self) -> list[list[str]]:
        """Header and rows for CSV: figures as plain decimal strings, dates as ISO dates."""
        return list(self.table_lines())

    def table_lines(self) -> Iterator[list[str]]:
        """The same table one row at a time, the streamed rows made as they are asked for."""
        yield [column.label for column in self.table_columns]
        rows: Iterable[Row] = self.stream() if self.stream is not None else self.rows
        for row in rows:
            yield [csv_text(cell) for cell in row.cells]


def csv_text(value: Any) -> str:
    if isinstance(value, Decimal):
        return money(value)
    return "" if value is None else str(value)


def range_check(start: date, end: date) -> None:
    """Refuse a period that ends before it starts (every report over a period checks it)."""
    if start > end:
        raise ServiceError(
            "The start date is after the end date.", fields={"start": ["After the end date."]}
        )

"""The report kit every app's reports are made with: a `Report` is a name, a title, its
parameters, the figures for JSON and a table of rows for CSV and the page (`report_api` serves
it over the API, `report_pages` as a page). An app's reports are its own selectors that return one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from saas_platform.lib.errors import ServiceError

ZERO = Decimal("0.00")


def money(value: Decimal | None) -> str:
    return f"{(value or ZERO):.2f}"


@dataclass
class Row:
    """A table row: `kind` is heading, line or total; `cells` are the label then the figures."""

    kind: str
    cells: list[Any]


@dataclass
class Report:
    name: str
    title: str
    parameters: dict[str, str]
    columns: list[str]
    rows: list[Row] = field(default_factory=list)
    # The figures for JSON, or a function that makes them: a long report builds them only
    # when they are asked for (a page or a CSV needs only the rows).
    data: dict[str, Any] | Callable[[], dict[str, Any]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        data = self.data() if callable(self.data) else self.data
        return {"report": self.name, "title": self.title, "parameters": self.parameters, **data}

    def as_table(self) -> list[list[str]]:
        """Header and rows for CSV: figures as plain decimal strings."""
        return [self.columns] + [
            [money(cell) if isinstance(cell, Decimal) else str(cell) for cell in row.cells]
            for row in self.rows
        ]


def range_check(start: date, end: date) -> None:
    """Refuse a period that ends before it starts (every report over a period checks it)."""
    if start > end:
        raise ServiceError(
            "The start date is after the end date.", fields={"start": ["After the end date."]}
        )

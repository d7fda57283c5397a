"""CSV out of the platform: escaping against formula injection, for every file people open in a
spreadsheet, and the reports' renderer (`?format=csv`, DRF's URL_FORMAT_OVERRIDE, or
`Accept: text/csv`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from rest_framework.renderers import BaseRenderer

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection); a name
# typed by a user ("=HYPERLINK(...)") is prefixed with a quote so it stays text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text_cell(value: Any) -> str:
    """A cell of typed text (a name, a phone number): quoted whenever it starts like a formula.
    An import of the same file takes the quote off again."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_cell(value: Any) -> str:
    """A cell of a report: like csv_text_cell, but a negative amount stays a number."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        try:
            Decimal(text)  # a negative amount is a number, not a formula
        except InvalidOperation:
            return "'" + text
    return text


def _rows_of(data: Any) -> Iterable[Iterable[Any]]:
    """A table (a list of rows) as it is; anything else as key/value rows, so that whatever
    reaches this renderer comes out readable rather than as a server error."""
    if isinstance(data, list | tuple):
        return [row if isinstance(row, list | tuple) else [row] for row in data]
    if isinstance(data, Mapping):
        return [["field", "value"], *_flatten(data)]
    return [[data]]


def _flatten(data: Mapping[str, Any], prefix: str = "") -> list[list[Any]]:
    rows: list[list[Any]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            rows += _flatten(value, prefix=f"{name}.")
        else:
            rows.append([name, value])
    return rows


class CSVRenderer(BaseRenderer):
    """Renders a table, a list of rows whose first row is the header (Report.as_table())."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        buffer = io.StringIO()
        writer = csv.writer(buffer)  # RFC 4180: quoted as needed, CRLF line ends
        for row in _rows_of(data):
            writer.writerow([csv_cell(cell) for cell in row])
        return buffer.getvalue().encode(self.charset)


class _Line:
    """A file-like object whose write() hands back what it was given: csv.writer then makes
    one line at a time for a streamed response."""

    def write(self, text: str) -> str:
        return text


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[bytes]:
    """Rows as CSV lines, escaped as the renderer escapes them, made one at a time."""
    writer = csv.writer(_Line())
    for row in rows:
        yield writer.writerow([csv_cell(cell) for cell in row]).encode(CSVRenderer.charset)

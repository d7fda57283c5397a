"""The page of a report, for every app that has them: its parameters as a form, the report's
chart if it has one, the report (a `lib.reports.Report`) as a table with figures printed as
accountants print them (or as its columns say: money, counts, percents), cells linking to the
pages their rows are about, and a link to the same report as CSV (served by the API). An app's
view builds the form and says how to run the report; `render_report` does the rest with
reports/report.html."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import wraps
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import dateformat
from django.views.decorators.http import require_safe

from saas_platform.lib import formatting
from saas_platform.lib.errors import ServiceError
from saas_platform.lib.reports import Choice, Column, Report, Row, Style
from saas_platform.lib.statement_timeout import report_statements

if TYPE_CHECKING:
    # Types only (import-linter leaves type-checking imports out): the library imports no app.
    from shared_apps.users.requests import AuthenticatedHttpRequest
    from shared_apps.users.roles import Capability

DATE_FORMAT = "%Y-%m-%d"
CELL_DATE_FORMAT = "M j, Y"  # a date in a table, as the staff pages write it: Sep 1, 2025
CENT = Decimal("0.01")
TEMPLATE = "reports/report.html"

View = Callable[..., HttpResponse]

# --- Parameters --------------------------------------------------------------------------------


def date_field(label: str) -> forms.DateField:
    # ISO dates only: what the date picker sends and the API takes; "03/04/2026" is ambiguous.
    return forms.DateField(
        label=label,
        input_formats=[DATE_FORMAT],
        widget=forms.DateInput(attrs={"type": "date"}, format=DATE_FORMAT),
    )


class PeriodForm(forms.Form):
    start = date_field("From")
    end = date_field("To")


def day_text(day: date) -> str:
    """A date as the report pages print it: 31 October 2026."""
    return dateformat.format(day, "j F Y")


def period_text(start: date, end: date) -> str:
    return f"{day_text(start)} to {day_text(end)}"


# --- The table ---------------------------------------------------------------------------------


def figure(value: Decimal) -> str:
    """An amount as accountants print it: 1,234.50, and a negative one as (1,234.50)."""
    cents = value.quantize(CENT)  # rounded as the CSV rounds it (reports.money)
    text = f"{abs(cents):,.2f}"
    return f"({text})" if cents < 0 else text


@dataclass(frozen=True)
class Cell:
    text: str
    numeric: bool
    url: str = ""


@dataclass(frozen=True)
class TableRow:
    kind: str
    header: Cell
    cells: list[Cell]


@dataclass(frozen=True)
class Table:
    columns: list[Cell]
    rows: list[TableRow]


NUMERIC_STYLES = {Style.MONEY, Style.STATEMENT, Style.COUNT, Style.PERCENT}


def cell_text(value: Any, style: Style) -> str:
    """A value as the page writes it in a column of `style`."""
    if value is None or value == "":
        return ""
    if isinstance(value, Choice):
        return value.label
    if isinstance(value, date):
        return dateformat.format(value, CELL_DATE_FORMAT)
    if style is Style.MONEY and isinstance(value, Decimal):
        return formatting.money(value)
    if style is Style.STATEMENT and isinstance(value, Decimal):
        return formatting.money(value, parentheses=True)
    if style is Style.COUNT and isinstance(value, int):
        return formatting.count(value)
    if style is Style.PERCENT and isinstance(value, str | Decimal):
        return f"{value}%"
    if isinstance(value, Decimal):
        return figure(value)
    return str(value)


def report_table(report: Report) -> Table:
    """The report's rows as cells: figures formatted and flagged so their column aligns right,
    the columns kept for CSV left out, and the cells of linking columns linked to their row's
    page."""
    columns = report.table_columns
    numeric = {index for index, column in enumerate(columns) if column.style in NUMERIC_STYLES}
    numeric |= {
        index
        for row in report.rows
        for index, cell in enumerate(row.cells)
        if isinstance(cell, Decimal)
    }
    shown = [index for index, column in enumerate(columns) if column.on_page]
    # A date is written once a table: the rows of a ledger's page share a few days, and writing
    # one (its month's name translated) took half the time of building a 200-line page's table.
    dates: dict[date, str] = {}

    def text(value: Any, style: Style) -> str:
        if not isinstance(value, date):
            return cell_text(value, style)
        if value not in dates:
            dates[value] = cell_text(value, style)
        return dates[value]

    def cell(index: int, row: Row) -> Cell:
        column = columns[index] if index < len(columns) else Column("")
        return Cell(
            text(row.cells[index], column.style),
            index in numeric,
            row.link if column.link else "",
        )

    rows = []
    for row in report.rows:
        cells = [cell(index, row) for index in shown if index < len(row.cells)]
        header = cells[0]
        if row.kind != "line" and not header.text:
            # A heading's or a total's words may sit in a column kept for CSV ("3 donors"
            # under the donor ids): the page shows them in the row's first column.
            kept = [row.cells[index] for index in range(shown[0])]
            header = Cell(next((str(value) for value in kept if value), ""), header.numeric)
        rows.append(TableRow(kind=row.kind, header=header, cells=cells[1:]))
    return Table(
        columns=[Cell(columns[index].label, index in numeric) for index in shown], rows=rows
    )


# --- Views -------------------------------------------------------------------------------------


def reader_required(capability: Capability, refusal: str) -> Callable[[View], View]:
    """A page only for safe methods, logged in (else to the login page) and allowed
    `capability` (a users.roles.Capability, else 403 with `refusal`)."""

    def decorator(view: View) -> View:
        @require_safe
        @login_required
        @wraps(view)
        def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.has_capability(capability):
                raise PermissionDenied(refusal)
            with report_statements():
                return view(request, *args, **kwargs)

        return wrapper

    return decorator


def render_report(
    request: HttpRequest,
    *,
    form: forms.Form,
    run: Callable[[dict[str, Any]], Report],
    title: str,
    index: tuple[str, str],
    csv_path: str,
    caption: Callable[[Report, dict[str, Any]], str],
    subnav: str = "",
    pdf_path: str = "",
) -> HttpResponse:
    """The page of one report. An unbound `form` shows the form only (the report needs a
    choice first); a bound one runs the report with `run(form.cleaned_data)`. Bad parameters
    and the report's refusals come back on the form, with the status they carry. `index` is
    the (URL, label) of the page listing the reports, `csv_path` the report's API path and
    `caption` what follows the report's title under the table; `subnav` names a template shown
    above the page (an area's tabs); `pdf_path`, where given, serves the report as a PDF with
    ?format=pdf."""
    index_url, index_label = index
    context: dict[str, Any] = {
        "title": title,
        "index_url": index_url,
        "index_label": index_label,
        "subnav": subnav,
        "form": form,
        "report": None,
        "error": "",
    }
    if not form.is_bound:
        return render(request, TEMPLATE, context)
    if not form.is_valid():
        context["error"] = "Please correct the parameters below."
        return render(request, TEMPLATE, context, status=400)
    try:
        report = run(form.cleaned_data)
    except ServiceError as error:
        context["error"] = error.message
        for field, messages in error.fields.items():
            if field in form.fields and isinstance(messages, list):
                form.add_error(field, [str(message) for message in messages])
        return render(request, TEMPLATE, context, status=error.status)
    context.update(
        report=report,
        chart=report.chart() if report.chart else None,
        table=report_table(report),
        caption=caption(report, form.cleaned_data),
        # The CSV is always the whole report, whichever page of it is shown.
        csv_url=f"{csv_path}?" + urlencode({"format": "csv", **report.parameters}),
        pdf_url=f"{pdf_path}?" + urlencode({"format": "pdf", **report.parameters})
        if pdf_path
        else "",
        pager=report_pager(report),
    )
    return render(request, TEMPLATE, context)


@dataclass(frozen=True)
class Pager:
    """The links between the pages of a long report, each the report's own parameters with
    the position of the page asked for: a bookmarkable address."""

    text: str
    first_url: str
    previous_url: str
    next_url: str


def report_pager(report: Report) -> Pager | None:
    page = report.page
    if page is None:
        return None

    def url(position: dict[str, str] | None) -> str:
        return "" if position is None else "?" + urlencode({**report.parameters, **position})

    if page.total:
        text = (
            f"Lines {formatting.count(page.first)} to {formatting.count(page.last)} "
            f"of {formatting.count(page.total)}"
        )
    else:
        text = "No lines"
    return Pager(
        text=text,
        first_url=url({}) if page.previous is not None else "",
        previous_url=url(page.previous),
        next_url=url(page.next),
    )

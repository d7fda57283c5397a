"""Pages of the accounting reports: an index, and one page per report with its parameters as a
form, the report as a table and a link to the same report as CSV (served by the API)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from saas_platform.errors import ServiceError
from shared_apps.users.roles import Capability
from tenant_apps.accounting import selectors, services
from tenant_apps.accounting.models import AccountType
from tenant_apps.accounting.reports import REPORTS, Report

DATE_FORMAT = "%Y-%m-%d"
CENT = Decimal("0.01")

# --- Parameters --------------------------------------------------------------------------------


def _date_field(label: str) -> forms.DateField:
    # ISO dates only: what the date picker sends and the API takes; "03/04/2026" is ambiguous.
    return forms.DateField(
        label=label,
        input_formats=[DATE_FORMAT],
        widget=forms.DateInput(attrs={"type": "date"}, format=DATE_FORMAT),
    )


def _fund_field() -> forms.ChoiceField:
    return forms.ChoiceField(label="Fund", required=False)


def _fund_choices() -> list[tuple[str, str]]:
    return [("", "All funds")] + [
        (fund.code, f"{fund.code} {fund.name}{'' if fund.is_active else ' (inactive)'}")
        for fund in selectors.fund_list()
    ]


def _account_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Accounts that can hold postings (summary accounts never do), grouped by type."""
    accounts = list(selectors.account_list())
    parents = {account.parent_id for account in accounts}
    groups: dict[str, list[tuple[str, str]]] = {label: [] for label in AccountType.labels}
    for account in accounts:
        if account.pk in parents:
            continue
        label = f"{account.code} {account.name}{'' if account.is_active else ' (inactive)'}"
        groups[AccountType(account.type).label].append((account.code, label))
    return [(group, choices) for group, choices in groups.items() if choices]


class AsOfForm(forms.Form):
    as_of = _date_field("As of")


class TrialBalanceForm(AsOfForm):
    fund = _fund_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fund"].choices = _fund_choices()  # type: ignore[attr-defined]


class PeriodForm(forms.Form):
    start = _date_field("From")
    end = _date_field("To")


class GeneralLedgerForm(PeriodForm):
    account = forms.ChoiceField(label="Account")
    fund = _fund_field()

    field_order = ["account", "start", "end", "fund"]
    # Without an account there is no ledger to show: a first visit gets the form only.
    required_choices = ("account",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = _account_choices()  # type: ignore[attr-defined]
        self.fields["fund"].choices = _fund_choices()  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ReportPage:
    name: str
    title: str
    summary: str
    form_class: type[forms.Form]


PAGES = {
    page.name: page
    for page in (
        ReportPage(
            "trial-balance",
            "Trial balance",
            "Every account's debit or credit balance on a date, for all funds or one.",
            TrialBalanceForm,
        ),
        ReportPage(
            "financial-position",
            "Statement of financial position",
            "Assets, liabilities and net assets with and without donor restrictions on a date.",
            AsOfForm,
        ),
        ReportPage(
            "activities",
            "Statement of activities",
            "Revenue, support, releases from restriction and expenses over a period.",
            PeriodForm,
        ),
        ReportPage(
            "functional-expenses",
            "Statement of functional expenses",
            "Expenses by nature and function (programs, management and general, fundraising).",
            PeriodForm,
        ),
        ReportPage(
            "fund-balances",
            "Fund balances",
            "Each fund's assets, liabilities and net assets on a date.",
            AsOfForm,
        ),
        ReportPage(
            "general-ledger",
            "General ledger",
            "Every line of one account over a period, with its running balance.",
            GeneralLedgerForm,
        ),
    )
}


def _iso_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _form_data(form_class: type[forms.Form], query: QueryDict) -> dict[str, str]:
    """The query's parameters, with today for a missing date and the start of the fiscal year
    (of the end date) for a missing start."""
    data = {name: query.get(name, "").strip() for name in form_class.base_fields}
    today = timezone.localdate()
    for name in ("as_of", "end"):
        if name in data and not data[name]:
            data[name] = today.isoformat()
    if "start" in data and not data["start"]:
        start_month = services.accounting_settings().fiscal_year_start_month
        data["start"] = _fiscal_year_start(_iso_date(data["end"]) or today, start_month).isoformat()
    return data


def _fiscal_year_start(day: date, start_month: int) -> date:
    try:
        fiscal_year = services.fiscal_year_of(day, start_month=start_month)
        start, _ = services.fiscal_year_bounds(fiscal_year, start_month=start_month)
    except ValueError:  # a fiscal year reaching past year 1 or 9999: start from today's
        return _fiscal_year_start(timezone.localdate(), start_month)
    return start


def _report_arguments(cleaned: dict[str, Any]) -> dict[str, Any]:
    return {name: (value or None) if name == "fund" else value for name, value in cleaned.items()}


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


@dataclass(frozen=True)
class TableRow:
    kind: str
    header: Cell
    cells: list[Cell]


@dataclass(frozen=True)
class Table:
    columns: list[Cell]
    rows: list[TableRow]


def _table(report: Report) -> Table:
    """The report's rows as cells: figures formatted and flagged so their column aligns right."""
    numeric = {
        index
        for row in report.rows
        for index, cell in enumerate(row.cells)
        if isinstance(cell, Decimal)
    }

    def cell(index: int, value: Any) -> Cell:
        if isinstance(value, Decimal):
            return Cell(figure(value), index in numeric)
        return Cell("" if value is None else str(value), index in numeric)

    rows = []
    for row in report.rows:
        cells = [cell(index, value) for index, value in enumerate(row.cells)]
        rows.append(TableRow(kind=row.kind, header=cells[0], cells=cells[1:]))
    columns = [Cell(label, index in numeric) for index, label in enumerate(report.columns)]
    return Table(columns=columns, rows=rows)


# --- Views -------------------------------------------------------------------------------------


def accounting_reader_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in (else to the login page) and allowed to read the books (else 403)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_capability(Capability.ACCOUNTING_READ):  # type: ignore[union-attr]
            raise PermissionDenied("Your role does not allow reading the books.")
        return view(request, *args, **kwargs)

    return wrapper


@require_safe
@accounting_reader_required
def report_index(request: HttpRequest) -> HttpResponse:
    return render(request, "accounting/index.html", {"pages": PAGES.values()})


@require_safe
@accounting_reader_required
def report_detail(request: HttpRequest, name: str) -> HttpResponse:
    page = PAGES.get(name)
    if page is None:
        raise Http404("There is no such report.")
    context: dict[str, Any] = {"page": page, "report": None, "error": ""}
    required = getattr(page.form_class, "required_choices", ())
    data = _form_data(page.form_class, request.GET)
    if any(field not in request.GET for field in required):
        context["form"] = page.form_class(initial=data)
        return render(request, "accounting/report.html", context)

    form = page.form_class(data)
    context["form"] = form
    if not form.is_valid():
        context["error"] = "Please correct the parameters below."
        return render(request, "accounting/report.html", context, status=400)
    try:
        report = REPORTS[name](**_report_arguments(form.cleaned_data))
    except ServiceError as error:
        context["error"] = error.message
        for field, messages in error.fields.items():
            if field in form.fields and isinstance(messages, list):
                form.add_error(field, [str(message) for message in messages])
        return render(request, "accounting/report.html", context, status=error.status)
    context.update(
        report=report,
        table=_table(report),
        parameters=form.cleaned_data,
        csv_url=f"/api/v1/accounting/reports/{name}/?"
        + urlencode({"format": "csv", **report.parameters}),
    )
    return render(request, "accounting/report.html", context)

"""Pages of budgets under /accounting/budgets/: the list (filtered, sorted and paged in the URL,
CSV), a new budget, a budget's grid (accounts as rows, the twelve months as columns, with an
annual amount to spread evenly), its CSV import, its approval, and the budget versus actual
report (page, CSV and PDF). Anyone who reads the books reads them; those who keep the books
change them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.listing import Column, csv_response, listing, ordered, sort_of, wants_csv
from saas_platform.lib.report_pages import render_report
from saas_platform.lib.reports import Report
from saas_platform.lib.uploads import upload_read, upload_text
from shared_apps.users.pages import page_requires, refusal
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.accounting import selectors
from tenant_apps.accounting.board_packet import statement_render
from tenant_apps.accounting.budget_reports import budget_versus_actual
from tenant_apps.accounting.models import MONTHS_IN_YEAR, Budget, BudgetLine, BudgetState
from tenant_apps.accounting.selectors import BudgetFilters
from tenant_apps.accounting.services import budgets as budget_services
from tenant_apps.accounting.services.board_packets import organization_name
from tenant_apps.accounting.services.budgets import BudgetRowSpec
from tenant_apps.accounting.views_chart import error_to_form

ZERO = Decimal("0.00")
MAX_GRID_ROWS = 2000
SPREAD = "spread"
STATES = [("", "Any state"), *BudgetState.choices]


def _budget_or_404(pk: int) -> Budget:
    budget = selectors.budget_detail(pk=pk)
    if budget is None:
        raise Http404("There is no such budget.")
    return budget


# --- The list ----------------------------------------------------------------------------------


class BudgetFilterForm(forms.Form):
    fiscal_year = forms.IntegerField(
        label="Fiscal year", required=False, min_value=1901, max_value=2999
    )
    state = forms.ChoiceField(label="State", choices=STATES, required=False)

    def filters(self) -> BudgetFilters:
        """What the valid filters select; an invalid one is left out (its error shows)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return BudgetFilters(fiscal_year=data.get("fiscal_year"), state=data.get("state") or "")


COLUMNS = (
    Column("name", "Name", order_by=("name",)),
    Column("fiscal_year", "Fiscal year", order_by=("fiscal_year", "name"), numeric=True),
    Column("state", "State", order_by=("state", "name")),
    Column("lines", "Accounts budgeted", order_by=("line_count",), numeric=True),
    Column("updated", "Last changed", order_by=("updated_at",)),
)
CSV_HEADER = ("Name", "Fiscal year", "State", "Accounts budgeted", "Last changed", "Approved by")


def _csv_row(budget: Any) -> tuple[Any, ...]:
    return (
        budget.name,
        budget.fiscal_year,
        budget.get_state_display(),
        budget.line_count,
        timezone.localtime(budget.updated_at).date().isoformat(),
        budget.approved_by.email if budget.approved_by else "",
    )


@require_safe
@page_requires(Capability.ACCOUNTING_READ)
def budget_list(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    form = BudgetFilterForm(request.GET)
    rows = selectors.budget_desk_list(filters=form.filters())
    if wants_csv(request):
        sort, column = sort_of(request.GET, COLUMNS, "-fiscal_year")
        return csv_response(
            "budgets.csv", CSV_HEADER, (_csv_row(row) for row in ordered(rows, sort, column))
        )
    page = listing(request, rows, columns=COLUMNS, default_sort="-fiscal_year")
    return render(
        request,
        "accounting/budgets/list.html",
        {
            "form": form,
            "listing": page,
            "filtered": any(request.GET.get(name) for name in ("fiscal_year", "state")),
            "can_write": request.user.has_capability(Capability.ACCOUNTING_WRITE),
        },
    )


# --- A new budget ------------------------------------------------------------------------------


class BudgetForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200, initial="Operating budget")
    fiscal_year = forms.IntegerField(
        label="Fiscal year",
        min_value=1901,
        max_value=2999,
        help_text="Named after the calendar year it ends in.",
    )


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.ACCOUNTING_WRITE)
def budget_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    start_month = selectors.accounting_settings().fiscal_year_start_month
    this_year = selectors.fiscal_year_of(timezone.localdate(), start_month=start_month)
    form = BudgetForm(request.POST or None, initial={"fiscal_year": this_year})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                budget = budget_services.budget_create(
                    name=form.cleaned_data["name"],
                    fiscal_year=form.cleaned_data["fiscal_year"],
                    acting_user=request.user,
                )
            except ServiceError as error:
                error_to_form(form, error)
            else:
                messages.success(request, f"“{budget.name}” is ready: enter its amounts.")
                return redirect("accounting:budget", pk=budget.pk)
        status = 400
    return render(request, "accounting/budgets/new.html", {"form": form}, status=status)


# --- The grid ----------------------------------------------------------------------------------


@dataclass
class GridRow:
    """A row of the grid: what it budgets, its twelve amounts as typed, its annual amount to
    spread, and the problems of its cells."""

    index: int
    account: str
    label: str
    fund: str = ""
    program: str = ""
    cells: list[str] = field(default_factory=lambda: [""] * MONTHS_IN_YEAR)
    annual: str = ""
    errors: dict[int, str] = field(default_factory=dict)  # month position (12: annual)
    month_names: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        amounts = []
        for cell in self.cells:
            try:
                amounts.append(budget_services.budget_amount_parse(cell, field="amount"))
            except ServiceError:
                continue
        return sum(amounts, ZERO)

    @property
    def months(self) -> list[tuple[int, str, str, str]]:
        """Each month's position, name, amount as typed and problem."""
        return [
            (position, name, cell, self.errors.get(position, ""))
            for position, (name, cell) in enumerate(zip(self.month_names, self.cells, strict=True))
        ]

    @property
    def annual_error(self) -> str:
        return self.errors.get(MONTHS_IN_YEAR, "")


def _typed(amount: Decimal) -> str:
    return "" if not amount else f"{amount:.2f}"


def grid_rows(budget: Budget) -> list[GridRow]:
    """The budget's lines, then a blank row for each budgetable account it has no line of (for
    all funds and programs), in account order."""
    accounts = selectors.budgetable_accounts()
    lines: list[BudgetLine] = list(budget.lines.all())
    keyed = {(line.account.code, line.fund_id, line.program_id): line for line in lines}
    rows: list[tuple[str, str, str, list[str], str]] = []
    for line in lines:
        where = [f"fund {line.fund.code}" if line.fund else "", line.program.name if line.program
                 else ""]  # fmt: skip
        label = f"{line.account.code} {line.account.name}"
        extra = ", ".join(part for part in where if part)
        rows.append(
            (
                line.account.code,
                line.fund.code if line.fund else "",
                line.program.code if line.program else "",
                [_typed(amount) for amount in line.amounts],
                f"{label} ({extra})" if extra else label,
            )
        )
    for code, account in accounts.items():
        if (code, None, None) not in keyed:
            rows.append((code, "", "", [""] * MONTHS_IN_YEAR, f"{code} {account.name}"))
    rows.sort(key=lambda row: (row[0], row[1], row[2]))
    return [
        GridRow(index=index, account=code, label=label, fund=fund, program=program, cells=cells)
        for index, (code, fund, program, cells, label) in enumerate(rows)
    ]


def _posted_rows(request: HttpRequest, budget: Budget) -> list[GridRow]:
    """The grid's rows as posted, each cell checked; a bad cell's problem is kept on it. Rows
    are named as the grid names them (an unknown account by its code)."""
    labels = {(row.account, row.fund, row.program): row.label for row in grid_rows(budget)}
    try:
        count = min(int(request.POST.get("rows", "0")), MAX_GRID_ROWS)
    except ValueError:
        count = 0
    rows = []
    for index in range(max(count, 0)):
        prefix = f"row-{index}-"
        row = GridRow(
            index=index,
            account=request.POST.get(prefix + "account", "").strip()[:20],
            label="",
            fund=request.POST.get(prefix + "fund", "").strip()[:20],
            program=request.POST.get(prefix + "program", "").strip()[:20],
            cells=[request.POST.get(f"{prefix}m{month}", "").strip()[:30] for month in range(12)],
            annual=request.POST.get(prefix + "annual", "").strip()[:30],
        )
        row.label = labels.get((row.account, row.fund, row.program), row.account)
        for position, cell in enumerate([*row.cells, row.annual]):
            try:
                budget_services.budget_amount_parse(cell, field="amount")
            except ServiceError as error:
                row.errors[position] = str(error.fields.get("amount", ["Not an amount."])[0])
        rows.append(row)
    return rows


def _specs(rows: list[GridRow], *, spread: bool) -> list[BudgetRowSpec]:
    specs = []
    for row in rows:
        amounts = [budget_services.budget_amount_parse(cell, field="amount") for cell in row.cells]
        if spread and row.annual:
            amounts = budget_services.spread_evenly(
                budget_services.budget_amount_parse(row.annual, field="annual")
            )
        specs.append(
            BudgetRowSpec(account=row.account, fund=row.fund, program=row.program, amounts=amounts)
        )
    return specs


def _grid_context(
    request: AuthenticatedHttpRequest, budget: Budget, rows: list[GridRow]
) -> dict[str, Any]:
    can_edit = (
        request.user.has_capability(Capability.ACCOUNTING_WRITE)
        and budget.state == BudgetState.DRAFT
    )
    month_names = selectors.budget_month_names(budget)
    column_totals = [ZERO] * MONTHS_IN_YEAR
    for row in rows:
        row.month_names = month_names
        for position, cell in enumerate(row.cells):
            try:
                column_totals[position] += budget_services.budget_amount_parse(cell, field="a")
            except ServiceError:
                continue
    return {
        "budget": budget,
        "rows": rows if can_edit else [row for row in rows if row.total or any(row.cells)],
        "month_names": month_names,
        "last_month": selectors.budget_months(budget)[-1],
        "column_totals": column_totals,
        "grand_total": sum(column_totals, ZERO),
        "can_edit": can_edit,
        "can_write": request.user.has_capability(Capability.ACCOUNTING_WRITE),
        "problems": [
            f"{row.label}, {[*month_names, 'annual'][position]}: {message}"
            for row in rows
            for position, message in sorted(row.errors.items())
        ],
    }


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.ACCOUNTING_READ)
def budget_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    budget = _budget_or_404(pk)
    if request.method != "POST":
        return render(
            request,
            "accounting/budgets/grid.html",
            _grid_context(request, budget, grid_rows(budget)),
        )
    if not request.user.has_capability(Capability.ACCOUNTING_WRITE):
        raise PermissionDenied(refusal(Capability.ACCOUNTING_WRITE))
    rows = _posted_rows(request, budget)
    context = _grid_context(request, budget, rows)
    if context["problems"]:
        return render(request, "accounting/budgets/grid.html", context, status=400)
    spread = request.POST.get("action") == SPREAD
    try:
        count = budget_services.budget_amounts_save(
            budget=budget, rows=_specs(rows, spread=spread), acting_user=request.user
        )
    except ServiceError as error:
        context["problems"] = [*error.fields.get("rows", [])] or [error.message]
        return render(request, "accounting/budgets/grid.html", context, status=error.status)
    done = "Annual amounts spread evenly and saved" if spread else "Budget saved"
    messages.success(request, f"{done}: {count} account{'s' if count != 1 else ''} budgeted.")
    return redirect("accounting:budget", pk=budget.pk)


# --- Import, approval --------------------------------------------------------------------------

MAX_IMPORT_BYTES = 2 * 1024 * 1024


class BudgetImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: account, optionally fund and program, then the twelve months "
        "(Jan, Feb...) or one annual column, spread evenly. It replaces the budget's amounts.",
    )


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.ACCOUNTING_WRITE)
def budget_import(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    budget = _budget_or_404(pk)
    form = BudgetImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                content = upload_read(form.cleaned_data["file"], max_bytes=MAX_IMPORT_BYTES)
                count = budget_services.budget_import(
                    budget=budget, text=upload_text(content), acting_user=request.user
                )
            except ServiceError as error:
                form.add_error("file" if "file" in error.fields else None, error.message)
                problems = [str(problem) for problem in error.fields.get("rows", [])]
                status = error.status
            else:
                messages.success(request, f"Imported: {count} lines budgeted.")
                return redirect("accounting:budget", pk=budget.pk)
    context = {
        "budget": budget,
        "form": form,
        "problems": problems,
        "month_names": selectors.budget_month_names(budget),
    }
    return render(request, "accounting/budgets/import.html", context, status=status)


@require_POST
@page_requires(Capability.ACCOUNTING_WRITE)
def budget_state(request: AuthenticatedHttpRequest, pk: int, approve: bool) -> HttpResponse:
    budget = _budget_or_404(pk)
    try:
        if approve:
            budget_services.budget_approve(budget=budget, acting_user=request.user)
            messages.success(request, f"“{budget.name}” is approved.")
        else:
            budget_services.budget_return_to_draft(budget=budget, acting_user=request.user)
            messages.success(request, f"“{budget.name}” is a draft again: its amounts can change.")
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("accounting:budget", pk=budget.pk)


# --- Budget versus actual ----------------------------------------------------------------------


class BudgetReportForm(forms.Form):
    budget = forms.TypedChoiceField(label="Budget", coerce=int)
    month = forms.DateField(
        label="Month",
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={"invalid": "Give a month as year and month, such as 2026-03."},
    )
    fund = forms.ChoiceField(label="Fund", required=False)
    program = forms.ChoiceField(label="Program", required=False)

    def __init__(self, *args: Any, budgets: list[Budget], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["budget"]).choices = [
            (budget.pk, f"{budget} {budget.get_state_display().lower()}") for budget in budgets
        ]
        funds, programs = selectors.budget_funds_and_programs()
        if funds:
            cast(forms.ChoiceField, self.fields["fund"]).choices = [("", "All funds")] + [
                (fund.code, f"{fund.code} {fund.name}") for fund in funds
            ]
        else:  # no budget is by fund: a fund filter would compare with nothing budgeted
            del self.fields["fund"]
        if programs:
            cast(forms.ChoiceField, self.fields["program"]).choices = [("", "All programs")] + [
                (program.code, f"{program.code} {program.name}") for program in programs
            ]
        else:
            del self.fields["program"]


def _with_defaults(data: dict[str, str], budgets: list[Budget]) -> dict[str, str]:
    """The query with what it leaves out chosen: the latest fiscal year's budget (an approved
    one first), and this month if it is in the budget's year, else the nearest month of it."""
    by_pk = {str(budget.pk): budget for budget in budgets}
    if not data["budget"]:
        latest = max(budgets, key=lambda b: (b.fiscal_year, b.state == BudgetState.APPROVED))
        data = {**data, "budget": str(latest.pk)}
    chosen = by_pk.get(data["budget"])
    if not data["month"] and chosen is not None:
        months = selectors.budget_months(chosen)
        today = timezone.localdate().replace(day=1)
        month = min(max(today, months[0]), months[-1])
        data = {**data, "month": f"{month:%Y-%m}"}
    return data


def _subtitle(report: Report) -> str:
    month = report.parameters["month"]
    text = f"{date.fromisoformat(month + '-01'):%B %Y} and the year to date"
    for name in ("fund", "program"):
        if report.parameters.get(name):
            text += f", {name} {report.parameters[name]}"
    return text + "; a positive variance is favourable"


def _pdf(report: Report) -> HttpResponse:
    pdf = statement_render(
        organization=organization_name(), report=report, subtitle=_subtitle(report)
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"budget-versus-actual-{report.parameters['budget']}-{report.parameters['month']}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _csv(report: Report) -> HttpResponseBase:
    header, *rows = report.as_table()
    name = f"budget-versus-actual-{report.parameters['budget']}-{report.parameters['month']}.csv"
    return csv_response(name, header, rows)


@require_safe
@page_requires(Capability.ACCOUNTING_READ)
def budget_report(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    budgets = list(selectors.budget_choices())
    if not budgets:
        return render(request, "accounting/budgets/no_budget.html", status=200)
    data = {name: request.GET.get(name, "").strip() for name in BudgetReportForm.base_fields}
    form = BudgetReportForm(_with_defaults(data, budgets), budgets=budgets)
    wanted = request.GET.get("format", "")
    if wanted in ("csv", "pdf") and form.is_valid():
        try:
            report = _run(form.cleaned_data)
        except ServiceError:
            pass  # the page says what is wrong
        else:
            return _csv(report) if wanted == "csv" else _pdf(report)
    return render_report(
        request,
        form=form,
        run=_run,
        title="Budget versus actual",
        index=(reverse("accounting:budgets"), "Budgets"),
        csv_path=reverse("accounting:budget_report"),
        pdf_path=reverse("accounting:budget_report"),
        caption=lambda report, cleaned: _subtitle(report),
        subnav="accounting/_subnav.html",
    )


def _run(cleaned: dict[str, Any]) -> Report:
    return budget_versus_actual(
        budget=cleaned["budget"],
        month=cleaned["month"],
        fund=cleaned.get("fund") or None,
        program=cleaned.get("program") or None,
    )

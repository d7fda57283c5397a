"""Pages of the bank desk under /accounting/bank/: the bank accounts with their last
reconciliation, importing a statement, reconciling it (statement lines and ledger items side by
side, matched through htmx with the difference kept current) and its report, as page and PDF."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saas_platform.lib.connection import connection
from saas_platform.lib.errors import ServiceError
from shared_apps.users.pages import page_requires
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.banking import selectors
from tenant_apps.banking.models import BankStatement, ReconciliationState, StatementLine
from tenant_apps.banking.reconciliation_pdf import reconciliation_pdf
from tenant_apps.banking.services import matching
from tenant_apps.banking.services.statements import statement_import
from tenant_apps.banking.statement_files import (
    DATE_FORMATS,
    CsvMapping,
    ParsedStatement,
    csv_read,
    ofx_read,
)

MAX_FILE_BYTES = 5 * 1024 * 1024

# --- The bank accounts --------------------------------------------------------------------------


@require_safe
@page_requires(Capability.ACCOUNTING_READ)
def bank_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = {
        "accounts": selectors.bank_account_list(),
        "can_write": request.user.has_capability(Capability.ACCOUNTING_WRITE),
    }
    return render(request, "banking/index.html", context)


# --- Importing ----------------------------------------------------------------------------------


class ImportForm(forms.Form):
    account = forms.ChoiceField(label="Bank account")
    file = forms.FileField(
        label="Statement file", help_text="OFX or QFX from the bank's website, or CSV."
    )
    statement_date = forms.DateField(
        label="Statement date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Read from an OFX or QFX file; enter it for CSV.",
    )
    closing_balance = forms.DecimalField(
        label="Closing balance",
        required=False,
        max_digits=14,
        decimal_places=2,
        help_text="The balance the statement ends with, in dollars. Read from OFX or QFX.",
    )
    date_column = forms.CharField(label="CSV: date column", required=False, initial="Date")
    date_format = forms.ChoiceField(
        label="CSV: dates written as", choices=list(DATE_FORMATS.items()), required=False
    )
    amount_column = forms.CharField(
        label="CSV: amount column",
        required=False,
        initial="Amount",
        help_text="Money in positive, money out negative. Leave empty to use debit and credit.",
    )
    debit_column = forms.CharField(label="CSV: debit (money out) column", required=False)
    credit_column = forms.CharField(label="CSV: credit (money in) column", required=False)
    description_column = forms.CharField(
        label="CSV: description column", required=False, initial="Description"
    )
    reference_column = forms.CharField(
        label="CSV: reference column",
        required=False,
        help_text="The bank's id of each line, if the file has one: re-imported lines are skipped.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accounts = {row.account.code: row.account for row in selectors.bank_account_list()}
        field = self.fields["account"]
        field.choices = [  # type: ignore[attr-defined]  # declared a ChoiceField above
            (code, str(account)) for code, account in self.accounts.items()
        ]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB; import it in parts.")
        return upload

    def parsed(self) -> ParsedStatement:
        upload = self.cleaned_data["file"]
        raw = upload.read()
        if PurePath(upload.name or "").suffix.lower() == ".csv":
            data = self.cleaned_data
            mapping = CsvMapping(
                date=data["date_column"].strip(),
                amount=data["amount_column"].strip(),
                debit=data["debit_column"].strip(),
                credit=data["credit_column"].strip(),
                description=data["description_column"].strip(),
                reference=data["reference_column"].strip(),
                date_format=data["date_format"] or "%Y-%m-%d",
            )
            return csv_read(raw, mapping)
        return ofx_read(raw)


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.ACCOUNTING_WRITE)
def bank_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                result = statement_import(
                    account=form.accounts[form.cleaned_data["account"]],
                    parsed=form.parsed(),
                    source_name=form.cleaned_data["file"].name or "",
                    statement_date=form.cleaned_data["statement_date"],
                    closing_balance=form.cleaned_data["closing_balance"],
                    acting_user=request.user,
                )
            except ServiceError as error:
                for field, problems in error.fields.items():
                    if field in form.fields:
                        form.add_error(field, problems)
                if not any(field in form.fields for field in error.fields):
                    form.add_error(None, error.message)
            else:
                messages.success(request, f"{result.summary}. Reconcile the statement below.")
                return redirect("banking:reconcile", pk=result.statement.pk)
        status = 400
    return render(request, "banking/import.html", {"form": form}, status=status)


# --- Reconciling --------------------------------------------------------------------------------


def _statement_or_404(pk: int) -> BankStatement:
    statement = selectors.statement_of(pk)
    if statement is None:
        raise Http404("There is no such statement.")
    return statement


def _work_context(
    request: AuthenticatedHttpRequest, statement: BankStatement, **extra: Any
) -> dict[str, Any]:
    lines = selectors.statement_lines(statement)
    finished = statement.reconciliation.state == ReconciliationState.FINISHED
    ledger = (
        [] if finished else selectors.ledger_items(statement.account, end=_ledger_end(statement))
    )
    balances = selectors.statement_balances(statement)
    return {
        "statement": statement,
        "finished": finished,
        "unmatched_lines": [line for line in lines if not hasattr(line, "match")],
        "matched_lines": [line for line in lines if hasattr(line, "match")],
        "ledger": ledger,
        "balances": balances,
        "can_write": not finished and request.user.has_capability(Capability.ACCOUNTING_WRITE),
        **extra,
    }


def _ledger_end(statement: BankStatement) -> Any:
    return statement.statement_date + selectors.MATCH_WINDOW


def _work(
    request: AuthenticatedHttpRequest, statement: BankStatement, *, status: int = 200, **extra: Any
) -> HttpResponse:
    template = "banking/_work.html" if request.htmx else "banking/reconcile.html"
    return render(request, template, _work_context(request, statement, **extra), status=status)


@require_safe
@page_requires(Capability.ACCOUNTING_READ)
def reconcile(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _work(request, _statement_or_404(pk))


def _after(
    request: AuthenticatedHttpRequest,
    statement: BankStatement,
    *,
    notice: str = "",
    error: str = "",
) -> HttpResponse:
    statement = _statement_or_404(statement.pk)  # its reconciliation may have changed
    if request.htmx:
        return _work(request, statement, status=400 if error else 200, notice=notice, error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect("banking:reconcile", pk=statement.pk)


def _line_or_404(statement: BankStatement, line_pk: Any) -> StatementLine:
    try:
        number = int(line_pk)
    except (TypeError, ValueError):
        raise Http404("There is no such statement line.") from None
    line = StatementLine.objects.filter(statement=statement, pk=number).first()
    if line is None:
        raise Http404("There is no such statement line.")
    line.statement = statement
    return line


@require_POST
@page_requires(Capability.ACCOUNTING_WRITE)
def auto_match(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    statement = _statement_or_404(pk)
    try:
        count = matching.auto_match(statement=statement, acting_user=request.user)
    except ServiceError as error:
        return _after(request, statement, error=error.message)
    if not count:
        return _after(
            request,
            statement,
            notice="No line could be matched automatically: match the rest by hand.",
        )
    plural = "line" if count == 1 else "lines"
    return _after(request, statement, notice=f"{count:,} {plural} matched automatically.")


@require_POST
@page_requires(Capability.ACCOUNTING_WRITE)
def match_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    statement = _statement_or_404(pk)
    if not request.POST.get("line"):
        return _after(request, statement, error="Choose the statement line to match.")
    line = _line_or_404(statement, request.POST.get("line"))
    try:
        entry_ids = [int(value) for value in request.POST.getlist("entries")]
    except ValueError:
        return _after(request, statement, error="Choose ledger lines from the list.")
    try:
        matching.match_create(statement_line=line, entry_ids=entry_ids, acting_user=request.user)
    except ServiceError as error:
        return _after(request, statement, error=error.message)
    return _after(request, statement, notice=f"Matched {line.description or 'the line'}.")


@require_POST
@page_requires(Capability.ACCOUNTING_WRITE)
def match_remove(request: AuthenticatedHttpRequest, pk: int, line_pk: int) -> HttpResponse:
    statement = _statement_or_404(pk)
    line = _line_or_404(statement, line_pk)
    try:
        matching.match_remove(statement_line=line, acting_user=request.user)
    except ServiceError as error:
        return _after(request, statement, error=error.message)
    return _after(request, statement, notice=f"Unmatched {line.description or 'the line'}.")


@require_POST
@page_requires(Capability.ACCOUNTING_WRITE)
def entry_create(request: AuthenticatedHttpRequest, pk: int, line_pk: int) -> HttpResponse:
    statement = _statement_or_404(pk)
    line = _line_or_404(statement, line_pk)
    try:
        matching.line_entry_create(statement_line=line, acting_user=request.user)
    except ServiceError as error:
        return _after(request, statement, error=error.message)
    kind = "bank fee" if line.amount < 0 else "interest"
    return _after(request, statement, notice=f"Entry posted for the {kind} and matched.")


@require_POST
@page_requires(Capability.ACCOUNTING_WRITE)
def finish(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    statement = _statement_or_404(pk)
    try:
        matching.reconciliation_finish(statement=statement, acting_user=request.user)
    except ServiceError as error:
        return _after(request, statement, error=error.message)
    return _after(request, statement, notice="Reconciliation finished and locked.")


# --- The report ---------------------------------------------------------------------------------


@require_safe
@page_requires(Capability.ACCOUNTING_READ)
def report(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    statement = _statement_or_404(pk)
    context = {"statement": statement, "report": selectors.reconciliation_report(statement)}
    return render(request, "banking/report.html", context)


@require_safe
@page_requires(Capability.ACCOUNTING_READ)
def report_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    statement = _statement_or_404(pk)
    organization = str(getattr(connection.tenant, "name", "") or "")
    pdf = reconciliation_pdf(
        organization=organization, report=selectors.reconciliation_report(statement)
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"reconciliation-{statement.account.code}-{statement.statement_date}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

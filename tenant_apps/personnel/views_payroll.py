"""Pages of pay runs under /pay-runs/: the list with its CSV, entering a run (a form prefilled
with the staff on the payroll) or importing the payroll provider's file, a run's page, the
preview of its allocation and entry, posting it and reversing the posting, and deleting a run
that was never posted.

Also changing a run's amounts while it is not posted, and choosing the accounts pay runs post to.

Pay is read by the roles with PAY_READ; entering, importing, changing, posting and reversing,
and the accounts, need PAYROLL_POST."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saas_platform.lib import formatting
from saas_platform.lib.errors import ServiceError
from saas_platform.lib.listing import Column, csv_response, listing, wants_csv
from shared_apps.users.pages import page_requires
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.accounting.models import Function
from tenant_apps.personnel import selectors_payroll as selectors
from tenant_apps.personnel.allocation import pay_run_allocation_compute
from tenant_apps.personnel.models import PayRun, PayType, StaffRecord
from tenant_apps.personnel.pay_run_files import HEADERS, MAX_FILE_BYTES
from tenant_apps.personnel.selectors import personnel_settings
from tenant_apps.personnel.services.pay_runs import (
    PayLine,
    pay_run_create,
    pay_run_delete,
    pay_run_entry_lines,
    pay_run_import,
    pay_run_lines_set,
    pay_run_post,
)
from tenant_apps.personnel.services.payroll import payroll_allocation_reverse
from tenant_apps.personnel.services.settings import PAY_RUN_ACCOUNT_SETTINGS, settings_update

FUNCTION_LABELS = dict(Function.choices)


def _date_field(label: str, **kwargs: Any) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}), **kwargs)


def _show_service_error(form: forms.Form, error: ServiceError) -> None:
    """The service's refusal next to the fields it names, and in the summary."""
    for field, problems in error.fields.items():
        if field in form.fields:
            form.add_error(field, problems)
    form.add_error(None, error.message)
    for problem in error.fields.get("lines", []):
        form.add_error(None, problem)


def _last_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


# --- The list ----------------------------------------------------------------------------------

COLUMNS = (
    Column("pay_date", "Pay date", order_by=("pay_date",)),
    Column("period", "Period", order_by=("period_start", "period_end")),
    Column("people", "People", order_by=("people",), numeric=True),
    Column("gross", "Gross pay", order_by=("gross",), numeric=True),
    Column("cost", "Total cost", order_by=("cost",), numeric=True),
    Column("state", "State", order_by=("posted",)),
)


class PayRunFilterForm(forms.Form):
    state = forms.ChoiceField(
        label="State",
        required=False,
        choices=[("", "Posted or not"), ("posted", "Posted"), ("draft", "Not posted")],
    )
    paid_from = _date_field("Paid from", required=False)
    paid_to = _date_field("Paid to", required=False)


def _state_of(run: Any) -> str:
    return f"Posted in entry {run.entry_number}" if run.posted else "Not posted"


def _period_of(run: PayRun) -> str:
    return f"{run.period_start:%b} {run.period_start.day}, {run.period_start.year} to " + (
        f"{run.period_end:%b} {run.period_end.day}, {run.period_end.year}"
    )


@require_safe
@page_requires(Capability.PAY_READ)
def pay_run_index(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    form = PayRunFilterForm(request.GET)
    filters: dict[str, Any] = {}
    if form.is_valid():
        state = form.cleaned_data["state"]
        filters = {
            "posted": {"posted": True, "draft": False}.get(state),
            "paid_from": form.cleaned_data["paid_from"],
            "paid_to": form.cleaned_data["paid_to"],
        }
    runs = selectors.pay_run_list(**filters)
    if wants_csv(request):
        return csv_response(
            "pay-runs.csv",
            ["Pay run", "Pay date", "Period start", "Period end", "People", "Gross pay",
             "Total cost", "State"],
            (
                [
                    run.pk,
                    run.pay_date.isoformat(),
                    run.period_start.isoformat(),
                    run.period_end.isoformat(),
                    formatting.count(run.people),  # type: ignore[attr-defined]  # annotated
                    formatting.money(run.gross),  # type: ignore[attr-defined]  # annotated
                    formatting.money(run.cost),  # type: ignore[attr-defined]  # annotated
                    _state_of(run),
                ]
                for run in runs.order_by("-pay_date", "-pk").iterator()
            ),
        )  # fmt: skip
    page = listing(request, runs, columns=COLUMNS, default_sort="-pay_date")
    rows = [{"run": run, "period": _period_of(run), "state": _state_of(run)} for run in page.rows]
    context = {
        "form": form,
        "listing": page,
        "rows": rows,
        "filtered": any(value not in (None, "") for value in filters.values()),
        "can_post": request.user.has_capability(Capability.PAYROLL_POST),
    }
    return render(request, "personnel/payroll/index.html", context)


# --- Entering a run ----------------------------------------------------------------------------


class PeriodForm(forms.Form):
    period_start = _date_field("Period starts")
    period_end = _date_field("Period ends")
    pay_date = _date_field("Pay date")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "On or after the start of the period.")
        return cleaned


AMOUNTS = (("gross", "Gross pay"), ("taxes", "Employer taxes"), ("benefits", "Benefits"))


class PayLinesForm(forms.Form):
    """A row of three amounts for each staff member on the payroll; a row left empty or at zero
    pays that person nothing in this run."""

    def __init__(self, *args: Any, staff: list[StaffRecord], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.staff = staff
        for record in staff:
            for key, label in AMOUNTS:
                self.fields[f"{key}_{record.pk}"] = forms.DecimalField(
                    label=f"{label} of {record.person.full_name}",
                    required=False,
                    min_value=Decimal("0"),
                    max_digits=12,
                    decimal_places=2,
                    widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
                )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"record": record, "cells": [self[f"{key}_{record.pk}"] for key, _ in AMOUNTS]}
            for record in self.staff
        ]

    def amount_fields(self) -> set[str]:
        return {f"{key}_{record.pk}" for record in self.staff for key, _ in AMOUNTS}

    def lines(self) -> list[PayLine]:
        lines = []
        for record in self.staff:
            gross, taxes, benefits = (
                self.cleaned_data.get(f"{key}_{record.pk}") or Decimal("0.00") for key, _ in AMOUNTS
            )
            if gross or taxes or benefits:
                lines.append(PayLine(record, gross, taxes, benefits, record.person.full_name))
        return lines


class PayRunForm(PeriodForm, PayLinesForm):
    """The period, and each staff member's row of amounts."""


def _prefill(staff: list[StaffRecord], today: date) -> dict[str, Any]:
    """Last month, paid today; each person's amounts from the latest run that paid them, or for
    salaried staff never paid here, a twelfth of their yearly pay."""
    start, end = _last_month(today)
    initial: dict[str, Any] = {"period_start": start, "period_end": end, "pay_date": today}
    for record in staff:
        last = getattr(record, "last_line", None)
        if last is not None:
            amounts = (last.gross_pay, last.employer_taxes, last.benefits)
        elif record.pay_type == PayType.SALARIED:
            amounts = ((record.pay_rate / 12).quantize(Decimal("0.01")), None, None)
        else:
            continue
        for (key, _), amount in zip(AMOUNTS, amounts, strict=True):
            initial[f"{key}_{record.pk}"] = amount
    return initial


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.PAYROLL_POST)
def pay_run_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    staff = selectors.staff_to_pay(today=today)
    form = PayRunForm(request.POST or None, staff=staff, initial=_prefill(staff, today))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                run = pay_run_create(
                    period_start=form.cleaned_data["period_start"],
                    period_end=form.cleaned_data["period_end"],
                    pay_date=form.cleaned_data["pay_date"],
                    lines=form.lines(),
                    acting_user=request.user,
                )
            except ServiceError as error:
                _show_service_error(form, error)
            else:
                messages.success(request, "Pay run saved. Check the allocation, then post it.")
                return redirect("payroll:preview", pk=run.pk)
        status = 400
    context = {"form": form, "amount_labels": [label for _, label in AMOUNTS]}
    return render(request, "personnel/payroll/new.html", context, status=status)


class ImportForm(PeriodForm):
    file = forms.FileField(
        label="Payroll file (CSV)",
        help_text="One row a person: who (employee id, email or name) and gross pay, employer "
        "taxes and benefits.",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError("The file is larger than 1 MB; import it in parts.")
        return upload


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.PAYROLL_POST)
def pay_run_import_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    start, end = _last_month(timezone.localdate())
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        initial={"period_start": start, "period_end": end, "pay_date": timezone.localdate()},
    )
    status = 200
    file_problems: list[str] = []
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                run = pay_run_import(
                    period_start=form.cleaned_data["period_start"],
                    period_end=form.cleaned_data["period_end"],
                    pay_date=form.cleaned_data["pay_date"],
                    raw=upload.read(),
                    source_name=upload.name or "",
                    acting_user=request.user,
                )
            except ServiceError as error:
                if "file" in error.fields:
                    file_problems = list(error.fields["file"])
                    form.add_error("file", error.message)
                else:
                    _show_service_error(form, error)
            else:
                count = run.lines.count()
                plural = "person" if count == 1 else "people"
                messages.success(
                    request, f"Pay run imported: {count:,} {plural}. Check the allocation."
                )
                return redirect("payroll:preview", pk=run.pk)
        status = 400
    context = {"form": form, "file_problems": file_problems, "headers": HEADERS}
    return render(request, "personnel/payroll/import.html", context, status=status)


# --- One run -----------------------------------------------------------------------------------


def _run_or_404(pk: int) -> Any:
    run = selectors.pay_run_of(pk)
    if run is None:
        raise Http404("There is no such pay run.")
    return run


@require_safe
@page_requires(Capability.PAY_READ)
def pay_run_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(pk)
    lines = selectors.pay_run_lines(run)
    postings = selectors.pay_run_postings(run)
    can_post = request.user.has_capability(Capability.PAYROLL_POST)
    totals = {
        "gross": sum((line.gross_pay for line in lines), Decimal("0.00")),
        "taxes": sum((line.employer_taxes for line in lines), Decimal("0.00")),
        "benefits": sum((line.benefits for line in lines), Decimal("0.00")),
    }
    context = {
        "run": run,
        "period": _period_of(run),
        "state": _state_of(run),
        "rows": [
            {"line": line, "total": line.gross_pay + line.employer_taxes + line.benefits}
            for line in lines
        ],
        "totals": totals,
        "postings": postings,
        "can_delete": not postings and can_post,
        "can_post": can_post,
    }
    return render(request, "personnel/payroll/detail.html", context)


@dataclass(frozen=True)
class EntryLineShown:
    account: str
    fund: str
    function: str
    program: str
    debit: Decimal | None
    credit: Decimal | None


def _part_label(function: str, program_name: str | None) -> str:
    if function == Function.PROGRAM:
        return f"Program services: {program_name}" if program_name else "Program services"
    return str(FUNCTION_LABELS.get(function, function))


@require_safe
@page_requires(Capability.PAY_READ)
def pay_run_preview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(pk)
    allocation = pay_run_allocation_compute(pay_run=run)
    specs = pay_run_entry_lines(allocation)
    names = selectors.ledger_names(
        account_codes={spec.account for spec in specs}, fund_codes={spec.fund for spec in specs}
    )
    program_names = {
        part.program_code: part.program_name
        for person in allocation.people
        for part in person.parts
    }
    entry = [
        EntryLineShown(
            account=f"{spec.account} {names.get(spec.account, '')}".strip(),
            fund=names.get(f"fund:{spec.fund}", spec.fund),
            function=str(FUNCTION_LABELS.get(spec.function, "")) if spec.function else "",
            program=(program_names.get(spec.program) or spec.program or "") if spec.program else "",
            debit=Decimal(spec.debit) if spec.debit else None,
            credit=Decimal(spec.credit) if spec.credit else None,
        )
        for spec in specs
    ]
    people = [
        {
            "person": person,
            "parts": [
                {"label": _part_label(part.function, part.program_name), "part": part}
                for part in person.parts
            ],
        }
        for person in allocation.people
    ]
    totals = [
        {"label": _part_label(part.function, part.program_name), "part": part}
        for part in allocation.totals()
    ]
    context = {
        "run": run,
        "period": _period_of(run),
        "state": _state_of(run),
        "allocation": allocation,
        "people": people,
        "totals": totals,
        "grand": {
            "gross": sum((person.gross_pay for person in allocation.people), Decimal("0.00")),
            "taxes": sum((person.employer_taxes for person in allocation.people), Decimal("0.00")),
            "benefits": sum((person.benefits for person in allocation.people), Decimal("0.00")),
        },
        "entry": entry,
        "entry_total": allocation.total_cost,
        "can_post": request.user.has_capability(Capability.PAYROLL_POST) and not run.posted,
    }
    return render(request, "personnel/payroll/preview.html", context)


@require_POST
@page_requires(Capability.PAYROLL_POST)
def pay_run_post_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(pk)
    try:
        posted = pay_run_post(pay_run=run, acting_user=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("payroll:preview", pk=run.pk)
    messages.success(
        request,
        f"Posted to the books in entry {posted.entry.number}: "
        f"{formatting.money(posted.total_cost)}.",
    )
    return redirect("payroll:detail", pk=run.pk)


class ReverseForm(forms.Form):
    date = _date_field(
        "Date of the reversal", help_text="On or after the posting's date, in an open period."
    )
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        help_text="Kept with the reversal in the journal (hours corrected, amounts wrong...).",
        widget=forms.TextInput,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.PAYROLL_POST)
def pay_run_reverse(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(pk)
    posting = selectors.posting_in_force_of(run)
    if posting is None:
        messages.error(request, "This pay run is not posted: there is nothing to reverse.")
        return redirect("payroll:detail", pk=run.pk)
    form = ReverseForm(request.POST or None, initial={"date": posting.entry.date})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                payroll_allocation_reverse(
                    allocation=posting,
                    date=form.cleaned_data["date"],
                    reason=form.cleaned_data["reason"],
                    acting_user=request.user,
                )
            except ServiceError as error:
                _show_service_error(form, error)
            else:
                messages.success(
                    request,
                    f"Entry {posting.entry.number} is reversed. Correct the hours or amounts, "
                    "then post the run again.",
                )
                return redirect("payroll:detail", pk=run.pk)
        status = 400
    context = {"run": run, "period": _period_of(run), "posting": posting, "form": form}
    return render(request, "personnel/payroll/reverse.html", context, status=status)


@require_POST
@page_requires(Capability.PAYROLL_POST)
def pay_run_delete_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(pk)
    try:
        pay_run_delete(pay_run=run, acting_user=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("payroll:detail", pk=run.pk)
    messages.success(request, f"The pay run of {run.pay_date:%B} {run.pay_date.day} is deleted.")
    return redirect("payroll:index")


# --- Changing a run's amounts --------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.PAYROLL_POST)
def pay_run_lines(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The run's amounts in the form a run is entered in, with the staff on the payroll in its
    period: a row emptied removes that person, a row filled in adds one."""
    run = _run_or_404(pk)
    if run.posted:
        messages.error(
            request,
            f"This pay run is posted in entry {run.entry_number}, which holds its amounts; "
            "reverse the posting to change them.",
        )
        return redirect("payroll:detail", pk=run.pk)
    staff = selectors.staff_for_run(run)
    initial = {
        f"{key}_{line.staff_record_id}": amount
        for line in selectors.pay_run_lines(run)
        for (key, _), amount in zip(
            AMOUNTS, (line.gross_pay, line.employer_taxes, line.benefits), strict=True
        )
    }
    # Bound on every POST: a post with every row empty is a run that pays no one, refused.
    data = request.POST if request.method == "POST" else None
    form = PayLinesForm(data, staff=staff, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                pay_run_lines_set(pay_run=run, lines=form.lines(), acting_user=request.user)
            except ServiceError as error:
                _show_service_error(form, error)
            else:
                messages.success(request, "The amounts are saved. Check the allocation again.")
                return redirect("payroll:detail", pk=run.pk)
        status = 400
    context = {
        "run": run,
        "period": _period_of(run),
        "form": form,
        "amount_labels": [label for _, label in AMOUNTS],
    }
    return render(request, "personnel/payroll/lines.html", context, status=status)


# --- The accounts pay runs post to ---------------------------------------------------------------

ACCOUNT_LABELS = {
    "salary_account": ("Salaries", "Gross pay of staff (UCOA 7020)."),
    "officer_salary_account": (
        "Officers' salaries",
        "Gross pay of officers and directors (UCOA 7010).",
    ),
    "payroll_taxes_account": ("Payroll taxes", "The employer's payroll taxes (UCOA 7250)."),
    "benefits_account": ("Employee benefits", "Health, retirement and other benefits (UCOA 7220)."),
    "accrued_payroll_account": (
        "Credited with the cost",
        "Accrued payroll (UCOA 2020), cleared when the provider's payments leave the bank; or "
        "the bank account itself.",
    ),
}


class PayRunAccountsForm(forms.Form):
    """The accounts a pay run posts to, chosen from the chart: expenses for salaries, taxes and
    benefits, a liability or an asset for the credit."""

    def __init__(self, *args: Any, choices: selectors.AccountChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in PAY_RUN_ACCOUNT_SETTINGS:
            label, help_text = ACCOUNT_LABELS[name]
            options = choices.credits if name == "accrued_payroll_account" else choices.expenses
            self.fields[name] = forms.ChoiceField(label=label, help_text=help_text, choices=options)


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.PAYROLL_POST)
def pay_run_accounts(request: AuthenticatedHttpRequest) -> HttpResponse:
    settings_row = personnel_settings()
    form = PayRunAccountsForm(
        request.POST if request.method == "POST" else None,
        choices=selectors.pay_run_account_choices(),
        initial={name: getattr(settings_row, name) for name in PAY_RUN_ACCOUNT_SETTINGS},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                settings_update(acting_user=request.user, **form.cleaned_data)
            except ServiceError as error:
                _show_service_error(form, error)
            else:
                messages.success(
                    request, "The accounts are saved; pay runs posted from now on use them."
                )
                return redirect("payroll:accounts")
        status = 400
    return render(request, "personnel/payroll/accounts.html", {"form": form}, status=status)

"""Pages of recurring entries under /accounting/journal/recurring/: the list, each with a "Post
for <month>" action that makes and posts that month's entry once, and the form of a new one
(its lines as the entry form's)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saas_platform.lib.errors import ServiceError
from shared_apps.users.pages import page_requires
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.accounting import selectors
from tenant_apps.accounting.journal_forms import fund_totals, imbalance_message, line_formset
from tenant_apps.accounting.models import RecurringEntry
from tenant_apps.accounting.services import recurring as recurring_services
from tenant_apps.accounting.views_journal import ADD_LINE, form_context, lines_with_one_more


class MonthForm(forms.Form):
    month = forms.DateField(
        label="Month",
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={"invalid": "Give a month as year and month, such as 2026-03."},
    )


class RecurringForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    memo = forms.CharField(label="Memo of each entry", max_length=500, required=False)
    day_of_month = forms.IntegerField(
        label="Day of the month", min_value=1, max_value=28, initial=1
    )


@require_safe
@page_requires(Capability.ACCOUNTING_READ)
def recurring_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "accounting/journal/recurring.html",
        {
            "recurring": list(selectors.recurring_list()),
            "month_form": MonthForm(initial={"month": timezone.localdate()}),
            "can_write": request.user.has_capability(Capability.ACCOUNTING_WRITE),
        },
    )


@require_POST
@page_requires(Capability.ACCOUNTING_WRITE)
def recurring_post(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    recurring = RecurringEntry.objects.filter(pk=pk, is_active=True).first()
    if recurring is None:
        raise Http404("There is no such recurring entry.")
    form = MonthForm(request.POST)
    if not form.is_valid():
        problems = [str(problem) for problem in form.errors.get("month", [])]
        messages.error(request, " ".join(problems) or "Give a month.")
        return redirect("accounting:recurring")
    try:
        entry = recurring_services.recurring_post(
            recurring=recurring, month=form.cleaned_data["month"], acting_user=request.user
        )
    except ServiceError as error:
        messages.error(request, f"Nothing was posted: {error.message}")
        return redirect("accounting:recurring")
    messages.success(request, f"“{recurring.name}” posted as entry {entry.number}.")
    return redirect("accounting:journal_entry", pk=entry.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.ACCOUNTING_WRITE)
def recurring_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = RecurringForm()
    lines = line_formset()
    status = 200
    if request.method == "POST" and request.POST.get("action") == ADD_LINE:
        form = RecurringForm(initial=request.POST.dict())
        grown = form_context(form, lines_with_one_more(request))
        return render(request, "accounting/journal/recurring_form.html", grown)
    if request.method == "POST":
        form = RecurringForm(request.POST)
        lines = line_formset(request.POST)
        if form.is_valid() and lines.is_valid():
            specs = lines.specs()
            message = imbalance_message(fund_totals(specs))
            if message:
                form.add_error(None, message)
            else:
                data = form.cleaned_data
                try:
                    recurring_services.recurring_create(
                        name=data["name"],
                        memo=data["memo"],
                        day_of_month=data["day_of_month"],
                        lines=specs,
                        acting_user=request.user,
                    )
                except ServiceError as error:
                    form.add_error(None, error.message)
                else:
                    messages.success(request, f"“{data['name']}” is ready to post each month.")
                    return redirect("accounting:recurring")
        elif lines.non_form_errors():
            form.add_error(None, " ".join(str(error) for error in lines.non_form_errors()))
        status = 400
    context: dict[str, Any] = {**form_context(form, lines), "recurring_form": True}
    return render(request, "accounting/journal/recurring_form.html", context, status=status)

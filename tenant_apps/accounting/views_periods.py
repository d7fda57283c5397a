"""The month-end close: the months of the books with their state, and a month's page with its
checklist, closing and reopening. Closing a month with open items that do not block it (an open
deposit, a gift not yet posted) asks the bookkeeper to confirm that they close with them; drafts
dated in the month block it (the service refuses, saying why)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from saas_platform.lib.errors import ServiceError
from shared_apps.users.pages import page_requires
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.accounting import selectors
from tenant_apps.accounting.closing import ClosingItem, closing_checklist
from tenant_apps.accounting.models import FiscalPeriod, PeriodState
from tenant_apps.accounting.services import periods as periods_service


class CloseForm(forms.Form):
    confirm = forms.BooleanField(
        label="Close the month with the open items above",
        required=False,
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label="Why reopen it",
        max_length=500,
        help_text="Kept in the audit log with your name, for the auditors.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the month is reopened."},
    )


MONTH = re.compile(r"(\d{4})-(\d{2})")


def period_or_404(month: str) -> FiscalPeriod:
    """The period of a month named as its address names it, "2026-10"."""
    matched = MONTH.fullmatch(month)
    if matched is None or not 1 <= int(matched[2]) <= 12 or int(matched[1]) < 1:
        raise Http404("There is no such month.")
    period = selectors.period_of_month(int(matched[1]), int(matched[2]))
    if period is None:
        raise Http404("That month is not in the books' fiscal years.")
    return period


@require_safe
@page_requires(Capability.ACCOUNTING_READ)
def period_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    periods = list(selectors.period_list())
    context = {
        "periods": periods,
        "not_closed": selectors.months_not_closed(today=timezone.localdate()),
    }
    return render(request, "accounting/periods/index.html", context)


def _detail(
    request: AuthenticatedHttpRequest,
    period: FiscalPeriod,
    *,
    close_form: CloseForm | None = None,
    reopen_form: ReopenForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    checklist = closing_checklist(start=period.start, end=period.end)
    context: dict[str, Any] = {
        "period": period,
        "closed": period.state == PeriodState.CLOSED,
        "checklist": checklist,
        "blocking": [item for item in checklist if item.blocks and item.count],
        "open_items": [item for item in checklist if not item.blocks and item.count],
        "can_write": request.user.has_capability(Capability.ACCOUNTING_WRITE),
        "close_form": close_form or CloseForm(),
        "reopen_form": reopen_form or ReopenForm(),
        "error": error,
    }
    return render(request, "accounting/periods/detail.html", context, status=status)


@require_safe
@page_requires(Capability.ACCOUNTING_READ)
def period_detail(request: AuthenticatedHttpRequest, month: str) -> HttpResponse:
    return _detail(request, period_or_404(month))


def _open_items(checklist: list[ClosingItem]) -> int:
    return sum(item.count for item in checklist if not item.blocks)


@require_POST
@page_requires(Capability.ACCOUNTING_WRITE)
def period_close(request: AuthenticatedHttpRequest, month: str) -> HttpResponse:
    period = period_or_404(month)
    form = CloseForm(request.POST)
    form.is_valid()  # a box: it is ticked or not
    open_items = _open_items(closing_checklist(start=period.start, end=period.end))
    if open_items and not form.cleaned_data.get("confirm"):
        form.add_error(
            "confirm",
            f"{open_items} item{'s are' if open_items != 1 else ' is'} still open: settle "
            f"{'them' if open_items != 1 else 'it'} first, or tick this box to close the month "
            "as it is.",
        )
        return _detail(request, period, close_form=form, status=400)
    try:
        period = periods_service.period_close(period=period, acting_user=request.user)
    except ServiceError as error:
        return _detail(request, period, close_form=form, error=error.message, status=error.status)
    messages.success(
        request, f"{period.month} is closed: nothing more can be posted or drafted in it."
    )
    return redirect("accounting:period", month=period.slug)


@require_POST
@page_requires(Capability.ACCOUNTING_WRITE)
def period_reopen(request: AuthenticatedHttpRequest, month: str) -> HttpResponse:
    period = period_or_404(month)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        return _detail(request, period, reopen_form=form, status=400)
    try:
        period = periods_service.period_reopen(
            period=period, reason=form.cleaned_data["reason"], acting_user=request.user
        )
    except ServiceError as error:
        if error.fields and "reason" in error.fields:
            form.add_error("reason", error.fields["reason"])
            return _detail(request, period, reopen_form=form, status=error.status)
        return _detail(request, period, reopen_form=form, error=error.message, status=error.status)
    messages.success(request, f"{period.month} is open again: entries can be posted in it.")
    return redirect("accounting:period", month=period.slug)

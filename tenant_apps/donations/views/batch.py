"""Batch entry of a stack of checks, keyboard only: a batch is a deposit being filled (see
services.deposits). Opening one with the count and total counted by hand, entering its checks
one row at a time as draft gifts, posting them together, closing the deposit."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from saas_platform.lib.errors import ServiceError
from shared_apps.users.pages import page_requires
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.accounting.models import Fund
from tenant_apps.donations import selectors
from tenant_apps.donations.services import deposits
from tenant_apps.donations.services.posting import DEFAULT_FUND
from tenant_apps.donations.views.gifts import DonorLookupForm, FundChoiceField, error_to_form


class HtmxRequest(AuthenticatedHttpRequest):
    """A logged-in request as django-htmx's middleware leaves it (annotation only)."""

    htmx: HtmxDetails


# --- Forms ------------------------------------------------------------------------------------


class BatchOpenForm(forms.Form):
    deposit_on = forms.DateField(
        label="Date of the checks", widget=forms.DateInput(attrs={"type": "date"})
    )
    expected_count = forms.IntegerField(label="Number of checks", min_value=1)
    expected_total = forms.DecimalField(
        label="Total of the checks", min_value=Decimal("0.01"), decimal_places=2
    )


class BatchRowForm(DonorLookupForm):
    amount = forms.DecimalField(label="Amount", min_value=Decimal("0.01"), decimal_places=2)
    check_number = forms.CharField(label="Check number", max_length=40, required=False)
    # The general fund unless another is chosen.
    fund = FundChoiceField(
        label="Fund",
        queryset=Fund.objects.filter(is_active=True).order_by("code"),
        to_field_name="code",
        empty_label=None,
        initial=DEFAULT_FUND,
    )


# --- Pages ------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.GIFTS_WRITE)
def batch_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The open batches, and the form that opens a new one."""
    form = BatchOpenForm(initial={"deposit_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        form = BatchOpenForm(request.POST)
        if form.is_valid():
            try:
                deposit = deposits.deposit_create(
                    deposit_on=form.cleaned_data["deposit_on"],
                    expected_count=form.cleaned_data["expected_count"],
                    expected_total=form.cleaned_data["expected_total"],
                    acting_user=request.user,
                )
            except ServiceError as error:
                error_to_form(form, error)
            else:
                messages.success(request, "Batch opened: enter its checks one row at a time.")
                return redirect("gifts:batch", pk=deposit.pk)
        status = 400
    return render(
        request,
        "donations/gifts/batches.html",
        {"form": form, "batches": list(selectors.open_batches())},
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.GIFTS_WRITE)
def batch_entry(request: HtmxRequest, pk: int) -> HttpResponse:
    """One batch: its count and total against the expected ones, its rows, and the row being
    entered. Enter saves the row; with htmx only the batch is swapped, focus back on Donor."""
    batch = selectors.batch_of(pk=pk)
    if batch is None:
        raise Http404("There is no such batch.")
    form = BatchRowForm()
    saved = None
    status = 200
    if request.method == "POST":
        form = BatchRowForm(request.POST)
        if form.is_valid():
            try:
                saved = deposits.deposit_gift_enter(
                    deposit=batch.deposit,
                    donor=form.cleaned_data["donor"],
                    amount=form.cleaned_data["amount"],
                    check_number=form.cleaned_data["check_number"],
                    fund=form.cleaned_data["fund"].code,
                    acting_user=request.user,
                )
            except ServiceError as error:
                error_to_form(form, error)
        if saved is not None and not request.htmx:
            messages.success(request, f"Saved {saved.donor.display_name}'s check.")
            return redirect("gifts:batch", pk=pk)
        if saved is not None:
            form = BatchRowForm()
            batch = selectors.batch_of(pk=pk)
            assert batch is not None  # noqa: S101 (it was there a moment ago, and is not deleted)
        elif not request.htmx:
            status = 400
    context = {
        "batch": batch,
        "form": form,
        "saved": saved,
        "can_post": request.user.has_capability(Capability.GIFTS_POST),
    }
    template = "donations/gifts/_batch.html" if request.htmx else "donations/gifts/batch.html"
    return render(request, template, context, status=status)


@require_POST
@page_requires(Capability.GIFTS_POST)
def batch_post(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    batch = selectors.batch_of(pk=pk)
    if batch is None:
        raise Http404("There is no such batch.")
    try:
        posted = deposits.deposit_drafts_post(deposit=batch.deposit, acting_user=request.user)
    except ServiceError as error:
        messages.error(request, f"Nothing was posted: {error.message}")
    else:
        total = sum((gift.amount for gift in posted), Decimal("0"))
        messages.success(request, f"Posted {len(posted)} gifts for ${total:,.2f}.")
    return redirect("gifts:batch", pk=pk)


@require_POST
@page_requires(Capability.GIFTS_POST)
def batch_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    batch = selectors.batch_of(pk=pk)
    if batch is None:
        raise Http404("There is no such batch.")
    try:
        deposits.deposit_close(deposit=batch.deposit, acting_user=request.user)
    except ServiceError as error:
        messages.error(request, f"The deposit is still open: {error.message}")
    else:
        messages.success(request, "Deposit closed: its checks are in the bank account.")
    return redirect("gifts:batch", pk=pk)

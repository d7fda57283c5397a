"""Pages of scanned checks: a deposit's scans (the upload form and each upload's progress, the
checks read, polled by htmx while reading goes on), the review of one check (its image beside
the fields read, uncertain ones highlighted; accept, correct, pick or create the donor, reject),
the image itself, and the scan shown on a gift's page."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saas_platform.lib import formatting
from saas_platform.lib.errors import ServiceError
from shared_apps.users.pages import page_requires
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.checks import selectors
from tenant_apps.checks.models import CheckState, ScannedCheck
from tenant_apps.checks.services import review, uploads
from tenant_apps.checks.services.retention import check_scan_settings
from tenant_apps.donations.models import Deposit, DepositState
from tenant_apps.donations.views.deposits import deposit_or_404
from tenant_apps.donations.views.gifts import DonorLookupForm, error_to_form
from tenant_apps.donors.models import Donor


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Scans of checks",
        help_text="JPEG, PNG, TIFF or PDF: one check a page, or several on a flatbed page.",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,.tif,.tiff,application/pdf,image/*"}
        ),
    )


def _panel_context(
    request: AuthenticatedHttpRequest, deposit: Deposit, form: UploadForm | None = None
) -> dict[str, Any]:
    uploads_list = list(selectors.deposit_uploads(deposit_id=deposit.pk))
    return {
        "deposit": deposit,
        "uploads": uploads_list,
        "reading": any(not upload.is_finished and not upload.is_stalled for upload in uploads_list),
        "counts": selectors.review_counts(deposit_id=deposit.pk),
        "next_check": selectors.next_to_review(deposit_id=deposit.pk),
        "form": form or UploadForm(),
        "can_write": deposit.state == DepositState.OPEN
        and request.user.has_capability(Capability.GIFTS_WRITE),
    }


@require_safe
@page_requires(Capability.GIVING_READ)
def deposit_panel(request: AuthenticatedHttpRequest, deposit_pk: int) -> HttpResponse:
    """The scans part of the deposit's page (loaded and polled by htmx)."""
    deposit = deposit_or_404(deposit_pk)
    return render(request, "checks/_panel.html", _panel_context(request, deposit))


@require_safe
@page_requires(Capability.GIVING_READ)
def deposit_checks(request: AuthenticatedHttpRequest, deposit_pk: int) -> HttpResponse:
    deposit = deposit_or_404(deposit_pk)
    context = {
        **_panel_context(request, deposit),
        "checks": list(selectors.deposit_checks(deposit_id=deposit.pk)),
    }
    return render(request, "checks/index.html", context)


@require_POST
@page_requires(Capability.GIFTS_WRITE)
def deposit_upload(request: AuthenticatedHttpRequest, deposit_pk: int) -> HttpResponse:
    deposit = deposit_or_404(deposit_pk)
    form = UploadForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        try:
            scan = uploads.scan_upload_create(
                deposit=deposit, upload=form.cleaned_data["file"], acting_user=request.user
            )
        except ServiceError as error:
            form.add_error("file", error.fields.get("file", [error.message]))
            status = error.status
        else:
            messages.success(
                request, f"{scan.original_filename} is uploaded: its checks are read now."
            )
            return redirect(reverse("deposits:detail", args=[deposit.pk]) + "#scanned-checks")
    context = {
        **_panel_context(request, deposit, form),
        "checks": list(selectors.deposit_checks(deposit_id=deposit.pk)),
    }
    return render(request, "checks/index.html", context, status=status)


class ReviewForm(DonorLookupForm):
    donor_query = forms.CharField(label="Donor", max_length=200, required=False)
    amount = forms.DecimalField(
        label="Amount", min_value=Decimal("0.01"), max_digits=14, decimal_places=2, required=False
    )
    check_number = forms.CharField(label="Check number", max_length=40, required=False)
    check_date = forms.DateField(
        label="Date on the check", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    payer_name = forms.CharField(label="Payer", max_length=200, required=False)
    payer_address = forms.CharField(label="Payer's address", max_length=300, required=False)
    memo = forms.CharField(label="Memo", max_length=200, required=False)


REVIEWED_FIELDS = ("amount", "check_number", "check_date", "payer_name", "payer_address", "memo")


def _check_or_404(deposit_pk: int, pk: int) -> ScannedCheck:
    scanned = selectors.scanned_check_of(pk=pk, deposit_id=deposit_pk)
    if scanned is None:
        raise Http404("There is no such scanned check in this deposit.")
    return scanned


def _initial(scanned: ScannedCheck) -> dict[str, Any]:
    initial: dict[str, Any] = {field: getattr(scanned, field) for field in REVIEWED_FIELDS}
    donor = scanned.donor or scanned.suggested_donor
    if donor is not None and donor.merged_into_id is None:
        initial.update(donor_query=donor.display_name, donor_id=donor.pk)
    return initial


MONEY_FIELDS = ("amount", "courtesy_amount", "legal_amount")


def _shown(name: str, scanned: ScannedCheck) -> str:
    """A field as read, for a person: money as money, a date in words."""
    value = scanned.fields[name].get("value")
    if value in (None, ""):
        return ""
    try:
        if name in MONEY_FIELDS:
            return formatting.money(Decimal(value))
        if name == "check_date":
            day = datetime.date.fromisoformat(value)
            return f"{day:%b} {day.day}, {day.year}"
    except (ArithmeticError, ValueError):
        pass
    return str(value)


def _review_page(
    request: AuthenticatedHttpRequest,
    scanned: ScannedCheck,
    form: ReviewForm,
    *,
    status: int = 200,
    reject_error: str = "",
) -> HttpResponse:
    flagged = {name for name, field in scanned.fields.items() if field.get("flagged")}
    # The first field a person should look at takes the focus; else the Accept button.
    first_flagged = next(
        (
            name
            for name in ("amount", "check_number", "check_date", "payer_name")
            if name in flagged
        ),
        "",
    )
    if not (scanned.donor or scanned.suggested_donor) and not first_flagged:
        first_flagged = "donor_query"
    if first_flagged in REVIEWED_FIELDS:
        form.fields[first_flagged].widget.attrs["autofocus"] = True
    readings = [
        {**scanned.fields[name], "name": name, "label": label, "value": _shown(name, scanned)}
        for name, label in selectors.FIELD_LABELS.items()
        if name in scanned.fields
    ]
    context = {
        "deposit": scanned.deposit,
        "check": scanned,
        "form": form,
        "flagged": flagged,
        "focus": first_flagged,
        "donor_focus": first_flagged == "donor_query",
        "reviewed_fields": [form[name] for name in REVIEWED_FIELDS],
        "readings": readings,
        "counts": selectors.review_counts(deposit_id=scanned.deposit_id),
        "can_write": scanned.deposit.state == DepositState.OPEN
        and scanned.state in (CheckState.PENDING, CheckState.DUPLICATE)
        and request.user.has_capability(Capability.GIFTS_WRITE),
        "reject_error": reject_error,
    }
    return render(request, "checks/review.html", context, status=status)


def _after_review(request: AuthenticatedHttpRequest, scanned: ScannedCheck) -> HttpResponse:
    following = selectors.next_to_review(deposit_id=scanned.deposit_id, after=scanned)
    if following is None:
        messages.success(request, f"{messages_text(scanned)} Every scanned check is reviewed.")
        return redirect("deposits:detail", pk=scanned.deposit_id)
    messages.success(request, messages_text(scanned))
    return redirect("checks:review", deposit_pk=scanned.deposit_id, pk=following.pk)


def messages_text(scanned: ScannedCheck) -> str:
    if scanned.state == CheckState.ACCEPTED and scanned.donor is not None:
        return (
            f"Accepted: a draft gift of {formatting.money(scanned.amount or 0)} from "
            f"{scanned.donor.display_name}."
        )
    return f"Check {scanned.check_number or scanned.pk} rejected."


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.GIVING_READ)
def check_review(request: AuthenticatedHttpRequest, deposit_pk: int, pk: int) -> HttpResponse:
    scanned = _check_or_404(deposit_pk, pk)
    if request.method != "POST":
        return _review_page(request, scanned, ReviewForm(initial=_initial(scanned)))
    if not request.user.has_capability(Capability.GIFTS_WRITE):
        return _review_page(request, scanned, ReviewForm(initial=_initial(scanned)), status=403)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _review_page(request, scanned, form, status=400)
    # Only the fields the form sent: a field left out is not a field emptied.
    corrections = {
        field: form.cleaned_data[field] if form.cleaned_data[field] is not None else ""
        for field in REVIEWED_FIELDS
        if field in request.POST
    }
    if corrections.get("amount") == "":
        corrections.pop("amount")
    try:
        if request.POST.get("action") == "create_donor":
            review.scanned_check_correct(
                scanned_check=scanned,
                corrections={k: v for k, v in corrections.items() if k != "payer_name"},
                acting_user=request.user,
            )
            created = review.scanned_check_donor_create(
                scanned_check=scanned,
                payer_name=form.cleaned_data["payer_name"],
                acting_user=request.user,
            )
            messages.success(request, f"{created.display_name} is a new donor: accept the check.")
            return redirect("checks:review", deposit_pk=deposit_pk, pk=pk)
        donor: Donor | None = form.cleaned_data.get("donor")
        if donor is None:
            form.add_error("donor_query", "Choose the donor, or create one from the payer.")
            return _review_page(request, scanned, form, status=400)
        scanned = review.scanned_check_accept(
            scanned_check=scanned, donor=donor, corrections=corrections, acting_user=request.user
        )
    except ServiceError as error:
        error_to_form(form, error)
        return _review_page(request, _check_or_404(deposit_pk, pk), form, status=error.status)
    return _after_review(request, scanned)


class RejectForm(forms.Form):
    reason = forms.CharField(label="Why reject it", max_length=300)


@require_POST
@page_requires(Capability.GIFTS_WRITE)
def check_reject(request: AuthenticatedHttpRequest, deposit_pk: int, pk: int) -> HttpResponse:
    scanned = _check_or_404(deposit_pk, pk)
    form = RejectForm(request.POST)
    try:
        if not form.is_valid():
            raise ServiceError("Say why the check is rejected.")
        scanned = review.scanned_check_reject(
            scanned_check=scanned, reason=form.cleaned_data["reason"], acting_user=request.user
        )
    except ServiceError as error:
        return _review_page(
            request,
            scanned,
            ReviewForm(initial=_initial(scanned)),
            status=error.status,
            reject_error=error.message,
        )
    return _after_review(request, scanned)


def _image_response(scanned: ScannedCheck) -> HttpResponse:
    if not scanned.image:
        raise Http404("The image of this check was deleted after the retention period.")
    with scanned.image.open("rb") as stored:
        response = HttpResponse(stored.read(), content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_safe
@page_requires(Capability.GIVING_READ)
def check_image(request: AuthenticatedHttpRequest, deposit_pk: int, pk: int) -> HttpResponse:
    return _image_response(_check_or_404(deposit_pk, pk))


@require_safe
@page_requires(Capability.GIVING_READ)
def gift_check(request: AuthenticatedHttpRequest, gift_pk: int) -> HttpResponse:
    """The scan a gift was accepted from, for the gift's page (loaded by htmx)."""
    scanned = selectors.scanned_check_of_gift(gift_id=gift_pk)
    if scanned is None:
        raise Http404("This gift was not read from a scanned check.")
    return render(
        request,
        "checks/_gift_check.html",
        {"check": scanned, "retention_days": check_scan_settings().image_retention_days},
    )

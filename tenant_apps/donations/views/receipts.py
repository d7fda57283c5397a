"""Pages of the receipts desk under /receipts/: the list with its filters and CSV, a receipt's
page with its PDF, emailing it again and issuing a corrected version (each confirmed first),
the receipt settings, and year-end statements in bulk with their progress, ZIP and one PDF."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from saas_platform.lib import formatting
from saas_platform.lib.errors import ServiceError
from saas_platform.lib.listing import Column, csv_response, listing, wants_csv
from shared_apps.users.pages import page_requires, refusal
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.donations import selectors
from tenant_apps.donations.forms import ReceiptOrganizationForm
from tenant_apps.donations.models import Receipt, ReceiptKind
from tenant_apps.donations.receipt_pdf import receipt_pdf_download
from tenant_apps.donations.services import receipt_settings as settings_service
from tenant_apps.donations.services import receipts as receipts_service
from tenant_apps.donations.services import statements
from tenant_apps.donors.models import Tag

# --- The list ----------------------------------------------------------------------------------

COLUMNS = (
    Column("number", "Number", order_by=("number", "version"), numeric=True),
    Column("donor", "Donor", order_by=("donor__display_name",)),
    Column("kind", "Kind", order_by=("kind",)),
    Column("amount", "Amount", order_by=("amount",), numeric=True),
    Column("issued", "Issued", order_by=("issued_at",)),
    Column("emailed", "Emailed", order_by=("emailed_at",)),
    Column("status", "Status"),
)

YES_NO = (("", "Either"), ("yes", "Yes"), ("no", "No"))


class ReceiptFilterForm(forms.Form):
    year = forms.IntegerField(label="Year", required=False, min_value=1900, max_value=9999)
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "Any"), *ReceiptKind.choices]
    )
    donor = forms.CharField(label="Donor", required=False, max_length=200)
    emailed = forms.ChoiceField(label="Emailed", required=False, choices=YES_NO)
    voided = forms.ChoiceField(label="Void or replaced", required=False, choices=YES_NO)

    def filters(self) -> selectors.ReceiptFilters:
        """What the list is narrowed to; a form with errors narrows nothing."""
        if not self.is_valid():
            return selectors.ReceiptFilters()
        data = self.cleaned_data

        def yes_no(value: str) -> bool | None:
            return {"yes": True, "no": False}.get(value)

        return selectors.ReceiptFilters(
            year=data["year"],
            kind=data["kind"],
            donor=data["donor"],
            emailed=yes_no(data["emailed"]),
            voided=yes_no(data["voided"]),
        )


def status_of(receipt: Receipt) -> str:
    """Where a receipt stands, in words."""
    if receipt.is_void:
        return "Void"
    if getattr(receipt, "replaced_by_id", None):
        return "Replaced by a correction"
    return "Current"


def number_of(receipt: Receipt) -> str:
    return f"{receipt.number:06d} v{receipt.version}"


@require_safe
@page_requires(Capability.GIVING_READ)
def receipt_index(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    form = ReceiptFilterForm(request.GET)
    receipts = selectors.receipt_desk_list(form.filters())
    if wants_csv(request):
        return csv_response(
            "receipts.csv",
            [
                "Number",
                "Version",
                "Donor",
                "Kind",
                "Year",
                "Amount",
                "Issued",
                "Emailed to",
                "Emailed at",
                "Status",
            ],
            (
                [
                    receipt.number,
                    receipt.version,
                    receipt.donor.display_name,
                    receipt.get_kind_display(),
                    receipt.year or "",
                    formatting.money(receipt.amount) if receipt.amount is not None else "",
                    timezone.localtime(receipt.issued_at).date().isoformat(),
                    receipt.emailed_to,
                    timezone.localtime(receipt.emailed_at).isoformat(timespec="minutes")
                    if receipt.emailed_at
                    else "",
                    status_of(receipt),
                ]
                for receipt in receipts.order_by("-number", "-version").iterator()
            ),
        )
    page = listing(request, receipts, columns=COLUMNS, default_sort="-number")
    rows = [(receipt, number_of(receipt), status_of(receipt)) for receipt in page.rows]
    context = {"form": form, "listing": page, "rows": rows, "filtered": bool(request.GET)}
    template = (
        "donations/receipts/_results.html" if request.htmx else "donations/receipts/index.html"
    )
    return render(request, template, context)


# --- One receipt -------------------------------------------------------------------------------


def receipt_or_404(pk: int) -> Receipt:
    receipt = selectors.receipt_detail(pk)
    if receipt is None:
        raise Http404("There is no such receipt.")
    return receipt


def write_required(request: AuthenticatedHttpRequest) -> None:
    """Emailing and correcting receipts are for the roles that record gifts."""
    if not request.user.has_capability(Capability.GIFTS_WRITE):
        raise PermissionDenied(refusal(Capability.GIFTS_WRITE))


def _detail_context(request: AuthenticatedHttpRequest, receipt: Receipt) -> dict[str, Any]:
    return {
        "receipt": receipt,
        "number": number_of(receipt),
        "status": status_of(receipt),
        "can_write": request.user.has_capability(Capability.GIFTS_WRITE),
        "is_current": not receipt.is_void and not getattr(receipt, "replaced_by_id", None),
    }


@require_safe
@page_requires(Capability.GIVING_READ)
def receipt_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    receipt = receipt_or_404(pk)
    return render(request, "donations/receipts/detail.html", _detail_context(request, receipt))


@require_safe
@page_requires(Capability.GIVING_READ)
def receipt_pdf(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    return receipt_pdf_download(receipt_or_404(pk))


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.GIVING_READ)
def receipt_email(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Asks before emailing the receipt again; the POST sends it."""
    write_required(request)
    receipt = receipt_or_404(pk)
    context = _detail_context(request, receipt)
    if request.method == "POST":
        try:
            receipts_service.receipt_email_request(receipt=receipt, acting_user=request.user)
        except ServiceError as error:
            context["error"] = error.message
            return render(request, "donations/receipts/email.html", context, status=error.status)
        messages.success(
            request, f"Receipt {number_of(receipt)} is on its way to {receipt.donor.display_name}."
        )
        return redirect("receipts:detail", pk=receipt.pk)
    return render(request, "donations/receipts/email.html", context)


class ReissueForm(forms.Form):
    reason = forms.CharField(
        label="Why it is corrected",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Printed on the corrected receipt, at most 500 characters.",
    )


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.GIVING_READ)
def receipt_reissue(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Asks why, then issues the corrected version, which voids this one."""
    write_required(request)
    receipt = receipt_or_404(pk)
    form = ReissueForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                corrected = receipts_service.receipt_reissue(
                    receipt=receipt, reason=form.cleaned_data["reason"], acting_user=request.user
                )
            except ServiceError as error:
                form.add_error("reason" if "reason" in error.fields else None, error.message)
            else:
                messages.success(
                    request,
                    f"Version {corrected.version} of receipt {corrected.number:06d} replaces "
                    f"version {receipt.version}.",
                )
                return redirect("receipts:detail", pk=corrected.pk)
        status = 400
    context = {**_detail_context(request, receipt), "form": form}
    return render(request, "donations/receipts/reissue.html", context, status=status)


# --- Receipt settings --------------------------------------------------------------------------


class ReceiptSettingsForm(ReceiptOrganizationForm):
    """What receipts say about the organization, and which gifts are receipted: this page holds
    every receipt setting (the organization settings page only the first part)."""

    receipt_every_gift = forms.BooleanField(
        label="Receipt every gift",
        required=False,
        help_text="When off, gifts of $250 or more and gifts over $75 with goods or services "
        "in return are still receipted (IRS Publication 1771).",
    )


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.GIVING_READ)
def receipt_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    settings_row = settings_service.receipt_settings()
    can_change = request.user.has_capability(Capability.SETTINGS_MANAGE)
    initial = {field: getattr(settings_row, field) for field in ReceiptSettingsForm.base_fields}
    form = ReceiptSettingsForm(initial=initial)
    status = 200
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied(refusal(Capability.SETTINGS_MANAGE))
        form = ReceiptSettingsForm(request.POST)
        if form.is_valid():
            try:
                settings_service.receipt_settings_update(
                    acting_user=request.user, **form.cleaned_data
                )
            except ServiceError as error:
                for field, problems in error.fields.items():
                    if field in form.fields:
                        form.add_error(field, problems)
                form.add_error(None, error.message)
            else:
                messages.success(request, "The receipt settings are saved.")
                return redirect("receipts:settings")
        status = 400
    if not can_change:
        for form_field in form.fields.values():
            form_field.disabled = True
    context = {
        "form": form,
        "can_change": can_change,
        "missing": settings_service.receipt_settings_missing(settings_row),
        "next_number": settings_row.next_number,
    }
    return render(request, "donations/receipts/settings.html", context, status=status)


# --- Year-end statements -----------------------------------------------------------------------


class StatementsForm(forms.Form):
    year = forms.IntegerField(label="Calendar year", min_value=1900, max_value=9999)
    tag = forms.ModelChoiceField(
        label="Donors",
        queryset=Tag.objects.order_by("name"),
        required=False,
        empty_label="Every donor who gave that year",
        help_text="Or only the donors with a tag.",
    )


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.GIVING_READ)
def statements_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The form that starts a year's statements (GIFTS_WRITE) and, for a started run, its
    progress (refreshed by htmx every 2 s while it runs) and download."""
    can_run = request.user.has_capability(Capability.GIFTS_WRITE)
    form = StatementsForm(request.POST or None, initial={"year": timezone.localdate().year - 1})
    status = 200
    if request.method == "POST":
        if not can_run:
            raise PermissionDenied(refusal(Capability.GIFTS_WRITE))
        if form.is_valid():
            try:
                token = statements.statements_run_start(
                    year=form.cleaned_data["year"],
                    tag=form.cleaned_data["tag"],
                    acting_user=request.user,
                )
            except ServiceError as error:
                form.add_error("year" if "year" in error.fields else None, error.message)
            else:
                messages.success(
                    request, f"The {form.cleaned_data['year']} statements were started."
                )
                return redirect(f"{request.path}?run={token}")
        status = 400
    context = {**_run_context(request), "form": form, "can_run": can_run}
    return render(request, "donations/receipts/statements.html", context, status=status)


def _run_context(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    token = request.GET.get("run", "")[:64]
    progress = statements.statements_progress(token) if token else None
    return {"token": token, "progress": progress}


@require_safe
@page_requires(Capability.GIVING_READ)
def statements_progress(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The progress fragment htmx polls."""
    return render(request, "donations/receipts/_statements_progress.html", _run_context(request))


def _finished_run(request: AuthenticatedHttpRequest) -> statements.StatementsProgress:
    progress = _run_context(request)["progress"]
    if progress is None or progress["state"] != "done":
        raise Http404("These statements are not ready, or no longer kept.")
    return progress


@require_safe
@page_requires(Capability.GIVING_READ)
def statements_download(request: AuthenticatedHttpRequest) -> FileResponse:
    progress = _finished_run(request)
    return FileResponse(
        default_storage.open(progress["archive"], "rb"),
        content_type="application/zip",
        as_attachment=True,
        filename=f"statements-{progress['year']}.zip",
    )


@require_safe
@page_requires(Capability.GIVING_READ)
def statements_document(request: AuthenticatedHttpRequest) -> FileResponse:
    """Every statement of the run in one PDF, to print at once."""
    progress = _finished_run(request)
    # A run finished before runs made the one PDF has only its ZIP.
    if not progress.get("document"):
        raise Http404("These statements have no single PDF: make them again.")
    return FileResponse(
        default_storage.open(progress["document"], "rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"statements-{progress['year']}.pdf",
    )

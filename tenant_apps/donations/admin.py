"""Gifts, campaigns and deposits in the tenant's Django admin, to look at only: every write goes
through donations' services, which keep the books in step."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from saas_platform.lib.admin import ReadOnlyAdmin, ReadOnlyInline
from saas_platform.lib.admin_sites import tenant_admin_site
from tenant_apps.donations.models import (
    Campaign,
    Deposit,
    Gift,
    GiftAllocation,
    ImportJob,
    Pledge,
    PledgeInstallment,
    Receipt,
    ReceiptSettings,
    RecurringGift,
    SoftCredit,
)
from tenant_apps.donations.services.receipt_settings import receipt_settings_update


class AllocationInline(ReadOnlyInline):
    model = GiftAllocation
    fields = readonly_fields = ("fund", "amount")


class SoftCreditInline(ReadOnlyInline):
    model = SoftCredit
    fields = readonly_fields = ("donor", "amount")


@admin.register(Campaign, site=tenant_admin_site)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "goal", "start", "end", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]


@admin.register(Gift, site=tenant_admin_site)
class GiftAdmin(ReadOnlyAdmin):
    list_display = ["id", "received_on", "donor", "amount", "method", "state", "campaign"]
    list_filter = ["state", "method", "source"]
    search_fields = ["donor__display_name", "check_number", "payment_reference"]
    list_select_related = ["donor", "campaign"]
    inlines = [AllocationInline, SoftCreditInline]


@admin.register(Deposit, site=tenant_admin_site)
class DepositAdmin(ReadOnlyAdmin):
    list_display = ["id", "deposit_on", "bank_account", "expected_count", "expected_total", "state"]
    list_filter = ["state"]
    list_select_related = ["bank_account"]


# --- Receipts ----------------------------------------------------------------------------------


@admin.register(Receipt, site=tenant_admin_site)
class ReceiptAdmin(ReadOnlyAdmin):
    """Issued receipts: never changed (a database trigger refuses it); corrections are issued
    as new versions through the API."""

    list_display = [
        "number",
        "version",
        "kind",
        "donor",
        "year",
        "amount",
        "is_void",
        "issued_at",
        "pdf_link",
    ]
    list_filter = ["kind", "is_void"]
    search_fields = ["donor__display_name", "=number"]
    list_select_related = ["donor"]
    # The file field's own link is the storage's URL, which nothing serves (receipts are kept
    # private, under the tenant's prefix): the link goes to the receipts desk's download,
    # which reads the file from storage for a user allowed to read donors.
    exclude = ["pdf"]
    readonly_fields = ["pdf_link"]

    @admin.display(description="PDF")
    def pdf_link(self, receipt: Receipt) -> SafeString:
        return format_html(
            '<a href="{}">Receipt {} version {} (PDF)</a>',
            reverse("receipts:pdf", args=[receipt.pk]),
            f"{receipt.number:06d}",
            receipt.version,
        )


@admin.register(ReceiptSettings, site=tenant_admin_site)
class ReceiptSettingsAdmin(admin.ModelAdmin):
    """The receipt settings are edited here too, through the service (checks and audit row);
    the counter only moves by issuing."""

    fields = [
        "legal_name",
        "ein",
        "address",
        "signatory_name",
        "signatory_title",
        "receipt_every_gift",
        "next_number",
    ]
    readonly_fields = ["next_number"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: ReceiptSettings, form: Any, change: bool
    ) -> None:
        receipt_settings_update(
            # The admin site admits logged-in staff only; the hook's signature keeps HttpRequest.
            acting_user=request.user,  # type: ignore[arg-type]
            **{field: form.cleaned_data[field] for field in form.changed_data},
        )


# --- CSV imports -------------------------------------------------------------------------------


@admin.register(ImportJob, site=tenant_admin_site)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "kind",
        "state",
        "original_filename",
        "total_rows",
        "rows_created",
        "error_count",
        "created_by",
        "created_at",
    ]
    list_filter = ["kind", "state"]
    search_fields = ["original_filename"]
    list_select_related = ["created_by"]


# --- Pledges and recurring gifts ---------------------------------------------------------------


class InstallmentInline(ReadOnlyInline):
    model = PledgeInstallment
    fields = readonly_fields = ("due_on", "amount")


@admin.register(Pledge, site=tenant_admin_site)
class PledgeAdmin(ReadOnlyAdmin):
    list_display = ["id", "pledged_on", "donor", "amount", "fund", "state", "campaign"]
    list_filter = ["state"]
    search_fields = ["donor__display_name", "memo"]
    list_select_related = ["donor", "fund", "campaign"]
    inlines = [InstallmentInline]


@admin.register(RecurringGift, site=tenant_admin_site)
class RecurringGiftAdmin(ReadOnlyAdmin):
    """Read-only too: pausing, resuming and the schedule's anchor day are the services'."""

    list_display = ["id", "donor", "amount", "frequency", "next_on", "method", "fund", "state"]
    list_filter = ["state", "frequency", "method"]
    search_fields = ["donor__display_name", "payment_reference"]
    list_select_related = ["donor", "fund"]

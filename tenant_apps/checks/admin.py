"""Scanned checks in the organization's admin: read-only, for owners and operators looking into
an upload; every change goes through the pages and the API (services.review). The account is
shown masked; the fingerprint is a hash and not shown."""

from __future__ import annotations

from django.contrib import admin

from saas_platform.lib.admin import ReadOnlyAdmin
from saas_platform.lib.admin_sites import tenant_admin_site
from tenant_apps.checks.models import CheckScanSettings, ScannedCheck, ScanUpload


@admin.register(ScanUpload, site=tenant_admin_site)
class ScanUploadAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "deposit",
        "original_filename",
        "kind",
        "state",
        "checks_found",
        "created_at",
    )
    list_filter = ("state", "kind")
    list_select_related = ("deposit",)


@admin.register(ScannedCheck, site=tenant_admin_site)
class ScannedCheckAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "deposit",
        "payer_name",
        "check_number",
        "account_masked",
        "amount",
        "state",
    )
    list_filter = ("state",)
    list_select_related = ("deposit",)
    exclude = ("fingerprint",)


@admin.register(CheckScanSettings, site=tenant_admin_site)
class CheckScanSettingsAdmin(ReadOnlyAdmin):
    list_display = ("image_retention_days",)

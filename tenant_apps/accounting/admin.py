"""The books in the tenant's Django admin, to look at only: every write goes through
accounting's services, which keep the audit trail and the ledger's rules (a posted entry cannot
be edited at all; the database refuses it)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from saas_platform.lib.admin import ReadOnlyAdmin
from saas_platform.lib.admin_sites import tenant_admin_site
from tenant_apps.accounting.models import (
    Account,
    FiscalPeriod,
    Fund,
    JournalEntry,
    JournalLine,
    Program,
)


@admin.register(Account, site=tenant_admin_site)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "type", "normal_balance", "ucoa_code", "is_active"]
    list_filter = ["type", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]


@admin.register(Fund, site=tenant_admin_site)
class FundAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "restriction", "is_active"]
    list_filter = ["restriction", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Program, site=tenant_admin_site)
class ProgramAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "is_active"]
    search_fields = ["code", "name"]


@admin.register(FiscalPeriod, site=tenant_admin_site)
class FiscalPeriodAdmin(ReadOnlyAdmin):
    list_display = ["start", "end", "fiscal_year", "state", "closed_at", "closed_by"]
    list_filter = ["fiscal_year", "state"]
    list_select_related = ["closed_by"]


class JournalLineInline(admin.TabularInline):
    model = JournalLine
    # A tuple: the same names serve as fields and readonly_fields, and lists of each kind differ.
    readonly_fields = fields = (
        "account",
        "fund",
        "net_asset_class",
        "debit",
        "credit",
        "function",
        "program",
        "memo",
    )
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("account", "fund", "program")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(JournalEntry, site=tenant_admin_site)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ["number", "date", "memo", "source", "state", "posted_by", "posted_at"]
    list_filter = ["state", "source"]
    search_fields = ["memo", "source_reference"]
    date_hierarchy = "date"
    list_select_related = ["posted_by"]
    inlines = [JournalLineInline]

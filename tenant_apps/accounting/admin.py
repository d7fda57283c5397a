from django.contrib import admin

from saas_platform.admin_sites import tenant_admin_site
from tenant_apps.accounting.models import Account, Fund


@admin.register(Account, site=tenant_admin_site)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "type", "normal_balance", "ucoa_code", "is_active"]
    list_filter = ["type", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]


@admin.register(Fund, site=tenant_admin_site)
class FundAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "restriction", "is_active"]
    list_filter = ["restriction", "is_active"]
    search_fields = ["code", "name"]

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from saas_platform.lib.admin_sites import public_admin_site
from shared_apps.tenants.models import Domain, Organization


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0
    fields = ["domain", "is_primary", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Organization, site=public_admin_site)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "state", "plan_code", "owner_email", "created_at"]
    list_filter = ["state", "plan_code"]
    search_fields = ["name", "slug", "owner_email"]
    readonly_fields = [
        "schema_name",
        "slug",
        "state",
        "state_reason",
        "state_changed_at",
        "provisioning_step",
        "created_at",
        "updated_at",
    ]
    inlines = [DomainInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tenants are made by provisioning only

    def has_delete_permission(self, request: HttpRequest, obj: Organization | None = None) -> bool:
        return False  # deletion exports and drops the schema: `manage.py delete_tenant`

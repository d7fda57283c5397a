"""Read-only views of the console's records in the public admin: the audit is never edited
there, and exports and deletions are made only through the console's services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from saas_platform.lib.admin_sites import public_admin_site
from shared_apps.console.models import OperatorAuditEvent, TenantDeletion, TenantExport


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OperatorAuditEvent, site=public_admin_site)
class OperatorAuditEventAdmin(_ReadOnly):
    list_display = ["at", "actor_email", "action", "organization_slug", "outcome"]
    list_filter = ["action", "outcome"]
    search_fields = ["organization_slug", "actor_email", "reason"]


@admin.register(TenantExport, site=public_admin_site)
class TenantExportAdmin(_ReadOnly):
    list_display = ["created_at", "organization_slug", "state", "file_name"]
    list_filter = ["state"]
    search_fields = ["organization_slug", "file_name"]


@admin.register(TenantDeletion, site=public_admin_site)
class TenantDeletionAdmin(_ReadOnly):
    list_display = ["created_at", "organization_slug", "state", "schema_existed", "finished_at"]
    list_filter = ["state"]
    search_fields = ["organization_slug", "error"]

"""The organization's audit log in the tenant's Django admin, to look at only."""

from django.contrib import admin

from saas_platform.lib.admin import ReadOnlyAdmin
from saas_platform.lib.admin_sites import tenant_admin_site
from tenant_apps.core.models import AuditEvent


@admin.register(AuditEvent, site=tenant_admin_site)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "actor", "object_type", "object_id"]
    list_filter = ["action"]
    list_select_related = ["actor"]

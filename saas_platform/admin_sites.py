"""Two Django admin sites: operators' on the public host, each organization's on its own host.

Each registers only the models of its own schema, so neither shows the other's apps.
"""

from django.contrib.admin import AdminSite
from django.http import HttpRequest


class PublicAdminSite(AdminSite):
    site_header = "IFM platform administration"
    site_title = "IFM platform"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and getattr(user, "is_operator", False))


class TenantAdminSite(AdminSite):
    site_header = "IFM administration"
    site_title = "IFM"

    def each_context(self, request: HttpRequest) -> dict[str, object]:
        context = super().each_context(request)
        tenant = getattr(request, "tenant", None)
        if tenant is not None:
            context["site_header"] = f"{tenant.name}: administration"
        return context


public_admin_site = PublicAdminSite(name="public_admin")
tenant_admin_site = TenantAdminSite(name="tenant_admin")

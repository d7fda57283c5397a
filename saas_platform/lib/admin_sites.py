"""Two Django admin sites: operators' on the public host, each organization's on its own host.

Each registers only the models of its own schema, so neither shows the other's apps. Both logins
are throttled with the login pages' counters (saas_platform.lib.throttling).
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.http import HttpRequest, HttpResponse

from saas_platform.lib.throttling import (
    login_attempt_refused,
    login_failure_record,
    login_throttled_page,
)


class ThrottledLoginAdminSite(AdminSite):
    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method != "POST":
            return super().login(request, extra_context)
        if login_attempt_refused(request=request):
            return login_throttled_page(request=request)
        response = super().login(request, extra_context)
        # A good login redirects; the form shown again (200) means the credentials were refused.
        if response.status_code == 200:
            login_failure_record(request=request)
        return response


class PublicAdminSite(ThrottledLoginAdminSite):
    site_header = "IFM platform administration"
    site_title = "IFM platform"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and getattr(user, "is_operator", False))


class TenantAdminSite(ThrottledLoginAdminSite):
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

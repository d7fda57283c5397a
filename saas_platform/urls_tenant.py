"""URLs of an organization's host (<slug>.PLATFORM_DOMAIN)."""

from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from saas_platform.lib.admin_sites import tenant_admin_site
from saas_platform.lib.health import healthz
from saas_platform.operations import readyz
from saas_platform.organization_api import OrganizationSettingsView
from saas_platform.views import favicon, tenant_home
from shared_apps.users.views import LoginView, PasswordResetView
from tenant_apps.donations.urls import donor_urlpatterns
from tenant_apps.donors.urls import urlpatterns as donor_form_urlpatterns

api_v1: list[URLPattern | URLResolver] = [
    path("auth/", include("shared_apps.users.api.urls")),
    path("accounting/", include("tenant_apps.accounting.api.urls")),
    path("banking/", include("tenant_apps.banking.api.urls")),
    path("checks/", include("tenant_apps.checks.api.urls")),
    path("donors/", include("tenant_apps.donations.api.giving")),
    path("donors/", include("tenant_apps.donors.api.urls")),
    path("donations/", include("tenant_apps.donations.api.urls")),
    path("personnel/", include("tenant_apps.personnel.api.urls")),
    path(
        "organization/settings/",
        OrganizationSettingsView.as_view(),
        name="organization-settings-api",
    ),
]

urlpatterns = [
    # First: an integration's requests are the most frequent, and a path is tried against every
    # pattern before its own (each include with an empty prefix is searched to its end).
    path("api/v1/", include(api_v1)),
    path("", tenant_home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("favicon.ico", favicon, name="favicon"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    # A user's own account page and an invitation's link: /account/, /invitations/<token>/.
    path("", include("shared_apps.users.urls_account")),
    path(settings.ADMIN_URL_PATH, tenant_admin_site.urls),
    path("accounting/bank/", include("tenant_apps.banking.urls")),
    path("accounting/", include("tenant_apps.accounting.urls")),
    path("billing/", include("shared_apps.billing.urls")),
    path("campaigns/", include("tenant_apps.donations.urls_campaigns")),
    path("deposits/", include("tenant_apps.donations.urls_deposits")),
    # Scanned checks: /deposits/<id>/checks/... and the scan of a gift, /gifts/<id>/check/.
    path("", include("tenant_apps.checks.urls")),
    path("donations/", include("tenant_apps.donations.urls")),
    # The donors desk: the list and a donor's page (donations: they show giving), adding and
    # editing (donors).
    path("donors/", include(([*donor_urlpatterns, *donor_form_urlpatterns], "donors"))),
    path("gifts/", include("tenant_apps.donations.urls_gifts")),
    # The public giving page: donors, no login.
    path("give/", include("tenant_apps.donations.urls_give")),
    path("hours/", include("tenant_apps.personnel.urls_hours")),
    path("personnel/", include("tenant_apps.personnel.urls")),
    path("pay-runs/", include("tenant_apps.personnel.urls_payroll")),
    path("pledges/", include("tenant_apps.donations.urls_pledges")),
    path("settings/organization/", include("saas_platform.urls_organization")),
    path("settings/staff/", include("shared_apps.users.urls_staff")),
    path("receipts/", include("tenant_apps.donations.urls_receipts")),
    path("tasks/", include("tenant_apps.donors.urls_tasks")),
    path("recurring/", include("tenant_apps.donations.urls_recurring")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "saas_platform.lib.http_errors.bad_request"
handler403 = "saas_platform.lib.http_errors.permission_denied"
handler404 = "saas_platform.lib.http_errors.page_not_found"
handler500 = "saas_platform.lib.http_errors.server_error"

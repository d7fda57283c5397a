"""URLs of the public host (PLATFORM_DOMAIN): the site, operators' login and admin."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path

from saas_platform.lib.admin_sites import public_admin_site
from saas_platform.lib.health import healthz
from saas_platform.operations import metrics, readyz
from saas_platform.views import favicon, public_home
from shared_apps.users.views import LoginView
from tenant_apps.donations.views.connect_webhook import connect_webhook

urlpatterns = [
    path("", public_home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("favicon.ico", favicon, name="favicon"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(settings.ADMIN_URL_PATH, public_admin_site.urls),
    path("billing/", include("shared_apps.billing.urls_public")),
    path("console/", include("shared_apps.console.urls")),
    # Online gifts' events from every organization's connected Stripe account.
    path("stripe/connect/webhook/", connect_webhook, name="stripe_connect_webhook"),
    path("signup/", include("shared_apps.onboarding.urls")),
    # Operators authenticate here too; a tenant's token is refused (401) on this host.
    path("api/v1/auth/", include("shared_apps.users.api.urls")),
]

handler400 = "saas_platform.lib.http_errors.bad_request"
handler403 = "saas_platform.lib.http_errors.permission_denied"
handler404 = "saas_platform.lib.http_errors.page_not_found"
handler500 = "saas_platform.lib.http_errors.server_error"

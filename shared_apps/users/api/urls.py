"""Authentication under /api/v1/auth/ (dj-rest-auth), with tenant-bound token views first."""

from dj_rest_auth.views import (
    PasswordChangeView,
    PasswordResetConfirmView,
    PasswordResetView,
    UserDetailsView,
)
from django.urls import path

from shared_apps.users.api.views import LoginView, LogoutView, TokenRefreshView, TokenVerifyView

# Views that check or reset a password are as strict as failed logins; the rest of dj-rest-auth
# keeps its `dj_rest_auth` scope (LOGIN_REQUESTS_PER_MINUTE), as do token refresh and verify.
PASSWORD_VIEWS_SCOPE = "auth_password"  # noqa: S105 (a throttle scope, not a secret)

urlpatterns = [
    path("login/", LoginView.as_view(), name="rest_login"),
    path("logout/", LogoutView.as_view(), name="rest_logout"),
    path("user/", UserDetailsView.as_view(), name="rest_user_details"),
    path(
        "password/change/",
        PasswordChangeView.as_view(throttle_scope=PASSWORD_VIEWS_SCOPE),
        name="rest_password_change",
    ),
    path(
        "password/reset/",
        PasswordResetView.as_view(throttle_scope=PASSWORD_VIEWS_SCOPE),
        name="rest_password_reset",
    ),
    path(
        "password/reset/confirm/",
        PasswordResetConfirmView.as_view(throttle_scope=PASSWORD_VIEWS_SCOPE),
        name="rest_password_reset_confirm",
    ),
    path(
        "token/refresh/",
        TokenRefreshView.as_view(),
        name="token_refresh",
    ),
    path("token/verify/", TokenVerifyView.as_view(), name="token_verify"),
]

"""Session login for pages, on the public host (operators) and tenant hosts (staff), and the
throttled password-reset request."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from saas_platform.lib.throttling import (
    login_attempt_refused,
    login_failure_record,
    login_throttled_page,
    password_reset_refused,
)
from shared_apps.users.forms import EmailAuthenticationForm
from shared_apps.users.selectors import SESSION_LOGIN_AT, SESSION_USER_AGENT

USER_AGENT_KEPT = 300


def session_login_record(request: HttpRequest) -> None:
    """Note in a new login's session when it began and from what browser, for the account page's
    list of sessions."""
    request.session[SESSION_LOGIN_AT] = timezone.now().isoformat()
    request.session[SESSION_USER_AGENT] = request.headers.get("User-Agent", "")[:USER_AGENT_KEPT]


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True
    template_name = "registration/login.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if login_attempt_refused(request=request):
            return login_throttled_page(request=request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        session_login_record(self.request)
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        login_failure_record(request=self.request)
        return super().form_invalid(form)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's page, with a limit per client: each request sends an email."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if password_reset_refused(request=request):
            return TemplateResponse(
                request,
                "registration/password_reset_throttled.html",
                status=429,
                headers={"Retry-After": "60"},
            )
        return super().post(request, *args, **kwargs)

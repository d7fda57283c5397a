"""Session login for pages, on the public host (operators) and tenant hosts (staff), and the
throttled password-reset request."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from saas_platform.lib.throttling import (
    login_attempt_refused,
    login_failure_record,
    login_throttled_page,
    password_reset_refused,
)
from shared_apps.users.forms import EmailAuthenticationForm


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True
    template_name = "registration/login.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if login_attempt_refused(request=request):
            return login_throttled_page(request=request)
        return super().post(request, *args, **kwargs)

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

"""Session login for pages, on the public host (operators) and tenant hosts (staff)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from shared_apps.users.forms import EmailAuthenticationForm
from shared_apps.users.throttling import login_attempts_exhausted, login_failure_record


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True
    template_name = "registration/login.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if login_attempts_exhausted(request=request):
            return TemplateResponse(
                request,
                "registration/login_throttled.html",
                status=429,
                headers={"Retry-After": "60"},
            )
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: EmailAuthenticationForm) -> HttpResponse:
        login_failure_record(request=self.request)
        return super().form_invalid(form)

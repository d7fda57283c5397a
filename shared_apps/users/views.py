"""Session login for pages, on the public host (operators) and tenant hosts (staff)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse

from shared_apps.users.forms import EmailAuthenticationForm
from shared_apps.users.throttling import (
    login_attempt_refused,
    login_failure_record,
    login_throttled_page,
)


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

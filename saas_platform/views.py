"""The two home pages: the public site's and an organization's."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.accounting.selectors import chart_summary


def public_home(request: HttpRequest) -> HttpResponse:
    return render(request, "public/home.html")


@login_required
def tenant_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    can_read_books = user.has_capability(Capability.ACCOUNTING_READ)
    return render(
        request,
        "tenant/home.html",
        {
            "chart": chart_summary() if can_read_books else None,
            "can_read_books": can_read_books,
            "can_read_donors": user.has_capability(Capability.DONORS_READ),
            "can_read_reports": user.has_capability(Capability.REPORTS_READ),
            "can_read_personnel": user.has_capability(Capability.PERSONNEL_READ),
        },
    )

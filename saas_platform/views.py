"""The two home pages: the public site's and an organization's."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenant_apps.accounting.selectors import chart_summary


def public_home(request: HttpRequest) -> HttpResponse:
    return render(request, "public/home.html")


@login_required
def tenant_home(request: HttpRequest) -> HttpResponse:
    return render(request, "tenant/home.html", {"chart": chart_summary()})

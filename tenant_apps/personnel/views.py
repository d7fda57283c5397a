"""Pages of the personnel reports: an index, and one page per report with its date range as a
form, the report as a table and a link to the same report as CSV (served by the API). The
table is drawn as the financial reports draw theirs (accounting.views)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from saas_platform.errors import ServiceError
from shared_apps.users.roles import Capability
from tenant_apps.accounting.views import PeriodForm, _table
from tenant_apps.personnel.reports import REPORT_SUMMARIES, REPORTS

TITLES = {
    "hours": "Hours by program and function",
    "volunteer-value": "Volunteer hours and their value",
    "payroll-allocation": "Payroll allocation",
}


def personnel_reader_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in (else to the login page) and allowed to read personnel records (else 403)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_capability(Capability.PERSONNEL_READ):  # type: ignore[union-attr]
            raise PermissionDenied("Your role does not allow reading personnel records.")
        return view(request, *args, **kwargs)

    return wrapper


@require_safe
@personnel_reader_required
def report_index(request: HttpRequest) -> HttpResponse:
    pages = [
        {"name": name, "title": TITLES[name], "summary": REPORT_SUMMARIES[name]} for name in REPORTS
    ]
    return render(request, "personnel/index.html", {"pages": pages})


@require_safe
@personnel_reader_required
def report_detail(request: HttpRequest, name: str) -> HttpResponse:
    if name not in REPORTS:
        raise Http404("There is no such report.")
    today = timezone.localdate()
    data = {
        "end": request.GET.get("end", "").strip() or today.isoformat(),
        "start": request.GET.get("start", "").strip(),
    }
    if not data["start"]:
        data["start"] = data["end"][:8] + "01"  # the first of the end date's month
    form = PeriodForm(data)
    context: dict[str, Any] = {"title": TITLES[name], "form": form, "report": None, "error": ""}
    if not form.is_valid():
        context["error"] = "Please correct the parameters below."
        return render(request, "personnel/report.html", context, status=400)
    try:
        report = REPORTS[name](**form.cleaned_data)
    except ServiceError as error:
        context["error"] = error.message
        return render(request, "personnel/report.html", context, status=error.status)
    context.update(
        report=report,
        table=_table(report),
        parameters=form.cleaned_data,
        csv_url=f"/api/v1/personnel/reports/{name}/?"
        + urlencode({"format": "csv", **report.parameters}),
    )
    return render(request, "personnel/report.html", context)

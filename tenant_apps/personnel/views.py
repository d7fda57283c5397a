"""Pages of the personnel reports: an index, and one page per report with its date range as a
form, the report as a table and a link to the same report as CSV (served by the API). The
page is the one every report has (accounting.pages)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from saas_platform.lib.report_pages import PeriodForm, period_text, reader_required, render_report
from saas_platform.lib.reports import Report
from shared_apps.users.pages import refusal
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.personnel.reports import PAY_REPORTS, REPORT_SUMMARIES, REPORTS, reports_readable

TITLES = {
    "hours": "Hours by program and function",
    "volunteer-value": "Volunteer hours and their value",
    "payroll-allocation": "Payroll allocation",
}


personnel_reader_required = reader_required(
    Capability.PERSONNEL_READ, "Your role does not allow reading personnel records."
)


@personnel_reader_required
def report_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    readable = reports_readable(can_read_pay=request.user.has_capability(Capability.PAY_READ))
    pages = [
        {"name": name, "title": TITLES[name], "summary": REPORT_SUMMARIES[name]}
        for name in readable
    ]
    return render(request, "personnel/index.html", {"pages": pages})


def _caption(report: Report, parameters: dict[str, Any]) -> str:
    return period_text(parameters["start"], parameters["end"])


@personnel_reader_required
def report_detail(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    if name not in REPORTS:
        raise Http404("There is no such report.")
    if name in PAY_REPORTS and not request.user.has_capability(Capability.PAY_READ):
        raise PermissionDenied(refusal(Capability.PAY_READ))
    today = timezone.localdate()
    data = {
        "end": request.GET.get("end", "").strip() or today.isoformat(),
        "start": request.GET.get("start", "").strip(),
    }
    if not data["start"]:
        data["start"] = data["end"][:8] + "01"  # the first of the end date's month
    return render_report(
        request,
        form=PeriodForm(data),
        run=lambda cleaned: REPORTS[name](**cleaned),
        title=TITLES[name],
        index=(reverse("personnel:index"), "Personnel reports"),
        csv_path=f"/api/v1/personnel/reports/{name}/",
        caption=_caption,
    )

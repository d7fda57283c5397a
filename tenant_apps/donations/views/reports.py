"""Pages of the fundraising reports, under /donations/reports/ on an organization's host: an
index, and one page per report with its parameters as a form, the report as a table (the
accounting report pages' table and style) and a link to the same report as CSV (the API)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from saas_platform.errors import ServiceError
from shared_apps.users.roles import Capability
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.views import DATE_FORMAT, _table
from tenant_apps.donations import reports
from tenant_apps.donations.selectors import campaign_list

# --- Parameters --------------------------------------------------------------------------------


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=[DATE_FORMAT],
        widget=forms.DateInput(attrs={"type": "date"}, format=DATE_FORMAT),
    )


class FiscalYearForm(forms.Form):
    fiscal_year = forms.IntegerField(
        label="Fiscal year",
        min_value=1901,
        max_value=2999,
        help_text="Named after the calendar year it ends in.",
    )


class CampaignForm(forms.Form):
    campaign = forms.ChoiceField(label="Campaign", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = [("", "All campaigns")] + [  # type: ignore[attr-defined]
            (campaign.code, f"{campaign.code} {campaign.name}") for campaign in campaign_list()
        ]


class PeriodForm(forms.Form):
    start = _date_field("From")
    end = _date_field("To")


class TopDonorsForm(PeriodForm):
    limit = forms.IntegerField(label="How many", min_value=1, max_value=reports.TOP_DONORS_MAX)


@dataclass(frozen=True)
class ReportPage:
    name: str
    summary: str
    form_class: type[forms.Form]

    @property
    def title(self) -> str:
        return reports.TITLES[self.name]


PAGES = {
    page.name: page
    for page in (
        ReportPage(
            "lybunt",
            "Donors who gave last fiscal year and not yet this one: whom to ask again.",
            FiscalYearForm,
        ),
        ReportPage(
            "sybunt",
            "Donors who gave in an earlier year, not last year nor this one.",
            FiscalYearForm,
        ),
        ReportPage(
            "campaign-progress",
            "Each campaign's posted gifts against its goal.",
            CampaignForm,
        ),
        ReportPage(
            "giving-by-fund",
            "Posted gifts over a period by the fund they were given to.",
            PeriodForm,
        ),
        ReportPage("top-donors", "The donors who gave the most over a period.", TopDonorsForm),
        ReportPage(
            "retention",
            "Of last year's donors, how many gave again; new and returning donors.",
            FiscalYearForm,
        ),
    )
}


def _form_data(form_class: type[forms.Form], query: QueryDict) -> dict[str, str]:
    """The query's parameters, with the defaults of the API: the current fiscal year, today,
    the start of the fiscal year the end date is in, 25 donors."""
    data = {name: query.get(name, "").strip() for name in form_class.base_fields}
    today = timezone.localdate()
    start_month = accounting.accounting_settings().fiscal_year_start_month
    this_year = accounting.fiscal_year_of(today, start_month=start_month)
    if "fiscal_year" in data and not data["fiscal_year"]:
        data["fiscal_year"] = str(this_year)
    if "end" in data and not data["end"]:
        data["end"] = today.isoformat()
    if "start" in data and not data["start"]:
        data["start"] = accounting.fiscal_year_bounds(this_year, start_month=start_month)[
            0
        ].isoformat()
    if "limit" in data and not data["limit"]:
        data["limit"] = str(reports.TOP_DONORS_LIMIT)
    return data


# --- Views -------------------------------------------------------------------------------------


def reports_reader_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in (else to the login page) and allowed to read reports (else 403)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_capability(Capability.REPORTS_READ):  # type: ignore[union-attr]
            raise PermissionDenied("Your role does not allow reading reports.")
        return view(request, *args, **kwargs)

    return wrapper


@require_safe
@reports_reader_required
def report_index(request: HttpRequest) -> HttpResponse:
    return render(request, "donations/reports.html", {"pages": PAGES.values()})


@require_safe
@reports_reader_required
def report_detail(request: HttpRequest, name: str) -> HttpResponse:
    page = PAGES.get(name)
    if page is None:
        raise Http404("There is no such report.")
    form = page.form_class(_form_data(page.form_class, request.GET))
    context: dict[str, Any] = {"page": page, "form": form, "report": None, "error": ""}
    if not form.is_valid():
        context["error"] = "Please correct the parameters below."
        return render(request, "donations/report.html", context, status=400)
    arguments = {key: value for key, value in form.cleaned_data.items() if value not in ("", None)}
    try:
        report = reports.REPORTS[name](**arguments)
    except ServiceError as error:
        context["error"] = error.message
        for field, messages in error.fields.items():
            if field in form.fields and isinstance(messages, list):
                form.add_error(field, [str(message) for message in messages])
        return render(request, "donations/report.html", context, status=error.status)
    context.update(
        report=report,
        table=_table(report),
        caption=", ".join(
            f"{key.replace('_', ' ')} {value}" for key, value in report.parameters.items()
        ),
        csv_url=f"/api/v1/donations/reports/{name}/?"
        + urlencode({"format": "csv", **report.parameters}),
    )
    return render(request, "donations/report.html", context)

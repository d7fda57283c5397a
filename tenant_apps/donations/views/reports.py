"""Pages of the fundraising reports, under /donations/reports/ on an organization's host: an
index, and one page per report with its parameters as a form, its chart, the report as a table
(the report kit's, each donor's name linking to their page) and a link to the same report as
CSV (the API)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import dateformat, timezone

from saas_platform.lib.report_pages import (
    CELL_DATE_FORMAT,
    PeriodForm,
    reader_required,
    render_report,
)
from saas_platform.lib.reports import Report
from shared_apps.users.pages import refusal
from shared_apps.users.roles import Capability
from tenant_apps.accounting import services as accounting
from tenant_apps.donations import reports
from tenant_apps.donations.selectors import campaign_list

# --- Parameters --------------------------------------------------------------------------------


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
        cast(forms.ChoiceField, self.fields["campaign"]).choices = [("", "All campaigns")] + [
            (campaign.code, f"{campaign.code} {campaign.name}") for campaign in campaign_list()
        ]


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


reports_reader_required = reader_required(Capability.GIVING_READ, refusal(Capability.GIVING_READ))


@reports_reader_required
def report_index(request: HttpRequest) -> HttpResponse:
    return render(request, "donations/reports.html", {"pages": PAGES.values()})


def _caption(report: Report, parameters: dict[str, Any]) -> str:
    """What the report covers, where its title does not say it already (the fiscal year
    reports name their years): "Jan 1, 2026 to Oct 31, 2026, the top 25", "campaign SPRING"."""
    parts = []
    if parameters.get("start") and parameters.get("end"):
        start, end = (
            dateformat.format(parameters[key], CELL_DATE_FORMAT) for key in ("start", "end")
        )
        parts.append(f"{start} to {end}")
    if parameters.get("limit"):
        parts.append(f"the top {parameters['limit']}")
    if parameters.get("campaign"):
        parts.append(f"campaign {parameters['campaign']}")
    return ", ".join(parts)


def _arguments(cleaned: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in cleaned.items() if value not in ("", None)}


@reports_reader_required
def report_detail(request: HttpRequest, name: str) -> HttpResponse:
    page = PAGES.get(name)
    if page is None:
        raise Http404("There is no such report.")
    return render_report(
        request,
        form=page.form_class(_form_data(page.form_class, request.GET)),
        run=lambda cleaned: reports.REPORTS[name](**_arguments(cleaned)),
        title=page.title,
        index=(reverse("donations:reports"), "Fundraising reports"),
        csv_path=f"/api/v1/donations/reports/{name}/",
        caption=_caption,
    )

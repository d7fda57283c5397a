"""The fundraising reports over the API: an index, and each report as JSON or, with
?format=csv (or Accept: text/csv), as CSV, like the accounting reports."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes

from saas_platform.lib import report_api as reporting
from shared_apps.users.permissions import capability_required
from shared_apps.users.roles import Capability
from tenant_apps.accounting import services as accounting
from tenant_apps.donations import reports
from tenant_apps.donations.api.serializers import GivingReportIndexOutput, GivingReportQueryInput

REPORTS_READER = capability_required(read=Capability.GIVING_READ)
URL = "/api/v1/donations/reports/"


class GivingReportIndexView(reporting.ReportIndexView):
    """The fundraising reports: their names, what they show and the parameters they take."""

    permission_classes = [REPORTS_READER]
    registry = reports.REPORTS
    item_serializer = GivingReportIndexOutput
    operation_id = "v1_donations_reports_list"

    def item(self, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "title": reports.TITLES[name],
            "parameters": reporting.report_parameters(reports.REPORTS[name]),
            "url": f"{URL}{name}/",
        }


class GivingReportView(reporting.ReportView):
    """A fundraising report as JSON, or as CSV with ?format=csv (or Accept: text/csv)."""

    permission_classes = [REPORTS_READER]
    registry = reports.REPORTS
    query_serializer = GivingReportQueryInput
    operation_id = "v1_donations_reports_retrieve"
    parameter_docs = {
        "fiscal_year": "lybunt, sybunt, retention: the fiscal year, named after the calendar "
        "year it ends in (the current one).",
        "start": "giving-by-fund, top-donors: the first day (the first day of the fiscal year "
        "`end` is in).",
        "end": "giving-by-fund, top-donors: the last day (today).",
        "campaign": "campaign-progress: only this campaign (a code); every campaign when omitted.",
        "limit": f"top-donors: how many donors (1 to {reports.TOP_DONORS_MAX}, "
        f"{reports.TOP_DONORS_LIMIT} when omitted).",
    }
    parameter_types = {
        **reporting.DATE_PARAMETERS,
        "fiscal_year": OpenApiTypes.INT,
        "limit": OpenApiTypes.INT,
    }

    def report_arguments(
        self, name: str, values: dict[str, Any], accepted: list[str]
    ) -> dict[str, Any]:
        """The current fiscal year, today, the start of the fiscal year `end` is in; campaign
        and limit only when given (the report's own default otherwise)."""
        today = timezone.localdate()
        arguments: dict[str, Any] = {}
        if "fiscal_year" in accepted:
            if "fiscal_year" in values:
                arguments["fiscal_year"] = values["fiscal_year"]
            else:
                start_month = accounting.accounting_settings().fiscal_year_start_month
                arguments["fiscal_year"] = accounting.fiscal_year_of(today, start_month=start_month)
        if "end" in accepted:
            arguments["end"] = values.get("end", today)
        if "start" in accepted:
            arguments["start"] = values.get("start") or accounting.fiscal_year_start(
                arguments["end"]
            )
        for key in ("campaign", "limit"):
            if key in accepted and key in values:
                arguments[key] = values[key]
        return arguments

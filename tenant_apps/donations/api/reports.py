"""The fundraising reports over the API: an index, and each report as JSON or, with
?format=csv (or Accept: text/csv), as CSV, like the accounting reports."""

from __future__ import annotations

import inspect
import re
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from saas_platform.errors import ServiceError
from shared_apps.users.permissions import capability_required
from shared_apps.users.roles import Capability
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.api.renderers import CSVRenderer
from tenant_apps.accounting.reports import Report
from tenant_apps.donations import reports
from tenant_apps.donations.api.serializers import (
    ErrorOutput,
    GivingReportIndexOutput,
    GivingReportQueryInput,
)

REPORTS_READER = capability_required(read=Capability.REPORTS_READ)
REPORT_PARAMETERS = tuple(GivingReportQueryInput().fields)
URL = "/api/v1/donations/reports/"

_PARAMETER_DOCS = {
    "fiscal_year": "lybunt, sybunt, retention: the fiscal year, named after the calendar year "
    "it ends in (the current one).",
    "start": "giving-by-fund, top-donors: the first day (the first day of the fiscal year "
    "`end` is in).",
    "end": "giving-by-fund, top-donors: the last day (today).",
    "campaign": "campaign-progress: only this campaign (a code); every campaign when omitted.",
    "limit": f"top-donors: how many donors (1 to {reports.TOP_DONORS_MAX}, "
    f"{reports.TOP_DONORS_LIMIT} when omitted).",
}


def _accepted(name: str) -> list[str]:
    return list(inspect.signature(reports.REPORTS[name]).parameters)


def report_arguments(name: str, query: dict[str, str]) -> dict[str, Any]:
    """The keyword arguments of report `name` from the query string, with the defaults; a
    parameter the report does not take, or a bad value, is a 400 naming it."""
    accepted = _accepted(name)
    given = {
        key: value for key, value in query.items() if key in REPORT_PARAMETERS and value.strip()
    }
    unexpected = [key for key in REPORT_PARAMETERS if key in given and key not in accepted]
    if unexpected:
        # Ignoring it would show figures the reader did not ask for.
        raise ServiceError(
            f"{unexpected[0]}: the {name} report does not take this parameter; "
            f"it takes {', '.join(accepted) or 'none'}.",
            fields={key: ["Not a parameter of this report."] for key in unexpected},
        )
    serializer = GivingReportQueryInput(data=given)
    if not serializer.is_valid():
        errors = {
            key: [str(message) for message in messages]
            for key, messages in serializer.errors.items()
        }
        raise ServiceError(
            " ".join(f"{key}: {messages[0]}" for key, messages in errors.items()), fields=errors
        )
    values = serializer.validated_data
    today = timezone.localdate()
    arguments: dict[str, Any] = {}
    if "fiscal_year" in accepted or "start" in accepted:
        start_month = accounting.accounting_settings().fiscal_year_start_month
    if "fiscal_year" in accepted:
        arguments["fiscal_year"] = values.get(
            "fiscal_year", accounting.fiscal_year_of(today, start_month=start_month)
        )
    if "end" in accepted:
        arguments["end"] = values.get("end", today)
    if "start" in accepted:
        fiscal_year = accounting.fiscal_year_of(arguments["end"], start_month=start_month)
        arguments["start"] = (
            values.get("start")
            or accounting.fiscal_year_bounds(fiscal_year, start_month=start_month)[0]
        )
    for key in ("campaign", "limit"):
        if key in accepted and key in values:
            arguments[key] = values[key]
    return arguments


def _csv_filename(report: Report) -> str:
    name = "-".join([report.name, *report.parameters.values()])
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) + ".csv"


class GivingReportIndexView(APIView):
    """The fundraising reports: their names, what they show and the parameters they take."""

    permission_classes = [REPORTS_READER]

    @extend_schema(
        operation_id="v1_donations_reports_list",
        responses={200: GivingReportIndexOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        return Response(
            GivingReportIndexOutput(
                [
                    {
                        "name": name,
                        "title": reports.TITLES[name],
                        "parameters": _accepted(name),
                        "url": f"{URL}{name}/",
                    }
                    for name in reports.REPORTS
                ],
                many=True,
            ).data
        )


class GivingReportView(APIView):
    """A fundraising report as JSON, or as CSV with ?format=csv (or Accept: text/csv)."""

    permission_classes = [REPORTS_READER]
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer]

    @extend_schema(
        operation_id="v1_donations_reports_retrieve",
        parameters=[
            OpenApiParameter(
                "name",
                str,
                OpenApiParameter.PATH,
                enum=list(reports.REPORTS),
                description="The report.",
            ),
            *(
                OpenApiParameter(
                    key,
                    {
                        "start": OpenApiTypes.DATE,
                        "end": OpenApiTypes.DATE,
                        "fiscal_year": OpenApiTypes.INT,
                        "limit": OpenApiTypes.INT,
                    }.get(key, OpenApiTypes.STR),
                    OpenApiParameter.QUERY,
                    description=description,
                )
                for key, description in _PARAMETER_DOCS.items()
            ),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="report, title, parameters, then the report's own figures "
                "(amounts as strings with two decimals).",
            ),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="The report's table, header first, as an attachment named "
                "<name>-<parameters>.csv.",
            ),
            (400, "application/json"): ErrorOutput,
            (404, "application/json"): ErrorOutput,
        },
    )
    def get(self, request: Request, name: str) -> Response:
        if name not in reports.REPORTS:
            raise NotFound(f"There is no report {name!r}; see {', '.join(reports.REPORTS)}.")
        report = reports.REPORTS[name](**report_arguments(name, dict(request.query_params.items())))
        if isinstance(request.accepted_renderer, CSVRenderer):
            return Response(
                report.as_table(),
                headers={"Content-Disposition": f'attachment; filename="{_csv_filename(report)}"'},
            )
        return Response(report.as_json())

    def handle_exception(self, exc: Exception) -> Response:
        # Errors keep the one JSON error shape, whatever format the report was asked in.
        if isinstance(getattr(self.request, "accepted_renderer", None), CSVRenderer):
            self.request.accepted_renderer = JSONRenderer()
            self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

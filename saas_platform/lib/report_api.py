"""Reports over the API, for every app that has them: each report is a `lib.reports.Report`,
served as JSON, or with ?format=csv (or Accept: text/csv) as CSV. An app subclasses `ReportView`
(and `ReportIndexView` for an index) with its registry of reports, its query parameters and its
permission; parsing, the CSV attachment, the error shape and the OpenAPI description are the
same for all."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from saas_platform.lib.api import ErrorOutput
from saas_platform.lib.csv_export import CSVRenderer, csv_lines
from saas_platform.lib.errors import ServiceError
from saas_platform.lib.reports import Report
from saas_platform.lib.statement_timeout import report_statements

ReportFunction = Callable[..., Report]

JSON_DESCRIPTION = (
    "report, title, parameters, then the report's own figures (amounts as strings with two "
    "decimals)."
)
CSV_DESCRIPTION = (
    "The report's table, header first, as an attachment named <name>-<parameters>.csv."
)
DATE_PARAMETERS = {
    "as_of": OpenApiTypes.DATE,
    "start": OpenApiTypes.DATE,
    "end": OpenApiTypes.DATE,
}


def report_parameters(function: ReportFunction) -> list[str]:
    """The keyword arguments a report takes: the query parameters it accepts."""
    return list(inspect.signature(function).parameters)


def report_query(
    serializer_class: type[serializers.Serializer],
    name: str,
    accepted: list[str],
    query: Mapping[str, str],
) -> dict[str, Any]:
    """The query parameters of report `name`, validated: a parameter the report does not take,
    or a bad value, is a ServiceError (400) naming it. Blank values count as not given."""
    known = tuple(serializer_class().fields)
    given = {key: value for key, value in query.items() if key in known and value.strip()}
    unexpected = [key for key in known if key in given and key not in accepted]
    if unexpected:
        # Ignoring a parameter the report does not take would show figures the reader did not
        # ask for (a fund filter on a report that covers every fund).
        raise ServiceError(
            f"{unexpected[0]}: the {name} report does not take this parameter; "
            f"it takes {', '.join(accepted) or 'none'}.",
            fields={key: ["Not a parameter of this report."] for key in unexpected},
        )
    serializer = serializer_class(data=given)
    if not serializer.is_valid():
        errors = {
            key: [str(message) for message in messages]
            for key, messages in serializer.errors.items()
        }
        raise ServiceError(
            " ".join(f"{key}: {messages[0]}" for key, messages in errors.items()), fields=errors
        )
    return dict(serializer.validated_data)


def csv_filename(report: Report) -> str:
    name = "-".join([report.name, *report.parameters.values()])
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) + ".csv"


class ReportView(APIView):
    """One report of `registry` as JSON, or as CSV with ?format=csv (or Accept: text/csv).

    A subclass names `registry` (the reports by name), `query_serializer` (every query
    parameter any of its reports takes), `report_arguments` (the defaults) and
    `permission_classes`; `parameter_docs`, `parameter_types`, `operation_id` and the
    descriptions shape its OpenAPI operation."""

    registry: ClassVar[Mapping[str, ReportFunction]]
    query_serializer: ClassVar[type[serializers.Serializer]]
    parameter_docs: ClassVar[Mapping[str, str]] = {}
    parameter_types: ClassVar[Mapping[str, OpenApiTypes]] = DATE_PARAMETERS
    operation_id: ClassVar[str | None] = None
    json_description: ClassVar[str] = JSON_DESCRIPTION
    csv_description: ClassVar[str] = CSV_DESCRIPTION

    # api_settings imports the dotted paths it is given; drf-stubs type them as the strings.
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer]  # type: ignore[list-item]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "registry" in cls.__dict__:
            extend_schema_view(get=cls.report_schema())(cls)

    @classmethod
    def report_schema(cls) -> Callable[[Any], Any]:
        return extend_schema(
            operation_id=cls.operation_id,
            parameters=[
                OpenApiParameter(
                    "name",
                    str,
                    OpenApiParameter.PATH,
                    enum=list(cls.registry),
                    description="The report.",
                ),
                *(
                    OpenApiParameter(
                        key,
                        cls.parameter_types.get(key, OpenApiTypes.STR),
                        OpenApiParameter.QUERY,
                        description=description,
                    )
                    for key, description in cls.parameter_docs.items()
                ),
            ],
            responses={
                (200, "application/json"): OpenApiResponse(
                    OpenApiTypes.OBJECT, description=cls.json_description
                ),
                (200, "text/csv"): OpenApiResponse(
                    OpenApiTypes.STR, description=cls.csv_description
                ),
                (400, "application/json"): ErrorOutput,
                (404, "application/json"): ErrorOutput,
            },
        )

    def report_arguments(
        self, name: str, values: dict[str, Any], accepted: list[str]
    ) -> dict[str, Any]:
        """The keyword arguments of report `name` from the validated query `values`, with the
        defaults of what was not given."""
        raise NotImplementedError

    def get(self, request: Request, name: str) -> Response | StreamingHttpResponse:
        if name not in self.registry:
            raise NotFound(f"There is no report {name!r}; see {', '.join(self.registry)}.")
        accepted = report_parameters(self.registry[name])
        values = report_query(self.query_serializer, name, accepted, request.query_params.dict())
        with report_statements():
            report = self.registry[name](**self.report_arguments(name, values, accepted))
        if isinstance(request.accepted_renderer, CSVRenderer):
            if report.stream is not None:
                # A long report is written as it is read: its rows are never all in memory.
                return StreamingHttpResponse(
                    csv_lines(report.table_lines()),
                    content_type=f"{CSVRenderer.media_type}; charset={CSVRenderer.charset}",
                    headers={
                        "Content-Disposition": f'attachment; filename="{csv_filename(report)}"'
                    },
                )
            return Response(
                report.as_table(),
                headers={"Content-Disposition": f'attachment; filename="{csv_filename(report)}"'},
            )
        return Response(report.as_json())

    def handle_exception(self, exc: Exception) -> Response:
        # Errors keep the one JSON error shape, whatever format the report was asked in.
        if isinstance(getattr(self.request, "accepted_renderer", None), CSVRenderer):
            self.request.accepted_renderer = JSONRenderer()
            self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


class ReportIndexView(APIView):
    """The reports of `registry`, one `item_serializer` item each (see `item`)."""

    registry: ClassVar[Mapping[str, ReportFunction]]
    item_serializer: ClassVar[type[serializers.Serializer]]
    operation_id: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "item_serializer" in cls.__dict__:
            extend_schema_view(
                get=extend_schema(
                    operation_id=cls.operation_id,
                    responses={200: cls.item_serializer(many=True)},
                )
            )(cls)

    def item(self, name: str) -> dict[str, Any]:
        raise NotImplementedError

    def get(self, request: Request) -> Response:
        return Response(
            self.item_serializer([self.item(name) for name in self.registry], many=True).data
        )

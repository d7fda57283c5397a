"""The imports API: upload a CSV file of donors or gifts, follow its job, read what was wrong
with its rows and which rows look like donors (or gifts) already recorded."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from saas_platform.lib.api import ErrorOutput, validated_data
from saas_platform.lib.errors import ServiceError
from shared_apps.users.requests import AuthenticatedRequest
from shared_apps.users.roles import Capability
from tenant_apps.donations.api.serializers import (
    ImportCreateInput,
    ImportDuplicatePageOutput,
    ImportErrorPageOutput,
    ImportJobOutput,
)
from tenant_apps.donations.models import ImportJob, ImportKind
from tenant_apps.donations.services import import_csv, imports

# Who may import what: donors are the donor database's writers', gifts the gift writers'.
IMPORT_CAPABILITY = {
    ImportKind.DONORS: Capability.DONORS_WRITE,
    ImportKind.GIFTS: Capability.GIFTS_WRITE,
}


class ImportPermission(BasePermission):
    """Readers of giving see the jobs (a gift import's rows show amounts); a writer of donors
    or of gifts may upload (the kind of file is checked against the role once the request is
    read)."""

    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return user.has_capability(Capability.GIVING_READ)
        return any(user.has_capability(needed) for needed in IMPORT_CAPABILITY.values())


def import_allowed(user: Any, kind: str) -> bool:
    return bool(user.has_capability(IMPORT_CAPABILITY[ImportKind(kind)]))


def _columns_description() -> str:
    """The columns of each kind of file, for the API's documentation."""
    parts = [
        "Upload a CSV file of donors or gifts (UTF-8, with or without a byte order mark, at "
        f"most {imports.MAX_FILE_BYTES // 1024 // 1024} MB, column names on row 1, in any "
        "order; columns not needed may be left out). The file as a whole is checked now (400, "
        "nothing queued); its rows by the job, all or none imported. Gifts come in as drafts."
    ]
    for kind, columns in import_csv.COLUMN_HELP.items():
        listed = "; ".join(
            f"`{column}`: {text}" if text else f"`{column}`" for column, text in columns.items()
        )
        parts.append(f"Columns of a {kind} file: {listed}.")
    return "\n\n".join(parts)


COLUMNS_DESCRIPTION = _columns_description()


class ListPagination(LimitOffsetPagination):
    default_limit = 100
    max_limit = 1000


def _paginated(request: AuthenticatedRequest, view: APIView, items: list[Any]) -> Response:
    paginator = ListPagination()
    page = paginator.paginate_queryset(items, request, view=view)
    return paginator.get_paginated_response(page)


PAGE_PARAMETERS = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="At most 1000 (default 100)."),
    OpenApiParameter("offset", OpenApiTypes.INT),
]


@extend_schema_view(
    list=extend_schema(description="Import jobs, newest first."),
    retrieve=extend_schema(
        description="A job's state and progress (rows validated, then rows written) and counts."
    ),
)
class ImportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """CSV imports of donors and gifts: all rows or none."""

    serializer_class = ImportJobOutput
    permission_classes = [ImportPermission]
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = ["kind", "state"]
    ordering = ["-id"]
    ordering_fields = ["id", "created_at"]

    def get_queryset(self) -> QuerySet[ImportJob]:
        jobs = ImportJob.objects.select_related("created_by")
        if self.action in ("errors", "duplicates"):
            return jobs
        # A job polled every second need not carry its lists along.
        return jobs.defer("errors", "duplicates")

    @extend_schema(
        description=COLUMNS_DESCRIPTION,
        request={"multipart/form-data": ImportCreateInput},
        responses={201: ImportJobOutput, 400: ErrorOutput, 403: ErrorOutput},
    )
    def create(self, request: AuthenticatedRequest) -> Response:
        data = validated_data(ImportCreateInput, request)
        if data["kind"] not in ImportKind.values:
            raise ServiceError(
                "An import is of donors or gifts.", fields={"kind": ["donors or gifts."]}
            )
        if not import_allowed(request.user, data["kind"]):
            raise PermissionDenied(f"Your role does not allow importing {data['kind']}.")
        job = imports.import_job_create(
            kind=data["kind"], upload=data["file"], acting_user=request.user
        )
        job = self.get_queryset().get(pk=job.pk)
        return Response(ImportJobOutput(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="v1_donations_imports_errors",
        parameters=PAGE_PARAMETERS,
        responses={200: ImportErrorPageOutput},
    )
    @action(detail=True, methods=["get"])
    def errors(self, request: AuthenticatedRequest, pk: str) -> Response:
        """What is wrong with the file's rows, by row (the header is row 1) and column."""
        return _paginated(request, self, self.get_object().errors)

    @extend_schema(
        operation_id="v1_donations_imports_duplicates",
        parameters=PAGE_PARAMETERS,
        responses={200: ImportDuplicatePageOutput},
    )
    @action(detail=True, methods=["get"])
    def duplicates(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Rows that look like a donor (or a gift) already recorded, or like an earlier row
        of the file. Reported, not refused: merge the donors afterwards if they are the same."""
        return _paginated(request, self, self.get_object().duplicates)

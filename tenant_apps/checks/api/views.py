"""The scanned-checks API: upload scans to a deposit, follow the upload's reading, read each
check's fields with their confidences, correct them, accept a check into a draft gift or reject
it. Readers of giving read; bookkeepers, fundraisers, owners and admins write."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from saas_platform.lib.api import ErrorOutput, validated_data
from saas_platform.lib.errors import ServiceError
from shared_apps.users.permissions import capability_required
from shared_apps.users.requests import AuthenticatedRequest
from shared_apps.users.roles import Capability
from tenant_apps.checks.api.serializers import (
    AcceptInput,
    CorrectionsInput,
    RejectInput,
    ScannedCheckOutput,
    UploadCreateInput,
    UploadOutput,
)
from tenant_apps.checks.models import ScannedCheck, ScanUpload
from tenant_apps.checks.services import review, uploads
from tenant_apps.donations.models import Deposit
from tenant_apps.donors.selectors import donor_by_id

ChecksPermission = capability_required(read=Capability.GIVING_READ, write=Capability.GIFTS_WRITE)


@extend_schema_view(
    list=extend_schema(description="Uploads of scans, newest first (filter by `deposit`)."),
    retrieve=extend_schema(description="An upload's state and progress: pages read, checks found."),
)
class ScanUploadViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ScanUpload]
):
    serializer_class = UploadOutput
    permission_classes = [ChecksPermission]
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = ["deposit", "state"]
    ordering = ["-id"]
    ordering_fields = ["id", "created_at"]

    def get_queryset(self) -> QuerySet[ScanUpload]:
        return ScanUpload.objects.all()

    @extend_schema(
        description="Upload a file of check scans to an open deposit: checked by its content and "
        "size now (400, nothing kept), then read in the background; follow it at its URL.",
        request={"multipart/form-data": UploadCreateInput},
        responses={201: UploadOutput, 400: ErrorOutput, 403: ErrorOutput, 409: ErrorOutput},
    )
    def create(self, request: AuthenticatedRequest) -> Response:
        data = validated_data(UploadCreateInput, request)
        deposit = Deposit.objects.filter(pk=data["deposit"]).first()
        if deposit is None:
            raise ServiceError(
                f"There is no deposit {data['deposit']}.", fields={"deposit": ["Unknown deposit."]}
            )
        scan = uploads.scan_upload_create(
            deposit=deposit, upload=data["file"], acting_user=request.user
        )
        scan.refresh_from_db()
        return Response(UploadOutput(scan).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        description="Scanned checks in scanning order (filter by `deposit`, `state`)."
    ),
    retrieve=extend_schema(description="A scanned check: the fields read with their confidences."),
)
class ScannedCheckViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ScannedCheck]
):
    serializer_class = ScannedCheckOutput
    permission_classes = [ChecksPermission]
    parser_classes = [JSONParser, FormParser]
    filterset_fields = ["deposit", "upload", "state"]
    ordering = ["id"]
    ordering_fields = ["id"]

    def get_queryset(self) -> QuerySet[ScannedCheck]:
        return ScannedCheck.objects.all()

    @extend_schema(
        request=CorrectionsInput,
        responses={200: ScannedCheckOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    def partial_update(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Correct fields read wrong (amount, check number, date, payer, memo)."""
        data = validated_data(CorrectionsInput, request)
        scanned = review.scanned_check_correct(
            scanned_check=self.get_object(), corrections=data, acting_user=request.user
        )
        return Response(ScannedCheckOutput(scanned).data)

    @extend_schema(
        operation_id="v1_checks_checks_accept",
        request=AcceptInput,
        responses={200: ScannedCheckOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Accept the check as the donor's, with corrections: a draft gift by check in its
        deposit. A check flagged as a duplicate is refused (409) while the other scan stands."""
        scanned = self.get_object()
        data = validated_data(AcceptInput, request)
        donor = donor_by_id(data["donor"], field="donor")
        scanned = review.scanned_check_accept(
            scanned_check=scanned,
            donor=donor,
            corrections=data.get("corrections") or {},
            acting_user=request.user,
        )
        return Response(ScannedCheckOutput(scanned).data)

    @extend_schema(
        operation_id="v1_checks_checks_reject",
        request=RejectInput,
        responses={200: ScannedCheckOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Reject the check, saying why: it never becomes a gift."""
        scanned = self.get_object()
        data = validated_data(RejectInput, request)
        scanned = review.scanned_check_reject(
            scanned_check=scanned, reason=data["reason"], acting_user=request.user
        )
        return Response(ScannedCheckOutput(scanned).data)

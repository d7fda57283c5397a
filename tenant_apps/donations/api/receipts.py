"""The receipts API: issued receipts and year-end statements with their PDFs, issuing one,
correcting one (a new version) and emailing it again; and the receipt settings."""

from __future__ import annotations

import json
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from saas_platform.lib.api import ErrorOutput, validated_data
from saas_platform.lib.errors import ServiceError
from saas_platform.lib.filters import FilterSet
from shared_apps.users.permissions import capability_required
from shared_apps.users.requests import AuthenticatedRequest
from shared_apps.users.roles import Capability
from tenant_apps.donations import selectors
from tenant_apps.donations.api.serializers import (
    ReceiptIssueInput,
    ReceiptOutput,
    ReceiptReissueInput,
    ReceiptSettingsInput,
    ReceiptSettingsOutput,
    ReceiptYearEndInput,
)
from tenant_apps.donations.models import Gift, Receipt, ReceiptKind, ReceiptSettings
from tenant_apps.donations.receipt_pdf import receipt_pdf_download
from tenant_apps.donations.services import receipt_settings, receipts
from tenant_apps.donors import selectors as donor_selectors

RECEIPTS = capability_required(read=Capability.GIVING_READ, write=Capability.GIFTS_WRITE)
RECEIPT_SETTINGS = capability_required(
    read=Capability.GIVING_READ, write=Capability.SETTINGS_MANAGE
)


class PDFRenderer(BaseRenderer):
    """Lets a client ask for application/pdf. The PDF itself is a FileResponse; what this
    renders is only an error, as the usual JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return data if isinstance(data, bytes) else json.dumps(data).encode()


class ReceiptFilter(FilterSet):
    kind = django_filters.ChoiceFilter(choices=ReceiptKind.choices)
    year = django_filters.NumberFilter(help_text="The year of a statement.")

    class Meta:
        model = Receipt
        fields = ["donor", "gift", "kind", "year"]


@extend_schema_view(
    list=extend_schema(description="Receipts and statements, newest first, every version."),
    retrieve=extend_schema(description="A receipt: what it says and where it was emailed."),
)
class ReceiptViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Receipts (IRS Publication 1771). Issued once, never changed: `reissue` makes the next
    version of the same number, which voids the one it replaces."""

    serializer_class = ReceiptOutput
    permission_classes = [RECEIPTS]
    filterset_class = ReceiptFilter
    parser_classes = [JSONParser]
    ordering = ["-id"]
    ordering_fields = ["id", "number"]

    def get_queryset(self) -> QuerySet[Receipt]:
        return selectors.receipt_list()

    def _output(self, receipt: Receipt) -> dict[str, Any]:
        return dict(ReceiptOutput(self.get_queryset().get(pk=receipt.pk)).data)

    @extend_schema(
        operation_id="v1_donations_receipts_pdf",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="PDF"),
            404: ErrorOutput,
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, PDFRenderer])
    def pdf(self, request: AuthenticatedRequest, pk: str) -> FileResponse:
        """The receipt as it was issued, a PDF."""
        return receipt_pdf_download(self.get_object())

    @extend_schema(
        operation_id="v1_donations_receipts_issue",
        request=ReceiptIssueInput,
        responses={201: ReceiptOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=False, methods=["post"])
    def issue(self, request: AuthenticatedRequest) -> Response:
        """Issue the receipt of a posted gift that has none; it is emailed after."""
        data = validated_data(ReceiptIssueInput, request)
        gift = Gift.objects.filter(pk=data["gift"]).first()
        if gift is None:
            raise ServiceError(f"There is no gift {data['gift']}.", fields={"gift": ["Unknown."]})
        receipt = receipts.receipt_issue(gift=gift, acting_user=request.user)
        return Response(self._output(receipt), status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="v1_donations_receipts_year_end",
        request=ReceiptYearEndInput,
        responses={201: ReceiptOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=False, methods=["post"], url_path="year-end")
    def year_end(self, request: AuthenticatedRequest) -> Response:
        """Issue a donor's giving statement of a calendar year: every posted gift of it."""
        data = validated_data(ReceiptYearEndInput, request)
        donor = donor_selectors.donor_by_id(data["donor"], field="donor")
        receipt = receipts.receipt_year_end_issue(
            donor=donor, year=data["year"], acting_user=request.user
        )
        return Response(self._output(receipt), status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="v1_donations_receipts_reissue",
        request=ReceiptReissueInput,
        responses={201: ReceiptOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"])
    def reissue(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Correct a receipt: the next version of its number, naming the one it replaces."""
        receipt = self.get_object()
        data = validated_data(ReceiptReissueInput, request)
        corrected = receipts.receipt_reissue(
            receipt=receipt, reason=data["reason"], acting_user=request.user
        )
        return Response(self._output(corrected), status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="v1_donations_receipts_email",
        request=None,
        responses={202: ReceiptOutput},
    )
    @action(detail=True, methods=["post"])
    def email(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Email the receipt to the donor again (in the background; see emailed_at and
        email_error afterwards)."""
        receipt = receipts.receipt_email_request(
            receipt=self.get_object(), acting_user=request.user
        )
        return Response(self._output(receipt), status=status.HTTP_202_ACCEPTED)


def _settings_output(settings_row: ReceiptSettings) -> dict[str, Any]:
    return dict(
        ReceiptSettingsOutput(
            {
                "legal_name": settings_row.legal_name,
                "ein": settings_row.ein,
                "address": settings_row.address,
                "signatory_name": settings_row.signatory_name,
                "signatory_title": settings_row.signatory_title,
                "receipt_every_gift": settings_row.receipt_every_gift,
                "next_number": settings_row.next_number,
                "missing": sorted(receipt_settings.receipt_settings_missing(settings_row)),
            }
        ).data
    )


class ReceiptSettingsView(APIView):
    """What receipts say about the organization (one object): its legal name and EIN, which
    receipts cannot be issued without, its address and who signs."""

    permission_classes = [RECEIPT_SETTINGS]
    parser_classes = [JSONParser]

    @extend_schema(responses={200: ReceiptSettingsOutput})
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(_settings_output(receipt_settings.receipt_settings()))

    @extend_schema(
        request=ReceiptSettingsInput, responses={200: ReceiptSettingsOutput, 400: ErrorOutput}
    )
    def put(self, request: AuthenticatedRequest) -> Response:
        data = validated_data(ReceiptSettingsInput, request)
        settings_row = receipt_settings.receipt_settings_update(acting_user=request.user, **data)
        return Response(_settings_output(settings_row))

    @extend_schema(
        request=ReceiptSettingsInput, responses={200: ReceiptSettingsOutput, 400: ErrorOutput}
    )
    def patch(self, request: AuthenticatedRequest) -> Response:
        data = validated_data(
            ReceiptSettingsInput, request, instance=receipt_settings.receipt_settings()
        )
        settings_row = receipt_settings.receipt_settings_update(acting_user=request.user, **data)
        return Response(_settings_output(settings_row))

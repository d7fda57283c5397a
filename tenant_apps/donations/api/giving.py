"""Donors' giving summaries over the API, at /api/v1/donors/donors/giving-summary/ and
/api/v1/donors/donors/<id>/giving-summary/: the donor list's filters, order and paging, with
what each donor has given. Donations owns them (it knows the gifts), so donors does not import
donations.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import re_path
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.urlpatterns import format_suffix_patterns

from saas_platform.lib.api import ErrorOutput
from shared_apps.users.permissions import capability_required
from shared_apps.users.roles import Capability
from tenant_apps.donations.selectors import donor_giving_summaries
from tenant_apps.donors.api.serializers import DonorGivingSummaryOutput
from tenant_apps.donors.api.views import DonorViewSet
from tenant_apps.donors.models import Donor


class DonorGivingViewSet(DonorViewSet):
    """The donor list's filters and permission, answering with giving summaries. The actions
    take `**kwargs`: a format suffix (giving-summary.json) arrives as a `format` argument.
    What a donor gives is for readers of giving, not every reader of donors."""

    permission_classes = [capability_required(read=Capability.GIVING_READ)]

    def get_queryset(self) -> QuerySet[Any]:
        # Summaries show no contacts: the donors alone, without the list's prefetches.
        return Donor.objects.order_by("display_name", "id")

    @extend_schema(
        operation_id="v1_donors_donors_giving_summary",
        request=None,
        responses={200: DonorGivingSummaryOutput, 404: ErrorOutput},
    )
    @action(detail=True, methods=["get"], url_path="giving-summary")
    def giving_summary(self, request: Request, pk: str, **kwargs: Any) -> Response:
        """What the donor has given: first, last and largest gift, lifetime total, this and
        last fiscal year, gift count and soft credits (posted gifts only)."""
        donor = self.get_object()
        donor.giving = donor_giving_summaries(donor_ids=[donor.pk])[donor.pk]
        return Response(DonorGivingSummaryOutput(donor).data)

    @extend_schema(
        operation_id="v1_donors_donors_giving_summaries",
        request=None,
        responses={200: DonorGivingSummaryOutput(many=True)},
    )
    @action(detail=False, methods=["get"], url_path="giving-summary")
    def giving_summaries(self, request: Request, **kwargs: Any) -> Response:
        """A page of donors, filtered and ordered as the donor list is, each with its giving
        summary: the same number of queries for a page of 3 donors or of 200."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        donors = list(page if page is not None else self.filter_queryset(self.get_queryset()))
        summaries = donor_giving_summaries(donor_ids=[donor.pk for donor in donors])
        for donor in donors:
            donor.giving = summaries[donor.pk]
        data = DonorGivingSummaryOutput(donors, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)


# Before donors' own routes in the URL map: its donor detail route would take "giving-summary"
# for a donor id. With format suffixes (giving-summary.json), as the router made them.
urlpatterns = format_suffix_patterns(
    [
        re_path(
            r"^donors/giving-summary/$",
            DonorGivingViewSet.as_view({"get": "giving_summaries"}, basename="donor", detail=False),
            name="donor-giving-summaries",
        ),
        re_path(
            r"^donors/(?P<pk>[^/.]+)/giving-summary/$",
            DonorGivingViewSet.as_view({"get": "giving_summary"}, basename="donor", detail=True),
            name="donor-giving-summary",
        ),
    ]
)

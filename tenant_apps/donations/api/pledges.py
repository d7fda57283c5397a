"""The pledges and recurring-gifts API. Fundraisers record them; bookkeepers post pledges and
write them off (those touch the books); viewers read. A write validates its input, calls one
service and serializes what it returns."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from saas_platform.lib.api import ErrorOutput, validated_data
from saas_platform.lib.filters import FilterSet
from shared_apps.users.requests import AuthenticatedRequest
from shared_apps.users.roles import Capability
from tenant_apps.donations import selectors
from tenant_apps.donations.api.serializers import (
    PledgeCancelInput,
    PledgeCreateInput,
    PledgeOutput,
    PledgeUpdateInput,
    PledgeWriteOffInput,
    RecurringGiftCreateInput,
    RecurringGiftOutput,
    RecurringGiftResumeInput,
    RecurringGiftUpdateInput,
)
from tenant_apps.donations.api.views import GIFTS, GIFTS_POSTING, campaign_by_code
from tenant_apps.donations.models import (
    Frequency,
    Pledge,
    PledgeState,
    RecurringGift,
    RecurringGiftState,
)
from tenant_apps.donations.services import pledges, schedules
from tenant_apps.donations.services.recurring import (
    recurring_gift_cancel,
    recurring_gift_create,
    recurring_gift_delete,
    recurring_gift_pause,
    recurring_gift_resume,
    recurring_gift_update,
)
from tenant_apps.donors import selectors as donor_selectors


def _pledge_changes(data: dict[str, Any]) -> dict[str, Any]:
    """Input as the pledge services take it: objects for ids and codes, specs for schedules."""
    changes = dict(data)
    if "donor" in changes:
        changes["donor"] = donor_selectors.donor_by_id(changes["donor"], field="donor")
    if "campaign" in changes:
        changes["campaign"] = campaign_by_code(changes["campaign"])
    if "installments" in changes:
        changes["installments"] = [
            schedules.InstallmentSpec(due_on=row["due_on"], amount=row["amount"])
            for row in changes["installments"]
        ]
    if "schedule" in changes:
        changes["schedule"] = schedules.ScheduleSpec(**changes["schedule"])
    return changes


class PledgeFilter(FilterSet):
    campaign = django_filters.CharFilter(field_name="campaign__code", label="A campaign code.")
    fund = django_filters.CharFilter(field_name="fund__code", label="A fund code.")
    state = django_filters.ChoiceFilter(choices=PledgeState.choices)

    class Meta:
        model = Pledge
        fields = ["donor", "campaign", "fund", "state"]


@extend_schema_view(
    list=extend_schema(description="Pledges, newest first, with schedule, payments and balance."),
    retrieve=extend_schema(description="A pledge with its schedule (paid or not) and payments."),
)
class PledgeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Pledges: promises to give, with a schedule. Created as drafts; `post` puts the promise in
    the books as revenue and a receivable; payments are gifts that name the pledge."""

    serializer_class = PledgeOutput
    filterset_class = PledgeFilter
    parser_classes = [JSONParser]  # schedules nest: a form cannot carry them
    ordering = ["-pledged_on", "-id"]
    ordering_fields = ["pledged_on", "amount", "id"]

    def get_permissions(self) -> list[BasePermission]:
        posting = self.action in ("post_to_ledger", "write_off")
        return [(GIFTS_POSTING if posting else GIFTS)()]

    def get_queryset(self) -> QuerySet[Pledge]:
        return selectors.pledge_list()

    def _output(self, pledge: Pledge) -> dict[str, Any]:
        return dict(PledgeOutput(self.get_queryset().get(pk=pledge.pk)).data)

    @extend_schema(request=PledgeCreateInput, responses={201: PledgeOutput, 400: ErrorOutput})
    def create(self, request: AuthenticatedRequest) -> Response:
        """Record a draft pledge with its schedule."""
        data = _pledge_changes(validated_data(PledgeCreateInput, request))
        pledge = pledges.pledge_create(acting_user=request.user, **data)
        return Response(self._output(pledge), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=PledgeUpdateInput,
        responses={200: PledgeOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    def partial_update(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Change a pledge. A posted pledge's donor, amount, fund and date are in the books
        (409); its schedule, campaign and memo may change."""
        pledge = self.get_object()
        data = _pledge_changes(validated_data(PledgeUpdateInput, request))
        pledge = pledges.pledge_update(pledge=pledge, acting_user=request.user, **data)
        return Response(self._output(pledge))

    @extend_schema(responses={204: None, 409: ErrorOutput})
    def destroy(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Delete a draft pledge."""
        pledges.pledge_delete(pledge=self.get_object(), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="v1_donations_pledges_post",
        request=None,
        responses={200: PledgeOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"], url_path="post")
    def post_to_ledger(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Post a draft pledge: Dr 1210 pledges receivable, Cr 4010 contributions."""
        pledge = pledges.pledge_post(pledge=self.get_object(), acting_user=request.user)
        return Response(self._output(pledge))

    @extend_schema(
        operation_id="v1_donations_pledges_write_off",
        request=PledgeWriteOffInput,
        responses={200: PledgeOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"], url_path="write-off")
    def write_off(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Write off the unpaid balance of an open pledge: Dr 4010, Cr 1210."""
        pledge = self.get_object()
        data = validated_data(PledgeWriteOffInput, request)
        pledge = pledges.pledge_write_off(
            pledge=pledge, acting_user=request.user, date=data.get("date"), memo=data["memo"]
        )
        return Response(self._output(pledge))

    @extend_schema(
        operation_id="v1_donations_pledges_cancel",
        request=PledgeCancelInput,
        responses={200: PledgeOutput, 400: ErrorOutput, 403: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Cancel a draft pledge, or reverse a posted pledge without payments that was recorded
        in error (the reversal is a posting: bookkeepers only)."""
        pledge = self.get_object()
        if pledge.state != PledgeState.DRAFT and not request.user.has_capability(
            Capability.GIFTS_POST
        ):
            raise PermissionDenied("Cancelling a posted pledge reverses its entry: a bookkeeper's.")
        data = validated_data(PledgeCancelInput, request)
        pledge = pledges.pledge_cancel(
            pledge=pledge, acting_user=request.user, date=data.get("date")
        )
        return Response(self._output(pledge))


def _recurring_changes(data: dict[str, Any]) -> dict[str, Any]:
    changes = dict(data)
    if "donor" in changes:
        changes["donor"] = donor_selectors.donor_by_id(changes["donor"], field="donor")
    if "campaign" in changes:
        changes["campaign"] = campaign_by_code(changes["campaign"])
    return changes


class RecurringGiftFilter(FilterSet):
    state = django_filters.ChoiceFilter(choices=RecurringGiftState.choices)
    frequency = django_filters.ChoiceFilter(choices=Frequency.choices)

    class Meta:
        model = RecurringGift
        fields = ["donor", "state", "frequency"]


@extend_schema_view(
    list=extend_schema(description="Recurring gifts, next due first."),
    retrieve=extend_schema(description="A recurring gift."),
)
class RecurringGiftViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Recurring gifts: each due date makes a draft gift (daily); `pause`, `resume` and
    `cancel` change whether more are made."""

    serializer_class = RecurringGiftOutput
    filterset_class = RecurringGiftFilter
    permission_classes = [GIFTS]
    parser_classes = [JSONParser]
    ordering = ["next_on", "id"]
    ordering_fields = ["next_on", "amount", "id"]

    def get_queryset(self) -> QuerySet[RecurringGift]:
        return selectors.recurring_gift_list()

    def _output(self, recurring: RecurringGift) -> dict[str, Any]:
        return dict(RecurringGiftOutput(self.get_queryset().get(pk=recurring.pk)).data)

    @extend_schema(
        request=RecurringGiftCreateInput,
        responses={201: RecurringGiftOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    def create(self, request: AuthenticatedRequest) -> Response:
        data = _recurring_changes(validated_data(RecurringGiftCreateInput, request))
        recurring = recurring_gift_create(acting_user=request.user, **data)
        return Response(self._output(recurring), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=RecurringGiftUpdateInput,
        responses={200: RecurringGiftOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    def partial_update(self, request: AuthenticatedRequest, pk: str) -> Response:
        recurring = self.get_object()
        data = _recurring_changes(validated_data(RecurringGiftUpdateInput, request))
        recurring = recurring_gift_update(
            recurring_gift=recurring, acting_user=request.user, **data
        )
        return Response(self._output(recurring))

    @extend_schema(responses={204: None, 409: ErrorOutput})
    def destroy(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Delete a recurring gift that has made no gift yet."""
        recurring_gift_delete(recurring_gift=self.get_object(), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="v1_donations_recurring_gifts_pause",
        request=None,
        responses={200: RecurringGiftOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"])
    def pause(self, request: AuthenticatedRequest, pk: str) -> Response:
        recurring = recurring_gift_pause(recurring_gift=self.get_object(), acting_user=request.user)
        return Response(self._output(recurring))

    @extend_schema(
        operation_id="v1_donations_recurring_gifts_resume",
        request=RecurringGiftResumeInput,
        responses={200: RecurringGiftOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"])
    def resume(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Make gifts again; the dates passed while paused are skipped."""
        recurring = self.get_object()
        data = validated_data(RecurringGiftResumeInput, request)
        recurring = recurring_gift_resume(
            recurring_gift=recurring, acting_user=request.user, next_on=data.get("next_on")
        )
        return Response(self._output(recurring))

    @extend_schema(
        operation_id="v1_donations_recurring_gifts_cancel",
        request=None,
        responses={200: RecurringGiftOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: AuthenticatedRequest, pk: str) -> Response:
        recurring = recurring_gift_cancel(
            recurring_gift=self.get_object(), acting_user=request.user
        )
        return Response(self._output(recurring))

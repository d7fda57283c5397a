"""The donations API: campaigns, gifts (draft, post, refund, void) and deposits (add gifts, close).
A write validates its input, calls one service and serializes what it returns; the services'
refusals come back in the one error shape (400, or 409 for a state conflict)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from saas_platform.lib.api import ErrorOutput, validated_data
from saas_platform.lib.errors import ServiceError
from saas_platform.lib.filters import FilterSet
from shared_apps.users.permissions import capability_required
from shared_apps.users.requests import AuthenticatedRequest
from shared_apps.users.roles import Capability
from tenant_apps.donations import selectors
from tenant_apps.donations.api.serializers import (
    CampaignCreateInput,
    CampaignOutput,
    CampaignUpdateInput,
    DepositCreateInput,
    DepositGiftsInput,
    DepositOutput,
    GiftCreateInput,
    GiftOutput,
    GiftRefundInput,
    GiftUpdateInput,
    GiftVoidInput,
)
from tenant_apps.donations.models import Campaign, Deposit, Gift, GiftMethod, GiftState
from tenant_apps.donations.services import allocations, campaigns, deposits, gifts
from tenant_apps.donations.services.online_refunds import gift_refund_anywhere
from tenant_apps.donations.services.tributes import person_to_tell_refusal
from tenant_apps.donors import selectors as donor_selectors

GIFTS = capability_required(read=Capability.GIVING_READ, write=Capability.GIFTS_WRITE)
GIFTS_POSTING = capability_required(read=Capability.GIVING_READ, write=Capability.GIFTS_POST)


def campaign_by_code(code: str | None) -> Campaign | None:
    """The campaign a request names by its code (gifts and pledges name it alike), or a 400."""
    if code is None:
        return None
    campaign = Campaign.objects.filter(code=code).first()
    if campaign is None:
        raise ServiceError(
            f"There is no campaign {code!r}.", fields={"campaign": ["Unknown campaign."]}
        )
    return campaign


def _gift_by_id(gift_id: int) -> Gift:
    gift = Gift.objects.filter(pk=gift_id).first()
    if gift is None:
        raise ServiceError(f"There is no gift {gift_id}.", fields={"gifts": ["Unknown gift."]})
    return gift


def _person_to_tell_check(data: dict[str, Any], gift: Gift | None = None) -> None:
    """A name without an email for the person to tell is refused, as on the gift form; a
    change naming neither leaves the gift's as it is."""
    if not {"notify_name", "notify_email"} & data.keys():
        return
    refusal = person_to_tell_refusal(
        notify_name=data.get("notify_name", gift.notify_name if gift else ""),
        notify_email=data.get("notify_email", gift.notify_email if gift else ""),
    )
    if refusal:
        raise ServiceError(refusal, fields={"notify_email": [refusal]})


def _gift_changes(data: dict[str, Any]) -> dict[str, Any]:
    """Input fields as the gift services take them: objects for ids and codes, specs for
    allocations and soft credits."""
    changes = dict(data)
    if "donor" in changes:
        changes["donor"] = donor_selectors.donor_by_id(changes["donor"], field="donor")
    if "campaign" in changes:
        changes["campaign"] = campaign_by_code(changes["campaign"])
    if "allocations" in changes:
        changes["allocations"] = [
            allocations.AllocationSpec(fund=row["fund"], amount=row["amount"])
            for row in changes["allocations"]
        ]
    if "soft_credits" in changes:
        changes["soft_credits"] = [
            allocations.SoftCreditSpec(
                donor=donor_selectors.donor_by_id(row["donor"], field="soft_credits"),
                amount=row["amount"],
            )
            for row in changes["soft_credits"]
        ]
    return changes


@extend_schema_view(
    list=extend_schema(description="Campaigns by code."),
    retrieve=extend_schema(description="A campaign."),
)
class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Fundraising campaigns, addressed by code."""

    serializer_class = CampaignOutput
    permission_classes = [GIFTS]
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9._-]{1,20}"
    filterset_fields = ["is_active"]
    ordering = ["code"]
    ordering_fields = ["code", "name", "start"]

    def get_queryset(self) -> QuerySet[Campaign]:
        return selectors.campaign_list()

    @extend_schema(request=CampaignCreateInput, responses={201: CampaignOutput, 400: ErrorOutput})
    def create(self, request: AuthenticatedRequest) -> Response:
        data = validated_data(CampaignCreateInput, request)
        campaign = campaigns.campaign_create(acting_user=request.user, **data)
        return Response(CampaignOutput(campaign).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CampaignUpdateInput, responses={200: CampaignOutput, 400: ErrorOutput})
    def partial_update(self, request: AuthenticatedRequest, code: str) -> Response:
        campaign = self.get_object()
        data = validated_data(CampaignUpdateInput, request)
        campaign = campaigns.campaign_update(campaign=campaign, acting_user=request.user, **data)
        return Response(CampaignOutput(campaign).data)


class GiftFilter(FilterSet):
    campaign = django_filters.CharFilter(field_name="campaign__code", label="A campaign code.")
    state = django_filters.ChoiceFilter(choices=GiftState.choices)
    method = django_filters.ChoiceFilter(choices=GiftMethod.choices)
    received_from = django_filters.DateFilter(field_name="received_on", lookup_expr="gte")
    received_to = django_filters.DateFilter(field_name="received_on", lookup_expr="lte")

    class Meta:
        model = Gift
        fields = ["donor", "campaign", "state", "method", "deposit"]


@extend_schema_view(
    list=extend_schema(description="Gifts, newest first; filter by donor, campaign, state..."),
    retrieve=extend_schema(description="A gift with its allocations and soft credits."),
)
class GiftViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Gifts. Created as drafts; `post` puts one in the books, `refund` reverses it, `void`
    takes one entered in error out of giving (and out of the books, if it was posted)."""

    serializer_class = GiftOutput
    filterset_class = GiftFilter
    parser_classes = [JSONParser]  # allocations nest: a form cannot carry them
    ordering = ["-received_on", "-id"]
    ordering_fields = ["received_on", "amount", "id"]

    def get_permissions(self) -> list[BasePermission]:
        # A method named `post` would answer every POST to a gift: the action has another name.
        posting = self.action in ("post_to_ledger", "refund", "void")
        return [(GIFTS_POSTING if posting else GIFTS)()]

    def get_queryset(self) -> QuerySet[Gift]:
        return selectors.gift_list()

    def _output(self, gift: Gift) -> dict[str, Any]:
        return dict(GiftOutput(self.get_queryset().get(pk=gift.pk)).data)

    @extend_schema(request=GiftCreateInput, responses={201: GiftOutput, 400: ErrorOutput})
    def create(self, request: AuthenticatedRequest) -> Response:
        """Record a draft gift. Allocations must add up to the amount (all to GEN if none)."""
        data = _gift_changes(validated_data(GiftCreateInput, request))
        _person_to_tell_check(data)
        gift = gifts.gift_create(acting_user=request.user, **data)
        return Response(self._output(gift), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=GiftUpdateInput, responses={200: GiftOutput, 400: ErrorOutput, 409: ErrorOutput}
    )
    def partial_update(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Change a gift. A posted gift's amount, funds, method, date and donor are in the
        books: refund it and record a new gift instead (409)."""
        gift = self.get_object()
        data = _gift_changes(validated_data(GiftUpdateInput, request))
        _person_to_tell_check(data, gift)
        gift = gifts.gift_update(gift=gift, acting_user=request.user, **data)
        return Response(self._output(gift))

    @extend_schema(responses={204: None, 409: ErrorOutput})
    def destroy(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Delete a draft gift. A posted gift is refunded instead (409)."""
        gifts.gift_delete(gift=self.get_object(), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="v1_donations_gifts_post",
        request=None,
        responses={200: GiftOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"], url_path="post")
    def post_to_ledger(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Post a draft gift to the ledger."""
        gift = gifts.gift_post(gift=self.get_object(), acting_user=request.user)
        return Response(self._output(gift))

    @extend_schema(
        operation_id="v1_donations_gifts_refund",
        request=GiftRefundInput,
        responses={200: GiftOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"])
    def refund(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Refund a posted gift, whole or `amount` of it, on `date` (today by default); a gift
        paid through Stripe is refunded there first."""
        gift = self.get_object()
        data = validated_data(GiftRefundInput, request)
        gift = gift_refund_anywhere(
            gift=gift,
            organization=request.tenant,  # type: ignore[attr-defined]
            refund_key=data["key"],
            acting_user=request.user,
            date=data.get("date"),
            memo=data["memo"],
            amount=data.get("amount"),
        )
        return Response(self._output(gift))

    @extend_schema(
        operation_id="v1_donations_gifts_void",
        request=GiftVoidInput,
        responses={200: GiftOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"])
    def void(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Void a draft or posted gift entered in error or never received, with a `reason`.
        It leaves the donor's giving and the campaigns' figures; a posted gift's entry is
        reversed on `date` and its receipt voided by a new version. A refunded or void gift
        is refused (409)."""
        gift = self.get_object()
        data = validated_data(GiftVoidInput, request)
        gift = gifts.gift_void(
            gift=gift, acting_user=request.user, reason=data["reason"], date=data.get("date")
        )
        return Response(self._output(gift))


@extend_schema_view(
    list=extend_schema(description="Deposits, newest first, with their gifts' count and total."),
    retrieve=extend_schema(description="A deposit."),
)
class DepositViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Deposits: batches of checks and cash, closed when they match the counted total."""

    serializer_class = DepositOutput
    filterset_fields = ["state"]
    parser_classes = [JSONParser]
    ordering = ["-deposit_on", "-id"]
    ordering_fields = ["deposit_on", "id"]

    def get_permissions(self) -> list[BasePermission]:
        return [(GIFTS_POSTING if self.action == "close" else GIFTS)()]

    def get_queryset(self) -> QuerySet[Deposit]:
        return selectors.deposit_list()

    def _output(self, deposit: Deposit) -> dict[str, Any]:
        return dict(DepositOutput(self.get_queryset().get(pk=deposit.pk)).data)

    @extend_schema(request=DepositCreateInput, responses={201: DepositOutput, 400: ErrorOutput})
    def create(self, request: AuthenticatedRequest) -> Response:
        data = validated_data(DepositCreateInput, request)
        deposit = deposits.deposit_create(acting_user=request.user, **data)
        return Response(self._output(deposit), status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="v1_donations_deposits_gifts_add",
        request=DepositGiftsInput,
        responses={200: DepositOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"], url_path="gifts")
    def gifts_add(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Add posted check and cash gifts to the open deposit: all of them, or none."""
        deposit = self.get_object()
        data = validated_data(DepositGiftsInput, request)
        with transaction.atomic():
            for gift_id in data["gifts"]:
                deposits.deposit_add_gift(
                    deposit=deposit, gift=_gift_by_id(gift_id), acting_user=request.user
                )
        return Response(self._output(deposit))

    @extend_schema(
        operation_id="v1_donations_deposits_gifts_remove",
        request=None,
        responses={200: DepositOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["delete"], url_path=r"gifts/(?P<gift_id>[0-9]+)")
    def gifts_remove(self, request: AuthenticatedRequest, pk: str, gift_id: str) -> Response:
        """Take a gift out of the open deposit (a check that bounced, a count that was wrong)."""
        deposit = self.get_object()
        deposits.deposit_remove_gift(
            deposit=deposit, gift=_gift_by_id(int(gift_id)), acting_user=request.user
        )
        return Response(self._output(deposit))

    @extend_schema(
        operation_id="v1_donations_deposits_close",
        request=None,
        responses={200: DepositOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Close the deposit if its gifts match the expected count and total; the undeposited
        funds move to the bank account."""
        deposit = deposits.deposit_close(deposit=self.get_object(), acting_user=request.user)
        return Response(self._output(deposit))

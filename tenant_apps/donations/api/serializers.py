"""Input and output shapes of the donations API. Inputs check types and formats only; the rules
are the services' (they answer with the same error shape)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tenant_apps.accounting.api.serializers import BooksDateField, ErrorOutput
from tenant_apps.donations.models import (
    Deposit,
    DepositState,
    GiftMethod,
    GiftSource,
    GiftState,
    TributeType,
)

__all__ = ["ErrorOutput"]


def _money(**kwargs: object) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)  # type: ignore[arg-type]


# --- Campaigns ---------------------------------------------------------------------------------


class CampaignOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    goal = _money()
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    is_active = serializers.BooleanField()


class CampaignCreateInput(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=200)
    goal = _money(required=False, default="0.00", min_value=0)
    start = BooksDateField(required=False, allow_null=True, default=None)
    end = BooksDateField(required=False, allow_null=True, default=None)


class CampaignUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    goal = _money(required=False, min_value=0)
    start = BooksDateField(required=False, allow_null=True)
    end = BooksDateField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)


# --- Gifts -------------------------------------------------------------------------------------


class AllocationOutput(serializers.Serializer):
    fund = serializers.CharField(source="fund.code")
    amount = _money()


class SoftCreditOutput(serializers.Serializer):
    donor = serializers.IntegerField(source="donor_id")
    donor_name = serializers.CharField(source="donor.display_name")
    amount = _money()


class GiftOutput(serializers.Serializer):
    id = serializers.IntegerField()
    donor = serializers.IntegerField(source="donor_id")
    donor_name = serializers.CharField(source="donor.display_name")
    amount = _money()
    currency = serializers.CharField()
    received_on = serializers.DateField()
    method = serializers.ChoiceField(choices=GiftMethod.choices)
    campaign = serializers.CharField(source="campaign.code", allow_null=True, default=None)
    designation = serializers.CharField()
    tribute_type = serializers.ChoiceField(choices=TributeType.choices)
    tribute_name = serializers.CharField()
    notify_name = serializers.CharField()
    notify_email = serializers.CharField()
    goods_services_value = _money()
    goods_services_description = serializers.CharField()
    in_kind_description = serializers.CharField()
    check_number = serializers.CharField()
    payment_reference = serializers.CharField()
    # Plain strings, not enums: "source" and "state" name other choice sets in the schema.
    source = serializers.CharField(help_text=f"One of {', '.join(GiftSource.values)}.")
    state = serializers.CharField(help_text=f"One of {', '.join(GiftState.values)}.")
    journal_entry = serializers.IntegerField(
        source="journal_entry.number",
        allow_null=True,
        default=None,
        help_text="The number of the entry that posted the gift.",
    )
    refund_entry = serializers.IntegerField(
        source="refund_entry.number",
        allow_null=True,
        default=None,
        help_text="The number of the entry that reversed it.",
    )
    deposit = serializers.IntegerField(source="deposit_id", allow_null=True)
    allocations = AllocationOutput(many=True)
    soft_credits = SoftCreditOutput(many=True)
    posted_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class AllocationInput(serializers.Serializer):
    fund = serializers.CharField(max_length=20)
    amount = _money()


class SoftCreditInput(serializers.Serializer):
    donor = serializers.IntegerField()
    amount = _money()


class _GiftDetailsInput(serializers.Serializer):
    campaign = serializers.CharField(
        max_length=20, required=False, allow_null=True, help_text="A campaign code."
    )
    designation = serializers.CharField(required=False, allow_blank=True, max_length=500)
    tribute_type = serializers.ChoiceField(choices=TributeType.choices, required=False)
    tribute_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    notify_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    notify_email = serializers.EmailField(required=False, allow_blank=True)
    goods_services_value = _money(required=False)
    goods_services_description = serializers.CharField(
        required=False, allow_blank=True, max_length=500
    )
    in_kind_description = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    check_number = serializers.CharField(required=False, allow_blank=True, max_length=40)


class GiftCreateInput(_GiftDetailsInput):
    donor = serializers.IntegerField()
    amount = _money()
    received_on = BooksDateField()
    method = serializers.ChoiceField(choices=GiftMethod.choices)
    allocations = AllocationInput(
        many=True, required=False, help_text="Funds and amounts; all to GEN when omitted."
    )
    soft_credits = SoftCreditInput(many=True, required=False)
    payment_reference = serializers.CharField(required=False, allow_blank=True, max_length=200)
    source = serializers.CharField(
        required=False, max_length=20, help_text=f"One of {', '.join(GiftSource.values)}."
    )


class GiftUpdateInput(_GiftDetailsInput):
    """A draft changes freely; a posted gift's amount, funds, method, date and donor are fixed."""

    donor = serializers.IntegerField(required=False)
    amount = _money(required=False)
    received_on = BooksDateField(required=False)
    method = serializers.ChoiceField(choices=GiftMethod.choices, required=False)
    allocations = AllocationInput(many=True, required=False)


class GiftRefundInput(serializers.Serializer):
    date = BooksDateField(required=False, help_text="The refund's date; today when omitted.")
    memo = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


# --- Deposits ----------------------------------------------------------------------------------


class DepositOutput(serializers.Serializer):
    id = serializers.IntegerField()
    deposit_on = serializers.DateField()
    bank_account = serializers.CharField(source="bank_account.code")
    expected_count = serializers.IntegerField()
    expected_total = _money()
    gift_count = serializers.IntegerField()
    gift_total = _money()
    gifts = serializers.SerializerMethodField(help_text="The ids of the deposited gifts.")
    state = serializers.CharField(help_text=f"One of {', '.join(DepositState.values)}.")
    journal_entry = serializers.IntegerField(
        source="journal_entry.number", allow_null=True, default=None
    )
    closed_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_gifts(self, deposit: Deposit) -> list[int]:
        return sorted(gift.pk for gift in deposit.gifts.all())  # prefetched


class DepositCreateInput(serializers.Serializer):
    deposit_on = BooksDateField()
    expected_count = serializers.IntegerField(min_value=1)
    expected_total = _money()
    bank_account = serializers.CharField(max_length=20, required=False, default="1010")


class DepositGiftsInput(serializers.Serializer):
    gifts = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=500)


# --- Reports -----------------------------------------------------------------------------------


class GivingReportQueryInput(serializers.Serializer):
    """The query parameters of the fundraising reports; each report takes some of them."""

    fiscal_year = serializers.IntegerField(required=False, min_value=1901, max_value=2999)
    start = BooksDateField(required=False)
    end = BooksDateField(required=False)
    campaign = serializers.CharField(max_length=20, required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500)


class GivingReportIndexOutput(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    parameters = serializers.ListField(child=serializers.CharField())
    url = serializers.CharField()

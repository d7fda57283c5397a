"""Reads of gifts, campaigns and deposits, with what their lists show loaded up front."""

from __future__ import annotations

from django.db.models import Count, DecimalField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from tenant_apps.donations.models import Campaign, Deposit, Gift


def campaign_list() -> QuerySet[Campaign]:
    return Campaign.objects.order_by("code")


def gift_list() -> QuerySet[Gift]:
    return (
        Gift.objects.select_related("donor", "campaign", "journal_entry", "refund_entry", "deposit")
        .prefetch_related("allocations__fund", "soft_credits__donor")
        .order_by("-received_on", "-id")
    )


def deposit_list() -> QuerySet[Deposit]:
    return (
        Deposit.objects.select_related("bank_account", "journal_entry")
        .annotate(
            gift_count=Count("gifts"),
            gift_total=Coalesce(
                Sum("gifts__amount"),
                Value(0),
                output_field=DecimalField(max_digits=14, decimal_places=2),
            ),
        )
        .prefetch_related("gifts")
        .order_by("-deposit_on", "-id")
    )

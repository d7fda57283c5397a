"""Gifts as tests need them, made through donations.services like the app makes them (call
inside the tenant's schema_context)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from tenant_apps.donations import services
from tenant_apps.donations.models import Gift
from tenant_apps.donors.models import Donor


def today() -> date:
    # The seeded periods are the current fiscal year's: gifts are dated today to post.
    return timezone.localdate()


def gift_made(
    donor: Donor,
    amount: str = "100.00",
    *,
    method: str = "check",
    splits: tuple[tuple[str, str], ...] = (),
    post: bool = False,
    acting_user: Any = None,
    **fields: Any,
) -> Gift:
    gift = services.gift_create(
        donor=donor,
        amount=Decimal(amount),
        received_on=fields.pop("received_on", today()),
        method=method,
        allocations=[services.AllocationSpec(fund, Decimal(part)) for fund, part in splits],
        acting_user=acting_user,
        **fields,
    )
    if post:
        gift = services.gift_post(gift=gift, acting_user=acting_user)
    return gift

"""Gifts as tests need them, made through donations.services like the app makes them (call
inside the tenant's schema_context)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context

from tenant_apps.accounting import reports
from tenant_apps.donations.models import Gift
from tenant_apps.donations.services.allocations import AllocationSpec
from tenant_apps.donations.services.gifts import gift_create, gift_post
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
    gift = gift_create(
        donor=donor,
        amount=Decimal(amount),
        received_on=fields.pop("received_on", today()),
        method=method,
        allocations=[AllocationSpec(fund, Decimal(part)) for fund, part in splits],
        acting_user=acting_user,
        **fields,
    )
    if post:
        gift = gift_post(gift=gift, acting_user=acting_user)
    return gift


# --- Reading the books -------------------------------------------------------------------------


def ledger(fund: str | None = None) -> dict[str, tuple[str, str]]:
    """alpha's trial balance today, for all funds or one, checked to balance: account code to
    (debit, credit)."""
    with schema_context("alpha"):
        report = reports.trial_balance(as_of=today(), fund=fund).as_json()
    assert report["balanced"] is True
    return {row["account"]: (row["debit"], row["credit"]) for row in report["accounts"]}


def fund_balances() -> dict[str, tuple[str, str, str]]:
    """alpha's fund balances today: fund code to (assets, without and with donor
    restrictions)."""
    with schema_context("alpha"):
        report = reports.fund_balances(as_of=today()).as_json()
    return {
        row["fund"]: (
            row["assets"],
            row["without_donor_restrictions"],
            row["with_donor_restrictions"],
        )
        for row in report["funds"]
    }

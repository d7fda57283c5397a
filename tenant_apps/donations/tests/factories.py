"""Gifts, pledges and recurring gifts as tests need them, made through
donations.services like the app makes them, so their books, audit rows and schedules are right
(build them in the tenant's schema: the `in_alpha` fixture, or inside a schema_context)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from shared_apps.users.models import User
from tenant_apps.donations.models import Gift, Pledge, RecurringGift
from tenant_apps.donations.services.allocations import AllocationSpec
from tenant_apps.donations.services.gifts import gift_create, gift_post
from tenant_apps.donations.services.pledges import pledge_create, pledge_post
from tenant_apps.donations.services.recurring import recurring_gift_create
from tenant_apps.donations.services.schedules import ScheduleSpec
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import DonorFactory


def today() -> date:
    # The seeded periods are the current fiscal year's: gifts are dated today to post.
    return timezone.localdate()


def later(days: int) -> date:
    """A date after today's pledges: schedules fall due after the pledge is made."""
    return today() + timedelta(days=days)


# --- Gifts -------------------------------------------------------------------------------------


class GiftFactory(factory.Factory[Gift]):
    """A draft gift of $100.00 by check from a new donor to the general fund, made by
    gift_create. `posted=True` posts it (gift_post); `splits=(("GEN", "60.00"), ("PRP",
    "40.00"))` shares it across funds; any other field is gift_create's."""

    class Meta:
        model = Gift

    donor = factory.SubFactory(DonorFactory)
    amount = "100.00"
    received_on = factory.LazyFunction(today)
    method = "check"
    acting_user = None
    splits: Sequence[tuple[str, str]] = ()
    posted = False

    @classmethod
    def _create(
        cls,
        model_class: type[Gift],
        *,
        splits: Sequence[tuple[str, str]],
        posted: bool,
        acting_user: User | None,
        **fields: Any,
    ) -> Gift:
        gift = gift_create(
            allocations=[AllocationSpec(fund, Decimal(part)) for fund, part in splits],
            acting_user=acting_user,
            **fields,
        )
        if posted:
            gift = gift_post(gift=gift, acting_user=acting_user)
        return gift


def gift_made(donor: Donor, amount: str = "100.00", **fields: Any) -> Gift:
    """A gift of `donor` (GiftFactory's, for the tests that still call it by this name)."""
    return GiftFactory.create(
        donor=donor, amount=amount, posted=fields.pop("post", False), **fields
    )


# --- Pledges and recurring gifts ---------------------------------------------------------------


class PledgeFactory(factory.Factory[Pledge]):
    """A draft pledge of $1,000.00 from a new donor to the general fund, in four quarterly
    installments from today, made by pledge_create; `posted=True` posts it (pledge_post)."""

    class Meta:
        model = Pledge

    donor = factory.SubFactory(DonorFactory)
    amount = "1000.00"
    fund = "GEN"
    pledged_on = factory.LazyFunction(today)
    count = 4
    frequency = "quarterly"
    first_due_on = factory.LazyFunction(today)
    acting_user = None
    posted = False

    @classmethod
    def _create(
        cls,
        model_class: type[Pledge],
        *,
        count: int,
        frequency: str,
        first_due_on: date,
        posted: bool,
        acting_user: User | None,
        **fields: Any,
    ) -> Pledge:
        pledge = pledge_create(
            schedule=ScheduleSpec(count=count, frequency=frequency, first_due_on=first_due_on),
            acting_user=acting_user,
            **fields,
        )
        if posted:
            pledge = pledge_post(pledge=pledge, acting_user=acting_user)
        return pledge


class RecurringGiftFactory(factory.Factory[RecurringGift]):
    """A monthly recurring gift of $25.00 by ACH from a new donor, first due today, made by
    recurring_gift_create."""

    class Meta:
        model = RecurringGift

    donor = factory.SubFactory(DonorFactory)
    amount = "25.00"
    frequency = "monthly"
    next_on = factory.LazyFunction(today)
    method = "ach"
    acting_user = None

    @classmethod
    def _create(cls, model_class: type[RecurringGift], **fields: Any) -> RecurringGift:
        return recurring_gift_create(**fields)

"""The fundraising desk's lines on the month-end close's checklist (accounting.closing): deposits
dated in the month that are still open, and gifts received in it that are not yet posted. Both
are left to the bookkeeper's judgement rather than blocking the close: once the month is closed,
such a gift or deposit is posted on a date in an open month, or the month is reopened."""

from __future__ import annotations

from datetime import date

from tenant_apps.accounting.closing import ClosingItem, page_url
from tenant_apps.donations.models import Deposit, DepositState, Gift, GiftState


def open_deposits_check(start: date, end: date) -> ClosingItem:
    count = Deposit.objects.filter(
        state=DepositState.OPEN, deposit_on__gte=start, deposit_on__lte=end
    ).count()
    return ClosingItem(
        name="donations.open_deposits",
        label="Open deposits dated in the month",
        count=count,
        url=page_url("deposits:index", state=DepositState.OPEN),
        action="Close them once their gifts match the slip",
    )


def unposted_gifts_check(start: date, end: date) -> ClosingItem:
    count = Gift.objects.filter(
        state=GiftState.DRAFT, received_on__gte=start, received_on__lte=end
    ).count()
    return ClosingItem(
        name="donations.unposted_gifts",
        label="Gifts received in the month, not yet posted",
        count=count,
        url=page_url(
            "gifts:list",
            state=GiftState.DRAFT,
            received_from=start.isoformat(),
            received_to=end.isoformat(),
        ),
        action="Post them",
    )

"""Online giving: what a donor asks for on the public giving page, checked, and the Stripe
Checkout session that takes it, as a direct charge on the organization's connected account
(the Stripe-Account header: the money, and its refunds, are the nonprofit's). No card data ever
reaches IFM: the donor types it on Stripe's page. The gift itself is recorded when Stripe's
webhook says it was paid, from what the session's metadata carries.

Also the funds the organization offers on the page (the general fund always).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

import stripe
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.inputs import text_check
from shared_apps.billing.stripe_api import stripe_client, stripe_configured
from tenant_apps.accounting.models import Fund
from tenant_apps.core.services import audit_record
from tenant_apps.donations.models import GivingFund
from tenant_apps.donations.services.posting import DEFAULT_FUND

if TYPE_CHECKING:
    from shared_apps.tenants.models import Organization
    from shared_apps.users.models import User

# Stripe's standard card pricing in the US: 2.9% of the charge plus 30 cents.
STRIPE_FEE_RATE = Decimal("0.029")
STRIPE_FEE_FIXED = Decimal("0.30")
CENT = Decimal("0.01")
# Below this a card gift mostly pays the fee, and many tiny attempts are how stolen cards are
# tested; above the maximum a gift is a conversation, not a web form.
MINIMUM_GIFT = Decimal("5.00")
MAXIMUM_GIFT = Decimal("25000.00")
PRESET_AMOUNTS = (Decimal("25"), Decimal("50"), Decimal("100"), Decimal("250"))
NOT_SET_UP = "Online giving is not set up for this organization yet."


def stripe_fee(gross: Decimal) -> Decimal:
    """Stripe's fee on a charge of `gross`: 2.9% plus 30 cents, rounded to the cent."""
    return (gross * STRIPE_FEE_RATE + STRIPE_FEE_FIXED).quantize(CENT, rounding=ROUND_HALF_UP)


def gross_covering_fees(net: Decimal) -> Decimal:
    """The least charge after whose Stripe fee the organization nets at least `net`: from
    g = (net + 0.30) / (1 - 0.029) rounded up to the cent, a cent less while that still nets
    `net` (the fee is rounded to the cent, so the formula alone can ask a cent too much)."""
    gross = ((net + STRIPE_FEE_FIXED) / (1 - STRIPE_FEE_RATE)).quantize(
        CENT, rounding=ROUND_CEILING
    )
    while gross - CENT - stripe_fee(gross - CENT) >= net:
        gross -= CENT
    return gross


@dataclass(frozen=True)
class OnlineGift:
    """A gift as the donor asked for it: `amount` is what they chose to give, `charged` what
    the card is charged (more when they cover the fee); the gift recorded is the charge."""

    amount: Decimal
    charged: Decimal
    cover_fees: bool
    fund: str
    email: str
    name: str


def giving_funds() -> list[Fund]:
    """The funds a donor may choose, the general fund first, then those offered, active ones
    only."""
    offered = Fund.objects.filter(is_active=True, code=DEFAULT_FUND) | Fund.objects.filter(
        is_active=True, pk__in=GivingFund.objects.values("fund_id")
    )
    return sorted(offered, key=lambda fund: (fund.code != DEFAULT_FUND, fund.code))


def online_gift_check(
    *, amount: Decimal, cover_fees: bool, fund: str, email: str, name: str
) -> OnlineGift:
    """The gift asked for, or a ServiceError naming each field that is wrong."""
    problems: dict[str, list[str]] = {}
    if not isinstance(amount, Decimal) or not amount.is_finite():
        problems["amount"] = ["Give an amount in dollars."]
    elif amount > MAXIMUM_GIFT:
        problems["amount"] = [
            f"Online gifts are at most ${MAXIMUM_GIFT:,.2f}; please contact us for a larger gift."
        ]
    elif amount < MINIMUM_GIFT:
        problems["amount"] = [f"The smallest gift online is ${MINIMUM_GIFT:,.2f}."]
    elif amount != amount.quantize(CENT):
        problems["amount"] = ["Give the amount in dollars and cents."]
    if fund not in {offered.code for offered in giving_funds()}:
        problems["fund"] = ["Choose one of the funds offered."]
    email = text_check(email, field="email", max_length=254).lower()
    try:
        validate_email(email)
    except ValidationError:
        problems["email"] = ["Give an email address: the receipt is sent to it."]
    name = text_check(name, field="name", max_length=200)
    if not name:
        problems["name"] = ["Give your name, as the receipt should show it."]
    if problems:
        raise ServiceError("Please correct the gift: " + " ".join(p[0] for p in problems.values()),
                           fields=problems)  # fmt: skip
    charged = gross_covering_fees(amount) if cover_fees else amount
    return OnlineGift(
        amount=amount, charged=charged, cover_fees=cover_fees, fund=fund, email=email, name=name
    )


def giving_live(organization: Organization) -> bool:
    """Whether the giving page takes gifts: Stripe is configured and takes charges on the
    organization's connected account."""
    return bool(
        stripe_configured()
        and organization.stripe_account_id
        and organization.stripe_charges_enabled
    )


def online_checkout_create(
    *, organization: Organization, gift: OnlineGift, success_url: str, cancel_url: str
) -> str:
    """A Stripe Checkout session (payment mode) for `gift` on the organization's connected
    account; returns the page to send the donor to. The metadata carries what the webhook
    needs to record the gift: the fund, the donor's name and email, the amount chosen."""
    if not giving_live(organization):
        raise StateConflict(NOT_SET_UP)
    fund = next(fund for fund in giving_funds() if fund.code == gift.fund)
    metadata = {
        "ifm_organization_id": str(organization.pk),
        "fund": gift.fund,
        "donor_name": gift.name,
        "donor_email": gift.email,
        "amount_chosen": f"{gift.amount:.2f}",
        "cover_fees": "yes" if gift.cover_fees else "no",
    }
    description = f"Gift to {organization.name}" + (
        f" ({fund.name})" if fund.code != DEFAULT_FUND else ""
    )
    try:
        session = stripe_client().v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "submit_type": "donate",
                "customer_email": gift.email,
                "line_items": [
                    {
                        "price_data": {
                            "currency": organization.stripe_default_currency or "usd",
                            "unit_amount": int(gift.charged * 100),
                            "product_data": {"name": description[:250]},
                        },
                        "quantity": 1,
                    }
                ],
                "success_url": success_url,
                "cancel_url": cancel_url,
                "metadata": metadata,
                "payment_intent_data": {"description": description[:250], "metadata": metadata},
            },
            options={"stripe_account": organization.stripe_account_id},
        )
    except stripe.StripeError:
        raise ServiceError(
            "The card payment page could not be opened; nothing was charged. Please try again "
            "in a few minutes."
        ) from None
    if not session.url:
        raise ServiceError("The card payment page could not be opened; please try again.")
    return session.url


def giving_funds_set(*, fund_codes: Sequence[str], acting_user: User | None) -> list[str]:
    """Offer exactly these funds on the giving page besides the general fund (always offered);
    returns the codes now offered."""
    wanted = set(fund_codes) - {DEFAULT_FUND}
    funds = {fund.code: fund for fund in Fund.objects.filter(code__in=wanted, is_active=True)}
    unknown = sorted(wanted - set(funds))
    if unknown:
        raise ServiceError(
            f"Not an active fund: {', '.join(unknown)}.", fields={"funds": ["Not an active fund."]}
        )
    with transaction.atomic():
        current = set(GivingFund.objects.values_list("fund__code", flat=True))
        if current == wanted:
            return sorted(wanted)
        GivingFund.objects.exclude(fund__code__in=wanted).delete()
        GivingFund.objects.bulk_create(
            [GivingFund(fund=funds[code]) for code in sorted(wanted - current)]
        )
        audit_record(
            "giving.funds_set",
            acting_user=acting_user,
            funds=[sorted(current), sorted(wanted)],
        )
    return sorted(wanted)

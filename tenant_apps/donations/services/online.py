"""Online giving: what a donor asks for on the public giving pages (/give/ and a campaign's
/give/<slug>/), checked, and the Stripe Checkout session that takes it, as a direct charge on
the organization's connected account (the Stripe-Account header: the money, and its refunds,
are the nonprofit's): payment mode for a gift made once, subscription mode for a monthly gift.
No card or bank data ever reaches IFM: the donor types it on Stripe's page. The gift itself is
recorded when Stripe's webhook says it was paid, from what the session's metadata carries.

Covering the fee: the charge is computed for the way the donor chose to pay, so that after
Stripe's fee for that way the organization nets the amount chosen: a card 2.9% + 30 cents, a US
bank account (ACH Direct Debit) 0.8% capped at $5.00. The Checkout session offers only the way
chosen, so the fee Stripe takes is the one the charge was computed for.

Also the funds the organization offers on the page (the general fund always).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, cast

import stripe
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.inputs import text_check
from shared_apps.billing.stripe_api import stripe_client, stripe_configured
from tenant_apps.accounting.models import Fund
from tenant_apps.core.services import audit_record
from tenant_apps.donations.models import Campaign, GivingFund, TributeType
from tenant_apps.donations.services.posting import DEFAULT_FUND

if TYPE_CHECKING:
    from stripe.params.checkout import SessionCreateParams

    from shared_apps.tenants.models import Organization
    from shared_apps.users.models import User

# Stripe's standard card pricing in the US: 2.9% of the charge plus 30 cents; ACH Direct Debit
# (a US bank account): 0.8% of the charge, at most $5.00.
STRIPE_FEE_RATE = Decimal("0.029")
STRIPE_FEE_FIXED = Decimal("0.30")
ACH_FEE_RATE = Decimal("0.008")
ACH_FEE_CAP = Decimal("5.00")
CENT = Decimal("0.01")
# How a donor may pay, by Stripe's payment method type, in words.
CARD = "card"
BANK_ACCOUNT = "us_bank_account"
PAYMENT_METHODS = {CARD: "Card", BANK_ACCOUNT: "US bank account (ACH)"}
ONCE = "once"
MONTHLY = "monthly"
FREQUENCIES = {ONCE: "Once", MONTHLY: "Monthly"}
# Below this a card gift mostly pays the fee, and many tiny attempts are how stolen cards are
# tested; above the maximum a gift is a conversation, not a web form.
MINIMUM_GIFT = Decimal("5.00")
MAXIMUM_GIFT = Decimal("25000.00")
PRESET_AMOUNTS = (Decimal("25"), Decimal("50"), Decimal("100"), Decimal("250"))
NOT_SET_UP = "Online giving is not set up for this organization yet."


def stripe_fee(gross: Decimal, method: str = CARD) -> Decimal:
    """Stripe's fee on a charge of `gross` paid by `method`, rounded to the cent: a card 2.9%
    plus 30 cents, a US bank account 0.8% at most $5.00."""
    if method == BANK_ACCOUNT:
        return min((gross * ACH_FEE_RATE).quantize(CENT, rounding=ROUND_HALF_UP), ACH_FEE_CAP)
    return (gross * STRIPE_FEE_RATE + STRIPE_FEE_FIXED).quantize(CENT, rounding=ROUND_HALF_UP)


def gross_covering_fees(net: Decimal, method: str = CARD) -> Decimal:
    """The least charge after whose Stripe fee (for `method`) the organization nets at least
    `net`: from the formula g = (net + fixed) / (1 - rate) rounded up to the cent (for a bank
    account, net + $5.00 once the cap is reached), then a cent at a time to the least charge
    that still nets `net` (the fee is rounded to the cent, so the formula alone can be a cent
    off either way)."""
    if method == BANK_ACCOUNT:
        gross = min((net / (1 - ACH_FEE_RATE)).quantize(CENT, rounding=ROUND_CEILING),
                    net + ACH_FEE_CAP)  # fmt: skip
    else:
        gross = ((net + STRIPE_FEE_FIXED) / (1 - STRIPE_FEE_RATE)).quantize(
            CENT, rounding=ROUND_CEILING
        )
    while gross - stripe_fee(gross, method) < net:
        gross += CENT
    while gross - CENT - stripe_fee(gross - CENT, method) >= net:
        gross -= CENT
    return gross


@dataclass(frozen=True)
class Tribute:
    """A gift in honor or in memory of someone, and who to tell of it (name and email, or
    neither)."""

    kind: str = ""  # "" | "honor" | "memory"
    name: str = ""
    notify_name: str = ""
    notify_email: str = ""


NO_TRIBUTE = Tribute()


@dataclass(frozen=True)
class OnlineGift:
    """A gift as the donor asked for it: `amount` is what they chose to give, `charged` what
    they are charged each time (more when they cover the fee); the gift recorded is the
    charge."""

    amount: Decimal
    charged: Decimal
    cover_fees: bool
    fund: str
    email: str
    name: str
    frequency: str = ONCE
    payment_method: str = CARD
    campaign: str = ""  # the campaign's public slug
    tribute: Tribute = NO_TRIBUTE
    anonymous: bool = False
    email_opt_in: bool = False


def giving_funds() -> list[Fund]:
    """The funds a donor may choose, the general fund first, then those offered, active ones
    only."""
    offered = Fund.objects.filter(is_active=True, code=DEFAULT_FUND) | Fund.objects.filter(
        is_active=True, pk__in=GivingFund.objects.values("fund_id")
    )
    return sorted(offered, key=lambda fund: (fund.code != DEFAULT_FUND, fund.code))


def _amount_problems(amount: Decimal) -> list[str]:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        return ["Give an amount in dollars."]
    if amount > MAXIMUM_GIFT:
        return [
            f"Online gifts are at most ${MAXIMUM_GIFT:,.2f}; please contact us for a larger gift."
        ]
    if amount < MINIMUM_GIFT:
        return [f"The smallest gift online is ${MINIMUM_GIFT:,.2f}."]
    if amount != amount.quantize(CENT):
        return ["Give the amount in dollars and cents."]
    return []


def _email_valid(email: str) -> bool:
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


def _tribute_checked(tribute: Tribute, problems: dict[str, list[str]]) -> Tribute:
    """The tribute with its text trimmed; what is wrong with it goes into `problems`."""
    kind = tribute.kind if tribute.kind != TributeType.NONE else ""
    if kind not in ("", TributeType.HONOR, TributeType.MEMORY):
        problems["tribute_type"] = ["Choose in honor of, or in memory of."]
        return NO_TRIBUTE
    name = text_check(tribute.name, field="tribute_name", max_length=200)
    notify_name = text_check(tribute.notify_name, field="tribute_notify_name", max_length=200)
    notify_email = text_check(
        tribute.notify_email, field="tribute_notify_email", max_length=254
    ).lower()
    if not kind:
        return NO_TRIBUTE
    if not name:
        problems["tribute_name"] = ["Give the name of the person the gift honors."]
    if notify_email and not _email_valid(notify_email):
        problems["tribute_notify_email"] = ["Give an email address, or leave it empty."]
    elif notify_email and not notify_name:
        problems["tribute_notify_name"] = ["Give the name of the person to tell."]
    elif notify_name and not notify_email:
        problems["tribute_notify_email"] = ["Give their email address, so they can be told."]
    return Tribute(kind=kind, name=name, notify_name=notify_name, notify_email=notify_email)


def _fund_of(fund: str, campaign: Campaign | None, problems: dict[str, list[str]]) -> str:
    """The fund the gift goes to: the campaign's when it fixes one, else one offered."""
    if campaign is not None and campaign.giving_fund_id is not None:
        return campaign.giving_fund.code if campaign.giving_fund else fund
    if fund not in {offered.code for offered in giving_funds()}:
        problems["fund"] = ["Choose one of the funds offered."]
    return fund


def online_gift_check(
    *,
    amount: Decimal,
    cover_fees: bool,
    fund: str,
    email: str,
    name: str,
    frequency: str = ONCE,
    payment_method: str = CARD,
    campaign: Campaign | None = None,
    tribute: Tribute = NO_TRIBUTE,
    anonymous: bool = False,
    email_opt_in: bool = False,
) -> OnlineGift:
    """The gift asked for, or a ServiceError naming each field that is wrong."""
    problems: dict[str, list[str]] = {}
    if amount_problems := _amount_problems(amount):
        problems["amount"] = amount_problems
    if frequency not in FREQUENCIES:
        problems["frequency"] = ["Choose once or monthly."]
    if payment_method not in PAYMENT_METHODS:
        problems["payment_method"] = ["Choose a card or a US bank account."]
    fund = _fund_of(fund, campaign, problems)
    email = text_check(email, field="email", max_length=254).lower()
    if not _email_valid(email):
        problems["email"] = ["Give an email address: the receipt is sent to it."]
    name = text_check(name, field="name", max_length=200)
    if not name:
        problems["name"] = ["Give your name, as the receipt should show it."]
    tribute = _tribute_checked(tribute, problems)
    if problems:
        raise ServiceError("Please correct the gift: " + " ".join(p[0] for p in problems.values()),
                           fields=problems)  # fmt: skip
    charged = gross_covering_fees(amount, payment_method) if cover_fees else amount
    return OnlineGift(
        amount=amount,
        charged=charged,
        cover_fees=cover_fees,
        fund=fund,
        email=email,
        name=name,
        frequency=frequency,
        payment_method=payment_method,
        campaign=campaign.slug if campaign is not None else "",
        tribute=tribute,
        anonymous=anonymous,
        email_opt_in=email_opt_in,
    )


def giving_live(organization: Organization) -> bool:
    """Whether the giving page takes gifts: Stripe is configured and takes charges on the
    organization's connected account."""
    return bool(
        stripe_configured()
        and organization.stripe_account_id
        and organization.stripe_charges_enabled
    )


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def checkout_metadata(*, organization: Organization, gift: OnlineGift) -> dict[str, str]:
    """What the webhook needs to record the gift, as the session's (and its PaymentIntent's
    or subscription's) metadata: Stripe keeps strings only."""
    return {
        "ifm_organization_id": str(organization.pk),
        "fund": gift.fund,
        "donor_name": gift.name,
        "donor_email": gift.email,
        "amount_chosen": f"{gift.amount:.2f}",
        "cover_fees": _yes_no(gift.cover_fees),
        "frequency": gift.frequency,
        "campaign": gift.campaign,
        "tribute_type": gift.tribute.kind,
        "tribute_name": gift.tribute.name,
        "tribute_notify_name": gift.tribute.notify_name,
        "tribute_notify_email": gift.tribute.notify_email,
        "anonymous": _yes_no(gift.anonymous),
        "email_opt_in": _yes_no(gift.email_opt_in),
    }


def _checkout_params(
    *, organization: Organization, gift: OnlineGift, description: str
) -> dict[str, Any]:
    """Checkout's parameters: payment mode for a gift made once; subscription mode for a
    monthly gift (a price recurring every month, made inline), its metadata copied to the
    PaymentIntent or the subscription, where later events (a refund, each month's invoice)
    find it."""
    metadata = checkout_metadata(organization=organization, gift=gift)
    price_data: dict[str, Any] = {
        "currency": organization.stripe_default_currency or "usd",
        "unit_amount": int(gift.charged * 100),
        "product_data": {"name": description[:250]},
    }
    params: dict[str, Any] = {
        "customer_email": gift.email,
        "payment_method_types": [gift.payment_method],
        "metadata": metadata,
        "line_items": [{"price_data": price_data, "quantity": 1}],
    }
    if gift.frequency == MONTHLY:
        price_data["recurring"] = {"interval": "month", "interval_count": 1}
        return {
            **params,
            "mode": "subscription",
            "subscription_data": {"description": description[:250], "metadata": metadata},
        }
    return {
        **params,
        "mode": "payment",
        "submit_type": "donate",
        "payment_intent_data": {"description": description[:250], "metadata": metadata},
    }


def online_checkout_create(
    *, organization: Organization, gift: OnlineGift, success_url: str, cancel_url: str
) -> str:
    """A Stripe Checkout session for `gift` on the organization's connected account (payment
    mode once, subscription mode monthly); returns the page to send the donor to. The
    metadata carries what the webhook needs to record the gift (checkout_metadata)."""
    if not giving_live(organization):
        raise StateConflict(NOT_SET_UP)
    fund = Fund.objects.filter(code=gift.fund).first()
    description = ("Monthly gift" if gift.frequency == MONTHLY else "Gift") + (
        f" to {organization.name}"
    )
    if fund is not None and fund.code != DEFAULT_FUND:
        description += f" ({fund.name})"
    try:
        session = stripe_client().v1.checkout.sessions.create(
            # Built as a plain dict (its parts differ by mode); Stripe's TypedDict checks keys
            # the two modes do not share.
            params=cast(
                "SessionCreateParams",
                {
                    **_checkout_params(
                        organization=organization, gift=gift, description=description
                    ),
                    "success_url": success_url,
                    "cancel_url": cancel_url,
                },
            ),
            options={"stripe_account": organization.stripe_account_id},
        )
    except stripe.StripeError:
        raise ServiceError(
            "The payment page could not be opened; nothing was charged. Please try again "
            "in a few minutes."
        ) from None
    if not session.url:
        raise ServiceError("The payment page could not be opened; please try again.")
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

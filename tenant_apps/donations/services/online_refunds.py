"""Refunding an online gift: the donor gets the money back at Stripe before the books say so.

A gift given on /give/ (source online, its PaymentIntent as its reference) was charged on the
organization's connected account, so its refund is made there first, with the Stripe-Account
header and an idempotency key of the gift and the refund form it came from: a click sent
again, or repeated after the books failed to record it, gets back the refund Stripe already
made and never refunds twice. Only then is it recorded through services.gifts.gift_refund,
under Stripe's refund id, so that the Connect webhook's `charge.refunded` (which reports the
same refund) does not record it again. If Stripe refuses or does not answer, nothing changes.
Any other gift is refunded in the books only, as before.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import stripe
from django.db import transaction
from django.utils import timezone

from saas_platform.lib.errors import ServiceError, StateConflict
from shared_apps.billing.stripe_api import stripe_client
from shared_apps.tenants.models import Organization
from shared_apps.tenants.selectors import organization_stripe_account
from tenant_apps.donations.models import Gift, GiftSource
from tenant_apps.donations.services.checks import date_required
from tenant_apps.donations.services.gifts import gift_locked, gift_refund, gift_refund_check

if TYPE_CHECKING:
    from shared_apps.users.models import User

logger = logging.getLogger(__name__)

CENTS = Decimal("100")
# The refund form's own key (a random hex string made when the page is shown).
REFUND_KEY = re.compile(r"^[0-9a-f]{16,64}$")
DISCONNECTED = (
    "This gift was paid through Stripe, and the organization's Stripe account is no longer "
    "connected, so it cannot be refunded from here. Refund it in your Stripe dashboard, then "
    "record the refund here once the account is connected again."
)


def paid_at_stripe(gift: Gift) -> bool:
    """Whether the gift was charged through Stripe Checkout (its refund is made there)."""
    return gift.source == GiftSource.ONLINE and gift.payment_reference.startswith("pi_")


def refund_idempotency_key(gift: Gift, refund_key: str) -> str:
    return f"ifm-gift-{gift.pk}-refund-{refund_key}"


def gift_refund_anywhere(
    *,
    gift: Gift,
    organization: Organization,
    acting_user: User | None,
    refund_key: str,
    date: date | None = None,
    memo: str = "",
    amount: Decimal | None = None,
) -> Gift:
    """Refund the gift, whole or `amount` of it: at Stripe first for a gift paid there (see the
    module), then in the books. `refund_key` identifies the refund asked for (the form's key):
    the same key never makes a second refund at Stripe."""
    if not paid_at_stripe(gift):
        return gift_refund(gift=gift, acting_user=acting_user, date=date, memo=memo, amount=amount)
    if not REFUND_KEY.match(refund_key or ""):
        raise ServiceError("The refund form has expired; open the gift's page and try again.")
    account = organization_stripe_account(organization)
    if not account:
        raise StateConflict(DISCONNECTED)
    day = date_required(date, field="date") if date is not None else timezone.localdate()
    with transaction.atomic():
        # The gift stays locked while Stripe refunds it, so that the webhook reporting the
        # refund waits for this transaction and then finds it recorded.
        gift = gift_locked(gift)
        refund_amount = gift_refund_check(gift, day=day, amount=amount)
        refund_id = _stripe_refund(
            gift,
            account=account,
            cents=int(refund_amount * CENTS),
            key=refund_idempotency_key(gift, refund_key),
        )
        return gift_refund(
            gift=gift,
            acting_user=acting_user,
            date=day,
            memo=memo,
            amount=refund_amount,
            stripe_refund_id=refund_id,
        )


def _stripe_refund(gift: Gift, *, account: str, cents: int, key: str) -> str:
    """Stripe's refund of `cents` of the gift's PaymentIntent on the account; its id."""
    try:
        refund = stripe_client().v1.refunds.create(
            params={
                "payment_intent": gift.payment_reference,
                "amount": cents,
                "metadata": {"ifm_gift_id": str(gift.pk)},
            },
            options={"stripe_account": account, "idempotency_key": key},
        )
    except stripe.StripeError as error:
        logger.warning("Stripe refused the refund of gift %s: %s", gift.pk, error)
        said = getattr(error, "user_message", None) or ""
        raise ServiceError(
            "Stripe did not make the refund, so nothing was recorded."
            + (f" Stripe said: {said}" if said else " Try again in a few minutes.")
        ) from None
    if refund.status in ("failed", "canceled"):
        raise ServiceError(
            f"Stripe answered that the refund {refund.status}; nothing was recorded."
        )
    return str(refund.id)

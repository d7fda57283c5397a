"""Online gifts from Stripe Connect events, applied in the organization's schema.

`checkout.session.completed` with its payment made: the donor found by email (or created), the
gift created and posted (source online, method what Stripe says was used, card or ACH, payment
reference the PaymentIntent id, in the fund the session's metadata names), so Dr 1060 Stripe
clearing, Cr contributions; then Stripe's fee, read from the charge's balance transaction,
posted as an expense against the clearing account (8550 bank and merchant fees, general fund,
management and general). The receipt is issued and emailed after commit, as for every posted gift.

A checkout paid by a bank debit (ACH) completes unpaid and records nothing; its
`checkout.session.async_payment_succeeded` records the gift as above, and
`checkout.session.async_payment_failed` is stored and records nothing.

`charge.refunded` (a refund made in Stripe's dashboard, or reported after one made from the
gift's page): each refund of the PaymentIntent not yet on its gift, by Stripe's refund id, is
recorded through gift_refund.

Each event is applied once: under a lock on the stored event, in one transaction with the gift
(its outcome is written with it), and a PaymentIntent already recorded as a gift is never
recorded again, whatever event brings it.
"""

from __future__ import annotations

import logging
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import stripe
from django.db import transaction
from django.utils import timezone

from saas_platform.lib.errors import ServiceError
from shared_apps.billing.models import ConnectEvent, StripeEventOutcome
from shared_apps.billing.services.connect_events import (
    connect_event_failure_record,
    connect_event_locked,
    connect_event_outcome_record,
)
from shared_apps.billing.stripe_api import stripe_client
from shared_apps.tenants.tasks import organization_of_task
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import Fund
from tenant_apps.donations.models import Gift, GiftMethod, GiftRefund, GiftSource, GiftState
from tenant_apps.donations.services.allocations import AllocationSpec
from tenant_apps.donations.services.gifts import gift_create, gift_locked, gift_post, gift_refund
from tenant_apps.donations.services.posting import DEFAULT_FUND, STRIPE_CLEARING_ACCOUNT
from tenant_apps.donors.models import Donor, DonorEmail
from tenant_apps.donors.services import DonorNames, EmailSpec, donor_create

logger = logging.getLogger(__name__)

CENTS = Decimal("100")
PROCESSING_FEES_ACCOUNT = "8550"


@dataclass(frozen=True)
class Outcome:
    outcome: str
    detail: str


def _ignored(detail: str) -> Outcome:
    return Outcome(StripeEventOutcome.IGNORED, detail)


def connect_event_apply(*, event_id: int) -> str:
    """Apply a stored Connect event in the current (the organization's) schema and record what
    came of it; returns the outcome. A failure rolls the gift's rows back and is recorded on
    the event: a transient one (Stripe not answering, anything unforeseen) for a later retry, a
    services' refusal (a plan's limit, a closed month) as needing attention, not retried."""
    with transaction.atomic():
        event = connect_event_locked(event_id)
        if event.outcome in (StripeEventOutcome.PROCESSED, StripeEventOutcome.IGNORED):
            return event.outcome  # applied by an earlier delivery of the task
        if event.organization_id is None:
            return event.outcome
        organization_of_task(event.organization_id, what=f"Connect event {event.stripe_id}")
        try:
            with transaction.atomic():
                result = _apply(event)
        except ServiceError as error:
            # A refusal of the services (a plan's limit, a closed month, a currency the books
            # are not kept in) stays until someone acts; Stripe not answering passes.
            permanent = not isinstance(error, StripeUnavailable)
            logger.warning("Connect event %s could not be applied: %s", event.stripe_id, error)
            return connect_event_failure_record(
                event=event, detail=error.message, permanent=permanent
            )
        except Exception as error:
            logger.exception("Connect event %s could not be applied", event.stripe_id)
            return connect_event_failure_record(
                event=event, detail=f"{type(error).__name__}: {error}", permanent=False
            )
        connect_event_outcome_record(event=event, outcome=result.outcome, detail=result.detail)
    return result.outcome


class StripeUnavailable(ServiceError):
    """Stripe did not answer (or not yet with what is needed): worth trying again later."""


# The events that record a paid checkout as a gift: completed when the payment is made at once
# (a card), async_payment_succeeded when it clears later (a bank debit). Whichever comes first
# records it; the other finds the PaymentIntent recorded.
GIFT_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")


def _apply(event: ConnectEvent) -> Outcome:
    if event.type == "charge.refunded":
        return _refunds_record(event)
    if event.type == "checkout.session.async_payment_failed":
        return _ignored("The payment (a bank debit) failed: no gift is recorded.")
    if event.type not in GIFT_EVENTS:
        return _ignored("Not an event online giving acts on yet.")
    session = event.payload["data"]["object"]
    if session.get("mode") != "payment":
        return _ignored("A checkout that is not a one-time gift.")
    if session.get("payment_status") != "paid":
        # A bank debit (ACH) takes days: async_payment_succeeded brings the gift then.
        return _ignored("The checkout is complete but not paid yet.")
    payment_intent = session.get("payment_intent")
    if not isinstance(payment_intent, str) or not payment_intent:
        raise ServiceError("The checkout names no PaymentIntent.")
    existing = Gift.objects.filter(payment_reference=payment_intent).first()
    if existing is not None:
        return Outcome(
            StripeEventOutcome.PROCESSED, f"Already recorded as gift {existing.pk}: nothing to do."
        )
    method, fee = _stripe_payment(account=event.account_id, payment_intent=payment_intent)
    gift = _gift_record(event, session, payment_intent, method=method)
    if fee > 0:
        accounting.post_fee(
            date=gift.received_on,
            amount=fee,
            acting_user=None,
            fund=DEFAULT_FUND,
            expense_account=PROCESSING_FEES_ACCOUNT,
            credit_account=STRIPE_CLEARING_ACCOUNT,
            memo=f"Stripe fee on gift {gift.pk}",
            source_reference=f"gift:{gift.pk}",
        )
    return Outcome(
        StripeEventOutcome.PROCESSED,
        f"Gift {gift.pk} of {gift.amount:.2f} recorded and posted; Stripe fee {fee:.2f}.",
    )


def _gift_record(
    event: ConnectEvent, session: dict[str, Any], payment_intent: str, *, method: GiftMethod
) -> Gift:
    metadata: dict[str, Any] = session.get("metadata") or {}
    details: dict[str, Any] = session.get("customer_details") or {}
    if not isinstance(metadata, dict) or not isinstance(details, dict):
        raise ServiceError("The checkout's metadata or customer details are not objects.")
    email = str(metadata.get("donor_email") or details.get("email") or "").strip().lower()
    name = str(metadata.get("donor_name") or details.get("name") or "").strip()
    amount = Decimal(int(session["amount_total"])) / CENTS
    currency = str(session.get("currency") or "").upper()
    books_currency = accounting.accounting_settings().currency
    if currency != books_currency:
        raise ServiceError(f"A gift in {currency}; the books are kept in {books_currency}.")
    fund = str(metadata.get("fund") or DEFAULT_FUND)
    if not Fund.objects.filter(code=fund, is_active=True).exists():
        fund = DEFAULT_FUND  # the fund was closed since: the gift goes to the general fund
    donor = _donor_found_or_created(email=email, name=name)
    organization_zone = zoneinfo.ZoneInfo(
        event.organization.time_zone if event.organization else "UTC"
    )
    gift = gift_create(
        donor=donor,
        amount=amount,
        received_on=timezone.localtime(event.created, organization_zone).date(),
        method=method,
        source=GiftSource.ONLINE,
        payment_reference=payment_intent,
        allocations=[AllocationSpec(fund=fund, amount=amount)],
        acting_user=None,
    )
    return gift_post(gift=gift, acting_user=None)


def _donor_found_or_created(*, email: str, name: str) -> Donor:
    """The donor with this email (the earliest, if several share it; never one merged into
    another), or a new individual donor with the name split at its last space."""
    if email:
        found = (
            DonorEmail.objects.filter(email=email, donor__merged_into__isnull=True)
            .select_related("donor")
            .order_by("donor_id")
            .first()
        )
        if found is not None:
            return found.donor
    first, _, last = name.rpartition(" ")
    if not first:
        first, last = "", name or email or "Online donor"
    return donor_create(
        names=DonorNames(kind="individual", first_name=first[:100], last_name=last[:100]),
        emails=[EmailSpec(email=email, is_primary=True)] if email else [],
        acting_user=None,
    )


# Stripe's payment method types and the gift methods they are recorded as.
METHOD_OF_STRIPE_TYPE = {"card": GiftMethod.CARD, "us_bank_account": GiftMethod.ACH}


def _stripe_payment(*, account: str, payment_intent: str) -> tuple[GiftMethod, Decimal]:
    """How the donor paid and Stripe's fee on the payment, read on the account: the method from
    the charge's payment_method_details.type (or the PaymentIntent's payment_method_types when
    it allows one only), the fee from the charge's balance transaction. A method not card or
    bank debit is refused: the gift could not be put in the books truthfully."""
    try:
        found = stripe_client().v1.payment_intents.retrieve(
            payment_intent,
            params={"expand": ["latest_charge.balance_transaction"]},
            options={"stripe_account": account},
        )
    except stripe.StripeError as error:
        raise StripeUnavailable(f"Stripe did not answer for {payment_intent}: {error}") from None
    values = found.to_dict()
    charge = values.get("latest_charge")
    balance = charge.get("balance_transaction") if isinstance(charge, dict) else None
    if not isinstance(balance, dict):
        raise StripeUnavailable(f"{payment_intent} has no balance transaction yet.")
    details = charge.get("payment_method_details") if isinstance(charge, dict) else None
    kind = details.get("type") if isinstance(details, dict) else None
    if not kind:
        types = values.get("payment_method_types") or []
        kind = types[0] if isinstance(types, list) and len(types) == 1 else None
    method = METHOD_OF_STRIPE_TYPE.get(str(kind))
    if method is None:
        raise ServiceError(
            f"{payment_intent} was paid by {kind or 'a method Stripe did not name'}; online "
            "gifts are recorded as card or ACH only."
        )
    return method, Decimal(int(balance.get("fee") or 0)) / CENTS


REFUNDS_THAT_COUNT = ("succeeded", "pending")


def _refunds_record(event: ConnectEvent) -> Outcome:
    """`charge.refunded`: each refund of the charge's PaymentIntent not yet on its gift (by
    Stripe's refund id) is recorded through gift_refund, dated the day Stripe made it. The gift
    is locked first, so that a refund being made from the gift's page is recorded there, once.
    The event does not carry the refunds (API versions since 2022-11-15): they are read from
    Stripe. A charge no gift has is stored and left alone."""
    charge = event.payload["data"]["object"]
    payment_intent = charge.get("payment_intent") if isinstance(charge, dict) else None
    if not isinstance(payment_intent, str) or not payment_intent:
        return _ignored("A charge without a PaymentIntent: not an online gift.")
    found = Gift.objects.filter(payment_reference=payment_intent).first()
    if found is None:
        return _ignored(f"No gift has the payment {payment_intent}: nothing to refund here.")
    gift = gift_locked(found)
    zone = zoneinfo.ZoneInfo(event.organization.time_zone if event.organization else "UTC")
    recorded: list[str] = []
    for refund in _stripe_refunds(account=event.account_id, payment_intent=payment_intent):
        refund_id = str(refund.get("id") or "")
        if refund.get("status") not in REFUNDS_THAT_COUNT or not refund_id:
            continue
        if GiftRefund.objects.filter(stripe_refund_id=refund_id).exists():
            continue
        if gift.state != GiftState.POSTED:
            return Outcome(
                StripeEventOutcome.IGNORED,
                f"Gift {gift.pk} is {gift.get_state_display().lower()} in the books; Stripe's "
                f"refund {refund_id} is not recorded on it.",
            )
        made = datetime.fromtimestamp(int(refund.get("created") or 0), tz=UTC)
        gift = gift_refund(
            gift=gift,
            acting_user=None,
            date=max(timezone.localtime(made, zone).date(), gift.received_on),
            memo=f"Refunded at Stripe ({refund_id})",
            amount=Decimal(int(refund["amount"])) / CENTS,
            stripe_refund_id=refund_id,
        )
        recorded.append(f"{refund_id} of {Decimal(int(refund['amount'])) / CENTS:.2f}")
    if not recorded:
        return Outcome(
            StripeEventOutcome.PROCESSED,
            f"Every refund of gift {gift.pk} is already recorded: nothing to do.",
        )
    return Outcome(
        StripeEventOutcome.PROCESSED,
        f"Refunds recorded on gift {gift.pk}: {', '.join(recorded)}.",
    )


def _stripe_refunds(*, account: str, payment_intent: str) -> list[dict[str, Any]]:
    """The PaymentIntent's refunds on the account, oldest first."""
    try:
        listed = stripe_client().v1.refunds.list(
            params={"payment_intent": payment_intent, "limit": 100},
            options={"stripe_account": account},
        )
    except stripe.StripeError as error:
        raise StripeUnavailable(
            f"Stripe did not answer for {payment_intent}'s refunds: {error}"
        ) from None
    refunds = [refund.to_dict() for refund in listed.data]
    return sorted(refunds, key=lambda refund: (int(refund.get("created") or 0), refund["id"]))

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

Monthly gifts (a Checkout in subscription mode) and card disputes: see the sections at the
end, services.online_subscriptions and services.online_disputes.
`payout.paid` and `payout.failed`: the payout's deposit, from Stripe clearing to the bank, or
its reversal (services.online_payouts).

Each event is applied once: under a lock on the stored event, in one transaction with the gift
(its outcome is written with it), and a PaymentIntent already recorded as a gift is never
recorded again, whatever event brings it.
"""

from __future__ import annotations

import json
import logging
import zoneinfo
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import stripe
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from saas_platform.lib.connection import connection
from saas_platform.lib.errors import ServiceError
from saas_platform.lib.plain_reads import plain_values
from shared_apps.billing.models import ConnectEvent, StripeEventOutcome
from shared_apps.billing.services.connect_events import (
    connect_event_failure_record,
    connect_event_locked,
    connect_event_outcome_record,
)
from shared_apps.billing.stripe_api import stripe_get
from shared_apps.tenants.tasks import organization_of_task
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import Fund
from tenant_apps.donations.models import (
    Campaign,
    Deposit,
    Gift,
    GiftMethod,
    GiftRefund,
    GiftSource,
    GiftState,
    RecurringGift,
    TributeType,
)
from tenant_apps.donations.services.allocations import AllocationSpec
from tenant_apps.donations.services.gifts import (
    gift_create,
    gift_of_payment_locked,
    gift_post,
    gift_refund,
)
from tenant_apps.donations.services.online import NO_TRIBUTE, Tribute
from tenant_apps.donations.services.online_disputes import gift_dispute_apply
from tenant_apps.donations.services.online_payouts import (
    PAYOUT_EVENTS,
    PayoutStripeUnavailable,
    clearing_lock,
    payout_event_apply,
    payout_funds_of_late_gift,
    stripe_payout_transactions,
)
from tenant_apps.donations.services.online_subscriptions import (
    SubscriptionFacts,
    recurring_for_subscription_create,
    recurring_from_stripe_update,
    recurring_installment_seen,
    recurring_of_subscription,
    subscription_lock,
)
from tenant_apps.donations.services.posting import DEFAULT_FUND, STRIPE_CLEARING_ACCOUNT
from tenant_apps.donations.services.stripe_reads import (
    stripe_answer_keep,
    stripe_read,
    stripe_reads_kept,
)
from tenant_apps.donors.models import Donor, DonorEmail
from tenant_apps.donors.selectors import (
    DuplicateCandidate,
    DuplicateReason,
    DuplicateSuggestion,
    donor_duplicates_suggest,
)
from tenant_apps.donors.services import (
    AddressSpec,
    DonorNames,
    EmailSpec,
    donor_create,
    donor_update,
)

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
    services' refusal (a plan's limit, a closed month) as needing attention, not retried.
    What the event needs from Stripe is read first, before any row is locked (stripe_reads)."""
    with stripe_reads_kept():
        stripe_read_ahead(event_id)
        return connect_event_locked_apply(event_id)


def connect_event_locked_apply(event_id: int) -> str:
    """Apply the event under a lock on its stored row (what Stripe says read ahead, or read
    now) and record its outcome in the same transaction; an event applied already is left."""
    with transaction.atomic():
        event = connect_event_locked(event_id)
        if event.outcome in (StripeEventOutcome.PROCESSED, StripeEventOutcome.IGNORED):
            return event.outcome  # applied by an earlier delivery of the task
        if event.organization_id is None:
            return event.outcome
        # The task runs in its organization's schema or stops, with the organization's time
        # zone active while the event is applied.
        with organization_of_task(
            event.organization_id, what=f"Connect event {event.stripe_id}"
        ) as organization:
            event.organization = organization  # read once, for the time zone and the schema
            return connect_event_taken_apply(event)


def connect_event_taken_apply(event: ConnectEvent) -> str:
    """Apply a waiting event the caller holds locked (connect_event_locked_apply, or a drain
    that took it), in its organization's schema with `event.organization` read, and record
    its outcome; returns the outcome. A failure rolls the event's rows back (a savepoint) and
    is recorded on the event."""
    try:
        with transaction.atomic():
            result = _apply(event)
    except ServiceError as error:
        # A refusal of the services (a plan's limit, a closed month, a currency the books are
        # not kept in) stays until someone acts; Stripe not answering passes.
        permanent = not isinstance(error, StripeUnavailable)
        logger.warning("Connect event %s could not be applied: %s", event.stripe_id, error)
        return connect_event_failure_record(event=event, detail=error.message, permanent=permanent)
    except Exception as error:
        logger.exception("Connect event %s could not be applied", event.stripe_id)
        return connect_event_failure_record(
            event=event, detail=f"{type(error).__name__}: {error}", permanent=False
        )
    connect_event_outcome_record(event=event, outcome=result.outcome, detail=result.detail)
    return result.outcome


def stripe_read_ahead(event_id: int) -> None:
    """Read from Stripe, with no transaction open, what applying the event will ask for (kept
    by stripe_reads_kept): a gift's PaymentIntent and fee, a charge's refunds, an invoice's
    subscription and payment, a payout's transactions. Nothing is read for an event already
    applied, for a gift already recorded (or a refund of none), or outside the event's
    organization's schema; a read that fails here is tried again, and reported, when the event
    is applied."""
    event = ConnectEvent.objects.select_related("organization").filter(pk=event_id).first()
    if (
        event is None
        or event.organization is None
        or event.organization.schema_name != connection.schema_name
        or event.outcome in (StripeEventOutcome.PROCESSED, StripeEventOutcome.IGNORED)
    ):
        return
    stripe_event_read_ahead(event)


def stripe_event_read_ahead(event: ConnectEvent) -> None:
    """stripe_read_ahead for an event the caller read waiting, in its organization's schema
    (a drain's events)."""
    found = event.payload.get("data", {}).get("object") if isinstance(event.payload, dict) else None
    if not isinstance(found, dict):
        return
    account = event.account_id
    try:
        if event.type in GIFT_EVENTS and found.get("mode") == "payment":
            payment_intent = found.get("payment_intent")
            if (
                found.get("payment_status") == "paid"
                and isinstance(payment_intent, str)
                and payment_intent
                and not Gift.objects.filter(payment_reference=payment_intent).exists()
            ):
                stripe_payment(account=account, payment_intent=payment_intent)
        elif event.type == "charge.refunded":
            payment_intent = found.get("payment_intent")
            if (
                isinstance(payment_intent, str)
                and payment_intent
                and Gift.objects.filter(payment_reference=payment_intent).exists()
            ):
                stripe_refunds(account=account, payment_intent=payment_intent)
        elif event.type == "invoice.paid" and found.get("id"):
            subscription_id = subscription_of_invoice(found)
            if (
                subscription_id
                and int(found.get("amount_paid") or 0) > 0
                and not Gift.objects.filter(stripe_invoice_id=str(found["id"])).exists()
                and GIVING_PAGES_KEY in _subscription_metadata(event, found, subscription_id)
            ):
                payment_intent = invoice_payment_intent(event, found)
                stripe_payment(account=account, payment_intent=payment_intent)
        elif (
            event.type == "payout.paid"
            and isinstance(found.get("id"), str)
            and not Deposit.objects.filter(stripe_payout_id=found["id"]).exists()
        ):
            stripe_payout_transactions(account=account, payout_id=found["id"])
    except (ServiceError, KeyError, TypeError, ValueError):
        return  # applying the event reads again and says what is wrong


class StripeUnavailable(ServiceError):
    """Stripe did not answer (or not yet with what is needed): worth trying again later."""


# The events that record a paid checkout as a gift: completed when the payment is made at once
# (a card), async_payment_succeeded when it clears later (a bank debit). Whichever comes first
# records it; the other finds the PaymentIntent recorded.
GIFT_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")


def _apply(event: ConnectEvent) -> Outcome:
    if event.type == "charge.refunded":
        return _refunds_record(event)
    if event.type in DISPUTE_EVENTS:
        return _dispute_record(event)
    if event.type == "invoice.paid":
        return _installment_record(event)
    if event.type in SUBSCRIPTION_EVENTS:
        return _subscription_changed(event)
    if event.type == "checkout.session.completed" and _is_subscription(event):
        return _monthly_gift_start(event)
    if event.type in PAYOUT_EVENTS:
        return _payout_record(event)
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
    method, fee = stripe_payment(account=event.account_id, payment_intent=payment_intent)
    gift = _gift_record(event, session, payment_intent, method=method, fee=fee)
    return Outcome(
        StripeEventOutcome.PROCESSED,
        f"Gift {gift.pk} of {gift.amount:.2f} recorded and posted; Stripe fee {fee:.2f}."
        + payout_funds_of_late_gift(gift)
        + _events_that_came_first(event, payment_intent),
    )


# Events about a payment that may arrive before the gift of the payment is recorded (Stripe
# does not promise an order, and retries a failed delivery for days): stored and left alone
# then, applied with the gift.
DISPUTE_EVENTS = ("charge.dispute.created", "charge.dispute.closed")
EVENTS_AFTER_A_GIFT = ("charge.refunded", *DISPUTE_EVENTS)


def events_that_came_first(
    *, account_id: str, organization_id: int, payment_intents: Collection[str]
) -> QuerySet[ConnectEvent]:
    """The refunds and disputes of these payments of the organization's account left alone
    because they arrived before their gift (unordered), read through the connectevent_came_first
    index: its columns are this query's, so a change to one is a change to the other."""
    return ConnectEvent.objects.filter(
        organization_id=organization_id,
        payload__data__object__payment_intent__in=list(payment_intents),
        outcome=StripeEventOutcome.IGNORED,
        account_id=account_id,
        type__in=EVENTS_AFTER_A_GIFT,
    ).order_by()


def payments_with_events_that_came_first(
    *, account_id: str, organization_id: int, payment_intents: Collection[str]
) -> set[str]:
    """Those of these payments that events_that_came_first finds an event of, in one plain
    statement with its conditions (a batch of gifts asks on every batch; building the ORM's
    query cost more than running it). Read through the same index."""
    return {
        payment_intent
        for (payment_intent,) in plain_values(
            "SELECT DISTINCT payload #>> '{{data,object,payment_intent}}' FROM {event} "
            "WHERE organization_id = %s "
            "AND payload #> '{{data,object,payment_intent}}' = ANY(%s::jsonb[]) "
            "AND outcome = %s AND account_id = %s AND type = ANY(%s)",
            [
                organization_id,
                [json.dumps(payment_intent) for payment_intent in payment_intents],
                StripeEventOutcome.IGNORED.value,
                account_id,
                list(EVENTS_AFTER_A_GIFT),
            ],
            event=ConnectEvent,
        )
    }


def _events_that_came_first(event: ConnectEvent, payment_intent: str) -> str:
    """A refund (`charge.refunded`) or dispute (`charge.dispute.*`) of this payment that arrived
    before the gift's own event was stored and left alone (no gift had the payment yet): now
    that the gift is recorded, each is applied in Stripe's order, in the same transaction, so
    the refund or dispute is in the books whatever the order. Words to add to the gift event's
    outcome ("" when there was none)."""
    if event.organization_id is None:
        return ""
    waiting = events_that_came_first(
        account_id=event.account_id,
        organization_id=event.organization_id,
        payment_intents=[payment_intent],
    ).order_by("created", "pk")
    applied = []
    for earlier in waiting.select_for_update():
        outcome = (
            _refunds_record(earlier)
            if earlier.type == "charge.refunded"
            else _dispute_record(earlier)
        )
        ConnectEvent.objects.filter(pk=earlier.pk).update(
            outcome=outcome.outcome, outcome_detail=outcome.detail
        )
        applied.append(earlier.stripe_id)
    return f" Events that came first, applied: {', '.join(applied)}." if applied else ""


def stripe_fee_entries(gift: Gift, fee: Decimal) -> list[accounting.EntrySpec]:
    """Stripe's fee on the gift's payment: an expense taken out of Stripe clearing, posted with
    the gift (gift_post's entries_after)."""
    if fee <= 0:
        return []
    return [
        accounting.fee_entry(
            date=gift.received_on,
            amount=fee,
            fund=DEFAULT_FUND,
            expense_account=PROCESSING_FEES_ACCOUNT,
            credit_account=STRIPE_CLEARING_ACCOUNT,
            memo=f"Stripe fee on gift {gift.pk}",
            source_reference=f"gift:{gift.pk}",
        )
    ]


def _gift_record(
    event: ConnectEvent,
    session: dict[str, Any],
    payment_intent: str,
    *,
    method: GiftMethod,
    fee: Decimal,
    donor: Donor | None = None,
    recurring_gift: RecurringGift | None = None,
    stripe_invoice_id: str = "",
) -> Gift:
    """The posted gift of a payment: from a one-time checkout (`session`), or an installment of
    a monthly gift (`session` then holds the subscription's metadata, the invoice's customer and
    amount; `donor`, `recurring_gift` and `stripe_invoice_id` name whose and which), posted with
    Stripe's `fee` on it."""
    # Before anything is posted: a payout applied at the same time sees this gift, or this
    # gift sees the payout (online_payouts.payout_funds_of_late_gift).
    clearing_lock()
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
    opted_in = metadata.get("email_opt_in") == "yes"
    if donor is None:
        donor = _donor_found_or_created(
            email=email, name=name, address=details.get("address"), email_opt_in=opted_in
        )
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
        campaign=_campaign_of(metadata),
        **gift_details_of(metadata, amount=amount),
        acting_user=None,
        recurring_gift=recurring_gift,
        stripe_invoice_id=stripe_invoice_id,
    )
    return gift_post(
        gift=gift, acting_user=None, entries_after=lambda posted: stripe_fee_entries(posted, fee)
    )


def _campaign_of(metadata: dict[str, Any]) -> Campaign | None:
    """The campaign whose page the gift was made on, by its public slug; none when the page has
    moved since (the gift still counts, to no campaign rather than a wrong one)."""
    slug = str(metadata.get("campaign") or "")
    return Campaign.objects.filter(slug=slug).first() if slug else None


def tribute_of(metadata: dict[str, Any]) -> Tribute:
    """The gift's tribute from the metadata; a tribute without the honored person's name (the
    page refuses one) is left out rather than failing the gift."""
    kind = str(metadata.get("tribute_type") or "")
    name = str(metadata.get("tribute_name") or "").strip()[:200]
    if kind not in (TributeType.HONOR, TributeType.MEMORY) or not name:
        return NO_TRIBUTE
    return Tribute(
        kind=kind,
        name=name,
        notify_name=str(metadata.get("tribute_notify_name") or "").strip()[:200],
        notify_email=str(metadata.get("tribute_notify_email") or "").strip().lower()[:254],
    )


def fee_covered_note(metadata: dict[str, Any], *, amount: Decimal) -> str:
    """Words for the gift's designation when the donor added Stripe's fee to it: the receipt is
    for the whole charge (a gift), and staff see what the donor chose before the fee."""
    if metadata.get("cover_fees") != "yes":
        return ""
    try:
        chosen = Decimal(str(metadata.get("amount_chosen") or ""))
    except ArithmeticError:
        return ""
    if not chosen.is_finite() or not 0 < chosen < amount:
        return ""
    return f"Gift of ${chosen:,.2f} with ${amount - chosen:,.2f} added to cover the fee"


def gift_details_of(metadata: dict[str, Any], *, amount: Decimal) -> dict[str, Any]:
    """What the giving page's metadata says of a gift beyond its amount and fund: the note of a
    fee covered, the tribute and the person to tell, anonymity (gift_create's and GiftSpec's
    fields)."""
    tribute = tribute_of(metadata)
    return {
        "designation": fee_covered_note(metadata, amount=amount),
        "tribute_type": tribute.kind or TributeType.NONE,
        "tribute_name": tribute.name,
        "notify_name": tribute.notify_name,
        "notify_email": tribute.notify_email,
        "anonymous": metadata.get("anonymous") == "yes",
    }


def _opted_in(donor: Donor, *, email_opt_in: bool) -> Donor:
    """A known donor who ticked the page's news opt-in is opted in; one who did not is left
    as recorded."""
    if email_opt_in and not donor.email_news_ok:
        return donor_update(donor=donor, acting_user=None, email_news_ok=True)
    return donor


def _donor_found_or_created(
    *, email: str, name: str, address: Any = None, email_opt_in: bool = False
) -> Donor:
    """The donor a payment online is from. By email first: the donor with it (the earliest, if
    several share it; never one merged into another). Then by name and postcode (the billing
    address Checkout collected), by the donors desk's duplicate rules (donor_duplicates_suggest):
    the one donor at that postcode whose name is this name (ignoring case) is this donor.
    Anything less certain (several such donors, a name only similar) makes a new donor with the
    billing address, whose page then lists the others under "Possible duplicates" for a person
    to compare and merge; without a street to keep, a note on the new donor names them.

    The donor's news preference (email_news_ok) follows the page's opt-in: a new donor gets the
    organization's news by email only when they ticked it; a known donor who ticked it is opted
    in, and one who did not keeps the preference recorded (leaving a box unticked is not asking
    to stop). Receipts are sent whatever it says: email_ok, which allows them, is untouched."""
    if email:
        found = (
            DonorEmail.objects.filter(email=email, donor__merged_into__isnull=True)
            .select_related("donor")
            .order_by("donor_id")
            .first()
        )
        if found is not None:
            return _opted_in(found.donor, email_opt_in=email_opt_in)
    first, _, last = name.rpartition(" ")
    if not first:
        first, last = "", name or email or "Online donor"
    names = DonorNames(kind="individual", first_name=first[:100], last_name=last[:100])
    billing = address if isinstance(address, dict) else {}
    postcode = str(billing.get("postal_code") or "").strip()
    alike: list[DuplicateSuggestion] = []
    if name and postcode:
        alike = [
            suggestion
            for suggestion in donor_duplicates_suggest(
                candidate=DuplicateCandidate(names=names, postcodes=[postcode])
            )
            if DuplicateReason.NAME_AND_POSTCODE in suggestion.reasons
        ]
        same = [
            suggestion.donor
            for suggestion in alike
            if " ".join(suggestion.donor.display_name.split()).casefold()
            == " ".join(name.split()).casefold()
        ]
        if len(alike) == 1 and len(same) == 1:
            return _opted_in(same[0], email_opt_in=email_opt_in)
    street = str(billing.get("line1") or "").strip()
    addresses = (
        [
            AddressSpec(
                line1=street[:200],
                line2=str(billing.get("line2") or "")[:200],
                city=str(billing.get("city") or "")[:100],
                region=str(billing.get("state") or "")[:100],
                postcode=postcode[:20],
                country=str(billing.get("country") or "US")[:2],
            )
        ]
        if street
        else []
    )
    notes = ""
    if alike and not addresses:
        notes = (
            "Given online; may be the same donor as "
            + ", ".join(
                f"{suggestion.donor.display_name} (donor {suggestion.donor.pk})"
                for suggestion in alike
            )
            + f": same name and postcode {postcode}."
        )
    return donor_create(
        names=names,
        emails=[EmailSpec(email=email, is_primary=True)] if email else [],
        addresses=addresses,
        notes=notes,
        email_news_ok=email_opt_in,
        acting_user=None,
    )


# Stripe's payment method types and the gift methods they are recorded as.
METHOD_OF_STRIPE_TYPE = {"card": GiftMethod.CARD, "us_bank_account": GiftMethod.ACH}


def _payment_key(account: str, payment_intent: str) -> tuple[str, ...]:
    """Where a PaymentIntent read with its charge and balance transaction is kept
    (stripe_reads), by stripe_payment's own read or a list read ahead."""
    return ("payment_intent", account, payment_intent)


def stripe_payment(*, account: str, payment_intent: str) -> tuple[GiftMethod, Decimal]:
    """How the donor paid and Stripe's fee on the payment, read on the account: the method from
    the charge's payment_method_details.type (or the PaymentIntent's payment_method_types when
    it allows one only), the fee from the charge's balance transaction. A method not card or
    bank debit is refused: the gift could not be put in the books truthfully."""

    def read() -> dict[str, Any]:
        try:
            return stripe_get(
                f"/v1/payment_intents/{payment_intent}",
                account=account,
                expand=["latest_charge.balance_transaction"],
            )
        except stripe.StripeError as error:
            raise StripeUnavailable(
                f"Stripe did not answer for {payment_intent}: {error}"
            ) from None

    values = stripe_read(_payment_key(account, payment_intent), read)
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


# A drain reads the payments of an account's gifts from one list of the account's charges, a
# page of up to CHARGES_A_PAGE at a time and CHARGE_PAGES pages at most, rather than one read
# a gift.
CHARGES_A_PAGE = 100
CHARGE_PAGES = 3


def stripe_payments_read_ahead(
    *, account: str, payment_intents: Collection[str], since: int, until: int
) -> set[str]:
    """Read ahead, for stripe_payment, the payments of `payment_intents` on the account from one
    list of its charges made between `since` and `until` (Unix times), newest first, their
    balance transactions expanded: each succeeded charge of one of them is kept as
    stripe_payment's own read of its PaymentIntent would keep it. Returns the PaymentIntents
    kept. One not found (charged outside the times or beyond the pages, not succeeded yet,
    charged twice, its method or balance transaction not given) and all of them when Stripe
    does not answer the list are left to stripe_payment's own read."""
    wanted = set(payment_intents)
    found: dict[str, dict[str, Any]] = {}
    twice: set[str] = set()
    after = ""
    for _ in range(CHARGE_PAGES):
        # About as many as wanted: other payments made meanwhile come between them.
        params: dict[str, Any] = {
            "created": {"gte": since, "lte": until},
            "limit": min(CHARGES_A_PAGE, 2 * len(wanted) + 10),
            "expand": ["data.balance_transaction"],
        }
        if after:
            params["starting_after"] = after
        try:
            page = stripe_get("/v1/charges", account=account, **params)
        except stripe.StripeError as error:
            logger.info("Stripe did not list the charges of %s: %s", account, error)
            break
        charges = [charge for charge in page.get("data") or [] if isinstance(charge, dict)]
        for charge in charges:
            payment_intent = charge.get("payment_intent")
            details = charge.get("payment_method_details")
            if (
                payment_intent not in wanted
                or charge.get("status") != "succeeded"
                or not isinstance(charge.get("balance_transaction"), dict)
                or not isinstance(details, dict)
                or not details.get("type")
            ):
                continue
            if payment_intent in found:
                twice.add(payment_intent)
            found[payment_intent] = charge
        if not page.get("has_more") or not charges or wanted <= found.keys():
            break
        after = str(charges[-1].get("id") or "")
    kept = set()
    for payment_intent, charge in found.items():
        if payment_intent not in twice:
            stripe_answer_keep(
                _payment_key(account, payment_intent),
                {"id": payment_intent, "object": "payment_intent", "latest_charge": charge},
            )
            kept.add(payment_intent)
    return kept


def _payout_record(event: ConnectEvent) -> Outcome:
    """`payout.paid` and `payout.failed`: the payout's deposit (services.online_payouts)."""
    zone = zoneinfo.ZoneInfo(event.organization.time_zone if event.organization else "UTC")
    try:
        result = payout_event_apply(
            event_type=event.type,
            account=event.account_id,
            payout=event.payload["data"]["object"],
            occurred_on=timezone.localtime(event.created, zone).date(),
        )
    except PayoutStripeUnavailable as error:
        raise StripeUnavailable(error.message) from None
    return Outcome(result.outcome, result.detail)


REFUNDS_THAT_COUNT = ("succeeded", "pending")


def _refunds_record(event: ConnectEvent) -> Outcome:
    """`charge.refunded`: each refund of the charge's PaymentIntent not yet on its gift (by
    Stripe's refund id) is recorded through gift_refund, dated the day Stripe made it. The gift
    is locked first, so that a refund being made from the gift's page is recorded there, once.
    The event does not carry the refunds (API versions since 2022-11-15): they are read from
    Stripe. A charge no gift has is stored and left alone, until its gift is recorded
    (`_events_that_came_first`)."""
    charge = event.payload["data"]["object"]
    payment_intent = charge.get("payment_intent") if isinstance(charge, dict) else None
    if not isinstance(payment_intent, str) or not payment_intent:
        return _ignored("A charge without a PaymentIntent: not an online gift.")
    gift = gift_of_payment_locked(payment_intent)
    if gift is None:
        return _ignored(f"No gift has the payment {payment_intent}: nothing to refund here.")
    zone = zoneinfo.ZoneInfo(event.organization.time_zone if event.organization else "UTC")
    recorded: list[str] = []
    for refund in stripe_refunds(account=event.account_id, payment_intent=payment_intent):
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


def stripe_refunds(*, account: str, payment_intent: str) -> list[dict[str, Any]]:
    """The PaymentIntent's refunds on the account, oldest first."""

    def read() -> list[dict[str, Any]]:
        try:
            listed = stripe_get(
                "/v1/refunds", account=account, payment_intent=payment_intent, limit=100
            )
        except stripe.StripeError as error:
            raise StripeUnavailable(
                f"Stripe did not answer for {payment_intent}'s refunds: {error}"
            ) from None
        return [refund for refund in listed.get("data") or [] if isinstance(refund, dict)]

    refunds = stripe_read(("refunds", account, payment_intent), read)
    return sorted(refunds, key=lambda refund: (int(refund.get("created") or 0), refund["id"]))


# --- Monthly gifts: Stripe subscriptions ----------------------------------------------------

SUBSCRIPTION_EVENTS = ("customer.subscription.updated", "customer.subscription.deleted")
# Every checkout of the giving pages carries this metadata key (and its subscription too): a
# connected account's other subscriptions (memberships sold elsewhere) are not gifts of ours.
GIVING_PAGES_KEY = "ifm_organization_id"


def _zone_of(event: ConnectEvent) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(event.organization.time_zone if event.organization else "UTC")


def day_of(event: ConnectEvent, at: datetime | int | None = None) -> date:
    moment = datetime.fromtimestamp(at, tz=UTC) if isinstance(at, int) else at or event.created
    return timezone.localtime(moment, _zone_of(event)).date()


def _is_subscription(event: ConnectEvent) -> bool:
    session = event.payload["data"]["object"]
    return isinstance(session, dict) and session.get("mode") == "subscription"


def _already(detail: str) -> Outcome:
    return Outcome(StripeEventOutcome.PROCESSED, f"{detail}: nothing to do.")


def _monthly_gift_start(event: ConnectEvent) -> Outcome:
    """`checkout.session.completed` in subscription mode: the donor (found or created) and the
    monthly gift that stands for the subscription; no gift, which comes with `invoice.paid`."""
    session = event.payload["data"]["object"]
    subscription_id = session.get("subscription")
    if not isinstance(subscription_id, str) or not subscription_id:
        raise ServiceError("The checkout names no subscription.")
    metadata = session.get("metadata") or {}
    details = session.get("customer_details") or {}
    if not isinstance(metadata, dict) or not isinstance(details, dict):
        raise ServiceError("The checkout's metadata or customer details are not objects.")
    if GIVING_PAGES_KEY not in metadata:
        return _ignored("A subscription not made by the giving pages.")
    subscription_lock(subscription_id)
    recurring = recurring_of_subscription(subscription_id)
    if recurring is not None:
        return _already(f"Recurring gift {recurring.pk} already stands for {subscription_id}")
    donor = _donor_found_or_created(
        email=str(metadata.get("donor_email") or details.get("email") or "").strip().lower(),
        name=str(metadata.get("donor_name") or details.get("name") or "").strip(),
        address=details.get("address"),
        email_opt_in=metadata.get("email_opt_in") == "yes",
    )
    recurring = recurring_for_subscription_create(
        facts=monthly_start_facts(session), donor=donor, first_on=day_of(event)
    )
    return Outcome(StripeEventOutcome.PROCESSED, monthly_started_detail(recurring))


def monthly_start_facts(session: dict[str, Any]) -> SubscriptionFacts:
    """What a checkout in subscription mode (its subscription and metadata checked) says of the
    monthly gift it starts."""
    metadata = session.get("metadata") or {}
    types = session.get("payment_method_types") or []
    only = types[0] if isinstance(types, list) and len(types) == 1 else "card"
    return SubscriptionFacts(
        subscription_id=session["subscription"],
        at=None,
        amount=Decimal(int(session.get("amount_total") or 0)) / CENTS,
        status="active",
        method=METHOD_OF_STRIPE_TYPE.get(str(only), GiftMethod.CARD),
        fund=str(metadata.get("fund") or ""),
        campaign=str(metadata.get("campaign") or ""),
    )


def monthly_started_detail(recurring: RecurringGift) -> str:
    return (
        f"Monthly gift {recurring.pk} of {recurring.amount:.2f} started for "
        f"{recurring.stripe_subscription_id}; its gifts come with its paid invoices."
    )


def subscription_of_invoice(invoice: dict[str, Any]) -> str:
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") if isinstance(parent, dict) else None
    found = details.get("subscription") if isinstance(details, dict) else None
    found = found or invoice.get("subscription")  # API versions before 2025-03-31
    return found if isinstance(found, str) else ""


def copied_metadata(invoice: dict[str, Any]) -> dict[str, Any]:
    """The subscription's metadata as Stripe copied it on the invoice ({} when it did not)."""
    parent = invoice.get("parent")
    details = parent.get("subscription_details") if isinstance(parent, dict) else None
    copied = details.get("metadata") if isinstance(details, dict) else None
    return copied if isinstance(copied, dict) else {}


def installment_session(invoice: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
    """A paid invoice as _gift_record takes a checkout: the subscription's `metadata`, the
    invoice's customer, amount and currency."""
    return {
        "metadata": metadata,
        "customer_details": {
            "email": invoice.get("customer_email"),
            "name": invoice.get("customer_name"),
            "address": invoice.get("customer_address"),
        },
        "amount_total": invoice["amount_paid"],
        "currency": invoice.get("currency"),
    }


def _subscription_metadata(
    event: ConnectEvent, invoice: dict[str, Any], subscription_id: str
) -> dict[str, Any]:
    """The subscription's metadata: as the invoice copied it when it was made, or read from
    Stripe when the invoice has none."""
    copied = copied_metadata(invoice)
    if copied:
        return copied

    def read() -> dict[str, Any]:
        try:
            return stripe_get(f"/v1/subscriptions/{subscription_id}", account=event.account_id)
        except stripe.StripeError as error:
            raise StripeUnavailable(
                f"Stripe did not answer for {subscription_id}: {error}"
            ) from None

    metadata = stripe_read(("subscription", event.account_id, subscription_id), read).get(
        "metadata"
    )
    return metadata if isinstance(metadata, dict) else {}


def invoice_payment_intent(event: ConnectEvent, invoice: dict[str, Any]) -> str:
    """The PaymentIntent that paid the invoice: from its payments when the event carries them
    (or its payment_intent, in older API versions), else read from Stripe's invoice payments."""
    listed = (invoice.get("payments") or {}).get("data") if invoice.get("payments") else None
    if not listed:
        old = invoice.get("payment_intent")
        if isinstance(old, str) and old:
            return old

        def read() -> list[dict[str, Any]]:
            try:
                answer = stripe_get(
                    "/v1/invoice_payments",
                    account=event.account_id,
                    invoice=str(invoice["id"]),
                    status="paid",
                    limit=10,
                )
            except stripe.StripeError as error:
                raise StripeUnavailable(
                    f"Stripe did not answer for {invoice['id']}'s payments: {error}"
                ) from None
            return [payment for payment in answer.get("data") or [] if isinstance(payment, dict)]

        listed = stripe_read(("invoice_payments", event.account_id, str(invoice["id"])), read)
    for payment in listed:
        details = payment.get("payment") if isinstance(payment, dict) else None
        found = details.get("payment_intent") if isinstance(details, dict) else None
        if payment.get("status") == "paid" and isinstance(found, str) and found:
            return found
    raise StripeUnavailable(f"{invoice['id']} has no paid PaymentIntent yet.")


def invoice_period_end(invoice: dict[str, Any]) -> int | None:
    """When the period the invoice paid for ends (the next charge), from its first line."""
    lines = (invoice.get("lines") or {}).get("data") or []
    period = lines[0].get("period") if lines and isinstance(lines[0], dict) else None
    end = period.get("end") if isinstance(period, dict) else None
    return int(end) if isinstance(end, int) else None


def _installment_record(event: ConnectEvent) -> Outcome:
    """`invoice.paid` of a monthly gift: the installment, a posted gift of the invoice (payment
    reference its PaymentIntent, Stripe's fee as for a one-time gift), linked to the monthly
    gift, once per invoice. The monthly gift is made here, from the subscription's metadata,
    when the invoice arrives before the checkout that started it."""
    invoice = event.payload["data"]["object"]
    if not isinstance(invoice, dict) or not invoice.get("id"):
        raise ServiceError("The event carries no invoice.")
    invoice_id = str(invoice["id"])
    subscription_id = subscription_of_invoice(invoice)
    if not subscription_id:
        return _ignored("An invoice of no subscription: not a monthly gift.")
    if int(invoice.get("amount_paid") or 0) <= 0:
        return _ignored("Nothing was paid on this invoice.")
    # The clearing before the subscription, in the order a drain takes them for its batch of
    # installments: taken the other way round, the two could each wait for the other.
    clearing_lock()
    subscription_lock(subscription_id)
    existing = Gift.objects.filter(stripe_invoice_id=invoice_id).first()
    if existing is not None:
        return _already(f"{invoice_id} is already gift {existing.pk}")
    metadata = _subscription_metadata(event, invoice, subscription_id)
    if GIVING_PAGES_KEY not in metadata:
        return _ignored("A subscription not made by the giving pages.")
    payment_intent = invoice_payment_intent(event, invoice)
    existing = Gift.objects.filter(payment_reference=payment_intent).first()
    if existing is not None:
        return _already(f"{payment_intent} is already gift {existing.pk}")
    method, fee = stripe_payment(account=event.account_id, payment_intent=payment_intent)
    session = installment_session(invoice, metadata)
    customer = session["customer_details"]
    amount = Decimal(int(invoice["amount_paid"])) / CENTS
    period_end = invoice_period_end(invoice)
    next_charge_on = day_of(event, period_end) if period_end else None
    recurring = recurring_of_subscription(subscription_id)
    if recurring is None:
        donor = _donor_found_or_created(
            email=str(metadata.get("donor_email") or customer["email"] or "").strip().lower(),
            name=str(metadata.get("donor_name") or customer["name"] or "").strip(),
            address=customer["address"],
        )
        recurring = recurring_for_subscription_create(
            facts=SubscriptionFacts(
                subscription_id=subscription_id,
                at=None,
                amount=amount,
                next_charge_on=next_charge_on,
                method=method,
                fund=str(metadata.get("fund") or ""),
                campaign=str(metadata.get("campaign") or ""),
            ),
            donor=donor,
            first_on=day_of(event),
        )
    else:
        recurring_installment_seen(
            recurring=recurring, method=method, next_charge_on=next_charge_on
        )
    gift = _gift_record(
        event,
        session,
        payment_intent,
        method=method,
        fee=fee,
        donor=recurring.donor,
        recurring_gift=recurring,
        stripe_invoice_id=invoice_id,
    )
    return Outcome(
        StripeEventOutcome.PROCESSED,
        f"Gift {gift.pk} of {amount:.2f}, an installment of monthly gift {recurring.pk}, "
        f"recorded and posted; Stripe fee {fee:.2f}."
        + payout_funds_of_late_gift(gift)
        + _events_that_came_first(event, payment_intent),
    )


def _subscription_status(subscription: dict[str, Any], *, deleted: bool) -> str:
    """Stripe's status; a subscription whose collection is paused (`pause_collection`, how the
    customer portal pauses one) stays `active` at Stripe but charges nothing: paused."""
    if deleted:
        return "canceled"
    status = str(subscription.get("status") or "active")
    if status == "active" and subscription.get("pause_collection"):
        return "paused"
    return status


def _subscription_facts(event: ConnectEvent, subscription: dict[str, Any]) -> SubscriptionFacts:
    items = (subscription.get("items") or {}).get("data") or []
    item = items[0] if items and isinstance(items[0], dict) else {}
    price = item.get("price") if isinstance(item.get("price"), dict) else {}
    unit = price.get("unit_amount") if isinstance(price, dict) else None
    amount = (
        Decimal(int(unit) * int(item.get("quantity") or 1)) / CENTS
        if isinstance(unit, int)
        else None
    )
    period_end = item.get("current_period_end") or subscription.get("current_period_end")
    deleted = event.type == "customer.subscription.deleted"
    metadata = subscription.get("metadata") or {}
    return SubscriptionFacts(
        subscription_id=str(subscription["id"]),
        at=event.created,
        amount=amount,
        status=_subscription_status(subscription, deleted=deleted),
        cancel_at_period_end=bool(
            subscription.get("cancel_at_period_end") or subscription.get("cancel_at")
        ),
        next_charge_on=day_of(event, int(period_end)) if isinstance(period_end, int) else None,
        fund=str(metadata.get("fund") or ""),
        campaign=str(metadata.get("campaign") or ""),
    )


def _subscription_changed(event: ConnectEvent) -> Outcome:
    """`customer.subscription.updated` / `.deleted`: the monthly gift in the state Stripe
    reports (a new amount, past due, ending at the period's end, cancelled), unless it reported
    a newer one already; made from the subscription when this is the first event of it."""
    subscription = event.payload["data"]["object"]
    if not isinstance(subscription, dict) or not subscription.get("id"):
        raise ServiceError("The event carries no subscription.")
    metadata = subscription.get("metadata") or {}
    if not isinstance(metadata, dict) or GIVING_PAGES_KEY not in metadata:
        return _ignored("A subscription not made by the giving pages.")
    facts = _subscription_facts(event, subscription)
    subscription_lock(facts.subscription_id)
    recurring = recurring_of_subscription(facts.subscription_id)
    if recurring is not None:
        return Outcome(
            StripeEventOutcome.PROCESSED,
            recurring_from_stripe_update(recurring=recurring, facts=facts),
        )
    donor = _donor_found_or_created(
        email=str(metadata.get("donor_email") or "").strip().lower(),
        name=str(metadata.get("donor_name") or "").strip(),
    )
    started = subscription.get("start_date") or subscription.get("created")
    recurring = recurring_for_subscription_create(
        facts=facts,
        donor=donor,
        first_on=day_of(event, int(started)) if isinstance(started, int) else day_of(event),
    )
    return Outcome(
        StripeEventOutcome.PROCESSED,
        f"Monthly gift {recurring.pk} recorded from {facts.subscription_id}, "
        f"{recurring.get_state_display().lower()}.",
    )


# --- Card disputes ---------------------------------------------------------------------------


def _dispute_record(event: ConnectEvent) -> Outcome:
    """`charge.dispute.created` / `.closed`: see services.online_disputes."""
    dispute = event.payload["data"]["object"]
    if not isinstance(dispute, dict):
        raise ServiceError("The event carries no dispute.")
    result = gift_dispute_apply(
        dispute=dispute, happened_at=event.created, time_zone=_zone_of(event).key
    )
    outcome = StripeEventOutcome.PROCESSED if result.applied else StripeEventOutcome.IGNORED
    return Outcome(outcome, result.detail)

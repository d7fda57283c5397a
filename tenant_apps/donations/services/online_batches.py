"""An organization's waiting Stripe Connect events applied a batch at a time (the drain the
Connect webhook wakes), with the same outcome as applying each on its own (online_events).

A drain takes up to DRAIN_BATCH waiting events of its organization, oldest first, locked with
SKIP LOCKED (two drains never take the same event), after reading from Stripe what they will
need with no transaction open. Paid one-time gifts, monthly gifts started and installments of
monthly gifts that need nothing but the common case (a donor known by email, or a new one with
no billing address to compare; a monthly gift already started for an installment, none yet for
a start; no refund, dispute or payout that came first, nothing recorded yet for the payment or
the invoice), and refunded charges of gifts recorded before the batch (posted gifts neither
deposited, paying a pledge nor in kind; one event a charge in the batch), are applied together,
first (apply_order): donors created in one batch, monthly gifts in one, gifts created and
posted with Stripe's fees and the refunds (each after the gift it follows, numbered in the
batch's order) in one batch, audit rows and outcomes written in one statement each, receipts
issued by one task. An event the batch cannot take is left for after it, with every later
event of its payment, invoice, subscription or donor; those and every other event are applied
on its own, as connect_event_apply applies it, or in the next batch. If a batch fails, its
events are applied one at a time, so that each failure is recorded on its own event.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import takewhile
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.utils import timezone

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.plain_reads import (
    plain_objects,
    plain_objects_by_key,
    plain_objects_with,
    plain_values,
)
from saas_platform.lib.transactions import undone_whole
from shared_apps.billing.models import ConnectEvent, StripeEventOutcome
from shared_apps.billing.services.connect_events import (
    connect_events_drain_started,
    connect_events_new,
    connect_events_outcomes_record,
    connect_events_taken,
)
from shared_apps.tenants.models import Organization
from shared_apps.tenants.tasks import organization_of_task
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import Fund, JournalEntry
from tenant_apps.core.services import audit_events_together
from tenant_apps.donations.models import (
    Campaign,
    Gift,
    GiftAllocation,
    GiftMethod,
    GiftRefund,
    GiftSource,
    GiftState,
    PayoutTransaction,
    RecurringGift,
)
from tenant_apps.donations.services.allocations import AllocationSpec
from tenant_apps.donations.services.gifts import (
    GiftSpec,
    RefundSpec,
    gifts_create_post,
    refund_entry_spec,
    refunds_recorded,
)
from tenant_apps.donations.services.online_events import (
    CENTS,
    GIFT_EVENTS,
    GIVING_PAGES_KEY,
    REFUNDS_THAT_COUNT,
    connect_event_taken_apply,
    copied_metadata,
    day_of,
    gift_details_of,
    installment_session,
    invoice_payment_intent,
    invoice_period_end,
    monthly_start_facts,
    monthly_started_detail,
    payments_with_events_that_came_first,
    stripe_event_read_ahead,
    stripe_fee_entries,
    stripe_payment,
    stripe_payments_read_ahead,
    stripe_refunds,
    subscription_of_invoice,
)
from tenant_apps.donations.services.online_payouts import clearing_lock
from tenant_apps.donations.services.online_subscriptions import (
    SubscriptionFacts,
    recurring_for_subscriptions_create,
    recurring_installment_seen,
    subscriptions_lock,
)
from tenant_apps.donations.services.posting import DEFAULT_FUND
from tenant_apps.donations.services.stripe_reads import stripe_reads_kept
from tenant_apps.donors.models import Donor, DonorEmail
from tenant_apps.donors.services import DonorImportSpec, DonorNames, EmailSpec, donors_create

logger = logging.getLogger(__name__)

# Events taken at a time: one transaction, its statements about as many for 100 as for 1.
DRAIN_BATCH = 100
# Batches a drain applies before it hands over to the drains of other organizations (it
# queues itself again when more are waiting).
DRAIN_ROUNDS = 5
# From this many gifts to read, their payments are read from a list of the account's charges:
# those made from CHARGED_BEFORE seconds before the first gift's event to CHARGED_AFTER after
# the last one's (Stripe makes the event of a paid Checkout seconds after the charge; the list
# is newest first, so charges made after the last event would only come in the way).
LISTED_FROM = 3
CHARGED_BEFORE = 300
CHARGED_AFTER = 5


def connect_events_drain(*, organization_id: int) -> tuple[int, bool]:
    """Apply the organization's waiting events, DRAIN_BATCH at a time, in the current (the
    organization's) schema; returns how many were taken and whether some may still wait
    (the caller queues the drain again)."""
    connect_events_drain_started(organization_id=organization_id)
    taken, more = 0, False
    for _ in range(DRAIN_ROUNDS):
        waiting = connect_events_new(organization_id=organization_id, limit=DRAIN_BATCH)
        if not waiting:
            return taken, False
        applied = connect_events_batch_apply(organization_id=organization_id, events=waiting)
        taken += applied
        if len(waiting) < DRAIN_BATCH:
            return taken, False
        # None taken: another drain took them between the read and the lock; the next read
        # leaves out what it holds. Going again is for the events this drain took to be
        # followed: those another drain holds are its to follow.
        more = applied > 0
    return taken, more


def connect_events_batch_apply(*, organization_id: int, events: list[ConnectEvent]) -> int:
    """Apply those of `events` (as read waiting) still waiting and held by no other worker, in
    one transaction, after reading from Stripe what they need; returns how many were taken."""
    with stripe_reads_kept():
        try:
            _stripe_read_ahead_of(events)
        except SoftTimeLimitExceeded:
            raise
        except Exception:
            # Only what is read ahead is lost: applying reads again, and an event that cannot
            # be read has its failure recorded on it.
            logger.exception("Reading ahead for organization %s's events failed", organization_id)
        # The chart and the accounting settings are read once for the drain's batches.
        with accounting.books_reference_kept(), transaction.atomic():
            taken = connect_events_taken(
                organization_id=organization_id, event_ids=[event.pk for event in events]
            )
            if not taken:
                return 0
            events = [event for event in events if event.pk in taken]
            with organization_of_task(organization_id, what="Connect events") as organization:
                for event in events:
                    event.organization = organization
                _events_apply(events, organization)
    return len(events)


def _stripe_read_ahead_of(events: list[ConnectEvent]) -> None:
    """What the events will ask Stripe for, read with no transaction open: a gift's payment
    and fee for each paid one-time checkout and each installment not recorded yet (what is
    recorded found in one query; an installment's PaymentIntent from its invoice's payments, a
    few read at a time; the payments from one list of the account's charges when there are
    LISTED_FROM or more, else one read each); a refunded charge's refunds when its gift is
    recorded (found in the same query), a few at a time; anything else as connect_event_apply
    reads it ahead."""
    gifts: dict[int, str | None] = {event.pk: _payment_intent_of(event) for event in events}
    invoices = {event.pk: invoice for event in events if (invoice := _invoice_of(event))}
    refunded = {event.pk: intent for event in events if (intent := _refunded_intent_of(event))}
    recorded_intents, recorded_invoices = _recorded(
        [intent for intent in gifts.values() if intent] + list(refunded.values()),
        [str(invoice["id"]) for invoice in invoices.values()],
    )
    installments = {
        event.pk: _readers().submit(
            copy_context().run, _installment_intent_read, event, invoices[event.pk]
        )
        for event in events
        if event.pk in invoices and str(invoices[event.pk]["id"]) not in recorded_invoices
    }
    for pk, intent_read in installments.items():
        gifts[pk] = intent_read.result()
    wanted: dict[str, list[tuple[ConnectEvent, str]]] = {}
    reads = [
        # A refunded charge's refunds, when its gift is recorded (else nothing is refunded).
        _readers().submit(copy_context().run, _refunds_read_ahead, event.account_id, intent)
        for event in events
        if (intent := refunded.get(event.pk)) and intent in recorded_intents
    ]
    for event in events:
        payment_intent = gifts[event.pk]
        if payment_intent is None:
            if event.pk not in invoices and event.pk not in refunded:
                stripe_event_read_ahead(event)
        elif payment_intent not in recorded_intents:
            wanted.setdefault(event.account_id, []).append((event, payment_intent))
    for account, paid in wanted.items():
        listed: set[str] = set()
        if len(paid) >= LISTED_FROM:
            created = [int(event.created.timestamp()) for event, _ in paid]
            listed = stripe_payments_read_ahead(
                account=account,
                payment_intents={payment_intent for _, payment_intent in paid},
                since=min(created) - CHARGED_BEFORE,
                until=max(created) + CHARGED_AFTER,
            )
        # Each read in the kept answers' context (copied: they share what is kept).
        reads += [
            _readers().submit(copy_context().run, _payment_read, account, payment_intent)
            for _, payment_intent in paid
            if payment_intent not in listed
        ]
    for read in reads:
        read.result()


# Stripe answers a read in a tenth of a second or more: a batch's reads are made a few at a
# time, by threads kept for the process (each with its own kept-alive connection to Stripe).
STRIPE_READERS = 8
_pool: ThreadPoolExecutor | None = None


def _readers() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=STRIPE_READERS, thread_name_prefix="stripe-read")
    return _pool


def _payment_read(account: str, payment_intent: str) -> None:
    try:
        stripe_payment(account=account, payment_intent=payment_intent)
    except ServiceError:
        return  # applying the event reads again and says what is wrong


def _refunds_read_ahead(account: str, payment_intent: str) -> None:
    try:
        stripe_refunds(account=account, payment_intent=payment_intent)
    except ServiceError:
        return  # applying the event reads again and says what is wrong


def _installment_intent_read(event: ConnectEvent, invoice: dict[str, Any]) -> str | None:
    try:
        return invoice_payment_intent(event, invoice)
    except ServiceError:
        return None  # applying the event reads again and says what is wrong


def _recorded(payment_intents: list[str], invoice_ids: list[str]) -> tuple[set[str], set[str]]:
    """Of these payments and invoices, those a gift records already (one query)."""
    if not payment_intents and not invoice_ids:
        return set(), set()
    rows = plain_values(
        "SELECT payment_reference, stripe_invoice_id FROM {gift} "
        "WHERE payment_reference = ANY(%s) OR stripe_invoice_id = ANY(%s)",
        [payment_intents, invoice_ids],
        gift=Gift,
    )
    intents, invoices = set(payment_intents), set(invoice_ids)
    return {row[0] for row in rows if row[0] in intents}, {
        row[1] for row in rows if row[1] in invoices
    }


def _payment_intent_of(event: ConnectEvent) -> str | None:
    """The PaymentIntent of a paid one-time checkout, which a batch may take."""
    if event.type not in GIFT_EVENTS or not isinstance(event.payload, dict):
        return None
    session = (event.payload.get("data") or {}).get("object")
    if (
        not isinstance(session, dict)
        or session.get("mode") != "payment"
        or session.get("payment_status") != "paid"
    ):
        return None
    payment_intent = session.get("payment_intent")
    return payment_intent if isinstance(payment_intent, str) and payment_intent else None


def _invoice_of(event: ConnectEvent) -> dict[str, Any] | None:
    """The invoice of an installment of a monthly gift of the giving pages (`invoice.paid`, an
    amount paid, the subscription's metadata copied on the invoice), which a batch may take."""
    if event.type != "invoice.paid" or not isinstance(event.payload, dict):
        return None
    invoice = (event.payload.get("data") or {}).get("object")
    if (
        not isinstance(invoice, dict)
        or not invoice.get("id")
        or not subscription_of_invoice(invoice)
        or not isinstance(invoice.get("amount_paid"), int)
        or invoice["amount_paid"] <= 0
        or GIVING_PAGES_KEY not in copied_metadata(invoice)
    ):
        return None
    return invoice


def _refunded_intent_of(event: ConnectEvent) -> str | None:
    """The PaymentIntent of a refunded charge (`charge.refunded`), which a batch may take."""
    if event.type != "charge.refunded" or not isinstance(event.payload, dict):
        return None
    charge = (event.payload.get("data") or {}).get("object")
    payment_intent = charge.get("payment_intent") if isinstance(charge, dict) else None
    return payment_intent if isinstance(payment_intent, str) and payment_intent else None


def _start_of(event: ConnectEvent) -> str | None:
    """The subscription a checkout of the giving pages in subscription mode starts (a monthly
    gift), which a batch may take."""
    if event.type != "checkout.session.completed" or not isinstance(event.payload, dict):
        return None
    session = (event.payload.get("data") or {}).get("object")
    if not isinstance(session, dict) or session.get("mode") != "subscription":
        return None
    subscription_id = session.get("subscription")
    metadata = session.get("metadata")
    if (
        not isinstance(subscription_id, str)
        or not subscription_id
        or not isinstance(metadata, dict)
        or GIVING_PAGES_KEY not in metadata
        or not isinstance(session.get("customer_details") or {}, dict)
    ):
        return None
    return subscription_id


def _batchable(event: ConnectEvent) -> bool:
    return (
        _payment_intent_of(event) is not None
        or _invoice_of(event) is not None
        or _refunded_intent_of(event) is not None
        or _start_of(event) is not None
    )


def apply_order(events: Sequence[ConnectEvent]) -> list[ConnectEvent]:
    """The order a drain applies the events it took in: those a batch may take (paid
    checkouts, installments, refunds, monthly gifts started), then the others (payouts,
    disputes, a subscription's changes, anything a batch cannot read), each in the order
    received. Stripe's events arrive in any order, and each is applied alike whatever came
    before it (online_events), so this is one order they could have arrived in. In it the
    gifts of a drain are one batch, not one between each pair of other events, and a payout or
    a dispute finds the gifts of its own drain recorded."""
    return sorted(events, key=lambda event: not _batchable(event))


def _events_apply(events: list[ConnectEvent], organization: Organization) -> None:
    """The taken events in apply_order: as many of the leading ones a batch may take as are
    simple (_simple_events) as one batch; any of them it leaves (and every later event of the
    same payment, invoice, subscription or donor) after it, on its own or in the next batch;
    every other event on its own."""
    pending = apply_order(events)
    while pending:
        run = list(takewhile(_batchable, pending))
        simple = _simple_events_or_none(run, organization) if run else []
        if simple and isinstance(simple[0], _SimpleRefund):
            # Refunds ahead of the batch's first gift: a batch of their own, numbered first.
            simple = simple[
                : next(
                    (place for place, unit in enumerate(simple) if isinstance(unit, _SimpleGift)),
                    len(simple),
                )
            ]
        if simple:
            _simple_events_apply(simple)
            taken = {unit.event.pk for unit in simple}
            pending = [event for event in pending if event.pk not in taken]
        else:
            connect_event_taken_apply(pending[0])
            pending = pending[1:]


# What reading a payload of an unexpected shape raises (an object where a string is expected,
# a number where an object is, a key missing, an amount that is not a number).
PAYLOAD_NOT_AS_STRIPE_SHAPES_IT = (
    AttributeError,
    TypeError,
    KeyError,
    IndexError,
    ValueError,
    ArithmeticError,
)


def _simple_events_or_none(run: list[ConnectEvent], organization: Organization) -> list[_Simple]:
    """_simple_events, or none when the run's events cannot be read as a batch reads them (a
    payload not shaped as Stripe shapes it): its first event is then applied on its own, where
    a failure is recorded on the event, and the drain goes on with the others. Only what
    reading a payload raises is caught: a database error leaves a transaction that cannot go
    on, and a task's time limit must end the task."""
    try:
        return _simple_events(run, organization)
    except PAYLOAD_NOT_AS_STRIPE_SHAPES_IT:
        logger.exception("Connect event %s cannot be read as a batch reads it", run[0].stripe_id)
        return []


@dataclass
class _SimpleGift:
    """A paid one-time checkout or an installment the batch can record as connect_event_apply
    would."""

    event: ConnectEvent
    payment_intent: str
    spec: GiftSpec
    fee: Decimal
    new_donor: str  # the email of the new donor the gift is from, "" for a known one
    # An installment: what its paid invoice says of the monthly gift (method, next charge).
    next_charge_on: date | None = None


@dataclass
class _SimpleRefund:
    """A refunded charge of a gift recorded before the batch, whose refunds at Stripe not yet
    on the gift the batch can record as connect_event_apply would (none: nothing to do)."""

    event: ConnectEvent
    gift: Gift
    refunds: list[RefundSpec]


@dataclass
class _SimpleStart:
    """A monthly gift started on the giving pages (a checkout in subscription mode) whose
    subscription no monthly gift stands for yet, from a donor the batch can find or make."""

    event: ConnectEvent
    facts: SubscriptionFacts
    first_on: date
    donor: Donor  # a new donor's is made by the batch (new_donor)
    new_donor: str  # as _SimpleGift's


type _Simple = _SimpleGift | _SimpleRefund | _SimpleStart


def _simple_events(run: list[ConnectEvent], organization: Organization) -> list[_Simple]:
    """The events of `run` (paid one-time checkouts, monthly gifts started, installments and
    refunded charges, in order) that are simple and share no payment, invoice, subscription or
    donor with an earlier one that is not: the batch, in their order. The others are left for
    after it."""
    # Before anything is read for posting: a payout applied at the same time waits for the
    # batch, or the batch sees the payout (online_payouts.payout_funds_of_late_gift).
    clearing_lock()
    invoices = [_invoice_of(event) for event in run]
    starts = [_start_of(event) for event in run]
    # Each installment's monthly gift, and any a start's subscription has already, under the
    # subscription's lock (as _installment_record and _monthly_gift_start).
    subscriptions = sorted(
        {subscription_of_invoice(invoice) for invoice in invoices if invoice}
        | {start for start in starts if start}
    )
    subscriptions_lock(subscriptions)
    monthly = _monthly_locked(subscriptions) if subscriptions else {}
    # What is recorded already, of the checkouts' payments and the invoices, in one query; an
    # invoice recorded already goes on its own (it says so) without its payment read. An
    # installment's payment is new when its invoice is (a payment recorded under another
    # invoice is refused by the gifts' unique index on payment references, and the batch then
    # goes one event at a time).
    recorded, recorded_invoices = _recorded(
        [intent for event in run if (intent := _payment_intent_of(event))],
        [str(invoice["id"]) for invoice in invoices if invoice],
    )
    intents = [
        _payment_intent_of(event)
        or (
            _installment_intent_read(event, invoice)
            if invoice and str(invoice["id"]) not in recorded_invoices
            else ""
        )
        for event, invoice in zip(run, invoices, strict=True)
    ]
    zone = zoneinfo.ZoneInfo(organization.time_zone or "UTC")
    refunded = [_refunded_intent_of(event) for event in run]
    refunds = _refunds_read(run, refunded, zone=zone)
    sessions, emails = _sessions_and_emails(run, invoices, refunded)
    paid_out = {
        intent
        for (intent,) in plain_values(
            "SELECT payment_intent FROM {paid} WHERE payment_intent = ANY(%s)",
            [[intent for intent in intents if intent]],
            paid=PayoutTransaction,
        )
    }
    # A refund or dispute of the payment that came first is applied with the gift, one at a
    # time (online_events._events_that_came_first).
    came_first = payments_with_events_that_came_first(
        account_id=run[0].account_id,
        organization_id=organization.pk,
        payment_intents=[intent for intent in intents if intent],
    )
    known: dict[str, Donor] = {}
    for donor, (email,) in plain_objects_with(
        Donor,
        "SELECT {columns_of_d}, e.email FROM {email} e JOIN {table} d ON d.id = e.donor_id "
        "WHERE e.email = ANY(%s) AND d.merged_into_id IS NULL ORDER BY e.donor_id, e.id",
        [[email for email in emails if email]],
        email=DonorEmail,
    ):
        known.setdefault(email, donor)
    funds, campaigns = _named_by(sessions)
    reads = _Reads(
        zone=zone,
        currency=accounting.accounting_settings().currency,
        monthly=monthly,
        refunds=refunds,
        recorded=recorded | came_first,
        recorded_invoices=recorded_invoices,
        paid_out=paid_out,
        funds=funds,
        campaigns=campaigns,
        known=known,
    )
    simple: list[_Simple] = []
    blocked: set[str] = set()  # of the events left for after the batch
    for event, payment_intent, email, session, invoice, charge, start in zip(
        run, intents, emails, sessions, invoices, refunded, starts, strict=True
    ):
        keys = {key for key in (payment_intent, charge, start) if key}
        if invoice:
            keys |= {str(invoice["id"]), subscription_of_invoice(invoice)}
        donor_key = {f"email:{email}"} if email else set()
        unit: _Simple | None = None
        if not (keys | donor_key) & blocked:
            if start:
                unit = _start_unit(event, start, email, reads=reads)
            elif charge:
                unit = reads.refunds.get(event.pk) if charge not in reads.seen else None
            else:
                unit = _gift_unit(event, payment_intent, email, session, invoice, reads=reads)
        if unit is None:
            # Applied after the batch, on its own or in the next one, and so is every later
            # event of its payment, invoice, subscription or donor (in their order).
            blocked |= keys | donor_key
            continue
        reads.seen |= keys
        if not isinstance(unit, _SimpleRefund) and unit.new_donor:
            reads.new_donors.setdefault(unit.new_donor, _opts_in(unit))
        simple.append(unit)
    return simple


def _monthly_locked(subscriptions: list[str]) -> dict[str, RecurringGift]:
    """The monthly gifts of these subscriptions, locked, each with its donor, by subscription:
    in two plain statements (a drain with installments runs them on every batch)."""
    found = plain_objects(
        RecurringGift,
        "SELECT {columns} FROM {table} WHERE stripe_subscription_id = ANY(%s) "
        "ORDER BY id FOR NO KEY UPDATE",
        [subscriptions],
    )
    donors = plain_objects_by_key(Donor, {recurring.donor_id for recurring in found})
    monthly = {}
    for recurring in found:
        recurring.donor = donors[recurring.donor_id]
        monthly[recurring.stripe_subscription_id] = recurring
    return monthly


@dataclass
class _Reads:
    """What a batch read for its events, and what it has taken so far."""

    zone: zoneinfo.ZoneInfo
    currency: str
    monthly: dict[str, RecurringGift]  # by subscription
    refunds: dict[int, _SimpleRefund]  # by event
    recorded: set[str]  # payments a gift records, or an event came first for
    recorded_invoices: set[str]
    paid_out: set[str]
    funds: set[str]
    campaigns: dict[str, Campaign]
    known: dict[str, Donor]  # by email
    new_donors: dict[str, bool] = field(default_factory=dict)  # email: opted in to news
    seen: set[str] = field(default_factory=set)  # payments, invoices, subscriptions, charges


def _opts_in(unit: _SimpleGift | _SimpleStart) -> bool:
    """Whether a new donor made for the unit gets the news: the page's box."""
    session = unit.event.payload["data"]["object"]
    return (session.get("metadata") or {}).get("email_opt_in") == "yes"


def _gift_unit(
    event: ConnectEvent,
    payment_intent: str,
    email: str,
    session: dict[str, Any],
    invoice: dict[str, Any] | None,
    *,
    reads: _Reads,
) -> _SimpleGift | None:
    """A paid one-time checkout or an installment as the batch records it; None when it is
    applied on its own instead."""
    metadata: dict[str, Any] = session.get("metadata") or {}
    # A fund closed since the page was shown: the gift goes to the general fund.
    fund = str(metadata.get("fund") or DEFAULT_FUND)
    fund = fund if fund in reads.funds else DEFAULT_FUND
    if (
        not payment_intent
        or payment_intent in reads.recorded | reads.seen
        or str(session.get("currency") or "").upper() != reads.currency
    ):
        return None
    if payment_intent in reads.paid_out and fund != DEFAULT_FUND:
        # Paid out before it is recorded: its part of the payout is moved from the general
        # fund to its own (payout_funds_of_late_gift), on its own. A gift to the general fund
        # has nothing to move.
        return None
    recurring: RecurringGift | None = None
    if invoice:
        subscription_id = subscription_of_invoice(invoice)
        recurring = reads.monthly.get(subscription_id)
        if (
            recurring is None  # the invoice came before its checkout: on its own
            or str(invoice["id"]) in reads.recorded_invoices | reads.seen
            or subscription_id in reads.seen  # the next installment sees this one's next charge
        ):
            return None
        donor: Donor | None = recurring.donor
    else:
        checkout_donor = _checkout_donor(
            email, session, known=reads.known, new_donors=reads.new_donors
        )
        if checkout_donor is None:
            return None
        donor, _ = checkout_donor
    try:
        method, fee = stripe_payment(account=event.account_id, payment_intent=payment_intent)
        amount = Decimal(int(session["amount_total"])) / CENTS
    except (ServiceError, KeyError, TypeError, ValueError):
        return None
    period_end = invoice_period_end(invoice) if invoice else None
    return _SimpleGift(
        event=event,
        payment_intent=payment_intent,
        fee=fee,
        new_donor="" if donor is not None else email,
        next_charge_on=day_of(event, period_end) if period_end else None,
        spec=_gift_spec(
            session,
            donor=donor,
            amount=amount,
            method=method,
            payment_intent=payment_intent,
            received_on=timezone.localtime(event.created, reads.zone).date(),
            fund=fund,
            campaign=reads.campaigns.get(str(metadata.get("campaign") or "")),
            recurring=recurring,
            invoice_id=str(invoice["id"]) if invoice else "",
        ),
    )


def _start_unit(
    event: ConnectEvent, subscription_id: str, email: str, *, reads: _Reads
) -> _SimpleStart | None:
    """The monthly gift a checkout in subscription mode starts, as _monthly_gift_start would
    (its donor found by email or made, and opted in to the news as a gift's is); None when it is
    applied on its own instead (a monthly gift stands for the subscription already: it says
    so)."""
    if subscription_id in reads.monthly or subscription_id in reads.seen:
        return None
    session = event.payload["data"]["object"]
    facts = monthly_start_facts(session)
    if facts.amount is None or facts.amount <= 0:
        return None
    checkout_donor = _checkout_donor(email, session, known=reads.known, new_donors=reads.new_donors)
    if checkout_donor is None:
        return None
    donor, _ = checkout_donor
    return _SimpleStart(
        event=event,
        facts=facts,
        first_on=timezone.localtime(event.created, reads.zone).date(),
        donor=donor if donor is not None else Donor(),
        new_donor="" if donor is not None else email,
    )


def _checkout_donor(
    email: str, session: dict[str, Any], *, known: dict[str, Donor], new_donors: dict[str, bool]
) -> tuple[Donor | None, bool] | None:
    """A checkout's donor known by email (None: a new one) and whether they opted in to news;
    None when the checkout is applied on its own instead."""
    if not email:
        return None
    opted_in = (session.get("metadata") or {}).get("email_opt_in") == "yes"
    donor = known.get(email)
    if (
        donor is None
        and email not in new_donors
        and (session.get("customer_details") or {}).get("address")
    ):
        return None  # a billing address: matched by name and postcode, on its own
    if donor is not None and opted_in and not donor.email_news_ok:
        return None  # the known donor's preference changes: donor_update, on its own
    if donor is None and email in new_donors and opted_in and not new_donors[email]:
        return None
    return donor, opted_in


def _named_by(sessions: list[dict[str, Any]]) -> tuple[set[str], dict[str, Campaign]]:
    """The open funds and the campaigns the pages named, when they named any but the general
    fund (a gift goes there when its fund is closed, so whether it is open does not matter)."""
    named = {str((s.get("metadata") or {}).get("fund") or "") for s in sessions}
    named -= {"", DEFAULT_FUND}
    funds = {code for code, fund in accounting.funds_by_code(named).items() if fund.is_active}
    slugs = {str((s.get("metadata") or {}).get("campaign") or "") for s in sessions} - {""}
    campaigns = (
        {campaign.slug: campaign for campaign in Campaign.objects.filter(slug__in=slugs)}
        if slugs
        else {}
    )
    return funds, campaigns


def _sessions_and_emails(
    run: list[ConnectEvent],
    invoices: list[dict[str, Any] | None],
    refunded: list[str | None],
) -> tuple[list[dict[str, Any]], list[str]]:
    """Each event's checkout (an installment's as its invoice makes it, none for a refunded
    charge) and the donor's email it gives (none for an installment: its monthly gift's)."""
    sessions = [
        installment_session(invoice, copied_metadata(invoice))
        if invoice
        else {}
        if charge
        else event.payload["data"]["object"]
        for event, invoice, charge in zip(run, invoices, refunded, strict=True)
    ]
    emails = [
        "" if invoice or charge else _email_of(event)
        for event, invoice, charge in zip(run, invoices, refunded, strict=True)
    ]
    return sessions, emails


def _refunds_read(
    run: list[ConnectEvent], refunded: list[str | None], *, zone: zoneinfo.ZoneInfo
) -> dict[int, _SimpleRefund]:
    """The run's refunded charges the batch can record, by event id: of gifts recorded
    before (locked, in one query, as _refunds_record locks each), posted and neither deposited,
    paying a pledge nor in kind, each Stripe refund not on its gift yet (what is on the gifts
    read in one query) within what is left of the gift. Any other is applied on its own."""
    intents = {intent for intent in refunded if intent}
    if not intents:
        return {}
    gifts = {gift.payment_reference: gift for gift in _gifts_locked(intents)}
    allocations: dict[int, list[GiftAllocation]] = {gift.pk: [] for gift in gifts.values()}
    found_allocations = plain_objects(
        GiftAllocation,
        "SELECT {columns} FROM {table} WHERE gift_id = ANY(%s) ORDER BY id",
        [list(allocations)],
    )
    funds = plain_objects_by_key(Fund, {allocation.fund_id for allocation in found_allocations})
    for allocation in found_allocations:
        allocation.fund = funds[allocation.fund_id]
        allocations[allocation.gift_id].append(allocation)
    on_gifts: dict[int, list[tuple[Decimal, str]]] = {gift.pk: [] for gift in gifts.values()}
    for gift_id, amount, refund_id in plain_values(
        "SELECT gift_id, amount, stripe_refund_id FROM {refund} WHERE gift_id = ANY(%s) "
        "ORDER BY refunded_on, id",
        [list(on_gifts)],
        refund=GiftRefund,
    ):
        on_gifts[gift_id].append((amount, refund_id))
    found: dict[int, _SimpleRefund] = {}
    for event, intent in zip(run, refunded, strict=True):
        gift = gifts.get(intent or "")
        if gift is None or not (
            gift.state == GiftState.POSTED
            and gift.journal_entry is not None
            and gift.deposit_id is None
            and gift.pledge_id is None
            and gift.method != GiftMethod.IN_KIND
        ):
            continue
        try:
            listed = stripe_refunds(account=event.account_id, payment_intent=gift.payment_reference)
        except ServiceError:
            continue  # applied on its own, which says what is wrong
        refunds = _new_refunds(gift, listed, on_gifts[gift.pk], allocations[gift.pk], zone=zone)
        if refunds is not None:
            found[event.pk] = _SimpleRefund(event=event, gift=gift, refunds=refunds)
    return found


def _gifts_locked(payment_intents: set[str]) -> list[Gift]:
    """The gifts of these payments, locked in the order of their keys, each with its donor and
    its journal entry, in plain statements (a drain with refunds reads them on every batch)."""
    gifts = plain_objects(
        Gift,
        "SELECT {columns} FROM {table} WHERE payment_reference = ANY(%s) "
        "ORDER BY id FOR NO KEY UPDATE",
        [sorted(payment_intents)],
    )
    donors = plain_objects_by_key(Donor, {gift.donor_id for gift in gifts})
    entries = plain_objects_by_key(JournalEntry, {gift.journal_entry_id for gift in gifts} - {None})
    for gift in gifts:
        gift.donor = donors[gift.donor_id]
        gift.journal_entry = entries.get(gift.journal_entry_id or 0)
    return gifts


def _new_refunds(
    gift: Gift,
    listed: list[dict[str, Any]],
    recorded: list[tuple[Decimal, str]],
    allocations: list[GiftAllocation],
    *,
    zone: zoneinfo.ZoneInfo,
) -> list[RefundSpec] | None:
    """Stripe's refunds of the gift's payment not recorded on it, oldest first, as
    _refunds_record records them; None when one is more than what is left of the gift, or not
    as Stripe shapes a refund (the event is applied on its own, which says so)."""
    before = sum((amount for amount, _ in recorded), Decimal(0))
    known = {refund_id for _, refund_id in recorded if refund_id}
    refunds = []
    for refund in listed:
        refund_id = str(refund.get("id") or "")
        if refund.get("status") not in REFUNDS_THAT_COUNT or not refund_id or refund_id in known:
            continue
        try:
            amount = Decimal(int(refund["amount"])) / CENTS
            made = datetime.fromtimestamp(int(refund.get("created") or 0), tz=UTC)
        except PAYLOAD_NOT_AS_STRIPE_SHAPES_IT:
            return None
        if amount <= 0 or amount > gift.amount - before:
            return None
        refunds.append(
            RefundSpec(
                gift=gift,
                amount=amount,
                day=max(timezone.localtime(made, zone).date(), gift.received_on),
                memo=f"Refunded at Stripe ({refund_id})",
                refunded_before=before,
                stripe_refund_id=refund_id,
                allocations=allocations,
            )
        )
        before += amount
    return refunds


def _email_of(event: ConnectEvent) -> str:
    session = event.payload["data"]["object"]
    metadata = session.get("metadata") or {}
    details = session.get("customer_details") or {}
    if not isinstance(metadata, dict) or not isinstance(details, dict):
        return ""
    return str(metadata.get("donor_email") or details.get("email") or "").strip().lower()


def _name_of(session: dict[str, Any]) -> str:
    metadata = session.get("metadata") or {}
    details = session.get("customer_details") or {}
    return str(metadata.get("donor_name") or details.get("name") or "").strip()


def _gift_spec(
    session: dict[str, Any],
    *,
    donor: Donor | None,
    amount: Decimal,
    method: GiftMethod,
    payment_intent: str,
    received_on: date,
    fund: str,
    campaign: Campaign | None,
    recurring: RecurringGift | None,
    invoice_id: str,
) -> GiftSpec:
    """The gift online_events._gift_record records for the checkout or the installment; a new
    donor's gift names its donor once the batch has made it."""
    metadata: dict[str, Any] = session.get("metadata") or {}
    return GiftSpec(
        donor=donor if donor is not None else Donor(),
        amount=amount,
        received_on=received_on,
        method=method,
        source=GiftSource.ONLINE,
        payment_reference=payment_intent,
        allocations=[AllocationSpec(fund=fund, amount=amount)],
        campaign=campaign,
        recurring_gift=recurring,
        stripe_invoice_id=invoice_id,
        **gift_details_of(metadata, amount=amount),
    )


def _simple_events_apply(simple: Sequence[_Simple]) -> None:
    """Record the batch's gifts and refunds, in a savepoint: new donors, gifts and their
    posting (with Stripe's fees and the refunds, in the events' order) a batch each, and the
    events' outcomes in one statement. If anything is refused, the batch is undone and each
    event is applied on its own instead."""
    try:
        with undone_whole(), audit_events_together():
            _simple_events_record(simple)
    except Exception:
        logger.warning(
            "A batch of %d Connect events could not be applied together; one at a time now",
            len(simple),
            exc_info=True,
        )
        for unit in simple:
            connect_event_taken_apply(unit.event)


def _simple_events_record(simple: Sequence[_Simple]) -> None:
    gifts = [unit for unit in simple if isinstance(unit, _SimpleGift)]
    starts = [unit for unit in simple if isinstance(unit, _SimpleStart)]
    # The refunds that follow each gift of the batch, posted right after it (and its fee).
    following: dict[str, list[RefundSpec]] = {}
    leading: list[RefundSpec] = []  # refunds ahead of every gift: a batch of refunds only
    after = leading
    for unit in simple:
        if isinstance(unit, _SimpleGift):
            after = following[unit.payment_intent] = []
        elif isinstance(unit, _SimpleRefund):
            after.extend(unit.refunds)
    if leading:
        entries = accounting.entries_record(
            entries=[refund_entry_spec(refund) for refund in leading], acting_user=None
        )
        refunds_recorded(leading, entries, acting_user=None)
    made = _new_donors_made([unit for unit in simple if not isinstance(unit, _SimpleRefund)])
    started = recurring_for_subscriptions_create(
        [
            (start.facts, made[start.new_donor] if start.new_donor else start.donor, start.first_on)
            for start in starts
        ]
    )
    posted = _gifts_record(gifts, following, made) if gifts else []
    outcomes = {
        gift.event.pk: (StripeEventOutcome.PROCESSED, _recorded_detail(recorded, gift.fee))
        for gift, recorded in zip(gifts, posted, strict=True)
    }
    for start, recurring in zip(starts, started, strict=True):
        outcomes[start.event.pk] = (StripeEventOutcome.PROCESSED, monthly_started_detail(recurring))
    for unit in simple:
        if isinstance(unit, _SimpleRefund):
            outcomes[unit.event.pk] = (StripeEventOutcome.PROCESSED, _refunds_detail(unit))
    connect_events_outcomes_record(outcomes=outcomes)


def _new_donors_made(units: Sequence[_SimpleGift | _SimpleStart]) -> dict[str, Donor]:
    """The batch's new donors made in one batch, by email, each as the first of its events
    would make it (named by that checkout)."""
    names: dict[str, str] = {}
    opted_in: dict[str, bool] = {}
    for unit in units:
        if unit.new_donor and unit.new_donor not in names:
            session = unit.event.payload["data"]["object"]
            names[unit.new_donor] = _name_of(session)
            opted_in[unit.new_donor] = _opts_in(unit)
    created = (
        donors_create(
            donors=[_new_donor(email, names[email], opted_in[email]) for email in names],
            acting_user=None,
        )
        if names
        else []
    )
    return dict(zip(names, created, strict=True))


def _gifts_record(
    gifts: Sequence[_SimpleGift], following: dict[str, list[RefundSpec]], made: dict[str, Donor]
) -> list[Gift]:
    """The gifts recorded and posted, each entry followed by its fee's and the refunds that
    followed the gift in the batch (recorded on their gifts); a new donor's gift is from the
    donor `made` for its email."""
    for gift in gifts:
        if gift.spec.recurring_gift is not None:
            recurring_installment_seen(
                recurring=gift.spec.recurring_gift,
                method=gift.spec.method,
                next_charge_on=gift.next_charge_on,
            )
    specs = [
        replace(gift.spec, donor=made[gift.new_donor]) if gift.new_donor else gift.spec
        for gift in gifts
    ]
    fees = {gift.spec.payment_reference: gift.fee for gift in gifts}
    after: dict[str, int] = {}  # how many entries follow each gift's own

    def entries_after(posted: Gift) -> list[accounting.EntrySpec]:
        own = [
            *stripe_fee_entries(posted, fees[posted.payment_reference]),
            *(refund_entry_spec(refund) for refund in following[posted.payment_reference]),
        ]
        after[posted.payment_reference] = len(own)
        return own

    # Which payments are recorded was read by _simple_events under the clearing lock (an
    # installment's through its invoice: one recorded under another invoice is refused by
    # the unique index, and the drain goes one event at a time).
    posted, entries = gifts_create_post(
        gifts=specs, acting_user=None, entries_after=entries_after, payments_read_unrecorded=True
    )
    refunds: list[RefundSpec] = []
    refund_entries: list[JournalEntry] = []
    place = 0
    for recorded in posted:
        place += 1 + after[recorded.payment_reference]
        followed_by = following[recorded.payment_reference]
        refunds += followed_by
        refund_entries += entries[place - len(followed_by) : place]
    refunds_recorded(refunds, refund_entries, acting_user=None)
    return posted


def _recorded_detail(gift: Gift, fee: Decimal) -> str:
    """The event's outcome, in online_events' words for a gift or an installment."""
    if gift.recurring_gift_id is not None:
        return (
            f"Gift {gift.pk} of {gift.amount:.2f}, an installment of monthly gift "
            f"{gift.recurring_gift_id}, recorded and posted; Stripe fee {fee:.2f}."
        )
    return f"Gift {gift.pk} of {gift.amount:.2f} recorded and posted; Stripe fee {fee:.2f}."


def _refunds_detail(unit: _SimpleRefund) -> str:
    """The event's outcome, in online_events' words for a refunded charge."""
    if not unit.refunds:
        return f"Every refund of gift {unit.gift.pk} is already recorded: nothing to do."
    recorded = ", ".join(
        f"{refund.stripe_refund_id} of {refund.amount:.2f}" for refund in unit.refunds
    )
    return f"Refunds recorded on gift {unit.gift.pk}: {recorded}."


def _new_donor(email: str, name: str, email_opt_in: bool) -> DonorImportSpec:
    """A donor as online_events._donor_found_or_created makes one with no address."""
    first, _, last = name.rpartition(" ")
    if not first:
        first, last = "", name or email or "Online donor"
    return DonorImportSpec(
        names=DonorNames(kind="individual", first_name=first[:100], last_name=last[:100]),
        emails=[EmailSpec(email=email, is_primary=True)],
        email_news_ok=email_opt_in,
    )

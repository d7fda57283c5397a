"""Stripe payouts of online gifts as deposits: `payout.paid` moves the payout's amount from 1060
Stripe clearing to the bank (1010 operating cash) on the day it arrives, as a closed deposit
that names the payout and lists the balance transactions it settled (the charges with their
fees, refunds, disputes), read from Stripe; `payout.failed` takes it back out of the bank.

The entry is one transfer of the payout's amount, whatever has been recorded so far: Stripe's
clearing account holds gifts gross less their fees and refunds, so clearing to the bank exactly
what Stripe paid out keeps it equal to Stripe's balance whatever order the events come in. A
gift recorded after its payout is still the payout's: the deposit's transactions name their
PaymentIntents, the gifts' payment references. The transfer is split by fund as far as it
can be known when it is recorded: a charge's gross in its gift's funds, a refund in the fund
of its gift (when it has one), the rest (Stripe's fees, disputes, and the gifts not recorded
yet) in the general fund, where the fees are posted. A gift in another fund recorded after
its payout (the events out of order) gets an entry of its own that moves the payout's part of
it from the general fund to the gift's funds, in clearing and in the bank, as the payout would
have split it had it come first (`payout_funds_of_late_gift`): each fund's clearing balance is
exact whatever the order. A lock on the organization's Stripe clearing, taken by a payout
before it reads the gifts and by a gift before it reads the payouts, keeps the two from
missing each other when they are applied at the same time.

Each payout is recorded once: under a lock on its id, a second event for it (a replay, or
payout.paid after payout.failed) records nothing, and a failed payout is reversed once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import stripe
from django.db import transaction
from django.utils import timezone

from saas_platform.lib.bulk import rows_insert
from saas_platform.lib.connection import connection
from saas_platform.lib.errors import ServiceError
from shared_apps.billing.stripe_api import stripe_get
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import Account, EntrySource, EntryState, JournalEntry
from tenant_apps.core.services import audit_record
from tenant_apps.donations.models import (
    PAYOUT_CHARGE_TYPES,
    Deposit,
    DepositState,
    Gift,
    GiftAllocation,
    PayoutTransaction,
)
from tenant_apps.donations.services.posting import (
    DEFAULT_BANK_ACCOUNT,
    DEFAULT_FUND,
    STRIPE_CLEARING_ACCOUNT,
)
from tenant_apps.donations.services.stripe_reads import stripe_read

logger = logging.getLogger(__name__)

CENTS = Decimal("100")
PAYOUT_EVENTS = ("payout.paid", "payout.failed")
# The payout's own balance transaction (money out to the bank), listed with what it settled.
PAYOUT_OWN_TYPES = ("payout",)
CHARGE_TYPES = PAYOUT_CHARGE_TYPES


class PayoutStripeUnavailable(ServiceError):
    """Stripe did not answer for the payout's balance transactions: worth trying again."""


@dataclass(frozen=True)
class PayoutResult:
    outcome: str  # "processed" or "ignored" (StripeEventOutcome's values)
    detail: str


@dataclass(frozen=True)
class StripePayout:
    """The fields of a Stripe payout object this module reads."""

    id: str
    amount: Decimal
    currency: str
    arrival_date: date

    @classmethod
    def of(cls, payout: Any) -> StripePayout:
        if not isinstance(payout, dict):
            raise ServiceError("The payout event carries no payout.")
        payout_id = payout.get("id")
        amount = payout.get("amount")
        arrival = payout.get("arrival_date")
        if not isinstance(payout_id, str) or not payout_id.startswith("po_"):
            raise ServiceError("The payout event names no payout id.")
        if not isinstance(amount, int) or not isinstance(arrival, int):
            raise ServiceError(f"Payout {payout_id} has no amount or arrival date.")
        return cls(
            id=payout_id[:255],
            amount=Decimal(amount) / CENTS,
            currency=str(payout.get("currency") or "").upper(),
            # Stripe gives the arrival day as midnight UTC of that day.
            arrival_date=datetime.fromtimestamp(arrival, tz=UTC).date(),
        )


def payout_event_apply(
    *, event_type: str, account: str, payout: Any, occurred_on: date
) -> PayoutResult:
    """Apply `payout.paid` or `payout.failed` for `account`'s payout in the current schema, in
    the caller's transaction; `occurred_on` is the event's day in the organization's time."""
    found = StripePayout.of(payout)
    books_currency = accounting.accounting_settings().currency
    if found.currency != books_currency:
        raise ServiceError(f"A payout in {found.currency}; the books are kept in {books_currency}.")
    if found.amount <= 0:
        return PayoutResult("ignored", f"Payout {found.id} moves no money to the bank.")
    with transaction.atomic():
        clearing_lock()
        _payout_lock(found.id)
        if event_type == "payout.paid":
            return _payout_paid(found, account=account)
        return _payout_failed(found, occurred_on=occurred_on)


def _payout_lock(payout_id: str) -> None:
    """One application at a time for a payout, its deposit row being there or not yet: a lock
    on the payout's id in this schema, until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"stripe-payout:{connection.schema_name}:{payout_id}"],
        )


def clearing_lock() -> None:
    """The organization's Stripe clearing, until the transaction ends: a payout and a gift
    recorded at the same time see each other (see the module's docstring). Taken before
    anything is posted (the entry number is locked by posting): by a payout before its entry,
    by an online gift before the gift is recorded, so that the two never wait on each other
    the other way round."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"stripe-clearing:{connection.schema_name}"],
        )


def payout_funds_of_late_gift(gift: Gift) -> str:
    """A gift recorded after the payout that paid it out: the payout put its part in the
    general fund; an entry moves it to the gift's funds, Dr the bank and Cr Stripe clearing in
    each of them, the other way round in the general fund, dated the later of the payout's
    arrival and the gift. Nothing for a gift in the general fund only, or none paid out yet.
    Words for the event's outcome ("" when there was nothing to move). The caller took
    clearing_lock() before it posted the gift; taken again here, it is already held."""
    clearing_lock()
    rows = list(
        PayoutTransaction.objects.filter(
            payment_intent=gift.payment_reference, deposit__state=DepositState.CLOSED
        )
        .select_related("deposit")
        .order_by("deposit_id", "id")
    )
    if not rows:
        return ""
    allocations = list(gift.allocations.order_by("id").values_list("fund__code", "amount"))
    moved = []
    for deposit in dict.fromkeys(row.deposit for row in rows):
        settled = [row for row in rows if row.deposit_id == deposit.pk]
        per_fund = _amounts_by_fund(Decimal(0), settled, {gift.payment_reference: allocations})
        if not any(per_fund.values()):
            continue
        entry = accounting.entry_record(
            date=max(deposit.deposit_on, gift.received_on),
            memo=f"Stripe payout {deposit.stripe_payout_id}: gift {gift.pk}'s funds, known now",
            lines=_transfer_lines(per_fund),
            source=EntrySource.DONATION,
            source_reference=f"payout:{deposit.stripe_payout_id}:gift:{gift.pk}",
            acting_user=None,
        )
        audit_record(
            "deposit.stripe_payout_funds",
            acting_user=None,
            obj=deposit,
            gift=gift.pk,
            entry=entry.number,
        )
        moved.append(f"entry {entry.number} for payout {deposit.stripe_payout_id}")
    if not moved:
        return ""
    return f" Paid out before it was recorded: moved to its funds by {', '.join(moved)}."


def _payout_paid(payout: StripePayout, *, account: str) -> PayoutResult:
    existing = Deposit.objects.filter(stripe_payout_id=payout.id).first()
    if existing is not None:
        if existing.state == DepositState.FAILED:
            return PayoutResult(
                "processed", f"Payout {payout.id} failed before: nothing goes to the bank."
            )
        return PayoutResult(
            "processed", f"Already recorded as deposit {existing.pk}: nothing to do."
        )
    settled = [
        row
        for row in stripe_payout_transactions(account=account, payout_id=payout.id)
        if row.type not in PAYOUT_OWN_TYPES
    ]
    net = sum((row.net for row in settled), Decimal(0))
    if net != payout.amount:
        # The payout's amount is what reached the bank; the difference is Stripe's to explain.
        logger.warning(
            "Payout %s of %s settled transactions netting %s", payout.id, payout.amount, net
        )
    gifts = _gifts_of(row.payment_intent for row in settled)
    per_fund = _amounts_by_fund(payout.amount, settled, gifts)
    entry = accounting.entry_record(
        date=payout.arrival_date,
        memo=f"Stripe payout {payout.id}",
        lines=_transfer_lines(per_fund),
        source=EntrySource.DONATION,
        source_reference=f"payout:{payout.id}",
        acting_user=None,
    )
    deposit = Deposit.objects.create(
        deposit_on=payout.arrival_date,
        bank_account=Account.objects.get(code=DEFAULT_BANK_ACCOUNT),
        expected_count=sum(1 for row in settled if row.type in CHARGE_TYPES),
        expected_total=payout.amount,
        state=DepositState.CLOSED,
        journal_entry=entry,
        closed_at=timezone.now(),
        stripe_payout_id=payout.id,
    )
    for row in settled:
        row.deposit = deposit
    rows_insert(settled)
    found = sum(1 for row in settled if row.payment_intent in gifts and row.type in CHARGE_TYPES)
    audit_record(
        "deposit.stripe_payout",
        acting_user=None,
        obj=deposit,
        payout=payout.id,
        amount=f"{payout.amount:.2f}",
        entry=entry.number,
        transactions=len(settled),
    )
    return PayoutResult(
        "processed",
        f"Payout {payout.id} of {payout.amount:.2f} recorded as deposit {deposit.pk} "
        f"(entry {entry.number}): {len(settled)} balance transactions, {found} of "
        f"{deposit.expected_count} gifts recorded so far.",
    )


def _payout_failed(payout: StripePayout, *, occurred_on: date) -> PayoutResult:
    """The bank sent the payout back and Stripe's balance holds it again: the deposit's entry
    is reversed, or, for a payout not recorded yet, a failed deposit is kept so that its
    payout.paid, arriving late, records nothing."""
    deposit = Deposit.objects.select_for_update().filter(stripe_payout_id=payout.id).first()
    if deposit is None:
        deposit = Deposit.objects.create(
            deposit_on=payout.arrival_date,
            bank_account=Account.objects.get(code=DEFAULT_BANK_ACCOUNT),
            expected_count=0,
            expected_total=payout.amount,
            state=DepositState.FAILED,
            stripe_payout_id=payout.id,
        )
        audit_record(
            "deposit.stripe_payout_failed", acting_user=None, obj=deposit, payout=payout.id
        )
        return PayoutResult(
            "processed", f"Payout {payout.id} failed before it was paid: nothing in the books."
        )
    if deposit.state == DepositState.FAILED:
        return PayoutResult("processed", f"Payout {payout.id} is already recorded as failed.")
    entry = deposit.journal_entry
    if entry is None:  # a closed deposit has its entry (deposit_closed_has_entry)
        raise ServiceError(f"Deposit {deposit.pk} of payout {payout.id} has no entry.")
    reversal = accounting.entry_reverse(
        entry=entry,
        acting_user=None,
        date=max(occurred_on, deposit.deposit_on),
        memo=f"Stripe payout {payout.id} failed: back to Stripe clearing",
    )
    # The entries that moved gifts recorded after it to their funds go back with it.
    for moved in JournalEntry.objects.filter(
        source_reference__startswith=f"payout:{payout.id}:gift:", state=EntryState.POSTED
    ).order_by("pk"):
        accounting.entry_reverse(
            entry=moved,
            acting_user=None,
            date=max(occurred_on, moved.date),
            memo=f"Stripe payout {payout.id} failed: back to Stripe clearing",
        )
    deposit.state = DepositState.FAILED
    deposit.reversal_entry = reversal
    deposit.save(update_fields=["state", "reversal_entry"])
    audit_record(
        "deposit.stripe_payout_failed",
        acting_user=None,
        obj=deposit,
        payout=payout.id,
        reversal=reversal.number,
    )
    return PayoutResult(
        "processed",
        f"Payout {payout.id} failed: deposit {deposit.pk} reversed by entry {reversal.number}.",
    )


def stripe_payout_transactions(*, account: str, payout_id: str) -> list[PayoutTransaction]:
    """The balance transactions of the payout on the account, every page, each with the
    PaymentIntent of the charge, refund or dispute it records (its source, expanded)."""
    return stripe_read(
        ("payout_transactions", account, payout_id),
        lambda: _payout_transactions_read(account=account, payout_id=payout_id),
    )


def _payout_transactions_read(*, account: str, payout_id: str) -> list[PayoutTransaction]:
    rows: list[PayoutTransaction] = []
    params: dict[str, Any] = {"payout": payout_id, "limit": 100, "expand": ["data.source"]}
    while True:
        try:
            page = stripe_get("/v1/balance_transactions", account=account, **params)
        except stripe.StripeError as error:
            raise PayoutStripeUnavailable(
                f"Stripe did not answer for payout {payout_id}'s transactions: {error}"
            ) from None
        listed = [item for item in page.get("data") or [] if isinstance(item, dict)]
        rows.extend(_payout_transaction(values) for values in listed)
        if not page.get("has_more") or not listed:
            return rows
        params["starting_after"] = listed[-1]["id"]


def _payout_transaction(values: dict[str, Any]) -> PayoutTransaction:
    source = values.get("source")
    source_id = source.get("id") if isinstance(source, dict) else source
    payment_intent = source.get("payment_intent") if isinstance(source, dict) else None
    if isinstance(payment_intent, dict):
        payment_intent = payment_intent.get("id")
    amount = Decimal(int(values.get("amount") or 0)) / CENTS
    fee = Decimal(int(values.get("fee") or 0)) / CENTS
    return PayoutTransaction(
        stripe_id=str(values["id"])[:255],
        type=str(values.get("type") or "")[:40],
        reporting_category=str(values.get("reporting_category") or "")[:40],
        source_id=str(source_id or "")[:255],
        payment_intent=str(payment_intent or "")[:200],
        amount=amount,
        fee=fee,
        net=amount - fee,
        description=str(values.get("description") or "")[:500],
    )


# A gift's allocation as a payout shares it out: its fund's code and its amount.
type Share = tuple[str, Decimal]


def _gifts_of(payment_intents: Iterable[str]) -> dict[str, list[Share]]:
    """The recorded gifts of these PaymentIntents, as their allocations, by PaymentIntent (one
    query of three columns: a payout pays out about fifty gifts)."""
    wanted = {reference for reference in payment_intents if reference}
    found: dict[str, list[Share]] = defaultdict(list)
    for reference, fund, amount in (
        GiftAllocation.objects.filter(gift__payment_reference__in=wanted)
        .order_by("id")
        .values_list("gift__payment_reference", "fund__code", "amount")
    ):
        found[reference].append((fund, amount))
    return found


def _amounts_by_fund(
    total: Decimal,
    settled: list[PayoutTransaction],
    gifts: dict[str, list[Share]],
) -> dict[str, Decimal]:
    """The payout's amount by fund (see the module's docstring): a charge's gross in its gift's
    funds as the gift is allocated, a refund in its gift's fund when the gift has one, the rest
    in the general fund."""
    per_fund: dict[str, Decimal] = defaultdict(Decimal)
    for row in settled:
        allocations = gifts.get(row.payment_intent, [])
        if not allocations:
            continue
        gift_total = sum((amount for _, amount in allocations), Decimal(0))
        if row.type in CHARGE_TYPES and row.amount == gift_total:
            for fund, amount in allocations:
                per_fund[fund] += amount
        elif row.type == "refund" and len(allocations) == 1:
            per_fund[allocations[0][0]] += row.amount
    per_fund[DEFAULT_FUND] += total - sum(per_fund.values(), Decimal(0))
    return per_fund


def _transfer_lines(per_fund: dict[str, Decimal]) -> list[accounting.LineSpec]:
    """Dr the bank, Cr Stripe clearing, per fund; a fund that gave more back than it received
    (refunds and fees over its gifts) the other way round."""
    lines: list[accounting.LineSpec] = []
    for fund in sorted(per_fund):
        amount = per_fund[fund]
        if amount > 0:
            lines.append(accounting.LineSpec(account=DEFAULT_BANK_ACCOUNT, fund=fund, debit=amount))
            lines.append(
                accounting.LineSpec(account=STRIPE_CLEARING_ACCOUNT, fund=fund, credit=amount)
            )
        elif amount < 0:
            lines.append(
                accounting.LineSpec(account=STRIPE_CLEARING_ACCOUNT, fund=fund, debit=-amount)
            )
            lines.append(
                accounting.LineSpec(account=DEFAULT_BANK_ACCOUNT, fund=fund, credit=-amount)
            )
    return lines

"""Card disputes (chargebacks) on online gifts, from the Connect webhook's
`charge.dispute.created` and `charge.dispute.closed`.

How the books see a dispute. When the donor's bank opens a dispute, Stripe takes the disputed
amount and its dispute fee out of the organization's Stripe balance at once, but whether the
gift is lost is only known when the bank decides, often months later. Under FASB ASC 958-605 a
contribution received stays revenue until it is given back: the dispute is a doubt about its
collection, not yet a return. So:

- opened: the disputed amount moves out of Stripe clearing (1060) into 1320 "disputed online
  gifts", an asset (a receivable from Stripe, held while the bank decides), in the gift's own
  funds so that a restricted gift's money stays restricted; the dispute fee is an expense
  (8550, general fund, management and general), as Stripe's processing fee is. Clearing keeps
  matching Stripe's balance, and revenue is untouched.
- won: Stripe gives the money back (and the fee, when it does): the hold is reversed into
  clearing (and the fee returned against 8550).
- lost: the money is gone for good, so the revenue is reversed: the hold comes back into
  clearing and the disputed amount is recorded as a refund of the gift (services.gifts
  gift_refund, under the dispute's id), which takes it out of contributions and clearing and
  corrects or voids the receipt as any partial or whole refund does.

Each dispute is recorded once by Stripe's id (GiftDispute, unique), under a lock on its gift;
its hold and its release are each posted once, whatever the order the two events arrive in: a
`closed` arriving first posts both, and the `created` that follows finds them posted. An
inquiry (status warning_*) moves no money and records nothing.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from saas_platform.lib.errors import ServiceError
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import EntrySource, Function, JournalEntry
from tenant_apps.core.services import audit_record
from tenant_apps.donations.models import DisputeStatus, Gift, GiftDispute, GiftState
from tenant_apps.donations.services.gifts import gift_of_payment_locked, gift_refund
from tenant_apps.donations.services.posting import DEFAULT_FUND, STRIPE_CLEARING_ACCOUNT

CENTS = Decimal("100")
DISPUTED_GIFTS_ACCOUNT = "1320"
PROCESSING_FEES_ACCOUNT = "8550"
# Stripe's statuses of a dispute the bank has decided.
DECIDED = {"won": DisputeStatus.WON, "lost": DisputeStatus.LOST}


@dataclass(frozen=True)
class DisputeResult:
    """What applying a dispute event came to: `applied` False when there was nothing of ours
    to act on (an inquiry, a charge no gift has)."""

    applied: bool
    detail: str


def _cents(value: Any) -> Decimal:
    return Decimal(int(value or 0)) / CENTS


def _fees(dispute: dict[str, Any]) -> tuple[Decimal, Decimal]:
    """The dispute fee Stripe took and the part of it given back, from the dispute's balance
    transactions: the withdrawal (a negative amount) carries the fee, a reinstatement (a
    positive amount) carries the fee returned as a negative fee."""
    taken = returned = Decimal(0)
    for transaction in dispute.get("balance_transactions") or []:
        if not isinstance(transaction, dict):
            continue
        if int(transaction.get("amount") or 0) < 0:
            taken += _cents(transaction.get("fee"))
        else:
            returned += -_cents(transaction.get("fee"))
    return taken, max(returned, Decimal(0))


def gift_dispute_apply(
    *, dispute: dict[str, Any], happened_at: datetime, time_zone: str
) -> DisputeResult:
    """Record a dispute Stripe reports (its object, as `charge.dispute.*` carries it) on the gift
    of its PaymentIntent: the hold when first seen, the release and outcome once decided (see
    the module). Call inside the event's transaction."""
    dispute_id = str(dispute.get("id") or "")
    status = str(dispute.get("status") or "")
    if not dispute_id.startswith("du_") and not dispute_id.startswith("dp_"):
        raise ServiceError("The dispute has no id.")
    if status.startswith("warning_"):
        return DisputeResult(False, "An inquiry: no money moved, nothing is recorded.")
    payment_intent = dispute.get("payment_intent")
    gift = (
        gift_of_payment_locked(payment_intent)
        if isinstance(payment_intent, str) and payment_intent
        else None
    )
    if gift is None:
        return DisputeResult(False, f"No gift has the payment {payment_intent}: nothing to do.")
    zone = zoneinfo.ZoneInfo(time_zone)
    opened = datetime.fromtimestamp(int(dispute.get("created") or 0), tz=UTC)
    record = GiftDispute.objects.select_for_update().filter(stripe_dispute_id=dispute_id).first()
    done: list[str] = []
    if record is None:
        record = _hold(
            gift, dispute, opened_on=max(timezone.localtime(opened, zone).date(), gift.received_on)
        )
        done.append(f"held {record.amount:.2f} (fee {record.fee:.2f})")
    outcome = DECIDED.get(status)
    if outcome is not None and record.outcome == DisputeStatus.OPEN:
        day = max(timezone.localtime(happened_at, zone).date(), record.opened_on)
        _decide(gift, record, dispute, outcome=outcome, day=day)
        done.append(f"{outcome.label.lower()}")
    record.stripe_status = status or record.stripe_status
    record.save(update_fields=["stripe_status", "updated_at"])
    if not done:
        return DisputeResult(True, f"Dispute {dispute_id} on gift {gift.pk} already recorded.")
    return DisputeResult(True, f"Dispute {dispute_id} on gift {gift.pk}: {', '.join(done)}.")


def _fund_shares(gift: Gift, amount: Decimal) -> list[tuple[str, Decimal]]:
    """`amount` shared among the gift's funds as the gift is (to the cent; the last fund takes
    what rounding leaves)."""
    allocations = list(gift.allocations.select_related("fund").order_by("fund__code"))
    if not allocations:
        return [(DEFAULT_FUND, amount)]
    shares, left = [], amount
    for number, allocation in enumerate(allocations):
        share = (
            left
            if number == len(allocations) - 1
            else (amount * allocation.amount / gift.amount).quantize(Decimal("0.01"))
        )
        left -= share
        if share:
            shares.append((allocation.fund.code, share))
    return shares


def _moved(gift: Gift, amount: Decimal, *, into: str, out_of: str) -> list[accounting.LineSpec]:
    return [
        line
        for fund, share in _fund_shares(gift, amount)
        for line in (
            accounting.LineSpec(account=into, fund=fund, debit=share),
            accounting.LineSpec(account=out_of, fund=fund, credit=share),
        )
    ]


def _fee_lines(fee: Decimal, *, returned: bool) -> list[accounting.LineSpec]:
    """Stripe's dispute fee as an expense taken out of clearing, or, `returned`, given back."""
    if not fee:
        return []
    expense = accounting.LineSpec(
        account=PROCESSING_FEES_ACCOUNT,
        fund=DEFAULT_FUND,
        function=Function.MANAGEMENT_GENERAL,
        debit=None if returned else fee,
        credit=fee if returned else None,
    )
    clearing = accounting.LineSpec(
        account=STRIPE_CLEARING_ACCOUNT,
        fund=DEFAULT_FUND,
        debit=fee if returned else None,
        credit=None if returned else fee,
    )
    return [expense, clearing]


def _entry(gift: Gift, *, day: date, memo: str, lines: list[accounting.LineSpec]) -> JournalEntry:
    return accounting.entry_record(
        date=day,
        memo=memo[:500],
        lines=lines,
        source=EntrySource.DONATION,
        source_reference=f"gift:{gift.pk}",
        acting_user=None,
    )


def _hold(gift: Gift, dispute: dict[str, Any], *, opened_on: date) -> GiftDispute:
    amount = _cents(dispute.get("amount"))
    if amount <= 0:
        raise ServiceError(f"Dispute {dispute.get('id')} is for no amount.")
    fee, _ = _fees(dispute)
    entry = _entry(
        gift,
        day=opened_on,
        memo=f"Gift {gift.pk} disputed at Stripe ({dispute['id']}): held until the bank decides",
        lines=[
            *_moved(gift, amount, into=DISPUTED_GIFTS_ACCOUNT, out_of=STRIPE_CLEARING_ACCOUNT),
            *_fee_lines(fee, returned=False),
        ],
    )
    record = GiftDispute.objects.create(
        gift=gift,
        stripe_dispute_id=str(dispute["id"]),
        amount=amount,
        fee=fee,
        reason=str(dispute.get("reason") or "")[:50],
        stripe_status=str(dispute.get("status") or "")[:30],
        opened_on=opened_on,
        hold_entry=entry,
    )
    gift.dispute_status = DisputeStatus.OPEN
    gift.save(update_fields=["dispute_status", "updated_at"])
    audit_record(
        "gift.dispute_open",
        acting_user=None,
        obj=gift,
        dispute=record.stripe_dispute_id,
        amount=f"{amount:.2f}",
        entry=entry.number,
    )
    return record


def _decide(
    gift: Gift, record: GiftDispute, dispute: dict[str, Any], *, outcome: str, day: date
) -> None:
    _, fee_returned = _fees(dispute)
    release = _entry(
        gift,
        day=day,
        memo=f"Dispute {record.stripe_dispute_id} on gift {gift.pk} decided: {outcome}",
        lines=[
            *_moved(
                gift, record.amount, into=STRIPE_CLEARING_ACCOUNT, out_of=DISPUTED_GIFTS_ACCOUNT
            ),
            *_fee_lines(min(fee_returned, record.fee), returned=True),
        ],
    )
    record.outcome = outcome
    record.closed_on = day
    record.release_entry = release
    record.fee_returned = min(fee_returned, record.fee)
    record.save(update_fields=["outcome", "closed_on", "release_entry", "fee_returned"])
    if outcome == DisputeStatus.LOST:
        _lost_as_refund(gift, record, day=day)
    gift.refresh_from_db(fields=["state", "refund_entry"])
    gift.dispute_status = outcome
    gift.save(update_fields=["dispute_status", "updated_at"])
    audit_record(
        f"gift.dispute_{outcome}",
        acting_user=None,
        obj=gift,
        dispute=record.stripe_dispute_id,
        entry=release.number,
    )


def _lost_as_refund(gift: Gift, record: GiftDispute, *, day: date) -> None:
    """The lost amount (at most what is left of the gift) counts as refunded: revenue reversed,
    the receipt corrected. A gift no longer posted (refunded already) has nothing left."""
    if gift.state != GiftState.POSTED:
        return
    refunded = sum((refund.amount for refund in gift.refunds.all()), Decimal(0))
    amount = min(record.amount, gift.amount - refunded)
    if amount <= 0:
        return
    gift_refund(
        gift=gift,
        acting_user=None,
        date=day,
        memo=f"Dispute {record.stripe_dispute_id} lost: the bank returned it to the donor",
        amount=amount,
        stripe_refund_id=record.stripe_dispute_id,
    )

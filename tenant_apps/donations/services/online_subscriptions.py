"""Monthly gifts through Stripe: the RecurringGift that stands for a Stripe subscription on the
organization's connected account, made from whichever of its events arrives first and kept in
the state Stripe last reported.

Stripe's events for one subscription arrive in any order (`invoice.paid` before the
`checkout.session.completed` that started it, `customer.subscription.deleted` before an older
`.updated`). So every event takes a transaction-scoped advisory lock on the subscription's id
before it looks, which makes "find or create" safe between two workers; a state is applied only
if it is not older than the one recorded (the event's time), and a cancelled subscription stays
cancelled (Stripe never revives one). The gifts themselves (one per paid invoice) are recorded
by services.online_events, through the same function as one-time gifts.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import connection

from saas_platform.lib.bulk import rows_insert
from saas_platform.lib.errors import ServiceError
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import Fund
from tenant_apps.core.models import AuditEvent
from tenant_apps.core.services import audit_event, audit_events_record, audit_record
from tenant_apps.donations.models import (
    Campaign,
    Frequency,
    GiftMethod,
    RecurringGift,
    RecurringGiftState,
)
from tenant_apps.donations.services.posting import DEFAULT_FUND
from tenant_apps.donors.models import Donor

# Stripe's subscription statuses and the state of the recurring gift each means. past_due and
# unpaid are still the donor's monthly gift (Stripe is retrying the card): active, with
# Stripe's status shown beside it.
STATE_OF_STATUS = {
    "active": RecurringGiftState.ACTIVE,
    "trialing": RecurringGiftState.ACTIVE,
    "incomplete": RecurringGiftState.ACTIVE,
    "past_due": RecurringGiftState.ACTIVE,
    "unpaid": RecurringGiftState.ACTIVE,
    "paused": RecurringGiftState.PAUSED,
    "canceled": RecurringGiftState.CANCELLED,
    "incomplete_expired": RecurringGiftState.CANCELLED,
}
CANCELED = "canceled"


@dataclass(frozen=True)
class SubscriptionFacts:
    """What an event says of a subscription (None: it does not say)."""

    subscription_id: str
    # When Stripe said it (the event's time); None for what is not a report of the
    # subscription's state (a checkout, an invoice), which any later report overrides.
    at: datetime | None
    amount: Decimal | None = None
    status: str | None = None
    cancel_at_period_end: bool | None = None
    next_charge_on: date | None = None
    method: str | None = None
    fund: str = ""
    campaign: str = ""


def subscription_lock(subscription_id: str) -> None:
    """Hold the subscription's advisory lock until the transaction ends: the events of one
    subscription are applied one at a time, whichever workers have them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"stripe-subscription:{subscription_id}"],
        )


def recurring_of_subscription(subscription_id: str) -> RecurringGift | None:
    return (
        RecurringGift.objects.select_for_update(no_key=True, of=("self",))
        .select_related("donor", "fund", "campaign")
        .filter(stripe_subscription_id=subscription_id)
        .first()
    )


def _month_later(day: date) -> date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def _fund_code(code: str) -> str:
    if code and Fund.objects.filter(code=code, is_active=True).exists():
        return code
    return DEFAULT_FUND  # none chosen, or closed since: the general fund


def campaign_of_metadata(value: str) -> Campaign | None:
    """The campaign a checkout's metadata names (by its code), if it is one of ours."""
    if not value:
        return None
    return Campaign.objects.filter(code__iexact=value.strip()).first()


def subscriptions_lock(subscription_ids: Sequence[str]) -> None:
    """subscription_lock for each of the subscriptions, in one statement, in sorted order (as
    any two transactions take them, so neither waits for the other's)."""
    if not subscription_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('stripe-subscription:' || id, 0)) "
            "FROM unnest(%s::text[]) AS id",
            [sorted(set(subscription_ids))],
        )


def recurring_for_subscription_create(
    *, facts: SubscriptionFacts, donor: Donor, first_on: date
) -> RecurringGift:
    """The monthly gift of a subscription not seen before (call under subscription_lock, having
    found none): active from `first_on`, the day of its first charge."""
    recurring = _recurring_new(
        facts,
        donor=donor,
        first_on=first_on,
        fund=Fund.objects.get(code=_fund_code(facts.fund)),
        campaign=campaign_of_metadata(facts.campaign),
    )
    recurring.save(force_insert=True)
    _created_audit(recurring, facts).save(force_insert=True)
    return recurring


def recurring_for_subscriptions_create(
    starts: Sequence[tuple[SubscriptionFacts, Donor, date]],
) -> list[RecurringGift]:
    """recurring_for_subscription_create for each (facts, donor, first day) of a batch: the
    funds read at once, the monthly gifts and their audit rows written a statement each."""
    if not starts:
        return []
    open_funds = {
        fund.code: fund
        for fund in Fund.objects.filter(
            code__in={facts.fund for facts, _, _ in starts} | {DEFAULT_FUND}, is_active=True
        )
    }
    general = open_funds.get(DEFAULT_FUND) or Fund.objects.get(code=DEFAULT_FUND)
    campaigns = {
        code: campaign_of_metadata(code) for code in {facts.campaign for facts, _, _ in starts}
    }
    made = rows_insert(
        [
            _recurring_new(
                facts,
                donor=donor,
                first_on=first_on,
                fund=open_funds.get(facts.fund, general),
                campaign=campaigns[facts.campaign],
            )
            for facts, donor, first_on in starts
        ]
    )
    audit_events_record(
        [
            _created_audit(recurring, facts)
            for recurring, (facts, _, _) in zip(made, starts, strict=True)
        ]
    )
    return made


def _recurring_new(
    facts: SubscriptionFacts, *, donor: Donor, first_on: date, fund: Fund, campaign: Campaign | None
) -> RecurringGift:
    if facts.amount is None or facts.amount <= 0:
        raise ServiceError(f"Stripe gives no amount for subscription {facts.subscription_id}.")
    next_on = facts.next_charge_on or _month_later(first_on)
    return RecurringGift(
        donor=donor,
        amount=facts.amount,
        currency=accounting.accounting_settings().currency,
        frequency=Frequency.MONTHLY,
        next_on=next_on,
        anchor_day=first_on.day,
        method=facts.method or GiftMethod.CARD,
        fund=fund,
        campaign=campaign,
        stripe_subscription_id=facts.subscription_id,
        stripe_status=facts.status or "active",
        cancel_at_period_end=bool(facts.cancel_at_period_end),
        end_on=next_on if facts.cancel_at_period_end else None,
        stripe_status_at=facts.at,
        state=STATE_OF_STATUS.get(facts.status or "active", RecurringGiftState.ACTIVE),
    )


def _created_audit(recurring: RecurringGift, facts: SubscriptionFacts) -> AuditEvent:
    return audit_event(
        "recurring_gift.create",
        acting_user=None,
        obj=recurring,
        donor=recurring.donor_id,
        amount=f"{recurring.amount:.2f}",
        frequency=Frequency.MONTHLY,
        stripe_subscription=facts.subscription_id,
    )


def recurring_from_stripe_update(*, recurring: RecurringGift, facts: SubscriptionFacts) -> str:
    """Bring the (locked) recurring gift to what Stripe says, unless Stripe said something newer
    already or cancelled it; what changed, in words."""
    if recurring.stripe_status == CANCELED:
        return f"Recurring gift {recurring.pk} is cancelled at Stripe: it stays cancelled."
    if facts.at is None:
        raise ServiceError("A subscription's state comes with the time Stripe reported it.")
    if recurring.stripe_status_at is not None and facts.at < recurring.stripe_status_at:
        return f"An older state of recurring gift {recurring.pk}: nothing changes."
    values: dict[str, object] = {"stripe_status_at": facts.at}
    if facts.amount is not None and facts.amount > 0:
        values["amount"] = facts.amount
    if facts.method is not None:
        values["method"] = facts.method
    if facts.status is not None:
        values["stripe_status"] = facts.status
        values["state"] = STATE_OF_STATUS.get(facts.status, recurring.state)
    if facts.next_charge_on is not None and facts.status != CANCELED:
        values["next_on"] = facts.next_charge_on
    if facts.cancel_at_period_end is not None:
        values["cancel_at_period_end"] = facts.cancel_at_period_end
        # Cancelling at the period's end: the gift already paid for is the last.
        values["end_on"] = (
            (facts.next_charge_on or recurring.next_on) if facts.cancel_at_period_end else None
        )
    changed = sorted(name for name, value in values.items() if getattr(recurring, name) != value)
    for name, value in values.items():
        setattr(recurring, name, value)
    recurring.save(update_fields=[*values, "updated_at"])
    shown = [name for name in changed if name != "stripe_status_at"]
    if shown:
        audit_record(
            "recurring_gift.stripe_update",
            acting_user=None,
            obj=recurring,
            changed=shown,
            stripe_status=recurring.stripe_status,
        )
    return (
        f"Recurring gift {recurring.pk} now {recurring.get_state_display().lower()} "
        f"({recurring.stripe_status or 'active'}), {recurring.amount:.2f} a month"
        + (f"; changed: {', '.join(shown)}." if shown else "; nothing changed.")
    )


def recurring_installment_seen(
    *, recurring: RecurringGift, method: str, next_charge_on: date | None
) -> None:
    """A paid invoice of the (locked) recurring gift says how the donor paid and, by the period
    it paid for, when the next charge is."""
    values: dict[str, object] = {}
    if method != recurring.method:
        values["method"] = method
    if (
        next_charge_on is not None
        and next_charge_on > recurring.next_on
        and recurring.state != RecurringGiftState.CANCELLED
    ):
        values["next_on"] = next_charge_on
    for name, value in values.items():
        setattr(recurring, name, value)
    if values:
        recurring.save(update_fields=[*values, "updated_at"])

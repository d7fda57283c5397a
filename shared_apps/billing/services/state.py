"""The subscription's state, rebuilt from events: every stored webhook event of its
organization, applied in the order Stripe created them (`subscription_state_rebuild`). So the
result depends on which events arrived, never on the order they arrived in, and a replay
changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from saas_platform.lib.errors import StateConflict
from shared_apps.billing.models import (
    Plan,
    StripeEvent,
    StripeEventOutcome,
    Subscription,
    SubscriptionStatus,
)
from shared_apps.billing.services.suspension import billing_suspension_lift

# --- The events billing acts on ------------------------------------------------------------------

HANDLED_TYPES = (
    "checkout.session.completed",
    "invoice.paid",
    "invoice.payment_failed",
    "customer.subscription.updated",
    "customer.subscription.deleted",
)
# Events created in the same second are applied in this order, so that the outcome does not
# depend on their arrival either: a deletion is final, and a paid invoice settles a failure.
_SAME_SECOND_RANK = {
    "checkout.session.completed": 0,
    "customer.subscription.updated": 1,
    "invoice.payment_failed": 2,
    "invoice.paid": 3,
    "customer.subscription.deleted": 4,
}


def stripe_object_id(value: Any) -> str:
    """An id from an event's object: a string, or an expanded object's id."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


# --- The subscription's state, from its events ---------------------------------------------------

_STATUS_OF_STRIPE = {
    "active": SubscriptionStatus.ACTIVE,
    "trialing": SubscriptionStatus.TRIALING,
    "past_due": SubscriptionStatus.PAST_DUE,
    "unpaid": SubscriptionStatus.PAST_DUE,
    # A paused subscription (a trial that ended without a card) is not being paid for.
    "paused": SubscriptionStatus.PAST_DUE,
    "canceled": SubscriptionStatus.CANCELED,
    "incomplete_expired": SubscriptionStatus.CANCELED,
    # "incomplete": the first payment is under way; it says nothing yet.
}


@dataclass
class _State:
    status: str
    past_due_since: datetime | None
    current_period_end: datetime | None
    plan: Plan
    stripe_subscription_id: str
    # Whether an event said the status, rather than it being the plan's starting point (a
    # trial, for a paid plan): a trial nobody subscribed to is not a payment.
    status_from_event: bool = False


def _free_plan(plans: dict[str, Plan]) -> Plan | None:
    """The plan a cancelled subscription falls back to: the first free one offered."""
    free = [plan for plan in plans.values() if plan.monthly_price == 0]
    free.sort(key=lambda plan: (not plan.is_public, plan.sort_order, plan.code))
    return free[0] if free else None


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, int) and 0 < value < 2**40:
        return datetime.fromtimestamp(value, tz=UTC)
    return None


def _latest(*moments: datetime | None) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


def _plan_of_price(price_id: str, plans: dict[str, Plan]) -> Plan | None:
    return next((plan for plan in plans.values() if plan.stripe_price_id == price_id), None)


def _items_of(obj: dict[str, Any]) -> list[dict[str, Any]]:
    items = obj.get("items")
    if not isinstance(items, dict):
        items = {}
    data = items.get("data")
    if not isinstance(data, list):
        data = []
    return [item for item in data if isinstance(item, dict)]


def _period_end_of_invoice(obj: dict[str, Any]) -> datetime | None:
    """The end of the period a subscription invoice pays for: its lines' periods (the
    invoice's own period_end is the end of the previous period, for subscriptions)."""
    lines = obj.get("lines")
    if not isinstance(lines, dict):
        lines = {}
    data = lines.get("data")
    if not isinstance(data, list):
        data = []
    ends = [
        _timestamp(line["period"].get("end"))
        for line in data
        if isinstance(line, dict) and isinstance(line.get("period"), dict)
    ]
    return _latest(*ends)


def _apply(state: _State, event: StripeEvent, plans: dict[str, Plan]) -> None:
    """One event's effect on the state built from the events created before it."""
    obj = event.payload["data"]["object"]
    status: str | None = None
    if event.subscription_id:
        state.stripe_subscription_id = event.subscription_id
    if event.type == "checkout.session.completed":
        if obj.get("mode") != "subscription":
            return
        metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        plan = plans.get(str(metadata.get("plan_code") or ""))
        if plan is not None:
            state.plan = plan
        status = {
            "paid": SubscriptionStatus.ACTIVE,
            "no_payment_required": SubscriptionStatus.TRIALING,
        }.get(str(obj.get("payment_status")))
    elif event.type == "invoice.paid":
        status = SubscriptionStatus.ACTIVE
        state.current_period_end = _latest(state.current_period_end, _period_end_of_invoice(obj))
    elif event.type == "invoice.payment_failed":
        status = SubscriptionStatus.PAST_DUE
    elif event.type in ("customer.subscription.updated", "customer.subscription.deleted"):
        items = _items_of(obj)
        ends = [_timestamp(item.get("current_period_end")) for item in items]
        state.current_period_end = _latest(state.current_period_end, *ends)
        for item in items:
            price = item.get("price")
            plan = _plan_of_price(stripe_object_id(price), plans) if price else None
            if plan is not None:
                state.plan = plan
                break
        if event.type == "customer.subscription.deleted":
            status = SubscriptionStatus.CANCELED
        else:
            status = _STATUS_OF_STRIPE.get(str(obj.get("status")))
    if status is None:
        return
    if status == SubscriptionStatus.PAST_DUE:
        if state.status != SubscriptionStatus.PAST_DUE or state.past_due_since is None:
            state.past_due_since = event.created
    else:
        state.past_due_since = None
    state.status = status
    state.status_from_event = True


def _sort_key(event: StripeEvent) -> tuple[datetime, int, str]:
    return (event.created, _SAME_SECOND_RANK.get(event.type, -1), event.stripe_id)


def subscription_state_rebuild(*, subscription: Subscription) -> str:
    """Recompute the subscription from every stored event of its organization (and of its Stripe
    customer, for events that came before the customer was known),
    in the order Stripe created them, then save it and suspend or reactivate nothing but what
    follows from it (a payment lifts a suspension billing made). Returns what changed.

    The caller holds the subscription's row lock, so two events of one organization are
    applied one after the other, each seeing the other's row.
    """
    organization = subscription.organization
    query = Q(organization=organization)
    if subscription.stripe_customer_id:
        query |= Q(customer_id=subscription.stripe_customer_id)
        # Events of this customer that came before anything named its organization: they are
        # applied now, and say so. (A checkout always names its organization itself.)
        StripeEvent.objects.filter(
            customer_id=subscription.stripe_customer_id,
            organization__isnull=True,
            outcome=StripeEventOutcome.IGNORED,
            type__in=HANDLED_TYPES,
        ).exclude(type="checkout.session.completed").update(
            organization=organization,
            outcome=StripeEventOutcome.PROCESSED,
            outcome_detail="Applied once its organization was known.",
        )
    events: Iterable[StripeEvent] = sorted(
        StripeEvent.objects.filter(query, type__in=HANDLED_TYPES),
        key=_sort_key,
    )
    plans = {plan.code: plan for plan in Plan.objects.all()}
    base_status = (
        SubscriptionStatus.ACTIVE
        if subscription.plan.monthly_price == 0
        else SubscriptionStatus.TRIALING
    )
    state = _State(
        status=base_status,
        past_due_since=None,
        current_period_end=None,
        plan=subscription.plan,
        stripe_subscription_id=subscription.stripe_subscription_id,
    )
    for event in events:
        _apply(state, event, plans)
    if state.status == SubscriptionStatus.CANCELED and state.plan.monthly_price > 0:
        # A paid subscription that ended (cancelled in the portal, or by Stripe after failed
        # retries): the organization keeps its data and its access, on the free plan, whose
        # limits then apply, until it subscribes again. Nothing is suspended for it.
        state.plan = _free_plan(plans) or state.plan

    before = {
        "status": subscription.status,
        "past_due_since": subscription.past_due_since,
        "current_period_end": subscription.current_period_end,
        "plan": subscription.plan.code,
        "stripe_subscription_id": subscription.stripe_subscription_id,
    }
    subscription.status = state.status
    subscription.past_due_since = state.past_due_since
    subscription.current_period_end = _latest(
        subscription.current_period_end, state.current_period_end
    )
    subscription.plan = state.plan
    subscription.stripe_subscription_id = state.stripe_subscription_id
    after = {
        "status": subscription.status,
        "past_due_since": subscription.past_due_since,
        "current_period_end": subscription.current_period_end,
        "plan": subscription.plan.code,
        "stripe_subscription_id": subscription.stripe_subscription_id,
    }
    changed = sorted(key for key in after if after[key] != before[key])
    try:
        if changed:  # an event that changes nothing leaves the row as it was
            with transaction.atomic():
                subscription.save()
    except IntegrityError:
        raise StateConflict(
            f"Subscription {state.stripe_subscription_id} belongs to another organization."
        ) from None
    if organization.plan_code != subscription.plan.code:
        organization.plan_code = subscription.plan.code
        organization.save(update_fields=["plan_code", "updated_at"])
    notes = [f"{key}: {before[key]} -> {after[key]}" for key in changed]
    # Paid, or in a trial Stripe runs (a subscription with a card). The trial every paid plan
    # starts with is not enough: an organization suspended because it ended would otherwise be
    # reactivated by any event that says nothing of a payment (an incomplete checkout's update).
    paying = subscription.status == SubscriptionStatus.ACTIVE or (
        subscription.status == SubscriptionStatus.TRIALING and state.status_from_event
    )
    if paying and billing_suspension_lift(subscription):
        notes.append("reactivated")
    return "; ".join(notes) or "no change"

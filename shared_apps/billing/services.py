"""Writes of billing: trials, Stripe customers, Checkout and portal sessions, webhook events, the
suspension of organizations whose payment failed, or whose trial ended unpaid, longer ago than
the grace period, and the cancellation at Stripe of an organization's subscription when it is
deleted.

Webhook events are stored once by id; the subscription's state is then recomputed from ALL the
stored events of its organization, applied in the order Stripe created them
(`subscription_state_rebuild`). So the result depends on which events arrived, never on the
order they arrived in, and a replay changes nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings
from django.db import DataError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from saas_platform.lib.errors import ServiceError, StateConflict
from shared_apps.billing.models import (
    Plan,
    StripeEvent,
    StripeEventOutcome,
    Subscription,
    SubscriptionStatus,
)
from shared_apps.billing.selectors import plans_for_sale, subscription_can_check_out
from shared_apps.billing.stripe_api import NOT_CONFIGURED, stripe_client, stripe_configured
from shared_apps.tenants.models import Organization, OrganizationState
from shared_apps.tenants.services import organization_state_set
from tenant_apps.core.services import audit_record

if TYPE_CHECKING:
    from stripe.params.checkout import SessionCreateParamsSubscriptionData

    from shared_apps.users.models import User

logger = logging.getLogger(__name__)


class WebhookRefused(ServiceError):
    """A webhook delivery that is not a verified, well-formed Stripe event: nothing is stored."""


# --- Audit ---------------------------------------------------------------------------------------


def _audit(
    organization: Organization, action: str, *, acting_user: User | None, **detail: Any
) -> None:
    """The audit row in the organization's own log (one per organization, in its schema)."""
    if organization.is_public or not schema_exists(organization.schema_name):
        return
    subscription = Subscription.objects.filter(organization=organization).first()
    with schema_context(organization.schema_name):
        audit_record(
            action,
            acting_user=acting_user,
            obj=subscription if subscription is not None else organization,
            **detail,
        )


# --- Trials --------------------------------------------------------------------------------------


def subscription_trial_start(
    *, organization: Organization, plan: Plan, now: datetime | None = None
) -> Subscription:
    """The organization's subscription: a trial of `plan` for plan.trial_days (a free plan is
    simply active). Idempotent: an organization that has a subscription keeps it as it is."""
    now = now or timezone.now()
    free = plan.monthly_price == 0
    with transaction.atomic():
        subscription, created = Subscription.objects.get_or_create(
            organization=organization,
            defaults={
                "plan": plan,
                "status": SubscriptionStatus.ACTIVE if free else SubscriptionStatus.TRIALING,
                "trial_ends_at": None if free else now + timedelta(days=plan.trial_days),
            },
        )
        if created and organization.plan_code != plan.code:
            organization.plan_code = plan.code
            organization.save(update_fields=["plan_code", "updated_at"])
    if created:
        logger.info("%s starts on %s (%s)", organization.slug, plan.code, subscription.status)
    return subscription


def _subscription_locked(organization: Organization) -> Subscription:
    """The organization's subscription, locked for this transaction; a trial of its plan (or
    of the first plan offered) if it has none yet."""
    subscription = (
        Subscription.objects.select_for_update().filter(organization=organization).first()
    )
    if subscription is not None:
        return subscription
    plan = Plan.objects.filter(code=organization.plan_code).first() or Plan.objects.first()
    if plan is None:
        raise StateConflict("No plan is set up: an operator must create one first.")
    subscription_trial_start(organization=organization, plan=plan)
    return Subscription.objects.select_for_update().get(organization=organization)


# --- Checkout and the customer portal ------------------------------------------------------------


def _stripe_refused(error: stripe.StripeError) -> ServiceError:
    logger.warning("Stripe refused a request: %s", error)
    return ServiceError(
        "Stripe could not be reached or refused the request; nothing was charged. Try again in "
        "a few minutes."
    )


def _customer_ensure(subscription: Subscription, *, organization: Organization, email: str) -> str:
    """The organization's Stripe customer, created the first time only. The idempotency key
    makes Stripe answer a repeated creation (a retry after a lost answer) with the same one."""
    if subscription.stripe_customer_id:
        return subscription.stripe_customer_id
    customer = stripe_client().v1.customers.create(
        params={
            "name": organization.name,
            "email": email or organization.owner_email,
            "metadata": {"organization_id": str(organization.pk), "slug": organization.slug},
        },
        options={"idempotency_key": f"ifm-customer-organization-{organization.pk}"},
    )
    subscription.stripe_customer_id = customer.id
    subscription.save(update_fields=["stripe_customer_id", "updated_at"])
    return customer.id


def checkout_session_create(
    *,
    organization: Organization,
    plan: Plan,
    success_url: str,
    cancel_url: str,
    acting_user: User | None = None,
) -> str:
    """A Stripe Checkout session (subscription mode) for `plan`; returns the page to send the
    person to. What is left of a trial carries over, so subscribing early costs nothing."""
    if not stripe_configured():
        raise StateConflict(NOT_CONFIGURED)
    if not plan.stripe_price_id:
        raise ServiceError(
            f"The {plan.name} plan cannot be bought online.", fields={"plan": ["Not for sale."]}
        )
    with transaction.atomic():
        # The row lock makes two people subscribing at once share one Stripe customer.
        subscription = _subscription_locked(organization)
        if not subscription_can_check_out(subscription):
            raise StateConflict(
                "This organization has a subscription already: change its plan or card in the "
                "billing portal."
            )
        email = getattr(acting_user, "email", "") or ""
        try:
            customer_id = _customer_ensure(subscription, organization=organization, email=email)
        except stripe.StripeError as error:
            raise _stripe_refused(error) from None
    # Kept even if the session below fails: the customer exists at Stripe now.
    subscription_data: SessionCreateParamsSubscriptionData = {
        "metadata": {"organization_id": str(organization.pk), "plan_code": plan.code}
    }
    trial_end = subscription.trial_ends_at
    # Stripe wants a trial to end at least 48 hours ahead; a shorter rest is dropped.
    if trial_end is not None and trial_end > timezone.now() + timedelta(hours=49):
        subscription_data["trial_end"] = int(trial_end.timestamp())
    try:
        session = stripe_client().v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "customer": customer_id,
                "client_reference_id": str(organization.pk),
                "line_items": [{"price": plan.stripe_price_id, "quantity": 1}],
                "success_url": success_url,
                "cancel_url": cancel_url,
                "metadata": {"organization_id": str(organization.pk), "plan_code": plan.code},
                "subscription_data": subscription_data,
            }
        )
    except stripe.StripeError as error:
        raise _stripe_refused(error) from None
    with transaction.atomic():
        _audit(
            organization,
            "billing.checkout",
            acting_user=acting_user,
            plan=plan.code,
            session=session.id,
        )
    if not session.url:
        raise ServiceError("Stripe did not return a checkout page. Try again.")
    return session.url


def portal_session_create(
    *, organization: Organization, return_url: str, acting_user: User | None = None
) -> str:
    """A session of Stripe's customer portal, where the card, the plan and invoices are
    managed; returns its address."""
    if not stripe_configured():
        raise StateConflict(NOT_CONFIGURED)
    subscription = Subscription.objects.filter(organization=organization).first()
    if subscription is None or not subscription.stripe_customer_id:
        raise StateConflict("Subscribe first: there is no card or invoice to manage yet.")
    try:
        session = stripe_client().v1.billing_portal.sessions.create(
            params={"customer": subscription.stripe_customer_id, "return_url": return_url}
        )
    except stripe.StripeError as error:
        raise _stripe_refused(error) from None
    _audit(organization, "billing.portal", acting_user=acting_user)
    return session.url


# --- Cancellation, when the organization is deleted ---------------------------------------------


class StripeCancellationOutcome:
    CANCELED = "canceled"
    ALREADY_CANCELED = "already_canceled"
    NONE = "none"
    NOT_CONFIGURED = "not_configured"


@dataclass(frozen=True)
class StripeCancellation:
    """What subscription_stripe_cancel did, for the caller's record."""

    outcome: str
    subscription_id: str = ""

    @property
    def note(self) -> str:
        return {
            StripeCancellationOutcome.CANCELED: (
                f"Stripe subscription {self.subscription_id} cancelled."
            ),
            StripeCancellationOutcome.ALREADY_CANCELED: (
                f"Stripe subscription {self.subscription_id} was already cancelled at Stripe."
            ),
            StripeCancellationOutcome.NONE: "No Stripe subscription to cancel.",
            StripeCancellationOutcome.NOT_CONFIGURED: (
                f"Stripe is not configured: subscription {self.subscription_id} was not "
                "cancelled at Stripe."
            ),
        }[self.outcome]


def subscription_stripe_cancel(*, organization: Organization) -> StripeCancellation:
    """Cancel the organization's Stripe subscription at once, so that it is charged no more: for
    an organization about to be deleted. No final invoice and no proration credit
    (invoice_now and prorate false): the period already paid is not refunded here; a refund,
    if one is owed, is made from Stripe's dashboard.

    Idempotent: a subscription already cancelled counts as done (Stripe answers 404
    resource_missing for one cancelled before). Does nothing without a Stripe subscription id,
    or where Stripe is not configured. Raises ServiceError if Stripe refuses or cannot be
    reached; nothing is changed here then, and the call may be made again.
    """
    subscription = Subscription.objects.filter(organization=organization).first()
    subscription_id = subscription.stripe_subscription_id if subscription is not None else ""
    if not subscription_id:
        return StripeCancellation(StripeCancellationOutcome.NONE)
    if not stripe_configured():
        logger.warning(
            "%s: Stripe is not configured, subscription %s not cancelled there",
            organization.slug,
            subscription_id,
        )
        return StripeCancellation(StripeCancellationOutcome.NOT_CONFIGURED, subscription_id)
    try:
        cancelled = stripe_client().v1.subscriptions.cancel(
            subscription_id, params={"invoice_now": False, "prorate": False}
        )
    except stripe.InvalidRequestError as error:
        if error.http_status == 404 and error.code == "resource_missing":
            logger.info(
                "%s: subscription %s was already cancelled", organization.slug, subscription_id
            )
            return StripeCancellation(StripeCancellationOutcome.ALREADY_CANCELED, subscription_id)
        raise _cancel_refused(subscription_id, error) from None
    except stripe.StripeError as error:
        raise _cancel_refused(subscription_id, error) from None
    logger.info(
        "%s: subscription %s cancelled at Stripe (%s)",
        organization.slug,
        subscription_id,
        cancelled.status,
    )
    return StripeCancellation(StripeCancellationOutcome.CANCELED, subscription_id)


def _cancel_refused(subscription_id: str, error: stripe.StripeError) -> ServiceError:
    logger.warning("Stripe refused to cancel %s: %s", subscription_id, error)
    reason = error.user_message or type(error).__name__
    return ServiceError(
        f"Stripe could not cancel subscription {subscription_id} ({reason}); it is still "
        "being charged. Try again in a few minutes."
    )


# --- Webhook events ------------------------------------------------------------------------------

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


def _text(value: Any) -> str:
    """An id from an event's object: a string, or an expanded object's id."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _event_parse(payload: bytes, signature: str) -> dict[str, Any]:
    """The verified event as plain JSON, or WebhookRefused."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise WebhookRefused("Webhooks are not configured (no STRIPE_WEBHOOK_SECRET).")
    try:
        stripe.Webhook.construct_event(payload, signature, secret)
        data = json.loads(payload)
    except stripe.SignatureVerificationError:
        raise WebhookRefused("The Stripe-Signature header does not match the payload.") from None
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError):
        # not UTF-8, not JSON, or JSON that is not an event
        raise WebhookRefused("The payload is not a Stripe event.") from None
    if not (
        isinstance(data, dict)
        and isinstance(data.get("id"), str)
        and 0 < len(data["id"]) <= 255
        and isinstance(data.get("type"), str)
        and 0 < len(data["type"]) <= 100
        and isinstance(data.get("created"), int)
        and 0 <= data["created"] < 2**40
        and isinstance(data.get("data"), dict)
        and isinstance(data["data"].get("object"), dict)
    ):
        raise WebhookRefused("The payload is not a Stripe event.")
    try:
        holds_nul = _holds_nul(data)
    except RecursionError:
        raise WebhookRefused("The payload is nested too deeply.") from None
    if holds_nul:  # PostgreSQL's jsonb cannot store one
        raise WebhookRefused("The payload holds a NUL character.")
    return data


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def _ids_of(data: dict[str, Any]) -> tuple[str, str]:
    """The customer and the subscription an event is about."""
    obj = data["data"]["object"]
    kind = data["type"]
    customer = _text(obj.get("customer"))
    if kind.startswith("customer.subscription."):
        return customer, _text(obj.get("id"))
    if kind.startswith("invoice."):
        parent = obj.get("parent") if isinstance(obj.get("parent"), dict) else {}
        details = parent.get("subscription_details")
        subscription = _text(details.get("subscription")) if isinstance(details, dict) else ""
        return customer, subscription
    if kind.startswith("checkout.session."):
        return customer, _text(obj.get("subscription"))
    return customer, ""


def _organization_of(event: StripeEvent) -> Organization | None:
    if event.customer_id:
        found = Subscription.objects.filter(stripe_customer_id=event.customer_id).first()
        if found is not None:
            return found.organization
    if event.subscription_id:
        found = Subscription.objects.filter(stripe_subscription_id=event.subscription_id).first()
        if found is not None:
            return found.organization
    if event.type == "checkout.session.completed":
        obj = event.payload["data"]["object"]
        metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        reference = str(obj.get("client_reference_id") or metadata.get("organization_id") or "")
        if reference.isdigit() and int(reference) < 2**63:
            return Organization.objects.filter(pk=int(reference)).first()
    return None


def stripe_event_receive(*, payload: bytes, signature: str) -> StripeEvent:
    """Verify, store once and process a webhook delivery.

    A bad signature or payload raises WebhookRefused and stores nothing. A replay of an event
    already processed returns the stored row and changes nothing; one whose processing failed
    is processed again. Processing runs in a savepoint: if it fails, the event is kept as
    `failed` with the error, for a retry (Stripe's next delivery, or stripe_events_retry).
    """
    data = _event_parse(payload, signature)
    customer_id, subscription_id = _ids_of(data)
    try:
        with transaction.atomic():
            event, created = StripeEvent.objects.get_or_create(
                stripe_id=data["id"],
                defaults={
                    "type": data["type"],
                    "created": datetime.fromtimestamp(data["created"], tz=UTC),
                    "livemode": bool(data.get("livemode")),
                    "payload": data,
                    "customer_id": customer_id[:255],
                    "subscription_id": subscription_id[:255],
                },
            )
            if not created and event.outcome != StripeEventOutcome.FAILED:
                logger.info("Stripe event %s received again: nothing to do", event.stripe_id)
                return event
            event = StripeEvent.objects.select_for_update().get(pk=event.pk)
            if event.outcome and event.outcome != StripeEventOutcome.FAILED:
                return event  # processed by a concurrent delivery meanwhile
            _event_process(event)
    except DataError:
        raise WebhookRefused("The event cannot be stored.") from None
    return event


def _event_process(event: StripeEvent) -> None:
    """Process one stored event and record its outcome; failures are recorded, not raised."""
    try:
        with transaction.atomic():
            outcome, detail = _event_apply(event)
    except Exception as error:
        logger.exception("Stripe event %s could not be processed", event.stripe_id)
        outcome, detail = StripeEventOutcome.FAILED, f"{type(error).__name__}: {error}"[:2000]
    event.outcome = outcome
    event.outcome_detail = detail
    event.processed_at = timezone.now()
    event.save(update_fields=["organization", "outcome", "outcome_detail", "processed_at"])


def _event_apply(event: StripeEvent) -> tuple[str, str]:
    if event.type not in HANDLED_TYPES:
        return StripeEventOutcome.IGNORED, "Not an event billing acts on."
    obj = event.payload["data"]["object"]
    if event.type == "checkout.session.completed" and obj.get("mode") != "subscription":
        return StripeEventOutcome.IGNORED, "A checkout that is not a subscription."
    organization = _organization_of(event)
    if organization is None:
        return StripeEventOutcome.IGNORED, "No organization has this customer or subscription."
    event.organization = organization
    event.save(update_fields=["organization"])
    subscription = _subscription_locked(organization)
    if not subscription.stripe_customer_id and event.customer_id:
        subscription.stripe_customer_id = event.customer_id
        subscription.save(update_fields=["stripe_customer_id", "updated_at"])
    changes = subscription_state_rebuild(subscription=subscription)
    return StripeEventOutcome.PROCESSED, changes


def stripe_events_retry() -> int:
    """Process again the stored events whose processing failed; returns how many succeeded."""
    succeeded = 0
    for event_id in StripeEvent.objects.filter(outcome=StripeEventOutcome.FAILED).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            event = StripeEvent.objects.select_for_update().get(pk=event_id)
            if event.outcome != StripeEventOutcome.FAILED:
                continue
            _event_process(event)
            succeeded += event.outcome != StripeEventOutcome.FAILED
    return succeeded


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
            plan = _plan_of_price(_text(price), plans) if price else None
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
    if paying and _billing_suspension_lift(subscription):
        notes.append("reactivated")
    return "; ".join(notes) or "no change"


# --- Suspension for billing ----------------------------------------------------------------------


def _billing_suspension_lift(subscription: Subscription) -> bool:
    """Reactivate the organization if billing suspended it and nobody changed its state since
    (an operator's suspension for another reason stays). Returns whether it was lifted."""
    if subscription.suspended_for_billing_at is None:
        return False
    organization = Organization.objects.select_for_update().get(pk=subscription.organization_id)
    ours = (
        organization.state == OrganizationState.SUSPENDED
        and organization.state_changed_at == subscription.suspended_for_billing_at
    )
    subscription.suspended_for_billing_at = None
    subscription.save(update_fields=["suspended_for_billing_at", "updated_at"])
    if not ours:
        return False
    organization_state_set(organization=organization, state=OrganizationState.ACTIVE, reason="")
    subscription.organization = organization
    _audit(organization, "billing.reactivate", acting_user=None, status=subscription.status)
    logger.info("%s reactivated: its payment arrived", organization.slug)
    return True


def trials_enforced() -> bool:
    """Whether a trial that ended unpaid leads to a suspension. Only where there is a way to
    pay: Stripe is configured and some plan is for sale. Without Stripe (development, an
    installation that bills by hand) a trial simply goes on; suspending would lock people out of
    an account they have no means to pay for."""
    return stripe_configured() and plans_for_sale().exists()


def _payment_overdue(subscription: Subscription, *, cutoff: datetime) -> bool:
    since = subscription.past_due_since
    return (
        subscription.status == SubscriptionStatus.PAST_DUE and since is not None and since <= cutoff
    )


def _trial_overdue(subscription: Subscription, *, cutoff: datetime) -> bool:
    """A trial of a paid plan that ended before `cutoff` with nothing subscribed. An
    organization with a Stripe subscription is left to Stripe's own events: a card that fails at
    the end of a trial is a failed payment (past due), and a trial Stripe extended is not over."""
    ends = subscription.trial_ends_at
    return (
        subscription.status == SubscriptionStatus.TRIALING
        and not subscription.stripe_subscription_id
        and subscription.plan.monthly_price > 0
        and ends is not None
        and ends <= cutoff
    )


def billing_grace_enforce(*, now: datetime) -> list[Organization]:
    """Suspend the active organizations whose payment has failed, or whose trial of a paid plan
    ended unpaid (where trials_enforced), longer than BILLING_GRACE_DAYS ago. Returns them.
    Paying (Checkout, or the open invoice) reactivates them. Safe to run twice."""
    grace_days = settings.BILLING_GRACE_DAYS
    cutoff = now - timedelta(days=grace_days)
    overdue = Q(status=SubscriptionStatus.PAST_DUE, past_due_since__lte=cutoff)
    enforce_trials = trials_enforced()
    if enforce_trials:
        overdue |= Q(
            status=SubscriptionStatus.TRIALING,
            stripe_subscription_id="",
            plan__monthly_price__gt=0,
            trial_ends_at__lte=cutoff,
        )
    candidates = Subscription.objects.filter(
        overdue, organization__state=OrganizationState.ACTIVE
    ).values_list("pk", flat=True)
    suspended = []
    for subscription_id in list(candidates):
        with transaction.atomic():
            subscription = (
                Subscription.objects.select_for_update()
                .select_related("organization")
                .get(pk=subscription_id)
            )
            organization = Organization.objects.select_for_update().get(
                pk=subscription.organization_id
            )
            if organization.state != OrganizationState.ACTIVE:
                continue  # suspended by someone else meanwhile
            if _payment_overdue(subscription, cutoff=cutoff):
                reason = (
                    f"Billing: the payment that failed on {subscription.past_due_since:%Y-%m-%d} "
                    f"was not made within {grace_days} days; paying the open invoice reactivates "
                    "the account"
                )
                detail = {"past_due_since": str(subscription.past_due_since)}
            elif enforce_trials and _trial_overdue(subscription, cutoff=cutoff):
                reason = (
                    f"Billing: the free trial ended on {subscription.trial_ends_at:%Y-%m-%d} and "
                    f"no subscription was started within {grace_days} days; subscribing on the "
                    "billing page reactivates the account"
                )
                detail = {"trial_ended_at": str(subscription.trial_ends_at)}
            else:
                continue  # paid meanwhile
            changed_at = organization_state_set(
                organization=organization, state=OrganizationState.SUSPENDED, reason=reason
            )
            subscription.suspended_for_billing_at = changed_at
            subscription.save(update_fields=["suspended_for_billing_at", "updated_at"])
            _audit(organization, "billing.suspend", acting_user=None, **detail)
            logger.info("%s suspended for billing: %s", organization.slug, reason)
            suspended.append(organization)
    return suspended

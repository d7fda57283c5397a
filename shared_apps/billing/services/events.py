"""Stripe webhook events: a delivery verified, stored once by id and processed (the
subscription's state rebuilt from its organization's events, see `state`), and the events
whose processing failed processed again.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings
from django.db import DataError, transaction
from django.utils import timezone

from saas_platform.lib.errors import ServiceError
from shared_apps.billing.models import StripeEvent, StripeEventOutcome, Subscription
from shared_apps.billing.services.state import (
    HANDLED_TYPES,
    stripe_object_id,
    subscription_state_rebuild,
)
from shared_apps.billing.services.subscriptions import subscription_locked
from shared_apps.tenants.models import Organization

logger = logging.getLogger(__name__)


class WebhookRefused(ServiceError):
    """A webhook delivery that is not a verified, well-formed Stripe event: nothing is stored."""


# --- Webhook events ------------------------------------------------------------------------------


def stripe_event_parse(
    payload: bytes, signature: str, *, secret: str, setting: str
) -> dict[str, Any]:
    """The event verified by the endpoint's signing `secret`, as plain JSON, or WebhookRefused
    (also when the endpoint has no secret: `setting` names the one that is missing)."""
    if not secret:
        raise WebhookRefused(f"Webhooks are not configured (no {setting}).")
    try:
        # The signature only: Stripe's construct_event would also build an Event object of
        # the payload, which nothing here reads, at a millisecond or two a delivery.
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), signature, secret, tolerance=stripe.Webhook.DEFAULT_TOLERANCE
        )
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
        # A NUL in a string is written \u0000 in JSON (a raw one is not JSON): only a payload
        # holding that text is looked through.
        holds_nul = b"\\u0000" in payload and _holds_nul(data)
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
    customer = stripe_object_id(obj.get("customer"))
    if kind.startswith("customer.subscription."):
        return customer, stripe_object_id(obj.get("id"))
    if kind.startswith("invoice."):
        parent = obj.get("parent") if isinstance(obj.get("parent"), dict) else {}
        details = parent.get("subscription_details")
        subscription = (
            stripe_object_id(details.get("subscription")) if isinstance(details, dict) else ""
        )
        return customer, subscription
    if kind.startswith("checkout.session."):
        return customer, stripe_object_id(obj.get("subscription"))
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
    data = stripe_event_parse(
        payload,
        signature,
        secret=settings.STRIPE_WEBHOOK_SECRET,
        setting="STRIPE_WEBHOOK_SECRET",
    )
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
    subscription = subscription_locked(organization)
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

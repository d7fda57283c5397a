"""Cancelling an organization's Stripe subscription when the organization is deleted, and what
became of it, for the deletion's record."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import stripe

from saas_platform.lib.errors import ServiceError
from shared_apps.billing.models import Subscription
from shared_apps.billing.stripe_api import stripe_client, stripe_configured
from shared_apps.tenants.models import Organization

logger = logging.getLogger(__name__)


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

"""Billing's interface to the rest of the project: the names other apps and provisioning use.

Billing's own code (its views, tasks and tests) imports from the modules where each name
lives: `subscriptions` (trials, the subscription under lock, billing's audit rows), `checkout`
(Checkout and the customer portal), `cancellation` (cancelling at Stripe when an organization
is deleted), `events` (Stripe webhook events: receive, process, retry), `state` (the
subscription's state rebuilt from its events) and `suspension` (suspension for billing).
"""

from shared_apps.billing.services.cancellation import (
    StripeCancellation,
    StripeCancellationOutcome,
    subscription_stripe_cancel,
)
from shared_apps.billing.services.subscriptions import subscription_trial_start

__all__ = [
    "StripeCancellation",
    "StripeCancellationOutcome",
    "subscription_stripe_cancel",
    "subscription_trial_start",
]

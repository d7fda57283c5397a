"""The one place that talks to Stripe's API: whether it is configured, and a client for it.

A StripeClient per call rather than the library's global `stripe.api_key`, so that settings
changed at run time (tests pointing STRIPE_API_BASE at a local server) take effect at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import stripe
from django.conf import settings

if TYPE_CHECKING:
    from stripe._base_address import BaseAddresses

NOT_CONFIGURED = (
    "Stripe is not configured on this installation, so subscriptions and card changes are not "
    "available online. Your organization keeps its trial in the meantime."
)


def stripe_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def stripe_client() -> stripe.StripeClient:
    base_addresses: BaseAddresses = {}
    if settings.STRIPE_API_BASE:
        base_addresses["api"] = settings.STRIPE_API_BASE
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses=base_addresses,
        max_network_retries=2,
    )

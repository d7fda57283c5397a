"""The one place that talks to Stripe's API: whether it is configured, and a client for it.

A StripeClient of our own rather than the library's global `stripe.api_key`, kept for the
process while the key and API base it was made with stay the settings: its HTTP sessions (one
a thread) keep their connections to Stripe alive, so a call does not pay a new TLS handshake,
and settings changed at run time (tests pointing STRIPE_API_BASE at a local server) take effect
at the next call.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

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


_clients: dict[tuple[str, str], stripe.StripeClient] = {}
_clients_lock = threading.Lock()


def stripe_client() -> stripe.StripeClient:
    made_with = (settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)
    client = _clients.get(made_with)
    if client is None:
        with _clients_lock:
            client = _clients.get(made_with)
            if client is None:
                _clients.clear()  # the settings changed: the old client is not used again
                client = _clients[made_with] = _client_made(*made_with)
    return client


def _client_made(secret_key: str, api_base: str) -> stripe.StripeClient:
    base_addresses: BaseAddresses = {}
    if api_base:
        base_addresses["api"] = api_base
    return stripe.StripeClient(secret_key, base_addresses=base_addresses, max_network_retries=2)


def stripe_get(path: str, *, account: str, **params: Any) -> dict[str, Any]:
    """GET `path` of Stripe's API (e.g. "/v1/charges") on the connected `account`, with
    `params` as the library's services take them: Stripe's answer as plain JSON values, what
    the services' objects give by `.to_dict()`, without building those objects (about a
    millisecond for a PaymentIntent with its charge, much more for a list of them). Raises
    stripe.StripeError as the services do, after the same retries."""
    response = stripe_client().raw_request("get", path, stripe_account=account, **params)
    data = response.data
    if not isinstance(data, dict):
        raise stripe.APIError(f"Stripe answered {path} with no object.")
    return data

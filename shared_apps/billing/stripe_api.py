"""The one place that talks to Stripe's API: whether it is configured, and a client for it.

A StripeClient of our own rather than the library's global `stripe.api_key`, kept for the
process while the key and API base it was made with stay the settings: its connections to
Stripe are kept alive, so a call does not pay a new TLS handshake, and settings changed at run
time (tests pointing STRIPE_API_BASE at a local server) take effect at the next call.

Its HTTP is urllib3's connection pools (Urllib3Client) rather than the library's default,
requests: a session of requests reads the environment's proxies and .netrc, merges its
settings and prepares the request again on every call, about half of a call's CPU (0.5 ms of
1.3 ms against a local server). A proxy the environment names (HTTPS_PROXY, NO_PROXY) is read
once, when the client is made.
"""

from __future__ import annotations

import functools
import textwrap
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import stripe
import urllib3
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
    return stripe.StripeClient(
        secret_key,
        base_addresses=base_addresses,
        max_network_retries=2,
        http_client=Urllib3Client(proxy=stripe_proxy_for(api_base or "https://api.stripe.com")),
    )


def stripe_proxy_for(api_base: str) -> str | None:
    """The proxy the environment names for Stripe's address, as requests would pick it."""
    parts = urlsplit(api_base)
    if parts.hostname is None or proxy_bypass(parts.hostname):
        return None
    return getproxies().get(parts.scheme or "https")


# Connections kept to Stripe per process: as many as the threads that read from it at once
# (online_batches' readers and a web process's threads), beyond which one is opened and closed.
STRIPE_CONNECTIONS = 10


class Urllib3Client(stripe.HTTPClient):
    """The stripe library's HTTP client on urllib3's thread-safe connection pools, with its
    certificate checks, timeout and retries (the library retries what is marked to be)."""

    name = "urllib3"

    def __init__(self, *, proxy: str | None = None, timeout: float = 80.0) -> None:
        super().__init__(verify_ssl_certs=True, proxy=proxy)
        pools: dict[str, Any] = {
            "maxsize": STRIPE_CONNECTIONS,
            "cert_reqs": "CERT_REQUIRED",
            "ca_certs": stripe.ca_bundle_path,
            "timeout": urllib3.Timeout(total=timeout),
            "retries": False,
        }
        self._pools = (
            urllib3.ProxyManager(proxy, **pools) if proxy else urllib3.PoolManager(**pools)
        )

    def _answered(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,  # the library's own telemetry, not passed here
        stream: bool,
    ) -> tuple[Any, int, Mapping[str, str]]:
        """Stripe's answer: its body (bytes, as the library's own clients give it, or, to
        `stream`, the response to read it from), its status and its headers."""
        try:
            response = self._pools.request(
                method.upper(),
                url,
                headers=dict(headers or {}),
                body=post_data,
                preload_content=not stream,
                redirect=False,
            )
        except Exception as error:  # noqa: BLE001 - every failure is said as the library says it
            self._refused(error)
        return (response if stream else response.data), response.status, response.headers

    # The library's two entry points, with its signatures.
    request = functools.partialmethod(_answered, stream=False)
    request_stream = functools.partialmethod(_answered, stream=True)

    @staticmethod
    def _refused(error: Exception) -> NoReturn:
        """A failure as the library's own clients report it: a certificate not verified is
        not retried, a connection not made or lost or a timeout is, anything else is not."""
        if isinstance(error, urllib3.exceptions.SSLError):
            message, retry = "Could not verify Stripe's SSL certificate.", False
        elif isinstance(
            error,
            urllib3.exceptions.TimeoutError
            | urllib3.exceptions.ProtocolError
            | urllib3.exceptions.NewConnectionError
            | ConnectionError,
        ):
            message, retry = "Unexpected error communicating with Stripe.", True
        else:
            message, retry = "Unexpected error communicating with Stripe.", False
        text = f"{textwrap.fill(message)}\n\n(Network error: {type(error).__name__}: {error})"
        raise stripe.APIConnectionError(text, should_retry=retry) from error

    def close(self) -> None:
        self._pools.clear()


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

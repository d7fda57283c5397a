"""Which address a request comes from: the one rule every throttle keys its counters by.

With no proxy in front (NUM_PROXIES=0) the client is the socket's address, REMOTE_ADDR: a client
can write any X-Forwarded-For it likes, so the header is ignored. Behind N proxies, each proxy
appends the address it received the request from, so the Nth address from the right is the one
the outermost trusted proxy saw; anything to its left was written by the client. When the header
holds fewer than N addresses the leftmost is taken (a proxy in the chain did not add one).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from rest_framework import throttling

# Stands for "no address known" (a Unix socket with no proxy), so such requests share one counter
# instead of each getting an empty, unlimited one.
UNKNOWN_CLIENT = "unknown"


def client_address(*, request: HttpRequest) -> str:
    """The client's address as told by the socket and the NUM_PROXIES trusted proxies."""
    meta = request.META
    remote_address = (meta.get("REMOTE_ADDR") or "").strip()
    proxies: int = settings.NUM_PROXIES
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if proxies == 0 or not forwarded:
        return remote_address or UNKNOWN_CLIENT
    addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
    if not addresses:
        return remote_address or UNKNOWN_CLIENT
    return addresses[-min(proxies, len(addresses))]


class ClientAddressIdentMixin:
    """Makes a DRF throttle tell anonymous clients apart by `client_address`, not DRF's rule
    (which trusts X-Forwarded-For whenever its own NUM_PROXIES is unset)."""

    def get_ident(self, request: HttpRequest) -> str:
        return client_address(request=request)


class AnonRateThrottle(ClientAddressIdentMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientAddressIdentMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(ClientAddressIdentMixin, throttling.ScopedRateThrottle):
    pass

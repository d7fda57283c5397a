"""Which address a request comes from: the one rule every throttle keys its counters by; and
the API's throttles, each one Redis round trip.

With no proxy in front (NUM_PROXIES=0) the client is the socket's address, REMOTE_ADDR: a client
can write any X-Forwarded-For it likes, so the header is ignored. Behind N proxies, each proxy
appends the address it received the request from, so the Nth address from the right is the one
the outermost trusted proxy saw; anything to its left was written by the client. When the header
holds fewer than N addresses the leftmost is taken (a proxy in the chain did not add one).
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.request import Request

from saas_platform.lib.redis_pool import redis_client

if TYPE_CHECKING:
    # rest_framework.views reads the throttle classes of this module when it is imported.
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

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


# DRF's sliding window (the requests of the last `duration` seconds) kept in a sorted set and
# checked and counted in one script: one round trip, where DRF's own throttle reads the whole
# history and writes it back (two). Answers {1} when the request is counted, {0, oldest} when
# the window is full, with the time of its oldest request (for Retry-After).
_SLIDING_WINDOW = """
local now = tonumber(ARGV[1])
local duration = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - duration)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
    return {0, redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(duration * 1000))
return {1}
"""


class _SlidingWindowScript:
    """The script's object, made once (it holds the script's SHA1 for EVALSHA)."""

    def __init__(self) -> None:
        self._script: Any = None

    def script(self, **arguments: Any) -> Any:
        if self._script is None:
            self._script = redis_client().register_script(_SLIDING_WINDOW)
        return self._script(**arguments)


_sliding_window = _SlidingWindowScript()


class RedisSlidingWindowThrottle(throttling.SimpleRateThrottle):
    """DRF's rate throttle with its window counted in Redis in one round trip. With Redis
    unreachable the request is let through (and logged): a throttle must not take the API down
    with it. Comes after DRF's throttle class in the bases: ScopedRateThrottle's allow_request
    picks the view's rate, then calls this one."""

    _oldest: float
    # Set by SimpleRateThrottle from the rate (the stubs do not declare them).
    duration: int
    num_requests: int

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        client = redis_client()
        try:
            answer = _sliding_window.script(
                keys=[cache.make_key(self.key)],
                args=[repr(self.now), self.duration, self.num_requests, uuid.uuid4().hex],
                client=client,
            )
        except RedisError:
            logger.warning("API throttle unavailable: request let through", exc_info=True)
            return True
        if int(answer[0]) == 1:
            return True
        self._oldest = float(answer[1])
        return False

    def wait(self) -> float | None:
        return max(self._oldest + self.duration - self.now, 1.0)


class AnonRateThrottle(
    ClientAddressIdentMixin, throttling.AnonRateThrottle, RedisSlidingWindowThrottle
):
    pass


class UserRateThrottle(
    ClientAddressIdentMixin, throttling.UserRateThrottle, RedisSlidingWindowThrottle
):
    pass


class ScopedRateThrottle(
    ClientAddressIdentMixin, throttling.ScopedRateThrottle, RedisSlidingWindowThrottle
):
    pass

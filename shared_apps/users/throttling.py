"""Failed-login throttling for the session login page, keyed by schema and client address.

The API's login is throttled by DRF's scoped throttle (`dj_rest_auth` scope); pages count the
failures here with the same limit, in the tenant-namespaced cache.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle

_WINDOW_SECONDS = 60


def _key(request: HttpRequest) -> str:
    # DRF's client identification: X-Forwarded-For behind NUM_PROXIES proxies, else REMOTE_ADDR.
    return f"login-failures:{BaseThrottle().get_ident(request)}"


def login_attempts_exhausted(*, request: HttpRequest) -> bool:
    return cache.get(_key(request), 0) >= settings.LOGIN_ATTEMPTS_PER_MINUTE


def login_failure_record(*, request: HttpRequest) -> None:
    key = _key(request)
    if cache.add(key, 1, timeout=_WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=_WINDOW_SECONDS)

"""Throttling in the cache: a fixed-window counter (the signup pages count with it too), and
login throttling, per client address and schema, shared by every way of logging in.

The staff login page, the Django admin's login and the API's login count into the same cache
keys (the default cache namespaces them by schema), so a client cannot double its budget by
alternating between them. Failures lock a client out (LOGIN_ATTEMPTS_PER_MINUTE); successful
logins do not, so an office behind one address is never locked out by its own staff. All
attempts together still meet a higher ceiling (LOGIN_REQUESTS_PER_MINUTE).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.template.response import TemplateResponse
from rest_framework.throttling import BaseThrottle

from saas_platform.lib.client_address import client_address

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60


def window_count(*, key: str, window_seconds: int) -> int:
    """Add one to the window of `key` (started by its first hit) and answer the new count."""
    if cache.add(key, 1, timeout=window_seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window_seconds)
        return 1


def password_reset_refused(*, request: HttpRequest) -> bool:
    """Count one request for a password-reset email; True past LOGIN_ATTEMPTS_PER_MINUTE a
    minute from one client (each one sends an email: a flood would bury someone's inbox)."""
    key = f"password-resets:{client_address(request=request)}"
    return window_count(key=key, window_seconds=WINDOW_SECONDS) > settings.LOGIN_ATTEMPTS_PER_MINUTE


def _failures_key(request: HttpRequest) -> str:
    return f"login-failures:{client_address(request=request)}"


def _attempts_key(request: HttpRequest) -> str:
    return f"login-attempts:{client_address(request=request)}"


def login_attempt_refused(*, request: HttpRequest) -> bool:
    """Count one login attempt; True when it must be refused without checking the password."""
    attempts = window_count(key=_attempts_key(request), window_seconds=WINDOW_SECONDS)
    failures = cache.get(_failures_key(request), 0)
    refused = (
        failures >= settings.LOGIN_ATTEMPTS_PER_MINUTE
        or attempts > settings.LOGIN_REQUESTS_PER_MINUTE
    )
    if refused:
        logger.warning(
            "login refused: too many attempts",
            extra={"client": client_address(request=request), "failures": failures},
        )
    return refused


def login_failure_record(*, request: HttpRequest) -> None:
    window_count(key=_failures_key(request), window_seconds=WINDOW_SECONDS)


def login_throttled_page(*, request: HttpRequest) -> TemplateResponse:
    return TemplateResponse(
        request,
        "registration/login_throttled.html",
        status=429,
        headers={"Retry-After": str(WINDOW_SECONDS)},
    )


class LoginAttemptThrottle(BaseThrottle):
    """The API login's throttle: the same counters as the pages (answers 429 in the API's
    error shape)."""

    def allow_request(self, request: HttpRequest, view: object) -> bool:
        return not login_attempt_refused(request=request)

    def wait(self) -> float:
        return float(WINDOW_SECONDS)

"""Per-client limits for the signup pages, counted in the cache (fixed windows).

Clients are told apart by saas_platform.lib.client_address, the rule every throttle uses.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from saas_platform.lib.client_address import client_address
from saas_platform.lib.throttling import window_count


def _limits() -> dict[str, tuple[int, int]]:
    # scope -> (requests allowed, window in seconds)
    return {
        "slug-check": (settings.SIGNUP_CHECKS_PER_MINUTE, 60),
        "signup": (settings.SIGNUPS_PER_HOUR, 3600),
        "resend": (settings.SIGNUP_RESENDS_PER_HOUR, 3600),
    }


def throttle_hit(*, request: HttpRequest, scope: str) -> bool:
    """Count one request of `scope`; True when the client is past its limit (refuse it)."""
    allowed, window = _limits()[scope]
    key = f"onboarding-throttle:{scope}:{client_address(request=request)}"
    return window_count(key=key, window_seconds=window) > allowed


def throttle_window(*, scope: str) -> int:
    return _limits()[scope][1]

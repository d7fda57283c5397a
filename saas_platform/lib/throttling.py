"""A fixed-window counter in the cache, for the throttles of the login and signup pages."""

from __future__ import annotations

from django.core.cache import cache


def window_count(*, key: str, window_seconds: int) -> int:
    """Add one to the window of `key` (started by its first hit) and answer the new count."""
    if cache.add(key, 1, timeout=window_seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window_seconds)
        return 1

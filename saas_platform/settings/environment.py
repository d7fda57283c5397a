"""Reading settings from the environment, failing loudly on values that do not parse.

django-environ parses URLs (databases, caches); these helpers wrap it so that a typo such as
`DEBUG=ture` stops start-up with the variable's name instead of silently meaning False.
"""

from __future__ import annotations

import re
from typing import cast

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_MISSING = object()

env = environ.Env()


def _raw(name: str, default: object) -> str | None:
    value = env.str(name, default=None)
    if value is None:
        if default is _MISSING:
            raise ImproperlyConfigured(f"Set the {name} environment variable.")
        return None
    return value


def env_str(name: str, default: str | object = _MISSING) -> str:
    value = _raw(name, default)
    return str(default) if value is None else value


def env_bool(name: str, default: bool | object = _MISSING) -> bool:
    value = _raw(name, default)
    if value is None:
        return bool(default)
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use true or false.")


def env_int(name: str, default: int | object = _MISSING, *, minimum: int | None = None) -> int:
    value = _raw(name, default)
    if value is None:
        # _raw returns None only when a default was given, so it is the int the signature names.
        return int(cast(int, default))
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}.")
    return number


def env_float(
    name: str,
    default: float | object = _MISSING,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
) -> float:
    value = _raw(name, default)
    if value is None:
        return float(cast(float, default))
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number.") from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ImproperlyConfigured(f"{name}={number} must be between {minimum} and {maximum}.")
    return number


def env_list(name: str, default: list[str] | object = _MISSING) -> list[str]:
    value = _raw(name, default)
    if value is None:
        # A copy, so that no caller can change the default; given, as _raw returned None.
        return list(cast(list[str], default))
    return [item.strip() for item in value.split(",") if item.strip()]


def env_db(name: str, default: str | object = _MISSING) -> dict[str, object]:
    url = env_str(name, default)
    try:
        return environ.Env.db_url_config(url)
    except Exception as error:  # django-environ raises several types for a bad URL
        raise ImproperlyConfigured(f"{name} is not a database URL: {error}") from None


_RATE = re.compile(r"^\d+/(s|sec|second|m|min|minute|h|hour|d|day)$")


def env_rate(name: str, default: str) -> str:
    """A DRF throttle rate such as 60/min."""
    value = env_str(name, default).strip()
    if not _RATE.match(value):
        raise ImproperlyConfigured(f"{name}={value!r} is not a rate such as 60/min.")
    return value


_URL_PATH = re.compile(r"^(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*/)+$")


def env_url_path(name: str, default: str, *, reserved: frozenset[str]) -> str:
    """A relative URL path such as `admin/` or `ops/admin/`: segments of letters, digits and
    `._~-`, ending in `/`, whose first segment is not one of the `reserved` top-level routes."""
    value = env_str(name, default).strip()
    if not _URL_PATH.match(value) or ".." in value.split("/"):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a relative path ending in '/', such as 'admin/'."
        )
    first_segment = value.split("/", 1)[0]
    if first_segment in reserved:
        raise ImproperlyConfigured(
            f"{name}={value!r} collides with the site's own {first_segment}/ pages; "
            "choose another path."
        )
    return value

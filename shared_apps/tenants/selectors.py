"""Reads of organizations, including the host -> tenant lookup that runs on every request."""

from __future__ import annotations

import contextlib
import copy
import logging
import threading
import time
import uuid
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.files.storage import default_storage
from redis.exceptions import RedisError

from saas_platform.lib.connection import connection
from shared_apps.tenants.models import Domain, Organization

logger = logging.getLogger(__name__)

_GENERATION_KEY = "generation"
_NOT_FOUND = "not-found"
# How long this process trusts its own copy of the routing table before it reads the generation
# from Redis again: a change made by another process is seen within this time.
GENERATION_CHECK_SECONDS = 1.0
# Unknown hosts are remembered too (any subdomain reaches the app); past this many entries the
# process forgets them all rather than grow without bound.
_LOCAL_ENTRIES_MAX = 10_000


class _LocalRoutes:
    """This process's copy of host -> organization, valid for one generation."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation: object = None
        self.checked_at = 0.0
        self.entries: dict[str, Organization | None] = {}
        # Other ways to an organization than its host (a connected Stripe account), by key.
        self.others: dict[str, Organization | None] = {}

    def forget(self) -> None:
        with self.lock:
            self.generation = None
            self.checked_at = 0.0
            self.entries = {}
            self.others = {}


_local = _LocalRoutes()


def _routing_cache() -> BaseCache:
    return caches["tenant_routing"]


def hostname_normalize(hostname: str) -> str:
    """The spelling Domain rows store: host names are case-insensitive and a trailing dot names
    the same host (RFC 4343, RFC 1034), and browsers and proxies may send `ALPHA.example.org` or
    `alpha.example.org.` for alpha."""
    return hostname.lower().rstrip(".")


def _generation_current(cache: BaseCache) -> object:
    """The routing generation, read from Redis at most once a GENERATION_CHECK_SECONDS; a new
    one empties this process's copy."""
    now = time.monotonic()
    if _local.generation is not None and now - _local.checked_at < GENERATION_CHECK_SECONDS:
        return _local.generation
    generation = cache.get_or_set(_GENERATION_KEY, uuid.uuid4().hex, timeout=None)
    with _local.lock:
        if generation != _local.generation:
            _local.entries = {}
            _local.others = {}
            _local.generation = generation
        _local.checked_at = now
    return generation


def organization_for_host(*, hostname: str) -> Organization | None:
    """The organization that serves `hostname` (in any spelling: hostname_normalize), or None.

    A warm lookup costs no SQL and, within GENERATION_CHECK_SECONDS of the last check, no Redis
    command either: each process keeps a copy of the entries it has used, valid for one
    generation. Every change to an Organization or a Domain sets a new generation (see
    signals.py), which retires all cached entries at once, in Redis at once and in other
    processes within GENERATION_CHECK_SECONDS, so a renamed domain or a suspended tenant is not
    served from a stale entry. With Redis down, requests are still routed, from the database.
    Entries are keyed by the normalised host, so spellings of one host share one entry.
    """
    hostname = hostname_normalize(hostname)
    cache = _routing_cache()
    key = None
    generation: object = None
    try:
        generation = _generation_current(cache)
        local = _local.entries
        if hostname in local:
            organization = local[hostname]
            return copy.copy(organization) if organization is not None else None
        key = f"host:{generation}:{hostname}"
        cached = cache.get(key)
    except RedisError:
        logger.warning("tenant routing cache unavailable; reading the database", exc_info=True)
        cached = None
    if cached == _NOT_FOUND:
        _remember(hostname, None, generation)
        return None
    if cached is not None:
        _remember(hostname, cached, generation)
        return cached
    domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
    organization = domain.tenant if domain else None
    if key is not None:
        with contextlib.suppress(RedisError):
            cache.set(key, organization if organization else _NOT_FOUND)
        _remember(hostname, organization, generation)
    return organization


def _remember(hostname: str, organization: Organization | None, generation: object) -> None:
    """Keep a copy for this process (a copy: the caller may change the one it is given)."""
    with _local.lock:
        if _local.generation != generation:
            return
        if len(_local.entries) >= _LOCAL_ENTRIES_MAX:
            _local.entries = {}
        _local.entries[hostname] = copy.copy(organization) if organization is not None else None


def organization_routed(key: str, read: Callable[[], Organization | None]) -> Organization | None:
    """The organization `read` finds for `key` (another way to an organization than its host,
    such as a connected Stripe account), read once by this process for a routing generation:
    every change to an Organization sets a new one (signals.py), seen by other processes within
    GENERATION_CHECK_SECONDS, as organization_for_host's entries are. A copy is returned (the
    caller may change it). With Redis down, `read` runs every time."""
    try:
        generation = _generation_current(_routing_cache())
    except RedisError:
        logger.warning("tenant routing cache unavailable; reading the database", exc_info=True)
        return read()
    if key in _local.others:
        found = _local.others[key]
        return copy.copy(found) if found is not None else None
    organization = read()
    with _local.lock:
        if _local.generation == generation:
            if len(_local.others) >= _LOCAL_ENTRIES_MAX:
                _local.others = {}
            _local.others[key] = copy.copy(organization) if organization is not None else None
    return organization


def tenant_routing_invalidate() -> None:
    """Retire every cached route: a new generation in Redis, and this process's copy at once."""
    _local.forget()
    _routing_cache().set(_GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def organization_host(*, organization: Organization) -> str:
    """The host name an organization is served at, with the port in development."""
    host = f"{organization.slug}.{settings.PLATFORM_DOMAIN}"
    return f"{host}:{settings.PLATFORM_PORT}" if settings.PLATFORM_PORT else host


def organization_url(*, organization: Organization, path: str = "/") -> str:
    return f"{settings.PLATFORM_SCHEME}://{organization_host(organization=organization)}{path}"


def platform_url(*, path: str = "/") -> str:
    host = settings.PLATFORM_DOMAIN
    if settings.PLATFORM_PORT:
        host = f"{host}:{settings.PLATFORM_PORT}"
    return f"{settings.PLATFORM_SCHEME}://{host}{path}"


def organization_logo_content() -> bytes | None:
    """The current organization's logo, as stored, for documents that print it (receipts);
    None when it has none, or when the schema was selected without its Organization row
    (schema_context), which this never queries for: a document drawn in a loop costs no query.
    A logo missing from storage is logged and left out rather than stopping the document."""
    name = getattr(connection.tenant, "logo", "")
    if not name:
        return None
    try:
        with default_storage.open(name, "rb") as stored:
            content: bytes = stored.read()
    except OSError:
        logger.warning("the logo %s of %s is missing from storage", name, connection.schema_name)
        return None
    return content


def organization_time_zone(organization: Organization) -> zoneinfo.ZoneInfo | None:
    """The organization's own time zone, in which its pages show dates and its daily tasks
    reckon "today"; None when it has none or this machine no longer knows the name (validated
    when set), and the platform's TIME_ZONE applies."""
    zone_name = getattr(organization, "time_zone", "")
    if not zone_name:
        return None
    try:
        return zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        logger.warning("unknown time zone %r of %s", zone_name, organization.schema_name)
        return None


def organization_stripe_account(organization: Organization) -> str:
    """The organization's connected Stripe account ("" when none), read afresh: the
    organization routed to may be a cached copy from before a connect or a disconnect."""
    account = (
        Organization.objects.filter(pk=organization.pk)
        .values_list("stripe_account_id", flat=True)
        .first()
    )
    return account or ""

"""One Redis client, and so one connection pool, per process and Redis URL: the cache, the
tenant routing cache and the API throttles all borrow connections from it.

Django's own Redis cache builds a pool per cache alias and per thread, and a new client object
for every operation; here every alias and thread shares one thread-safe client. redis-py resets
a pool in a process forked from the one that made it (gunicorn's workers), so a pool is never
shared across processes.
"""

from __future__ import annotations

import threading
from typing import Any

import redis
from django.conf import settings
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

# Seconds to wait for Redis before a command fails: the routing cache and the throttles fall
# back (to the database, to letting the request through) rather than hang a request.
SOCKET_TIMEOUT_SECONDS = 2.0

_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()


def redis_client(url: str | None = None) -> redis.Redis:
    """The process's client for `url` (REDIS_URL by default)."""
    url = url or settings.REDIS_URL
    client = _clients.get(url)
    if client is None:
        with _clients_lock:
            client = _clients.get(url)
            if client is None:
                client = redis.Redis.from_url(
                    url,
                    socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
                    socket_timeout=SOCKET_TIMEOUT_SECONDS,
                )
                _clients[url] = client
    return client


class SharedPoolRedisCacheClient(RedisCacheClient):
    # Django's client, untyped by the stubs: its server list and its choice of server.
    _servers: list[str]

    def get_client(self, key: Any = None, *, write: bool = False) -> redis.Redis:
        choose: Any = self._get_connection_pool_index  # type: ignore[attr-defined]  # untyped
        return redis_client(self._servers[choose(write)])


class RedisCache(DjangoRedisCache):
    """Django's Redis cache on the process's shared client."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedPoolRedisCacheClient

"""/healthz on every host: 200 when PostgreSQL and Redis answer, 503 when one does not."""

from __future__ import annotations

from typing import NoReturn

import pytest
from django.db import OperationalError
from django.test import Client
from pytest_django import Settings

from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("host", ["localhost", "alpha.localhost"])
def test_health_is_ok_on_every_host(host: str) -> None:
    from django.test import Client

    response = Client(HTTP_HOST=host).get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
    assert response["Cache-Control"].startswith("max-age=0")


def test_redis_down_gives_503(settings: Settings, public_client: Client) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = public_client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "redis": "down"}


def test_database_down_gives_503(monkeypatch: pytest.MonkeyPatch, alpha: Tenant) -> None:
    client = alpha.client()
    client.get("/healthz")  # the tenant is resolved and cached while the database is up

    from saas_platform.lib import health

    def failing_cursor() -> NoReturn:
        raise OperationalError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", failing_cursor)
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "down"


def test_health_refuses_writes(public_client: Client) -> None:
    assert public_client.post("/healthz").status_code == 405


def test_with_redis_down_tenants_are_still_routed_and_health_says_503(
    alpha: Tenant, settings: Settings
) -> None:
    dead = "redis://127.0.0.1:1/0"
    settings.REDIS_URL = dead
    settings.CACHES = {
        alias: {**config, "LOCATION": dead} for alias, config in settings.CACHES.items()
    }
    client = alpha.client()

    assert client.get("/accounts/login/").status_code == 200
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["checks"]["redis"] == "down"

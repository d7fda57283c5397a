"""Answers that no view gives: the API's one error shape everywhere under /api/ (unknown routes,
bodies over the limit, server errors), and 503 rather than 500 while the database is down."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client
from pytest_django import Settings

from tests.helpers import api_error
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("host", ["localhost", "alpha.localhost"])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/no-such-thing/",
        "/api/nothing",
        "/api/v1/donors/x/y/z/",
        "/api/v1/donors/donors/1.5/",
    ],
)
def test_an_unknown_api_address_answers_404_in_the_error_shape(
    alpha: Tenant, host: str, path: str
) -> None:
    client = Client(HTTP_HOST=host)

    error = api_error(client.get(path), 404)

    assert error["code"] == "not_found"


def test_an_unknown_page_still_answers_the_sites_404_page(alpha: Tenant) -> None:
    response = alpha.client(alpha.owner).get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_body_over_the_upload_limit_answers_413_in_the_error_shape(
    alpha: Tenant, settings: Settings
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"first_name": "x" * 2048, "last_name": "Lovelace"})

    response = alpha.api(alpha.owner).post(
        "/api/v1/donors/donors/", data=body, content_type="application/json"
    )

    error = api_error(response, 413)
    assert error["code"] == "too_large"
    assert "larger than" in error["message"]


def test_a_server_error_under_the_api_answers_500_in_the_error_shape(
    alpha: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tenant_apps.accounting.api import views

    def broken(self: Any) -> Any:
        raise RuntimeError("a defect")

    monkeypatch.setattr(views.AccountViewSet, "get_queryset", broken)
    client = alpha.api(alpha.owner)
    client.raise_request_exception = False

    response = client.get("/api/v1/accounting/accounts/", HTTP_X_REQUEST_ID="request-0001")

    error = api_error(response, 500)
    assert error["code"] == "server_error"
    assert "request-0001" in error["message"]


def _database_lost(monkeypatch: pytest.MonkeyPatch, target: Any, name: str) -> None:
    def lost(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(target, name, lost)


def test_an_api_view_that_loses_the_database_answers_503_in_the_error_shape(
    alpha: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tenant_apps.accounting.api import views

    client = alpha.api(alpha.owner)
    client.get("/api/v1/accounting/accounts/")  # routed and cached while the database is up
    _database_lost(monkeypatch, views.AccountViewSet, "get_queryset")

    response = client.get("/api/v1/accounting/accounts/")

    error = api_error(response, 503)
    assert error["code"] == "unavailable"
    assert response["Retry-After"] == "30"


def test_a_page_that_loses_the_database_answers_a_short_503_page(
    alpha: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from saas_platform import views

    client = alpha.client(alpha.owner)
    assert client.get("/").status_code == 200
    _database_lost(monkeypatch, views.dashboard, "fundraising_summary")

    response = client.get("/")

    assert response.status_code == 503
    assert b"Briefly unavailable" in response.content
    assert b"nothing you sent has been lost" in response.content.lower()


def test_a_query_that_is_wrong_is_still_a_500_not_a_503(
    alpha: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import ProgrammingError

    from tenant_apps.accounting.api import views

    def wrong(self: Any) -> Any:
        raise ProgrammingError('column "nope" does not exist')

    monkeypatch.setattr(views.AccountViewSet, "get_queryset", wrong)
    client = alpha.api(alpha.owner)
    client.raise_request_exception = False

    assert api_error(client.get("/api/v1/accounting/accounts/"), 500)

"""The API skeleton: OpenAPI, docs, pagination, the error shape, cross-tenant refusal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client
from django.test.utils import CaptureQueriesContext

from shared_apps.users.roles import Role
from tenant_apps.accounting.tests.factories import AccountFactory
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def test_openapi_schema_is_served_on_tenant_hosts(alpha: Tenant) -> None:
    response = alpha.client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/v1/auth/login/",
        "/api/v1/auth/token/refresh/",
        "/api/v1/accounting/accounts/",
        "/api/v1/accounting/funds/{code}/",
    ):
        assert path in schema["paths"], path


def test_swagger_ui_is_served_without_a_cdn(alpha: Tenant) -> None:
    response = alpha.client().get("/api/docs/")

    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    assert b"cdn.jsdelivr" not in response.content


def test_api_is_not_on_the_public_host(public_client: Client) -> None:
    assert public_client.get("/api/v1/accounting/accounts/").status_code == 404
    assert public_client.get("/api/schema/").status_code == 404


def test_anonymous_gets_401_in_the_error_shape(alpha: Tenant) -> None:
    response = alpha.api().get("/api/v1/accounting/accounts/")

    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "status": 401,
            "code": "not_authenticated",
            "message": "Authentication credentials were not provided.",
        }
    }
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_missing_object_gets_404_in_the_error_shape(alpha: Tenant) -> None:
    response = alpha.api(alpha.owner).get("/api/v1/accounting/accounts/NOPE/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_lists_are_cursor_paginated(alpha: Tenant) -> None:
    response = alpha.api(alpha.owner).get("/api/v1/accounting/accounts/?page_size=10")

    body = response.json()
    assert response.status_code == 200
    assert len(body["results"]) == 10
    assert "cursor=" in body["next"]
    assert body["results"][0]["code"] < body["results"][-1]["code"]
    follow = alpha.api(alpha.owner).get(body["next"])
    assert follow.json()["results"][0]["code"] > body["results"][-1]["code"]


def test_lists_filter_by_field(alpha: Tenant) -> None:
    response = alpha.api(alpha.owner).get("/api/v1/accounting/accounts/?type=liability")

    assert response.status_code == 200
    assert {row["type"] for row in response.json()["results"]} == {"liability"}


def test_account_list_query_count_does_not_grow_with_rows(
    in_alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = in_alpha.api(in_alpha.user(Role.BOOKKEEPER))
    client.get("/api/v1/accounting/accounts/?page_size=200")  # warm caches

    with count_queries() as small_queries:
        small = client.get("/api/v1/accounting/accounts/?page_size=200")
    parent = AccountFactory()
    AccountFactory.create_batch(40, parent=parent)
    with count_queries() as large_queries:
        large = client.get("/api/v1/accounting/accounts/?page_size=200")

    assert len(large.json()["results"]) == len(small.json()["results"]) + 41
    assert len(large_queries) == len(small_queries) <= 4  # the user, the page, search paths


def test_accounts_are_referred_to_by_code(alpha: Tenant) -> None:
    response = alpha.api(alpha.owner).get("/api/v1/accounting/accounts/1010/")

    assert response.status_code == 200
    assert response.json()["code"] == "1010"
    assert response.json()["parent"] == "1000"
    assert response.json()["normal_balance"] == "debit"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/accounting/accounts/",
        "/api/v1/accounting/accounts/1010/",
        "/api/v1/accounting/funds/",
        "/api/v1/accounting/funds/GEN/",
        "/api/v1/auth/user/",
    ],
)
def test_people_of_another_tenant_get_nothing(
    path: str, assert_other_tenant_denied: Callable[..., None]
) -> None:
    assert_other_tenant_denied(path)


def test_throttling_answers_429_in_the_error_shape(
    alpha: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rest_framework.throttling import UserRateThrottle

    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/min"})
    client = alpha.api(alpha.owner)

    statuses = [client.get("/api/v1/accounting/funds/").status_code for _ in range(3)]
    last = client.get("/api/v1/accounting/funds/")

    assert statuses == [200, 200, 429]
    assert last.json()["error"]["code"] == "throttled"
    assert int(last["Retry-After"]) > 0


def test_openapi_schema_is_valid_and_has_no_warnings(tmp_path: Path) -> None:
    """Every view declares its input and output: drf-spectacular would otherwise guess and warn,
    and clients generated from the schema would be wrong."""
    from django.core.management import call_command

    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    text = target.read_text()
    assert "/api/v1/donations/gifts/{id}/refund/:" in text
    assert "/api/v1/donors/donors/{id}/merge/:" in text

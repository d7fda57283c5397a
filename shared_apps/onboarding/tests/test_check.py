"""The subdomain check behind the form's live availability message."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import Settings

from shared_apps.onboarding.selectors import slug_availability
from shared_apps.onboarding.tests.factories import SignupFactory
from tests.plugin import Tenant

if TYPE_CHECKING:
    from tests.helpers import TestResponse


pytestmark = pytest.mark.django_db


def _check(client: Client, slug: str, **extra: Any) -> TestResponse:
    return client.get("/signup/check/", {"slug": slug}, **extra)


def test_a_free_subdomain_is_available_with_its_host(public_client: Client) -> None:
    response = _check(public_client, " Harbor ")

    assert response.status_code == 200
    assert response.json() == {
        "slug": "harbor",
        "available": True,
        "message": "This subdomain is available.",
        "host": "harbor.localhost",
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("alpha", "This subdomain is taken."),
        ("admin", "is reserved"),
        ("pg-stuff", "is reserved"),
        ("a", "at least 3 characters"),
        ("har_bor", "lowercase letters, digits and hyphens"),
        ("x" * 41, "at most 40 characters"),
    ],
)
def test_unavailable_subdomains_say_why(
    public_client: Client, alpha: Tenant, slug: str, message: str
) -> None:
    body = _check(public_client, slug).json()

    assert body["available"] is False
    assert message in body["message"]
    assert body["host"] is None


@pytest.mark.parametrize(
    ("asked", "slug"),
    [
        ("information-schema", "information-schema"),
        ("Information-Schema", "information-schema"),
        ("public", "public"),
        ("pg-catalog", "pg-catalog"),
        ("PG-Toast", "pg-toast"),
    ],
)
def test_subdomains_naming_postgresqls_own_schemas_are_reserved(
    public_client: Client, asked: str, slug: str
) -> None:
    body = _check(public_client, asked).json()

    assert body == {
        "slug": slug,
        "available": False,
        "message": f"“{slug}” is reserved; please choose another.",
        "host": None,
    }


def test_the_template_schemas_name_is_reserved(public_client: Client, settings: Settings) -> None:
    settings.PROVISIONING_TEMPLATE_SCHEMA = "shared_template"

    body = _check(public_client, "shared-template").json()

    assert body["available"] is False
    assert body["message"] == "“shared-template” is reserved; please choose another."


@pytest.mark.parametrize("made_as", ["handmade_x", "Handmade_X"])
def test_a_schema_in_the_catalog_that_no_tenant_owns_is_reserved(
    public_client: Client, made_as: str
) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{made_as}"')

    body = _check(public_client, "handmade-x").json()

    assert body["available"] is False
    assert body["message"] == "“handmade-x” is reserved; please choose another."


def test_the_check_asks_the_catalog_once(
    count_queries: Callable[[], CaptureQueriesContext],
) -> None:
    with count_queries() as captured:
        assert slug_availability(slug="harbor").available is True

    # the organization, the catalog, the waiting signups (django-tenants adds its SET search_path)
    queries = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SET ")]
    assert len(queries) == 3
    assert sum("pg_namespace" in sql for sql in queries) == 1


def test_a_subdomain_held_by_a_pending_signup_is_not_available(public_client: Client) -> None:
    SignupFactory.create(slug="harbor")

    body = _check(public_client, "harbor").json()

    assert body["available"] is False
    assert "confirming their email" in body["message"]


def test_a_missing_subdomain_is_a_400_in_the_error_shape(public_client: Client) -> None:
    response = public_client.get("/signup/check/")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "status": 400,
        "code": "invalid",
        "message": "Give the subdomain to check as ?slug=.",
    }


def test_checks_are_limited_per_client(public_client: Client, settings: Settings) -> None:
    settings.SIGNUP_CHECKS_PER_MINUTE = 3
    for _ in range(3):
        assert _check(public_client, "harbor").status_code == 200

    response = _check(public_client, "harbor")

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response.json()["error"]["code"] == "throttled"
    # another client is counted apart
    assert _check(public_client, "harbor", REMOTE_ADDR="10.0.0.9").status_code == 200


def test_only_reads_are_allowed(public_client: Client) -> None:
    assert public_client.post("/signup/check/", {"slug": "harbor"}).status_code == 405


def test_the_check_is_not_on_tenant_hosts(alpha: Tenant) -> None:
    assert alpha.client().get("/signup/check/", {"slug": "harbor"}).status_code == 404


def test_a_new_forwarded_for_on_each_check_does_not_escape_the_limit(
    public_client: Client, settings: Settings
) -> None:
    settings.SIGNUP_CHECKS_PER_MINUTE = 3

    statuses = [
        _check(public_client, "harbor", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(4)
    ]

    assert statuses == [200, 200, 200, 429]

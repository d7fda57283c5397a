"""Routing by host: public site, tenants, unknown hosts, and tenants that may not be served."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from saas_platform.lib.connection import connection
from shared_apps.tenants.models import Domain, Organization, OrganizationState
from tests.plugin import Tenant

if TYPE_CHECKING:
    from tests.helpers import TestResponse

pytestmark = pytest.mark.django_db


def test_public_host_serves_the_public_site(public_client: Client) -> None:
    response = public_client.get("/")
    assert response.status_code == 200
    assert b"fund management for nonprofits" in response.content


def test_tenant_host_serves_its_login_page(alpha: Tenant) -> None:
    response = alpha.client().get("/accounts/login/")
    assert response.status_code == 200
    assert b"Log in to Alpha Relief Fund" in response.content


def test_tenant_home_redirects_anonymous_people_to_login(alpha: Tenant) -> None:
    response = alpha.client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_unknown_host_gets_a_404_page(db: None) -> None:
    from django.test import Client

    response = Client(HTTP_HOST="nobody.localhost").get("/")
    assert response.status_code == 404
    assert b"No organization here" in response.content


def test_host_outside_the_platform_domain_gets_404(db: None) -> None:
    from django.test import Client

    response = Client(HTTP_HOST="alpha.example.com").get("/")
    assert response.status_code == 404


def test_suspended_tenant_gets_a_403_page_that_says_so(alpha: Tenant) -> None:
    alpha.organization.state = OrganizationState.SUSPENDED
    alpha.organization.state_reason = "payment overdue"
    alpha.organization.save()

    for path in ("/", "/accounts/login/", "/api/v1/accounting/accounts/"):
        response = alpha.client().get(path)
        assert response.status_code == 403
        assert b"suspended" in response.content
        assert b"payment overdue" in response.content


def test_tenant_being_provisioned_gets_a_being_set_up_page(alpha: Tenant) -> None:
    alpha.organization.state = OrganizationState.PROVISIONING
    alpha.organization.save()

    response = alpha.client().get("/accounts/login/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"being set up" in response.content


def test_failed_tenant_is_not_served_either(alpha: Tenant) -> None:
    alpha.organization.state = OrganizationState.FAILED
    alpha.organization.save()
    assert alpha.client().get("/accounts/login/").status_code == 503


def test_health_check_answers_whatever_the_tenant_state(alpha: Tenant) -> None:
    alpha.organization.state = OrganizationState.SUSPENDED
    alpha.organization.save()
    assert alpha.client().get("/healthz").status_code == 200


def test_warm_request_resolves_its_tenant_without_sql(
    alpha: Tenant, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    client = alpha.client()
    assert client.get("/accounts/login/").status_code == 200  # warms the routing cache

    with django_assert_num_queries(0):
        response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert tenant_of(response).schema_name == "alpha"


def test_cold_request_looks_its_tenant_up_once(alpha: Tenant) -> None:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert alpha.client().get("/accounts/login/").status_code == 200

    lookups = [query for query in queries if "tenants_domain" in query["sql"]]
    assert len(lookups) == 1


def test_domain_change_is_seen_at_once(alpha: Tenant) -> None:
    client_old = alpha.client()
    assert client_old.get("/accounts/login/").status_code == 200
    domain = Domain.objects.get(tenant=alpha.organization)

    domain.domain = "alpha-renamed.localhost"
    domain.save()

    from django.test import Client

    assert client_old.get("/accounts/login/").status_code == 404
    assert Client(HTTP_HOST="alpha-renamed.localhost").get("/accounts/login/").status_code == 200


def test_state_change_is_seen_at_once(alpha: Tenant) -> None:
    client = alpha.client()
    assert client.get("/accounts/login/").status_code == 200

    alpha.organization.state = OrganizationState.SUSPENDED
    alpha.organization.save()

    assert client.get("/accounts/login/").status_code == 403


def test_requests_leave_the_connection_in_the_tenant_they_served(
    alpha: Tenant, beta: Tenant
) -> None:
    alpha.client().get("/accounts/login/")
    assert connection.schema_name == "alpha"
    beta.client().get("/accounts/login/")
    assert connection.schema_name == "beta"


def test_tenant_home_links_only_to_what_the_role_may_read(alpha: Tenant) -> None:
    owner_page = alpha.client(alpha.owner).get("/").content.decode()
    for link in ("/donations/imports/", "/donations/reports/", "/personnel/", "/accounting/"):
        assert f'href="{link}' in owner_page, link

    volunteer_page = alpha.client(alpha.user("volunteer")).get("/").content.decode()
    for link in ("/donations/imports/", "/donations/reports/", "/personnel/", "/accounting/"):
        assert f'href="{link}' not in volunteer_page, link


# --- Spellings of a host -----------------------------------------------------------------

ALPHA_SPELLINGS = [
    "ALPHA.localhost",
    "alpha.localhost.",
    "Alpha.LocalHost.",
    "ALPHA.LOCALHOST:8000",
    "www.alpha.localhost",
    "WWW.Alpha.localhost.",
]


@pytest.mark.parametrize("host", ALPHA_SPELLINGS)
def test_any_spelling_of_a_tenants_host_serves_that_tenant(
    alpha: Tenant, beta: Tenant, host: str
) -> None:
    from django.test import Client

    response = Client(HTTP_HOST=host).get("/accounts/login/")

    assert response.status_code == 200
    assert b"Log in to Alpha Relief Fund" in response.content
    assert tenant_of(response).schema_name == "alpha"


@pytest.mark.parametrize("host", ["LOCALHOST", "localhost.", "LocalHost.:8000"])
def test_any_spelling_of_the_public_host_serves_the_public_site(db: None, host: str) -> None:
    from django.test import Client

    response = Client(HTTP_HOST=host).get("/")

    assert response.status_code == 200
    assert b"fund management for nonprofits" in response.content
    assert tenant_of(response).schema_name == "public"


def test_spellings_of_a_host_share_one_routing_cache_entry(
    alpha: Tenant, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    from django.core.cache import caches
    from django.test import Client

    assert Client(HTTP_HOST="ALPHA.localhost.").get("/accounts/login/").status_code == 200

    # warmed by one spelling, every other one is routed without SQL
    for host in ["alpha.localhost", "Alpha.Localhost", "alpha.localhost."]:
        with django_assert_num_queries(0):
            assert Client(HTTP_HOST=host).get("/accounts/login/").status_code == 200
    cache = caches["tenant_routing"]
    generation = cache.get("generation")
    assert cache.get(f"host:{generation}:alpha.localhost") is not None
    assert cache.get(f"host:{generation}:ALPHA.localhost.") is None
    assert cache.get(f"host:{generation}:Alpha.Localhost") is None


def test_a_session_from_the_lowercase_host_works_on_another_spelling(
    alpha: Tenant, beta: Tenant
) -> None:
    """Browsers compare host names without case (a host-only cookie of alpha.localhost is sent
    to ALPHA.localhost), so the session must log in there too; beta's session does not."""
    from django.test import Client

    alpha_session = alpha.client(alpha.owner).cookies["sessionid"].value
    beta_session = beta.client(beta.owner).cookies["sessionid"].value
    for host in ["ALPHA.localhost", "alpha.localhost."]:
        client = Client(HTTP_HOST=host)
        client.cookies["sessionid"] = alpha_session
        assert client.get("/").status_code == 200

        replay = Client(HTTP_HOST=host)
        replay.cookies["sessionid"] = beta_session
        response = replay.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("host", ALPHA_SPELLINGS)
def test_tokens_follow_the_tenant_not_the_spelling_of_its_host(
    alpha: Tenant, beta: Tenant, host: str
) -> None:
    from rest_framework.test import APIClient

    own = APIClient(HTTP_HOST=host)
    own.credentials(HTTP_AUTHORIZATION=f"Bearer {alpha.access_token(alpha.owner)}")
    response = own.get("/api/v1/auth/user/")
    assert response.status_code == 200
    assert response.json()["email"] == "owner@alpha.org"

    other = APIClient(HTTP_HOST=host)
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {beta.access_token(beta.owner)}")
    assert other.get("/api/v1/auth/user/").status_code == 401


def tenant_of(response: TestResponse) -> Organization:
    """The tenant django-tenants' middleware routed the request to."""
    return response.wsgi_request.tenant  # type: ignore[attr-defined]  # set by the middleware

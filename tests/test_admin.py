"""Django admin: operators' on the public host, each organization's on its host, each showing
only its own schema's apps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client
from pytest_django import Settings

from shared_apps.console.tests.factories import OPERATOR_PASSWORD, OperatorFactory
from shared_apps.users.models import User
from shared_apps.users.roles import Role
from tests.plugin import OWNER_PASSWORD, Tenant

if TYPE_CHECKING:
    from tests.helpers import TestResponse


pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_user() -> User:
    return OperatorFactory.create(is_superuser=True)


def test_operator_sees_organizations_not_tenant_books(operator_user: User) -> None:
    client = Client(HTTP_HOST="localhost")
    client.force_login(operator_user)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert b"/admin/tenants/organization/" in response.content
    assert b"/admin/accounting/" not in response.content
    assert client.get("/admin/tenants/organization/").status_code == 200


def test_tenant_owner_sees_their_books_and_staff_not_organizations(alpha: Tenant) -> None:
    client = alpha.client(alpha.owner)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert b"/admin/accounting/account/" in response.content
    assert b"/admin/users/user/" in response.content
    assert b"/admin/tenants/" not in response.content
    assert b"Alpha Relief Fund" in response.content
    listing = client.get("/admin/accounting/account/")
    assert listing.status_code == 200
    assert b"Operating" in listing.content or b"1010" in listing.content


def test_tenant_admin_lists_only_its_own_staff(alpha: Tenant, beta: Tenant) -> None:
    beta.user(Role.VIEWER, email="only-in-beta@example.org")
    client = alpha.client(alpha.owner)

    response = client.get("/admin/users/user/")

    assert b"owner@alpha.org" in response.content
    assert b"only-in-beta@example.org" not in response.content
    assert b"owner@beta.org" not in response.content


@pytest.mark.parametrize("role", [Role.BOOKKEEPER, Role.FUNDRAISER, Role.VIEWER])
def test_staff_without_an_administrator_role_cannot_enter_the_admin(
    alpha: Tenant, role: str
) -> None:
    response = alpha.client(alpha.user(role)).get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_tenant_staff_never_reach_the_public_admin(alpha: Tenant) -> None:
    client = Client(HTTP_HOST="localhost")
    client.cookies["sessionid"] = alpha.client(alpha.owner).cookies["sessionid"].value

    response = client.get("/admin/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_organizations_cannot_be_added_or_deleted_from_the_admin(
    operator_user: User, alpha: Tenant
) -> None:
    client = Client(HTTP_HOST="localhost")
    client.force_login(operator_user)

    assert client.get("/admin/tenants/organization/add/").status_code == 403
    delete = f"/admin/tenants/organization/{alpha.organization.pk}/delete/"
    assert client.get(delete).status_code == 403


def _admin_login(client: Client, email: str, password: str, **extra: Any) -> TestResponse:
    return client.post(
        "/admin/login/", {"username": email, "password": password, "next": "/admin/"}, **extra
    )


def test_tenant_admin_login_is_throttled_per_client_and_tenant(
    alpha: Tenant, beta: Tenant, settings: Settings
) -> None:
    limit = settings.LOGIN_ATTEMPTS_PER_MINUTE
    client = alpha.client()

    failures = [
        _admin_login(
            client, "owner@alpha.org", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"
        ).status_code
        for n in range(limit)
    ]
    right_password = _admin_login(client, "owner@alpha.org", OWNER_PASSWORD)

    assert failures == [200] * limit
    assert right_password.status_code == 429
    assert b"Too many login attempts" in right_password.content
    assert "sessionid" not in client.cookies
    # another address, and the same address on another tenant's host, are counted apart
    elsewhere = _admin_login(
        alpha.client(), "owner@alpha.org", OWNER_PASSWORD, REMOTE_ADDR="10.0.0.9"
    )
    assert elsewhere.status_code == 302
    assert _admin_login(beta.client(), "owner@beta.org", OWNER_PASSWORD).status_code == 302


def test_public_admin_login_is_throttled_per_client(
    operator_user: User, alpha: Tenant, settings: Settings
) -> None:
    limit = settings.LOGIN_ATTEMPTS_PER_MINUTE
    client = Client(HTTP_HOST="localhost")

    failures = [
        _admin_login(
            client, "ops@ifm.test", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"
        ).status_code
        for n in range(limit)
    ]
    right_password = _admin_login(client, "ops@ifm.test", OPERATOR_PASSWORD)

    assert failures == [200] * limit
    assert right_password.status_code == 429
    assert "sessionid" not in client.cookies
    elsewhere = Client(HTTP_HOST="localhost", REMOTE_ADDR="10.0.0.9")
    assert _admin_login(elsewhere, "ops@ifm.test", OPERATOR_PASSWORD).status_code == 302
    # the public schema's counter is not a tenant's
    assert _admin_login(alpha.client(), "owner@alpha.org", OWNER_PASSWORD).status_code == 302


def test_admin_and_login_page_share_one_failure_counter(alpha: Tenant, settings: Settings) -> None:
    settings.LOGIN_ATTEMPTS_PER_MINUTE = 4
    client = alpha.client()
    for _ in range(2):
        assert _admin_login(client, "owner@alpha.org", "wrong").status_code == 200
        page = client.post("/accounts/login/", {"username": "owner@alpha.org", "password": "x"})
        assert page.status_code == 200

    assert _admin_login(client, "owner@alpha.org", OWNER_PASSWORD).status_code == 429

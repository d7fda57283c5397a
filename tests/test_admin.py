"""Django admin: operators' on the public host, each organization's on its host, each showing
only its own schema's apps."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from shared_apps.users.models import User
from shared_apps.users.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    with schema_context("public"):
        return User.objects.create_superuser("ops@ifm.test", "Operator-Pass-1")


def test_operator_sees_organizations_not_tenant_books(operator):
    client = Client(HTTP_HOST="localhost")
    client.force_login(operator)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert b"/admin/tenants/organization/" in response.content
    assert b"/admin/accounting/" not in response.content
    assert client.get("/admin/tenants/organization/").status_code == 200


def test_tenant_owner_sees_their_books_and_staff_not_organizations(alpha):
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


def test_tenant_admin_lists_only_its_own_staff(alpha, beta):
    beta.user(Role.VIEWER, email="only-in-beta@example.org")
    client = alpha.client(alpha.owner)

    response = client.get("/admin/users/user/")

    assert b"owner@alpha.org" in response.content
    assert b"only-in-beta@example.org" not in response.content
    assert b"owner@beta.org" not in response.content


@pytest.mark.parametrize("role", [Role.BOOKKEEPER, Role.FUNDRAISER, Role.VIEWER])
def test_staff_without_an_administrator_role_cannot_enter_the_admin(alpha, role):
    response = alpha.client(alpha.user(role)).get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_tenant_staff_never_reach_the_public_admin(alpha):
    client = Client(HTTP_HOST="localhost")
    client.cookies["sessionid"] = alpha.client(alpha.owner).cookies["sessionid"].value

    response = client.get("/admin/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_organizations_cannot_be_added_or_deleted_from_the_admin(operator, alpha):
    client = Client(HTTP_HOST="localhost")
    client.force_login(operator)

    assert client.get("/admin/tenants/organization/add/").status_code == 403
    delete = f"/admin/tenants/organization/{alpha.organization.pk}/delete/"
    assert client.get(delete).status_code == 403

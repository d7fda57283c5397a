"""Only operators reach the console, only on the public host; tenant staff never do."""

from __future__ import annotations

import pytest
from django.test import Client

from shared_apps.console.models import OperatorAuditEvent, TenantDeletion, TenantExport
from shared_apps.console.tests.factories import OPERATOR_PASSWORD, OperatorFactory
from shared_apps.tenants.models import OrganizationState
from shared_apps.users.models import User
from tests.plugin import OWNER_PASSWORD, Tenant

pytestmark = pytest.mark.django_db

PAGES = ["/console/", "/console/tenants/alpha/", "/console/audit/", "/console/health/"]
ACTIONS = ["suspend", "reactivate", "retry", "export", "delete"]


def _export(alpha: Tenant) -> TenantExport:
    return TenantExport.objects.create(
        organization_id=alpha.organization.pk,
        organization_slug="alpha",
        state="done",
        file_name="exports/alpha-x.dump",
    )


def test_anonymous_is_sent_to_the_login_page(alpha: Tenant, public_client: Client) -> None:
    for path in [*PAGES, f"/console/exports/{_export(alpha).pk}/download/"]:
        response = public_client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == f"/accounts/login/?next={path}"


def test_anonymous_actions_are_sent_to_login_and_change_nothing(
    alpha: Tenant, public_client: Client
) -> None:
    for action in ACTIONS:
        response = public_client.post(
            f"/console/tenants/alpha/{action}/", {"reason": "x", "confirmation": "alpha"}
        )
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    alpha.organization.refresh_from_db()
    assert alpha.organization.state == OrganizationState.ACTIVE
    assert not OperatorAuditEvent.objects.exists()
    assert not TenantDeletion.objects.exists()


def test_a_public_user_who_is_not_an_operator_gets_403_everywhere(alpha: Tenant) -> None:
    client = Client(HTTP_HOST="localhost")
    client.force_login(OperatorFactory.create(email="clerk@ifm.test", is_operator=False))

    for path in [*PAGES, f"/console/exports/{_export(alpha).pk}/download/"]:
        response = client.get(path)
        assert response.status_code == 403, path
        assert b"not an operator account" in response.content
    for action in ACTIONS:
        response = client.post(
            f"/console/tenants/alpha/{action}/", {"reason": "x", "confirmation": "alpha"}
        )
        assert response.status_code == 403
    alpha.organization.refresh_from_db()
    assert alpha.organization.state == OrganizationState.ACTIVE
    assert not OperatorAuditEvent.objects.exists()
    assert not TenantDeletion.objects.exists()


def test_an_inactive_operator_is_not_let_in(db: None) -> None:
    client = Client(HTTP_HOST="localhost")
    client.force_login(OperatorFactory.create(email="gone@ifm.test"))
    User.objects.filter(email="gone@ifm.test").update(is_active=False)

    response = client.get("/console/")

    assert response.status_code == 302  # an inactive user's session is no login at all


def test_operator_logs_in_through_the_public_login_page(operator_user: User) -> None:
    client = Client(HTTP_HOST="localhost")

    response = client.post(
        "/accounts/login/?next=/console/",
        {"username": operator_user.email, "password": OPERATOR_PASSWORD, "next": "/console/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/console/"
    page = client.get("/console/")
    assert page.status_code == 200
    assert b"<h1>Tenants</h1>" in page.content


def test_tenant_owner_session_is_useless_on_the_public_host(alpha: Tenant) -> None:
    """Alpha's owner has a session on alpha's host; replayed on the public host it is nobody."""
    tenant_client = alpha.client()
    tenant_client.post(
        "/accounts/login/", {"username": "owner@alpha.org", "password": OWNER_PASSWORD}
    )
    replay = Client(HTTP_HOST="localhost")
    replay.cookies["sessionid"] = tenant_client.cookies["sessionid"].value

    response = replay.get("/console/")
    action = replay.post("/console/tenants/alpha/suspend/", {"reason": "takeover"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert action.status_code == 302
    alpha.organization.refresh_from_db()
    assert alpha.organization.state == OrganizationState.ACTIVE


def test_tenant_owner_cannot_log_in_to_the_console(alpha: Tenant) -> None:
    client = Client(HTTP_HOST="localhost")

    client.post(
        "/accounts/login/?next=/console/",
        {"username": "owner@alpha.org", "password": OWNER_PASSWORD, "next": "/console/"},
    )
    response = client.get("/console/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_tenant_jwt_is_not_a_login_on_the_public_host(alpha: Tenant) -> None:
    token = alpha.access_token(alpha.owner)
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert client.get("/console/").status_code == 302
    response = client.post("/console/tenants/alpha/suspend/", {"reason": "token"})
    assert response.status_code == 302
    alpha.organization.refresh_from_db()
    assert alpha.organization.state == OrganizationState.ACTIVE


def test_console_does_not_exist_on_a_tenant_host(alpha: Tenant) -> None:
    """Even for the tenant's owner, logged in on its host: the URLs are the public host's."""
    client = alpha.client(alpha.owner)

    for path in [*PAGES, "/console/tenants/alpha/suspend/"]:
        assert client.get(path).status_code == 404, path
    assert client.post("/console/tenants/alpha/suspend/", {"reason": "x"}).status_code == 404
    assert not OperatorAuditEvent.objects.exists()


def test_actions_need_a_csrf_token(alpha: Tenant, operator_user: User) -> None:
    client = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    client.force_login(operator_user)

    response = client.post("/console/tenants/alpha/suspend/", {"reason": "no token"})

    assert response.status_code == 403
    alpha.organization.refresh_from_db()
    assert alpha.organization.state == OrganizationState.ACTIVE
    assert not OperatorAuditEvent.objects.exists()


def test_actions_are_post_only(alpha: Tenant, console: Client) -> None:
    assert console.get("/console/tenants/alpha/suspend/").status_code == 405
    alpha.organization.refresh_from_db()
    assert alpha.organization.state == OrganizationState.ACTIVE

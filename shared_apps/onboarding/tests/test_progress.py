"""The progress page and its status endpoint, through each state of a signup."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django import Settings

from shared_apps.onboarding.models import SignupState
from shared_apps.onboarding.tests.factories import SignupFactory
from shared_apps.tenants.models import Organization, OrganizationState
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def _statuses(body: dict[str, Any]) -> dict[str, str]:
    return {step["name"]: step["status"] for step in body["steps"]}


def test_a_pending_signup_asks_to_check_the_email(public_client: Client) -> None:
    signup = SignupFactory.create(slug="harbor", email="hana@harbor.org")

    page = public_client.get(f"/signup/{signup.public_id}/progress/")
    body = public_client.get(f"/signup/{signup.public_id}/status/").json()

    assert page.status_code == 200
    content = page.content.decode()
    assert "Check your email" in content
    assert "hana@harbor.org" in content
    assert f'href="/signup/{signup.public_id}/progress/" id="refresh-link"' in content
    assert "/static/onboarding/progress.js" in content
    assert body["state"] == "pending"
    assert body["finished"] is False
    assert _statuses(body) == {
        "verify": "current",
        "schema": "todo",
        "seed": "todo",
        "owner": "todo",
        "activate": "todo",
    }
    assert body["login_url"] is None


def test_steps_follow_the_organizations_provisioning(public_client: Client) -> None:
    signup = SignupFactory.create(
        slug="harbor", email="hana@harbor.org", state=SignupState.VERIFIED
    )
    Organization.objects.create(
        schema_name="harbor",
        slug="harbor",
        name="Harbor Food Bank",
        owner_email="hana@harbor.org",
        state=OrganizationState.PROVISIONING,
        provisioning_step="schema",
    )

    body = public_client.get(f"/signup/{signup.public_id}/status/").json()
    page = public_client.get(f"/signup/{signup.public_id}/progress/").content.decode()

    assert body["state"] == "provisioning"
    assert _statuses(body) == {
        "verify": "done",
        "schema": "done",
        "seed": "current",
        "owner": "todo",
        "activate": "todo",
    }
    assert "Setting up Harbor Food Bank" in page
    assert '<li class="step current" data-step="seed">' in page


def test_a_ready_organization_leads_to_its_login_page(
    public_client: Client, settings: Settings
) -> None:
    settings.PLATFORM_PORT = "8000"
    organization = Organization.objects.create(
        schema_name="harbor",
        slug="harbor",
        name="Harbor Food Bank",
        owner_email="hana@harbor.org",
        state=OrganizationState.ACTIVE,
        provisioning_step="activate",
    )
    signup = SignupFactory.create(
        slug="harbor", state=SignupState.COMPLETED, organization=organization
    )

    body = public_client.get(f"/signup/{signup.public_id}/status/").json()
    page = public_client.get(f"/signup/{signup.public_id}/progress/").content.decode()

    assert body["state"] == "active"
    assert body["finished"] is True
    assert body["login_url"] == "http://harbor.localhost:8000/accounts/login/"
    assert set(_statuses(body).values()) == {"done"}
    assert 'href="http://harbor.localhost:8000/accounts/login/"' in page
    assert "Harbor Food Bank is ready" in page


def test_an_expired_signup_says_so(public_client: Client) -> None:
    signup = SignupFactory.create(slug="harbor", expires_at=timezone.now() - timedelta(hours=1))

    body = public_client.get(f"/signup/{signup.public_id}/status/").json()
    page = public_client.get(f"/signup/{signup.public_id}/progress/").content.decode()

    assert body["state"] == "expired"
    assert body["finished"] is True
    assert "Nothing was created" in body["message"]
    assert "Sign up again" in page


def test_an_unknown_signup_is_a_404(public_client: Client) -> None:
    missing = uuid.uuid4()
    assert public_client.get(f"/signup/{missing}/progress/").status_code == 404
    response = public_client.get(f"/signup/{missing}/status/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert public_client.get("/signup/12/progress/").status_code == 404


def test_progress_is_not_on_tenant_hosts(alpha: Tenant) -> None:
    signup = SignupFactory.create(slug="harbor")
    assert alpha.client().get(f"/signup/{signup.public_id}/status/").status_code == 404

"""tenant_provision: validation, the steps, failure and resume, the seeded chart."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context, schema_exists
from pytest_django import DjangoCaptureOnCommitCallbacks

from provisioning import services
from provisioning.seed import chart_accounts
from provisioning.services import ProvisioningFailed, tenant_provision, tenant_provision_resume
from saas_platform.lib.connection import connection
from shared_apps.tenants.models import Domain, Organization, OrganizationState
from shared_apps.users.models import User
from tenant_apps.accounting.models import Account, Fund, NormalBalance, Restriction
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "Gamma Food Bank",
    "owner_email": "owner@gamma.org",
    "owner_password": "Gamma-Pass-99",
}


def _provision(slug: str = "gamma", **overrides: Any) -> Organization:
    return tenant_provision(slug=slug, **{**GOOD, **overrides})


def test_provisioning_makes_a_usable_tenant(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        organization = _provision()

    assert organization.state == OrganizationState.ACTIVE
    assert organization.provisioning_step == "activate"
    assert organization.schema_name == "gamma"
    assert Domain.objects.get(tenant=organization).domain == "gamma.localhost"
    with schema_context("gamma"):
        owner = User.objects.get()
        assert owner.email == "owner@gamma.org"
        assert owner.role == "owner"
        assert owner.check_password("Gamma-Pass-99")
        assert Account.objects.count() == len(chart_accounts())
        assert set(Fund.objects.values_list("code", "restriction")) == {
            ("GEN", Restriction.WITHOUT),
            ("PRP", Restriction.PURPOSE),
        }
    # the welcome email went out after commit, from the tenant's schema
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["owner@gamma.org"]
    assert "http://gamma.localhost/accounts/login/" in mail.outbox[0].body
    assert connection.schema_name == "public"


def test_the_new_tenant_answers_on_its_host(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    from django.test import Client

    _provision()

    client = Client(HTTP_HOST="gamma.localhost")
    assert (
        client.post(
            "/accounts/login/", {"username": "owner@gamma.org", "password": "Gamma-Pass-99"}
        ).status_code
        == 302
    )
    assert b"Gamma Food Bank" in client.get("/").content


def test_seeded_chart_follows_the_ucoa_layout() -> None:
    _provision()
    with schema_context("gamma"):
        accounts = {account.code: account for account in Account.objects.select_related("parent")}
    assert 60 <= len(accounts) <= 90
    for code, kind in [
        ("1010", "asset"),
        ("1210", "asset"),
        ("2010", "liability"),
        ("3010", "net_assets"),
        ("3110", "net_assets"),
        ("4010", "revenue"),
        ("4020", "revenue"),
        ("4110", "revenue"),
        ("6910", "revenue"),
        ("8550", "expense"),
    ]:
        assert accounts[code].type == kind, code
    for account in accounts.values():
        expected = NormalBalance.DEBIT if account.type in ("asset", "expense") else "credit"
        assert account.normal_balance == expected, account.code
    parent = accounts["1010"].parent
    assert parent is not None
    assert parent.code == "1000"


def test_owner_without_a_password_gets_a_set_password_link(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _provision(owner_password=None)

    with schema_context("gamma"):
        assert not User.objects.get().has_usable_password()
    assert "http://gamma.localhost/accounts/reset/" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("ab", "at least 3 characters"),
        ("a" * 41, "at most 40 characters"),
        ("Has Space", "lowercase letters, digits and hyphens"),
        ("-leading", "lowercase letters, digits and hyphens"),
        ("trailing-", "lowercase letters, digits and hyphens"),
        ("under_score", "lowercase letters, digits and hyphens"),
        ("two--hyphens", "two hyphens"),
        ("www", "reserved"),
        ("admin", "reserved"),
        ("console", "reserved"),
        ("pg-catalog", "reserved"),
        ("alpha", "taken"),
    ],
)
def test_bad_slugs_are_refused_with_a_clear_message_and_nothing_is_made(
    slug: str, message: str
) -> None:
    before = (Organization.objects.count(), Domain.objects.count())

    with pytest.raises(ValidationError) as caught:
        _provision(slug=slug)

    assert message in " ".join(caught.value.message_dict["slug"])
    assert (Organization.objects.count(), Domain.objects.count()) == before


def test_slug_is_normalised_to_lowercase() -> None:
    assert _provision(slug="  Gamma ").slug == "gamma"


def test_hyphenated_slug_gets_an_underscored_schema_and_a_hyphenated_host() -> None:
    organization = _provision(slug="gamma-east")
    assert organization.schema_name == "gamma_east"
    assert organization.domains.get().domain == "gamma-east.localhost"


def test_bad_owner_email_name_and_password_are_each_named() -> None:
    with pytest.raises(ValidationError) as caught:
        tenant_provision(slug="gamma", name=" ", owner_email="not-an-email", owner_password="123")

    assert set(caught.value.message_dict) == {"name", "owner_email", "owner_password"}
    assert not Organization.objects.filter(slug="gamma").exists()
    assert not schema_exists("gamma")


def test_a_failed_step_leaves_the_tenant_failed_with_the_error_and_unserved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.test import Client

    def broken_seed() -> None:
        raise RuntimeError("chart file unreadable")

    monkeypatch.setattr(services, "tenant_seed", broken_seed)

    with pytest.raises(ProvisioningFailed) as caught:
        _provision()

    organization = Organization.objects.get(slug="gamma")
    assert caught.value.step == "seed"
    assert organization.state == OrganizationState.FAILED
    assert organization.state_reason == "seed: chart file unreadable"
    assert organization.provisioning_step == "schema"
    assert schema_exists("gamma")
    assert Client(HTTP_HOST="gamma.localhost").get("/accounts/login/").status_code == 503
    assert connection.schema_name == "public"


def test_running_it_again_resumes_a_failed_tenant(
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    calls = []
    real_seed = services.tenant_seed

    def seed_that_fails_once() -> None:
        calls.append(1)
        real_seed()  # part of the work is done...
        if len(calls) == 1:
            raise RuntimeError("connection lost")  # ...then it fails

    monkeypatch.setattr(services, "tenant_seed", seed_that_fails_once)
    with pytest.raises(ProvisioningFailed):
        _provision()

    with django_capture_on_commit_callbacks(execute=True):
        organization = _provision()

    assert organization.state == OrganizationState.ACTIVE
    assert organization.state_reason == ""
    assert Organization.objects.filter(slug="gamma").count() == 1
    with schema_context("gamma"):
        assert Account.objects.count() == len(chart_accounts())
        assert User.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_failed_tenant_of_another_owner_stays_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "tenant_seed", lambda: 1 / 0)
    with pytest.raises(ProvisioningFailed):
        _provision()

    with pytest.raises(ValidationError) as caught:
        _provision(owner_email="someone@else.org")
    assert "taken" in caught.value.message_dict["slug"][0]


def test_every_step_is_idempotent() -> None:
    organization = _provision()
    organization.state = OrganizationState.PROVISIONING
    organization.save()

    tenant_provision_resume(organization=organization)

    with schema_context("gamma"):
        assert Account.objects.count() == len(chart_accounts())
        assert Fund.objects.count() == 2
        assert User.objects.count() == 1
    assert Organization.objects.get(slug="gamma").state == OrganizationState.ACTIVE


def test_resume_refuses_an_active_tenant(alpha: Tenant) -> None:
    with pytest.raises(ValidationError):
        tenant_provision_resume(organization=alpha.organization)

"""Lifecycle: tenants_check, resuming a failed provisioning at its failed step, and a delete
that fails halfway leaving the tenant whole."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from provisioning import services
from provisioning.seed import chart_accounts
from provisioning.services import (
    ProvisioningFailed,
    tenant_provision,
    tenant_provision_resume,
)
from shared_apps.tenants.models import Organization, OrganizationState
from shared_apps.users.models import User
from tenant_apps.accounting.models import Account
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

GOOD = {"name": "Gamma Food Bank", "owner_email": "owner@gamma.org", "owner_password": "G-Pass-991"}


def _check() -> tuple[int, str]:
    from io import StringIO

    out = StringIO()
    try:
        call_command("tenants_check", stdout=out)
    except CommandError as error:
        return 1, out.getvalue() + str(error)
    return 0, out.getvalue()


# --- tenants_check -----------------------------------------------------------------------


def test_check_passes_with_only_tenants_public_and_the_template(
    alpha: Tenant, beta: Tenant
) -> None:
    status, output = _check()
    assert status == 0, output
    assert "Every tenant has its schema" in output


def test_check_lists_a_schema_without_a_tenant(alpha: Tenant) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA leftover")
    status, output = _check()
    assert status == 1
    assert "schema without a tenant: leftover" in output
    assert "_template" not in output
    assert "public" not in output.replace("leftover", "")


def test_check_lists_a_tenant_without_a_schema(alpha: Tenant) -> None:
    Organization.objects.create(
        schema_name="ghost", slug="ghost", name="Ghost", state=OrganizationState.ACTIVE
    )
    Organization.objects.create(
        schema_name="gone", slug="gone", name="Gone", state=OrganizationState.CLOSED
    )
    status, output = _check()
    assert status == 1
    assert "tenant without a schema: ghost (schema ghost, active)" in output
    assert "gone" not in output


# --- Resuming a failed provisioning at the step that failed -------------------------------


def _record_steps(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    ran: list[str] = []

    def recorded(name: str, step: Any) -> Any:
        def run(organization: Organization, owner: Any) -> None:
            ran.append(name)
            step(organization, owner)

        return run

    monkeypatch.setattr(
        services, "STEPS", [(name, recorded(name, step)) for name, step in services.STEPS]
    )
    return ran


def test_a_failure_in_the_clone_leaves_no_schema_and_a_retry_clones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_clone = services.tenant_schema_clone

    def clone_that_fails(schema_name: str) -> bool:
        real_clone(schema_name)  # the DDL ran...
        raise RuntimeError("connection lost")  # ...then the step failed before its commit

    monkeypatch.setattr(services, "tenant_schema_clone", clone_that_fails)
    with pytest.raises(ProvisioningFailed) as caught:
        tenant_provision(slug="gamma", **GOOD)
    assert caught.value.step == "schema"
    organization = Organization.objects.get(slug="gamma")
    assert organization.state == OrganizationState.FAILED
    assert organization.state_reason == "schema: connection lost"
    assert organization.provisioning_step == ""
    assert not schema_exists("gamma")  # the step's transaction took the half-made schema back

    monkeypatch.setattr(services, "tenant_schema_clone", real_clone)
    ran = _record_steps(monkeypatch)
    organization = tenant_provision_resume(organization=organization, owner_password="G-Pass-991")

    assert ran == ["schema", "seed", "owner", "activate"]
    assert organization.state == OrganizationState.ACTIVE
    with schema_context("gamma"):
        assert Account.objects.count() == len(chart_accounts())
        assert User.objects.get().check_password("G-Pass-991")


def test_a_failure_in_the_seed_resumes_at_the_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_seed() -> None:
        raise RuntimeError("chart file unreadable")

    monkeypatch.setattr(services, "tenant_seed", broken_seed)
    with pytest.raises(ProvisioningFailed) as caught:
        tenant_provision(slug="gamma", **GOOD)
    assert caught.value.step == "seed"
    organization = Organization.objects.get(slug="gamma")
    assert (organization.state, organization.provisioning_step) == ("failed", "schema")
    assert schema_exists("gamma")
    with schema_context("gamma"):
        assert Account.objects.count() == 0

    monkeypatch.undo()
    ran = _record_steps(monkeypatch)
    organization = tenant_provision_resume(organization=organization, owner_password="G-Pass-991")

    assert ran == ["seed", "owner", "activate"]  # the schema is not made again
    assert organization.state == OrganizationState.ACTIVE
    assert organization.state_reason == ""
    with schema_context("gamma"):
        assert Account.objects.count() == len(chart_accounts())
        assert User.objects.count() == 1


def test_a_resume_whose_schema_went_missing_starts_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "tenant_seed", lambda: 1 / 0)
    with pytest.raises(ProvisioningFailed):
        tenant_provision(slug="gamma", **GOOD)
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA gamma CASCADE")
    monkeypatch.undo()
    ran = _record_steps(monkeypatch)

    organization = tenant_provision_resume(organization=Organization.objects.get(slug="gamma"))

    assert ran == ["schema", "seed", "owner", "activate"]
    assert organization.state == OrganizationState.ACTIVE

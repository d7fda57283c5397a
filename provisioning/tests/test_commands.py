"""manage.py provision_tenant and platform_setup."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tenants.utils import schema_context

from shared_apps.tenants.models import Domain, Organization
from shared_apps.users.models import User

pytestmark = pytest.mark.django_db


def test_provision_tenant_prints_a_generated_password_that_works() -> None:
    out = StringIO()

    call_command(
        "provision_tenant",
        "--slug",
        "delta",
        "--name",
        "Delta Shelter",
        "--owner-email",
        "Owner@Delta.org",
        stdout=out,
    )

    output = out.getvalue()
    assert "Delta Shelter is ready." in output
    assert "http://delta.localhost/" in output
    password = output.split("Password:")[1].strip()
    with schema_context("delta"):
        assert User.objects.get(email="owner@delta.org").check_password(password)


def test_provision_tenant_with_a_given_password_does_not_print_it() -> None:
    out = StringIO()
    call_command(
        "provision_tenant",
        "--slug",
        "delta",
        "--name",
        "Delta Shelter",
        "--owner-email",
        "owner@delta.org",
        "--owner-password",
        "Delta-Pass-42",
        stdout=out,
    )
    assert "Delta-Pass-42" not in out.getvalue()
    assert "Password:" not in out.getvalue()


def test_provision_tenant_reports_bad_input_by_field_and_makes_nothing() -> None:
    before = Organization.objects.count()

    with pytest.raises(CommandError) as caught:
        call_command(
            "provision_tenant",
            "--slug",
            "www",
            "--name",
            "",
            "--owner-email",
            "nope",
        )

    message = str(caught.value)
    assert "slug:" in message
    assert "reserved" in message
    assert "name:" in message
    assert "owner_email:" in message
    assert Organization.objects.count() == before


def test_platform_setup_is_idempotent() -> None:
    arguments = ["--operator-email", "ops@ifm.test", "--operator-password", "Ops-Pass-2026"]
    for _ in range(2):
        call_command("platform_setup", *arguments, stdout=StringIO())

    assert Domain.objects.filter(domain="localhost").count() == 1
    with schema_context("public"):
        operator = User.objects.get(email="ops@ifm.test")
    assert operator.is_operator
    assert operator.is_superuser

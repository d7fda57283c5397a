"""manage.py provision_tenant and platform_setup."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tenants.utils import schema_context

from provisioning.demo.pages import PAGES
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


def test_demo_setup_makes_a_demo_tenant_with_balanced_books_once() -> None:
    from django.utils import timezone

    from tenant_apps.accounting import reports
    from tenant_apps.accounting.models import JournalEntry
    from tenant_apps.donations.models import Gift
    from tenant_apps.donors.models import Donor

    for _ in range(2):
        out = StringIO()
        call_command("demo_setup", stdout=out)

    assert "demo.localhost" in out.getvalue()
    welcome = StringIO()
    call_command("demo_welcome", stdout=welcome)
    for page in PAGES:
        assert f"{page.path}  " in welcome.getvalue(), page
    assert "bookkeeper@demo.localhost" in welcome.getvalue()
    with schema_context("demo"):
        assert User.objects.count() == 6
        # seven postings, the release the restricted supplies generated, and two posted gifts
        assert JournalEntry.objects.filter(state="posted").count() == 10
        assert Donor.objects.count() == 3
        assert sorted(Gift.objects.values_list("state", "amount")) == [
            ("draft", Decimal("5000.00")),
            ("posted", Decimal("250.00")),
            ("posted", Decimal("1000.00")),
        ]
        balance = reports.trial_balance(as_of=timezone.localdate()).as_json()
        position = reports.financial_position(as_of=timezone.localdate()).as_json()
    assert balance["balanced"]
    assert balance["total_debit"] == "16820.00"
    assert position["net_assets"] == {
        "without_donor_restrictions": "2916.22",
        "with_donor_restrictions": "7550.00",
        "total": "10466.22",
    }

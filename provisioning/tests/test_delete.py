"""Deleting a tenant exports its schema first, then drops it; nothing is left behind. A tenant
that never had a schema has nothing to export and is removed all the same."""

from __future__ import annotations

import subprocess
from io import StringIO
from typing import NoReturn

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django_tenants.utils import schema_context, schema_exists
from pytest_django import DjangoDbBlocker

from provisioning.services import tenant_delete, tenant_drop
from saas_platform.lib.connection import connection
from saas_platform.lib.errors import StateConflict
from shared_apps.tenants.models import Domain, Organization, OrganizationState


def test_delete_exports_then_drops_the_schema(
    committed_tenant: Organization, django_db_blocker: DjangoDbBlocker
) -> None:
    slug = committed_tenant.slug
    with django_db_blocker.unblock():
        export_name = tenant_delete(organization=committed_tenant)

        assert not schema_exists(committed_tenant.schema_name)
        assert not Organization.objects.filter(slug=slug).exists()
        assert not Domain.objects.filter(domain__startswith=f"{slug}.").exists()
        assert export_name is not None
        with schema_context("public"):
            assert export_name.startswith(f"exports/{slug}-")
            assert default_storage.exists(export_name)
            assert "/tenants/public/exports/" in default_storage.path(export_name)
            with default_storage.open(export_name) as dump:
                contents = dump.read()
    # a pg_dump archive in custom format, holding the tenant's chart of accounts
    assert contents.startswith(b"PGDMP")
    listing = subprocess.run(
        ["pg_restore", "--list"], input=contents, capture_output=True, check=True
    ).stdout.decode()
    assert f"TABLE {committed_tenant.schema_name} accounting_account" in listing
    assert connection.schema_name == "public"


def test_delete_command_refuses_without_confirmation(
    committed_tenant: Organization,
    django_db_blocker: DjangoDbBlocker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.core.management.base import CommandError

    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with django_db_blocker.unblock():
        with pytest.raises(CommandError, match="Not deleted"):
            call_command("delete_tenant", committed_tenant.slug)
        assert schema_exists(committed_tenant.schema_name)


def test_delete_command_refuses_the_public_schema(django_db_blocker: DjangoDbBlocker) -> None:
    from django.core.management.base import CommandError

    with django_db_blocker.unblock(), pytest.raises(CommandError, match="No tenant"):
        call_command("delete_tenant", "public", "--yes")


def test_a_delete_that_fails_after_the_drop_leaves_the_tenant_whole(
    committed_tenant: Organization,
    django_db_blocker: DjangoDbBlocker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from provisioning import services

    monkeypatch.setattr(services, "tenant_export", lambda *, organization: "exports/x.dump")

    def failing_delete(self: Organization, *args: object, **kwargs: object) -> NoReturn:
        raise RuntimeError("disk full")

    monkeypatch.setattr(Organization, "delete", failing_delete)
    with django_db_blocker.unblock():
        with pytest.raises(RuntimeError, match="disk full"):
            tenant_delete(organization=committed_tenant)

        assert schema_exists(committed_tenant.schema_name)
        assert Organization.objects.filter(slug=committed_tenant.slug).exists()
        assert Domain.objects.filter(tenant__slug=committed_tenant.slug).exists()
        with schema_context(committed_tenant.schema_name):
            from tenant_apps.accounting.models import Account

            assert Account.objects.exists()
        call_command("tenants_check", stdout=StringIO())  # raises when something is orphaned


def test_a_delete_whose_export_fails_deletes_nothing(
    committed_tenant: Organization,
    django_db_blocker: DjangoDbBlocker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from provisioning import services

    def failing_export(*, organization: Organization) -> NoReturn:
        raise RuntimeError("pg_dump failed")

    monkeypatch.setattr(services, "tenant_export", failing_export)
    with django_db_blocker.unblock():
        with pytest.raises(RuntimeError, match="pg_dump failed"):
            tenant_delete(organization=committed_tenant)
        assert schema_exists(committed_tenant.schema_name)
        assert Organization.objects.filter(slug=committed_tenant.slug).exists()


def test_after_a_delete_the_check_finds_nothing_left(
    committed_tenant: Organization, django_db_blocker: DjangoDbBlocker
) -> None:
    with django_db_blocker.unblock():
        tenant_delete(organization=committed_tenant)
        out = StringIO()
        call_command("tenants_check", stdout=out)  # raises when something is orphaned
    assert "Every tenant has its schema" in out.getvalue()


@pytest.mark.django_db
def test_a_tenant_without_a_schema_is_deleted_with_nothing_to_export() -> None:
    organization = Organization.objects.create(
        schema_name="ghost", slug="ghost", name="Ghost", state=OrganizationState.FAILED
    )
    Domain.objects.create(domain="ghost.localhost", tenant=organization, is_primary=True)

    assert tenant_delete(organization=organization) is None

    assert not Organization.objects.filter(slug="ghost").exists()
    assert not Domain.objects.filter(domain="ghost.localhost").exists()
    out = StringIO()
    call_command("tenants_check", stdout=out)
    assert "Every tenant has its schema" in out.getvalue()


@pytest.mark.django_db
def test_a_schema_that_appeared_unexported_is_never_dropped() -> None:
    """The schema was missing when the deletion began (so nothing was exported), then was made:
    the drop refuses rather than lose it, and the tenant stays whole."""
    organization = Organization.objects.create(
        schema_name="late", slug="late", name="Late", state=OrganizationState.FAILED
    )
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "late"')

    with pytest.raises(StateConflict, match="has a schema now"):
        tenant_drop(organization=organization, export_name=None)

    assert schema_exists("late")
    assert Organization.objects.filter(slug="late").exists()


@pytest.mark.django_db
def test_the_delete_command_removes_a_tenant_without_a_schema() -> None:
    Organization.objects.create(
        schema_name="ghost", slug="ghost", name="Ghost", state=OrganizationState.FAILED
    )
    out = StringIO()

    call_command("delete_tenant", "ghost", "--yes", stdout=out)

    assert "Deleted ghost; export: none, it had no schema" in out.getvalue()
    assert not Organization.objects.filter(slug="ghost").exists()

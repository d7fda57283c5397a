"""No tenant is ever built in, or drops, a schema that is not its own: PostgreSQL's
(information_schema, pg_*), the public schema, the template, a spare, or one in the catalog that
no organization registered."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_tenants.utils import schema_exists
from pytest_django import Settings

from provisioning.models import SpareSchema
from provisioning.schemas import schema_name_reserved_as
from provisioning.services import tenant_delete, tenant_drop, tenant_provision
from provisioning.template import template_schema_name
from shared_apps.tenants.models import Domain, Organization, OrganizationState

pytestmark = pytest.mark.django_db

# Slugs whose schema name is one PostgreSQL or the platform keeps, and the message for each.
RESERVED_SLUGS = ["information-schema", "public", "pg-catalog", "pg-toast", "PG-Temp-1"]
OWNER = {"name": "Some Trust", "owner_email": "owner@trust.org", "owner_password": "Trust-Pass-99"}


def _tables_in(schema_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s",
            [schema_name],
        )
        return cursor.fetchone()[0]


def _schema_made(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{name}"')


@pytest.mark.parametrize(
    ("schema_name", "reserved"),
    [
        ("information_schema", True),
        ("INFORMATION_SCHEMA", True),
        ("public", True),
        ("pg_catalog", True),
        ("PG_anything", True),
        ("_template", True),
        ("_spare_0a1b2c3d4e5f", True),
        ("pgx", False),
        ("alpha", False),
        ("information_schema_2", False),
    ],
)
def test_the_names_that_are_never_a_tenants(schema_name: str, reserved: bool) -> None:
    assert (schema_name_reserved_as(schema_name) is not None) is reserved


# --- Provisioning ------------------------------------------------------------------------


@pytest.mark.parametrize("slug", RESERVED_SLUGS)
def test_provisioning_refuses_a_slug_naming_a_system_schema(slug: str) -> None:
    tables_before = _tables_in("information_schema")
    organizations_before = Organization.objects.count()

    with pytest.raises(ValidationError) as caught:
        tenant_provision(slug=slug, **OWNER)

    assert caught.value.message_dict["slug"] == [
        f"“{slug.lower()}” is reserved; please choose another."
    ]
    assert Organization.objects.count() == organizations_before
    assert not Domain.objects.filter(domain__startswith=f"{slug.lower()}.").exists()
    assert _tables_in("information_schema") == tables_before


def test_provisioning_refuses_the_template_schemas_name(settings: Settings) -> None:
    settings.PROVISIONING_TEMPLATE_SCHEMA = "shared_template"

    with pytest.raises(ValidationError) as caught:
        tenant_provision(slug="shared-template", **OWNER)

    assert caught.value.message_dict["slug"] == [
        "“shared-template” is reserved; please choose another."
    ]
    assert not Organization.objects.filter(slug="shared-template").exists()


@pytest.mark.parametrize("made_as", ["handmade_x", "Handmade_X"])
def test_provisioning_refuses_a_schema_in_the_catalog_that_no_tenant_owns(made_as: str) -> None:
    _schema_made(made_as)

    with pytest.raises(ValidationError) as caught:
        tenant_provision(slug="handmade-x", **OWNER)

    assert caught.value.message_dict["slug"] == ["“handmade-x” is reserved; please choose another."]
    assert not Organization.objects.filter(slug="handmade-x").exists()
    assert _tables_in(made_as) == 0  # nothing was migrated into it


def test_the_provision_command_refuses_information_schema() -> None:
    tables_before = _tables_in("information_schema")

    with pytest.raises(CommandError, match="slug: “information-schema” is reserved"):
        call_command(
            "provision_tenant",
            "--slug",
            "information-schema",
            "--name",
            "Info",
            "--owner-email",
            "owner@info.org",
            stdout=StringIO(),
        )

    assert not Organization.objects.filter(slug="information-schema").exists()
    assert _tables_in("information_schema") == tables_before


def test_the_provision_command_refuses_a_schema_made_by_hand() -> None:
    _schema_made("handmade_y")

    with pytest.raises(CommandError, match="slug: “handmade-y” is reserved"):
        call_command(
            "provision_tenant",
            "--slug",
            "handmade-y",
            "--name",
            "Hand",
            "--owner-email",
            "owner@hand.org",
            stdout=StringIO(),
        )

    assert not Organization.objects.filter(slug="handmade-y").exists()


def test_resuming_a_row_that_records_information_schema_migrates_nothing_into_it() -> None:
    """A failed organization from before the check, recording PostgreSQL's schema: a retry
    is refused before any step, and the row is left as it was."""
    from provisioning.services import tenant_provision_resume

    organization = _registered("information_schema", state=OrganizationState.FAILED)
    tables_before = _tables_in("information_schema")

    with pytest.raises(ValidationError, match="is PostgreSQL's own schema"):
        tenant_provision_resume(organization=organization, owner_password="Trust-Pass-99")

    organization.refresh_from_db()
    assert organization.state == OrganizationState.FAILED
    assert _tables_in("information_schema") == tables_before


# --- Deletion ----------------------------------------------------------------------------


def _registered(schema_name: str, *, state: str = OrganizationState.ACTIVE) -> Organization:
    """An organization row recording `schema_name`, as one made before the check could be."""
    slug = schema_name.strip("_").replace("_", "-").lower()
    organization = Organization.objects.create(
        schema_name=schema_name, slug=slug, name="Old Row", state=state
    )
    Domain.objects.create(domain=f"{slug}.localhost", tenant=organization, is_primary=True)
    return organization


def _spare_made() -> str:
    name = "_spare_0a1b2c3d4e5f"
    _schema_made(name)
    SpareSchema.objects.create(schema_name=name, template_key="test")
    return name


def _system_schema(kind: str) -> str:
    if kind == "template":
        name = template_schema_name()
        if not schema_exists(name):
            _schema_made(name)
        return name
    if kind == "spare":
        return _spare_made()
    return kind


SYSTEM_SCHEMAS = ["information_schema", "pg_toast", "template", "spare"]


@pytest.mark.parametrize("kind", SYSTEM_SCHEMAS)
def test_delete_refuses_a_row_recording_a_schema_that_is_not_a_tenants(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from provisioning import services

    schema_name = _system_schema(kind)
    organization = _registered(schema_name)
    exported = []
    monkeypatch.setattr(
        services, "tenant_export", lambda *, organization: exported.append(organization)
    )

    with pytest.raises(ValidationError, match=f"The schema {schema_name} recorded for"):
        tenant_delete(organization=organization)
    with pytest.raises(ValidationError, match="nothing was created or dropped"):
        tenant_drop(organization=organization, export_name="exports/x.dump")

    assert schema_exists(schema_name)
    assert exported == []  # not even exported
    assert Organization.objects.filter(pk=organization.pk).exists()
    assert Domain.objects.filter(tenant=organization).exists()


def test_information_schema_keeps_its_views_after_a_refused_delete() -> None:
    organization = _registered("information_schema")

    with pytest.raises(ValidationError):
        tenant_delete(organization=organization)

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM information_schema.schemata")
        assert cursor.fetchone()[0] > 0


@pytest.mark.parametrize("kind", SYSTEM_SCHEMAS)
def test_the_delete_command_refuses_before_anything_is_done(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema_name = _system_schema(kind)
    organization = _registered(schema_name)
    monkeypatch.setattr(
        "provisioning.management.commands.delete_tenant.subscription_stripe_cancel",
        lambda **kwargs: pytest.fail("Stripe was asked to cancel"),
    )

    with pytest.raises(CommandError, match=f"Not deleted: The schema {schema_name} recorded"):
        call_command("delete_tenant", organization.slug, "--yes", stdout=StringIO())

    assert schema_exists(schema_name)
    assert Organization.objects.filter(pk=organization.pk).exists()


def test_a_tenant_owning_a_schema_made_by_hand_can_still_be_deleted() -> None:
    """A registered organization's own schema is its own, whatever made it."""
    _schema_made("tenant_kept")
    organization = Organization.objects.create(
        schema_name="tenant_kept", slug="kept", name="Kept", state=OrganizationState.FAILED
    )

    tenant_drop(organization=organization, export_name="exports/kept.dump")

    assert not schema_exists("tenant_kept")
    assert not Organization.objects.filter(slug="kept").exists()


def test_the_check_names_a_row_recording_information_schema_for_what_it_is() -> None:
    """Not "a tenant without a schema" (PostgreSQL's schemas are left out of the catalog it
    reads): the row itself is the problem, and says so."""
    _registered("information_schema", state=OrganizationState.FAILED)
    out = StringIO()

    with pytest.raises(CommandError, match="1 tenant\\(s\\) recording a schema not their own"):
        call_command("tenants_check", stdout=out)

    assert (
        "tenant recording a schema that is not its own: information-schema (schema "
        "information_schema is PostgreSQL's own schema)"
    ) in out.getvalue()
    assert "tenant without a schema: information-schema" not in out.getvalue()

"""migrate_schemas migrates only the schemas behind the code's migrations: with nothing to apply
it runs migrate in no schema; a tenant behind is migrated alone; a tenant whose migration fails
is recorded and named while the others are migrated, and the command exits non-zero; the
template and the spare schemas are found and brought up like tenants."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.migrations.loader import MigrationLoader
from django.db.models.signals import pre_migrate
from pytest_django import DjangoDbBlocker, Settings

from provisioning.models import SchemaMigrationFailure, SpareSchema
from provisioning.schema_migrations import schemas_behind
from provisioning.services import tenant_provision
from provisioning.spares import spares_refill
from provisioning.template import migration_nodes, template_schema_name, template_state
from provisioning.tests.test_template import _applied
from saas_platform.lib.connection import connection
from shared_apps.tenants.models import Organization
from tests.plugin import OWNER_PASSWORD, Tenant


def _leaf(app_label: str) -> str:
    (name,) = [name for app, name in MigrationLoader(None).graph.leaf_nodes() if app == app_label]
    return name


# A migration of a public-schema app: recorded in every tenant schema, but its operations do
# nothing there (the router), so applying it again in a tenant succeeds.
HARMLESS = ("provisioning", _leaf("provisioning"))
# The last migration of personnel, a tenant app, adds columns: applied again it fails (the
# columns are there), as a migration that meets a tenant's data it does not expect would.
FAILING = ("personnel", _leaf("personnel"))


def _forget(schema_name: str, migration: tuple[str, str]) -> None:
    """Make a schema behind by one migration, as a deploy with a new migration would."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'DELETE FROM "{schema_name}".django_migrations WHERE app = %s AND name = %s',  # noqa: S608
            list(migration),
        )
        assert cursor.rowcount == 1


@pytest.fixture
def migrated_in() -> Iterator[list[str]]:
    """The schemas Django's migrate ran in (its pre_migrate signal, sent once per app)."""
    schemas: list[str] = []

    def record(**kwargs: Any) -> None:
        if connection.schema_name not in schemas:
            schemas.append(connection.schema_name)

    pre_migrate.connect(record, dispatch_uid="test-migrated-in")
    yield schemas
    pre_migrate.disconnect(dispatch_uid="test-migrated-in")


@pytest.fixture
def settled(alpha: Tenant, beta: Tenant) -> None:
    """Every schema at the code's migrations, the template made."""
    call_command("migrate_schemas", interactive=False, verbosity=0)
    assert schemas_behind() == []


def _run() -> str:
    output = StringIO()
    call_command("migrate_schemas", interactive=False, stdout=output, stderr=output)
    return output.getvalue()


@pytest.mark.django_db
def test_nothing_to_apply_runs_migrate_in_no_schema(
    settled: None, migrated_in: list[str], django_assert_max_num_queries: Any
) -> None:
    # two to find what is behind, the rest the spares' refill finding nothing to do; each
    # query counted with the SET search_path before it
    with django_assert_max_num_queries(24):
        output = _run()

    assert migrated_in == []
    assert "0 schema(s) behind the code's migrations" in output
    assert "migrated 0 schema(s), 0 failed" in output


@pytest.mark.django_db
def test_a_tenant_behind_is_migrated_and_no_other(
    settled: None, alpha: Tenant, migrated_in: list[str]
) -> None:
    _forget("alpha", HARMLESS)

    output = _run()

    assert migrated_in == ["alpha"]
    assert "1 schema(s) behind the code's migrations: alpha (1)" in output
    assert _applied("alpha") == migration_nodes()
    assert schemas_behind() == []


@pytest.mark.django_db
def test_a_failing_tenant_is_named_and_recorded_while_the_others_are_migrated(
    settled: None, alpha: Tenant, beta: Tenant, migrated_in: list[str]
) -> None:
    _forget("alpha", FAILING)  # first in order: the failure must not stop beta
    _forget("beta", HARMLESS)

    with pytest.raises(CommandError, match=r"1 schema\(s\) failed to migrate .*: alpha\."):
        _run()

    assert migrated_in == ["alpha", "beta"]
    assert _applied("beta") == migration_nodes()
    assert FAILING not in _applied("alpha")
    failure = SchemaMigrationFailure.objects.get()
    assert failure.schema_name == "alpha"
    assert "already exists" in failure.error
    assert [item.schema_name for item in schemas_behind()] == ["alpha"]
    report = StringIO()
    call_command("tenants_check", stdout=report)
    assert "migration failed at" in report.getvalue()
    assert ": alpha: ProgrammingError: column" in report.getvalue()

    # once the schema is mended, the next run migrates it and clears its record
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO alpha.django_migrations (app, name, applied) VALUES (%s, %s, now())",
            list(FAILING),
        )
    _run()
    assert not SchemaMigrationFailure.objects.exists()


@pytest.mark.django_db
def test_the_template_and_the_spares_are_migrated_and_the_spares_kept(
    settled: None, settings: Settings, migrated_in: list[str]
) -> None:
    settings.PROVISIONING_SPARE_SCHEMAS = 1
    spares_refill()
    spare = SpareSchema.objects.get()
    template = template_schema_name()
    _forget(spare.schema_name, HARMLESS)
    _forget(template, HARMLESS)
    assert [item.schema_name for item in schemas_behind()] == [template, spare.schema_name]

    output = _run()

    assert (
        f"2 schema(s) behind the code's migrations: {template} (1), {spare.schema_name} (1)"
        in output
    )
    assert f"refreshing the template schema {template}" in output
    assert migrated_in == [spare.schema_name, template]
    state, key = template_state()
    assert state == "ready"
    # the migrated spare is kept and handed the template's new state, not dropped and cloned
    assert SpareSchema.objects.get().schema_name == spare.schema_name
    assert SpareSchema.objects.get().template_key == key
    assert _applied(spare.schema_name) == migration_nodes()
    assert schemas_behind() == []


def test_schemas_behind_are_migrated_by_parallel_workers(
    django_db_blocker: DjangoDbBlocker,
) -> None:
    """Outside a test transaction (workers see committed rows only): two tenants made and
    dropped here, one failing and one behind, migrated by two forked workers."""
    slugs = [f"m{uuid.uuid4().hex[:10]}" for _ in range(2)]
    with django_db_blocker.unblock():
        try:
            for slug in slugs:
                tenant_provision(
                    slug=slug,
                    name="Parallel Trust",
                    owner_email=f"owner@{slug}.org",
                    owner_password=OWNER_PASSWORD,
                )
            failing, behind = sorted(slug.replace("-", "_") for slug in slugs)
            _forget(failing, FAILING)
            _forget(behind, HARMLESS)

            output = StringIO()
            with pytest.raises(CommandError, match=failing):
                call_command(
                    "migrate_schemas", interactive=False, parallel=2, stdout=output, stderr=output
                )

            assert _applied(behind) == migration_nodes()
            assert FAILING not in _applied(failing)
            assert f"{behind}: migrated in" in output.getvalue()
            assert f"{failing}: FAILED" in output.getvalue()
            assert SchemaMigrationFailure.objects.filter(schema_name=failing).exists()
        finally:
            connection.set_schema_to_public()
            for slug in slugs:
                with connection.cursor() as cursor:
                    cursor.execute(f'DROP SCHEMA IF EXISTS "{slug}" CASCADE')
                SchemaMigrationFailure.objects.filter(schema_name=slug).delete()
                Organization.objects.filter(slug=slug).delete()

"""The template schema and our clone of it: same catalog as a migrated schema, its own pinned
search paths and sequences, the rows the migrations leave, and the fallback to migrating."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db.migrations.executor import MigrationExecutor
from django_tenants.utils import schema_context, schema_exists

from provisioning import services, template
from provisioning.services import tenant_provision
from provisioning.template import (
    migration_nodes,
    template_schema_name,
    template_state,
    tenant_schema_clone,
)
from saas_platform.lib.connection import connection
from shared_apps.tenants.models import OrganizationState

pytestmark = pytest.mark.django_db

TEMPLATE = "_template"


def _catalog(schema: str) -> dict[str, list[tuple[Any, ...]]]:
    """Tables, columns, constraints, indexes, triggers, functions and sequences of a schema,
    with its name replaced by <schema> so two schemas compare."""
    queries = {
        "tables": "SELECT relname, relkind::text FROM pg_class"
        " WHERE relnamespace = %(s)s::regnamespace AND relkind IN ('r', 'p', 'v', 'm', 'S')",
        # the order of the columns, not their attnum: a migrated schema keeps the gaps of
        # dropped columns (contenttypes 0002 drops django_content_type.name), a clone has none
        "columns": "SELECT table_name, column_name,"
        " row_number() OVER (PARTITION BY table_name ORDER BY ordinal_position),"
        " data_type, is_nullable,"
        " column_default, is_identity, identity_generation, character_maximum_length,"
        " numeric_precision, numeric_scale, is_generated, generation_expression"
        " FROM information_schema.columns WHERE table_schema = %(s)s",
        "constraints": "SELECT conrelid::regclass::text, conname, contype::text,"
        " pg_get_constraintdef(oid), condeferrable, condeferred FROM pg_constraint"
        " WHERE connamespace = %(s)s::regnamespace",
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %(s)s",
        "triggers": "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(t.oid)"
        " FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        " WHERE c.relnamespace = %(s)s::regnamespace AND NOT t.tgisinternal",
        "functions": "SELECT proname, pg_get_functiondef(oid), proconfig::text FROM pg_proc"
        " WHERE pronamespace = %(s)s::regnamespace",
        "sequences": "SELECT sequencename, data_type::text, start_value, increment_by,"
        " max_value, cycle FROM pg_sequences WHERE schemaname = %(s)s",
    }
    token = re.compile(r"(?<![\w$])" + re.escape(schema) + r"(?![\w$])")

    def normalized(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        value = token.sub("<schema>", value)
        # PostgreSQL deparses `x IN ('a', 'b')` as `x = ANY (ARRAY['a'::varchar, ...]::text[])`
        # and, reloaded from a dump, as `x = ANY (ARRAY['a'::varchar::text, ...])`: the same
        # expression cast at another level. Casts and parentheses go; names and constants stay.
        if name in ("constraints", "indexes"):
            value = re.sub(r"::[a-z ]+(\[\])?|[()\s]", "", value)
        return value

    catalog = {}
    with connection.cursor() as cursor:
        for name, query in queries.items():
            cursor.execute(query, {"s": schema})
            catalog[name] = sorted(
                tuple(normalized(value) for value in row) for row in cursor.fetchall()
            )
    return catalog


def _applied(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')  # noqa: S608
        return set(cursor.fetchall())


def test_the_template_is_ready_and_not_a_tenant() -> None:
    from shared_apps.tenants.models import Organization

    assert template_schema_name() == TEMPLATE
    assert template_state()[0] == "ready"
    assert _applied(TEMPLATE) == migration_nodes()
    assert not Organization.objects.filter(schema_name=TEMPLATE).exists()


def test_a_clone_has_the_catalog_of_a_schema_migrated_from_nothing() -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA migrated")
    call_command("migrate_schemas", schema_name="migrated", interactive=False, verbosity=0)
    connection.set_schema_to_public()
    assert tenant_schema_clone("cloned")

    cloned, migrated = _catalog("cloned"), _catalog("migrated")
    assert len(cloned["tables"]) > 30
    assert len(cloned["triggers"]) >= 8
    assert len(cloned["functions"]) >= 6
    for part in migrated:
        assert cloned[part] == migrated[part], part
    # the rows the migrations leave: applied migrations, content types, permissions
    assert _applied("cloned") == _applied("migrated") == migration_nodes()
    with connection.cursor() as cursor:
        for table, columns in [
            ("django_content_type", "id, app_label, model"),
            ("auth_permission", "id, codename, content_type_id"),
        ]:
            cursor.execute(f"SELECT {columns} FROM cloned.{table} ORDER BY 1")  # noqa: S608
            rows = cursor.fetchall()
            cursor.execute(f"SELECT {columns} FROM migrated.{table} ORDER BY 1")  # noqa: S608
            assert rows
            assert rows == cursor.fetchall()


def test_a_clone_pins_its_own_schema_in_its_functions() -> None:
    assert tenant_schema_clone("cloned")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname, proconfig::text, pg_get_functiondef(oid) FROM pg_proc"
            " WHERE pronamespace = 'cloned'::regnamespace"
        )
        functions = cursor.fetchall()
        cursor.execute(
            "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c"
            " ON c.oid = t.tgrelid WHERE c.relnamespace = 'cloned'::regnamespace"
            " AND NOT t.tgisinternal"
        )
        triggers = [row[0] for row in cursor.fetchall()]
    pinned = {name: config for name, config, _ in functions if config}
    assert {"accounting_entry_balanced", "donations_receipt_guard"} <= set(pinned)
    assert all("search_path=cloned, public" in config for config in pinned.values())
    assert not any(TEMPLATE in definition for _, _, definition in functions)
    assert triggers
    assert not any(TEMPLATE in trigger for trigger in triggers)


def test_a_clone_starts_its_sequences_fresh_and_past_the_copied_rows() -> None:
    with schema_context(TEMPLATE):
        template_content_types = ContentType.objects.count()
    assert tenant_schema_clone("cloned")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'cloned'"
        )
        sequences = dict(cursor.fetchall())
        cursor.execute(
            "SELECT count(*) FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid"
            " WHERE c.relnamespace = 'cloned'::regnamespace"
            " AND pg_get_expr(d.adbin, d.adrelid) LIKE %s",
            [f"%{TEMPLATE}%"],
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT pg_get_serial_sequence('cloned.accounting_account', 'id'),"
            " pg_get_serial_sequence('cloned.django_content_type', 'id')"
        )
        assert cursor.fetchone() == (
            "cloned.accounting_account_id_seq",
            "cloned.django_content_type_id_seq",
        )
    assert sequences["accounting_account_id_seq"] is None  # never used
    assert sequences["django_content_type_id_seq"] == template_content_types
    with schema_context("cloned"):
        created = ContentType.objects.create(app_label="zz", model="new")
    assert created.pk == template_content_types + 1
    with schema_context(TEMPLATE):
        assert ContentType.objects.count() == template_content_types


def test_a_clone_needs_no_migration() -> None:
    assert tenant_schema_clone("cloned")
    with schema_context("cloned"):
        executor = MigrationExecutor(connection)
        assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    assert _applied("cloned") == _applied(TEMPLATE)


def test_provisioning_clones_when_the_template_is_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    migrated: list[tuple[object, ...]] = []
    real_call_command = services.call_command

    def call_command_recorded(*args: Any, **options: Any) -> str:
        migrated.append(args)
        return real_call_command(*args, **options)

    monkeypatch.setattr(services, "call_command", call_command_recorded)
    organization = tenant_provision(
        slug="delta", name="Delta", owner_email="o@delta.org", owner_password="Delta-Pass-99"
    )
    assert organization.state == OrganizationState.ACTIVE
    assert migrated == []
    assert _applied("delta") == migration_nodes()


def test_a_template_that_missed_a_migration_is_stale_and_tenants_are_migrated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM _template.django_migrations WHERE app = 'donations'"
            " AND name = (SELECT max(name) FROM _template.django_migrations"
            " WHERE app = 'donations')"
        )
    assert template_state() == ("stale", None)
    assert not tenant_schema_clone("never")
    assert not schema_exists("never")

    organization = tenant_provision(
        slug="delta", name="Delta", owner_email="o@delta.org", owner_password="Delta-Pass-99"
    )
    assert organization.state == OrganizationState.ACTIVE
    assert _applied("delta") == migration_nodes()  # migrated, not a copy of the stale template


def test_new_code_with_a_migration_the_template_lacks_makes_it_stale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        template, "migration_nodes", lambda: migration_nodes() | {("donations", "9999_next")}
    )
    assert template_state() == ("stale", None)
    assert not tenant_schema_clone("never")


def test_without_a_template_tenants_are_migrated() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ALTER SCHEMA _template RENAME TO _template_away")
    assert template_state() == ("missing", None)
    assert not tenant_schema_clone("never")
    assert not schema_exists("never")


def test_the_substitution_rewrites_names_and_pinned_paths_only() -> None:
    sql = (
        "CREATE TABLE _template.email_template (_template_x int);\n"
        "CREATE FUNCTION _template.f() RETURNS trigger LANGUAGE plpgsql"
        " SET search_path TO '_template', 'public' AS $$ BEGIN RETURN NEW; END $$;\n"
        "SELECT setval('_template.f_id_seq', 1); ALTER TABLE \"_template\".t ADD x int;"
    )
    assert template._substitute(sql, "acme") == (
        "CREATE TABLE acme.email_template (_template_x int);\n"
        "CREATE FUNCTION acme.f() RETURNS trigger LANGUAGE plpgsql"
        " SET search_path TO 'acme', 'public' AS $$ BEGIN RETURN NEW; END $$;\n"
        "SELECT setval('acme.f_id_seq', 1); ALTER TABLE acme.t ADD x int;"
    )
    assert template._substitute("CREATE TABLE _template.t ();", "1st").startswith(
        'CREATE TABLE "1st".t'
    )

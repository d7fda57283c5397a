"""The migrations that create the database's rules (ledger, gift allocation and hour triggers)
carry their SQL, frozen: a tenant migrated today gets exactly what every existing tenant got.

Each migration runs once per tenant schema and the provisioning template is built by migrating,
so SQL read from a file at migration time would let an edit to that file give new tenants rules
that differ from the ones old tenants run.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import io
import pathlib
import pkgutil
import re
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.migrations.operations.special import RunSQL

from saas_platform.lib.connection import connection
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

SCRATCH = "scratch_rules"

# SHA-256 of the SQL each migration applied when every existing tenant was migrated (forward,
# reverse). Recorded once; a different hash means a frozen migration was edited.
FROZEN_SQL = {
    "tenant_apps.accounting.migrations.0003_ledger_rules": (
        "a945fd8a371599a304ba4528d1e8a9e1d7d3e4ffd58464f5e81077025b3fa346",
        "9712a632bfc84700df0820f07ceb1f6552d6d32311dc25f660b732259e512850",
    ),
    "tenant_apps.accounting.migrations.0004_ledger_rules_static": (
        "d93488365d66a451b95223f4af32aea078e3f599a31b481c15ca3e07a2f6150a",
        "c2890150a9e432200cef51a20b9b9179be489489988047de549aaee54b73a717",
    ),
    "tenant_apps.accounting.migrations.0010_balances_kept": (
        "fbb12d973da25c2fee994325c37320404b8ea6d124e7960d70c3b0de24b1a10e",
        "8ba83c31eca69da43d0f56b5da937bc55445fbb896fd70b109c2869724d433b1",
    ),
    "tenant_apps.accounting.migrations.0011_ledger_rules_planned_once": (
        "e263ff87a3316f219f138dc6d007b8a855a19bb79f1dc80a438105a4e6b59ba2",
        "c9d628b9131066c2be6c86a7e69ced2f5f117c75cd91682aa0ce35f16c82e396",
    ),
    "tenant_apps.donations.migrations.0002_gift_allocations_add_up": (
        "a6f991a2a1489f7f7ea75567ba76e1322e1de664667737c8379c843c8ea9274b",
        "41d0b8bb10d30525025a119e3317af579281466861fab11bdb4c08726bb57560",
    ),
    "tenant_apps.donations.migrations.0008_donor_giving_totals_kept": (
        "1a7bdf516b074df50c436313375db67f987ada4b48864a08d85aa256e21d37f4",
        "113af69dd0e4baeefa23845bd3e14ae46c81acef4051068b2a15e08234ca94a1",
    ),
    "tenant_apps.donations.migrations.0012_donor_giving_years_kept": (
        "35eb1bd063d2bf92fbbb8029e0789aefa9c0c92015e2f7728072e764e187eefa",
        "d82c75badd0761cd773cc7888aaf4609661d249e47f14ab840b25d0cd1f5d805",
    ),
    "tenant_apps.donations.migrations.0021_donor_giving_kept_per_statement": (
        "6306029f85e832cda4624cdad9456b3414abf76f76e331bd1d13b26afda545b1",
        "a44d9240723f0998091f16aafe9d82ca866b53f022af75569c59363c38328811",
    ),
    "tenant_apps.donations.migrations.0022_donor_giving_added_on_insert": (
        "446017d90076c70042c4d88c0cad4d24f49598d0488832ad1aa8d4a6408bbd2d",
        "b50757661d1d4a99db47b16425176becde714f5b51fbb31a65cd07071842888b",
    ),
    "tenant_apps.personnel.migrations.0002_hours_in_a_day": (
        "413ce70f10cca7a15bb594b88f0aa559cb96553f0e42b6de3f9726b8fc1f9d4a",
        "9bab4727998979d0ed20d8cc0e2fede855dfcc52e2cf6d7d75e452c79e9ecfe6",
    ),
}

LEDGER_FUNCTIONS = {
    "accounting_lines_check",
    "accounting_entry_guard",
    "accounting_entry_balanced",
    "accounting_period_guard",
}
RULE_FUNCTIONS = LEDGER_FUNCTIONS | {
    "accounting_balances_post",
    "accounting_balances_guard",
    "donations_gift_allocations_add_up",
    "personnel_hours_in_a_day",
}
# three on journal lines, three on entries (one keeps the monthly balances), one on the
# balances, one on periods, two on gifts, one on hours
RULE_TRIGGERS = 11


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _run_sql(module: ModuleType) -> RunSQL:
    (operation,) = module.Migration.operations
    assert isinstance(operation, RunSQL)
    return operation


def _our_migration_modules() -> Iterator[str]:
    """Every migration module of the project's own apps."""
    for app in settings.INSTALLED_APPS:
        if not app.startswith(("tenant_apps.", "shared_apps.", "provisioning")):
            continue
        package_name = f"{app}.migrations"
        if importlib.util.find_spec(package_name) is None:
            continue
        package = importlib.import_module(package_name)
        for found in pkgutil.iter_modules(package.__path__):
            if not found.ispkg and not found.name.startswith("_"):
                yield f"{package_name}.{found.name}"


def _load_afresh(module_name: str) -> ModuleType:
    """Execute a migration module's source again, as a new process would, not from the cache."""
    spec = importlib.util.find_spec(module_name)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("module_name", sorted(FROZEN_SQL))
def test_each_rules_migration_applies_the_sql_every_tenant_ran(module_name: str) -> None:
    operation = _run_sql(importlib.import_module(module_name))
    forward, reverse = FROZEN_SQL[module_name]
    assert isinstance(operation.sql, str)
    assert isinstance(operation.reverse_sql, str)
    assert _sha256(operation.sql) == forward
    assert _sha256(operation.reverse_sql) == reverse


def test_no_migration_reads_a_file_when_it_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    """A migration whose SQL came from a file would change with the file: refuse every read
    while the migrations load, and their SQL must still be what every tenant ran."""
    modules = sorted(_our_migration_modules())
    assert set(FROZEN_SQL) <= set(modules)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a migration read a file: {args[:1]}")

    with monkeypatch.context() as patched:
        for target in (io, pathlib.Path):
            patched.setattr(target, "open", refuse)
        patched.setattr("builtins.open", refuse)
        patched.setattr(pathlib.Path, "read_text", refuse)
        patched.setattr(pathlib.Path, "read_bytes", refuse)
        loaded = {name: _load_afresh(name) for name in modules}

    for module_name, (forward, reverse) in FROZEN_SQL.items():
        operation = _run_sql(loaded[module_name])
        assert isinstance(operation.sql, str), module_name
        assert isinstance(operation.reverse_sql, str), module_name
        assert _sha256(operation.sql) == forward, module_name
        assert _sha256(operation.reverse_sql) == reverse, module_name


# --- The rules as the database holds them ------------------------------------------------


def _rules(schema: str) -> dict[str, list[tuple[Any, ...]]]:
    """The rule functions' source and pinned settings, the triggers that run them and the
    periods' exclusion constraint, with the schema's name replaced so two schemas compare."""
    token = re.compile(r"(?<![\w$])" + re.escape(schema) + r"(?![\w$])")

    def normalized(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(token.sub("<schema>", v) if isinstance(v, str) else v for v in row)

    queries = {
        "functions": "SELECT proname, prosrc, coalesce(proconfig::text, '') FROM pg_proc"
        " WHERE pronamespace = %(schema)s::regnamespace AND proname = ANY(%(functions)s)",
        "triggers": "SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t"
        " JOIN pg_proc p ON p.oid = t.tgfoid"
        " WHERE p.pronamespace = %(schema)s::regnamespace AND p.proname = ANY(%(functions)s)"
        " AND NOT t.tgisinternal",
        "constraints": "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE connamespace = %(schema)s::regnamespace AND conname = 'fiscalperiod_no_overlap'",
    }
    rules = {}
    with connection.cursor() as cursor:
        for part, query in queries.items():
            cursor.execute(query, {"schema": schema, "functions": sorted(RULE_FUNCTIONS)})
            rules[part] = sorted(normalized(row) for row in cursor.fetchall())
    return rules


def _migrate(*target: str) -> None:
    call_command("migrate_schemas", *target, schema_name=SCRATCH, interactive=False, verbosity=0)
    connection.set_schema_to_public()


@pytest.fixture
def scratch() -> Iterator[str]:
    """A schema that is no tenant, migrated from nothing (dropped with the test's rollback)."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {SCRATCH}")
    _migrate()
    yield SCRATCH
    connection.set_schema_to_public()


def test_a_schema_migrated_today_has_the_rules_of_an_existing_tenant_both_ways(
    alpha: Tenant, scratch: str
) -> None:
    """One schema for both checks: migrating one from nothing is the slow part."""
    existing = _rules(alpha.organization.schema_name)
    assert {row[0] for row in existing["functions"]} == RULE_FUNCTIONS
    assert len(existing["triggers"]) == RULE_TRIGGERS
    assert len(existing["constraints"]) == 1
    # Given a schema migrated from nothing today: alpha's rules, byte for byte.
    assert _rules(scratch) == existing

    module = importlib.import_module("tenant_apps.accounting.migrations.0003_ledger_rules")
    created_by_0003 = _run_sql(module).sql

    # When it goes back before 0004 (taking donations and personnel, which depend on it, back
    # too), then the lines' check (pinned by 0011) and the per-entry checks (pinned by 0004) are
    # 0003's again, with no pinned search path.
    _migrate("accounting", "0003")
    rules = _rules(scratch)
    functions = {name: (source, config) for name, source, config in rules["functions"]}
    assert set(functions) == LEDGER_FUNCTIONS
    for name, (source, config) in functions.items():
        assert f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $${source}$$;" in (
            created_by_0003
        ), name
        assert config == "", name
    assert len(rules["triggers"]) == 6

    # When it goes back before 0003, then no rule is left.
    _migrate("accounting", "0002")
    assert _rules(scratch) == {"functions": [], "triggers": [], "constraints": []}

    # When it is migrated forward again, then it has the rules of a tenant that never went back.
    _migrate()
    assert _rules(scratch) == _rules(alpha.organization.schema_name)

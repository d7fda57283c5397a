"""Which schemas are behind the code's migrations, found in one query, and migrating only those.

django-tenants' `migrate_schemas` runs Django's `migrate` in every tenant schema, one after the
other: about 0.4 s a schema even with nothing to apply (the migration graph, the project state,
the content types and permissions of post_migrate), so 18 minutes at 1,000 tenants. Here:

- `schemas_behind()` asks PostgreSQL, in one statement, how many of the code's migrations each
  schema's django_migrations lacks: the tenants, the spare schemas and the template. The
  statement reads each schema's table through `query_to_xml` (one dynamic query per schema,
  run inside the server), so there is one round trip whatever the number of tenants.
- `schemas_migrate()` runs Django's `migrate` in those schemas alone, in forked worker processes
  (bounded by `MIGRATION_PARALLEL`): schemas are independent of each other (a tenant
  migration works in its own schema and never writes the public one, where the public schema's
  own migrations have all run before any tenant's), so running several at once is safe;
  `MIGRATION_PARALLEL=1` runs them one after the other in the command's process. A schema
  whose migration fails is recorded (`SchemaMigrationFailure`) and the others go on; the
  caller reports the failures.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from io import StringIO

from django.conf import settings
from django.core.management import call_command
from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, get_tenant_database_alias

from provisioning.models import SchemaMigrationFailure, SpareSchema
from provisioning.template import migration_nodes, quote_name, template_schema_name
from saas_platform.lib.connection import connection

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SchemaBehind:
    schema_name: str
    kind: str  # "tenant", "spare", "template" or "public"
    missing: int  # how many of the code's migrations it has not applied; -1: no table at all


@dataclass(frozen=True)
class SchemaMigrated:
    schema_name: str
    error: str  # empty when it was migrated
    seconds: float
    output: str


def migration_parallel() -> int:
    return max(1, int(getattr(settings, "MIGRATION_PARALLEL", 2)))


def _nodes_literal() -> str:
    """The code's migrations as a PostgreSQL text array literal of `app.name`."""
    return "{" + ",".join(f'"{app}.{name}"' for app, name in sorted(migration_nodes())) + "}"


# The count of the code's migrations that a schema's django_migrations lacks. query_to_xml runs
# the formatted query inside the server for each row of the outer query: one round trip. The
# CASE keeps it from running where the table does not exist (-1).
_MISSING = """
    CASE WHEN c.oid IS NULL THEN -1 ELSE %(count)s - (xpath('/row/applied/text()', query_to_xml(
        format('SELECT count(*) AS applied FROM %%I.django_migrations'
               ' WHERE app || ''.'' || name = ANY(%%L::text[])', w.schema_name, %(nodes)s),
        false, true, '')))[1]::text::int END
"""


def public_missing() -> int:
    """How many of the code's migrations the public schema has not applied (-1: none at all)."""
    sql = f"""
        SELECT {_MISSING}
        FROM (SELECT %(public)s::text AS schema_name) w
        LEFT JOIN pg_namespace n ON n.nspname = w.schema_name
        LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = 'django_migrations'
            AND c.relkind = 'r'
    """  # noqa: S608 - no names from outside
    with connection.cursor() as cursor:
        cursor.execute(sql, {"public": get_public_schema_name(), **_parameters()})
        return int(cursor.fetchone()[0])


def _parameters() -> dict[str, int | str]:
    return {"count": len(migration_nodes()), "nodes": _nodes_literal()}


def schemas_behind() -> list[SchemaBehind]:
    """Every tenant schema, spare schema and the template that lacks one of the code's
    migrations (or has no django_migrations, or for the template no schema at all), the
    template first, then by name: one query."""
    sql = f"""
        WITH wanted(schema_name, kind) AS (
            SELECT schema_name, 'tenant' FROM {_table("tenants", "organization")}
                WHERE schema_name <> %(public)s
            UNION ALL SELECT schema_name, 'spare' FROM {SpareSchema._meta.db_table}
            UNION ALL SELECT %(template)s, 'template'
        )
        SELECT w.schema_name, w.kind, {_MISSING} AS missing
        FROM wanted w
        LEFT JOIN pg_namespace n ON n.nspname = w.schema_name
        LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = 'django_migrations'
            AND c.relkind = 'r'
        -- a tenant without a schema is provisioning's to make (failed before it, or closed)
        WHERE n.oid IS NOT NULL OR w.kind = 'template'
        ORDER BY w.kind <> 'template', w.schema_name
    """  # noqa: S608 - table names from the models
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "public": get_public_schema_name(),
                "template": template_schema_name(),
                **_parameters(),
            },
        )
        rows = cursor.fetchall()
    return [SchemaBehind(name, kind, missing) for name, kind, missing in rows if missing != 0]


def _table(app_label: str, model_name: str) -> str:
    from django.apps import apps

    return apps.get_model(app_label, model_name)._meta.db_table


# --- Migrating ---------------------------------------------------------------------------


def _has_table_by_name(recorder: MigrationRecorder) -> bool:
    """MigrationRecorder.has_table, looked up by name in the connection's schema."""
    schema_name = getattr(recorder.connection, "schema_name", get_public_schema_name())
    with recorder.connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_regclass(%s) IS NOT NULL",
            [f"{quote_name(schema_name)}.{recorder.Migration._meta.db_table}"],
        )
        return bool(cursor.fetchone()[0])


@contextmanager
def migration_table_looked_up_by_name() -> Iterator[None]:
    """Django's MigrationRecorder asks whether django_migrations exists by listing every table
    visible in the schema (django-tenants narrows the search path to the schema, but PostgreSQL
    still checks the visibility of every row of pg_class, which holds every tenant's
    relations: 650 ms at 1,000 tenants on a loaded machine, twice for each schema migrated,
    and growing with the tenants). Within this block it is looked up by its name (one index
    lookup). Used around our own per-schema runs only; Django's answer is the same."""
    original = MigrationRecorder.has_table
    MigrationRecorder.has_table = _has_table_by_name  # type: ignore[method-assign,assignment] # scoped
    try:
        yield
    finally:
        MigrationRecorder.has_table = original  # type: ignore[method-assign] # restored


def schema_migrate(schema_name: str, *, verbosity: int = 0) -> SchemaMigrated:
    """Run Django's migrate in one schema on this process's connection; never raises for a
    failing migration (the error is returned)."""
    started = time.perf_counter()
    output = StringIO()
    error = ""
    try:
        # django_migrations must be made in the schema itself, not found in public
        connection.set_schema(schema_name, include_public=False)
        MigrationRecorder(connection).ensure_schema()
        connection.set_schema(schema_name)
        # Django's own migrate (the name `migrate` is migrate_schemas here, as in django-tenants)
        call_command(
            MigrateCommand(),
            stdout=output,
            stderr=output,
            interactive=False,
            verbosity=verbosity,
            database=get_tenant_database_alias(),
            skip_checks=True,
            no_color=True,
        )
    except Exception as failure:
        error = f"{type(failure).__name__}: {failure}".strip()
        output.write(traceback.format_exc())
    finally:
        connection.set_schema_to_public()
    return SchemaMigrated(schema_name, error, time.perf_counter() - started, output.getvalue())


def _schema_migrate_in_worker(schema_name: str, verbosity: int) -> SchemaMigrated:
    with migration_table_looked_up_by_name():
        result = schema_migrate(schema_name, verbosity=verbosity)
    if result.error:
        # a failed statement can leave the worker's transaction aborted for the next schema
        connection.close()
    return result


def _worker_start() -> None:
    # The parent closed its connections before forking; drop whatever object is left so that
    # each worker opens connections of its own and never shares the parent's socket.
    for wrapper in connections.all(initialized_only=True):
        wrapper.connection = None


def schemas_migrate(
    schema_names: list[str], *, parallel: int | None = None, verbosity: int = 0
) -> list[SchemaMigrated]:
    """Migrate each schema, `parallel` at a time (MIGRATION_PARALLEL), record the failures and
    clear the records of every other schema (`schema_names` are all those behind, so the
    others are current). In-process, one after the other, when
    one worker is asked for, when there is one schema, or inside a transaction (a test's), where
    other processes would not see its rows."""
    workers = min(parallel or migration_parallel(), len(schema_names))
    if workers <= 1 or connection.in_atomic_block:
        with migration_table_looked_up_by_name():
            results = [schema_migrate(name, verbosity=verbosity) for name in schema_names]
    else:
        connections.close_all()
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_worker_start
        ) as pool:
            futures = [
                (name, pool.submit(_schema_migrate_in_worker, name, verbosity))
                for name in schema_names
            ]
            results = [_result_of(name, future) for name, future in futures]
    _failures_record(results)
    return results


def _result_of(schema_name: str, future: Future[SchemaMigrated]) -> SchemaMigrated:
    """The worker's result; a worker that died (killed, out of memory) fails its schemas
    instead of the whole run, and the pool's other schemas are reported the same way."""
    try:
        return future.result()
    except Exception as failure:
        error = f"the worker migrating it stopped: {type(failure).__name__}: {failure}"
        return SchemaMigrated(schema_name, error, 0.0, "")


def _failures_record(results: list[SchemaMigrated]) -> None:
    connection.set_schema_to_public()
    now = timezone.now()
    with transaction.atomic():
        # every schema that did not fail now is current (migrated now, or found current)
        SchemaMigrationFailure.objects.exclude(
            schema_name__in=[result.schema_name for result in results if result.error]
        ).delete()
        for result in results:
            if result.error:
                logger.error("migrating schema %s failed: %s", result.schema_name, result.error)
                SchemaMigrationFailure.objects.update_or_create(
                    schema_name=result.schema_name,
                    defaults={"error": result.error[:4000], "failed_at": now},
                )

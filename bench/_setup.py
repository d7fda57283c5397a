"""What every data benchmark sets up before it times anything: a database of its own (created
when missing, then migrated), Django, and its tenant (reused when it still holds what the
benchmark loaded, else dropped and provisioned again).

    import _setup
    _setup.django_start("ifm_bench_x", redis_db=13)   # before any Django import
    ...
    _setup.migrate()
    organization = _setup.tenant_ready(slug, name, reload=..., loaded=..., load=...)

A DATABASE_URL naming another bench database (`ifm_bench...`) is used instead of the
benchmark's own, so that runs side by side stay apart; any other DATABASE_URL (the development
database) is ignored, as a benchmark drops and loads tenants.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

SERVER = "postgres://postgres@127.0.0.1:5432"
OWNER_PASSWORD = "Bench-Pass-2026"  # noqa: S105 (throwaway tenants)


def _database_name(default: str) -> str:
    given = urlparse(os.environ.get("DATABASE_URL", "")).path.lstrip("/")
    return given if given.startswith("ifm_bench") else default


def _database_ensure(name: str) -> None:
    """Create the benchmark database when it is missing (before Django connects to it)."""
    import psycopg2

    server = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    server.autocommit = True
    try:
        with server.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
                print(f"created database {name}")
    finally:
        server.close()


_started: str | None = None


def django_start(database: str, *, redis_db: int) -> str:
    """Point Django at the benchmark's database and Redis db, with tasks run in this process
    and emails kept in memory, and set it up. Returns the database's name. A benchmark that
    imports another's loader keeps its own database: the first start wins."""
    global _started
    if _started is not None:
        return _started
    name = _database_name(database)
    os.environ["DATABASE_URL"] = f"{SERVER}/{name}"
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:6379/{redis_db}"
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings.local")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"  # no worker: tasks run in this process
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    _database_ensure(name)

    import django

    django.setup()
    _started = name
    return name


def migrate() -> None:
    """Bring the public schema and every tenant's up to date, and say what the machine is
    doing (the timings depend on it)."""
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate_schemas", interactive=False, verbosity=0)
    print(
        f"migrated {connection.settings_dict['NAME']} in "
        f"{(time.perf_counter() - started) * 1000:.0f} ms"
    )
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"load average {load} on {os.cpu_count()} CPUs (the timings below depend on it)")


def public_tables_vacuumed(*, analyzed: Sequence[str] = ()) -> None:
    """Vacuum the catalogs and the public schema's tables, and analyze the `analyzed` ones, so
    that each run starts from the same tables: an earlier run's events, deleted, and the
    versions its outcomes left would otherwise be in every scan of this one until autovacuum
    came by, and so would every dropped tenant's rows in the catalogs (about 50,000 a run in
    pg_attribute and as many in pg_depend). With autovacuum off, as on the CI machine, runs
    made one after another grew slower: a p95 of 1.7 s became 3 s and more. Tenants' tables
    are left as provisioned (statistics of empty tables would mislead the planner as they
    fill)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname IN ('pg_catalog', 'public') AND c.relkind = 'r'"
        )
        cursor.execute(f"VACUUM {', '.join(row[0] for row in cursor.fetchall())}")
        for table in analyzed:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def tenant_drop(organization: Any) -> None:
    from django.db import connection

    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{organization.schema_name}" CASCADE')
    organization.delete()


def tenant_ready(
    slug: str,
    name: str,
    *,
    reload: bool = True,
    loaded: Callable[[Any], bool] | None = None,
    load: Callable[[Any], None] | None = None,
) -> Any:
    """The benchmark's tenant: the one there when `loaded(organization)` says it holds what
    `load` puts in it (and `reload` is off), else a new one (the old dropped), provisioned
    with `tenant_provision` and filled by `load(organization)`."""
    from provisioning.services import tenant_provision
    from shared_apps.tenants.models import Organization

    organization = Organization.objects.filter(slug=slug).first()
    if organization is not None:
        if not reload and organization.state == "active" and loaded and loaded(organization):
            print(f"reusing tenant {slug}")
            return organization
        print(f"dropping tenant {slug}")
        tenant_drop(organization)
    started = time.perf_counter()
    organization = tenant_provision(
        slug=slug, name=name, owner_email=f"owner@{slug}.org", owner_password=OWNER_PASSWORD
    )
    print(f"provisioned tenant {slug} in {(time.perf_counter() - started) * 1000:.0f} ms")
    if load is not None:
        load(organization)
    return organization


def explain_print(sql: str) -> None:
    """Print the plan of `sql` as it runs now."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        for (row,) in cursor.fetchall():
            print(f"    {row}")


Case = tuple[str, str, Callable[[], int]]


def cases_time(
    cases: list[Case], *, runs: int, explain: bool, target_ms: Callable[[str], float]
) -> None:
    """Run each case (name, what its parameters are, run() returning its row count) once to
    warm up and `runs` times measured; print the median, the 95th percentile, the queries and the
    rows, then the plan of the slowest query of each case slower than its target (of every
    case with `explain`)."""
    import gc

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # As the web process does once started (saas_platform/wsgi.py): what is loaded by now stays,
    # and a full collection in the middle of a run walks only what the runs make.
    gc.collect()
    gc.freeze()
    print(f"\n{'case':<20} {'parameters':<28} {'median':>8} {'p95':>8} {'queries':>14} {'rows':>6}")
    slow = []
    for name, label, run in cases:
        with CaptureQueriesContext(connection) as captured:
            rows = run()  # warm-up
        # django-tenants sets the search path before each query: counted apart.
        queries = [q for q in captured.captured_queries if not q["sql"].startswith("SET ")]
        searches = len(captured.captured_queries) - len(queries)
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            run()
            timings.append((time.perf_counter() - started) * 1000)
        median = statistics.median(timings)
        # The 95th percentile (the slowest run when there are fewer than twenty).
        p95 = statistics.quantiles(timings, n=20)[18] if len(timings) > 1 else timings[0]
        print(
            f"{name:<20} {label:<28} {median:6.1f}ms {min(p95, max(timings)):6.1f}ms "
            f"{len(queries):>4} (+{searches} SET) {rows:>6}",
            flush=True,
        )
        if explain or median > target_ms(name):
            slowest = max(queries, key=lambda query: float(query["time"]))
            slow.append((name, label, median, slowest["sql"]))
    for name, label, median, sql in slow:
        print(f"\n{name} ({label}): median {median:.1f} ms; its slowest query:")
        print(f"    {sql[:2000]}")
        explain_print(sql)


def cases_main(
    *,
    runs: int,
    what: str,
    tenant_ready: Callable[..., Any],
    sizes_print: Callable[[], None],
    cases: Callable[[], list[Case]],
    target_ms: Callable[[str], float],
) -> None:
    """The command line of a benchmark that loads its tenant once and times cases in it:
    --runs, --reload (drop the tenant and load it again), --explain (every `what`'s plan)."""
    from django_tenants.utils import schema_context

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--reload", action="store_true", help="drop the tenant and load again")
    parser.add_argument("--explain", action="store_true", help=f"print every {what}'s plan")
    arguments = parser.parse_args()

    migrate()
    organization = tenant_ready(reload=arguments.reload)
    with schema_context(organization.schema_name):
        sizes_print()
        cases_time(cases(), runs=arguments.runs, explain=arguments.explain, target_ms=target_ms)

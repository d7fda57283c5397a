"""How long `migrate_schemas` takes at 1,000 tenants: with nothing to apply (a deploy without
migrations), and with one new trivial migration to apply in every tenant schema.

    make bench-migrations     (or: .venv/bin/python bench/migrations.py [--tenants 1000]
                               [--runs 3] [--parallel 2] [--stock])

The tenants are made once with `tenant_provision` (a clone of the template each, seeded, with
an owner; spares off) in the database ifm_bench_scale, and reused by later runs (the time the
missing ones took is printed). The new migration is a file written into tenant_apps/core's
migrations for the run (a RunSQL making a one-column table), applied by `migrate_schemas`, then
removed again: the file, its table and its django_migrations row in every schema.
`--stock` also times django-tenants' own run over every schema (`--every-schema`): about 18
minutes at 1,000 tenants, so it is off by default.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import _setup

_setup.django_start("ifm_bench_scale", redis_db=6)

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.migrations.loader import MigrationLoader  # noqa: E402

from provisioning.services import tenant_provision, tenant_provision_resume  # noqa: E402
from provisioning.template import migration_nodes  # noqa: E402
from shared_apps.tenants.models import Organization, OrganizationState  # noqa: E402

SLUG_PREFIX = "scale-"
TRIVIAL = "9000_bench_trivial"
TRIVIAL_FILE = (
    Path(__file__).resolve().parent.parent / "tenant_apps" / "core" / "migrations" / f"{TRIVIAL}.py"
)


def tenants_ensure(count: int) -> None:
    """Provision the bench tenants that are missing, up to `count`; print how long it took.
    A tenant an interrupted run left unfinished is resumed first."""
    unfinished = Organization.objects.filter(slug__startswith=SLUG_PREFIX).exclude(
        state=OrganizationState.ACTIVE
    )
    for organization in unfinished:
        tenant_provision_resume(organization=organization)
    have = Organization.objects.filter(slug__startswith=SLUG_PREFIX).count()
    if have >= count:
        print(f"{have} bench tenants already there (ifm_bench_scale)")
        return
    # each one cloned from the template, as built; the spares as the settings say afterwards
    spares = settings.PROVISIONING_SPARE_SCHEMAS, settings.PROVISIONING_SPARE_SCHEMAS_MAX
    settings.PROVISIONING_SPARE_SCHEMAS = settings.PROVISIONING_SPARE_SCHEMAS_MAX = 0
    password_hash = make_password(_setup.OWNER_PASSWORD)
    started = time.perf_counter()
    batch_started = started
    existing = set(Organization.objects.values_list("slug", flat=True))
    made = 0
    for number in range(1, count + 1):
        slug = f"{SLUG_PREFIX}{number:05d}"
        if slug in existing:
            continue
        tenant_provision(
            slug=slug,
            name=f"Scale {number}",
            owner_email=f"owner@{slug}.org",
            owner_password_hash=password_hash,
        )
        made += 1
        if made % 50 == 0:
            now = time.perf_counter()
            print(
                f"  {made} tenants made; the last 50 took {(now - batch_started) / 50 * 1000:.0f}"
                " ms each",
                flush=True,
            )
            batch_started = now
    elapsed = time.perf_counter() - started
    settings.PROVISIONING_SPARE_SCHEMAS, settings.PROVISIONING_SPARE_SCHEMAS_MAX = spares
    print(f"provisioned {made} tenants in {elapsed:.0f} s")


def _timed_migrate(*options: str) -> float:
    started = time.perf_counter()
    call_command("migrate_schemas", *options, interactive=False, verbosity=0)
    return time.perf_counter() - started


def _trivial_write() -> None:
    leaf = max(name for app, name in MigrationLoader(None).graph.leaf_nodes() if app == "core")
    TRIVIAL_FILE.write_text(
        "from django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = [('core', '{leaf}')]\n"
        "    operations = [\n"
        "        migrations.RunSQL(\n"
        "            'CREATE TABLE core_bench_trivial (id integer)',\n"
        "            'DROP TABLE core_bench_trivial',\n"
        "        ),\n"
        "    ]\n"
    )
    migration_nodes.cache_clear()


def _trivial_remove() -> None:
    """The file, then the table and the row in every schema (one statement)."""
    TRIVIAL_FILE.unlink(missing_ok=True)
    migration_nodes.cache_clear()
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            DO $$
            DECLARE schema text;
            BEGIN
                FOR schema IN SELECT n.nspname FROM pg_namespace n JOIN pg_class c
                    ON c.relnamespace = n.oid AND c.relname = 'django_migrations' LOOP
                    EXECUTE format('DROP TABLE IF EXISTS %I.core_bench_trivial', schema);
                    EXECUTE format('DELETE FROM %I.django_migrations'
                                   ' WHERE app = ''core'' AND name = %L', schema, '{TRIVIAL}');
                END LOOP;
            END $$
            """  # noqa: S608 - a constant name
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3, help="no-op runs timed")
    parser.add_argument("--parallel", type=int, default=None, help="MIGRATION_PARALLEL")
    parser.add_argument("--stock", action="store_true", help="also time --every-schema")
    arguments = parser.parse_args()
    if arguments.parallel:
        settings.MIGRATION_PARALLEL = arguments.parallel

    _trivial_remove()  # left over from an interrupted run
    _setup.migrate()
    tenants_ensure(arguments.tenants)
    tenants = Organization.objects.exclude(schema_name="public").count()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), pg_size_pretty(pg_database_size(current_database())) FROM pg_class"
        )
        classes, size = cursor.fetchone()
    print(f"{tenants} tenant schemas, {classes} pg_class rows, database {size}")
    print(f"MIGRATION_PARALLEL={getattr(settings, 'MIGRATION_PARALLEL', 2)}")

    # untimed: brings the spares to what the refill policy asks at this signup rate
    print(f"warm-up run: {_timed_migrate():.2f} s", flush=True)
    no_op = [_timed_migrate() for _ in range(arguments.runs)]
    print(
        f"migrate_schemas, nothing to apply: median {statistics.median(no_op):.2f} s "
        f"(min {min(no_op):.2f}, max {max(no_op):.2f}) over {len(no_op)} runs; "
        f"target < 10 s: {'met' if statistics.median(no_op) < 10 else 'NOT met'}",
        flush=True,
    )
    # as a deploy runs it: a process of its own (Django's start and system checks included)
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [sys.executable, "manage.py", "migrate_schemas", "--noinput", "-v", "0"],
        cwd=Path(__file__).resolve().parent.parent,
        check=True,
    )
    print(
        f"manage.py migrate_schemas, nothing to apply, whole process: "
        f"{time.perf_counter() - started:.2f} s",
        flush=True,
    )
    if arguments.stock:
        stock = _timed_migrate("--every-schema")
        print(f"django-tenants' migrate_schemas over every schema: {stock:.1f} s", flush=True)

    _trivial_write()
    try:
        applied = _timed_migrate()
        print(
            f"one new migration applied to {tenants} tenants (and the template, the spares): "
            f"{applied:.1f} s ({applied / max(tenants, 1) * 1000:.0f} ms a tenant)",
            flush=True,
        )
        after = _timed_migrate()
        print(f"migrate_schemas right after, nothing to apply: {after:.2f} s")
    finally:
        _trivial_remove()
    print(f"load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()

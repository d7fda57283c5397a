"""How long `tenant_provision` takes, end to end (organization, domain, schema, chart of
accounts, funds, programs, owner, activation), by three ways of making the schema:

  stock          CREATE SCHEMA, then every migration from nothing
  django-tenants its PL/pgSQL clone_schema of the template (TENANT_BASE_SCHEMA's path), then
                 `migrate_schemas --fake` for the schema, as TenantMixin.create_schema does
  ours (clone)   provisioning.template: the template's DDL replayed in one round trip, which is
                 what a signup gets when no spare schema is ready
  ours (spare)   provisioning.spares: a clone made beforehand, renamed; what a signup gets
                 while spares are ready (the worker refills them after each signup). The
                 spare is made before the timer starts, as the worker would have made it.

    make bench            (or: DJANGO_SETTINGS_MODULE=saas_platform.settings.local \
                               .venv/bin/python bench/provisioning.py [--tenants 10])

The owner's password comes hashed, as from a signup (the signup form hashes it when it is
submitted, before the email is verified, and keeps only the hash). With --hash-in-path it comes
in clear and is hashed during provisioning, in a thread overlapping the schema step, as for
`manage.py provision_tenant`: PBKDF2 then adds its few hundred ms wherever the schema step is
shorter than the hash.

Side by side in one run: the paths take turns, tenant by tenant, so that whatever drifts
(catalog statistics, caches) affects all three alike; one warm-up tenant per path is not
counted. Prints each path's median, min and max, and ours by step; drops every schema and row
it made.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings.local")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")  # no worker needed for the email
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.clone import CloneSchema  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from provisioning import services  # noqa: E402
from provisioning.platform import public_tenant_ensure  # noqa: E402
from provisioning.services import tenant_provision  # noqa: E402
from provisioning.spares import spare_claim, spares_refill, spares_wanted  # noqa: E402
from provisioning.template import (  # noqa: E402
    migration_nodes,
    template_refresh,
    template_schema_name,
    tenant_schema_clone,
)
from shared_apps.tenants.models import Organization  # noqa: E402
from tenant_apps.accounting.models import Account  # noqa: E402


def _stock(schema_name: str) -> bool:
    return False  # the schema step then creates the schema and migrates it from nothing


def _none(schema_name: str) -> bool:
    return False


def _django_tenants(schema_name: str) -> bool:
    CloneSchema().clone_schema(template_schema_name(), schema_name, clone_mode="DATA")
    call_command(
        "migrate_schemas",
        tenant=True,
        fake=True,
        schema_name=schema_name,
        interactive=False,
        verbosity=0,
    )
    connection.set_schema_to_public()
    return True


# path: (what the schema step claims a spare with, what it clones the template with)
PATHS: dict[str, tuple[Callable[[str], bool], Callable[[str], bool]]] = {
    "stock": (_none, _stock),
    "django-tenants": (_none, _django_tenants),
    "ours (clone)": (_none, tenant_schema_clone),
    "ours (spare)": (spare_claim, _none),
}
OURS = ("ours (clone)", "ours (spare)")


def _drop(organization: Organization) -> None:
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{organization.schema_name}" CASCADE')
    organization.delete()


def _timed_steps(step_times: dict[str, dict[str, list[float]]], current: list[str]) -> None:
    """Wrap each provisioning step to record its duration, for our paths only."""

    def timed(name: str, step: Callable[..., None]) -> Callable[..., None]:
        def run(organization: Organization, owner: services.OwnerSpec) -> None:
            started = time.perf_counter()
            step(organization, owner)
            if current[0] in OURS:
                elapsed = time.perf_counter() - started
                step_times.setdefault(current[0], {}).setdefault(name, []).append(elapsed)

        return run

    services.STEPS[:] = [(name, timed(name, step)) for name, step in services.STEPS]


def _spare_ready(path: str) -> None:
    """One spare (seeded, as the refill makes them) for the spare path, none otherwise; made
    or dropped before the timer. The pool's signup-rate range is off: one spare exactly."""
    settings.PROVISIONING_SPARE_SCHEMAS_MAX = 0
    settings.PROVISIONING_SPARE_SCHEMAS = 1 if path == "ours (spare)" else 0
    spares_refill()
    # no refill inside the timed provisioning: the worker does that after the signup
    settings.PROVISIONING_SPARE_SCHEMAS = 0


def _provision_one(path: str, made: list[Organization], *, hash_in_path: bool) -> float:
    services.spare_claim, services.tenant_schema_clone = PATHS[path]  # what the step calls
    _spare_ready(path)
    slug = f"bench-{uuid.uuid4().hex[:8]}"
    password = {"owner_password": "Bench-Pass-2026"}
    if not hash_in_path:
        password = {"owner_password_hash": make_password("Bench-Pass-2026")}
    started = time.perf_counter()
    organization = tenant_provision(
        slug=slug, name=f"Bench {path}", owner_email=f"owner@{slug}.org", **password
    )
    elapsed = time.perf_counter() - started
    made.append(organization)
    with schema_context(organization.schema_name):
        if Account.objects.count() < 50:
            raise RuntimeError(f"{slug} ({path}) has no chart of accounts")
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{organization.schema_name}".django_migrations')  # noqa: S608
        if cursor.fetchone()[0] != len(migration_nodes()):
            raise RuntimeError(f"{slug} ({path}) does not record every migration")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=10, help="tenants per path")
    parser.add_argument(
        "--hash-in-path",
        action="store_true",
        help="hash the owner's password during provisioning instead of before it",
    )
    arguments = parser.parse_args()

    public_tenant_ensure()
    started = time.perf_counter()
    template_refresh()  # migrates the template if needed and captures its DDL
    print(f"template refresh and capture: {(time.perf_counter() - started) * 1000:.0f} ms")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = %s", [template_schema_name()]
        )
        print(f"template: {cursor.fetchone()[0]} tables, {len(migration_nodes())} migrations")
        # the catalog the clone works against grows with the tenants (bench/migrations.py
        # makes 1,000 in ifm_bench_scale: DATABASE_URL=.../ifm_bench_scale to run there)
        cursor.execute(
            "SELECT (SELECT count(*) FROM pg_class),"
            " pg_size_pretty(pg_database_size(current_database()))"
        )
        classes, size = cursor.fetchone()
    tenants = Organization.objects.exclude(schema_name="public").count()
    print(
        f"database {connection.settings_dict['NAME']}: {tenants} tenants, {classes} pg_class "
        f"rows, {size}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )

    step_times: dict[str, dict[str, list[float]]] = {}
    timings: dict[str, list[float]] = {path: [] for path in PATHS}
    made: list[Organization] = []
    current = [""]
    try:
        for path in PATHS:  # warm-up, not counted
            _provision_one(path, made, hash_in_path=arguments.hash_in_path)
        _timed_steps(step_times, current)
        for round_number in range(arguments.tenants):
            for path in PATHS:
                current[0] = path
                elapsed = _provision_one(path, made, hash_in_path=arguments.hash_in_path)
                timings[path].append(elapsed)
            print(
                f"round {round_number + 1:2}: "
                + "  ".join(f"{path} {timings[path][-1] * 1000:6.0f} ms" for path in PATHS),
                flush=True,
            )
    finally:
        services.spare_claim, services.tenant_schema_clone = spare_claim, tenant_schema_clone
        for organization in made:
            _drop(organization)
        settings.PROVISIONING_SPARE_SCHEMAS = 0
        settings.PROVISIONING_SPARE_SCHEMAS_MAX = 0
        spares_refill()

    stock = statistics.median(timings["stock"])
    print()
    print(f"tenant_provision, seed included: median of {arguments.tenants} tenants per path")
    where = "during provisioning" if arguments.hash_in_path else "before it, as a signup does"
    print(f"owner's password hashed {where}")
    print(f"{'path':<16}{'median':>10}{'min':>10}{'max':>10}{'vs stock':>10}")
    for path, durations in timings.items():
        median = statistics.median(durations)
        print(
            f"{path:<16}{median * 1000:>7.0f} ms{min(durations) * 1000:>7.0f} ms"
            f"{max(durations) * 1000:>7.0f} ms{stock / median:>9.1f}x"
        )
    for path in OURS:
        print(f"{path} by step (median):")
        for name, durations in step_times.get(path, {}).items():
            print(f"  {name:<9}{statistics.median(durations) * 1000:6.0f} ms")
    # what the refill policy asks for at the rate of this run's signups (the defaults)
    settings.PROVISIONING_SPARE_SCHEMAS = 2
    settings.PROVISIONING_SPARE_SCHEMAS_MAX = 20
    settings.PROVISIONING_SPARE_SIGNUP_PERCENT = 25
    recent = Organization.objects.filter(
        created_at__gte=timezone.now() - timedelta(hours=1)
    ).count()
    print(
        f"spare pool the refill keeps after {recent} signups in the last hour "
        f"(min 2, max 20, 25%): {spares_wanted()}"
    )
    for path in OURS:
        ours = statistics.median(timings[path])
        verdict = "met" if ours < 0.5 and stock / ours >= 10 else "NOT met"
        print(f"target for {path} (< 500 ms and >= 10x faster than stock): {verdict}")


if __name__ == "__main__":
    main()

"""How long `tenant_provision` takes, end to end: domain, schema, migrations, chart, owner.

    make bench            (or: DJANGO_SETTINGS_MODULE=saas_platform.settings.local \
                               .venv/bin/python bench/provisioning.py [--tenants 5])

Provisions N throwaway tenants against the development database, prints each time and the
median, then drops them again (schema and rows).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings.local")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")  # no worker needed for the email
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from provisioning import services  # noqa: E402
from provisioning.services import tenant_provision  # noqa: E402
from shared_apps.tenants.models import Organization  # noqa: E402
from tenant_apps.accounting.models import Account  # noqa: E402


def _drop(organization: Organization) -> None:
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{organization.schema_name}" CASCADE')
    organization.delete()


def _timed_steps(step_times: dict[str, list[float]]) -> None:
    """Wrap each provisioning step to record its duration."""

    def timed(name, step):  # type: ignore[no-untyped-def]
        def run(organization, owner):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            step(organization, owner)
            step_times.setdefault(name, []).append(time.perf_counter() - started)

        return run

    services.STEPS[:] = [(name, timed(name, step)) for name, step in services.STEPS]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=5)
    arguments = parser.parse_args()

    step_times: dict[str, list[float]] = {}
    _timed_steps(step_times)
    timings: list[float] = []
    made: list[Organization] = []
    try:
        for index in range(arguments.tenants):
            slug = f"bench-{uuid.uuid4().hex[:8]}"
            started = time.perf_counter()
            organization = tenant_provision(
                slug=slug,
                name=f"Bench {index}",
                owner_email=f"owner@{slug}.org",
                owner_password="Bench-Pass-2026",
            )
            timings.append(time.perf_counter() - started)
            made.append(organization)
            with schema_context(organization.schema_name):
                accounts = Account.objects.count()
            print(f"tenant {index + 1}: {timings[-1] * 1000:7.0f} ms  ({accounts} accounts)")
    finally:
        for organization in made:
            _drop(organization)

    print(
        f"provision_tenant: median {statistics.median(timings) * 1000:.0f} ms "
        f"over {len(timings)} tenants (min {min(timings) * 1000:.0f}, "
        f"max {max(timings) * 1000:.0f})"
    )
    for name, durations in step_times.items():
        print(f"  step {name:<9} median {statistics.median(durations) * 1000:6.0f} ms")


if __name__ == "__main__":
    main()

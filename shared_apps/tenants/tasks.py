"""What a scheduled task run for every organization needs: queueing it in each active tenant's
schema (at an hour of each organization's own day), and, inside it, the organization it runs
for, refusing to run anywhere else, with "today" read in the organization's time zone."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from saas_platform.lib.connection import connection
from saas_platform.lib.plain_reads import plain_objects
from shared_apps.tenants.models import Organization, OrganizationState
from shared_apps.tenants.selectors import organization_time_zone


def queue_in_every_active_tenant(
    task: Any, *, at_local_hour: int | None = None, now: datetime | None = None
) -> int:
    """Queue `task(organization_id)` in the schema of every active organization (suspended,
    failed or closed ones are skipped); how many were queued.

    With `at_local_hour`, only the organizations whose own clock reads that hour `now`: the beat
    runs such a fan-out every hour, and each organization's run comes once a day at that hour of
    its own day, whatever its time zone (an organization without a known one keeps the
    platform's TIME_ZONE)."""
    tenants = (
        Organization.objects.filter(state=OrganizationState.ACTIVE)
        .exclude(schema_name=get_public_schema_name())
        .order_by("pk")
    )
    moment = now or timezone.now()
    platform_zone = timezone.get_default_timezone()
    queued = 0
    for organization in tenants.only("pk", "schema_name", "time_zone"):
        if at_local_hour is not None:
            zone = organization_time_zone(organization) or platform_zone
            if moment.astimezone(zone).hour != at_local_hour:
                continue
        task.apply_async(
            args=(organization.pk,), headers={"_schema_name": organization.schema_name}
        )
        queued += 1
    return queued


@contextlib.contextmanager
def organization_of_task(organization_id: int, *, what: str) -> Iterator[Organization]:
    """The organization a per-tenant task was queued for, with its time zone active for the
    task's body (so `timezone.localdate()` is its "today", as on its pages). A task that finds
    itself in another schema stops rather than write one organization's rows into another's."""
    # Read for every task: one plain statement (saas_platform.lib.plain_reads).
    found = plain_objects(
        Organization, "SELECT {columns} FROM {table} WHERE id = %s", [organization_id]
    )
    if not found:
        raise Organization.DoesNotExist(f"No organization {organization_id}.")
    organization = found[0]
    if connection.schema_name != organization.schema_name:
        raise RuntimeError(
            f"{what} of {organization.schema_name} ran in schema {connection.schema_name}."
        )
    zone = organization_time_zone(organization) or settings.TIME_ZONE
    with timezone.override(zone):
        yield organization

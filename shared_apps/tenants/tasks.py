"""What a scheduled task run for every organization needs: queueing it in each active tenant's
schema, and, inside it, the organization it runs for, refusing to run anywhere else."""

from __future__ import annotations

from typing import Any

from django_tenants.utils import get_public_schema_name

from saas_platform.lib.connection import connection
from shared_apps.tenants.models import Organization, OrganizationState


def queue_in_every_active_tenant(task: Any) -> int:
    """Queue `task(organization_id)` in the schema of every active organization (suspended,
    failed or closed ones are skipped); how many were queued."""
    tenants = (
        Organization.objects.filter(state=OrganizationState.ACTIVE)
        .exclude(schema_name=get_public_schema_name())
        .order_by("pk")
        .values_list("pk", "schema_name")
    )
    queued = 0
    for organization_id, schema_name in tenants:
        task.apply_async(args=(organization_id,), headers={"_schema_name": schema_name})
        queued += 1
    return queued


def organization_of_task(organization_id: int, *, what: str) -> Organization:
    """The organization a per-tenant task was queued for; a task that finds itself in another
    schema stops rather than write one organization's rows into another's."""
    organization = Organization.objects.get(pk=organization_id)
    if connection.schema_name != organization.schema_name:
        raise RuntimeError(
            f"{what} of {organization.schema_name} ran in schema {connection.schema_name}."
        )
    return organization

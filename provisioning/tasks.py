"""Background work of provisioning. Tasks take ids and run in the tenant's schema."""

from __future__ import annotations

from celery import shared_task
from django_tenants.utils import get_public_schema_name

from shared_apps.tenants.models import Organization, OrganizationState


# A mail server that cannot be reached (any OSError: refused, timed out, SMTP errors) is
# tried again later, further apart each time.
@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def tenant_welcome_email_send(organization_id: int) -> None:
    # Imported when the task runs: the services import this module to queue it.
    from provisioning.services import tenant_welcome_email_send as send

    send(organization=Organization.objects.get(pk=organization_id))


@shared_task(ignore_result=True)
def spares_refill() -> int:
    """Top up the spare schemas new tenants are made from (runs in the public schema)."""
    # Imported when the task runs: the services import this module to queue it.
    from provisioning.spares import spares_refill as refill

    return refill()


# A fan-out: one message per active organization, thousands of them.
@shared_task(ignore_result=True, soft_time_limit=300, time_limit=360)
def backups_nightly() -> int:
    """Queue tonight's backup of every active tenant, one task each (runs in the public
    schema). Returns how many were queued."""
    organization_ids = list(
        Organization.objects.filter(state=OrganizationState.ACTIVE)
        .exclude(schema_name=get_public_schema_name())
        .values_list("pk", flat=True)
    )
    for organization_id in organization_ids:
        tenant_backup_run.delay(organization_id)
    return len(organization_ids)


# pg_dump of a large organization takes minutes.
@shared_task(ignore_result=True, soft_time_limit=1_800, time_limit=1_860)
def tenant_backup_run(organization_id: int) -> str | None:
    """One tenant's nightly backup and the pruning of its old ones; None when it is no longer
    active (suspended or deleted since it was queued: its last backup is kept)."""
    from provisioning.backups import tenant_backup_nightly

    organization = Organization.objects.filter(
        pk=organization_id, state=OrganizationState.ACTIVE
    ).first()
    if organization is None:
        return None
    return tenant_backup_nightly(organization=organization)

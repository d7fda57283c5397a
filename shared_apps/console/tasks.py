"""Slow operator work, off the request: the pg_dump of a tenant's schema, and a deletion
(export, cancel the Stripe subscription, then drop)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="shared_apps.console.tasks.tenant_export_run")
def tenant_export_run(export_id: int) -> None:
    """Queued from the public schema; the export records its own outcome."""
    # Imported when the task runs: the services import this module to queue it.
    from shared_apps.console.services.exports import tenant_export_perform

    tenant_export_perform(export_id=export_id)


@shared_task(name="shared_apps.console.tasks.tenant_deletion_run")
def tenant_deletion_run(deletion_id: int) -> None:
    """Queued from the public schema; the deletion records its own outcome, and a failure
    leaves the tenant whole for another request (no automatic retry)."""
    # Imported when the task runs: the services import this module to queue it.
    from shared_apps.console.services.deletion import organization_delete_perform

    organization_delete_perform(deletion_id=deletion_id)

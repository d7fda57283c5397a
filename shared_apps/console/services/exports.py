"""Exports of a tenant's schema: an operator's request, the pg_dump a Celery task runs
(tasks.tenant_export_run) which finishes the request's audit row (queued -> succeeded/failed),
and the audit row of a download.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from provisioning import services as provisioning
from saas_platform.lib.errors import StateConflict
from saas_platform.lib.tasks import enqueue_on_commit
from shared_apps.console.models import (
    ExportState,
    OperatorAction,
    OperatorAuditEvent,
    Outcome,
    TenantExport,
)
from shared_apps.console.services.actions import (
    job_take,
    operator_audit,
    operator_check,
    organization_locked,
    reason_clean,
    refuse_state,
)
from shared_apps.console.services.deletion import refuse_while_deleting
from shared_apps.tenants.models import Organization, OrganizationState
from shared_apps.users.models import User

logger = logging.getLogger(__name__)

# An export still queued or running after this long was lost (a worker died mid-dump): it no
# longer blocks a new one.
EXPORT_STALE = timedelta(hours=2)
# States whose schema holds data worth exporting.
EXPORTABLE_STATES = (
    OrganizationState.ACTIVE,
    OrganizationState.SUSPENDED,
    OrganizationState.CLOSED,
    OrganizationState.FAILED,
)


# --- Export ------------------------------------------------------------------------------


def tenant_export_request(
    *, organization: Organization, operator: User, reason: str | None
) -> TenantExport:
    """Queue a pg_dump of the tenant's schema; the task (tasks.tenant_export_run) runs it."""
    # Imported when queueing: the tasks module calls back into these services.
    from shared_apps.console.tasks import tenant_export_run

    operator_check(operator)
    reason = reason_clean(reason)
    with transaction.atomic():
        organization = organization_locked(organization)
        refuse_while_deleting(organization)
        if organization.state not in EXPORTABLE_STATES:
            refuse_state(organization, "export", "wait until provisioning has finished or failed")
        if TenantExport.objects.filter(
            organization_id=organization.pk,
            state__in=(ExportState.QUEUED, ExportState.RUNNING),
            created_at__gte=timezone.now() - EXPORT_STALE,
        ).exists():
            raise StateConflict(
                f"An export of {organization.slug} is already under way; wait for it to finish."
            )
        event = operator_audit(
            operator=operator,
            action=OperatorAction.EXPORT,
            organization=organization,
            reason=reason,
            outcome=Outcome.QUEUED,
        )
        export = TenantExport.objects.create(
            organization_id=organization.pk,
            organization_slug=organization.slug,
            requested_by=operator,
            audit_event=event,
        )
        event.detail = {"export_id": export.pk}
        event.save(update_fields=["detail"])
        enqueue_on_commit(tenant_export_run, export.pk)
    return export


def tenant_export_perform(*, export_id: int) -> TenantExport | None:
    """Run a queued export: pg_dump into storage, then record the file or the error.

    Idempotent: an export that is no longer queued (done, failed, or taken by another worker)
    is left alone, so a redelivered task does nothing.
    """
    export = job_take(
        TenantExport, export_id, queued=ExportState.QUEUED, running=ExportState.RUNNING
    )
    if export is None:
        return None
    organization = Organization.objects.filter(pk=export.organization_id).first()
    try:
        if organization is None:
            raise RuntimeError(f"{export.organization_slug} no longer exists.")
        file_name = provisioning.tenant_export(organization=organization)
    except Exception as error:
        logger.exception("export %s of %s failed", export.pk, export.organization_slug)
        _export_finish(export, state=ExportState.FAILED, error=str(error)[:2000])
    else:
        _export_finish(export, state=ExportState.DONE, file_name=file_name)
    return export


def _export_finish(
    export: TenantExport, *, state: str, file_name: str = "", error: str = ""
) -> None:
    with transaction.atomic():
        export.state = state
        export.file_name = file_name
        export.error = error
        export.finished_at = timezone.now()
        export.save(update_fields=["state", "file_name", "error", "finished_at"])
        if export.audit_event_id is not None:
            event = OperatorAuditEvent.objects.select_for_update().get(pk=export.audit_event_id)
            event.outcome = Outcome.SUCCEEDED if state == ExportState.DONE else Outcome.FAILED
            event.detail = {**event.detail, "file_name": file_name, "error": error}
            event.save(update_fields=["outcome", "detail"])


def tenant_export_download_record(*, export: TenantExport, operator: User) -> None:
    """Downloading a tenant's data is an action too: it leaves an audit row."""
    operator_check(operator)
    if export.state != ExportState.DONE or not export.file_name:
        raise StateConflict("This export has no file to download (yet).")
    with transaction.atomic():
        OperatorAuditEvent.objects.create(
            actor=operator,
            actor_email=operator.email,
            action=OperatorAction.EXPORT_DOWNLOAD,
            organization_id=export.organization_id,
            organization_slug=export.organization_slug,
            reason="",
            outcome=Outcome.SUCCEEDED,
            detail={"export_id": export.pk, "file_name": export.file_name},
        )

"""Operators' actions on tenants. Each one checks the reason and the tenant's state under a row
lock, makes its change and writes its OperatorAuditEvent in the same transaction; a refusal
(ServiceError, StateConflict) writes nothing at all.

Work that does not fit one transaction records how it ended: an export and a deletion run in
Celery tasks and finish their audit rows (queued -> succeeded/failed); a provisioning retry that
fails leaves a `failed` audit row saying why. While a deletion is under way the tenant is
suspended and no other action is taken on it; one that fails puts the tenant back as it was.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_exists

from provisioning import services as provisioning
from provisioning.schemas import tenant_schema_verify
from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.tasks import enqueue_on_commit
from shared_apps.billing.services import (
    StripeCancellation,
    StripeCancellationOutcome,
    subscription_stripe_cancel,
)
from shared_apps.console.models import (
    DELETION_PENDING_STATES,
    DeletionState,
    ExportState,
    OperatorAction,
    OperatorAuditEvent,
    Outcome,
    TenantDeletion,
    TenantExport,
)
from shared_apps.tenants.models import Organization, OrganizationState
from shared_apps.tenants.services import organization_state_set
from shared_apps.users.models import User

logger = logging.getLogger(__name__)

REASON_MAX_LENGTH = 2000
# A `provisioning` tenant that has not moved for this long was interrupted (a worker died); it
# may be resumed like a failed one. A younger one may still be running: retrying would race it.
STALLED_PROVISIONING = timedelta(minutes=15)
# An export still queued or running after this long was lost (a worker died mid-dump): it no
# longer blocks a new one.
EXPORT_STALE = timedelta(hours=2)
# Likewise a deletion still queued or running after this long was lost: a new request gives it up
# (recorded as failed, the tenant's state put back) and takes its place.
DELETION_STALE = timedelta(hours=2)
# States whose schema holds data worth exporting.
EXPORTABLE_STATES = (
    OrganizationState.ACTIVE,
    OrganizationState.SUSPENDED,
    OrganizationState.CLOSED,
    OrganizationState.FAILED,
)


def _reason_clean(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(
            "Say why: a reason is required for every action.",
            fields={"reason": ["Enter the reason for this action."]},
        )
    if len(reason) > REASON_MAX_LENGTH:
        raise ServiceError(
            f"The reason has at most {REASON_MAX_LENGTH} characters.",
            fields={"reason": [f"At most {REASON_MAX_LENGTH} characters."]},
        )
    return reason


def _operator_check(operator: User) -> None:
    if not (operator.is_active and operator.is_operator):
        raise StateConflict("Only operators act on tenants.")


def _locked(organization: Organization) -> Organization:
    """The organization's row, locked until the transaction ends, with its current state."""
    locked = Organization.objects.select_for_update().filter(pk=organization.pk).first()
    if locked is None:
        raise StateConflict(f"{organization.slug} no longer exists.")
    if locked.is_public:
        raise StateConflict("The public schema is not a tenant: operators cannot act on it.")
    return locked


def _audit(
    *,
    operator: User,
    action: str,
    organization: Organization,
    reason: str,
    outcome: str,
    **detail: Any,
) -> OperatorAuditEvent:
    return OperatorAuditEvent.objects.create(
        actor=operator,
        actor_email=operator.email,
        action=action,
        organization_id=organization.pk,
        organization_slug=organization.slug,
        reason=reason,
        outcome=outcome,
        detail=detail,
    )


def _schema_check(organization: Organization) -> None:
    """Refuse to act on a row recording a schema that is never a tenant's (PostgreSQL's own, the
    template, a spare: rows made before such names were refused at signup)."""
    try:
        tenant_schema_verify(slug=organization.slug, schema_name=organization.schema_name)
    except ValidationError as error:
        raise ServiceError(" ".join(error.messages)) from None


def _refuse_state(organization: Organization, action: str, allowed: str) -> None:
    raise StateConflict(
        f"Cannot {action} {organization.slug}: it is "
        f"{organization.get_state_display().lower()}; {allowed}."
    )


# --- Suspend and reactivate --------------------------------------------------------------


def organization_suspend(
    *, organization: Organization, operator: User, reason: str | None
) -> Organization:
    """Stop serving an active tenant; its hosts answer 'suspended' from the next request."""
    _operator_check(operator)
    reason = _reason_clean(reason)
    with transaction.atomic():
        organization = _locked(organization)
        if organization.state != OrganizationState.ACTIVE:
            _refuse_state(organization, "suspend", "only an active tenant can be suspended")
        previous = organization.state
        organization_state_set(
            organization=organization, state=OrganizationState.SUSPENDED, reason=reason
        )
        _audit(
            operator=operator,
            action=OperatorAction.SUSPEND,
            organization=organization,
            reason=reason,
            outcome=Outcome.SUCCEEDED,
            previous_state=previous,
        )
    return organization


def organization_reactivate(
    *, organization: Organization, operator: User, reason: str | None
) -> Organization:
    """Serve a suspended tenant again. A closed one stays closed: that is not a suspension."""
    _operator_check(operator)
    reason = _reason_clean(reason)
    with transaction.atomic():
        organization = _locked(organization)
        _refuse_while_deleting(organization)
        if organization.state != OrganizationState.SUSPENDED:
            _refuse_state(organization, "reactivate", "only a suspended tenant can be reactivated")
        previous = organization.state
        organization_state_set(organization=organization, state=OrganizationState.ACTIVE, reason="")
        _audit(
            operator=operator,
            action=OperatorAction.REACTIVATE,
            organization=organization,
            reason=reason,
            outcome=Outcome.SUCCEEDED,
            previous_state=previous,
        )
    return organization


# --- Retry a failed provisioning ---------------------------------------------------------


def organization_retry_allowed(organization: Organization) -> bool:
    if organization.state == OrganizationState.FAILED:
        return True
    return (
        organization.state == OrganizationState.PROVISIONING
        and timezone.now() - organization.state_changed_at >= STALLED_PROVISIONING
    )


def organization_provision_retry(
    *, organization: Organization, operator: User, reason: str | None
) -> Organization:
    """Resume a failed (or stalled) provisioning with provisioning.tenant_provision_resume.

    The steps run inside this transaction (theirs become savepoints), so the audit row commits
    with whatever they did. If a step fails again, provisioning marks the tenant failed with the
    new error; that and a `failed` audit row are committed, and the operator is told.
    """
    _operator_check(operator)
    reason = _reason_clean(reason)
    _schema_check(organization)
    with transaction.atomic():
        organization = _locked(organization)
        if not organization_retry_allowed(organization):
            _refuse_state(
                organization,
                "retry provisioning of",
                "only a failed provisioning (or one stalled for "
                f"{int(STALLED_PROVISIONING.total_seconds() // 60)} minutes) can be retried",
            )
        previous_step = organization.provisioning_step
        try:
            organization = provisioning.tenant_provision_resume(organization=organization)
        except provisioning.ProvisioningFailed as error:
            organization.refresh_from_db()
            _audit(
                operator=operator,
                action=OperatorAction.RETRY,
                organization=organization,
                reason=reason,
                outcome=Outcome.FAILED,
                error=str(error),
                step=error.step,
            )
            failure = error
        else:
            _audit(
                operator=operator,
                action=OperatorAction.RETRY,
                organization=organization,
                reason=reason,
                outcome=Outcome.SUCCEEDED,
                resumed_after_step=previous_step,
            )
            return organization
    raise ServiceError(
        f"Provisioning {organization.slug} failed again at step {failure.step!r}: "
        f"{organization.state_reason}"
    )


# --- Export ------------------------------------------------------------------------------


def tenant_export_request(
    *, organization: Organization, operator: User, reason: str | None
) -> TenantExport:
    """Queue a pg_dump of the tenant's schema; the task (tasks.tenant_export_run) runs it."""
    # Imported when queueing: the tasks module calls back into these services.
    from shared_apps.console.tasks import tenant_export_run

    _operator_check(operator)
    reason = _reason_clean(reason)
    with transaction.atomic():
        organization = _locked(organization)
        _refuse_while_deleting(organization)
        if organization.state not in EXPORTABLE_STATES:
            _refuse_state(organization, "export", "wait until provisioning has finished or failed")
        if TenantExport.objects.filter(
            organization_id=organization.pk,
            state__in=(ExportState.QUEUED, ExportState.RUNNING),
            created_at__gte=timezone.now() - EXPORT_STALE,
        ).exists():
            raise StateConflict(
                f"An export of {organization.slug} is already under way; wait for it to finish."
            )
        event = _audit(
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


def _job_take[Job: (TenantExport, TenantDeletion)](
    model: type[Job], job_id: int, *, queued: str, running: str
) -> Job | None:
    """Mark a queued export or deletion running, in a transaction of its own; None when it is
    no longer queued (done, failed, or taken by another worker), so a redelivered task does
    nothing."""
    with transaction.atomic():
        job = model.objects.select_for_update().filter(pk=job_id, state=queued).first()
        if job is not None:
            job.state = running
            job.save(update_fields=["state"])
    return job


def tenant_export_perform(*, export_id: int) -> TenantExport | None:
    """Run a queued export: pg_dump into storage, then record the file or the error.

    Idempotent: an export that is no longer queued (done, failed, or taken by another worker)
    is left alone, so a redelivered task does nothing.
    """
    export = _job_take(
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
    _operator_check(operator)
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


# --- Delete ------------------------------------------------------------------------------


def _deletion_pending(organization: Organization) -> TenantDeletion | None:
    return (
        TenantDeletion.objects.select_for_update(of=("self",))
        .filter(organization_id=organization.pk, state__in=DELETION_PENDING_STATES)
        .select_related("requested_by")
        .first()
    )


def _refuse_while_deleting(organization: Organization) -> None:
    """No action on a tenant whose deletion is under way. One left pending past DELETION_STALE
    was lost (a worker died): it is recorded as failed, and the tenant's state put back."""
    pending = _deletion_pending(organization)
    if pending is None:
        return
    if pending.created_at >= timezone.now() - DELETION_STALE:
        requested_by = pending.requested_by.email if pending.requested_by else "an operator"
        raise StateConflict(
            f"{organization.slug} is being deleted (requested by {requested_by} at "
            f"{timezone.localtime(pending.created_at):%Y-%m-%d %H:%M}); nothing was changed. "
            "The operator audit shows the outcome."
        )
    hours = int(DELETION_STALE.total_seconds() // 3600)
    _deletion_fail(pending, error=f"Lost: no worker finished it within {hours} hours.")
    organization.refresh_from_db()


def organization_delete_request(
    *,
    organization: Organization,
    operator: User,
    reason: str | None,
    confirmation: str | None,
) -> TenantDeletion:
    """Request the deletion of a tenant; a Celery task (tasks.tenant_deletion_run) carries it out.

    The operator types the slug to confirm. In one transaction: the organization is suspended
    (its hosts refuse every request from now on, whatever its state was, and billing's
    reactivation no longer applies to it), a TenantDeletion records the request and the state to
    put back if it fails, and the `delete` audit row is written as queued; the task is sent when
    that commits. A second request while one is under way is refused and writes nothing.
    """
    # Imported when queueing: the tasks module calls back into these services.
    from shared_apps.console.tasks import tenant_deletion_run

    _operator_check(operator)
    reason = _reason_clean(reason)
    if (confirmation or "").strip() != organization.slug:
        raise ServiceError(
            f"Type the tenant's subdomain, {organization.slug}, to confirm the deletion.",
            fields={"confirmation": [f"Type {organization.slug} exactly."]},
        )
    # Nothing is suspended, exported or cancelled for a schema that could not be dropped.
    _schema_check(organization)
    if organization.state == OrganizationState.PROVISIONING:
        # Refused before taking the lock, to say so without waiting on a running provisioning.
        _refuse_state(organization, "delete", "wait until provisioning has finished or failed")
    with transaction.atomic():
        organization = _locked(organization)
        if organization.state == OrganizationState.PROVISIONING:
            _refuse_state(organization, "delete", "wait until provisioning has finished or failed")
        _refuse_while_deleting(organization)
        previous_state = organization.state
        previous_reason = organization.state_reason
        previous_changed_at = organization.state_changed_at
        suspended_at = organization_state_set(
            organization=organization,
            state=OrganizationState.SUSPENDED,
            reason=f"Being deleted: {reason}",
        )
        event = _audit(
            operator=operator,
            action=OperatorAction.DELETE,
            organization=organization,
            reason=reason,
            outcome=Outcome.QUEUED,
            state=previous_state,
            schema_name=organization.schema_name,
        )
        deletion = TenantDeletion.objects.create(
            organization_id=organization.pk,
            organization_slug=organization.slug,
            schema_name=organization.schema_name,
            previous_state=previous_state,
            previous_state_reason=previous_reason,
            previous_state_changed_at=previous_changed_at,
            suspended_at=suspended_at,
            requested_by=operator,
            audit_event=event,
        )
        event.detail = {**event.detail, "deletion_id": deletion.pk}
        event.save(update_fields=["detail"])
        enqueue_on_commit(tenant_deletion_run, deletion.pk)
    return deletion


def organization_delete_perform(*, deletion_id: int) -> TenantDeletion | None:
    """Carry out a queued deletion: export the schema, cancel the Stripe subscription, then drop
    the schema and remove the rows.

    The export runs first, outside any transaction (pg_dump reads committed data). Then, once
    the request is seen to still stand (not given up, the organization still in the state the
    request put it in), the organization's Stripe subscription is cancelled
    (billing.subscription_stripe_cancel): Stripe is not transactional, so this comes before
    the drop, never after it, and a deleted tenant is never left paying. If Stripe refuses,
    nothing is dropped. Then one transaction checks again that the request stands, records the
    export, drops the schema, deletes the domains and the organization (provisioning.tenant_drop),
    and marks the deletion and its audit row done, saying what became of the Stripe
    subscription. A tenant that never had a schema has nothing to export: the audit row says
    so, and no export is recorded. Any failure leaves the tenant whole, back in its previous
    state, with the deletion and its audit row `failed` and the error (which says so if the
    subscription was cancelled before it); it can be requested again, and a subscription
    already cancelled then counts as done.

    Idempotent: a deletion no longer queued is left alone, so a redelivered task does nothing.
    """
    deletion = _job_take(
        TenantDeletion, deletion_id, queued=DeletionState.QUEUED, running=DeletionState.RUNNING
    )
    if deletion is None:
        return None
    export_name: str | None = None
    cancellation: StripeCancellation | None = None
    try:
        organization = Organization.objects.filter(pk=deletion.organization_id).first()
        if organization is None:
            raise StateConflict(f"{deletion.organization_slug} no longer exists.")
        tenant_schema_verify(slug=organization.slug, schema_name=organization.schema_name)
        schema_existed = schema_exists(organization.schema_name)
        if schema_existed:
            export_name = provisioning.tenant_export(organization=organization)
        with transaction.atomic():
            _deletion_standing(deletion, organization)
        # Outside any transaction: no lock is held while Stripe answers.
        cancellation = subscription_stripe_cancel(organization=organization)
        with transaction.atomic():
            organization = _deletion_standing(deletion, organization)
            export = _deletion_export_record(deletion, export_name)
            provisioning.tenant_drop(organization=organization, export_name=export_name)
            deletion.state = DeletionState.DONE
            deletion.export = export
            deletion.schema_existed = schema_existed
            deletion.finished_at = timezone.now()
            deletion.save(update_fields=["state", "export", "schema_existed", "finished_at"])
            if export is None:
                outcome_detail: dict[str, Any] = {
                    "schema_existed": False,
                    "note": f"No schema {deletion.schema_name} existed: there was nothing to "
                    "export. The domains and the organization were removed.",
                }
            else:
                outcome_detail = {
                    "schema_existed": True,
                    "export_id": export.pk,
                    "file_name": export.file_name,
                }
            _audit_finish(
                deletion,
                outcome=Outcome.SUCCEEDED,
                **outcome_detail,
                **_cancellation_detail(cancellation),
            )
    except Exception as error:
        logger.exception("deleting %s failed", deletion.organization_slug)
        message = "; ".join(getattr(error, "messages", None) or [str(error)])
        if cancellation is not None and cancellation.outcome == StripeCancellationOutcome.CANCELED:
            message = (
                f"{message[:1800]} (Stripe subscription {cancellation.subscription_id} was "
                "cancelled before this failure: the tenant is no longer charged.)"
            )
        _deletion_fail(deletion, error=message[:2000], export_name=export_name)
    else:
        logger.info("deleted %s (deletion %s)", deletion.organization_slug, deletion.pk)
    return deletion


def _deletion_standing(deletion: TenantDeletion, organization: Organization) -> Organization:
    """The organization, locked, once its deletion is seen to still stand: not given up, and
    the organization still in the state the request put it in. StateConflict otherwise."""
    current = TenantDeletion.objects.select_for_update().get(pk=deletion.pk)
    if current.state != DeletionState.RUNNING:
        raise StateConflict("This deletion was given up meanwhile; nothing was deleted.")
    organization = _locked(organization)
    if organization.state_changed_at != deletion.suspended_at:
        raise StateConflict(
            f"{organization.slug} changed state since its deletion was requested (it is "
            f"{organization.get_state_display().lower()}); nothing was deleted."
        )
    return organization


def _cancellation_detail(cancellation: StripeCancellation) -> dict[str, str]:
    return {
        "stripe_subscription_id": cancellation.subscription_id,
        "stripe_cancellation": cancellation.outcome,
        "billing": cancellation.note,
    }


def _deletion_export_record(
    deletion: TenantDeletion, export_name: str | None
) -> TenantExport | None:
    if not export_name:
        return None
    return TenantExport.objects.create(
        organization_id=deletion.organization_id,
        organization_slug=deletion.organization_slug,
        state=ExportState.DONE,
        file_name=export_name,
        requested_by_id=deletion.requested_by_id,
        audit_event_id=deletion.audit_event_id,
        finished_at=timezone.now(),
    )


def _audit_finish(deletion: TenantDeletion, *, outcome: str, **detail: Any) -> None:
    if deletion.audit_event_id is None:
        return
    event = OperatorAuditEvent.objects.select_for_update().get(pk=deletion.audit_event_id)
    event.outcome = outcome
    event.detail = {**event.detail, **detail}
    event.save(update_fields=["outcome", "detail"])


def _deletion_fail(deletion: TenantDeletion, *, error: str, export_name: str | None = None) -> None:
    """Record why a deletion failed and put the organization back in its previous state, unless
    its state changed since the request (then that newer state stands). A dump made before the
    failure is kept as an ordinary export, so no file in storage goes unrecorded."""
    with transaction.atomic():
        current = TenantDeletion.objects.select_for_update().get(pk=deletion.pk)
        export = _deletion_export_record(current, export_name)
        if current.state not in DELETION_PENDING_STATES:
            return  # given up meanwhile: its failure is already recorded
        organization = (
            Organization.objects.select_for_update().filter(pk=current.organization_id).first()
        )
        if organization is not None and organization.state_changed_at == current.suspended_at:
            organization_state_set(
                organization=organization,
                state=current.previous_state,
                reason=current.previous_state_reason,
                changed_at=current.previous_state_changed_at,
            )
        current.state = DeletionState.FAILED
        current.error = error
        current.export = export
        current.finished_at = timezone.now()
        current.save(update_fields=["state", "error", "export", "finished_at"])
        detail: dict[str, Any] = {"error": error}
        if export is not None:
            detail.update(export_id=export.pk, file_name=export.file_name)
        _audit_finish(current, outcome=Outcome.FAILED, **detail)
    deletion.refresh_from_db()

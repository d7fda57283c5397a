"""Deletion of a tenant: an operator's request, which suspends the tenant at once, and the
Celery task's work (tasks.tenant_deletion_run): export, cancel the Stripe subscription, then
drop. While a deletion is under way no other action is taken on the tenant; one that fails puts
the tenant back as it was, and its audit row says why.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

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
from shared_apps.console.services.actions import (
    job_take,
    operator_audit,
    operator_check,
    organization_locked,
    reason_clean,
    refuse_state,
    schema_check,
)
from shared_apps.tenants.models import Organization, OrganizationState
from shared_apps.tenants.services import organization_state_set
from shared_apps.users.models import User

logger = logging.getLogger(__name__)

# A deletion still queued or running after this long was lost: a new request gives it up
# (recorded as failed, the tenant's state put back) and takes its place.
DELETION_STALE = timedelta(hours=2)


# --- Delete ------------------------------------------------------------------------------


def _deletion_pending(organization: Organization) -> TenantDeletion | None:
    return (
        TenantDeletion.objects.select_for_update(of=("self",))
        .filter(organization_id=organization.pk, state__in=DELETION_PENDING_STATES)
        .select_related("requested_by")
        .first()
    )


def refuse_while_deleting(organization: Organization) -> None:
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

    operator_check(operator)
    reason = reason_clean(reason)
    if (confirmation or "").strip() != organization.slug:
        raise ServiceError(
            f"Type the tenant's subdomain, {organization.slug}, to confirm the deletion.",
            fields={"confirmation": [f"Type {organization.slug} exactly."]},
        )
    # Nothing is suspended, exported or cancelled for a schema that could not be dropped.
    schema_check(organization)
    if organization.state == OrganizationState.PROVISIONING:
        # Refused before taking the lock, to say so without waiting on a running provisioning.
        refuse_state(organization, "delete", "wait until provisioning has finished or failed")
    with transaction.atomic():
        organization = organization_locked(organization)
        if organization.state == OrganizationState.PROVISIONING:
            refuse_state(organization, "delete", "wait until provisioning has finished or failed")
        refuse_while_deleting(organization)
        previous_state = organization.state
        previous_reason = organization.state_reason
        previous_changed_at = organization.state_changed_at
        suspended_at = organization_state_set(
            organization=organization,
            state=OrganizationState.SUSPENDED,
            reason=f"Being deleted: {reason}",
        )
        event = operator_audit(
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
    deletion = job_take(
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
    organization = organization_locked(organization)
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

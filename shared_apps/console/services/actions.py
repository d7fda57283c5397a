"""What every operator action shares: the checks of the operator, the reason, the tenant's row
(locked) and its schema, the refusal of an action the tenant's state does not allow, the
OperatorAuditEvent the action writes, and how a worker takes a queued export or deletion.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from provisioning.schemas import tenant_schema_verify
from saas_platform.lib.errors import ServiceError, StateConflict
from shared_apps.console.models import OperatorAuditEvent, TenantDeletion, TenantExport
from shared_apps.tenants.models import Organization
from shared_apps.users.models import User

REASON_MAX_LENGTH = 2000


def reason_clean(reason: str | None) -> str:
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


def operator_check(operator: User) -> None:
    if not (operator.is_active and operator.is_operator):
        raise StateConflict("Only operators act on tenants.")


def organization_locked(organization: Organization) -> Organization:
    """The organization's row, locked until the transaction ends, with its current state."""
    locked = Organization.objects.select_for_update().filter(pk=organization.pk).first()
    if locked is None:
        raise StateConflict(f"{organization.slug} no longer exists.")
    if locked.is_public:
        raise StateConflict("The public schema is not a tenant: operators cannot act on it.")
    return locked


def operator_audit(
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


def schema_check(organization: Organization) -> None:
    """Refuse to act on a row recording a schema that is never a tenant's (PostgreSQL's own, the
    template, a spare: rows made before such names were refused at signup)."""
    try:
        tenant_schema_verify(slug=organization.slug, schema_name=organization.schema_name)
    except ValidationError as error:
        raise ServiceError(" ".join(error.messages)) from None


def refuse_state(organization: Organization, action: str, allowed: str) -> None:
    raise StateConflict(
        f"Cannot {action} {organization.slug}: it is "
        f"{organization.get_state_display().lower()}; {allowed}."
    )


# --- Queued work -------------------------------------------------------------------------


def job_take[Job: (TenantExport, TenantDeletion)](
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

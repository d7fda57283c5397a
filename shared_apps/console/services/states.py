"""An operator's changes of a tenant's state: suspend, reactivate, and resume a failed (or
stalled) provisioning. A provisioning retry that fails leaves a `failed` audit row saying why.
"""

from __future__ import annotations

from django.db import transaction

from provisioning import services as provisioning
from saas_platform.lib.errors import ServiceError
from shared_apps.console.models import OperatorAction, Outcome
from shared_apps.console.selectors import STALLED_PROVISIONING, organization_retry_allowed
from shared_apps.console.services.actions import (
    operator_audit,
    operator_check,
    organization_locked,
    reason_clean,
    refuse_state,
    schema_check,
)
from shared_apps.console.services.deletion import refuse_while_deleting
from shared_apps.tenants.models import Organization, OrganizationState
from shared_apps.tenants.services import organization_state_set
from shared_apps.users.models import User

# --- Suspend and reactivate --------------------------------------------------------------


def organization_suspend(
    *, organization: Organization, operator: User, reason: str | None
) -> Organization:
    """Stop serving an active tenant; its hosts answer 'suspended' from the next request."""
    operator_check(operator)
    reason = reason_clean(reason)
    with transaction.atomic():
        organization = organization_locked(organization)
        if organization.state != OrganizationState.ACTIVE:
            refuse_state(organization, "suspend", "only an active tenant can be suspended")
        previous = organization.state
        organization_state_set(
            organization=organization, state=OrganizationState.SUSPENDED, reason=reason
        )
        operator_audit(
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
    operator_check(operator)
    reason = reason_clean(reason)
    with transaction.atomic():
        organization = organization_locked(organization)
        refuse_while_deleting(organization)
        if organization.state != OrganizationState.SUSPENDED:
            refuse_state(organization, "reactivate", "only a suspended tenant can be reactivated")
        previous = organization.state
        organization_state_set(organization=organization, state=OrganizationState.ACTIVE, reason="")
        operator_audit(
            operator=operator,
            action=OperatorAction.REACTIVATE,
            organization=organization,
            reason=reason,
            outcome=Outcome.SUCCEEDED,
            previous_state=previous,
        )
    return organization


# --- Retry a failed provisioning ---------------------------------------------------------


def organization_provision_retry(
    *, organization: Organization, operator: User, reason: str | None
) -> Organization:
    """Resume a failed (or stalled) provisioning with provisioning.tenant_provision_resume.

    The steps run inside this transaction (theirs become savepoints), so the audit row commits
    with whatever they did. If a step fails again, provisioning marks the tenant failed with the
    new error; that and a `failed` audit row are committed, and the operator is told.
    """
    operator_check(operator)
    reason = reason_clean(reason)
    schema_check(organization)
    with transaction.atomic():
        organization = organization_locked(organization)
        if not organization_retry_allowed(organization):
            refuse_state(
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
            operator_audit(
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
            operator_audit(
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

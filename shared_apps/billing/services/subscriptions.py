"""An organization's subscription: the trial it starts with, its row taken under lock (a trial
made first where it has none), and the audit rows billing writes in the organization's own log.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from saas_platform.lib.errors import StateConflict
from shared_apps.billing.models import Plan, Subscription, SubscriptionStatus
from shared_apps.tenants.models import Organization
from tenant_apps.core.services import audit_record

if TYPE_CHECKING:
    from shared_apps.users.models import User

logger = logging.getLogger(__name__)


# --- Audit ---------------------------------------------------------------------------------------


def billing_audit(
    organization: Organization, action: str, *, acting_user: User | None, **detail: Any
) -> None:
    """The audit row in the organization's own log (one per organization, in its schema)."""
    if organization.is_public or not schema_exists(organization.schema_name):
        return
    subscription = Subscription.objects.filter(organization=organization).first()
    with schema_context(organization.schema_name):
        audit_record(
            action,
            acting_user=acting_user,
            obj=subscription if subscription is not None else organization,
            **detail,
        )


# --- Trials --------------------------------------------------------------------------------------


def subscription_trial_start(
    *, organization: Organization, plan: Plan, now: datetime | None = None
) -> Subscription:
    """The organization's subscription: a trial of `plan` for plan.trial_days (a free plan is
    simply active). Idempotent: an organization that has a subscription keeps it as it is."""
    now = now or timezone.now()
    free = plan.monthly_price == 0
    with transaction.atomic():
        subscription, created = Subscription.objects.get_or_create(
            organization=organization,
            defaults={
                "plan": plan,
                "status": SubscriptionStatus.ACTIVE if free else SubscriptionStatus.TRIALING,
                "trial_ends_at": None if free else now + timedelta(days=plan.trial_days),
            },
        )
        if created and organization.plan_code != plan.code:
            organization.plan_code = plan.code
            organization.save(update_fields=["plan_code", "updated_at"])
    if created:
        logger.info("%s starts on %s (%s)", organization.slug, plan.code, subscription.status)
    return subscription


def subscription_locked(organization: Organization) -> Subscription:
    """The organization's subscription, locked for this transaction; a trial of its plan (or
    of the first plan offered) if it has none yet."""
    subscription = (
        Subscription.objects.select_for_update().filter(organization=organization).first()
    )
    if subscription is not None:
        return subscription
    plan = Plan.objects.filter(code=organization.plan_code).first() or Plan.objects.first()
    if plan is None:
        raise StateConflict("No plan is set up: an operator must create one first.")
    subscription_trial_start(organization=organization, plan=plan)
    return Subscription.objects.select_for_update().get(organization=organization)

"""Suspension for billing: the organizations whose payment failed, or whose trial of a paid
plan ended unpaid, longer ago than the grace period are suspended; a payment lifts a suspension
billing made (an operator's suspension for another reason stays).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from shared_apps.billing.models import Subscription, SubscriptionStatus
from shared_apps.billing.selectors import trials_enforced
from shared_apps.billing.services.subscriptions import billing_audit
from shared_apps.tenants.models import Organization, OrganizationState
from shared_apps.tenants.services import organization_state_set

logger = logging.getLogger(__name__)


# --- Suspension for billing ----------------------------------------------------------------------


def billing_suspension_lift(subscription: Subscription) -> bool:
    """Reactivate the organization if billing suspended it and nobody changed its state since
    (an operator's suspension for another reason stays). Returns whether it was lifted."""
    if subscription.suspended_for_billing_at is None:
        return False
    organization = Organization.objects.select_for_update().get(pk=subscription.organization_id)
    ours = (
        organization.state == OrganizationState.SUSPENDED
        and organization.state_changed_at == subscription.suspended_for_billing_at
    )
    subscription.suspended_for_billing_at = None
    subscription.save(update_fields=["suspended_for_billing_at", "updated_at"])
    if not ours:
        return False
    organization_state_set(organization=organization, state=OrganizationState.ACTIVE, reason="")
    subscription.organization = organization
    billing_audit(organization, "billing.reactivate", acting_user=None, status=subscription.status)
    logger.info("%s reactivated: its payment arrived", organization.slug)
    return True


def _payment_overdue(subscription: Subscription, *, cutoff: datetime) -> bool:
    since = subscription.past_due_since
    return (
        subscription.status == SubscriptionStatus.PAST_DUE and since is not None and since <= cutoff
    )


def _trial_overdue(subscription: Subscription, *, cutoff: datetime) -> bool:
    """A trial of a paid plan that ended before `cutoff` with nothing subscribed. An
    organization with a Stripe subscription is left to Stripe's own events: a card that fails at
    the end of a trial is a failed payment (past due), and a trial Stripe extended is not over."""
    ends = subscription.trial_ends_at
    return (
        subscription.status == SubscriptionStatus.TRIALING
        and not subscription.stripe_subscription_id
        and subscription.plan.monthly_price > 0
        and ends is not None
        and ends <= cutoff
    )


def billing_grace_enforce(*, now: datetime) -> list[Organization]:
    """Suspend the active organizations whose payment has failed, or whose trial of a paid plan
    ended unpaid (where trials_enforced), longer than BILLING_GRACE_DAYS ago. Returns them.
    Paying (Checkout, or the open invoice) reactivates them. Safe to run twice."""
    grace_days = settings.BILLING_GRACE_DAYS
    cutoff = now - timedelta(days=grace_days)
    overdue = Q(status=SubscriptionStatus.PAST_DUE, past_due_since__lte=cutoff)
    enforce_trials = trials_enforced()
    if enforce_trials:
        overdue |= Q(
            status=SubscriptionStatus.TRIALING,
            stripe_subscription_id="",
            plan__monthly_price__gt=0,
            trial_ends_at__lte=cutoff,
        )
    candidates = Subscription.objects.filter(
        overdue, organization__state=OrganizationState.ACTIVE
    ).values_list("pk", flat=True)
    suspended = []
    for subscription_id in list(candidates):
        with transaction.atomic():
            subscription = (
                Subscription.objects.select_for_update()
                .select_related("organization")
                .get(pk=subscription_id)
            )
            organization = Organization.objects.select_for_update().get(
                pk=subscription.organization_id
            )
            if organization.state != OrganizationState.ACTIVE:
                continue  # suspended by someone else meanwhile
            if _payment_overdue(subscription, cutoff=cutoff):
                reason = (
                    f"Billing: the payment that failed on {subscription.past_due_since:%Y-%m-%d} "
                    f"was not made within {grace_days} days; paying the open invoice reactivates "
                    "the account"
                )
                detail = {"past_due_since": str(subscription.past_due_since)}
            elif enforce_trials and _trial_overdue(subscription, cutoff=cutoff):
                reason = (
                    f"Billing: the free trial ended on {subscription.trial_ends_at:%Y-%m-%d} and "
                    f"no subscription was started within {grace_days} days; subscribing on the "
                    "billing page reactivates the account"
                )
                detail = {"trial_ended_at": str(subscription.trial_ends_at)}
            else:
                continue  # paid meanwhile
            changed_at = organization_state_set(
                organization=organization, state=OrganizationState.SUSPENDED, reason=reason
            )
            subscription.suspended_for_billing_at = changed_at
            subscription.save(update_fields=["suspended_for_billing_at", "updated_at"])
            billing_audit(organization, "billing.suspend", acting_user=None, **detail)
            logger.info("%s suspended for billing: %s", organization.slug, reason)
            suspended.append(organization)
    return suspended

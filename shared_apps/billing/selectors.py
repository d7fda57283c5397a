"""Reads of billing: the plans offered (and whether unpaid trials are enforced), and an
organization's plan and subscription."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from saas_platform.lib.plan_limits import PlanLimit, plan_count
from shared_apps.billing.limits import plan_of_current_tenant
from shared_apps.billing.models import (
    ConnectEvent,
    Plan,
    StripeEventOutcome,
    Subscription,
    SubscriptionStatus,
)
from shared_apps.billing.stripe_api import stripe_configured
from shared_apps.tenants.models import Organization, OrganizationState


def plans_offered() -> QuerySet[Plan]:
    return Plan.objects.filter(is_public=True)


def plans_for_sale() -> QuerySet[Plan]:
    """The plans offered that can be bought online (they have a Stripe price)."""
    return plans_offered().exclude(stripe_price_id="")


def trials_enforced() -> bool:
    """Whether a trial that ended unpaid leads to a suspension. Only where there is a way to
    pay: Stripe is configured and some plan is for sale. Without Stripe (development, an
    installation that bills by hand) a trial simply goes on; suspending would lock people out of
    an account they have no means to pay for."""
    return stripe_configured() and plans_for_sale().exists()


def plan_by_code(code: str) -> Plan | None:
    return Plan.objects.filter(code=code).first()


def subscription_of(organization: Organization) -> Subscription | None:
    return Subscription.objects.select_related("plan").filter(organization=organization).first()


def organization_suspended_for_billing(*, organization: Organization) -> bool:
    """Whether the organization is suspended because billing suspended it (a failed payment or
    an unpaid trial past the grace period), and nobody changed its state since: the same test
    a payment passes to lift the suspension. An operator's suspension is never this."""
    return (
        organization.state == OrganizationState.SUSPENDED
        and Subscription.objects.filter(
            organization_id=organization.pk,
            suspended_for_billing_at=organization.state_changed_at,
        ).exists()
    )


# --- The billing page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """How much of its plan's limits the current tenant uses (None: no limit)."""

    donors: int
    max_donors: int | None
    staff_users: int
    max_staff_users: int | None


def plan_usage() -> Usage:
    """Run in the tenant's schema: its counts against its plan's limits."""
    plan = plan_of_current_tenant()
    return Usage(
        donors=plan_count(limit=PlanLimit.DONORS),
        max_donors=plan.max_donors if plan else None,
        staff_users=plan_count(limit=PlanLimit.STAFF_USERS),
        max_staff_users=plan.max_staff_users if plan else None,
    )


def subscription_can_check_out(subscription: Subscription | None) -> bool:
    """Whether the organization may start a Checkout: it has no live Stripe subscription."""
    if subscription is None or not subscription.stripe_subscription_id:
        return True
    return subscription.status == SubscriptionStatus.CANCELED


def connect_events_needing_attention(organization_id: int) -> int:
    """How many of the organization's online-giving events need attention (charged at Stripe,
    not recorded: see services.connect_events)."""
    return ConnectEvent.objects.filter(
        organization_id=organization_id, outcome=StripeEventOutcome.NEEDS_ATTENTION
    ).count()

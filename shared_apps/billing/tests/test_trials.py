"""Trials that end without a subscription: suspended past the grace period (only where there is
a way to pay), reactivated by a payment made through Checkout or an invoice, and never an
operator's suspension lifted by one."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context
from pytest_django import Settings

from shared_apps.billing.models import Plan, StripeEvent, Subscription, SubscriptionStatus
from shared_apps.billing.services.subscriptions import subscription_trial_start
from shared_apps.billing.services.suspension import billing_grace_enforce
from shared_apps.billing.tests.fake_stripe import (
    FakeStripe,
    checkout_completed,
    event,
    invoice,
    signed,
    subscription_object,
)
from shared_apps.console.services import organization_suspend
from shared_apps.console.tests.factories import OperatorFactory
from shared_apps.tenants.models import Organization, OrganizationState
from tenant_apps.core.models import AuditEvent
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

DAY = 86400


def _trial_ended(subscription: Subscription, *, days_ago: float) -> Subscription:
    subscription.trial_ends_at = timezone.now() - timedelta(days=days_ago)
    subscription.save(update_fields=["trial_ends_at"])
    return subscription


@pytest.fixture
def trial_over(on_trial: Subscription, fake_stripe: FakeStripe, settings: Settings) -> Subscription:
    """Alpha's trial of Standard ended 8 days ago with nothing subscribed; the grace period is
    7 days and Stripe is configured."""
    settings.BILLING_GRACE_DAYS = 7
    return _trial_ended(on_trial, days_ago=8)


def alpha_organization() -> Organization:
    return Organization.objects.get(slug="alpha")


def deliver(payload: dict[str, Any]) -> StripeEvent:
    """A webhook delivery through the public endpoint, signed as Stripe signs it."""
    body, header = signed(payload)
    response = Client(HTTP_HOST="localhost").post(
        "/billing/webhook/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )
    assert response.status_code == 200, response.content
    return StripeEvent.objects.get(stripe_id=payload["id"])


def checkout_paid(organization_id: int) -> dict[str, Any]:
    obj = checkout_completed(
        organization_id=organization_id,
        customer="cus_trial",
        subscription="sub_trial",
        plan_code="standard",
    )
    return event("checkout.session.completed", obj, created=int(time.time()))


def invoice_paid() -> dict[str, Any]:
    now = int(time.time())
    obj = invoice(
        customer="cus_trial",
        subscription="sub_trial",
        period_start=now,
        period_end=now + 30 * DAY,
        status="paid",
    )
    return event("invoice.paid", obj, created=now)


def test_a_trial_ended_past_the_grace_period_is_suspended_with_its_reason(
    trial_over: Subscription, alpha: Tenant
) -> None:
    suspended = billing_grace_enforce(now=timezone.now())

    assert [organization.slug for organization in suspended] == ["alpha"]
    alpha_now = alpha_organization()
    assert alpha_now.state == OrganizationState.SUSPENDED
    assert trial_over.trial_ends_at is not None
    ended = trial_over.trial_ends_at.strftime("%Y-%m-%d")
    assert alpha_now.state_reason == (
        f"Billing: the free trial ended on {ended} and no subscription was started within 7 "
        "days; subscribing on the billing page reactivates the account"
    )
    trial_over.refresh_from_db()
    # The marker a payment looks for, as for a failed payment.
    assert trial_over.suspended_for_billing_at == alpha_now.state_changed_at
    assert trial_over.status == SubscriptionStatus.TRIALING
    page = alpha.client(alpha.owner).get("/donations/")
    assert page.status_code == 403
    assert b"the free trial ended on" in page.content
    with schema_context("alpha"):
        [audit] = AuditEvent.objects.filter(action="billing.suspend")
        assert audit.detail == {"trial_ended_at": str(trial_over.trial_ends_at)}
    # Running it again changes nothing.
    assert billing_grace_enforce(now=timezone.now()) == []


def test_a_trial_ended_within_the_grace_period_is_not_suspended(trial_over: Subscription) -> None:
    _trial_ended(trial_over, days_ago=6)

    assert billing_grace_enforce(now=timezone.now()) == []
    assert alpha_organization().state == OrganizationState.ACTIVE
    trial_over.refresh_from_db()
    assert trial_over.suspended_for_billing_at is None


def test_a_paid_subscription_is_not_suspended_when_its_trial_date_is_long_past(
    trial_over: Subscription, alpha: Tenant
) -> None:
    deliver(checkout_paid(alpha.organization.pk))
    trial_over.refresh_from_db()
    assert trial_over.status == SubscriptionStatus.ACTIVE

    assert billing_grace_enforce(now=timezone.now()) == []
    assert alpha_organization().state == OrganizationState.ACTIVE


def test_a_trial_stripe_runs_is_left_to_stripe(trial_over: Subscription, alpha: Tenant) -> None:
    """A card was given during the trial: Stripe charges it when its trial ends, and a failure
    arrives as a failed payment, with its own grace period."""
    obj = checkout_completed(
        organization_id=alpha.organization.pk,
        customer="cus_trial",
        subscription="sub_trial",
        plan_code="standard",
        paid=False,
    )
    deliver(event("checkout.session.completed", obj, created=int(time.time()) - 9 * DAY))
    trial_over.refresh_from_db()
    assert (trial_over.status, trial_over.stripe_subscription_id) == ("trialing", "sub_trial")

    assert billing_grace_enforce(now=timezone.now()) == []
    assert alpha_organization().state == OrganizationState.ACTIVE


def test_a_free_plan_is_never_suspended_for_its_trial(
    alpha: Tenant, priced_plans: dict[str, Plan], fake_stripe: FakeStripe, settings: Settings
) -> None:
    settings.BILLING_GRACE_DAYS = 0
    starter = subscription_trial_start(
        organization=alpha.organization, plan=priced_plans["starter"]
    )
    assert (starter.status, starter.trial_ends_at) == (SubscriptionStatus.ACTIVE, None)
    # Even a free plan's row left in a trial (an operator's edit) is not suspended.
    Subscription.objects.filter(pk=starter.pk).update(
        status=SubscriptionStatus.TRIALING, trial_ends_at=timezone.now() - timedelta(days=60)
    )

    assert billing_grace_enforce(now=timezone.now()) == []
    assert alpha_organization().state == OrganizationState.ACTIVE


def test_without_stripe_a_trial_goes_on(on_trial: Subscription, settings: Settings) -> None:
    """Development, or an installation that bills by hand: there is no way to pay online, so
    an ended trial must not lock anyone out."""
    settings.STRIPE_SECRET_KEY = ""
    settings.BILLING_GRACE_DAYS = 7
    _trial_ended(on_trial, days_ago=90)

    assert billing_grace_enforce(now=timezone.now()) == []
    assert alpha_organization().state == OrganizationState.ACTIVE


def test_with_no_plan_for_sale_a_trial_goes_on(trial_over: Subscription) -> None:
    Plan.objects.update(stripe_price_id="")

    assert billing_grace_enforce(now=timezone.now()) == []
    assert alpha_organization().state == OrganizationState.ACTIVE


@pytest.mark.parametrize("payment", ["checkout", "invoice"])
def test_a_payment_after_the_suspension_reactivates(
    trial_over: Subscription, in_alpha: Tenant, payment: str
) -> None:
    billing_grace_enforce(now=timezone.now())
    assert alpha_organization().state == OrganizationState.SUSPENDED
    if payment == "invoice":  # the customer is known from the Checkout that was started
        Subscription.objects.filter(pk=trial_over.pk).update(stripe_customer_id="cus_trial")

    stored = deliver(
        checkout_paid(in_alpha.organization.pk) if payment == "checkout" else invoice_paid()
    )

    assert stored.outcome == "processed"
    assert "reactivated" in stored.outcome_detail
    alpha_now = alpha_organization()
    assert (alpha_now.state, alpha_now.state_reason) == (OrganizationState.ACTIVE, "")
    trial_over.refresh_from_db()
    assert trial_over.status == SubscriptionStatus.ACTIVE
    assert trial_over.suspended_for_billing_at is None
    assert in_alpha.client(in_alpha.owner).get("/").status_code == 200
    assert AuditEvent.objects.filter(action="billing.reactivate").count() == 1


def test_an_event_that_is_no_payment_does_not_reactivate(
    trial_over: Subscription, alpha: Tenant
) -> None:
    """Checkout started, the first payment still under way: Stripe says `incomplete`."""
    billing_grace_enforce(now=timezone.now())
    Subscription.objects.filter(pk=trial_over.pk).update(stripe_customer_id="cus_trial")
    obj = subscription_object(
        subscription="sub_trial",
        customer="cus_trial",
        status="incomplete",
        period_end=int(time.time()) + 30 * DAY,
    )

    stored = deliver(event("customer.subscription.updated", obj, created=int(time.time())))

    assert stored.outcome == "processed"
    assert "reactivated" not in stored.outcome_detail
    assert alpha_organization().state == OrganizationState.SUSPENDED
    trial_over.refresh_from_db()
    assert trial_over.suspended_for_billing_at is not None


def test_an_operators_suspension_is_not_touched_nor_lifted_by_a_payment(
    trial_over: Subscription, alpha: Tenant
) -> None:
    organization_suspend(
        organization=alpha.organization, operator=OperatorFactory.create(), reason="Fraud review"
    )

    assert billing_grace_enforce(now=timezone.now()) == []
    stored = deliver(checkout_paid(alpha.organization.pk))

    assert "reactivated" not in stored.outcome_detail
    alpha_now = alpha_organization()
    assert (alpha_now.state, alpha_now.state_reason) == ("suspended", "Fraud review")
    trial_over.refresh_from_db()
    assert trial_over.status == SubscriptionStatus.ACTIVE  # paid, and still suspended


def test_an_operator_suspending_after_billing_keeps_the_tenant_suspended(
    trial_over: Subscription, alpha: Tenant
) -> None:
    billing_grace_enforce(now=timezone.now())
    # The console suspends only active tenants; an operator re-suspending for another reason
    # changes the state's date, as organization_state_set does.
    from shared_apps.tenants.services import organization_state_set

    organization_state_set(
        organization=alpha_organization(), state=OrganizationState.SUSPENDED, reason="Fraud"
    )

    deliver(checkout_paid(alpha.organization.pk))

    alpha_now = alpha_organization()
    assert (alpha_now.state, alpha_now.state_reason) == ("suspended", "Fraud")


def test_the_daily_task_suspends_ended_trials(trial_over: Subscription, alpha: Tenant) -> None:
    from shared_apps.billing.tasks import billing_grace_enforce as billing_grace_task

    assert billing_grace_task.delay().get() == [alpha.organization.pk]
    assert alpha_organization().state == OrganizationState.SUSPENDED

"""Trials, Stripe customers, Checkout and portal sessions, against the local fake Stripe with
the real stripe library."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from pytest_django import Settings

from saas_platform.lib.errors import ServiceError, StateConflict
from shared_apps.billing.models import Plan, Subscription, SubscriptionStatus
from shared_apps.billing.services.cancellation import subscription_stripe_cancel
from shared_apps.billing.services.checkout import checkout_session_create, portal_session_create
from shared_apps.billing.services.subscriptions import subscription_trial_start
from shared_apps.billing.tests.fake_stripe import FakeStripe
from tenant_apps.core.models import AuditEvent
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

SUCCESS, CANCEL = "http://alpha.localhost/billing/?checkout=done", "http://alpha.localhost/b/"


def test_a_trial_lasts_the_plans_trial_days_and_names_the_plan(
    alpha: Tenant, priced_plans: dict[str, Plan]
) -> None:
    now = timezone.now()
    standard = priced_plans["standard"]

    subscription = subscription_trial_start(organization=alpha.organization, plan=standard, now=now)

    assert subscription.status == SubscriptionStatus.TRIALING
    assert subscription.trial_ends_at == now + timedelta(days=standard.trial_days)
    alpha.organization.refresh_from_db()
    assert alpha.organization.plan_code == "standard"


def test_starting_a_trial_twice_keeps_the_first(
    alpha: Tenant, priced_plans: dict[str, Plan]
) -> None:
    first = subscription_trial_start(organization=alpha.organization, plan=priced_plans["standard"])
    again = subscription_trial_start(organization=alpha.organization, plan=priced_plans["plus"])

    assert again.pk == first.pk
    assert again.plan.code == "standard"
    assert again.trial_ends_at == first.trial_ends_at
    assert Subscription.objects.filter(organization=alpha.organization).count() == 1


def test_a_free_plan_is_active_without_a_trial(
    alpha: Tenant, priced_plans: dict[str, Plan]
) -> None:
    subscription = subscription_trial_start(
        organization=alpha.organization, plan=priced_plans["starter"]
    )
    assert (subscription.status, subscription.trial_ends_at) == ("active", None)


def test_checkout_creates_the_customer_once_and_a_subscription_session(
    in_alpha: Tenant, on_trial: Subscription, fake_stripe: FakeStripe, priced_plans: dict[str, Plan]
) -> None:
    url = checkout_session_create(
        organization=in_alpha.organization,
        plan=priced_plans["plus"],
        success_url=SUCCESS,
        cancel_url=CANCEL,
        acting_user=in_alpha.owner,
    )
    again = checkout_session_create(
        organization=in_alpha.organization,
        plan=priced_plans["standard"],
        success_url=SUCCESS,
        cancel_url=CANCEL,
    )

    assert url.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    assert again != url
    [customer] = fake_stripe.calls("/v1/customers")
    assert customer.params["name"] == "Alpha Relief Fund"
    assert customer.params["email"] == "owner@alpha.org"
    assert customer.params["metadata[organization_id]"] == str(in_alpha.organization.pk)
    assert (
        customer.headers["idempotency-key"]
        == f"ifm-customer-organization-{in_alpha.organization.pk}"
    )
    assert customer.headers["authorization"] == "Bearer sk_test_0123456789"
    first, second = fake_stripe.calls("/v1/checkout/sessions")
    stored = Subscription.objects.get(pk=on_trial.pk)
    assert stored.stripe_customer_id.startswith("cus_test")
    assert first.params["customer"] == second.params["customer"] == stored.stripe_customer_id
    assert first.params["mode"] == "subscription"
    assert first.params["line_items[0][price]"] == "price_plus_monthly"
    assert first.params["line_items[0][quantity]"] == "1"
    assert first.params["client_reference_id"] == str(in_alpha.organization.pk)
    assert first.params["metadata[plan_code]"] == "plus"
    assert first.params["success_url"] == SUCCESS
    assert first.params["cancel_url"] == CANCEL
    # What is left of the trial carries over to Stripe's subscription.
    assert stored.trial_ends_at is not None
    assert first.params["subscription_data[trial_end]"] == str(
        int(stored.trial_ends_at.timestamp())
    )
    audit = AuditEvent.objects.get(action="billing.checkout", actor=in_alpha.owner)
    assert audit.detail["plan"] == "plus"


def test_checkout_is_refused_without_stripe_or_a_price_or_with_a_live_subscription(
    alpha: Tenant,
    on_trial: Subscription,
    fake_stripe: FakeStripe,
    priced_plans: dict[str, Plan],
    settings: Settings,
) -> None:
    def start(plan: str) -> str:
        return checkout_session_create(
            organization=alpha.organization,
            plan=priced_plans[plan],
            success_url=SUCCESS,
            cancel_url=CANCEL,
        )

    with pytest.raises(ServiceError, match="cannot be bought online"):
        start("starter")
    Subscription.objects.filter(pk=on_trial.pk).update(
        stripe_customer_id="cus_x", stripe_subscription_id="sub_x", status="active"
    )
    with pytest.raises(StateConflict, match="billing portal"):
        start("plus")
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(StateConflict, match="Stripe is not configured"):
        start("plus")
    assert fake_stripe.requests == []


def test_a_stripe_failure_is_a_clear_refusal_and_keeps_the_customer(
    alpha: Tenant, on_trial: Subscription, fake_stripe: FakeStripe, priced_plans: dict[str, Plan]
) -> None:
    fake_stripe.failures["/v1/checkout/sessions"] = 400

    with pytest.raises(ServiceError, match="Stripe could not be reached or refused"):
        checkout_session_create(
            organization=alpha.organization,
            plan=priced_plans["plus"],
            success_url=SUCCESS,
            cancel_url=CANCEL,
        )

    assert Subscription.objects.get(pk=on_trial.pk).stripe_customer_id.startswith("cus_test")


def test_checkout_gives_an_organization_without_a_subscription_one(
    alpha: Tenant, fake_stripe: FakeStripe, priced_plans: dict[str, Plan]
) -> None:
    checkout_session_create(
        organization=alpha.organization,
        plan=priced_plans["plus"],
        success_url=SUCCESS,
        cancel_url=CANCEL,
    )
    assert Subscription.objects.get(organization=alpha.organization).stripe_customer_id


def test_the_portal_opens_for_the_organizations_customer(
    alpha: Tenant, on_trial: Subscription, fake_stripe: FakeStripe
) -> None:
    with pytest.raises(StateConflict, match="Subscribe first"):
        portal_session_create(organization=alpha.organization, return_url=SUCCESS)
    Subscription.objects.filter(pk=on_trial.pk).update(stripe_customer_id="cus_alpha")

    url = portal_session_create(
        organization=alpha.organization, return_url=SUCCESS, acting_user=alpha.owner
    )

    assert url.startswith("https://billing.stripe.com/p/session/")
    [call] = fake_stripe.calls("/v1/billing_portal/sessions")
    assert call.params == {"customer": "cus_alpha", "return_url": SUCCESS}


def test_the_portal_is_refused_without_stripe(
    alpha: Tenant, on_trial: Subscription, settings: Settings
) -> None:
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(StateConflict, match="Stripe is not configured"):
        portal_session_create(organization=alpha.organization, return_url=SUCCESS)


# --- Cancellation, when the organization is deleted ---------------------------------------------


def test_cancelling_twice_cancels_once_and_then_counts_as_done(
    alpha: Tenant, on_trial: Subscription, fake_stripe: FakeStripe
) -> None:
    Subscription.objects.filter(pk=on_trial.pk).update(stripe_subscription_id="sub_alpha")
    fake_stripe.subscriptions["sub_alpha"] = "active"

    first = subscription_stripe_cancel(organization=alpha.organization)
    again = subscription_stripe_cancel(organization=alpha.organization)

    assert (first.outcome, first.subscription_id) == ("canceled", "sub_alpha")
    assert (again.outcome, again.subscription_id) == ("already_canceled", "sub_alpha")
    assert fake_stripe.subscriptions["sub_alpha"] == "canceled"
    assert len(fake_stripe.calls("/v1/subscriptions/sub_alpha")) == 2


def test_a_refused_cancellation_is_a_clear_error(
    alpha: Tenant, on_trial: Subscription, fake_stripe: FakeStripe
) -> None:
    """Any refusal but 404 resource_missing: the subscription may still be charged."""
    Subscription.objects.filter(pk=on_trial.pk).update(stripe_subscription_id="sub_alpha")
    fake_stripe.subscriptions["sub_alpha"] = "active"
    fake_stripe.failures["/v1/subscriptions/sub_alpha"] = 400

    with pytest.raises(ServiceError, match="Stripe could not cancel subscription sub_alpha"):
        subscription_stripe_cancel(organization=alpha.organization)

    assert fake_stripe.subscriptions["sub_alpha"] == "active"

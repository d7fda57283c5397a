"""Billing fixtures: Stripe configured against a local fake server, plans with Stripe prices,
and an organization (alpha) on a trial of the Standard plan."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_django import Settings

from shared_apps.billing.models import Plan, Subscription
from shared_apps.billing.tests.fake_stripe import (
    CONNECT_WEBHOOK_SECRET,
    WEBHOOK_SECRET,
    FakeStripe,
    fake_stripe_start,
)
from tests.plugin import Tenant


@pytest.fixture(scope="session")
def fake_stripe_server() -> Iterator[FakeStripe]:
    fake = fake_stripe_start()
    yield fake
    fake.server.shutdown()


@pytest.fixture
def fake_stripe(fake_stripe_server: FakeStripe, settings: Settings) -> FakeStripe:
    fake_stripe_server.reset()
    settings.STRIPE_SECRET_KEY = "sk_test_0123456789"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = CONNECT_WEBHOOK_SECRET
    settings.STRIPE_API_BASE = fake_stripe_server.base
    return fake_stripe_server


@pytest.fixture
def priced_plans(db: None) -> dict[str, Plan]:
    """The seeded plans, the paid ones with a Stripe price."""
    Plan.objects.filter(code="standard").update(stripe_price_id="price_standard_monthly")
    Plan.objects.filter(code="plus").update(stripe_price_id="price_plus_monthly")
    return {plan.code: plan for plan in Plan.objects.all()}


@pytest.fixture
def on_trial(alpha: Tenant, priced_plans: dict[str, Plan]) -> Subscription:
    """Alpha on a trial of Standard, as signup leaves it."""
    from shared_apps.billing.services.subscriptions import subscription_trial_start

    return subscription_trial_start(organization=alpha.organization, plan=priced_plans["standard"])

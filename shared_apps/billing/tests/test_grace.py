"""Suspension past the grace period, and reactivation by a payment, of suspensions billing made
only: an operator's suspension for another reason stays."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django_tenants.utils import schema_context
from pytest_django import Settings

from shared_apps.billing.models import StripeEvent, Subscription, SubscriptionStatus
from shared_apps.billing.services.events import stripe_event_receive
from shared_apps.billing.services.suspension import billing_grace_enforce
from shared_apps.billing.tests.fake_stripe import FakeStripe, event, invoice, signed
from shared_apps.tenants.models import Organization, OrganizationState
from tenant_apps.core.models import AuditEvent
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

DAY = 86400


@pytest.fixture
def past_due(on_trial: Subscription, fake_stripe: FakeStripe, settings: Settings) -> Subscription:
    """Alpha's payment failed 8 days ago; the grace period is 7 days."""
    settings.BILLING_GRACE_DAYS = 7
    failed_at = int(time.time()) - 8 * DAY
    on_trial.stripe_customer_id = "cus_grace"
    on_trial.save()
    obj = invoice(
        customer="cus_grace",
        subscription="sub_grace",
        period_start=failed_at,
        period_end=failed_at + 30 * DAY,
        status="open",
    )
    body, header = signed(event("invoice.payment_failed", obj, created=failed_at))
    stripe_event_receive(payload=body, signature=header)
    on_trial.refresh_from_db()
    assert on_trial.status == SubscriptionStatus.PAST_DUE
    return on_trial


def pay(created: int) -> StripeEvent:
    obj = invoice(
        customer="cus_grace",
        subscription="sub_grace",
        period_start=created,
        period_end=created + 30 * DAY,
        status="paid",
    )
    body, header = signed(event("invoice.paid", obj, created=created))
    return stripe_event_receive(payload=body, signature=header)


def organization() -> Organization:
    return Organization.objects.get(slug="alpha")


def test_an_organization_past_the_grace_period_is_suspended_and_refused(
    past_due: Subscription, alpha: Tenant
) -> None:
    suspended = billing_grace_enforce(now=timezone.now())

    assert [o.slug for o in suspended] == ["alpha"]
    alpha_now = organization()
    assert alpha_now.state == OrganizationState.SUSPENDED
    assert "Billing: the payment that failed on" in alpha_now.state_reason
    assert "within 7 days" in alpha_now.state_reason
    past_due.refresh_from_db()
    assert past_due.suspended_for_billing_at == alpha_now.state_changed_at
    # The routing cache saw the change: alpha's pages are refused at once.
    page = alpha.client(alpha.owner).get("/")
    assert page.status_code == 403
    assert b"Billing: the payment" in page.content
    with schema_context("alpha"):
        assert AuditEvent.objects.filter(action="billing.suspend").count() == 1
    # Running it again changes nothing.
    assert billing_grace_enforce(now=timezone.now()) == []


def test_within_the_grace_period_nothing_happens(past_due: Subscription) -> None:
    assert billing_grace_enforce(now=timezone.now() - timedelta(days=2)) == []
    assert organization().state == OrganizationState.ACTIVE


def test_a_payment_reactivates_an_organization_billing_suspended(
    past_due: Subscription, in_alpha: Tenant
) -> None:
    billing_grace_enforce(now=timezone.now())

    stored = pay(int(time.time()))

    assert "reactivated" in stored.outcome_detail
    alpha_now = organization()
    assert (alpha_now.state, alpha_now.state_reason) == (OrganizationState.ACTIVE, "")
    past_due.refresh_from_db()
    assert past_due.suspended_for_billing_at is None
    assert past_due.status == "active"
    assert in_alpha.client(in_alpha.owner).get("/").status_code == 200
    assert AuditEvent.objects.filter(action="billing.reactivate").count() == 1


def test_an_older_payment_arriving_late_does_not_reactivate(past_due: Subscription) -> None:
    billing_grace_enforce(now=timezone.now())

    pay(int(time.time()) - 9 * DAY)  # the previous month's invoice, delivered late

    assert organization().state == OrganizationState.SUSPENDED
    past_due.refresh_from_db()
    assert past_due.status == SubscriptionStatus.PAST_DUE


def test_a_payment_never_lifts_an_operators_suspension(past_due: Subscription) -> None:
    alpha_now = organization()
    alpha_now.state = OrganizationState.SUSPENDED
    alpha_now.state_reason = "Terms of service: spam"
    alpha_now.state_changed_at = timezone.now()
    alpha_now.save()

    assert billing_grace_enforce(now=timezone.now()) == []
    pay(int(time.time()))

    alpha_now.refresh_from_db()
    assert (alpha_now.state, alpha_now.state_reason) == ("suspended", "Terms of service: spam")


def test_an_operator_resuspending_after_billing_keeps_the_tenant_suspended(
    past_due: Subscription,
) -> None:
    billing_grace_enforce(now=timezone.now())
    alpha_now = organization()
    alpha_now.state_reason = "Fraud review"
    alpha_now.state_changed_at = timezone.now()
    alpha_now.save()

    pay(int(time.time()))

    alpha_now.refresh_from_db()
    assert (alpha_now.state, alpha_now.state_reason) == ("suspended", "Fraud review")


def test_the_daily_task_runs_the_grace_check(past_due: Subscription, alpha: Tenant) -> None:
    from shared_apps.billing.tasks import billing_grace_enforce as billing_grace_task

    assert billing_grace_task.delay().get() == [alpha.organization.pk]
    schedule = django_settings.CELERY_BEAT_SCHEDULE["billing-grace"]
    assert schedule["task"] == "shared_apps.billing.tasks.billing_grace_enforce"

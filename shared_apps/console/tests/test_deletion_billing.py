"""Deleting a subscribed tenant from the console cancels its subscription at Stripe (the local
stand-in, tests/fake_stripe.py) after the export and before the schema is dropped; Stripe
refusing deletes nothing; a subscription already cancelled counts as done; and Stripe's later
customer.subscription.deleted event for the organization that is gone is stored and answered
200."""

from __future__ import annotations

import time
from io import StringIO
from typing import TYPE_CHECKING, Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django_tenants.utils import schema_exists
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

import provisioning.services
from saas_platform.lib.connection import connection
from shared_apps.billing.models import Plan, StripeEvent, Subscription
from shared_apps.billing.tests.fake_stripe import FakeStripe, event, signed, subscription_object
from shared_apps.console.models import (
    DeletionState,
    OperatorAuditEvent,
    Outcome,
    TenantDeletion,
    TenantExport,
)
from shared_apps.console.tests.factories import OrganizationFactory
from shared_apps.tenants.models import Organization, OrganizationState
from tests.plugin import Tenant

if TYPE_CHECKING:
    from tests.helpers import TestResponse


pytestmark = pytest.mark.django_db

SECRET_KEY = "sk_test_0123456789"  # the fake_stripe fixture's


def _subscribed(organization: Organization, *, subscription_id: str = "") -> Subscription:
    subscription, _ = Subscription.objects.update_or_create(
        organization=organization,
        defaults={
            "plan": Plan.objects.get(code="standard"),
            "status": "active" if subscription_id else "trialing",
            "stripe_customer_id": f"cus_{organization.slug}" if subscription_id else "",
            "stripe_subscription_id": subscription_id,
        },
    )
    return subscription


def _delete(
    console: Client,
    slug: str,
    capture: DjangoCaptureOnCommitCallbacks,
    reason: str = "Charity closed",
) -> TestResponse:
    with capture(execute=True):  # the request commits: the (eager) task runs
        return console.post(
            f"/console/tenants/{slug}/delete/", {"reason": reason, "confirmation": slug}
        )


def _deletion_event() -> OperatorAuditEvent:
    return OperatorAuditEvent.objects.filter(action="delete").latest("pk")


def test_deleting_a_subscribed_tenant_cancels_at_stripe_before_the_schema_goes(
    alpha: Tenant,
    console: Client,
    fake_stripe: FakeStripe,
    stored_exports: None,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    # Given alpha paying through Stripe subscription sub_alpha
    organization = alpha.organization
    subscription = _subscribed(organization, subscription_id="sub_alpha")
    fake_stripe.subscriptions["sub_alpha"] = "active"
    path = "/v1/subscriptions/sub_alpha"
    at_drop: list[tuple[int, bool]] = []
    drop = provisioning.services.tenant_drop

    def drop_watched(**arguments: Any) -> None:
        at_drop.append((len(fake_stripe.calls(path)), schema_exists(organization.schema_name)))
        drop(**arguments)

    monkeypatch.setattr(provisioning.services, "tenant_drop", drop_watched)

    # When an operator deletes it
    response = _delete(console, "alpha", django_capture_on_commit_callbacks)

    # Then Stripe was asked to cancel it once, with the secret key, while the schema was there
    assert response.status_code == 302
    deletion = TenantDeletion.objects.get()
    assert deletion.state == DeletionState.DONE, deletion.error
    assert at_drop == [(1, True)]
    (cancel,) = fake_stripe.calls(path)
    assert cancel.method == "DELETE"
    assert cancel.headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert cancel.params == {"invoice_now": "false", "prorate": "false"}
    assert fake_stripe.subscriptions["sub_alpha"] == "canceled"
    assert [request.method for request in fake_stripe.requests] == ["DELETE"]
    # and the tenant is gone, the audit row saying what became of the subscription
    assert not schema_exists(organization.schema_name)
    assert not Organization.objects.filter(pk=organization.pk).exists()
    assert not Subscription.objects.filter(pk=subscription.pk).exists()
    deleted = _deletion_event()
    assert deleted.outcome == Outcome.SUCCEEDED
    assert deleted.detail["stripe_subscription_id"] == "sub_alpha"
    assert deleted.detail["stripe_cancellation"] == "canceled"
    assert deleted.detail["export_id"] == deletion.export_id
    connection.set_schema_to_public()
    audit = console.get("/console/audit/", {"tenant": "alpha"})
    assert b"Stripe subscription sub_alpha cancelled." in audit.content


def test_stripe_failing_deletes_nothing_and_a_retry_succeeds(
    alpha: Tenant,
    console: Client,
    fake_stripe: FakeStripe,
    stored_exports: None,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    organization = alpha.organization
    _subscribed(organization, subscription_id="sub_alpha")
    fake_stripe.subscriptions["sub_alpha"] = "active"
    fake_stripe.failures["/v1/subscriptions/sub_alpha"] = 500

    response = _delete(console, "alpha", django_capture_on_commit_callbacks)

    assert response.status_code == 302
    deletion = TenantDeletion.objects.get()
    assert deletion.state == DeletionState.FAILED
    assert "Stripe could not cancel subscription sub_alpha" in deletion.error
    assert "Fake Stripe answers 500 here." in deletion.error
    failed = _deletion_event()
    assert failed.outcome == Outcome.FAILED
    assert "Stripe could not cancel subscription sub_alpha" in failed.detail["error"]
    assert fake_stripe.calls("/v1/subscriptions/sub_alpha")  # it was asked
    assert fake_stripe.subscriptions["sub_alpha"] == "active"
    # whole: the schema, the row, its subscription and its state; the dump kept as an export
    assert schema_exists(organization.schema_name)
    connection.set_schema_to_public()
    organization.refresh_from_db()
    assert organization.state == OrganizationState.ACTIVE
    assert Subscription.objects.get(organization=organization).stripe_subscription_id == (
        "sub_alpha"
    )
    assert TenantExport.objects.get().pk == failed.detail["export_id"]
    assert alpha.client(alpha.owner).get("/").status_code == 200
    audit = console.get("/console/audit/", {"tenant": "alpha"})
    assert b"The last deletion of alpha failed" in audit.content
    assert b"Stripe could not cancel subscription sub_alpha" in audit.content

    # Stripe answers again: the deletion requested again goes through
    fake_stripe.failures.clear()
    _delete(console, "alpha", django_capture_on_commit_callbacks, reason="again")

    retried = TenantDeletion.objects.latest("pk")
    assert retried.state == DeletionState.DONE, retried.error
    assert fake_stripe.subscriptions["sub_alpha"] == "canceled"
    assert not schema_exists(organization.schema_name)
    assert not Organization.objects.filter(pk=organization.pk).exists()
    assert _deletion_event().detail["stripe_cancellation"] == "canceled"


def test_a_subscription_already_cancelled_at_stripe_counts_as_done(
    console: Client,
    fake_stripe: FakeStripe,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    """Stripe answers 404 resource_missing for a subscription cancelled before (here: not in
    the fake's `subscriptions`)."""
    organization = OrganizationFactory.create(slug="gamma")
    _subscribed(organization, subscription_id="sub_gone")

    _delete(console, "gamma", django_capture_on_commit_callbacks)

    assert TenantDeletion.objects.get().state == DeletionState.DONE
    assert [request.method for request in fake_stripe.calls("/v1/subscriptions/sub_gone")] == [
        "DELETE"
    ]
    assert not Organization.objects.filter(pk=organization.pk).exists()
    detail = _deletion_event().detail
    assert (detail["stripe_subscription_id"], detail["stripe_cancellation"]) == (
        "sub_gone",
        "already_canceled",
    )
    assert detail["billing"] == "Stripe subscription sub_gone was already cancelled at Stripe."


@pytest.mark.parametrize(
    ("stripe_configured", "subscription_id", "outcome", "note"),
    [
        pytest.param(
            False,
            "sub_gamma",
            "not_configured",
            "Stripe is not configured: subscription sub_gamma was not cancelled at Stripe.",
            id="stripe-not-configured",
        ),
        pytest.param(True, "", "none", "No Stripe subscription to cancel.", id="trial-only"),
        pytest.param(True, None, "none", "No Stripe subscription to cancel.", id="no-row"),
    ],
)
def test_nothing_is_asked_of_stripe_without_it_or_without_a_subscription(
    console: Client,
    fake_stripe: FakeStripe,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    stripe_configured: bool,
    subscription_id: str | None,
    outcome: str,
    note: str,
) -> None:
    organization = OrganizationFactory.create(slug="gamma")
    if subscription_id is not None:
        _subscribed(organization, subscription_id=subscription_id)
    if not stripe_configured:
        settings.STRIPE_SECRET_KEY = ""

    _delete(console, "gamma", django_capture_on_commit_callbacks)

    assert TenantDeletion.objects.get().state == DeletionState.DONE
    assert not Organization.objects.filter(pk=organization.pk).exists()
    assert fake_stripe.requests == []
    detail = _deletion_event().detail
    assert (detail["stripe_subscription_id"], detail["stripe_cancellation"]) == (
        subscription_id or "",
        outcome,
    )
    assert detail["billing"] == note


def test_a_drop_failing_after_the_cancellation_says_the_subscription_was_cancelled(
    console: Client,
    fake_stripe: FakeStripe,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    """Stripe is not transactional: the error tells the operator the tenant is no longer
    charged; the deletion requested again finds it cancelled and counts that as done."""
    organization = OrganizationFactory.create(slug="gamma")
    _subscribed(organization, subscription_id="sub_gamma")
    fake_stripe.subscriptions["sub_gamma"] = "active"
    drop = provisioning.services.tenant_drop

    def drop_failing(**arguments: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(provisioning.services, "tenant_drop", drop_failing)

    _delete(console, "gamma", django_capture_on_commit_callbacks)

    deletion = TenantDeletion.objects.get()
    assert deletion.state == DeletionState.FAILED
    assert deletion.error == (
        "disk full (Stripe subscription sub_gamma was cancelled before this failure: the "
        "tenant is no longer charged.)"
    )
    assert Organization.objects.filter(pk=organization.pk).exists()

    monkeypatch.setattr(provisioning.services, "tenant_drop", drop)
    _delete(console, "gamma", django_capture_on_commit_callbacks, reason="again")

    assert TenantDeletion.objects.latest("pk").state == DeletionState.DONE
    assert not Organization.objects.filter(pk=organization.pk).exists()
    assert _deletion_event().detail["stripe_cancellation"] == "already_canceled"


def test_stripes_later_event_for_the_deleted_organization_is_stored_and_answered_200(
    console: Client,
    fake_stripe: FakeStripe,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    organization = OrganizationFactory.create(slug="gamma")
    _subscribed(organization, subscription_id="sub_gamma")
    fake_stripe.subscriptions["sub_gamma"] = "active"
    _delete(console, "gamma", django_capture_on_commit_callbacks)
    assert not Organization.objects.filter(pk=organization.pk).exists()
    now = int(time.time())
    obj = subscription_object(
        subscription="sub_gamma", customer="cus_gamma", status="canceled", period_end=now
    )
    body, header = signed(event("customer.subscription.deleted", obj, created=now))

    response = Client(HTTP_HOST="localhost", enforce_csrf_checks=True).post(
        "/billing/webhook/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )

    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "ignored"
    stored = StripeEvent.objects.get(type="customer.subscription.deleted")
    assert (stored.customer_id, stored.subscription_id, stored.organization) == (
        "cus_gamma",
        "sub_gamma",
        None,
    )
    assert stored.outcome_detail == "No organization has this customer or subscription."


def test_the_delete_command_cancels_at_stripe_too(
    alpha: Tenant, fake_stripe: FakeStripe, stored_exports: None
) -> None:
    _subscribed(alpha.organization, subscription_id="sub_alpha")
    fake_stripe.subscriptions["sub_alpha"] = "active"
    fake_stripe.failures["/v1/subscriptions/sub_alpha"] = 500
    out = StringIO()

    with pytest.raises(CommandError, match="Not deleted: Stripe could not cancel"):
        call_command("delete_tenant", "alpha", "--yes", stdout=out)
    assert schema_exists(alpha.organization.schema_name)
    assert Organization.objects.filter(slug="alpha").exists()

    fake_stripe.failures.clear()
    call_command("delete_tenant", "alpha", "--yes", stdout=out)

    assert fake_stripe.subscriptions["sub_alpha"] == "canceled"
    assert "Stripe subscription sub_alpha cancelled." in out.getvalue()
    assert not schema_exists(alpha.organization.schema_name)
    assert not Organization.objects.filter(slug="alpha").exists()

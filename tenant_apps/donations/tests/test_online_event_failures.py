"""Connect events that cannot be applied: a permanent refusal (the plan's donor limit reached)
needs attention at once and is not retried; a transient one (Stripe not answering) is retried,
a bounded number of times, then needs attention too. Operators see them in the admin with their
reason and queue them again once the cause is dealt with; the owner is told on the dashboard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.billing.models import ConnectEvent, Plan
from shared_apps.billing.services.connect_events import (
    CONNECT_EVENT_MAX_ATTEMPTS,
    connect_event_receive,
)
from shared_apps.billing.tests.conftest import fake_stripe, fake_stripe_server  # noqa: F401
from shared_apps.billing.tests.fake_stripe import CONNECT_WEBHOOK_SECRET, FakeStripe, signed
from shared_apps.console.tests.factories import OperatorFactory
from shared_apps.tenants.models import Organization
from tenant_apps.donations.models import Gift
from tenant_apps.donations.services.online_events import connect_event_apply
from tenant_apps.donations.tasks import connect_events_retry
from tenant_apps.donations.tests.test_online_gifts import (  # noqa: F401 - fixtures
    Deliver,
    completed,
    connected,
    deliver,
    paid_on_checkout,
)
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

Online = tuple[FakeStripe, Deliver]


@pytest.fixture
def online(connected: FakeStripe, deliver: Deliver) -> Online:  # noqa: F811 - the fixtures
    return connected, deliver


def _full_plan(alpha: Tenant) -> None:
    """Alpha on a Starter plan of one donor, which it has."""
    Plan.objects.filter(code="starter").update(max_donors=1)
    Organization.objects.filter(pk=alpha.organization.pk).update(plan_code="starter")
    with schema_context("alpha"):
        donor_made("Grace", "Hopper")


def _aged(event: ConnectEvent) -> None:
    ConnectEvent.objects.filter(pk=event.pk).update(
        received_at=timezone.now() - timedelta(minutes=6)
    )


def _operator() -> Client:
    client = Client(HTTP_HOST="localhost")
    with schema_context("public"):  # the operators' session is the public host's
        client.force_login(OperatorFactory.create(is_superuser=True))
    return client


def test_a_donor_limit_needs_attention_and_is_not_retried(
    alpha: Tenant, online: Online, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    fake, post = online
    _full_plan(alpha)

    post(completed(paid_on_checkout(alpha, fake)))

    stored = ConnectEvent.objects.get()
    assert stored.outcome == "attention" and stored.attempts == 1
    assert "plan" in stored.outcome_detail.lower()
    with schema_context("alpha"):
        assert Gift.objects.count() == 0
    _aged(stored)
    assert connect_events_retry() == 0  # not retried every quarter hour
    # The owner is told on the dashboard.
    page = alpha.client(alpha.owner).get("/").content.decode()
    assert "1 online gift could not be recorded" in page

    # Operators see why, raise the plan, and queue it again.
    operator = _operator()
    listing = operator.get("/admin/billing/connectevent/?outcome__exact=attention")
    assert listing.status_code == 200 and stored.stripe_id in listing.content.decode()
    Plan.objects.filter(code="starter").update(max_donors=None)
    response = operator.post(
        "/admin/billing/connectevent/",
        {"action": "queue_again", "_selected_action": [str(stored.pk)]},
    )
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        assert connect_events_retry() == 1
    stored.refresh_from_db()
    assert stored.outcome == "processed"
    with schema_context("alpha"):
        assert Gift.objects.count() == 1
    assert "could not be recorded" not in alpha.client(alpha.owner).get("/").content.decode()


def test_an_event_stripe_sends_again_after_a_failure_is_applied_again_at_once(
    alpha: Tenant, online: Online
) -> None:
    """Stripe not answering for the fee fails the gift's event; Stripe's next delivery of the
    same event, once it answers, records the gift then, not at the quarter-hour retry."""
    fake, post = online
    session = paid_on_checkout(alpha, fake)
    read = f"/v1/payment_intents/{session['payment_intent']}"
    fake.failures[read] = 500
    delivered = completed(session)
    post(delivered)
    stored = ConnectEvent.objects.get()
    assert stored.outcome == "failed"
    del fake.failures[read]

    post(delivered)

    stored.refresh_from_db()
    assert stored.outcome == "processed" and stored.attempts == 1
    with schema_context("alpha"):
        assert Gift.objects.count() == 1


def test_a_transient_failure_is_retried_a_bounded_number_of_times(
    alpha: Tenant, online: Online
) -> None:
    fake, post = online
    session = paid_on_checkout(alpha, fake)
    fake.failures[f"/v1/payment_intents/{session['payment_intent']}"] = 500

    post(completed(session))

    stored = ConnectEvent.objects.get()
    assert stored.outcome == "failed" and stored.attempts == 1
    _aged(stored)
    assert connect_events_retry() == 1  # still waiting: retried (and failing again)
    stored.refresh_from_db()
    assert stored.outcome == "failed" and stored.attempts == 2
    with schema_context("alpha"):
        for _ in range(CONNECT_EVENT_MAX_ATTEMPTS - 3):
            assert connect_event_apply(event_id=stored.pk) == "failed"
        assert connect_event_apply(event_id=stored.pk) == "attention"
        assert Gift.objects.count() == 0
    stored.refresh_from_db()
    assert stored.attempts == CONNECT_EVENT_MAX_ATTEMPTS
    assert stored.outcome_detail.startswith(f"Gave up after {CONNECT_EVENT_MAX_ATTEMPTS}")
    assert "did not answer" in stored.outcome_detail
    assert connect_events_retry() == 0


def test_queue_again_leaves_other_events_alone(alpha: Tenant, online: Online) -> None:
    fake, post = online
    post(completed(paid_on_checkout(alpha, fake)))
    stored = ConnectEvent.objects.get()
    assert stored.outcome == "processed"

    _operator().post(
        "/admin/billing/connectevent/",
        {"action": "queue_again", "_selected_action": [str(stored.pk)]},
    )

    stored.refresh_from_db()
    assert stored.outcome == "processed"


def test_an_event_applied_in_another_organizations_schema_stops_and_books_nothing(
    alpha: Tenant,
    beta: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
) -> None:
    """The task carries its schema; one that finds itself in another organization's schema
    stops before reading or writing anything there."""
    session = paid_on_checkout(alpha, connected)
    body, header = signed(completed(session), secret=CONNECT_WEBHOOK_SECRET)
    stored = connect_event_receive(payload=body, signature=header)  # its task waits for commit

    with schema_context("beta"), pytest.raises(RuntimeError, match="ran in schema"):
        connect_event_apply(event_id=stored.pk)

    for schema in ("alpha", "beta"):
        with schema_context(schema):
            assert not Gift.objects.exists()
    assert ConnectEvent.objects.get(pk=stored.pk).outcome == stored.outcome

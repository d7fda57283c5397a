"""Stripe webhook events through the service: verified by real signatures, stored once by id,
and applied so that the subscription ends up the same whatever order they arrive in."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import transaction
from django_tenants.utils import schema_context
from pytest_django import Settings

from shared_apps.billing.limits import plan_of_current_tenant
from shared_apps.billing.models import (
    StripeEvent,
    StripeEventOutcome,
    Subscription,
)
from shared_apps.billing.services import events as webhook_events
from shared_apps.billing.services.events import WebhookRefused, stripe_event_receive
from shared_apps.billing.services.state import subscription_state_rebuild as state_rebuild
from shared_apps.billing.tests.fake_stripe import (
    FakeStripe,
    checkout_completed,
    event,
    invoice,
    signed,
    subscription_object,
)
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

DAY = 86400
T0 = int(time.time()) - 20 * DAY
CUSTOMER, SUBSCRIPTION = "cus_alpha0001", "sub_alpha0001"


def at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


@pytest.fixture
def subscribed(on_trial: Subscription, fake_stripe: FakeStripe) -> Subscription:
    """Alpha on trial, with the Stripe customer a checkout created."""
    on_trial.stripe_customer_id = CUSTOMER
    on_trial.save()
    return on_trial


def deliver(payload: dict[str, Any]) -> StripeEvent:
    body, header = signed(payload)
    return stripe_event_receive(payload=body, signature=header)


def paid(created: int, *, period_end: int | None = None, **ids: Any) -> dict[str, Any]:
    obj = invoice(
        customer=ids.get("customer", CUSTOMER),
        subscription=ids.get("subscription", SUBSCRIPTION),
        period_start=created,
        period_end=period_end or created + 30 * DAY,
        status="paid",
    )
    return event("invoice.paid", obj, created=created)


def failed(created: int) -> dict[str, Any]:
    obj = invoice(
        customer=CUSTOMER,
        subscription=SUBSCRIPTION,
        period_start=created,
        period_end=created + 30 * DAY,
        status="open",
    )
    return event("invoice.payment_failed", obj, created=created)


def updated(created: int, status: str, *, price: str = "price_standard_monthly") -> dict[str, Any]:
    obj = subscription_object(
        subscription=SUBSCRIPTION,
        customer=CUSTOMER,
        status=status,
        period_end=created + 30 * DAY,
        price=price,
    )
    return event("customer.subscription.updated", obj, created=created)


def deleted(created: int) -> dict[str, Any]:
    obj = subscription_object(
        subscription=SUBSCRIPTION, customer=CUSTOMER, status="canceled", period_end=created
    )
    return event("customer.subscription.deleted", obj, created=created)


def checkout(
    created: int, organization_id: int, *, plan: str = "standard", subscription: str = SUBSCRIPTION
) -> dict[str, Any]:
    obj = checkout_completed(
        organization_id=organization_id,
        customer=CUSTOMER,
        subscription=subscription,
        plan_code=plan,
    )
    return event("checkout.session.completed", obj, created=created)


def state() -> tuple[Any, ...]:
    subscription = Subscription.objects.select_related("organization").get(
        organization__slug="alpha"
    )
    return (
        subscription.status,
        subscription.past_due_since,
        subscription.current_period_end,
        subscription.plan.code,
        subscription.stripe_subscription_id,
        subscription.organization.plan_code,
    )


def outcome_of(order: list[dict[str, Any]]) -> tuple[Any, ...]:
    """The state after delivering `order`, undone afterwards."""
    with transaction.atomic():
        for payload in order:
            deliver(payload)
        result = state()
        transaction.set_rollback(True)
    return result


def the_same_in_every_order(payloads: list[dict[str, Any]]) -> tuple[Any, ...]:
    outcomes = [(order, outcome_of(list(order))) for order in itertools.permutations(payloads)]
    first = outcomes[0][1]
    for order, outcome in outcomes:
        assert outcome == first, ([p["type"] for p in order], outcome, first)
    return first


# --- Orders -----------------------------------------------------------------------------------


def test_a_subscription_starts_whatever_order_its_first_events_arrive_in(
    subscribed: Subscription, alpha: Tenant
) -> None:
    organization_id = alpha.organization.pk
    result = the_same_in_every_order(
        [
            checkout(T0, organization_id, plan="plus"),
            paid(T0, period_end=T0 + 30 * DAY),
            updated(T0 + 1, "active", price="price_plus_monthly"),
        ]
    )

    assert result == ("active", None, at(T0 + 1 + 30 * DAY), "plus", SUBSCRIPTION, "plus")


def test_a_paid_invoice_is_not_undone_by_an_older_failure_arriving_after_it(
    subscribed: Subscription,
) -> None:
    assert outcome_of([paid(T0 + DAY), failed(T0)])[:2] == ("active", None)
    assert outcome_of([failed(T0), paid(T0 + DAY)])[:2] == ("active", None)


def test_a_late_event_that_changes_nothing_leaves_the_row_untouched(
    subscribed: Subscription,
) -> None:
    deliver(paid(T0 + DAY))
    updated_at = Subscription.objects.get(pk=subscribed.pk).updated_at

    late = deliver(failed(T0))

    assert late.outcome == StripeEventOutcome.PROCESSED
    assert late.outcome_detail == "no change"
    assert Subscription.objects.get(pk=subscribed.pk).updated_at == updated_at


def test_a_failure_is_not_undone_by_an_older_payment_arriving_after_it(
    subscribed: Subscription,
) -> None:
    assert outcome_of([failed(T0 + DAY), paid(T0)])[:2] == ("past_due", at(T0 + DAY))
    assert outcome_of([paid(T0), failed(T0 + DAY)])[:2] == ("past_due", at(T0 + DAY))


def test_a_deleted_subscription_is_not_revived_by_an_older_update(subscribed: Subscription) -> None:
    assert outcome_of([deleted(T0 + DAY), updated(T0, "active")])[0] == "canceled"
    assert outcome_of([updated(T0, "active"), deleted(T0 + DAY)])[0] == "canceled"
    assert outcome_of([deleted(T0 + DAY), paid(T0)])[0] == "canceled"


def test_a_cancelled_paid_subscription_falls_back_to_the_free_plan_in_any_order(
    subscribed: Subscription, alpha: Tenant
) -> None:
    result = the_same_in_every_order(
        [checkout(T0, alpha.organization.pk, plan="plus"), paid(T0), deleted(T0 + 5 * DAY)]
    )

    assert result[0] == "canceled"
    assert result[3:] == ("starter", SUBSCRIPTION, "starter")
    for payload in [checkout(T0, alpha.organization.pk, plan="plus"), deleted(T0 + 5 * DAY)]:
        deliver(payload)
    with schema_context(alpha.organization.schema_name):
        plan = plan_of_current_tenant()
    assert plan is not None
    assert plan.code == "starter"  # its limits are the ones that bite
    alpha.organization.refresh_from_db()
    assert alpha.organization.state == "active"  # nothing suspended, nothing lost
    assert deliver(deleted(T0 + 5 * DAY)).outcome  # a replay changes nothing
    assert state()[3:] == ("starter", SUBSCRIPTION, "starter")


def test_subscribing_again_after_a_cancellation_follows_the_new_subscription(
    subscribed: Subscription, alpha: Tenant
) -> None:
    organization_id = alpha.organization.pk
    result = the_same_in_every_order(
        [
            checkout(T0, organization_id),
            deleted(T0 + 5 * DAY),
            checkout(T0 + 6 * DAY, organization_id, plan="plus", subscription="sub_again"),
            paid(T0 + 6 * DAY, subscription="sub_again"),
        ]
    )
    assert result[0] == "active"
    assert result[3:] == ("plus", "sub_again", "plus")


def test_an_update_to_past_due_and_back_settles_on_the_newest(subscribed: Subscription) -> None:
    result = the_same_in_every_order(
        [updated(T0, "active"), updated(T0 + DAY, "past_due"), updated(T0 + 2 * DAY, "active")]
    )
    assert result[:2] == ("active", None)
    result = the_same_in_every_order(
        [updated(T0, "active"), updated(T0 + 2 * DAY, "past_due"), updated(T0 + DAY, "active")]
    )
    assert result[:2] == ("past_due", at(T0 + 2 * DAY))


def test_failed_retries_keep_the_first_failure_as_the_start_of_the_grace_period(
    subscribed: Subscription,
) -> None:
    result = the_same_in_every_order(
        [failed(T0), failed(T0 + 3 * DAY), updated(T0 + 3 * DAY, "past_due")]
    )
    assert result[:2] == ("past_due", at(T0))

    result = the_same_in_every_order([failed(T0), failed(T0 + 3 * DAY), paid(T0 + 5 * DAY)])
    assert result[:2] == ("active", None)


def test_events_of_the_same_second_settle_the_same_way_in_either_order(
    subscribed: Subscription,
) -> None:
    assert the_same_in_every_order([failed(T0), paid(T0)])[:2] == ("active", None)
    assert the_same_in_every_order([updated(T0, "active"), deleted(T0)])[0] == "canceled"


def test_a_checkout_arriving_last_links_events_that_came_before_it(
    on_trial: Subscription, alpha: Tenant, fake_stripe: FakeStripe
) -> None:
    """No customer id stored yet (the checkout's answer was lost): the subscription's events
    are kept, then the checkout names the organization and they are applied."""
    first = deliver(updated(T0 + 1, "active"))
    assert first.outcome == StripeEventOutcome.IGNORED
    assert first.organization_id is None

    deliver(checkout(T0, alpha.organization.pk))

    assert state()[:2] == ("active", None)
    first.refresh_from_db()
    assert (first.outcome, first.organization_id) == ("processed", alpha.organization.pk)
    subscription = Subscription.objects.get(pk=on_trial.pk)
    assert subscription.stripe_customer_id == CUSTOMER
    assert subscription.current_period_end == at(T0 + 1 + 30 * DAY)


def test_a_plan_change_in_the_portal_changes_the_plan_the_tenant_reads(
    subscribed: Subscription, alpha: Tenant
) -> None:
    deliver(updated(T0, "active"))
    deliver(updated(T0 + DAY, "active", price="price_plus_monthly"))
    deliver(updated(T0 + DAY // 2, "active"))  # an older one, late: changes nothing

    assert state()[3:] == ("plus", SUBSCRIPTION, "plus")


# --- Once by id -------------------------------------------------------------------------------


def test_a_replayed_event_returns_the_stored_one_and_changes_nothing(
    subscribed: Subscription,
) -> None:
    failure = failed(T0)
    first = deliver(failure)
    deliver(paid(T0 + DAY))
    before = state()
    updated_at = Subscription.objects.get(pk=subscribed.pk).updated_at

    again = deliver(failure)

    assert again.pk == first.pk
    assert again.outcome == StripeEventOutcome.PROCESSED
    assert StripeEvent.objects.filter(stripe_id=failure["id"]).count() == 1
    assert state() == before
    assert before[0] == "active"
    assert Subscription.objects.get(pk=subscribed.pk).updated_at == updated_at


def test_an_event_is_stored_with_its_payload_type_and_times(subscribed: Subscription) -> None:
    payload = failed(T0)

    stored = deliver(payload)

    stored.refresh_from_db()
    assert stored.stripe_id == payload["id"]
    assert stored.type == "invoice.payment_failed"
    assert stored.payload == payload
    assert stored.created == at(T0)
    assert stored.customer_id == CUSTOMER
    assert stored.subscription_id == SUBSCRIPTION
    assert stored.organization is not None
    assert stored.organization.slug == "alpha"
    assert stored.received_at is not None
    assert stored.processed_at is not None
    assert "status: trialing -> past_due" in stored.outcome_detail


def test_events_billing_does_not_act_on_are_stored_and_ignored(subscribed: Subscription) -> None:
    other = deliver(event("customer.created", {"id": CUSTOMER, "object": "customer"}, created=T0))
    stranger = deliver(
        event(
            "invoice.paid",
            invoice(
                customer="cus_unknown",
                subscription="sub_x",
                period_start=T0,
                period_end=T0,
                status="paid",
            ),
            created=T0,
        )
    )

    assert other.outcome == stranger.outcome == StripeEventOutcome.IGNORED
    assert StripeEvent.objects.count() == 2
    assert state()[0] == "trialing"


def test_a_failed_processing_is_kept_and_retried_by_the_next_delivery(
    subscribed: Subscription, monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = paid(T0)
    real = state_rebuild

    def broken(**kwargs: Any) -> str:
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(webhook_events, "subscription_state_rebuild", broken)
    first = deliver(payload)
    assert first.outcome == StripeEventOutcome.FAILED
    assert "database hiccup" in first.outcome_detail
    assert state()[0] == "trialing"

    monkeypatch.setattr(webhook_events, "subscription_state_rebuild", real)
    again = deliver(payload)

    assert again.pk == first.pk
    assert again.outcome == StripeEventOutcome.PROCESSED
    assert state()[0] == "active"


def test_failed_events_are_retried_by_the_daily_task(
    subscribed: Subscription, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared_apps.billing.tasks import billing_grace_enforce

    real = state_rebuild
    monkeypatch.setattr(webhook_events, "subscription_state_rebuild", lambda **kwargs: 1 / 0)
    deliver(paid(T0))
    monkeypatch.setattr(webhook_events, "subscription_state_rebuild", real)

    billing_grace_enforce.delay()

    assert StripeEvent.objects.get().outcome == StripeEventOutcome.PROCESSED
    assert state()[0] == "active"


# --- Refused deliveries -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda body, header: (body, header.replace("v1=", "v1=0")), id="bad-hmac"),
        pytest.param(lambda body, header: (body.replace(b"paid", b"void"), header), id="tampered"),
        pytest.param(lambda body, header: (body, signed(body, secret="whsec_other")[1]), id="key"),
        pytest.param(lambda body, header: (body, ""), id="no-header"),
        pytest.param(lambda body, header: (body, "t=abc,v1=def"), id="bad-header"),
        pytest.param(
            lambda body, header: (body, signed(body, timestamp=int(time.time()) - 3600)[1]),
            id="too-old",
        ),
    ],
)
def test_a_forged_delivery_is_refused_and_stores_nothing(
    subscribed: Subscription, forge: Callable[[bytes, str], tuple[bytes, str]]
) -> None:
    body, header = forge(*signed(paid(T0)))

    with pytest.raises(WebhookRefused):
        stripe_event_receive(payload=body, signature=header)

    assert StripeEvent.objects.count() == 0
    assert state()[0] == "trialing"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"id": "evt_1", "type": "invoice.paid"}',
        json.dumps({"id": 5, "type": "x", "created": 1, "data": {"object": {}}}).encode(),
        json.dumps(
            {"id": "evt_" + "x" * 300, "type": "x", "created": 1, "data": {"object": {}}}
        ).encode(),
        json.dumps(
            {
                "id": "evt_1",
                "object": "event",
                "type": "x",
                "created": 1,
                "data": {"object": {"name": "\u0000"}},
            }
        ).encode(),
        b'{"id": "evt_2", "object": "event", "type": "x", "created": 1, "data": {"object": '
        + b'{"a": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}}}",
    ],
)
def test_a_signed_payload_that_is_not_an_event_is_refused(
    subscribed: Subscription, body: bytes
) -> None:
    with pytest.raises(WebhookRefused):
        stripe_event_receive(payload=body, signature=signed(body)[1])
    assert StripeEvent.objects.count() == 0


def test_without_a_webhook_secret_every_delivery_is_refused(
    subscribed: Subscription, settings: Settings
) -> None:
    settings.STRIPE_WEBHOOK_SECRET = ""
    with pytest.raises(WebhookRefused, match="not configured"):
        deliver(paid(T0))
    assert StripeEvent.objects.count() == 0


def test_a_payload_holding_the_text_of_a_nul_escape_but_no_nul_is_stored(
    subscribed: Subscription,
) -> None:
    body = json.dumps(
        {
            "id": "evt_text_of_nul",
            "object": "event",
            "type": "customer.created",
            "created": 1,
            "data": {"object": {"name": "backslash-u: \\u0000"}},
        }
    ).encode()
    assert b"\\u0000" in body

    stripe_event_receive(payload=body, signature=signed(body)[1])

    stored = StripeEvent.objects.get(stripe_id="evt_text_of_nul")
    assert stored.payload["data"]["object"]["name"] == "backslash-u: \\u0000"

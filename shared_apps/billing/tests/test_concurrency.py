"""Stripe delivering one event twice at the same moment: with real commits and two
connections, it is stored and applied once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connections

from shared_apps.billing.models import Plan, StripeEvent, Subscription
from shared_apps.billing.services.events import stripe_event_receive
from shared_apps.billing.services.subscriptions import subscription_trial_start
from shared_apps.billing.tests.fake_stripe import FakeStripe, event, invoice, signed
from shared_apps.tenants.models import Organization


def in_own_connection(work: Callable[[], Any]) -> Any:
    """Run `work` in a thread of its own, so on a connection of its own that commits: the
    test's connection is inside the test's transaction, which the others cannot see."""
    result: list[Any] = []

    def run() -> None:
        try:
            result.append(work())
        except Exception as error:  # noqa: BLE001 - raised again below
            result.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    if isinstance(result[0], Exception):
        raise result[0]
    return result[0]


@pytest.fixture
def racing_customer(committed_tenant: Organization) -> Iterator[Organization]:
    def setup() -> None:
        subscription_trial_start(
            organization=committed_tenant, plan=Plan.objects.get(code="standard")
        )
        Subscription.objects.filter(organization=committed_tenant).update(
            stripe_customer_id="cus_race"
        )

    def teardown() -> None:
        StripeEvent.objects.filter(customer_id="cus_race").delete()
        Subscription.objects.filter(organization=committed_tenant).delete()

    in_own_connection(setup)
    yield committed_tenant
    in_own_connection(teardown)


def test_two_simultaneous_deliveries_of_one_event_store_it_once(
    racing_customer: Organization, fake_stripe: FakeStripe, db: None
) -> None:
    now = int(time.time())
    obj = invoice(
        customer="cus_race",
        subscription="sub_race",
        period_start=now,
        period_end=now + 30 * 86400,
        status="paid",
    )
    body, header = signed(event("invoice.paid", obj, created=now))
    results: list[Any] = []
    start = threading.Barrier(2)

    def deliver() -> None:
        try:
            start.wait()
            results.append(stripe_event_receive(payload=body, signature=header))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            results.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert all(isinstance(result, StripeEvent) for result in results), results
    assert len({result.pk for result in results}) == 1
    assert StripeEvent.objects.filter(customer_id="cus_race").count() == 1
    assert Subscription.objects.get(organization=racing_customer).status == "active"

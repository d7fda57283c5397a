"""Billing in the operators' admin: Stripe events (billing's and online giving's Connect
events) can be read, never written; tenant staff never reach them."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from shared_apps.billing.models import ConnectEvent, StripeEvent
from shared_apps.billing.services.connect_events import connect_event_receive
from shared_apps.billing.services.events import stripe_event_receive
from shared_apps.billing.tests.fake_stripe import (
    CONNECT_WEBHOOK_SECRET,
    FakeStripe,
    event,
    signed,
)
from shared_apps.console.tests.factories import OperatorFactory
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(db: None) -> Client:
    operator = OperatorFactory.create(is_superuser=True)
    client = Client(HTTP_HOST="localhost")
    client.force_login(operator)
    return client


@pytest.fixture
def stored(fake_stripe: FakeStripe) -> StripeEvent:
    body, header = signed(
        event(
            "customer.created", {"id": "cus_admin", "object": "customer"}, created=int(time.time())
        )
    )
    return stripe_event_receive(payload=body, signature=header)


def test_operators_read_stripe_events_and_cannot_change_them(
    operator_client: Client, stored: StripeEvent
) -> None:
    listing = operator_client.get("/admin/billing/stripeevent/")
    page = operator_client.get(f"/admin/billing/stripeevent/{stored.pk}/change/")

    assert listing.status_code == 200
    assert stored.stripe_id.encode() in listing.content
    assert page.status_code == 200
    assert b"cus_admin" in page.content
    assert b'name="type"' not in page.content
    assert operator_client.get("/admin/billing/stripeevent/add/").status_code == 403
    assert (
        operator_client.post(f"/admin/billing/stripeevent/{stored.pk}/delete/").status_code == 403
    )
    assert StripeEvent.objects.filter(pk=stored.pk).exists()
    assert operator_client.get("/admin/billing/subscription/").status_code == 200
    assert operator_client.get("/admin/billing/plan/").status_code == 200


def test_tenant_staff_never_see_billing_events(alpha: Tenant, stored: StripeEvent) -> None:
    assert alpha.client(alpha.owner).get("/admin/billing/stripeevent/").status_code == 404
    public = Client(HTTP_HOST="localhost")
    response = public.get("/admin/billing/stripeevent/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_operators_read_connect_events_and_cannot_change_them(
    operator_client: Client, fake_stripe: FakeStripe
) -> None:
    body, header = signed(
        event(
            "checkout.session.completed",
            {"id": "cs_admin", "object": "checkout.session"},
            created=int(time.time()),
            account="acct_1TestNobodysAdmin",
        ),
        secret=CONNECT_WEBHOOK_SECRET,
    )
    stored = connect_event_receive(payload=body, signature=header)

    listing = operator_client.get("/admin/billing/connectevent/")
    page = operator_client.get(f"/admin/billing/connectevent/{stored.pk}/change/")

    assert listing.status_code == 200
    assert b"acct_1TestNobodysAdmin" in listing.content
    assert page.status_code == 200 and b"cs_admin" in page.content
    assert operator_client.get("/admin/billing/connectevent/add/").status_code == 403
    assert (
        operator_client.post(f"/admin/billing/connectevent/{stored.pk}/delete/").status_code == 403
    )
    assert ConnectEvent.objects.filter(pk=stored.pk).exists()

"""The webhook endpoint on the public host: POST only, no CSRF token, 400 with nothing stored
for anything that is not a verified event, 200 on success and on a replay, never a 500."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from shared_apps.billing.models import StripeEvent, Subscription
from shared_apps.billing.tests.fake_stripe import FakeStripe, event, invoice, signed
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

URL = "/billing/webhook/"


@pytest.fixture
def stripe_client_host(fake_stripe: FakeStripe, on_trial: Subscription) -> Client:
    Subscription.objects.filter(pk=on_trial.pk).update(stripe_customer_id="cus_hook")
    # Stripe sends no CSRF token: the view must not need one.
    return Client(HTTP_HOST="localhost", enforce_csrf_checks=True)


def _paid() -> dict[str, Any]:
    now = int(time.time())
    obj = invoice(
        customer="cus_hook",
        subscription="sub_hook",
        period_start=now,
        period_end=now + 30 * 86400,
        status="paid",
    )
    return event("invoice.paid", obj, created=now)


def post(client: Client, body: bytes, header: str | None) -> Any:
    extra: dict[str, Any] = {"HTTP_STRIPE_SIGNATURE": header} if header is not None else {}
    return client.post(URL, data=body, content_type="application/json", **extra)


def test_a_signed_event_is_stored_processed_and_a_replay_is_a_200(
    stripe_client_host: Client,
) -> None:
    body, header = signed(_paid())

    first = post(stripe_client_host, body, header)
    again = post(stripe_client_host, body, header)

    assert first.status_code == again.status_code == 200
    assert first.json()["outcome"] == again.json()["outcome"] == "processed"
    assert StripeEvent.objects.count() == 1
    assert Subscription.objects.get(stripe_customer_id="cus_hook").status == "active"


@pytest.mark.parametrize(
    ("body", "header"),
    [
        pytest.param(None, "t=1,v1=00", id="forged"),
        pytest.param(None, None, id="no-signature"),
        pytest.param(b"", "", id="empty"),
        pytest.param(b"\x00\xff garbage", "t=1,v1=abc", id="garbage"),
        pytest.param(b"{}", None, id="signed-empty-object"),
        pytest.param(b"not json at all", None, id="signed-not-json"),
    ],
)
def test_anything_but_a_verified_event_is_a_400_and_stores_nothing(
    stripe_client_host: Client, body: bytes | None, header: str | None
) -> None:
    if body is None:
        body = signed(_paid())[0]
        sent_header = header
    else:
        sent_header = header if header is not None else signed(body)[1]

    response = post(stripe_client_host, body, sent_header)

    assert response.status_code == 400, response.content
    assert response.json()["error"]["message"]
    assert StripeEvent.objects.count() == 0
    assert Subscription.objects.get(stripe_customer_id="cus_hook").status == "trialing"


def test_only_post_is_accepted(stripe_client_host: Client) -> None:
    assert stripe_client_host.get(URL).status_code == 405
    assert stripe_client_host.put(URL, data=b"{}").status_code == 405


def test_the_webhook_is_not_served_on_a_tenant_host(alpha: Tenant, fake_stripe: FakeStripe) -> None:
    body, header = signed(_paid())
    response = Client(HTTP_HOST=alpha.host).post(
        URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 404
    assert StripeEvent.objects.count() == 0

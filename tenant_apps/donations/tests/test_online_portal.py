"""A donor manages a monthly gift through Stripe's customer portal from the signed link in
every receipt email: no login; the link opens a portal session on the organization's connected
account for the subscription's customer, and a link edited, expired or made for another
organization is refused with a page that says what to do."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.test import Client
from django_tenants.utils import schema_context

from shared_apps.billing.tests.conftest import fake_stripe, fake_stripe_server  # noqa: F401
from shared_apps.billing.tests.fake_stripe import FakeStripe
from tenant_apps.donations.models import RecurringGift, RecurringGiftState
from tenant_apps.donations.services.online_portal import MANAGE_LINK_DAYS
from tenant_apps.donations.services.receipt_settings import receipt_settings_update
from tenant_apps.donations.tests.test_online_gifts import (  # noqa: F401 - fixtures
    ACCOUNT,
    Deliver,
    connected,
    deliver,
)
from tenant_apps.donations.tests.test_online_monthly import at, started
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://alpha\.localhost(?::\d+)?(/give/manage/[^/\s]+/)")


def _receipts_set_up() -> None:
    with schema_context("alpha"):
        receipt_settings_update(
            legal_name="Alpha Relief Fund",
            ein="12-3456789",
            signatory_name="Grace Hopper",
            acting_user=None,
        )


def _monthly_gift_received(fake: FakeStripe, deliver: Deliver) -> tuple[str, str]:  # noqa: F811
    """A $25 monthly gift started and its first installment paid: the manage link's path from
    the receipt email, and the subscription's customer."""
    _receipts_set_up()
    mail.outbox.clear()
    session, first = started(fake)
    deliver(at("checkout.session.completed", session))
    deliver(at("invoice.paid", first))
    (receipt_email,) = [message for message in mail.outbox if message.to == ["ada@example.org"]]
    found = LINK.search(str(receipt_email.body))
    assert found, receipt_email.body
    assert "To change or cancel your monthly gift" in receipt_email.body
    return found.group(1), str(first["customer"])


def test_the_receipt_link_opens_the_portal_for_the_subscriptions_customer(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    deliver: Deliver,  # noqa: F811 - the fixture
) -> None:
    path, customer = _monthly_gift_received(connected, deliver)

    response = Client(HTTP_HOST=alpha.host).get(path)

    assert response.status_code == 303
    assert response["Location"].startswith("https://billing.stripe.com/p/session/")
    assert response["Referrer-Policy"] == "no-referrer"
    (portal,) = connected.calls("/v1/billing_portal/sessions")
    assert portal.headers["stripe-account"] == ACCOUNT
    assert portal.params["customer"] == customer
    assert portal.params["return_url"].endswith("alpha.localhost/give/")


def test_an_edited_link_or_another_organizations_host_is_refused(
    alpha: Tenant,
    beta: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    deliver: Deliver,  # noqa: F811 - the fixture
) -> None:
    path, _ = _monthly_gift_received(connected, deliver)
    edited = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]

    for host, address in ((alpha.host, edited), (beta.host, path)):
        response = Client(HTTP_HOST=host).get(address)
        assert response.status_code == 400
        assert "not valid here" in response.content.decode()
    assert connected.calls("/v1/billing_portal/sessions") == []


def test_an_expired_link_says_the_next_receipt_brings_a_new_one(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    deliver: Deliver,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started_at = time.time() - timedelta(days=MANAGE_LINK_DAYS + 1).total_seconds()
    monkeypatch.setattr(signing.time, "time", lambda: started_at)  # type: ignore[attr-defined]
    path, _ = _monthly_gift_received(connected, deliver)
    monkeypatch.undo()

    response = Client(HTTP_HOST=alpha.host).get(path)

    assert response.status_code == 410
    assert "has expired" in response.content.decode()
    assert connected.calls("/v1/billing_portal/sessions") == []


def test_a_cancelled_monthly_gift_brings_no_link_in_later_receipts(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    deliver: Deliver,  # noqa: F811 - the fixture
) -> None:
    _receipts_set_up()
    session, first = started(connected)
    deliver(at("checkout.session.completed", session))
    with schema_context("alpha"):
        RecurringGift.objects.update(state=RecurringGiftState.CANCELLED)
    mail.outbox.clear()

    deliver(at("invoice.paid", first))

    (receipt_email,) = [message for message in mail.outbox if message.to == ["ada@example.org"]]
    assert "/give/manage/" not in receipt_email.body

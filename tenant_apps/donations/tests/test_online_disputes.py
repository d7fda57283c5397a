"""Card disputes on online gifts through the Connect webhook: `charge.dispute.created` flags the
gift and moves the disputed amount out of Stripe clearing into 1320 (disputed online gifts) with
Stripe's dispute fee as an expense; `charge.dispute.closed` won gives it back, lost counts the
gift as refunded for the amount (revenue reversed, the receipt corrected). Whatever the order,
duplicates and replays, each is posted once, and Stripe clearing keeps matching what Stripe
holds. The real stripe library talks to the fake server; deliveries are signed."""

from __future__ import annotations

import itertools
import time
from decimal import Decimal
from typing import Any

import pytest
from django_tenants.utils import schema_context

from shared_apps.billing.models import ConnectEvent
from shared_apps.billing.tests.conftest import fake_stripe, fake_stripe_server  # noqa: F401
from shared_apps.billing.tests.fake_stripe import FakeStripe, event
from shared_apps.users.roles import Role
from tenant_apps.donations.models import (
    DisputeStatus,
    Gift,
    GiftDispute,
    GiftState,
)
from tenant_apps.donations.services.receipt_settings import receipt_settings_update
from tenant_apps.donations.tests.test_online_gifts import (  # noqa: F401 - fixtures
    ACCOUNT,
    Deliver,
    completed,
    connected,
    deliver,
    paid_on_checkout,
)
from tenant_apps.donations.tests.test_online_refunds import balance
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake(connected: FakeStripe) -> FakeStripe:  # noqa: F811 - the fixture
    """Alpha's Stripe account connected, on the fake Stripe server."""
    return connected


@pytest.fixture
def post(deliver: Deliver) -> Deliver:  # noqa: F811 - the fixture
    """The Connect webhook to post signed events to."""
    return deliver


def at(kind: str, dispute: dict[str, Any], *, created: int | None = None) -> dict[str, Any]:
    return event(kind, dispute, created=created or int(time.time()), account=ACCOUNT)


def online_gift(alpha: Tenant, fake: FakeStripe, post: Deliver) -> Gift:
    """A $50 gift by card (no fee covered): Stripe keeps $1.75, so clearing holds $48.25."""
    session = paid_on_checkout(alpha, fake, amount="50", cover_fees=False)
    post(completed(session))
    with schema_context("alpha"):
        return Gift.objects.get(payment_reference=session["payment_intent"])


def test_a_dispute_flags_the_gift_and_holds_the_money_out_of_clearing(
    alpha: Tenant, fake: FakeStripe, post: Deliver
) -> None:
    gift = online_gift(alpha, fake, post)

    post(at("charge.dispute.created", fake.dispute_open(gift.payment_reference)))

    with schema_context("alpha"):
        gift.refresh_from_db()
        assert gift.dispute_status == DisputeStatus.OPEN
        assert gift.state == GiftState.POSTED  # still revenue until the bank decides
        dispute = GiftDispute.objects.get()
        assert (dispute.amount, dispute.fee) == (Decimal("50.00"), Decimal("15.00"))
        # Stripe took $50 and its $15 fee: clearing is what Stripe still holds of the gift.
        assert balance("1060") == Decimal("48.25") - Decimal("65.00")
        assert balance("1320") == Decimal("50.00")
        assert balance("8550") == Decimal("1.75") + Decimal("15.00")
        assert balance("4010") == Decimal("-50.00")
    staff = alpha.client(alpha.user(Role.FUNDRAISER))
    page = staff.get(f"/gifts/{gift.pk}/").content.decode()
    assert "<dt>Card dispute</dt><dd><strong>Disputed</strong></dd>" in page
    assert "held by Stripe until the bank decides" in page
    listed = staff.get("/gifts/?dispute=open").content.decode()
    assert f'href="/gifts/{gift.pk}/"' in listed
    assert f'href="/gifts/{gift.pk}/"' not in staff.get("/gifts/?dispute=lost").content.decode()


def test_a_won_dispute_gives_the_money_and_fee_back(
    alpha: Tenant, fake: FakeStripe, post: Deliver
) -> None:
    gift = online_gift(alpha, fake, post)
    opened = fake.dispute_open(gift.payment_reference)
    post(at("charge.dispute.created", opened))

    post(at("charge.dispute.closed", fake.dispute_close(opened["id"], won=True)))

    with schema_context("alpha"):
        gift.refresh_from_db()
        assert gift.dispute_status == DisputeStatus.WON and gift.state == GiftState.POSTED
        assert balance("1060") == Decimal("48.25")
        assert balance("1320") == Decimal(0)
        assert balance("8550") == Decimal("1.75")
        assert balance("4010") == Decimal("-50.00")


def test_a_lost_dispute_counts_the_gift_as_refunded_and_corrects_the_receipt(
    alpha: Tenant, fake: FakeStripe, post: Deliver
) -> None:
    with schema_context("alpha"):
        receipt_settings_update(legal_name="Alpha Relief Fund", ein="12-3456789", acting_user=None)
    gift = online_gift(alpha, fake, post)
    opened = fake.dispute_open(gift.payment_reference, amount=2000)  # $20 of the $50
    post(at("charge.dispute.created", opened))

    post(at("charge.dispute.closed", fake.dispute_close(opened["id"], won=False)))

    with schema_context("alpha"):
        gift.refresh_from_db()
        assert gift.dispute_status == DisputeStatus.LOST
        assert gift.state == GiftState.POSTED  # $30 of it is still a contribution
        (refund,) = gift.refunds.all()
        assert refund.amount == Decimal("20.00") and refund.stripe_refund_id == opened["id"]
        assert balance("4010") == Decimal("-30.00")  # revenue reversed for what was lost
        assert balance("1320") == Decimal(0)
        assert balance("1060") == Decimal("48.25") - Decimal("20.00") - Decimal("15.00")
        # The receipt is corrected to what remains, as a partial refund's is.
        latest = gift.receipts.order_by("-version").first()
        assert latest is not None and latest.amount == Decimal("30.00")
    page = alpha.client(alpha.owner).get(f"/gifts/{gift.pk}/").content.decode()
    assert f"(dispute {opened['id']} lost)" in page


def test_a_whole_lost_dispute_refunds_the_gift(
    alpha: Tenant, fake: FakeStripe, post: Deliver
) -> None:
    gift = online_gift(alpha, fake, post)
    opened = fake.dispute_open(gift.payment_reference)
    lost = fake.dispute_close(opened["id"], won=False)

    post(at("charge.dispute.closed", lost))  # the closing arrives first

    with schema_context("alpha"):
        gift.refresh_from_db()
        assert gift.state == GiftState.REFUNDED and gift.dispute_status == DisputeStatus.LOST
        assert balance("4010") == Decimal(0) and balance("1320") == Decimal(0)
        assert balance("1060") == Decimal("48.25") - Decimal("65.00")


@pytest.mark.parametrize("won", [True, False])
@pytest.mark.parametrize(
    "order",
    [
        *itertools.permutations(("created", "closed", "created_again")),
        ("closed", "closed_again", "created"),
    ],
)
def test_any_order_and_duplicates_post_the_dispute_once(
    alpha: Tenant,
    fake: FakeStripe,
    post: Deliver,
    order: tuple[str, ...],
    won: bool,
) -> None:
    gift = online_gift(alpha, fake, post)
    opened = fake.dispute_open(gift.payment_reference)
    now = int(time.time())
    created = at("charge.dispute.created", opened, created=now)
    closed = at("charge.dispute.closed", fake.dispute_close(opened["id"], won=won), created=now + 5)
    events = {
        "created": created,
        "created_again": created,  # a redelivery
        "closed": closed,
        "closed_again": at("charge.dispute.closed", closed["data"]["object"], created=now + 6),
    }

    for name in order:
        assert post(events[name]).status_code == 200

    with schema_context("alpha"):
        gift.refresh_from_db()
        dispute = GiftDispute.objects.get()
        assert dispute.outcome == (DisputeStatus.WON if won else DisputeStatus.LOST)
        assert gift.dispute_status == dispute.outcome
        assert balance("1320") == Decimal(0)
        if won:
            assert balance("1060") == Decimal("48.25") and gift.refunds.count() == 0
        else:
            assert balance("1060") == Decimal("48.25") - Decimal("65.00")
            assert gift.state == GiftState.REFUNDED and gift.refunds.count() == 1
    assert set(ConnectEvent.objects.values_list("outcome", flat=True)) == {"processed"}


@pytest.mark.parametrize("won", [True, False])
def test_a_dispute_that_arrives_before_its_gift_is_posted_when_the_gift_is(
    alpha: Tenant, fake: FakeStripe, post: Deliver, won: bool
) -> None:
    session = paid_on_checkout(alpha, fake, amount="50", cover_fees=False)
    opened = fake.dispute_open(session["payment_intent"])
    now = int(time.time())
    # Stripe's deliveries out of order (the gift's own retried later): the dispute's two
    # events are stored and left alone, since no gift has the payment yet.
    post(at("charge.dispute.closed", fake.dispute_close(opened["id"], won=won), created=now + 5))
    post(at("charge.dispute.created", opened, created=now))
    with schema_context("alpha"):
        assert not GiftDispute.objects.exists()

    post(completed(session))

    with schema_context("alpha"):
        gift = Gift.objects.get(payment_reference=session["payment_intent"])
        dispute = GiftDispute.objects.get()
        assert dispute.gift_id == gift.pk
        assert dispute.outcome == (DisputeStatus.WON if won else DisputeStatus.LOST)
        assert balance("1320") == Decimal(0)
        if won:
            assert balance("1060") == Decimal("48.25") and gift.refunds.count() == 0
        else:
            assert balance("1060") == Decimal("48.25") - Decimal("65.00")
            assert gift.state == GiftState.REFUNDED and gift.refunds.count() == 1
    assert set(ConnectEvent.objects.values_list("outcome", flat=True)) == {"processed"}


def test_an_inquiry_or_an_unknown_charge_records_nothing(
    alpha: Tenant, fake: FakeStripe, post: Deliver
) -> None:
    gift = online_gift(alpha, fake, post)
    inquiry = {**fake.dispute_open(gift.payment_reference), "status": "warning_needs_response"}
    unknown = {**inquiry, "id": "du_1TestUnknown", "status": "needs_response",
               "payment_intent": "pi_3TestNotOurs"}  # fmt: skip

    post(at("charge.dispute.created", inquiry))
    post(at("charge.dispute.created", unknown))

    with schema_context("alpha"):
        assert GiftDispute.objects.count() == 0
        gift.refresh_from_db()
        assert gift.dispute_status == DisputeStatus.NONE
    assert set(
        ConnectEvent.objects.filter(type="charge.dispute.created").values_list("outcome", flat=True)
    ) == {"ignored"}

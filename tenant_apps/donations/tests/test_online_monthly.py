"""Monthly gifts through the Stripe Connect webhook: a donor starts a monthly gift on (fake)
Checkout in subscription mode; `checkout.session.completed` makes the monthly gift (a
RecurringGift linked to the subscription, no gift), each `invoice.paid` one posted gift with
Stripe's fee, and `customer.subscription.updated` / `.deleted` the monthly gift's state. Every
order of the events, replays, duplicates and two workers at once record one monthly gift and
one gift per invoice. The real stripe library talks to the fake server; deliveries are signed."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from saas_platform.lib.errors import StateConflict
from shared_apps.billing.models import ConnectEvent
from shared_apps.billing.tests.conftest import fake_stripe, fake_stripe_server  # noqa: F401
from shared_apps.billing.tests.fake_stripe import FakeStripe, event
from shared_apps.users.roles import Role
from tenant_apps.donations.models import (
    Gift,
    GiftMethod,
    GiftSource,
    GiftState,
    RecurringGift,
    RecurringGiftState,
)
from tenant_apps.donations.services.recurring import (
    recurring_gift_cancel,
    recurring_gift_create,
    recurring_gifts_run,
)
from tenant_apps.donations.tests.test_online_gifts import (  # noqa: F401 - fixtures
    ACCOUNT,
    Deliver,
    balance,
    connected,
    deliver,
)
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
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


def metadata(**extra: str) -> dict[str, str]:
    """A monthly checkout's metadata, as the giving pages set it (session and subscription)."""
    return {
        "ifm_organization_id": "1",
        "fund": "GEN",
        "donor_name": "Ada Lovelace",
        "donor_email": "ada@example.org",
        "amount_chosen": "25.00",
        "cover_fees": "no",
        "frequency": "monthly",
        "campaign": "",
        **extra,
    }


def at(kind: str, obj: dict[str, Any], *, created: int | None = None) -> dict[str, Any]:
    return event(kind, obj, created=created or int(time.time()), account=ACCOUNT)


def started(fake: FakeStripe, *, amount: int = 2500, **kw: Any) -> tuple[dict, dict]:
    """A donor starts a $25 monthly gift: the completed session and the first invoice, paid."""
    return fake.subscription_checkout_pay(
        account=ACCOUNT, amount=amount, metadata=kw.pop("metadata", metadata()), **kw
    )


def test_a_monthly_checkout_makes_the_monthly_gift_and_each_invoice_a_posted_gift(
    alpha: Tenant, fake: FakeStripe, post: Deliver
) -> None:
    session, first = started(fake)

    post(at("checkout.session.completed", session))

    # The monthly gift, linked to the subscription; no gift until an invoice is paid.
    with schema_context("alpha"):
        recurring = RecurringGift.objects.select_related("donor", "fund").get()
        assert recurring.stripe_subscription_id == session["subscription"]
        assert recurring.amount == Decimal("25.00") and recurring.method == GiftMethod.CARD
        assert recurring.state == RecurringGiftState.ACTIVE and recurring.fund.code == "GEN"
        assert recurring.donor.display_name == "Ada Lovelace"
        assert Gift.objects.count() == 0

    post(at("invoice.paid", first))
    second = fake.subscription_invoice_pay(session["subscription"])
    post(at("invoice.paid", second))

    with schema_context("alpha"):
        gifts = list(Gift.objects.order_by("id"))
        assert [gift.stripe_invoice_id for gift in gifts] == [first["id"], second["id"]]
        for gift in gifts:
            assert gift.amount == Decimal("25.00") and gift.state == GiftState.POSTED
            assert gift.recurring_gift_id == recurring.pk and gift.donor_id == recurring.donor_id
            assert gift.source == GiftSource.ONLINE and gift.method == GiftMethod.CARD
            assert gift.payment_reference.startswith("pi_")
        # Stripe's fee on each $25 charge, 2.9% + 30c = $1.03, from its balance transaction.
        assert balance("8550") == Decimal("2.06")
        assert balance("1060") == Decimal("47.94")
        assert balance("4010") == Decimal("-50.00")
        # The next charge is a month after the period the last invoice paid for began.
        recurring.refresh_from_db()
        assert recurring.next_on > gifts[-1].received_on
    (lookup,) = fake.calls("/v1/invoice_payments")[:1]
    assert lookup.headers["stripe-account"] == ACCOUNT
    assert set(ConnectEvent.objects.values_list("outcome", flat=True)) == {"processed"}


def test_the_staff_page_shows_a_monthly_gift_via_stripe_and_its_installments(
    alpha: Tenant, fake: FakeStripe, post: Deliver
) -> None:
    session, first = started(fake)
    post(at("checkout.session.completed", session))
    post(at("invoice.paid", first))
    with schema_context("alpha"):
        recurring = RecurringGift.objects.get()
        gift = Gift.objects.get()

    page = alpha.client(alpha.user(Role.FUNDRAISER)).get(f"/recurring/{recurring.pk}/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "Monthly via Stripe" in text
    assert f'href="/gifts/{gift.pk}/"' in text
    gift_page = alpha.client(alpha.owner).get(f"/gifts/{gift.pk}/").content.decode()
    assert "An installment of" in gift_page and first["id"] in gift_page
    # Changed at Stripe only: the page offers no edit, pause or cancel.
    assert f"/recurring/{recurring.pk}/cancel/" not in text
    assert f"/recurring/{recurring.pk}/edit/" not in text


EVENTS = ("completed", "invoice", "invoice_again", "updated")


@pytest.mark.parametrize("order", list(itertools.permutations(EVENTS)))
def test_any_order_records_one_monthly_gift_and_one_gift_per_invoice(
    alpha: Tenant, fake: FakeStripe, post: Deliver, order: tuple[str, ...]
) -> None:
    session, first = started(fake)
    now = int(time.time())
    invoice_paid = at("invoice.paid", first, created=now)
    events = {
        "completed": at("checkout.session.completed", session, created=now),
        "invoice": invoice_paid,
        "invoice_again": invoice_paid,  # a redelivery of the same event
        "updated": at(
            "customer.subscription.updated",
            fake.subscription_change(session["subscription"], amount=3000),
            created=now + 5,
        ),
    }

    for name in order:
        assert post(events[name]).status_code == 200

    with schema_context("alpha"):
        recurring = RecurringGift.objects.get()
        gift = Gift.objects.get()
        assert gift.stripe_invoice_id == first["id"] and gift.recurring_gift_id == recurring.pk
        assert gift.amount == Decimal("25.00")
        assert recurring.amount == Decimal("30.00")  # the change Stripe reported
        assert recurring.stripe_subscription_id == session["subscription"]
        assert Donor.objects.count() == 1
        assert balance("4010") == Decimal("-25.00")
    assert set(ConnectEvent.objects.values_list("outcome", flat=True)) == {"processed"}


def test_an_invoice_first_makes_the_monthly_gift_from_the_subscription_read_from_stripe(
    alpha: Tenant, fake: FakeStripe, post: Deliver
) -> None:
    session, first = started(fake, metadata=metadata(fund="GEN", donor_name="Ada King"))
    # An invoice whose copy of the subscription's metadata is empty: read from Stripe.
    first["parent"]["subscription_details"]["metadata"] = {}

    post(at("invoice.paid", first))

    with schema_context("alpha"):
        recurring = RecurringGift.objects.select_related("donor").get()
        assert recurring.donor.display_name == "Ada King"
        assert Gift.objects.get().recurring_gift_id == recurring.pk
    (read,) = fake.calls(f"/v1/subscriptions/{session['subscription']}")
    assert read.headers["stripe-account"] == ACCOUNT
    post(at("checkout.session.completed", session))
    with schema_context("alpha"):
        assert RecurringGift.objects.count() == 1 and Gift.objects.count() == 1


@pytest.mark.parametrize("deleted_first", [True, False])
def test_deleted_before_or_after_an_older_update_ends_cancelled(
    alpha: Tenant, fake: FakeStripe, post: Deliver, deleted_first: bool
) -> None:
    session, first = started(fake)
    post(at("checkout.session.completed", session))
    now = int(time.time())
    updated = at(
        "customer.subscription.updated",
        fake.subscription_change(session["subscription"], status="past_due"),
        created=now,
    )
    deleted = at(
        "customer.subscription.deleted",
        fake.subscription_change(session["subscription"], status="canceled"),
        created=now + 10,
    )

    for delivery in (deleted, updated) if deleted_first else (updated, deleted):
        post(delivery)

    with schema_context("alpha"):
        recurring = RecurringGift.objects.get()
        assert recurring.state == RecurringGiftState.CANCELLED
        assert recurring.stripe_status == "canceled"
    # A late paid invoice (the last one Stripe collected) is still the donor's gift.
    post(at("invoice.paid", first))
    with schema_context("alpha"):
        assert Gift.objects.get().recurring_gift_id == recurring.pk


def test_a_deleted_subscription_seen_first_is_recorded_cancelled(
    alpha: Tenant, fake: FakeStripe, post: Deliver
) -> None:
    session, _ = started(fake)
    post(
        at(
            "customer.subscription.deleted",
            fake.subscription_change(session["subscription"], status="canceled"),
        )
    )
    post(at("checkout.session.completed", session))

    with schema_context("alpha"):
        recurring = RecurringGift.objects.get()
        assert recurring.state == RecurringGiftState.CANCELLED


def test_past_due_and_cancel_at_period_end_show_on_the_monthly_gift(
    alpha: Tenant, fake: FakeStripe, post: Deliver
) -> None:
    session, _ = started(fake)
    post(at("checkout.session.completed", session))
    now = int(time.time())

    post(
        at(
            "customer.subscription.updated",
            fake.subscription_change(session["subscription"], status="past_due"),
            created=now,
        )
    )
    with schema_context("alpha"):
        recurring = RecurringGift.objects.get()
        assert recurring.state == RecurringGiftState.ACTIVE
        assert recurring.stripe_status == "past_due"
    page = alpha.client(alpha.owner).get(f"/recurring/{recurring.pk}/").content.decode()
    assert "Past due" in page

    post(
        at(
            "customer.subscription.updated",
            fake.subscription_change(
                session["subscription"], status="active", cancel_at_period_end=True
            ),
            created=now + 1,
        )
    )
    with schema_context("alpha"):
        recurring.refresh_from_db()
        assert recurring.cancel_at_period_end and recurring.end_on == recurring.next_on
        assert recurring.stripe_status == "active"
    page = alpha.client(alpha.owner).get(f"/recurring/{recurring.pk}/").content.decode()
    assert "Ends at the end of the period" in page


def test_an_older_update_arriving_late_changes_nothing(
    alpha: Tenant, fake: FakeStripe, post: Deliver
) -> None:
    session, _ = started(fake)
    post(at("checkout.session.completed", session))
    now = int(time.time())
    older = at(
        "customer.subscription.updated",
        fake.subscription_change(session["subscription"], amount=4000),
        created=now,
    )
    newer = at(
        "customer.subscription.updated",
        fake.subscription_change(session["subscription"], amount=5000),
        created=now + 60,
    )

    post(newer)
    post(older)

    with schema_context("alpha"):
        assert RecurringGift.objects.get().amount == Decimal("50.00")
    older_row = ConnectEvent.objects.get(stripe_id=older["id"])
    assert "older state" in older_row.outcome_detail


def test_a_bank_debit_monthly_gift_is_recorded_as_ach(
    alpha: Tenant, fake: FakeStripe, post: Deliver
) -> None:
    session, first = started(fake, method="us_bank_account")

    post(at("invoice.paid", first))
    post(at("checkout.session.completed", session))

    with schema_context("alpha"):
        assert RecurringGift.objects.get().method == GiftMethod.ACH
        assert Gift.objects.get().method == GiftMethod.ACH


def test_a_subscription_not_from_the_giving_pages_is_left_alone(
    alpha: Tenant, fake: FakeStripe, post: Deliver
) -> None:
    session, first = started(fake, metadata={"membership": "gold"})

    for delivery in (
        at("checkout.session.completed", session),
        at("invoice.paid", first),
        at(
            "customer.subscription.updated",
            fake.subscription_change(session["subscription"], amount=100),
        ),
    ):
        post(delivery)

    with schema_context("alpha"):
        assert RecurringGift.objects.count() == 0 and Gift.objects.count() == 0
    assert set(ConnectEvent.objects.values_list("outcome", flat=True)) == {"ignored"}


def test_the_schedule_makes_no_drafts_for_a_monthly_gift_via_stripe(
    alpha: Tenant, fake: FakeStripe, post: Deliver
) -> None:
    session, _ = started(fake)
    post(at("checkout.session.completed", session))
    with schema_context("alpha"):
        by_hand = recurring_gift_create(
            donor=donor_made("Grace", "Hopper"),
            amount="10",
            frequency="monthly",
            next_on=timezone.localdate(),
            method=GiftMethod.CHECK,
            acting_user=None,
        )

        result = recurring_gifts_run(today=timezone.localdate() + timedelta(days=70))

        assert {Gift.objects.get(pk=pk).recurring_gift_id for pk in result.created} == {by_hand.pk}
        assert not Gift.objects.filter(recurring_gift__stripe_subscription_id__gt="").exists()


def test_staff_cannot_change_a_monthly_gift_via_stripe_nor_make_a_card_one(
    alpha: Tenant, fake: FakeStripe, post: Deliver
) -> None:
    session, _ = started(fake)
    post(at("checkout.session.completed", session))
    with schema_context("alpha"):
        recurring = RecurringGift.objects.get()
        with pytest.raises(StateConflict, match="monthly gift through Stripe"):
            recurring_gift_cancel(recurring_gift=recurring, acting_user=None)
        with pytest.raises(Exception, match="monthly by card on the organization's giving page"):
            recurring_gift_create(
                donor=recurring.donor,
                amount="10",
                frequency="monthly",
                next_on=timezone.localdate(),
                method=GiftMethod.CARD,
                acting_user=None,
            )
        assert RecurringGift.objects.get().state == RecurringGiftState.ACTIVE


def test_an_unpaid_invoice_and_a_nothing_paid_invoice_record_nothing(
    alpha: Tenant, fake: FakeStripe, post: Deliver
) -> None:
    session, first = started(fake)
    free = {**first, "id": "in_1TestFree0001", "amount_paid": 0}

    post(at("invoice.paid", free))

    with schema_context("alpha"):
        assert Gift.objects.count() == 0
    assert ConnectEvent.objects.get().outcome == "ignored"
    _ = session


def test_a_subscription_paused_at_stripe_pauses_the_monthly_gift_and_resumes_it(
    alpha: Tenant, fake: FakeStripe, post: Deliver
) -> None:
    session, _ = started(fake)
    post(at("checkout.session.completed", session))
    now = int(time.time())

    post(
        at(
            "customer.subscription.updated",
            fake.subscription_change(
                session["subscription"], pause_collection={"behavior": "void", "resumes_at": None}
            ),
            created=now,
        )
    )
    with schema_context("alpha"):
        assert RecurringGift.objects.get().state == RecurringGiftState.PAUSED

    post(
        at(
            "customer.subscription.updated",
            fake.subscription_change(session["subscription"], pause_collection=None),
            created=now + 1,
        )
    )
    with schema_context("alpha"):
        recurring = RecurringGift.objects.get()
        assert recurring.state == RecurringGiftState.ACTIVE and recurring.stripe_status == "active"

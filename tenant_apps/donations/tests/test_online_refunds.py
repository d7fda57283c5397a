"""Refunds of online gifts: from the gift's page the donor's card is refunded at Stripe (on the
organization's connected account, once per refund asked for) before the books say so, whole or
in part; Stripe refusing or not answering, or the account disconnected, changes nothing. A
refund made in Stripe's dashboard reaches the gift through the Connect webhook's
`charge.refunded`, each refund once by its Stripe id, whichever of the page and the webhook
records it first. The real stripe library talks to the fake server."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client
from django_tenants.utils import schema_context

from shared_apps.billing.models import ConnectEvent
from shared_apps.billing.tests.conftest import fake_stripe, fake_stripe_server  # noqa: F401
from shared_apps.billing.tests.fake_stripe import FakeStripe, event
from shared_apps.tenants.models import Organization
from shared_apps.users.roles import Role
from tenant_apps.accounting.models import LEDGER_STATES, JournalLine
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.models import Gift, GiftRefund, GiftState, Receipt
from tenant_apps.donations.services.online_events import connect_event_apply
from tenant_apps.donations.services.online_refunds import refund_idempotency_key
from tenant_apps.donations.services.receipt_settings import receipt_settings_update
from tenant_apps.donations.services.receipts import receipt_correct_for_part_refund
from tenant_apps.donations.tests.test_online_gifts import (  # noqa: F401 - fixtures
    ACCOUNT,
    Deliver,
    completed,
    connected,
    deliver,
    paid_on_checkout,
)
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

KEY = "0123456789abcdef0123456789abcdef"
Online = tuple[FakeStripe, Deliver]


@pytest.fixture
def online(connected: FakeStripe, deliver: Deliver) -> Online:  # noqa: F811 - the fixtures
    """Alpha's Stripe account connected (the fake server), and the Connect webhook to post to."""
    return connected, deliver


def balance(code: str) -> Decimal:
    """The account's balance in the books (a reversed entry stays, offset by its reversal)."""
    totals = JournalLine.objects.filter(
        account__code=code, entry__state__in=LEDGER_STATES
    ).aggregate(debit=Sum("debit"), credit=Sum("credit"))
    return (totals["debit"] or Decimal(0)) - (totals["credit"] or Decimal(0))


def _online_gift(alpha: Tenant, fake: FakeStripe, post: Deliver, amount: str = "50") -> Gift:
    session = paid_on_checkout(alpha, fake, amount=amount, cover_fees=False)
    post(completed(session))
    with schema_context("alpha"):
        return Gift.objects.get(payment_reference=session["payment_intent"])


def _staff(alpha: Tenant) -> Client:
    return alpha.client(alpha.user(Role.BOOKKEEPER))


def _refund(client: Client, gift: Gift, *, amount: str = "", key: str = KEY) -> Any:
    return client.post(
        f"/gifts/{gift.pk}/refund/",
        {"amount": amount, "date": gift.received_on.isoformat(), "memo": "Asked", "key": key},
    )


def refunded(charge: dict[str, Any]) -> dict[str, Any]:
    return event("charge.refunded", charge, created=int(time.time()), account=ACCOUNT)


def test_a_staff_refund_is_made_at_stripe_then_recorded_once(
    alpha: Tenant,
    online: Online,
) -> None:
    fake, post = online
    gift = _online_gift(alpha, fake, post)
    client = _staff(alpha)
    page = client.get(f"/gifts/{gift.pk}/").content.decode()
    assert "refunded at Stripe first" in page and 'name="key"' in page

    response = _refund(client, gift)
    # The same form sent again (a second click): Stripe answers the first refund back.
    again = _refund(client, gift)

    assert response.status_code == 302
    assert again.status_code == 400  # the gift is refunded now: nothing more to refund
    (call,) = fake.calls("/v1/refunds")
    assert call.headers["stripe-account"] == ACCOUNT
    assert call.headers["idempotency-key"] == refund_idempotency_key(gift, KEY)
    assert (
        call.params["amount"] == "5000" and call.params["payment_intent"] == gift.payment_reference
    )
    (stripe_refund,) = fake.refunds_of(gift.payment_reference)
    with schema_context("alpha"):
        gift.refresh_from_db()
        assert gift.state == GiftState.REFUNDED
        (refund,) = GiftRefund.objects.filter(gift=gift)
        assert refund.stripe_refund_id == stripe_refund["id"]
        assert refund.amount == Decimal("50.00") and refund.journal_entry == gift.refund_entry
        assert balance("4010") == Decimal("0.00")
        # What Stripe kept of the charge is not returned: clearing owes it.
        assert balance("1060") == Decimal("-1.75")
        assert AuditEvent.objects.filter(action="gift.refund", object_id=str(gift.pk)).exists()
    page = client.get(f"/gifts/{gift.pk}/").content.decode()
    assert "$50.00 on" in page and stripe_refund["id"] in page


def test_a_retried_click_after_the_books_failed_refunds_once(
    alpha: Tenant,
    online: Online,
) -> None:
    """Stripe made the refund but the books did not record it (the request died): the same
    form sent again gets Stripe's first refund back and records it, once."""
    fake, post = online
    gift = _online_gift(alpha, fake, post)
    from shared_apps.billing.stripe_api import stripe_client

    stripe_client().v1.refunds.create(
        params={"payment_intent": gift.payment_reference, "amount": 2000,
                "metadata": {"ifm_gift_id": str(gift.pk)}},
        options={"stripe_account": ACCOUNT,
                 "idempotency_key": refund_idempotency_key(gift, KEY)},
    )  # fmt: skip

    response = _refund(_staff(alpha), gift, amount="20.00")

    assert response.status_code == 302
    assert len(fake.refunds_of(gift.payment_reference)) == 1
    with schema_context("alpha"):
        (refund,) = GiftRefund.objects.filter(gift=gift)
        assert refund.amount == Decimal("20.00")
        gift.refresh_from_db()
        assert gift.state == GiftState.POSTED  # $30.00 of it is still given


def test_partial_refunds_add_up_to_the_whole_gift(
    alpha: Tenant,
    online: Online,
) -> None:
    fake, post = online
    gift = _online_gift(alpha, fake, post)
    client = _staff(alpha)

    first = _refund(client, gift, amount="20.00", key="a" * 32)
    too_much = _refund(client, gift, amount="30.01", key="b" * 32)
    rest = _refund(client, gift, key="c" * 32)

    assert first.status_code == 302 and rest.status_code == 302
    assert too_much.status_code == 400 and "At most $30.00" in too_much.content.decode()
    assert [r["amount"] for r in fake.refunds_of(gift.payment_reference)] == [2000, 3000]
    with schema_context("alpha"):
        gift.refresh_from_db()
        assert gift.state == GiftState.REFUNDED
        amounts = list(GiftRefund.objects.filter(gift=gift).values_list("amount", flat=True))
        assert amounts == [Decimal("20.00"), Decimal("30.00")]
        assert balance("4010") == Decimal("0.00")


def test_a_gift_refunded_in_part_is_not_voided(alpha: Tenant, online: Online) -> None:
    fake, post = online
    gift = _online_gift(alpha, fake, post)
    client = _staff(alpha)
    assert "Void the gift" in client.get(f"/gifts/{gift.pk}/").content.decode()
    assert _refund(client, gift, amount="10.00").status_code == 302
    # The page no longer offers it; a void sent anyway is refused.
    assert "Void the gift" not in client.get(f"/gifts/{gift.pk}/").content.decode()

    response = client.post(f"/gifts/{gift.pk}/void/", {"reason": "Twice", "confirm": "on"})

    assert response.status_code == 400
    assert "refund what is left of it instead" in response.content.decode()
    with schema_context("alpha"):
        gift.refresh_from_db()
        assert gift.state == GiftState.POSTED


@pytest.mark.parametrize("status", [402, 500])
def test_stripe_refusing_or_down_changes_nothing(
    alpha: Tenant,
    online: Online,
    status: int,
) -> None:
    fake, post = online
    gift = _online_gift(alpha, fake, post)
    fake.failures["/v1/refunds"] = status

    response = _refund(_staff(alpha), gift)

    assert response.status_code == 400
    assert "Stripe did not make the refund, so nothing was recorded." in response.content.decode()
    with schema_context("alpha"):
        gift.refresh_from_db()
        assert gift.state == GiftState.POSTED and not GiftRefund.objects.exists()
        assert balance("4010") == Decimal("-50.00")


def test_a_disconnected_organization_is_told_to_refund_in_stripe(
    alpha: Tenant,
    online: Online,
) -> None:
    fake, post = online
    gift = _online_gift(alpha, fake, post)
    Organization.objects.filter(pk=alpha.organization.pk).update(stripe_account_id="")

    response = _refund(_staff(alpha), gift)

    assert response.status_code == 400
    assert "Refund it in your Stripe dashboard" in response.content.decode()
    assert fake.calls("/v1/refunds") == []
    with schema_context("alpha"):
        gift.refresh_from_db()
        assert gift.state == GiftState.POSTED and not GiftRefund.objects.exists()


def test_a_refund_form_without_its_key_is_refused_for_an_online_gift(
    alpha: Tenant,
    online: Online,
) -> None:
    fake, post = online
    gift = _online_gift(alpha, fake, post)
    response = _refund(_staff(alpha), gift, key="")
    assert response.status_code == 400
    assert fake.calls("/v1/refunds") == []


def test_the_api_refunds_an_online_gift_at_stripe_too(
    alpha: Tenant,
    online: Online,
    bookkeeper: Any,
) -> None:
    fake, post = online
    gift = _online_gift(alpha, fake, post)
    response = bookkeeper.post(
        f"/api/v1/donations/gifts/{gift.pk}/refund/",
        {"amount": "10.00", "memo": "Asked", "key": KEY},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert [r["amount"] for r in fake.refunds_of(gift.payment_reference)] == [1000]
    with schema_context("alpha"):
        assert GiftRefund.objects.get().amount == Decimal("10.00")


# --- charge.refunded: refunds made in Stripe's dashboard ---------------------------------------


def test_a_dashboard_refund_is_recorded_once_and_replays_change_nothing(
    alpha: Tenant,
    online: Online,
) -> None:
    fake, post = online
    gift = _online_gift(alpha, fake, post)
    charge = fake.refund_in_dashboard(gift.payment_reference, amount=1500)
    first = refunded(charge)

    post(first)
    post(first)  # a replay
    stored = ConnectEvent.objects.get(stripe_id=first["id"])
    with schema_context("alpha"):
        assert connect_event_apply(event_id=stored.pk) == "processed"  # the task run twice
        (refund,) = GiftRefund.objects.filter(gift=gift)
        assert refund.amount == Decimal("15.00")
        assert refund.stripe_refund_id == fake.refunds_of(gift.payment_reference)[0]["id"]
        gift.refresh_from_db()
        assert gift.state == GiftState.POSTED
        assert balance("4010") == Decimal("-35.00")
    assert (
        stored.outcome == "processed"
        and "15.00" in ConnectEvent.objects.get(pk=stored.pk).outcome_detail
    )

    # A second partial refund in the dashboard, then the rest: they add up to the gift.
    post(refunded(fake.refund_in_dashboard(gift.payment_reference, amount=500)))
    post(refunded(fake.refund_in_dashboard(gift.payment_reference)))
    with schema_context("alpha"):
        amounts = list(GiftRefund.objects.filter(gift=gift).values_list("amount", flat=True))
        assert amounts == [Decimal("15.00"), Decimal("5.00"), Decimal("30.00")]
        gift.refresh_from_db()
        assert gift.state == GiftState.REFUNDED
        assert balance("4010") == Decimal("0.00")


def test_a_page_refund_reported_by_the_webhook_is_not_booked_again(
    alpha: Tenant,
    online: Online,
) -> None:
    fake, post = online
    gift = _online_gift(alpha, fake, post)
    assert _refund(_staff(alpha), gift, amount="20.00").status_code == 302
    _, payment_intent = fake.payment_intents[gift.payment_reference]
    charge = {**payment_intent["latest_charge"], "payment_intent": gift.payment_reference}

    post(refunded(charge))

    with schema_context("alpha"):
        assert GiftRefund.objects.filter(gift=gift).count() == 1
        assert balance("4010") == Decimal("-30.00")
    stored = ConnectEvent.objects.get(type="charge.refunded")
    assert stored.outcome == "processed" and "already recorded" in stored.outcome_detail


def test_a_webhook_first_then_the_page_retried_books_the_refund_once(
    alpha: Tenant,
    online: Online,
) -> None:
    """The page's refund reached Stripe, but its books did not commit; the webhook records the
    refund first, and the page sent again finds it recorded."""
    fake, post = online
    gift = _online_gift(alpha, fake, post)
    from shared_apps.billing.stripe_api import stripe_client

    stripe_client().v1.refunds.create(
        params={"payment_intent": gift.payment_reference, "amount": 2000,
                "metadata": {"ifm_gift_id": str(gift.pk)}},
        options={"stripe_account": ACCOUNT,
                 "idempotency_key": refund_idempotency_key(gift, KEY)},
    )  # fmt: skip
    _, payment_intent = fake.payment_intents[gift.payment_reference]
    post(refunded({**payment_intent["latest_charge"], "payment_intent": gift.payment_reference}))

    response = _refund(_staff(alpha), gift, amount="20.00")

    assert response.status_code == 302
    assert len(fake.refunds_of(gift.payment_reference)) == 1
    with schema_context("alpha"):
        assert GiftRefund.objects.filter(gift=gift).count() == 1
        assert balance("4010") == Decimal("-30.00")


def test_a_refund_of_an_unknown_charge_is_stored_and_ignored(
    alpha: Tenant,
    online: Online,
) -> None:
    fake, post = online
    charge = {"id": "ch_1TestUnknown", "object": "charge", "payment_intent": "pi_3TestUnknown",
              "amount": 5000, "amount_refunded": 5000, "refunded": True}  # fmt: skip

    response = post(refunded(charge))

    assert response.status_code == 200
    stored = ConnectEvent.objects.get()
    assert stored.outcome == "ignored" and "No gift has the payment" in stored.outcome_detail
    assert fake.calls("/v1/refunds") == []


def test_a_refund_that_arrives_before_its_gift_is_booked_when_the_gift_is(
    alpha: Tenant,
    online: Online,
) -> None:
    """Stripe does not promise an order: the donor's payment refunded in part in the dashboard,
    and charge.refunded delivered before checkout.session.completed. The refund is stored and
    left alone at first, then booked with the gift, once."""
    fake, post = online
    session = paid_on_checkout(alpha, fake, amount="50", cover_fees=False)
    charge = fake.refund_in_dashboard(session["payment_intent"], amount=2000)

    post(refunded(charge))
    early = ConnectEvent.objects.get(type="charge.refunded")
    assert early.outcome == "ignored"
    post(completed(session))
    post(completed(session))  # the event again: nothing more is booked

    with schema_context("alpha"):
        gift = Gift.objects.get(payment_reference=session["payment_intent"])
        (refund,) = GiftRefund.objects.filter(gift=gift)
        assert refund.amount == Decimal("20.00")
        assert gift.state == GiftState.POSTED
        assert balance("4010") == Decimal("-30.00")
    early.refresh_from_db()
    assert early.outcome == "processed" and "20.00" in early.outcome_detail
    first_gift_event = (
        ConnectEvent.objects.filter(type="checkout.session.completed").order_by("pk").first()
    )
    assert first_gift_event is not None
    assert early.stripe_id in first_gift_event.outcome_detail


def _receipting(alpha: Tenant) -> None:
    """Alpha can issue receipts, so a posted online gift is receipted and emailed."""
    with schema_context("alpha"):
        receipt_settings_update(
            legal_name="Alpha Relief Fund",
            ein="12-3456789",
            signatory_name="Grace Hopper",
            acting_user=None,
        )


def _receipts(gift: Gift) -> list[Receipt]:
    with schema_context("alpha"):
        return list(Receipt.objects.filter(gift=gift).order_by("version"))


def test_a_part_refund_from_the_page_corrects_the_receipt_to_what_remains(
    alpha: Tenant,
    online: Online,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    fake, post = online
    _receipting(alpha)
    gift = _online_gift(alpha, fake, post)
    (first,) = _receipts(gift)
    assert first.amount == Decimal("50.00") and not first.is_void
    client = _staff(alpha)

    with django_capture_on_commit_callbacks(execute=True):
        assert _refund(client, gift, amount="20.00", key="a" * 32).status_code == 302

    old, corrected = _receipts(gift)
    assert old.pk == first.pk and corrected.supersedes_id == old.pk
    assert corrected.number == old.number and corrected.version == 2
    assert corrected.amount == Decimal("30.00") and not corrected.is_void
    assert ["Amount of contribution", "$30.00"] in corrected.content["facts"]
    assert any("$20.00 was refunded" in text for text in corrected.content["statements"])
    assert "$20.00 of the $50.00 given was refunded" in corrected.reason
    assert f"replaces receipt no. {old.number:06d} version 1" in corrected.content["correction"]
    # The corrected version is emailed; the replaced one is no longer sent.
    with schema_context("alpha"):
        corrected.refresh_from_db()
        assert corrected.emailed_to == "ada@example.org"

    # A second part: a third version, for the $20.00 left.
    with django_capture_on_commit_callbacks(execute=True):
        assert _refund(client, gift, amount="10.00", key="b" * 32).status_code == 302
    amounts = [receipt.amount for receipt in _receipts(gift)]
    assert amounts == [Decimal("50.00"), Decimal("30.00"), Decimal("20.00")]

    # The rest: the whole gift is refunded and its receipt voided, as before.
    with django_capture_on_commit_callbacks(execute=True):
        assert _refund(client, gift, key="c" * 32).status_code == 302
    *_, last = _receipts(gift)
    assert last.version == 4 and last.is_void and last.amount is None


def test_a_part_refund_by_the_webhook_corrects_the_receipt_once_whatever_the_replays(
    alpha: Tenant,
    online: Online,
) -> None:
    fake, post = online
    _receipting(alpha)
    gift = _online_gift(alpha, fake, post)
    first = refunded(fake.refund_in_dashboard(gift.payment_reference, amount=1500))

    post(first)
    post(first)  # a replay
    stored = ConnectEvent.objects.get(stripe_id=first["id"])
    with schema_context("alpha"):
        assert connect_event_apply(event_id=stored.pk) == "processed"  # the task run twice

    old, corrected = _receipts(gift)
    assert corrected.supersedes_id == old.pk
    assert (old.amount, corrected.amount) == (Decimal("50.00"), Decimal("35.00"))

    # The page reporting the same Stripe refund again issues nothing either.
    with schema_context("alpha"):
        assert receipt_correct_for_part_refund(gift_id=gift.pk) is None
    assert len(_receipts(gift)) == 2


def test_a_part_refund_of_a_gift_never_receipted_issues_no_receipt(
    alpha: Tenant,
    online: Online,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    fake, post = online
    gift = _online_gift(alpha, fake, post)  # the receipt settings are incomplete: no receipt
    assert _receipts(gift) == []

    with django_capture_on_commit_callbacks(execute=True):
        assert _refund(_staff(alpha), gift, amount="20.00", key="a" * 32).status_code == 302

    assert _receipts(gift) == []
    with schema_context("alpha"):
        assert GiftRefund.objects.filter(gift=gift).count() == 1

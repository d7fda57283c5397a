"""Online gifts through the Stripe Connect webhook, /stripe/connect/webhook/ on the public host:
a donor gives on /give/, pays on (fake) Checkout, and the signed checkout.session.completed
event of the organization's connected account becomes, in that organization's books only, a
posted gift (found or new donor, source online, the PaymentIntent as its reference) and
Stripe's fee as an expense against Stripe clearing, and a receipt emailed. Replays and
duplicates change nothing twice; an unknown account's event is stored and touches no tenant;
anything unsigned is refused with nothing stored. The real stripe library talks to the fake
server, and every delivery carries a real signature."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.core.cache import caches
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from saas_platform.lib.connection import connection
from shared_apps.billing.models import ConnectEvent
from shared_apps.billing.tests.conftest import fake_stripe, fake_stripe_server  # noqa: F401
from shared_apps.billing.tests.fake_stripe import (
    CONNECT_WEBHOOK_SECRET,
    WEBHOOK_SECRET,
    FakeStripe,
    event,
    signed,
)
from shared_apps.tenants import selectors as tenant_selectors
from shared_apps.tenants.models import Organization, OrganizationState
from shared_apps.tenants.services import organization_state_set
from tenant_apps.accounting.models import JournalLine
from tenant_apps.donations.models import Gift, GiftMethod, GiftSource, GiftState
from tenant_apps.donations.services.online_events import connect_event_apply
from tenant_apps.donations.services.receipt_settings import receipt_settings_update
from tenant_apps.donations.tasks import connect_events_retry
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

URL = "/stripe/connect/webhook/"
ACCOUNT = "acct_1TestAlphaGiving"
Deliver = Callable[[dict[str, Any]], Any]


def _connect(tenant: Tenant, account: str) -> None:
    organization = Organization.objects.get(pk=tenant.organization.pk)
    organization.stripe_account_id = account
    organization.stripe_charges_enabled = True
    organization.stripe_default_currency = "usd"
    organization.save()


@pytest.fixture
def connected(alpha: Tenant, fake_stripe: FakeStripe) -> FakeStripe:  # noqa: F811
    _connect(alpha, ACCOUNT)
    return fake_stripe


@pytest.fixture
def deliver(django_capture_on_commit_callbacks: Callable[..., Any]) -> Deliver:
    """Post an event to the webhook as Stripe does (signed with the Connect endpoint's secret),
    running what is queued after commit (the tenant-bound task, the receipt) as a worker would."""
    stripe_host = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)

    def post(payload: dict[str, Any]) -> Any:
        body, header = signed(payload, secret=CONNECT_WEBHOOK_SECRET)
        with django_capture_on_commit_callbacks(execute=True):
            return stripe_host.post(
                URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
            )

    return post


def paid_on_checkout(
    tenant: Tenant,
    fake: FakeStripe,
    *,
    amount: str = "50",
    cover_fees: bool = True,
    method: str = "card",
    **form: str,
) -> dict[str, Any]:
    """A donor gives on the tenant's /give/ and pays on Checkout (by card, or by bank debit:
    "us_bank_account"); the completed session."""
    data = {
        "preset": "other",
        "other_amount": amount,
        "fund": "GEN",
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        **({"cover_fees": "on"} if cover_fees else {}),
        **form,
    }
    response = Client(HTTP_HOST=tenant.host).post("/give/", data)
    assert response.status_code == 303, response.content
    session_id = response["Location"].rsplit("/", 1)[1].split("#")[0]
    return fake.checkout_session_pay(session_id, method=method)


def completed(session: dict[str, Any], *, account: str = ACCOUNT, **kw: Any) -> dict[str, Any]:
    return event(
        "checkout.session.completed", session, created=int(time.time()), account=account, **kw
    )


def wells_offered(schema_name: str) -> None:
    """A purpose-restricted fund, WELLS (clean water), offered on the giving pages."""
    from tenant_apps.accounting.models import Restriction
    from tenant_apps.accounting.tests.factories import FundFactory
    from tenant_apps.donations.services.online import giving_funds_set

    with schema_context(schema_name):
        FundFactory.create(code="WELLS", name="Clean water", restriction=Restriction.PURPOSE)
        giving_funds_set(fund_codes=["WELLS"], acting_user=None)


def balance(code: str) -> Decimal:
    totals = JournalLine.objects.filter(account__code=code, entry__state="posted").aggregate(
        debit=Sum("debit"), credit=Sum("credit")
    )
    return (totals["debit"] or Decimal(0)) - (totals["credit"] or Decimal(0))


def test_a_paid_checkout_becomes_a_posted_gift_with_its_fee_and_a_receipt(
    alpha: Tenant, connected: FakeStripe, deliver: Deliver
) -> None:
    with schema_context("alpha"):
        receipt_settings_update(
            legal_name="Alpha Relief Fund",
            ein="12-3456789",
            signatory_name="Grace Hopper",
            acting_user=None,
        )
    session = paid_on_checkout(alpha, connected)

    response = deliver(completed(session))

    # Answered once stored; the organization's schema applies it after commit.
    assert response.status_code == 200
    assert response.json()["outcome"] == "queued"
    with schema_context("alpha"):
        gift = Gift.objects.select_related("donor").get()
        assert gift.amount == Decimal("51.80")  # $50 with the fee covered
        assert gift.state == GiftState.POSTED
        assert gift.source == GiftSource.ONLINE and gift.method == GiftMethod.CARD
        assert gift.payment_reference == session["payment_intent"]
        assert [a.fund.code for a in gift.allocations.select_related("fund")] == ["GEN"]
        assert gift.donor.display_name == "Ada Lovelace"
        assert list(gift.donor.emails.values_list("email", flat=True)) == ["ada@example.org"]
        # Stripe's fee, 2.9% + 30c of $51.80 = $1.80, from the balance transaction.
        assert balance("8550") == Decimal("1.80")
        assert balance("1060") == Decimal("50.00")  # what Stripe holds for the payout
        assert balance("4010") == Decimal("-51.80")
        assert gift.receipts.count() == 1
    (receipt_email,) = mail.outbox
    assert receipt_email.to == ["ada@example.org"]
    (lookup,) = connected.calls(f"/v1/payment_intents/{session['payment_intent']}")
    assert lookup.headers["stripe-account"] == ACCOUNT
    stored = ConnectEvent.objects.get()
    assert stored.organization_id == alpha.organization.pk
    assert stored.outcome == "processed"
    # The staff see the gift and what Stripe kept of it.
    page = alpha.client(alpha.owner).get(f"/gifts/{gift.pk}/").content.decode()
    assert "<dt>Source</dt><dd>Online</dd>" in page
    assert "$1.80, kept by Stripe (the organization nets $50.00)" in page


def test_a_replay_or_a_second_event_for_the_same_payment_changes_nothing(
    alpha: Tenant, connected: FakeStripe, deliver: Deliver
) -> None:
    session = paid_on_checkout(alpha, connected)
    first = completed(session)

    responses = [deliver(first), deliver(first), deliver(completed(session))]

    assert [response.status_code for response in responses] == [200, 200, 200]
    assert ConnectEvent.objects.count() == 2  # the replay is the same event
    with schema_context("alpha"):
        assert Gift.objects.count() == 1
        assert Donor.objects.count() == 1
        assert balance("8550") == Decimal("1.80")
    assert len(connected.calls(f"/v1/payment_intents/{session['payment_intent']}")) == 1
    second = ConnectEvent.objects.exclude(stripe_id=first["id"]).get()
    assert second.outcome == "processed" and "Already recorded" in second.outcome_detail
    # The task delivered again (a worker's retry after a lost acknowledgement) does nothing.
    stored = ConnectEvent.objects.get(stripe_id=first["id"])
    with schema_context("alpha"):
        assert connect_event_apply(event_id=stored.pk) == "processed"
        assert Gift.objects.count() == 1


def test_a_failure_changes_nothing_and_the_retry_applies_the_event_once(
    alpha: Tenant,
    connected: FakeStripe,
    deliver: Deliver,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    session = paid_on_checkout(alpha, connected)
    lookup = f"/v1/payment_intents/{session['payment_intent']}"
    connected.failures[lookup] = 500  # Stripe does not answer for the fee

    response = deliver(completed(session))

    assert response.status_code == 200  # Stripe's retries would not help: ours do
    stored = ConnectEvent.objects.get()
    assert stored.outcome == "failed" and "did not answer" in stored.outcome_detail
    with schema_context("alpha"):
        assert Gift.objects.count() == 0 and Donor.objects.count() == 0  # rolled back

    # Not yet: it has only just arrived.
    assert connect_events_retry() == 0
    connected.failures.clear()
    ConnectEvent.objects.filter(pk=stored.pk).update(
        received_at=timezone.now() - timedelta(minutes=6)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert connect_events_retry() == 1

    stored.refresh_from_db()
    assert stored.outcome == "processed"
    with schema_context("alpha"):
        assert Gift.objects.count() == 1
        assert balance("8550") == Decimal("1.80")
    assert connect_events_retry() == 0


def test_the_donor_is_found_by_email(
    alpha: Tenant, connected: FakeStripe, deliver: Deliver
) -> None:
    with schema_context("alpha"):
        known = donor_made("Ada", "King", emails=("ada@example.org",))
    session = paid_on_checkout(alpha, connected, email="ADA@example.org", name="Ada L.")

    deliver(completed(session))

    with schema_context("alpha"):
        assert Donor.objects.count() == 1
        assert Gift.objects.get().donor_id == known.pk


def test_the_gift_goes_to_the_fund_chosen_and_without_the_fee_covered_is_the_amount(
    alpha: Tenant, connected: FakeStripe, deliver: Deliver
) -> None:
    wells_offered("alpha")
    session = paid_on_checkout(alpha, connected, amount="20", cover_fees=False, fund="WELLS")

    deliver(completed(session))

    with schema_context("alpha"):
        gift = Gift.objects.get()
        assert gift.amount == Decimal("20.00")
        assert [a.fund.code for a in gift.allocations.select_related("fund")] == ["WELLS"]
        # 2.9% + 30c of $20.00 = $0.88, in the general fund, management and general.
        fee_line = JournalLine.objects.get(account__code="8550")
        assert fee_line.debit == Decimal("0.88")
        assert (fee_line.fund.code, fee_line.function) == ("GEN", "management_general")


def test_an_unknown_accounts_event_is_stored_answered_and_touches_no_tenant(
    alpha: Tenant, beta: Tenant, connected: FakeStripe, deliver: Deliver
) -> None:
    session = paid_on_checkout(alpha, connected)
    connected.requests.clear()

    response = deliver(completed(session, account="acct_1TestNobodys"))

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    stored = ConnectEvent.objects.get()
    assert stored.organization is None and stored.account_id == "acct_1TestNobodys"
    for schema in ("alpha", "beta"):
        with schema_context(schema):
            assert Gift.objects.count() == 0 and Donor.objects.count() == 0
    assert connected.requests == []


def test_a_disconnected_organizations_event_touches_nothing(
    alpha: Tenant, connected: FakeStripe, deliver: Deliver
) -> None:
    session = paid_on_checkout(alpha, connected)
    _connect(alpha, "")

    response = deliver(completed(session))

    assert response.json()["outcome"] == "ignored"
    with schema_context("alpha"):
        assert Gift.objects.count() == 0


def test_an_accounts_organization_is_read_once_and_read_again_after_any_change_to_it(
    alpha: Tenant, connected: FakeStripe, deliver: Deliver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given an account's first event routed to its organization, when more arrive, then none
    reads the organization again; when the organization disconnects (here, or in another
    process), then the next event is stored as ignored and touches nothing."""
    monkeypatch.setattr(tenant_selectors, "GENERATION_CHECK_SECONDS", 3600.0)
    first, second, third, fourth, fifth = (paid_on_checkout(alpha, connected) for _ in range(5))

    def organization_reads(session: dict[str, Any]) -> tuple[str, int]:
        with CaptureQueriesContext(connection) as queries:
            outcome = deliver(completed(session)).json()["outcome"]
        return outcome, sum("WHERE stripe_account_id =" in q["sql"] for q in queries)

    assert organization_reads(first) == ("queued", 1)
    assert organization_reads(second) == ("queued", 0)

    _connect(alpha, "")  # here: the save retires this process's copy at once
    assert organization_reads(third) == ("ignored", 1)

    _connect(alpha, ACCOUNT)
    assert organization_reads(fourth)[0] == "queued"
    # Another process disconnects it: the row changes and that process sets a new generation,
    # which this one reads at its next check.
    Organization.objects.filter(pk=alpha.organization.pk).update(stripe_account_id="")
    caches["tenant_routing"].set("generation", "set-by-another-process", timeout=None)
    monkeypatch.setattr(tenant_selectors, "GENERATION_CHECK_SECONDS", 0.0)

    assert organization_reads(fifth) == ("ignored", 1)
    with schema_context("alpha"):
        assert Gift.objects.count() == 3


def test_a_suspended_organizations_gift_is_still_recorded(
    alpha: Tenant, connected: FakeStripe, deliver: Deliver
) -> None:
    # Paid before the suspension: the money is in its Stripe account, the gift in its books.
    session = paid_on_checkout(alpha, connected)
    organization_state_set(
        organization=Organization.objects.get(pk=alpha.organization.pk),
        state=OrganizationState.SUSPENDED,
        reason="Suspended by an operator.",
    )

    deliver(completed(session))

    assert ConnectEvent.objects.get().outcome == "processed"
    with schema_context("alpha"):
        assert Gift.objects.count() == 1


def test_an_unpaid_checkout_records_nothing(
    alpha: Tenant, connected: FakeStripe, deliver: Deliver
) -> None:
    session = paid_on_checkout(alpha, connected)
    session["payment_status"] = "unpaid"

    response = deliver(completed(session))

    assert response.status_code == 200
    assert ConnectEvent.objects.get().outcome == "ignored"
    with schema_context("alpha"):
        assert Gift.objects.count() == 0


def test_the_gift_is_only_in_its_own_organizations_books(
    alpha: Tenant, beta: Tenant, connected: FakeStripe, deliver: Deliver
) -> None:
    _connect(beta, "acct_1TestBetaGiving")
    session = paid_on_checkout(alpha, connected)

    deliver(completed(session))

    with schema_context("beta"):
        assert Gift.objects.count() == 0
        assert balance("1060") == 0
    with schema_context("alpha"):
        assert Gift.objects.count() == 1


@pytest.mark.parametrize(
    "sign",
    [
        pytest.param(lambda body: signed(body, secret=WEBHOOK_SECRET)[1], id="billing-secret"),
        pytest.param(lambda body: "t=1,v1=00", id="forged"),
        pytest.param(lambda body: "", id="unsigned"),
    ],
)
def test_anything_not_signed_by_the_connect_secret_is_a_400_and_stores_nothing(
    alpha: Tenant, connected: FakeStripe, sign: Callable[[bytes], str]
) -> None:
    session = paid_on_checkout(alpha, connected)
    body = signed(completed(session))[0]

    response = Client(HTTP_HOST="localhost").post(
        URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body)
    )

    assert response.status_code == 400
    assert ConnectEvent.objects.count() == 0
    with schema_context("alpha"):
        assert Gift.objects.count() == 0


def test_the_webhook_is_post_only_and_not_served_on_a_tenant_host(
    alpha: Tenant, connected: FakeStripe
) -> None:
    assert Client(HTTP_HOST="localhost").get(URL).status_code == 405
    body, header = signed(completed({"id": "cs_x"}), secret=CONNECT_WEBHOOK_SECRET)
    response = Client(HTTP_HOST=alpha.host).post(
        URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 404
    assert ConnectEvent.objects.count() == 0


def _async(kind: str, session: dict[str, Any], *, paid: bool) -> dict[str, Any]:
    body = {**session, "payment_status": "paid" if paid else "unpaid"}
    return event(kind, body, created=int(time.time()), account=ACCOUNT)


@pytest.mark.parametrize(
    "order",
    [
        ("completed_unpaid", "succeeded"),
        ("succeeded", "completed_unpaid"),
        ("completed_unpaid", "succeeded", "succeeded"),
    ],
)
def test_a_bank_debit_is_recorded_when_it_succeeds_in_any_order(
    alpha: Tenant, connected: FakeStripe, deliver: Deliver, order: tuple[str, ...]
) -> None:
    session = paid_on_checkout(alpha, connected, method="us_bank_account")
    events = {
        "completed_unpaid": _async("checkout.session.completed", session, paid=False),
        "succeeded": _async("checkout.session.async_payment_succeeded", session, paid=True),
    }

    for name in order:
        assert deliver(events[name]).status_code == 200
        if name == "completed_unpaid":
            with schema_context("alpha"):
                assert Gift.objects.count() == (
                    1 if "succeeded" in order[: order.index(name)] else 0
                )

    with schema_context("alpha"):
        gift = Gift.objects.get()
        assert gift.payment_reference == session["payment_intent"]
        assert gift.state == GiftState.POSTED
        # Recorded as the bank debit Stripe says it was, in Stripe clearing as a card gift is
        # (Stripe pays it out), less Stripe's ACH fee: 0.8% of $51.80 = $0.41.
        assert gift.method == GiftMethod.ACH and gift.source == GiftSource.ONLINE
        assert balance("1060") == Decimal("51.39")
        assert balance("8550") == Decimal("0.41")
        assert balance("1010") == Decimal(0)
    outcomes = dict(ConnectEvent.objects.values_list("type", "outcome"))
    assert outcomes["checkout.session.completed"] == "ignored"
    assert outcomes["checkout.session.async_payment_succeeded"] == "processed"


@pytest.mark.parametrize("failed_first", [True, False])
def test_a_failed_bank_debit_records_nothing(
    alpha: Tenant, connected: FakeStripe, deliver: Deliver, failed_first: bool
) -> None:
    session = paid_on_checkout(alpha, connected)
    completed_unpaid = _async("checkout.session.completed", session, paid=False)
    failed = _async("checkout.session.async_payment_failed", session, paid=False)

    for payload in [failed, completed_unpaid] if failed_first else [completed_unpaid, failed]:
        assert deliver(payload).status_code == 200

    with schema_context("alpha"):
        assert Gift.objects.count() == 0 and Donor.objects.count() == 0
    stored = ConnectEvent.objects.get(type="checkout.session.async_payment_failed")
    assert stored.outcome == "ignored" and "failed" in stored.outcome_detail
    assert ConnectEvent.objects.count() == 2
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("paid_by", "method"),
    [("card", GiftMethod.CARD), ("us_bank_account", GiftMethod.ACH)],
)
def test_the_gift_is_recorded_with_the_method_stripe_says_was_used(
    alpha: Tenant, connected: FakeStripe, deliver: Deliver, paid_by: str, method: GiftMethod
) -> None:
    session = paid_on_checkout(alpha, connected, method=paid_by)
    answered = connected.payment_intents[session["payment_intent"]][1]
    assert answered["payment_method_types"] == [paid_by]
    assert answered["latest_charge"]["payment_method_details"]["type"] == paid_by

    deliver(completed(session))

    with schema_context("alpha"):
        gift = Gift.objects.get()
        assert gift.method == method
        # Either way Stripe holds the money: Dr 1060, never the bank directly.
        assert balance("1010") == Decimal(0)
        assert balance("1060") + balance("8550") == gift.amount


def test_without_the_charges_details_the_payment_intents_one_method_is_used(
    alpha: Tenant, connected: FakeStripe, deliver: Deliver
) -> None:
    session = paid_on_checkout(alpha, connected, method="us_bank_account")
    answered = connected.payment_intents[session["payment_intent"]][1]
    del answered["latest_charge"]["payment_method_details"]

    deliver(completed(session))

    with schema_context("alpha"):
        assert Gift.objects.get().method == GiftMethod.ACH


def test_a_payment_neither_by_card_nor_by_bank_debit_needs_attention(
    alpha: Tenant, connected: FakeStripe, deliver: Deliver
) -> None:
    session = paid_on_checkout(alpha, connected)
    answered = connected.payment_intents[session["payment_intent"]][1]
    answered["latest_charge"]["payment_method_details"] = {"type": "cashapp", "cashapp": {}}

    deliver(completed(session))

    with schema_context("alpha"):
        assert Gift.objects.count() == 0 and Donor.objects.count() == 0
    stored = ConnectEvent.objects.get(type="checkout.session.completed")
    assert stored.outcome == "attention" and "cashapp" in stored.outcome_detail

"""Stripe payouts of online gifts through the Connect webhook: `payout.paid` becomes a closed
deposit dated the day the payout arrives, naming it, listing the balance transactions (and so
the gifts) it settled, its entry moving the payout's amount from 1060 Stripe clearing to 1010
the bank; `payout.failed` takes it back out. Replays, second events and any order of gifts and
payouts leave Stripe clearing equal to what Stripe still holds; the bank statement's line of
the payout is matched to the deposit by the bank desk's automatic matching."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.billing.models import ConnectEvent
from shared_apps.billing.tests.conftest import fake_stripe, fake_stripe_server  # noqa: F401
from shared_apps.billing.tests.fake_stripe import (
    CONNECT_WEBHOOK_SECRET,
    FakeStripe,
    event,
    signed,
)
from tenant_apps.accounting.models import JournalEntry, JournalLine
from tenant_apps.banking.models import Match, MatchKind
from tenant_apps.banking.services.matching import auto_match
from tenant_apps.banking.tests.factories import statement_made
from tenant_apps.donations.models import (
    Deposit,
    DepositState,
    Gift,
    GiftRefund,
    PayoutTransaction,
)
from tenant_apps.donations.selectors import deposit_gifts
from tenant_apps.donations.services.online_events import connect_event_apply
from tenant_apps.donations.tasks import connect_events_retry
from tenant_apps.donations.tests.test_online_gifts import (
    ACCOUNT,
    _connect,
    balance,
    completed,
    paid_on_checkout,
    wells_offered,
)
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

URL = "/stripe/connect/webhook/"
ARRIVAL = date(2026, 11, 20)
Deliver = Callable[[dict[str, Any]], Any]


@pytest.fixture
def connected(alpha: Tenant, fake_stripe: FakeStripe) -> FakeStripe:  # noqa: F811
    _connect(alpha, ACCOUNT)
    return fake_stripe


@pytest.fixture
def deliver(django_capture_on_commit_callbacks: Callable[..., Any]) -> Deliver:
    """Post an event to the Connect webhook, signed, running what it queues as a worker would."""
    stripe_host = Client(HTTP_HOST="localhost")

    def post(payload: dict[str, Any]) -> Any:
        body, header = signed(payload, secret=CONNECT_WEBHOOK_SECRET)
        with django_capture_on_commit_callbacks(execute=True):
            response = stripe_host.post(
                URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
            )
        assert response.status_code == 200, response.content
        return response

    return post


def arrival_timestamp(day: date = ARRIVAL) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def payout_event(kind: str, payout: dict[str, Any]) -> dict[str, Any]:
    return event(kind, {**payout, "status": kind.split(".")[1]}, created=int(time.time()))


def connect_event(kind: str, payout: dict[str, Any]) -> dict[str, Any]:
    return {**payout_event(kind, payout), "account": ACCOUNT}


def clearing_by_fund() -> dict[str, Decimal]:
    rows = (
        JournalLine.objects.filter(account__code="1060", entry__state__in=("posted", "reversed"))
        .values("fund__code")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
    )
    return {row["fund__code"]: row["debit"] - row["credit"] for row in rows}


def ledger(code: str) -> Decimal:
    """The account's balance, reversed entries and their reversals included."""
    totals = JournalLine.objects.filter(
        account__code=code, entry__state__in=("posted", "reversed")
    ).aggregate(debit=Sum("debit"), credit=Sum("credit"))
    return (totals["debit"] or Decimal(0)) - (totals["credit"] or Decimal(0))


def test_a_paid_payout_is_a_deposit_from_stripe_clearing_to_the_bank(
    alpha: Tenant, connected: FakeStripe, deliver: Deliver
) -> None:
    # Given two gifts in Stripe clearing ($51.80 and $20.00 less Stripe's fees)
    sessions = [
        paid_on_checkout(alpha, connected),
        paid_on_checkout(alpha, connected, amount="20", cover_fees=False, email="b@example.org"),
    ]
    for session in sessions:
        deliver(completed(session))
    with schema_context("alpha"):
        assert balance("1060") == Decimal("50.00") + Decimal("19.12")

    # When Stripe pays them out
    payout = connected.payout_make(ACCOUNT, arrival_date=arrival_timestamp())
    assert payout["amount"] == 6912
    response = deliver(connect_event("payout.paid", payout))

    # Then the payout is a closed deposit on its arrival day, moving its amount to the bank
    assert response.json()["outcome"] == "queued"
    stored = ConnectEvent.objects.get(type="payout.paid")
    assert stored.outcome == "processed", stored.outcome_detail
    with schema_context("alpha"):
        deposit = Deposit.objects.get()
        assert deposit.stripe_payout_id == payout["id"]
        assert deposit.state == DepositState.CLOSED
        assert deposit.deposit_on == ARRIVAL
        assert deposit.bank_account.code == "1010"
        assert deposit.expected_total == Decimal("69.12") and deposit.expected_count == 2
        assert deposit.journal_entry is not None
        assert deposit.journal_entry.date == ARRIVAL
        assert deposit.journal_entry.source_reference == f"payout:{payout['id']}"
        lines = {
            (line.account.code, line.fund.code, line.debit, line.credit)
            for line in deposit.journal_entry.lines.select_related("account", "fund")
        }
        # Both gifts are in the general fund, where the fees are: one pair of lines.
        assert lines == {
            ("1010", "GEN", Decimal("69.12"), Decimal("0")),
            ("1060", "GEN", Decimal("0"), Decimal("69.12")),
        }
        assert balance("1060") == 0
        assert balance("1010") == Decimal("69.12")
        # What it settled, as Stripe listed it: the two charges with their fees.
        settled = list(deposit.transactions.order_by("amount"))
        assert [(row.type, row.amount, row.fee, row.net) for row in settled] == [
            ("charge", Decimal("20.00"), Decimal("0.88"), Decimal("19.12")),
            ("charge", Decimal("51.80"), Decimal("1.80"), Decimal("50.00")),
        ]
        assert {row.payment_intent for row in settled} == {s["payment_intent"] for s in sessions}
        assert [gift.amount for gift in deposit_gifts(deposit)] == [
            Decimal("51.80"),
            Decimal("20.00"),
        ]
    (listing,) = connected.calls("/v1/balance_transactions")
    assert listing.headers["stripe-account"] == ACCOUNT
    assert listing.params["payout"] == payout["id"]
    assert listing.params["expand[0]"] == "data.source"
    # The deposit's page says what the payout paid out, gift by gift, and what Stripe kept.
    response = alpha.client(alpha.owner).get(f"/deposits/{deposit.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Stripe payout {payout['id']}" in page
    assert '<dt>Paid to the bank</dt><dd><span class="num">$69.12</span>' in page
    assert '<dt>Kept by Stripe</dt><dd><span class="num">$2.68</span>' in page
    assert page.count("Ada Lovelace") == 2
    assert "Not recorded yet" not in page


def test_a_replay_a_second_event_and_a_second_run_change_nothing(
    alpha: Tenant, connected: FakeStripe, deliver: Deliver
) -> None:
    deliver(completed(paid_on_checkout(alpha, connected)))
    payout = connected.payout_make(ACCOUNT, arrival_date=arrival_timestamp())
    first = connect_event("payout.paid", payout)

    deliver(first)
    deliver(first)  # Stripe delivers it again
    deliver(connect_event("payout.paid", payout))  # another event for the same payout

    with schema_context("alpha"):
        assert Deposit.objects.count() == 1
        assert JournalEntry.objects.filter(source_reference__startswith="payout:").count() == 1
        assert PayoutTransaction.objects.count() == 1
        assert balance("1060") == 0 and balance("1010") == Decimal("50.00")
    second = ConnectEvent.objects.exclude(stripe_id=first["id"]).get(type="payout.paid")
    assert second.outcome == "processed" and "Already recorded" in second.outcome_detail
    # The task delivered again after a lost acknowledgement does nothing either.
    with schema_context("alpha"):
        stored = ConnectEvent.objects.get(stripe_id=first["id"])
        assert connect_event_apply(event_id=stored.pk) == "processed"
        assert Deposit.objects.count() == 1
    assert len(connected.calls("/v1/balance_transactions")) == 1


@pytest.mark.parametrize(
    "order",
    [
        ("gift_a", "gift_b", "refund", "payout"),
        ("payout", "gift_a", "gift_b", "refund"),
        ("gift_a", "payout", "refund", "gift_b"),
        ("gift_b", "payout", "gift_a", "refund"),
    ],
)
def test_in_any_order_of_gifts_refunds_and_payout_clearing_ends_at_zero(
    alpha: Tenant, connected: FakeStripe, deliver: Deliver, order: tuple[str, ...]
) -> None:
    # Two gifts, one refunded in part at Stripe, all paid out in one payout.
    session_a = paid_on_checkout(alpha, connected)
    session_b = paid_on_checkout(alpha, connected, amount="20", cover_fees=False)
    refunded = connected.refund_in_dashboard(session_a["payment_intent"], amount=1000)
    payout = connected.payout_make(ACCOUNT, arrival_date=arrival_timestamp())
    # 50.00 + 19.12 - 10.00 refunded
    assert payout["amount"] == 5912
    events = {
        "gift_a": completed(session_a),
        "gift_b": completed(session_b),
        "refund": event("charge.refunded", refunded, created=int(time.time()), account=ACCOUNT),
        "payout": connect_event("payout.paid", payout),
    }

    for name in order:
        deliver(events[name])
        deliver(events[name])  # and each delivered again

    with schema_context("alpha"):
        # Every event is in the books once Stripe has sent them all: what Stripe still holds
        # for this account is nothing, and so is clearing, in every fund.
        deposit = Deposit.objects.get()
        assert deposit.expected_total == Decimal("59.12")
        assert balance("1060") == 0
        assert all(amount == 0 for amount in clearing_by_fund().values())
        assert balance("1010") == Decimal("59.12")
        # A gift recorded after the payout is its gift too.
        assert {gift.payment_reference for gift in deposit_gifts(deposit)} == {
            session_a["payment_intent"],
            session_b["payment_intent"],
        }
        assert sorted(deposit.transactions.values_list("type", flat=True)) == [
            "charge",
            "charge",
            "refund",
        ]


def test_a_payout_before_its_gifts_lists_them_once_they_are_recorded(
    alpha: Tenant, beta: Tenant, connected: FakeStripe, deliver: Deliver
) -> None:
    session = paid_on_checkout(alpha, connected)
    payout = connected.payout_make(ACCOUNT, arrival_date=arrival_timestamp())
    deliver(connect_event("payout.paid", payout))
    with schema_context("alpha"):
        deposit_id = Deposit.objects.get().pk
    owner = alpha.client(alpha.owner)
    assert "Not recorded yet" in owner.get(f"/deposits/{deposit_id}/").content.decode()

    deliver(completed(session))

    page = owner.get(f"/deposits/{deposit_id}/").content.decode()
    assert "Not recorded yet" not in page and "Ada Lovelace" in page
    # Another organization's staff do not see it.
    assert beta.client(beta.owner).get(f"/deposits/{deposit_id}/").status_code == 404


def test_a_restricted_gifts_payout_clears_each_fund(
    alpha: Tenant, connected: FakeStripe, deliver: Deliver
) -> None:
    wells_offered("alpha")
    deliver(
        completed(paid_on_checkout(alpha, connected, amount="20", cover_fees=False, fund="WELLS"))
    )
    deliver(completed(paid_on_checkout(alpha, connected)))
    payout = connected.payout_make(ACCOUNT, arrival_date=arrival_timestamp())

    deliver(connect_event("payout.paid", payout))

    with schema_context("alpha"):
        assert clearing_by_fund() == {"GEN": Decimal(0), "WELLS": Decimal(0)}
        entry = Deposit.objects.get().journal_entry
        assert entry is not None
        bank = {
            line.fund.code: line.debit - line.credit
            for line in entry.lines.select_related("fund")
            if line.account.code == "1010"
        }
        # The water gift's gross in its fund; the general fund's gift less both fees.
        assert bank == {"WELLS": Decimal("20.00"), "GEN": Decimal("49.12")}


def test_a_restricted_gift_recorded_after_its_payout_is_moved_to_its_fund(
    alpha: Tenant, connected: FakeStripe, deliver: Deliver
) -> None:
    wells_offered("alpha")
    late = paid_on_checkout(alpha, connected, amount="20", cover_fees=False, fund="WELLS")
    deliver(completed(paid_on_checkout(alpha, connected)))
    payout = connected.payout_make(ACCOUNT, arrival_date=arrival_timestamp())

    # Given the payout recorded before the restricted gift it paid out
    deliver(connect_event("payout.paid", payout))
    # When the gift arrives
    deliver(completed(late))

    # Then each fund's clearing is exact, and the bank holds the gift in its fund.
    stored = ConnectEvent.objects.get(payload__data__object__id=late["id"])
    assert "Paid out before it was recorded" in stored.outcome_detail
    with schema_context("alpha"):
        assert clearing_by_fund() == {"GEN": Decimal(0), "WELLS": Decimal(0)}
        bank = (
            JournalLine.objects.filter(account__code="1010", entry__state="posted")
            .values("fund__code")
            .annotate(debit=Sum("debit"), credit=Sum("credit"))
        )
        # As had the gift come first: its gross in its fund, the general fund's gift less
        # both fees.
        assert {row["fund__code"]: row["debit"] - row["credit"] for row in bank} == {
            "GEN": Decimal("49.12"),
            "WELLS": Decimal("20.00"),
        }
        assert ledger("1010") == Decimal(payout["amount"]) / 100

    # And when the payout fails after all, the move goes back with it: clearing holds it all.
    deliver(connect_event("payout.failed", payout))
    with schema_context("alpha"):
        assert ledger("1010") == Decimal(0)
        assert clearing_by_fund()["WELLS"] == Decimal("20.00")
        assert sum(clearing_by_fund().values()) == Decimal(payout["amount"]) / 100
    # A replay of the gift's event moves nothing twice.
    deliver(completed(late))
    with schema_context("alpha"):
        (moved,) = JournalEntry.objects.filter(source_reference__contains=":gift:")
        assert moved.state == "reversed"


@pytest.mark.parametrize("failed_twice", [False, True])
def test_a_payout_that_fails_after_it_was_paid_goes_back_to_clearing_once(
    alpha: Tenant, connected: FakeStripe, deliver: Deliver, failed_twice: bool
) -> None:
    deliver(completed(paid_on_checkout(alpha, connected)))
    payout = connected.payout_make(ACCOUNT, arrival_date=arrival_timestamp(timezone.localdate()))
    deliver(connect_event("payout.paid", payout))

    deliver(connect_event("payout.failed", payout))
    if failed_twice:
        deliver(connect_event("payout.failed", payout))

    with schema_context("alpha"):
        deposit = Deposit.objects.get()
        assert deposit.state == DepositState.FAILED
        assert deposit.reversal_entry is not None
        assert deposit.journal_entry is not None
        assert deposit.journal_entry.state == "reversed"
        assert JournalEntry.objects.filter(source="reversal").count() == 1
        # Stripe holds the money again, and so does clearing; the bank does not.
        assert ledger("1060") == Decimal("50.00")
        assert ledger("1010") == 0
    outcomes = list(ConnectEvent.objects.filter(type="payout.failed").values_list("outcome"))
    assert outcomes == [("processed",)] * (2 if failed_twice else 1)


def test_a_payout_failed_before_its_paid_event_never_reaches_the_books(
    alpha: Tenant, connected: FakeStripe, deliver: Deliver
) -> None:
    deliver(completed(paid_on_checkout(alpha, connected)))
    payout = connected.payout_make(ACCOUNT, arrival_date=arrival_timestamp())

    deliver(connect_event("payout.failed", payout))
    deliver(connect_event("payout.paid", payout))

    with schema_context("alpha"):
        deposit = Deposit.objects.get()
        assert deposit.state == DepositState.FAILED
        assert deposit.journal_entry is None and deposit.reversal_entry is None
        assert JournalEntry.objects.filter(source_reference__startswith="payout:").count() == 0
        assert balance("1060") == Decimal("50.00") and balance("1010") == 0
    paid = ConnectEvent.objects.get(type="payout.paid")
    assert paid.outcome == "processed" and "failed before" in paid.outcome_detail
    with schema_context("alpha"):
        deposit_id = Deposit.objects.get().pk
    page = alpha.client(alpha.owner).get(f"/deposits/{deposit_id}/").content.decode()
    assert "Payout failed" in page and "nothing is in the books" in page
    assert connected.calls("/v1/balance_transactions") == []


def test_stripe_not_answering_changes_nothing_and_the_retry_records_the_payout(
    alpha: Tenant,
    connected: FakeStripe,
    deliver: Deliver,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    deliver(completed(paid_on_checkout(alpha, connected)))
    payout = connected.payout_make(ACCOUNT, arrival_date=arrival_timestamp())
    connected.failures["/v1/balance_transactions"] = 500

    deliver(connect_event("payout.paid", payout))

    stored = ConnectEvent.objects.get(type="payout.paid")
    assert stored.outcome == "failed" and "did not answer" in stored.outcome_detail
    with schema_context("alpha"):
        assert Deposit.objects.count() == 0 and balance("1010") == 0
    connected.failures.clear()
    ConnectEvent.objects.filter(pk=stored.pk).update(
        received_at=timezone.now() - timedelta(minutes=6)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert connect_events_retry() == 1
    stored.refresh_from_db()
    assert stored.outcome == "processed"
    with schema_context("alpha"):
        assert Deposit.objects.get().expected_total == Decimal("50.00")


def test_a_payout_in_another_currency_needs_attention(
    alpha: Tenant, connected: FakeStripe, deliver: Deliver
) -> None:
    deliver(completed(paid_on_checkout(alpha, connected)))
    payout = connected.payout_make(ACCOUNT, arrival_date=arrival_timestamp())

    deliver(connect_event("payout.paid", payout | {"currency": "eur"}))

    stored = ConnectEvent.objects.get(type="payout.paid")
    assert stored.outcome == "attention" and "EUR" in stored.outcome_detail
    with schema_context("alpha"):
        assert Deposit.objects.count() == 0


def test_the_payout_is_only_in_its_own_organizations_books(
    alpha: Tenant, beta: Tenant, connected: FakeStripe, deliver: Deliver
) -> None:
    _connect(beta, "acct_1TestBetaGiving")
    deliver(completed(paid_on_checkout(alpha, connected)))
    payout = connected.payout_make(ACCOUNT, arrival_date=arrival_timestamp())

    # Sent as beta's account's: Stripe lists the payout for alpha's account only.
    deliver(payout_event("payout.paid", payout) | {"account": "acct_1TestBetaGiving"})
    deliver(connect_event("payout.paid", payout))

    with schema_context("beta"):
        assert Deposit.objects.count() == 0 and balance("1010") == 0
    with schema_context("alpha"):
        assert Deposit.objects.count() == 1
    beta_event = ConnectEvent.objects.get(account_id="acct_1TestBetaGiving")
    assert beta_event.outcome == "failed"  # Stripe answered 404: not beta's payout


def test_the_bank_statement_line_of_the_payout_is_matched_to_its_deposit(
    alpha: Tenant, connected: FakeStripe, deliver: Deliver
) -> None:
    deliver(completed(paid_on_checkout(alpha, connected)))
    deliver(completed(paid_on_checkout(alpha, connected, amount="20", cover_fees=False)))
    payout = connected.payout_make(ACCOUNT, arrival_date=arrival_timestamp())
    deliver(connect_event("payout.paid", payout))

    with schema_context("alpha"):
        # The bank shows the payout a day after Stripe's arrival date, beside another line.
        statement = statement_made(
            [
                (ARRIVAL + timedelta(days=1), "69.12", "STRIPE TRANSFER ST-P4Y0UT"),
                (ARRIVAL + timedelta(days=2), "-12.00", "SERVICE CHARGE"),
            ],
            closing="57.12",
            statement_date=ARRIVAL + timedelta(days=10),
        )

        assert auto_match(statement=statement, acting_user=None) == 1

        match = Match.objects.select_related("statement_line").get()
        assert match.kind == MatchKind.AUTOMATIC
        assert match.statement_line.amount == Decimal("69.12")
        deposit = Deposit.objects.get()
        matched = {line.journal_line.entry_id for line in match.ledger_lines.all()}
        assert matched == {deposit.journal_entry_id}
        assert Gift.objects.count() == 2


def test_stripe_is_read_before_any_row_is_locked(
    alpha: Tenant,
    connected: FakeStripe,
    deliver: Deliver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Applying a gift, a refund or a payout reads what it needs from Stripe first, then locks
    the event's row: no lock (nor open transaction) waits on Stripe's network."""
    from tenant_apps.donations.services import online_batches, online_events

    requests_when_locked: list[int] = []
    locked, taken = online_events.connect_event_locked, online_batches.connect_events_taken

    def recording(event_id: int) -> ConnectEvent:
        requests_when_locked.append(len(connected.requests))
        return locked(event_id)

    def recording_taken(**given: Any) -> set[int]:
        requests_when_locked.append(len(connected.requests))
        return taken(**given)

    monkeypatch.setattr(online_events, "connect_event_locked", recording)
    monkeypatch.setattr(online_batches, "connect_events_taken", recording_taken)
    session = paid_on_checkout(alpha, connected, amount="20", cover_fees=False)
    payment_intent = session["payment_intent"]
    charge = connected.refund_in_dashboard(payment_intent, amount=500)
    payout = connected.payout_make(ACCOUNT, arrival_date=arrival_timestamp())
    reads = {
        "checkout.session.completed": f"/v1/payment_intents/{payment_intent}",
        "charge.refunded": "/v1/refunds",
        "payout.paid": "/v1/balance_transactions",
    }

    for kind, payload in (
        ("checkout.session.completed", completed(session)),
        ("charge.refunded", connect_event("charge.refunded", charge)),
        ("payout.paid", connect_event("payout.paid", payout)),
    ):
        connected.requests.clear()
        requests_when_locked.clear()
        deliver(payload)

        stored = ConnectEvent.objects.get(type=kind)
        assert stored.outcome == "processed", (kind, stored.outcome_detail)
        read = [request.path for request in connected.requests]
        assert reads[kind] in read, (kind, read)
        # Every request to Stripe was made before the event's row was locked (by the drain
        # that took it, and again by the application on its own of an event not a gift).
        assert requests_when_locked, kind
        assert set(requests_when_locked) == {len(read)}, (kind, read, requests_when_locked)
    with schema_context("alpha"):
        assert GiftRefund.objects.get().amount == Decimal("5.00")
        assert Deposit.objects.get().stripe_payout_id == payout["id"]

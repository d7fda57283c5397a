"""Two workers applying Stripe Connect events of one organization at the same moment, each on a
connection of its own that commits: a monthly gift's checkout and first invoice, a dispute's
opening and closing. The tests run outside any test transaction (on a tenant provisioned for
them and dropped afterwards), so the rows each worker commits are seen by the other; the events
they store in the public schema are deleted afterwards."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django_tenants.utils import schema_context
from pytest_django import DjangoDbBlocker

from saas_platform.lib.connection import connection as tenant_connection
from shared_apps.billing.models import ConnectEvent
from shared_apps.billing.services.connect_events import connect_event_receive
from shared_apps.billing.tests.conftest import fake_stripe, fake_stripe_server  # noqa: F401
from shared_apps.billing.tests.fake_stripe import CONNECT_WEBHOOK_SECRET, FakeStripe, signed
from shared_apps.tenants.models import Organization
from tenant_apps.donations.models import (
    DisputeStatus,
    DonorGivingYear,
    Gift,
    GiftDispute,
    GiftMethod,
    GiftSource,
    GiftState,
    RecurringGift,
)
from tenant_apps.donations.services.gifts import gift_create, gift_post
from tenant_apps.donations.services.online_events import connect_event_apply
from tenant_apps.donations.tests.test_online_disputes import at as dispute_at
from tenant_apps.donations.tests.test_online_gifts import ACCOUNT
from tenant_apps.donations.tests.test_online_monthly import at, started
from tenant_apps.donations.tests.test_online_refunds import balance
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made


@pytest.fixture(autouse=True)
def committing(django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """The database without a test transaction: each write commits. The public schema's rows
    the tests make (the stored events) are deleted afterwards; the tenant is dropped."""
    with django_db_blocker.unblock():
        try:
            yield
        finally:
            tenant_connection.set_schema_to_public()
            ConnectEvent.objects.filter(account_id=ACCOUNT).delete()


@pytest.fixture
def committed_alpha(committed_tenant: Organization) -> Organization:
    return committed_tenant


@pytest.fixture
def connected_committed(
    committed_tenant: Organization,
    fake_stripe: FakeStripe,  # noqa: F811 - the fixture
) -> FakeStripe:
    Organization.objects.filter(pk=committed_tenant.pk).update(
        stripe_account_id=ACCOUNT, stripe_charges_enabled=True, stripe_default_currency="usd"
    )
    return fake_stripe


def _in_a_thread(work: Callable[[], None]) -> threading.Thread:
    def run() -> None:
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _stored(*payloads: dict[str, Any]) -> list[int]:
    """The events received as the webhook receives them, signed; their ids."""
    stored = []
    for payload in payloads:
        body, header = signed(payload, secret=CONNECT_WEBHOOK_SECRET)
        stored.append(connect_event_receive(payload=body, signature=header).pk)
    return stored


def _gift_posted(donor: Donor, payment_reference: str) -> Gift:
    return gift_post(
        gift=gift_create(
            donor=donor,
            amount="50",
            received_on=timezone.localdate(),
            method=GiftMethod.CARD,
            source=GiftSource.ONLINE,
            payment_reference=payment_reference,
            acting_user=None,
        ),
        acting_user=None,
    )


def _applied_at_once(schema_name: str, event_ids: list[int]) -> list[str]:
    """Each event applied by a worker of its own (a thread with its own connection), all
    starting at the same moment; their outcomes, in the order they finished."""
    start = threading.Barrier(len(event_ids))
    outcomes: list[str] = []

    def work(event_id: int) -> None:
        with schema_context(schema_name):
            start.wait(timeout=10)
            outcomes.append(connect_event_apply(event_id=event_id))

    for thread in [_in_a_thread(functools.partial(work, event_id)) for event_id in event_ids]:
        thread.join(timeout=60)
    return outcomes


def test_two_workers_at_once_record_one_monthly_gift_and_one_gift(
    committed_alpha: Organization, connected_committed: FakeStripe
) -> None:
    """The checkout and the first invoice applied by two workers at the same moment, each in
    its own transaction: the subscription's lock makes one wait for the other."""
    session, first = started(connected_committed)
    stored = _stored(at("checkout.session.completed", session), at("invoice.paid", first))

    outcomes = _applied_at_once(committed_alpha.schema_name, stored)

    assert sorted(outcomes) == ["processed", "processed"]
    with schema_context(committed_alpha.schema_name):
        assert RecurringGift.objects.count() == 1
        gift = Gift.objects.get()
        assert gift.recurring_gift_id == RecurringGift.objects.get().pk
        assert Donor.objects.count() == 1


@pytest.mark.parametrize("won", [True, False])
def test_two_workers_applying_the_opening_and_the_closing_at_once_post_each_once(
    committed_tenant: Organization,
    fake_stripe: FakeStripe,  # noqa: F811 - the fixture
    won: bool,
) -> None:
    """`created` and `closed` applied by two workers at the same moment, each in its own
    transaction: the lock on the gift makes one wait, and the hold and release are posted once."""
    Organization.objects.filter(pk=committed_tenant.pk).update(
        stripe_account_id=ACCOUNT, stripe_charges_enabled=True, stripe_default_currency="usd"
    )
    with schema_context(committed_tenant.schema_name):
        gift = _gift_posted(donor_made("Ada", "Lovelace"), "pi_3TestTwoWorkers")
    now = int(time.time())
    withdrawn = {"id": "txn_1TestTwoWorkers", "amount": -5000, "fee": 1500}
    returned = {"id": "txn_1TestTwoWorkersBack", "amount": 5000, "fee": -1500}
    dispute = {
        "id": "du_1TestTwoWorkers",
        "object": "dispute",
        "amount": 5000,
        "created": now,
        "currency": "usd",
        "payment_intent": "pi_3TestTwoWorkers",
        "reason": "fraudulent",
        "status": "needs_response",
        "balance_transactions": [withdrawn],
    }
    decided = {
        **dispute,
        "status": "won" if won else "lost",
        "balance_transactions": [withdrawn, returned] if won else [withdrawn],
    }
    stored = _stored(
        dispute_at("charge.dispute.created", dispute, created=now),
        dispute_at("charge.dispute.closed", decided, created=now + 1),
    )

    outcomes = _applied_at_once(committed_tenant.schema_name, stored)

    assert outcomes == ["processed", "processed"]
    with schema_context(committed_tenant.schema_name):
        record = GiftDispute.objects.get()
        assert record.outcome == (DisputeStatus.WON if won else DisputeStatus.LOST)
        assert record.hold_entry_id and record.release_entry_id
        assert balance("1320") == Decimal(0)
        assert balance("1060") == (Decimal("50.00") if won else Decimal("-15.00"))
        gift.refresh_from_db()
        assert gift.state == (GiftState.POSTED if won else GiftState.REFUNDED)


def test_a_restricted_gift_and_its_payout_applied_at_once_leave_each_fund_exact(
    committed_alpha: Organization,
    connected_committed: FakeStripe,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A gift in a restricted fund and the payout that paid it out, applied by two workers at
    the same moment, three times over, the payout holding on (up to 2 s) after it locked the
    organization's Stripe clearing until the gift is posted: whichever goes first, the other
    sees it, neither waits on the other for ever (a deadlock would fail one of them), and each
    fund's clearing balance ends at zero."""
    from tenant_apps.accounting.models import Restriction
    from tenant_apps.accounting.tests.factories import FundFactory
    from tenant_apps.donations.services import online_events, online_payouts
    from tenant_apps.donations.tests.test_online_gifts import completed
    from tenant_apps.donations.tests.test_online_payouts import (
        arrival_timestamp,
        clearing_by_fund,
        connect_event,
    )

    fake = connected_committed
    payout_lock, late_gift = online_payouts._payout_lock, online_events.payout_funds_of_late_gift
    with schema_context(committed_alpha.schema_name):
        FundFactory.create(code="WELLS", name="Clean water", restriction=Restriction.PURPOSE)
    outcomes: list[str] = []
    for number in range(3):
        paid = fake.gift_paid_on_checkout(
            account=ACCOUNT,
            cents=2000,
            email="ada@example.org",
            metadata={
                "fund": "WELLS",
                "donor_name": "Ada Lovelace",
                "donor_email": "ada@example.org",
            },
            session_id=f"cs_test_race_{number}",
        )
        payout = fake.payout_make(ACCOUNT, arrival_date=arrival_timestamp(timezone.localdate()))
        stored = _stored(completed(paid), connect_event("payout.paid", payout))
        gift_posted = threading.Event()

        def payout_held(payout_id: str, posted: threading.Event = gift_posted) -> None:
            posted.wait(timeout=2)
            payout_lock(payout_id)

        def gift_posted_then(gift: Gift, posted: threading.Event = gift_posted) -> str:
            posted.set()
            return late_gift(gift)

        monkeypatch.setattr(online_payouts, "_payout_lock", payout_held)
        monkeypatch.setattr(online_events, "payout_funds_of_late_gift", gift_posted_then)

        outcomes += _applied_at_once(committed_alpha.schema_name, stored)
        monkeypatch.undo()

    assert outcomes == ["processed"] * 6, [
        (row.type, row.outcome, row.outcome_detail)
        for row in ConnectEvent.objects.filter(account_id=ACCOUNT)
    ]
    with schema_context(committed_alpha.schema_name):
        assert Gift.objects.count() == 3
        assert clearing_by_fund() == {"GEN": Decimal(0), "WELLS": Decimal(0)}


def _drained_at_once(schema_name: str, organization_id: int, drains: int) -> list[int]:
    """`drains` drains of the organization's waiting events, each a worker of its own (a thread
    with its own connection), all starting at the same moment, each draining again while it
    says some may wait (as the task queues itself again); how many events each took."""
    from tenant_apps.donations.services.online_batches import connect_events_drain

    start = threading.Barrier(drains)
    taken: list[int] = []

    def work() -> None:
        with schema_context(schema_name):
            start.wait(timeout=10)
            count, more = connect_events_drain(organization_id=organization_id)
            while more:
                again, more = connect_events_drain(organization_id=organization_id)
                count += again
            taken.append(count)

    for thread in [_in_a_thread(work) for _ in range(drains)]:
        thread.join(timeout=120)
    return taken


def test_two_drains_of_one_organization_at_once_apply_each_event_once(
    committed_alpha: Organization,
    connected_committed: FakeStripe,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Twenty gifts of four donors and the payout of the first ten, stored before two drains
    start at the same moment, taking four events at a time, each holding its first batch until
    the other holds one too: both drains take events, every event is taken by one drain only
    and processed, one gift a payment, one deposit, and Stripe clearing holds what Stripe still
    holds (the gifts not paid out, less their fees)."""
    from tenant_apps.donations.models import Deposit
    from tenant_apps.donations.services import online_batches
    from tenant_apps.donations.tests.test_online_batches import paid
    from tenant_apps.donations.tests.test_online_payouts import connect_event

    fake = connected_committed
    monkeypatch.setattr(online_batches, "DRAIN_BATCH", 4)
    both_holding = threading.Barrier(2)
    first_taken = threading.local()
    take = online_batches.connect_events_taken

    def taken_together(**kwargs: Any) -> set[int]:
        taken = take(**kwargs)
        if taken and not getattr(first_taken, "done", False):
            first_taken.done = True
            both_holding.wait(timeout=20)
        return taken

    monkeypatch.setattr(online_batches, "connect_events_taken", taken_together)
    gifts = [paid(fake, email=f"donor{number % 4}@example.org") for number in range(10)]
    payout = fake.payout_make(ACCOUNT)
    gifts += [paid(fake, email=f"donor{number % 4}@example.org") for number in range(10)]
    stored = _stored(*gifts[:6], connect_event("payout.paid", payout), *gifts[6:])

    taken = _drained_at_once(committed_alpha.schema_name, committed_alpha.pk, drains=2)

    assert sum(taken) == len(stored) == 21, taken
    assert len(taken) == 2 and min(taken) > 0, taken
    assert set(ConnectEvent.objects.filter(pk__in=stored).values_list("outcome", flat=True)) == {
        "processed"
    }
    held = sum(
        int(row["net"])
        for owner, row, paid_out in fake.balance_transactions.values()
        if owner == ACCOUNT and not paid_out
    )
    with schema_context(committed_alpha.schema_name):
        assert Gift.objects.count() == 20
        assert len(set(Gift.objects.values_list("payment_reference", flat=True))) == 20
        assert Donor.objects.count() == 4
        assert Deposit.objects.exclude(stripe_payout_id="").count() == 1
        assert balance("1060") == Decimal(held) / 100
        # The drains' batches added gifts to the same four donors at once: each donor's giving
        # holds every gift once, as the rebuild command computes it from the gifts.
        given = _giving_figures()
        assert (
            sum(total for _, total, _ in given[0])
            == Gift.objects.aggregate(total=Sum("amount"))["total"]
        )
    call_command("donor_giving_rebuild", schema_name=committed_alpha.schema_name)
    with schema_context(committed_alpha.schema_name):
        assert _giving_figures() == given


def _giving_figures() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Each donor's giving columns and fiscal years, in the current schema."""
    return (
        list(Donor.objects.order_by("pk").values_list("pk", "giving_total", "giving_last_on")),
        list(
            DonorGivingYear.objects.order_by("donor_id", "fiscal_year").values_list(
                "donor_id", "fiscal_year", "total", "gift_count", "last_gift_on"
            )
        ),
    )


def test_an_installment_applied_on_its_own_waits_for_the_clearing_before_its_subscription(
    committed_alpha: Organization, connected_committed: FakeStripe
) -> None:
    """Given a monthly gift started and its first invoice stored, while another transaction
    holds the organization's Stripe clearing (as a drain does before it locks its batch's
    subscriptions), when a worker applies the invoice on its own, then it waits without holding
    the subscription's lock (the drain could take it: neither waits for the other), and once
    the clearing is let go the installment is posted."""
    from tenant_apps.donations.services.online_payouts import clearing_lock

    session, first = started(connected_committed)
    checkout, invoice = _stored(
        at("checkout.session.completed", session), at("invoice.paid", first)
    )
    schema_name = committed_alpha.schema_name
    with schema_context(schema_name):
        assert connect_event_apply(event_id=checkout) == "processed"
    holding, release = threading.Event(), threading.Event()

    def hold_the_clearing() -> None:
        with schema_context(schema_name), transaction.atomic():
            clearing_lock()
            holding.set()
            release.wait(timeout=30)

    outcomes: list[str] = []

    def apply_the_invoice() -> None:
        with schema_context(schema_name):
            outcomes.append(connect_event_apply(event_id=invoice))

    holder = _in_a_thread(hold_the_clearing)
    assert holding.wait(timeout=10)
    applier = _in_a_thread(apply_the_invoice)
    try:
        with connection.cursor() as cursor:
            for _ in range(100):  # until the worker waits on an advisory lock
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                )
                if cursor.fetchone()[0]:
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the worker applying the invoice never waited for the clearing")
            cursor.execute(
                "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))",
                [f"stripe-subscription:{session['subscription']}"],
            )
            (subscription_free,) = cursor.fetchone()
    finally:
        release.set()
        holder.join(timeout=30)
        applier.join(timeout=60)

    assert subscription_free
    assert outcomes == ["processed"]
    with schema_context(schema_name):
        assert Gift.objects.get().recurring_gift_id == RecurringGift.objects.get().pk


@pytest.mark.parametrize("holding", ["the gift, refunding it", "the donor, posting a gift"])
def test_a_receipt_is_issued_while_another_transaction_holds_its_gift_or_its_donor(
    committed_alpha: Organization, holding: str
) -> None:
    """Given a posted gift, and another transaction holding it (a refund or a drain's batch
    locks the gift and its donor) or its donor (posting another gift of the donor adds to its
    giving), when the gift's receipt is issued, then it commits without waiting: what a
    receipt refers to is checked with a key-share lock, which those locks leave free. A
    receipts task that waited there could wait on a drain that waited on it (seen as a
    deadlock at a receipts batch's commit)."""
    from tenant_apps.donations.services.gifts import gift_locked
    from tenant_apps.donations.services.receipt_settings import receipt_settings_update
    from tenant_apps.donations.services.receipts import receipts_issue_for_posted_gifts

    schema_name = committed_alpha.schema_name
    with schema_context(schema_name):
        donor = donor_made("Ada", "Lovelace", emails=("ada@example.org",))
        gift = _gift_posted(donor, "pi_3TestReceiptWhileHeld")
        receipt_settings_update(acting_user=None, legal_name="Alpha Relief Fund", ein="12-3456789")
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with schema_context(schema_name), transaction.atomic():
            if holding.startswith("the gift"):
                gift_locked(gift)
            else:
                _gift_posted(donor, "pi_3TestReceiptWhileHeldToo")
            held.set()
            release.wait(timeout=30)

    issued: list[int] = []

    def issue() -> None:
        with schema_context(schema_name):
            issued.extend(
                receipt.pk for receipt in receipts_issue_for_posted_gifts(gift_ids=[gift.pk])
            )

    holder = _in_a_thread(hold)
    try:
        assert held.wait(timeout=10)
        issuer = _in_a_thread(issue)
        issuer.join(timeout=5)
        waited = issuer.is_alive()
    finally:
        release.set()
        holder.join(timeout=30)
    issuer.join(timeout=30)

    assert not waited, f"the receipt waited for the transaction holding {holding}"
    assert len(issued) == 1
    with schema_context(schema_name):
        assert Donor.objects.get().giving_total == (
            Decimal("50.00") if holding.startswith("the gift") else Decimal("100.00")
        )


@pytest.mark.parametrize("issued", ["together", "alone"])
def test_a_gift_refunded_while_its_receipt_is_issued_is_left_with_a_void_receipt(
    committed_alpha: Organization, monkeypatch: pytest.MonkeyPatch, issued: str
) -> None:
    """Given a posted gift whose receipt is being issued (the gift read as posted, its PDF being
    drawn), when another worker refunds the gift and the refund's follow-up runs before the
    receipt commits (it finds no receipt to void), then once the receipt commits it is voided:
    the donor is not left with a receipt for money given back. Issued with a batch's gifts or
    on its own alike."""
    from tenant_apps.donations.models import Receipt
    from tenant_apps.donations.services import receipts
    from tenant_apps.donations.services.gifts import gift_refund
    from tenant_apps.donations.services.receipt_settings import receipt_settings_update
    from tenant_apps.donations.tests.factories import GiftFactory

    schema_name = committed_alpha.schema_name
    with schema_context(schema_name):
        donor = donor_made("Ada", "Lovelace", emails=("ada@example.org",))
        gift = GiftFactory.create(donor=donor, amount="300.00", method="ach", posted=True)
        receipt_settings_update(acting_user=None, legal_name="Alpha Relief Fund", ein="12-3456789")
    render = receipts.receipt_pdf_render

    def refund() -> None:
        with schema_context(schema_name):
            gift_refund(gift=Gift.objects.get(pk=gift.pk), acting_user=None)

    def refunded_while_drawn(*args: Any, **kwargs: Any) -> bytes:
        monkeypatch.setattr(receipts, "receipt_pdf_render", render)
        _in_a_thread(refund).join(timeout=30)
        return render(*args, **kwargs)

    monkeypatch.setattr(receipts, "receipt_pdf_render", refunded_while_drawn)
    with schema_context(schema_name):
        if issued == "together":
            receipts.receipts_issue_for_posted_gifts(gift_ids=[gift.pk])
        else:
            receipts.receipt_issue_for_posted_gift(gift_id=gift.pk)

        assert Gift.objects.get(pk=gift.pk).state == GiftState.REFUNDED
        assert list(
            Receipt.objects.filter(gift_id=gift.pk)
            .order_by("version")
            .values_list("version", "is_void")
        ) == [(1, False), (2, True)]

"""An organization's waiting Connect events applied a batch at a time by a drain: the same
gifts, entries, audit rows, receipts and outcomes as one at a time, in a number of statements
that does not grow with the batch; a bad event needs attention on its own while the others are
applied; the wake-up flag loses no event."""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from saas_platform.lib.connection import connection
from shared_apps.billing.models import ConnectEvent, StripeEventOutcome
from shared_apps.billing.services.connect_events import (
    connect_events_backlog,
    connect_events_drain_started,
    connect_events_drain_wanted,
    connect_events_new,
    connect_events_waiting,
)
from shared_apps.billing.tests.conftest import fake_stripe, fake_stripe_server  # noqa: F401
from shared_apps.billing.tests.fake_stripe import FakeStripe, event, stripe_fee_cents
from tenant_apps.accounting.models import JournalEntry, JournalLine
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations import tasks
from tenant_apps.donations.models import (
    Gift,
    GiftDispute,
    GiftRefund,
    GiftState,
    PayoutTransaction,
    Receipt,
    RecurringGift,
)
from tenant_apps.donations.services import online_batches
from tenant_apps.donations.services.gifts import gift_create
from tenant_apps.donations.services.online_batches import connect_events_drain
from tenant_apps.donations.services.online_events import (
    connect_event_apply,
    events_that_came_first,
    payments_with_events_that_came_first,
)
from tenant_apps.donations.services.receipt_settings import receipt_settings_update
from tenant_apps.donations.tests.test_online_gifts import (  # noqa: F401
    ACCOUNT,
    connected,
    wells_offered,
)
from tenant_apps.donations.tests.test_online_monthly import metadata as monthly_metadata
from tenant_apps.donations.tests.test_online_two_workers import _stored
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def paid(
    fake: FakeStripe,
    *,
    email: str,
    cents: int = 2_500,
    currency: str = "usd",
    name: str = "Ada Lovelace",
    created: int | None = None,
    **metadata: str,
) -> dict[str, Any]:
    """The checkout.session.completed event of a gift paid on Checkout by card, made `created`
    (by default now). A test that gives other events one `now` gives it to these too: a drain
    takes events in the order made, and a second passing in between would change that order."""
    session = fake.gift_paid_on_checkout(
        account=ACCOUNT,
        cents=cents,
        email=email,
        currency=currency,
        metadata={"fund": "GEN", "donor_name": name, "donor_email": email, **metadata},
    )
    return event(
        "checkout.session.completed",
        session,
        created=created or int(time.time()),
        account=ACCOUNT,
    )


def receipting(schema_name: str) -> None:
    """The organization's receipt settings filled in, so that its gifts are receipted."""
    with schema_context(schema_name):
        receipt_settings_update(
            legal_name="Alpha Relief Fund",
            ein="12-3456789",
            signatory_name="Grace Hopper",
            acting_user=None,
        )


@pytest.fixture
def applied_alone(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The events a drain applies on its own (not in a batch), by id, in their order."""
    alone: list[int] = []
    apply = online_batches.connect_event_taken_apply

    def counted(event: ConnectEvent) -> str:
        alone.append(event.pk)
        return apply(event)

    monkeypatch.setattr(online_batches, "connect_event_taken_apply", counted)
    return alone


@pytest.fixture
def batches_applied(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The batches a drain applies, each as its events' ids in their order."""
    batches: list[list[int]] = []
    apply = online_batches._simple_events_apply

    def counted(simple: Any) -> None:
        batches.append([unit.event.pk for unit in simple])
        apply(simple)

    monkeypatch.setattr(online_batches, "_simple_events_apply", counted)
    return batches


def _drained(organization_id: int, capture: Callable[..., Any], *, execute: bool = True) -> int:
    """Drain the organization's waiting events, then run what was queued after commit (the
    receipts) unless `execute` is false."""
    with schema_context("alpha"), capture(execute=execute):
        taken, more = connect_events_drain(organization_id=organization_id)
    assert not more
    return taken


def test_a_drain_applies_gift_events_in_statements_that_do_not_grow_with_the_batch(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """Given batches of 2 and of 9 gifts, each with one new donor and the rest from donors known
    by email, when each is drained, then both take the same number of statements and every
    gift is posted with its fee."""
    with schema_context("alpha"):
        for number in range(8):
            donor_made("Known", f"Donor {number}", emails=(f"known{number}@example.org",))
    organization_id = alpha.organization.pk
    counts = []
    for size, new in ((2, "new-a@example.org"), (9, "new-b@example.org")):
        _stored(
            paid(connected, email=new),
            *[paid(connected, email=f"known{number}@example.org") for number in range(size - 1)],
        )
        with CaptureQueriesContext(connection) as queries:
            taken = _drained(organization_id, django_capture_on_commit_callbacks, execute=False)
        assert taken == size
        counts.append(len(queries))
        # The gifts', entries' and postings' audit rows, in one statement.
        assert sum('INSERT INTO "accounting_auditevent"' in q["sql"] for q in queries) == 1
        # One savepoint a transaction the drain opens (here inside the test's): reading the
        # waiting events, applying them, and the batch's own, which a failure rolls back to.
        # The services the batch calls (donors, gifts, entries) make none of their own.
        savepoints = [q["sql"] for q in queries if q["sql"].startswith("SAVEPOINT")]
        assert len(savepoints) == 3, savepoints

    assert counts[0] == counts[1], counts
    # Fewer than one event takes on its own (46); counted with the test's savepoints. One is
    # the receipt settings read, which decides whether the receipts' task is queued.
    assert counts[0] <= 33, counts
    assert not ConnectEvent.objects.filter(account_id=ACCOUNT).exclude(outcome="processed")
    with schema_context("alpha"):
        assert Gift.objects.filter(state=GiftState.POSTED).count() == 11
        assert Donor.objects.filter(emails__email__startswith="new-").count() == 2
        assert JournalEntry.objects.filter(source="fee").count() == 11


def _normalized(text: str, names: dict[int, str], monthly: dict[int, str] | None = None) -> str:
    """The text with each gift's number replaced by its payment (and each monthly gift's by its
    subscription), and deposits' numbers left out: the numbers depend on the order rows were
    made in."""
    text = re.sub(r"(deposit )\d+", r"\1#", text)
    text = re.sub(
        r"([Mm]onthly gift |Recurring gift )(\d+)",
        lambda found: found[1] + (monthly or {}).get(int(found[2]), "?"),
        text,
    )
    return re.sub(
        r"((?<![Mm]onthly )(?<!Recurring )[Gg]ift[: ])(\d+)",
        lambda found: found[1] + names.get(int(found[2]), "?"),
        text,
    )


def _books() -> dict[str, Any]:
    """What the events left in the books and the log, with each gift named by its payment."""
    names = {gift.pk: gift.payment_reference for gift in Gift.objects.all()}
    monthly = dict(RecurringGift.objects.values_list("pk", "stripe_subscription_id"))
    return {
        "gifts": sorted(
            (
                gift.payment_reference,
                gift.donor.display_name,
                gift.donor.email_news_ok,
                f"{gift.amount:.2f}",
                gift.method,
                gift.source,
                gift.state,
                gift.received_on.isoformat(),
                gift.currency,
                tuple(gift.allocations.values_list("fund__code", "amount")),
                gift.journal_entry.number if gift.journal_entry else None,
                gift.stripe_invoice_id,
                gift.recurring_gift.stripe_subscription_id if gift.recurring_gift else "",
            )
            for gift in Gift.objects.select_related("donor", "journal_entry", "recurring_gift")
        ),
        "monthly": sorted(
            RecurringGift.objects.values_list(
                "stripe_subscription_id", "donor__display_name", "state", "method", "next_on"
            )
        ),
        "entries": sorted(
            (
                entry.number,
                _normalized(entry.memo, names),
                entry.source,
                _normalized(entry.source_reference, names),
                entry.state,
                tuple(
                    entry.lines.order_by("id").values_list(
                        "account__code", "fund__code", "debit", "credit"
                    )
                ),
            )
            for entry in JournalEntry.objects.all()
        ),
        "audit": Counter(
            (action, object_type, tuple(sorted(detail)))
            for action, object_type, detail in AuditEvent.objects.values_list(
                "action", "object_type", "detail"
            )
        ),
        "receipts": sorted(
            (_normalized(f"gift {receipt.gift_id}", names), receipt.kind, str(receipt.amount))
            for receipt in Receipt.objects.all()
        ),
        "donors": sorted(
            Donor.objects.values_list("display_name", "emails__email", "email_news_ok")
        ),
        "outcomes": sorted(
            (stripe_id, outcome, _normalized(detail, names, monthly))
            for stripe_id, outcome, detail in ConnectEvent.objects.filter(
                account_id=ACCOUNT
            ).values_list("stripe_id", "outcome", "outcome_detail")
        ),
    }


class _Undone(Exception):
    pass


def _one_at_a_time_and_drained(
    tenant: Tenant, stored: list[int], capture: Callable[..., Any], *, processed: bool = True
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The books after the stored events are drained (then undone), and after they are applied
    one at a time in the order the drain applied them (its batches' events in their order)."""
    order: list[int] = []
    batch, alone = online_batches._simple_events_apply, online_batches.connect_event_taken_apply

    def batch_noted(simple: Any) -> None:
        start = len(order)
        order.extend(unit.event.pk for unit in simple)
        noted = len(order)
        batch(simple)
        if len(order) > noted:  # refused whole, then applied one at a time (noted so)
            del order[start:noted]

    def alone_noted(event: ConnectEvent) -> str:
        order.append(event.pk)
        return alone(event)

    online_batches._simple_events_apply = batch_noted
    online_batches.connect_event_taken_apply = alone_noted
    try:
        with pytest.raises(_Undone), transaction.atomic():
            assert _drained(tenant.organization.pk, capture) == len(stored)
            with schema_context(tenant.organization.schema_name):
                drained = _books()
            raise _Undone
    finally:
        online_batches._simple_events_apply = batch
        online_batches.connect_event_taken_apply = alone
    assert sorted(order) == sorted(stored)
    with schema_context(tenant.organization.schema_name), capture(execute=True):
        for event_id in order:
            outcome = connect_event_apply(event_id=event_id)
            assert outcome == "processed" or not processed, outcome
    with schema_context(tenant.organization.schema_name):
        return _books(), drained


def test_a_drain_records_what_applying_each_event_on_its_own_records(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """Given gifts of known and new donors (one giving twice, one opting in), a payout-free day and
    a tribute, when they are drained (then undone) and applied one at a time in the drain's
    order, then the books, the log, the receipts and the outcomes are the same."""
    receipting("alpha")
    with schema_context("alpha"):
        donor_made("Known", "Donor", emails=("known@example.org",))
    stored = _stored(
        paid(connected, email="known@example.org", cents=1_000),
        paid(connected, email="new@example.org", cents=2_000, name="Nell New"),
        paid(connected, email="new@example.org", cents=3_000, name="Nell New"),
        paid(connected, email="other@example.org", cents=4_000, email_opt_in="yes"),
        paid(
            connected,
            email="tribute@example.org",
            cents=5_000,
            tribute_type="honor",
            tribute_name="Grandma",
            cover_fees="yes",
            amount_chosen="48.00",
        ),
    )

    one_at_a_time, drained = _one_at_a_time_and_drained(
        alpha, stored, django_capture_on_commit_callbacks
    )

    assert len(drained["gifts"]) == 5
    assert len(drained["receipts"]) == 5
    assert drained == one_at_a_time


def test_a_drain_records_installments_of_monthly_gifts_as_applying_each_on_its_own_does(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
    applied_alone: list[int],
) -> None:
    """Given two monthly gifts started, then their installments among one-time gifts (two of one
    subscription in a row) and the first invoice of a monthly gift whose checkout has not
    arrived, when they are drained (then undone) and applied one at a time in the drain's order,
    then the books, the monthly gifts' next charges, the log and the outcomes are the same; the
    drain applied on its own only the invoice with no monthly gift yet (a subscription's second
    installment waits for the next batch, which sees the first's next charge)."""
    receipting("alpha")
    now = int(time.time())
    starts = [
        connected.subscription_checkout_pay(
            account=ACCOUNT,
            amount=cents,
            metadata=monthly_metadata(donor_email=email, donor_name=name),
            email=email,
            name=name,
        )
        for cents, email, name in (
            (2_500, "ada@example.org", "Ada Lovelace"),
            (4_000, "alan@example.org", "Alan Turing"),
            (1_500, "grace@example.org", "Grace Hopper"),
        )
    ]
    (ada, ada_first), (alan, alan_first), (_, grace_first) = starts
    for session in (ada, alan):
        [started_id] = _stored(
            event("checkout.session.completed", session, created=now, account=ACCOUNT)
        )
        with schema_context("alpha"), django_capture_on_commit_callbacks(execute=True):
            assert connect_event_apply(event_id=started_id) == "processed"
    ada_second = connected.subscription_invoice_pay(ada["subscription"])
    # Made in the same second: drained in the order they were stored, as applied one by one.
    stored = _stored(
        event("invoice.paid", ada_first, created=now, account=ACCOUNT),
        {**paid(connected, email="new@example.org", cents=2_000, name="Nell New"), "created": now},
        event("invoice.paid", ada_second, created=now, account=ACCOUNT),
        event("invoice.paid", alan_first, created=now, account=ACCOUNT),
        event("invoice.paid", grace_first, created=now, account=ACCOUNT),
        {**paid(connected, email="ada@example.org", cents=3_000), "created": now},
    )

    one_at_a_time, drained = _one_at_a_time_and_drained(
        alpha, stored, django_capture_on_commit_callbacks
    )

    assert drained == one_at_a_time
    assert applied_alone == [stored[4]]
    installments = [gift for gift in drained["gifts"] if gift[-1]]
    assert len(installments) == 4 and len(drained["gifts"]) == 6
    assert sum("an installment of monthly gift" in o[2] for o in drained["outcomes"]) == 4
    with schema_context("alpha"):
        recurring = RecurringGift.objects.get(stripe_subscription_id=ada["subscription"])
        assert recurring.gifts.count() == 2
        period_end = ada_second["lines"]["data"][0]["period"]["end"]
        assert recurring.next_on == timezone.localdate(datetime.fromtimestamp(period_end, UTC))


def test_an_installment_whose_payment_a_gift_records_already_is_drained_as_applied_alone(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
    applied_alone: list[int],
) -> None:
    """Given a monthly gift's second installment whose PaymentIntent a gift entered by hand
    records already (under no invoice), among one-time gifts, when they are drained (then
    undone) and applied one at a time in the drain's order, then the books, the log and the
    outcomes are the same and the payment is recorded once: the batch's gifts are refused by
    the gifts' unique payment reference, and the drain goes one event at a time."""
    now = int(time.time())
    ada, _ = _started(connected, 2_500, "ada@example.org", "Ada Lovelace")
    [started_id] = _stored(event("checkout.session.completed", ada, created=now, account=ACCOUNT))
    with schema_context("alpha"), django_capture_on_commit_callbacks(execute=True):
        assert connect_event_apply(event_id=started_id) == "processed"
    second = connected.subscription_invoice_pay(ada["subscription"])
    payment = connected.invoice_payments[second["id"]][1]["payment"]["payment_intent"]
    with schema_context("alpha"):
        gift_create(
            donor=donor_made("Hand", "Entered"),
            amount="25.00",
            received_on=timezone.localdate(),
            method="card",
            acting_user=None,
            payment_reference=payment,
        )
    stored = _stored(
        {**paid(connected, email="nell@example.org", cents=2_000, name="Nell New"), "created": now},
        event("invoice.paid", second, created=now, account=ACCOUNT),
        {**paid(connected, email="ada@example.org", cents=3_000), "created": now},
    )

    one_at_a_time, drained = _one_at_a_time_and_drained(
        alpha, stored, django_capture_on_commit_callbacks, processed=False
    )

    assert drained == one_at_a_time
    assert sorted(applied_alone) == sorted(stored)  # the batch was refused whole
    with schema_context("alpha"):
        assert Gift.objects.filter(payment_reference=payment).count() == 1
    assert len(drained["gifts"]) == 3  # the hand-entered one and the two paid on Checkout


def _started(
    fake: FakeStripe, cents: int, email: str, name: str, **extra: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A monthly gift started on Checkout: its checkout's session and its first invoice."""
    return fake.subscription_checkout_pay(
        account=ACCOUNT,
        amount=cents,
        metadata=monthly_metadata(donor_email=email, donor_name=name, **extra),
        email=email,
        name=name,
    )


def test_a_drain_starts_monthly_gifts_as_applying_each_on_its_own_does(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
    applied_alone: list[int],
) -> None:
    """Given monthly gifts started by a known donor, by a new one who then gives once, by a new one
    who gave once just before, one to a fund, one whose first invoice follows it, and a second
    checkout event of a monthly gift started already, when they are drained (then undone) and
    applied one at a time in the drain's order, then the monthly gifts, donors, books, log and
    outcomes are the same. Applied on its own: the start of the new donor with a postcode to
    match (by name and postcode, not a batch's work) and the second checkout event."""
    receipting("alpha")
    wells_offered("alpha")
    with schema_context("alpha"):
        donor_made("Known", "Donor", emails=("known@example.org",))
        donor_made("Walt", "Wells", emails=("wells@example.org",))
        donor_made("Pat", "Paid", emails=("paid@example.org",))
    now = int(time.time())
    known, _ = _started(connected, 2_500, "known@example.org", "Known Donor")
    nell, _ = _started(connected, 1_000, "nell@example.org", "Nell New")
    olga, _ = _started(connected, 3_000, "olga@example.org", "Olga Once")
    wells, _ = _started(connected, 4_000, "wells@example.org", "Walt Wells", fund="WELLS")
    first_paid, first_invoice = _started(connected, 1_500, "paid@example.org", "Pat Paid")
    again, _ = _started(connected, 2_000, "again@example.org", "Al Again")
    [started_id] = _stored(event("checkout.session.completed", again, created=now, account=ACCOUNT))
    with schema_context("alpha"), django_capture_on_commit_callbacks(execute=True):
        assert connect_event_apply(event_id=started_id) == "processed"

    def checkout(session: dict[str, Any]) -> dict[str, Any]:
        return event("checkout.session.completed", session, created=now, account=ACCOUNT)

    stored = _stored(
        checkout(known),
        checkout(nell),
        {**paid(connected, email="nell@example.org", cents=2_000, name="Nell New"), "created": now},
        {**paid(connected, email="olga@example.org", cents=500, name="Olga Once"), "created": now},
        checkout(olga),
        checkout(wells),
        checkout(first_paid),
        event("invoice.paid", first_invoice, created=now, account=ACCOUNT),
        checkout(again),
    )

    one_at_a_time, drained = _one_at_a_time_and_drained(
        alpha, stored, django_capture_on_commit_callbacks
    )

    assert drained == one_at_a_time
    assert applied_alone == [stored[1], stored[-1]]
    assert len(drained["monthly"]) == 6
    assert sum("started for" in outcome[2] for outcome in drained["outcomes"]) == 6
    with schema_context("alpha"):
        assert Donor.objects.filter(emails__email="nell@example.org").count() == 1
        walt = RecurringGift.objects.get(stripe_subscription_id=wells["subscription"])
        assert walt.fund.code == "WELLS" and walt.gifts.count() == 0
        pat = RecurringGift.objects.get(stripe_subscription_id=first_paid["subscription"])
        assert pat.gifts.count() == 1


def test_a_monthly_gift_started_by_a_donor_who_ticked_the_box_opts_them_in_to_the_news(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """Given monthly gifts started with the news box ticked, by a known donor not opted in and
    by a new donor who gave once just before (ticking it too), and one left unticked by a donor
    opted in, when they are drained (then undone) and applied one at a time in the drain's
    order, then the books are the same: the first two are opted in, the third keeps the news."""
    with schema_context("alpha"):
        donor_made("Known", "Donor", emails=("known@example.org",))
        kept = donor_made("Kept", "Donor", emails=("kept@example.org",))
        kept.email_news_ok = True
        kept.save(update_fields=["email_news_ok"])
    now = int(time.time())
    known, _ = _started(connected, 2_500, "known@example.org", "Known Donor", email_opt_in="yes")
    olga, _ = _started(connected, 3_000, "olga@example.org", "Olga Once", email_opt_in="yes")
    unticked, _ = _started(connected, 1_000, "kept@example.org", "Kept Donor", email_opt_in="no")
    stored = _stored(
        event("checkout.session.completed", known, created=now, account=ACCOUNT),
        {
            **paid(connected, email="olga@example.org", cents=500, email_opt_in="yes"),
            "created": now,
        },
        event("checkout.session.completed", olga, created=now, account=ACCOUNT),
        event("checkout.session.completed", unticked, created=now, account=ACCOUNT),
    )

    one_at_a_time, drained = _one_at_a_time_and_drained(
        alpha, stored, django_capture_on_commit_callbacks
    )

    assert drained == one_at_a_time
    with schema_context("alpha"):
        assert dict(
            Donor.objects.filter(
                emails__email__in=["known@example.org", "olga@example.org"]
            ).values_list("emails__email", "email_news_ok")
        ) == {"known@example.org": True, "olga@example.org": True}
        assert Donor.objects.get(pk=kept.pk).email_news_ok is True


def test_monthly_gifts_started_in_a_batch_take_statements_that_do_not_grow_with_them(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
    applied_alone: list[int],
) -> None:
    """Given drains of a gift from a new donor and monthly gifts started by that donor and by
    known ones, one and five, when each is drained, then both take the same statements and
    none is applied on its own."""
    with schema_context("alpha"):
        for number in range(5):
            donor_made("Known", f"Donor {number}", emails=(f"known{number}@example.org",))
    now = int(time.time())
    counts = []
    for size, new in ((1, "new-a@example.org"), (5, "new-b@example.org")):
        sessions = [_started(connected, 1_000, new, "New Donor")[0]] + [
            _started(connected, 1_000, f"known{n}@example.org", f"Known Donor {n}")[0]
            for n in range(size - 1)
        ]
        _stored(
            paid(connected, email=new, created=now),
            *[
                event("checkout.session.completed", session, created=now, account=ACCOUNT)
                for session in sessions
            ],
        )
        with CaptureQueriesContext(connection) as queries:
            taken = _drained(
                alpha.organization.pk, django_capture_on_commit_callbacks, execute=False
            )
        assert taken == 1 + size
        counts.append(len(queries))

    assert counts[0] == counts[1], counts
    assert applied_alone == []
    with schema_context("alpha"):
        assert RecurringGift.objects.count() == 6


def _refunded(charge: dict[str, Any], created: int) -> dict[str, Any]:
    return event("charge.refunded", charge, created=created, account=ACCOUNT)


def _gifts_drained(
    tenant: Tenant, fake: FakeStripe, capture: Callable[..., Any], cents: list[int]
) -> list[str]:
    """Gifts of these amounts (from early0@example.org and on) drained; their PaymentIntents."""
    gifts = [paid(fake, email=f"early{n}@example.org", cents=each) for n, each in enumerate(cents)]
    _stored(*gifts)
    _drained(tenant.organization.pk, capture)
    return [gift["data"]["object"]["payment_intent"] for gift in gifts]


def test_a_drain_records_refunds_as_applying_each_on_its_own_does(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
    applied_alone: list[int],
) -> None:
    """Given receipted gifts recorded earlier and then, among new gifts: a whole refund ahead of
    every gift, one in part, a charge refunded in part twice and then in full (all three in its
    first event, nothing new in its second), and a refund of a gift the same drain records, when
    they are drained (then undone) and applied one at a time in the drain's order, then the
    books (entry numbers included), the receipts, the log and the outcomes are the same; the
    drain applied on its own only the second event of the charge it had refunded already."""
    receipting("alpha")
    whole, part, thrice = _gifts_drained(
        alpha, connected, django_capture_on_commit_callbacks, [2_000, 2_001, 2_002]
    )
    now = int(time.time())
    first_new = paid(connected, email="new@example.org", cents=5_000, name="Nell New", created=now)
    second_new = paid(connected, email="early0@example.org", cents=7_000, created=now)
    connected.refund_in_dashboard(thrice, amount=300)
    connected.refund_in_dashboard(thrice, amount=400)
    all_of_it = _refunded(connected.refund_in_dashboard(thrice), now)
    late = second_new["data"]["object"]["payment_intent"]
    stored = _stored(
        _refunded(connected.refund_in_dashboard(whole), now),
        first_new,
        _refunded(connected.refund_in_dashboard(part, amount=500), now),
        second_new,
        all_of_it,
        {**all_of_it, "id": all_of_it["id"] + "again"},
        _refunded(connected.refund_in_dashboard(late, amount=1_000), now),
        paid(connected, email="last@example.org", cents=900, created=now),
    )

    one_at_a_time, drained = _one_at_a_time_and_drained(
        alpha, stored, django_capture_on_commit_callbacks
    )

    assert drained == one_at_a_time
    assert applied_alone == [stored[5]]
    with schema_context("alpha"):
        states = dict(Gift.objects.values_list("payment_reference", "state"))
        assert [states[intent] for intent in (whole, part, thrice, late)] == [
            GiftState.REFUNDED,
            GiftState.POSTED,
            GiftState.REFUNDED,
            GiftState.POSTED,
        ]
        assert GiftRefund.objects.count() == 6
        reversal = JournalEntry.objects.get(source="reversal")
        assert reversal.reverses is not None and reversal.reverses.state == "reversed"
    assert sum("Refunds recorded on gift" in o[2] for o in drained["outcomes"]) == 4
    assert sum("already recorded: nothing to do" in o[2] for o in drained["outcomes"]) == 1


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_gifts_and_refunds_in_any_order_are_drained_as_applied_one_at_a_time(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
    applied_alone: list[int],
    seed: int,
) -> None:
    """Given gifts recorded earlier, new gifts, and refunds of both (whole, in part, a charge
    refunded twice, a refund of a gift not yet recorded), in an order shuffled by the seed, when
    they are drained (then undone) and applied one at a time in the drain's order, then the
    books (entry numbers included), the receipts, the log and the outcomes are the same, and the
    refunds of gifts recorded before are drained in batches."""
    receipting("alpha")
    old = _gifts_drained(
        alpha, connected, django_capture_on_commit_callbacks, [3_000, 3_001, 3_002]
    )
    new = [paid(connected, email=f"new{n}@example.org", cents=4_000 + n) for n in range(3)]
    fresh = [gift["data"]["object"]["payment_intent"] for gift in new]
    now = int(time.time())
    refunds = [
        _refunded(connected.refund_in_dashboard(old[0]), now),
        _refunded(connected.refund_in_dashboard(old[1], amount=700), now),
        _refunded(connected.refund_in_dashboard(old[2], amount=300), now),
        _refunded(connected.refund_in_dashboard(old[2], amount=200), now),
        _refunded(connected.refund_in_dashboard(fresh[0], amount=1_000), now),
        _refunded(connected.refund_in_dashboard(fresh[1]), now),
    ]
    events = [*new, *refunds]
    random.Random(seed).shuffle(events)
    stored = _stored(*[{**each, "created": now} for each in events])

    applied_alone.clear()
    one_at_a_time, drained = _one_at_a_time_and_drained(
        alpha, stored, django_capture_on_commit_callbacks, processed=False
    )

    assert drained == one_at_a_time
    # Only a refund of a gift the same drain records goes on its own, after its gift.
    refunds_batched = [
        pk
        for pk, each in zip(stored, events, strict=True)
        if each["type"] == "charge.refunded" and pk not in applied_alone
    ]
    assert len(refunds_batched) >= 4, applied_alone
    with schema_context("alpha"):
        assert GiftRefund.objects.count() == 6
        assert Gift.objects.filter(state=GiftState.REFUNDED).count() == 2


def test_refunds_in_a_batch_take_statements_that_do_not_grow_with_them(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
    applied_alone: list[int],
) -> None:
    """Given gifts recorded earlier, when a gift followed by two refunds (one whole, one in
    part) is drained, and then a gift followed by six, then both drains take the same number
    of statements, and none is applied on its own."""
    organization_id = alpha.organization.pk
    intents = _gifts_drained(alpha, connected, django_capture_on_commit_callbacks, [2_000] * 8)
    counts = []
    for chosen in (intents[:2], intents[2:]):
        _stored(
            paid(connected, email="early0@example.org"),
            *[
                _refunded(
                    connected.refund_in_dashboard(intent, amount=None if n % 2 else 700),
                    int(time.time()),
                )
                for n, intent in enumerate(chosen)
            ],
        )
        with CaptureQueriesContext(connection) as queries:
            # The receipts' tasks not run: they are the worker's after the drain.
            taken = _drained(organization_id, django_capture_on_commit_callbacks, execute=False)
        assert taken == 1 + len(chosen)
        counts.append(len(queries))

    assert counts[0] == counts[1], counts
    assert applied_alone == []
    with schema_context("alpha"):
        assert GiftRefund.objects.count() == 8
        assert Gift.objects.filter(state=GiftState.REFUNDED).count() == 4


def test_a_refund_stripe_lists_in_a_shape_the_batch_cannot_read_goes_on_its_own(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
    applied_alone: list[int],
) -> None:
    """Given two gifts recorded earlier, when their charges' refunds are drained and Stripe
    lists one refund with an amount that is not a number, then that event alone is applied on
    its own (its failure kept on it) and the other refund is recorded in the batch."""
    organization_id = alpha.organization.pk
    good, bad = _gifts_drained(alpha, connected, django_capture_on_commit_callbacks, [2_500] * 2)
    now = int(time.time())
    refunds = _stored(
        _refunded(connected.refund_in_dashboard(good), now),
        _refunded(connected.refund_in_dashboard(bad), now),
    )
    (unreadable,) = connected.refunds_of(bad)
    unreadable["amount"] = "twenty"

    assert _drained(organization_id, django_capture_on_commit_callbacks) == 2

    assert applied_alone == [refunds[1]]
    outcomes = dict(ConnectEvent.objects.filter(pk__in=refunds).values_list("pk", "outcome"))
    assert outcomes == {refunds[0]: "processed", refunds[1]: StripeEventOutcome.FAILED}
    with schema_context("alpha"):
        assert list(GiftRefund.objects.values_list("gift__payment_reference", flat=True)) == [good]


def test_gifts_paid_out_before_they_are_recorded_are_drained_as_each_on_its_own(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
    applied_alone: list[int],
) -> None:
    """Given a payout applied before the gifts it paid out (two to the general fund, one to a
    restricted fund between them), when they are applied one at a time and when they are
    drained, then the books are the same: the restricted gift's part moved to its fund, by the
    drain applying that gift on its own and the others in its batches."""
    wells_offered("alpha")
    payloads = [
        paid(connected, email="g1@example.org", cents=1_000),
        paid(connected, email="wells@example.org", cents=2_000, fund="WELLS"),
        paid(connected, email="g2@example.org", cents=3_000),
    ]
    payout = connected.payout_make(ACCOUNT, arrival_date=int(time.time()))
    [payout_id] = _stored(event("payout.paid", payout, created=int(time.time()), account=ACCOUNT))
    with schema_context("alpha"), django_capture_on_commit_callbacks(execute=True):
        assert connect_event_apply(event_id=payout_id) == "processed"
    stored = _stored(*payloads)

    one_at_a_time, drained = _one_at_a_time_and_drained(
        alpha, stored, django_capture_on_commit_callbacks
    )

    assert drained == one_at_a_time
    assert applied_alone == [stored[1]]
    moved = [entry for entry in drained["entries"] if "known now" in entry[1]]
    assert len(moved) == 1 and "WELLS" in str(moved[0][5])
    assert sum("Paid out before it was recorded" in o[2] for o in drained["outcomes"]) == 1


def test_a_drain_applies_its_gifts_as_one_batch_before_its_payouts(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
    applied_alone: list[int],
    batches_applied: list[list[int]],
) -> None:
    """Given a payout of three gifts (one to a restricted fund) delivered before them and
    between them, when they are drained, then the gifts are one batch and the payout is
    applied after it, finding every gift it paid out recorded (nothing moved between funds
    afterwards), and the books are as applying each on its own in that order makes them."""
    wells_offered("alpha")
    payloads = [
        paid(connected, email="g1@example.org", cents=1_000),
        paid(connected, email="wells@example.org", cents=2_000, fund="WELLS"),
        paid(connected, email="g2@example.org", cents=3_000),
    ]
    payout = connected.payout_make(ACCOUNT, arrival_date=int(time.time()))
    paid_out = event("payout.paid", payout, created=int(time.time()), account=ACCOUNT)
    stored = _stored(payloads[0], paid_out, *payloads[1:])
    order = [
        event.pk
        for event in online_batches.apply_order(
            [ConnectEvent.objects.get(pk=event_id) for event_id in stored]
        )
    ]

    one_at_a_time, drained = _one_at_a_time_and_drained(
        alpha, order, django_capture_on_commit_callbacks
    )

    assert order == [stored[0], *stored[2:], stored[1]]
    assert drained == one_at_a_time
    assert [len(batch) for batch in batches_applied] == [3] and applied_alone == [stored[1]]
    assert not [entry for entry in drained["entries"] if "known now" in entry[1]]
    with schema_context("alpha"):
        assert PayoutTransaction.objects.exclude(payment_intent="").count() == 3


def test_an_event_left_for_after_the_batch_keeps_its_donors_later_events_after_it(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
    applied_alone: list[int],
    batches_applied: list[list[int]],
) -> None:
    """Given a new donor's gift with a billing address (matched by name and postcode, on its
    own), gifts of known donors, and the same donor's next gift, when they are drained, then
    the known donors' gifts are one batch, the first gift is applied on its own after it and
    the donor's next gift after that (finding the donor it made), and the books are as applying
    each on its own in that order makes them."""
    with schema_context("alpha"):
        for number in range(2):
            donor_made("Known", f"Donor {number}", emails=(f"known{number}@example.org",))
    addressed = paid(connected, email="nell@example.org", cents=1_000, name="Nell New")
    addressed["data"]["object"]["customer_details"] = {
        "email": "nell@example.org",
        "name": "Nell New",
        "address": {"postal_code": "94107", "country": "US", "line1": "1 Main St"},
    }
    stored = _stored(
        addressed,
        paid(connected, email="known0@example.org"),
        paid(connected, email="nell@example.org", cents=2_000, name="Nell New"),
        paid(connected, email="known1@example.org"),
    )
    one_at_a_time, drained = _one_at_a_time_and_drained(
        alpha, stored, django_capture_on_commit_callbacks
    )

    assert drained == one_at_a_time
    assert batches_applied[0] == [stored[1], stored[3]]
    assert applied_alone[0] == stored[0]
    assert [stored[2]] in batches_applied or stored[2] in applied_alone
    with schema_context("alpha"):
        nell = Donor.objects.get(emails__email="nell@example.org")
        assert nell.gifts.count() == 2 and nell.addresses.count() == 1


def _fees_recorded(event_ids: list[int]) -> list[str]:
    return [
        re.search(r"Stripe fee [0-9]+[.][0-9]{2}", detail).group(0)  # type: ignore[union-attr]
        for detail in ConnectEvent.objects.filter(pk__in=event_ids)
        .order_by("pk")
        .values_list("outcome_detail", flat=True)
    ]


def test_a_drain_reads_its_gifts_payments_from_one_list_of_the_accounts_charges(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """Given six gifts paid as their events were made and one paid an hour before its event,
    when they are drained, then Stripe is asked for one list of the account's charges around
    the events' times, and for the early one's payment alone; each gift has its own fee."""
    connected.clock = int(time.time()) - 3600
    early = paid(connected, email="early@example.org", cents=9_000)
    connected.clock = None
    amounts = [9_000, *[1_000 * (number + 1) for number in range(6)]]
    stored = _stored(
        early,
        *[
            paid(connected, email=f"l{n}@example.org", cents=cents)
            for n, cents in enumerate(amounts[1:])
        ],
    )
    connected.requests.clear()

    assert _drained(alpha.organization.pk, django_capture_on_commit_callbacks) == 7

    [listed] = connected.calls("/v1/charges")
    assert listed.headers["stripe-account"] == ACCOUNT
    assert listed.params["expand[0]"] == "data.balance_transaction"
    assert int(listed.params["created[gte]"]) > connected.now() - 3600
    early_payment = early["data"]["object"]["payment_intent"]
    assert [
        request.path for request in connected.requests if "payment_intents" in request.path
    ] == [f"/v1/payment_intents/{early_payment}"]
    assert _fees_recorded(stored) == [
        f"Stripe fee {stripe_fee_cents(cents) / 100:.2f}" for cents in amounts
    ]
    with schema_context("alpha"):
        assert Gift.objects.filter(state=GiftState.POSTED).count() == 7


def test_a_list_of_charges_stripe_does_not_answer_leaves_each_payment_to_its_own_read(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    connected.failures["/v1/charges"] = 400
    amounts = [1_500 * (number + 1) for number in range(5)]
    stored = _stored(
        *[paid(connected, email=f"n{n}@example.org", cents=c) for n, c in enumerate(amounts)]
    )

    assert _drained(alpha.organization.pk, django_capture_on_commit_callbacks) == 5

    assert len(connected.calls("/v1/charges")) == 1
    assert len([r for r in connected.requests if "payment_intents" in r.path]) == 5
    assert _fees_recorded(stored) == [
        f"Stripe fee {stripe_fee_cents(cents) / 100:.2f}" for cents in amounts
    ]


def test_a_bad_event_in_a_batch_needs_attention_and_the_others_are_applied(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    good_first, bad, good_last = _stored(
        paid(connected, email="a@example.org"),
        paid(connected, email="b@example.org", currency="eur"),
        paid(connected, email="c@example.org"),
    )

    assert _drained(alpha.organization.pk, django_capture_on_commit_callbacks) == 3

    outcomes = dict(ConnectEvent.objects.values_list("pk", "outcome"))
    assert outcomes[bad] == StripeEventOutcome.NEEDS_ATTENTION
    assert outcomes[good_first] == outcomes[good_last] == StripeEventOutcome.PROCESSED
    assert "EUR" in ConnectEvent.objects.get(pk=bad).outcome_detail
    with schema_context("alpha"):
        assert sorted(Gift.objects.values_list("donor__emails__email", flat=True)) == [
            "a@example.org",
            "c@example.org",
        ]


def test_events_not_shaped_as_stripe_shapes_them_fail_on_their_own_and_the_drain_goes_on(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """Given paid checkouts around signed events the batch cannot read (metadata that is a
    number, a name that is a list), when they are drained, then the drain does not fail: the
    good gifts are posted and each unreadable event needs attention, saying why. (The drain used
    to stop at the first at every try, holding the organization's gifts back until the
    quarter-hour retry took its events one at a time.)"""
    metadata_a_number = paid(connected, email="m@example.org")
    metadata_a_number["data"]["object"]["metadata"] = 1.5
    details_a_list = paid(connected, email="d@example.org")
    details_a_list["data"]["object"]["customer_details"] = ["Ada"]
    first, *unreadable, last = _stored(
        paid(connected, email="a@example.org"),
        metadata_a_number,
        details_a_list,
        paid(connected, email="z@example.org"),
    )

    assert _drained(alpha.organization.pk, django_capture_on_commit_callbacks) == 4

    outcomes = dict(ConnectEvent.objects.values_list("pk", "outcome"))
    assert outcomes[first] == outcomes[last] == StripeEventOutcome.PROCESSED
    for event_id in unreadable:
        assert outcomes[event_id] == StripeEventOutcome.NEEDS_ATTENTION
        assert ConnectEvent.objects.get(pk=event_id).outcome_detail == (
            "The checkout's metadata or customer details are not objects."
        )
    with schema_context("alpha"):
        assert sorted(Gift.objects.values_list("donor__emails__email", flat=True)) == [
            "a@example.org",
            "z@example.org",
        ]
        assert JournalEntry.objects.filter(source="fee").count() == 2


def test_a_failure_reading_ahead_only_loses_what_was_read_ahead(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Given reading ahead fails outright, when the events are drained, then each gift reads
    its payment when it is applied, and every one is posted with its fee."""

    def failing(**_: Any) -> set[str]:
        raise RuntimeError("reading ahead failed")

    monkeypatch.setattr(online_batches, "stripe_payments_read_ahead", failing)
    amounts = [1_500 * (number + 1) for number in range(4)]
    stored = _stored(
        *[paid(connected, email=f"r{n}@example.org", cents=c) for n, c in enumerate(amounts)]
    )

    assert _drained(alpha.organization.pk, django_capture_on_commit_callbacks) == 4

    assert len([r for r in connected.requests if "payment_intents" in r.path]) == 4
    assert _fees_recorded(stored) == [
        f"Stripe fee {stripe_fee_cents(cents) / 100:.2f}" for cents in amounts
    ]


@pytest.mark.parametrize("where", ["_stripe_read_ahead_of", "_simple_events"])
def test_the_tasks_time_limit_ends_the_drain_and_leaves_its_events_waiting(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    """Given the task's soft time limit strikes while reading ahead or reading the batch, when
    the events are drained, then the drain ends there (it is not taken for an unreadable event
    or a failed read) and every event still waits for the next drain."""

    def out_of_time(*_: Any) -> None:
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(online_batches, where, out_of_time)
    stored = _stored(*[paid(connected, email=f"t{number}@example.org") for number in range(2)])

    with pytest.raises(SoftTimeLimitExceeded):
        _drained(alpha.organization.pk, django_capture_on_commit_callbacks)

    assert set(ConnectEvent.objects.filter(pk__in=stored).values_list("outcome", flat=True)) == {""}
    with schema_context("alpha"):
        assert not Gift.objects.exists()


def test_a_batch_that_fails_is_applied_one_event_at_a_time(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Given a batch whose writing fails (here: its outcomes), when it is drained, then nothing
    of the batch stays and each event is applied on its own, once."""

    def failing(**_: Any) -> int:
        raise RuntimeError("the batch's outcomes could not be written")

    monkeypatch.setattr(online_batches, "connect_events_outcomes_record", failing)
    stored = _stored(*[paid(connected, email=f"d{number}@example.org") for number in range(3)])

    assert _drained(alpha.organization.pk, django_capture_on_commit_callbacks) == 3

    assert set(ConnectEvent.objects.filter(pk__in=stored).values_list("outcome", flat=True)) == {
        StripeEventOutcome.PROCESSED
    }
    with schema_context("alpha"):
        assert Gift.objects.count() == 3
        assert Donor.objects.count() == 3
        assert JournalEntry.objects.filter(source="fee").count() == 3


def test_an_event_stored_while_a_drain_runs_wakes_the_next_drain(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Given a drain queued for a first event (its flag set), when a second event is stored
    while the drain reads the waiting events, then the webhook's wake-up for it queues a drain
    (the running one cleared the flag first), and that drain applies it: nothing waits."""
    organization_id = alpha.organization.pk
    connect_events_drain_started(organization_id=organization_id)
    (first,) = _stored(paid(connected, email="first@example.org"))
    assert connect_events_drain_wanted(organization_id=organization_id)
    assert not connect_events_drain_wanted(organization_id=organization_id)  # one queued
    reading = online_batches.connect_events_new
    woken: list[bool] = []
    later = paid(connected, email="second@example.org")

    def stored_meanwhile(**given: Any) -> list[ConnectEvent]:
        waiting = reading(**given)
        if not woken:
            _stored(later)
            woken.append(connect_events_drain_wanted(organization_id=organization_id))
        return waiting

    monkeypatch.setattr(online_batches, "connect_events_new", stored_meanwhile)
    assert _drained(organization_id, django_capture_on_commit_callbacks) == 1
    assert woken == [True]
    assert _drained(organization_id, django_capture_on_commit_callbacks) == 1

    assert set(
        ConnectEvent.objects.filter(account_id=ACCOUNT).values_list("outcome", flat=True)
    ) == {StripeEventOutcome.PROCESSED}
    assert ConnectEvent.objects.get(pk=first).outcome == StripeEventOutcome.PROCESSED
    connect_events_drain_started(organization_id=organization_id)


def test_the_quarter_hour_retry_drains_events_left_waiting_and_retries_failed_ones_alone(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Given three events whose drain was lost (a worker gone, or down while they arrived) and a
    failed one, all waiting past the grace, when the quarter-hour retry runs, then it wakes one
    drain of the organization for the three, which applies them as a batch, and applies the
    failed one again on its own: not one task an event."""
    queued: list[tuple[str, int]] = []
    for task in (tasks.connect_events_drain, tasks.connect_event_apply):
        queue = task.apply_async

        def counted(*args: Any, _queue: Any = queue, _name: str = task.name, **kwargs: Any) -> Any:
            queued.append((_name.rsplit(".", 1)[1], kwargs["args"][0]))
            return _queue(*args, **kwargs)

        monkeypatch.setattr(task, "apply_async", counted)
    *lost, failed = _stored(*[paid(connected, email=f"w{n}@example.org") for n in range(4)])
    ConnectEvent.objects.filter(pk=failed).update(outcome=StripeEventOutcome.FAILED, attempts=1)
    ConnectEvent.objects.filter(pk__in=[*lost, failed]).update(
        received_at=timezone.now() - tasks.CONNECT_EVENT_GRACE - timedelta(minutes=1)
    )

    with schema_context("public"), django_capture_on_commit_callbacks(execute=True):
        assert tasks.connect_events_retry() == 4

    assert sorted(queued) == [
        ("connect_event_apply", failed),
        ("connect_events_drain", alpha.organization.pk),
    ]
    assert set(ConnectEvent.objects.values_list("outcome", flat=True)) == {
        StripeEventOutcome.PROCESSED
    }
    with schema_context("alpha"):
        assert Gift.objects.count() == 4
        assert JournalEntry.objects.filter(source="fee").count() == 4


def _dispute_left_alone(fake: FakeStripe) -> tuple[dict[str, Any], int]:
    """A gift paid whose dispute was stored and applied before the gift's own event: left
    alone (ignored), as no gift has the payment yet. The gift's event (not stored) and the
    dispute event's id."""
    disputed = paid(fake, email="disputed@example.org")
    opened = fake.dispute_open(disputed["data"]["object"]["payment_intent"])
    (dispute_event,) = _stored(
        event("charge.dispute.created", opened, created=int(time.time()), account=ACCOUNT)
    )
    with schema_context("alpha"):
        assert connect_event_apply(event_id=dispute_event) == StripeEventOutcome.IGNORED
    return disputed, dispute_event


def test_a_gift_whose_dispute_came_first_is_applied_with_it(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """Given a dispute stored and left alone before its gift (no gift had the payment), when the
    gift is drained beside a plain one, then the gift takes the one-at-a-time path and its
    dispute is posted with it; the plain gift is applied in the batch."""
    disputed, dispute_event = _dispute_left_alone(connected)
    payment_intent = disputed["data"]["object"]["payment_intent"]
    _stored(disputed, paid(connected, email="plain@example.org"))

    assert _drained(alpha.organization.pk, django_capture_on_commit_callbacks) == 2

    assert set(
        ConnectEvent.objects.filter(account_id=ACCOUNT).values_list("outcome", flat=True)
    ) == {StripeEventOutcome.PROCESSED}
    with schema_context("alpha"):
        gift = Gift.objects.get(payment_reference=payment_intent)
        assert GiftDispute.objects.get().gift_id == gift.pk
        assert Gift.objects.count() == 2


def test_an_event_that_came_first_is_found_by_its_payment_through_its_index(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
) -> None:
    """Given a dispute stored and left alone before its gift, then the read every gift's
    application makes finds it by its payment (not by another), and it can go through the
    partial index on ignored events' payments instead of every ignored event of the platform."""
    disputed, dispute_event = _dispute_left_alone(connected)
    payment_intent = disputed["data"]["object"]["payment_intent"]

    def found(*payment_intents: str) -> Any:
        return events_that_came_first(
            account_id=ACCOUNT,
            organization_id=alpha.organization.pk,
            payment_intents=payment_intents,
        )

    def payments_found(*payment_intents: str) -> set[str]:
        # A batch of gifts asks the same in plain SQL.
        return payments_with_events_that_came_first(
            account_id=ACCOUNT,
            organization_id=alpha.organization.pk,
            payment_intents=payment_intents,
        )

    assert list(found(payment_intent, "pi_other").values_list("pk", flat=True)) == [dispute_event]
    assert not found("pi_other").exists()
    assert payments_found(payment_intent, "pi_other") == {payment_intent}
    assert payments_found("pi_other") == set()
    with CaptureQueriesContext(connection) as read:
        list(found(payment_intent, "pi_other").values_list("pk", flat=True))
        payments_found(payment_intent, "pi_other")
    plan, batch_plan = (_plan_of(query["sql"]) for query in read.captured_queries)
    assert "connectevent_came_first" in plan, plan
    assert "connectevent_came_first" in batch_plan, batch_plan


def test_a_drain_reads_its_waiting_events_through_the_index_of_pending_ones(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """Given one event applied and one waiting, then a drain's read finds the waiting one only,
    and that read, the retry's and the operators' backlog can go through the partial index of
    pending events instead of the outcome of every event the platform ever received."""
    _stored(paid(connected, email="applied@example.org"))
    assert _drained(alpha.organization.pk, django_capture_on_commit_callbacks) == 1
    (waiting,) = _stored(paid(connected, email="waits@example.org"))

    with CaptureQueriesContext(connection) as read:
        found = connect_events_new(organization_id=alpha.organization.pk, limit=10)
        connect_events_backlog()
        connect_events_waiting(received_before=timezone.now())

    assert [found_event.pk for found_event in found] == [waiting]
    reads = [query["sql"] for query in read.captured_queries if query["sql"].startswith("SELECT")]
    assert len(reads) == 3
    for sql in reads:
        plan = _plan_of(sql)
        assert "connectevent_pending" in plan, plan


def test_the_table_of_connect_events_is_vacuumed_after_a_hundredth_of_it_changes(
    db: None,
) -> None:
    """Each event's outcome leaves a dead version in the index of pending events the drains
    read: autovacuum comes after a hundredth of the table changed, not PostgreSQL's fifth."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE oid = %s::regclass",
            [f"public.{ConnectEvent._meta.db_table}"],
        )
        (options,) = cursor.fetchone()

    assert set(options) >= {
        "autovacuum_vacuum_scale_factor=0.01",
        "autovacuum_vacuum_threshold=1000",
        "autovacuum_analyze_scale_factor=0.02",
    }


def _plan_of(sql: str) -> str:
    """The plan PostgreSQL gives `sql` with sequential scans off: a test's handful of rows
    would be read from the table whatever the indexes are."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def test_replayed_gift_events_change_nothing_twice(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """Two events of one payment in a batch (completed and, say, a retry's twin): one gift;
    the second says it was recorded already."""
    gift = paid(connected, email="twice@example.org")
    twin = {**gift, "id": gift["id"] + "twin"}
    _stored(gift, twin)

    assert _drained(alpha.organization.pk, django_capture_on_commit_callbacks) == 2

    with schema_context("alpha"):
        assert Gift.objects.count() == 1
        assert JournalLine.objects.filter(account__code="8550").aggregate(total=Sum("debit"))[
            "total"
        ]
    details = list(ConnectEvent.objects.order_by("pk").values_list("outcome_detail", flat=True))
    assert details[1].startswith("Already recorded as gift")


def test_an_installment_recorded_already_is_drained_without_asking_stripe_again(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """Given an installment recorded, when another event of its invoice is drained, then it
    says the invoice is recorded already, and Stripe is not asked for the invoice's payments
    again (not while the drain holds its locks, nor before)."""
    session, first = connected.subscription_checkout_pay(
        account=ACCOUNT, amount=2_500, metadata=monthly_metadata()
    )
    now = int(time.time())
    recorded = event("invoice.paid", first, created=now, account=ACCOUNT)
    for payload in (
        event("checkout.session.completed", session, created=now, account=ACCOUNT),
        recorded,
    ):
        [stored_id] = _stored(payload)
        with schema_context("alpha"), django_capture_on_commit_callbacks(execute=True):
            assert connect_event_apply(event_id=stored_id) == "processed"
    asked = len(connected.calls("/v1/invoice_payments"))
    _stored({**recorded, "id": recorded["id"] + "again"})

    assert _drained(alpha.organization.pk, django_capture_on_commit_callbacks) == 1

    assert len(connected.calls("/v1/invoice_payments")) == asked
    with schema_context("alpha"):
        assert Gift.objects.filter(stripe_invoice_id=first["id"]).count() == 1
    detail = ConnectEvent.objects.get(stripe_id=recorded["id"] + "again").outcome_detail
    assert detail.startswith(f"{first['id']} is already gift"), detail


def test_a_drain_in_another_organizations_schema_stops_and_writes_nothing(
    alpha: Tenant,
    beta: Tenant,
    connected: FakeStripe,  # noqa: F811 - the fixture
) -> None:
    stored = _stored(paid(connected, email="x@example.org"))

    with schema_context("beta"), pytest.raises(RuntimeError):
        online_batches.connect_events_batch_apply(
            organization_id=alpha.organization.pk,
            events=list(ConnectEvent.objects.filter(pk__in=stored)),
        )

    assert ConnectEvent.objects.get(pk=stored[0]).outcome == ""
    with schema_context("beta"):
        assert not Gift.objects.exists()

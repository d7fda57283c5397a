"""Pledge services and what they put in the books: the ledger (1210 and 4010 per fund) is read
back after each step: the pledge posted, a payment posted, a payment refunded, the write-off."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django_tenants.utils import schema_context

from saas_platform.lib.errors import ServiceError, StateConflict
from tenant_apps.accounting.models import JournalEntry, JournalLine
from tenant_apps.accounting.tests.factories import months_closed_through
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.models import (
    Gift,
    GiftState,
    Pledge,
    PledgeInstallment,
    PledgeState,
    RecurringGift,
)
from tenant_apps.donations.selectors import installments_status, pledge_list, pledge_paid_total
from tenant_apps.donations.services.allocations import AllocationSpec
from tenant_apps.donations.services.gifts import gift_post, gift_refund, gift_update
from tenant_apps.donations.services.pledges import (
    pledge_cancel,
    pledge_create,
    pledge_delete,
    pledge_post,
    pledge_update,
    pledge_write_off,
)
from tenant_apps.donations.services.recurring import recurring_gift_create
from tenant_apps.donations.services.schedules import InstallmentSpec, ScheduleSpec, schedule_split
from tenant_apps.donations.tests.factories import GiftFactory, PledgeFactory, later, today
from tenant_apps.donations.tests.readers import fund_balances, ledger
from tenant_apps.donors import services as donor_services
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("deferred_constraints_checked")]


def payment_made(pledge: Pledge, amount: str, *, post: bool = True, **fields: Any) -> Gift:
    return GiftFactory.create(
        donor=pledge.donor, amount=amount, pledge=pledge, posted=post, **fields
    )


def statuses(pledge: Pledge) -> list[tuple[str, str, str]]:
    pledge = pledge_list().get(pk=pledge.pk)
    paid_total = pledge.paid_total  # type: ignore[attr-defined]  # pledge_list annotates it
    return [
        (f"{row.amount:.2f}", f"{row.paid:.2f}", row.status)
        for row in installments_status(pledge, paid_total=paid_total)
    ]


# --- Schedules --------------------------------------------------------------------------------


def test_a_schedule_splits_the_cents_exactly_and_keeps_the_day_of_the_month() -> None:
    rows = schedule_split(
        amount=Decimal("100.00"),
        schedule=ScheduleSpec(count=3, frequency="monthly", first_due_on=date(2027, 1, 31)),
    )
    assert [(row.due_on, row.amount) for row in rows] == [
        (date(2027, 1, 31), Decimal("33.34")),
        (date(2027, 2, 28), Decimal("33.33")),
        (date(2027, 3, 31), Decimal("33.33")),
    ]
    rows = schedule_split(
        amount=Decimal("0.05"),
        schedule=ScheduleSpec(count=3, frequency="quarterly", first_due_on=date(2026, 11, 30)),
    )
    assert [(row.due_on, row.amount) for row in rows] == [
        (date(2026, 11, 30), Decimal("0.02")),
        (date(2027, 2, 28), Decimal("0.02")),
        (date(2027, 5, 30), Decimal("0.01")),
    ]
    rows = schedule_split(
        amount=Decimal("10.00"),
        schedule=ScheduleSpec(count=2, frequency="annually", first_due_on=date(2028, 2, 29)),
    )
    assert [row.due_on for row in rows] == [date(2028, 2, 29), date(2029, 2, 28)]


@pytest.mark.parametrize(
    ("count", "frequency", "message"),
    [(0, "monthly", "1 to 360"), (361, "monthly", "1 to 360"), (2, "weekly", "frequency")],
)
def test_a_bad_schedule_is_refused(count: int, frequency: str, message: str) -> None:
    with pytest.raises(ServiceError, match=message):
        schedule_split(
            amount=Decimal("100.00"),
            schedule=ScheduleSpec(count=count, frequency=frequency, first_due_on=date(2027, 1, 1)),
        )
    with pytest.raises(ServiceError, match="cannot be split in 3"):
        schedule_split(
            amount=Decimal("0.02"),
            schedule=ScheduleSpec(count=3, frequency="monthly", first_due_on=date(2027, 1, 1)),
        )


def test_a_pledge_takes_an_explicit_schedule_or_one_installment(
    in_alpha: Tenant, ada: Donor
) -> None:
    explicit = pledge_create(
        donor=ada,
        amount="500.00",
        pledged_on=today(),
        installments=[
            InstallmentSpec(later(200), "300.00"),
            InstallmentSpec(later(40), "200.00"),
        ],
        acting_user=in_alpha.owner,
    )
    single = pledge_create(donor=ada, amount="75.00", pledged_on=today(), acting_user=None)

    assert [(row.due_on, row.amount) for row in explicit.installments.order_by("due_on")] == [
        (later(40), Decimal("200.00")),
        (later(200), Decimal("300.00")),
    ]
    assert [(row.due_on, row.amount) for row in single.installments.all()] == [
        (today(), Decimal("75.00"))
    ]
    assert explicit.state == PledgeState.DRAFT
    assert ledger() == {}
    assert AuditEvent.objects.filter(action="pledge.create", object_id=str(explicit.pk)).exists()


@pytest.mark.parametrize(
    ("installments", "message"),
    [
        ([(30, "100.00")], "add up to 100.00, not the pledge's 500.00"),
        ([(30, "250.00"), (30, "250.00")], "Two installments are due"),
        ([(-1, "500.00")], "before the pledge was made"),
        ([(30, "0")], "more than zero"),
    ],
)
def test_a_schedule_that_does_not_fit_writes_nothing(
    in_alpha: Tenant, ada: Donor, installments: list[tuple[int, str]], message: str
) -> None:
    with pytest.raises(ServiceError, match=message):
        pledge_create(
            donor=ada,
            amount="500.00",
            pledged_on=today(),
            installments=[InstallmentSpec(later(days), amount) for days, amount in installments],
            acting_user=None,
        )
    assert not Pledge.objects.exists()
    assert not PledgeInstallment.objects.exists()
    assert not AuditEvent.objects.filter(action="pledge.create").exists()


def test_the_database_refuses_a_schedule_that_does_not_add_up(in_alpha: Tenant, ada: Donor) -> None:
    pledge = PledgeFactory.create(donor=ada, amount="1000.00")
    first = pledge.installments.order_by("due_on").first()
    assert first is not None
    more = "adds up to 1100.00, not its amount 1000.00"
    with pytest.raises(IntegrityError, match=more), transaction.atomic():
        PledgeInstallment.objects.filter(pk=first.pk).update(amount=Decimal("350.00"))
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    less = "adds up to 1000.00, not its amount 900.00"
    with pytest.raises(IntegrityError, match=less), transaction.atomic():
        Pledge.objects.filter(pk=pledge.pk).update(amount=Decimal("900.00"))
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


# --- Posting, payments, refunds, write-offs ---------------------------------------------------


def test_a_posted_pledge_is_revenue_and_a_receivable_in_its_fund(
    in_alpha: Tenant, ada: Donor
) -> None:
    pledge = PledgeFactory.create(
        donor=ada, amount="1200.00", fund="PRP", count=12, frequency="monthly"
    )

    pledge = pledge_post(pledge=pledge, acting_user=in_alpha.owner)

    assert pledge.state == PledgeState.OPEN
    assert pledge.posted_by == in_alpha.owner
    entry = pledge.journal_entry
    assert entry is not None
    assert (entry.source, entry.source_reference, entry.date) == (
        "donation",
        f"pledge:{pledge.pk}",
        today(),
    )
    assert sorted(
        (line.account.code, line.fund.code, line.net_asset_class, line.debit, line.credit)
        for line in entry.lines.select_related("account", "fund")
    ) == [
        ("1210", "PRP", "with", Decimal("1200.00"), Decimal("0.00")),
        ("4010", "PRP", "with", Decimal("0.00"), Decimal("1200.00")),
    ]
    assert ledger("PRP") == {"1210": ("1200.00", "0.00"), "4010": ("0.00", "1200.00")}
    assert ledger("GEN") == {}
    assert fund_balances()["PRP"] == ("1200.00", "0.00", "1200.00")
    with pytest.raises(StateConflict, match="only a draft is posted"):
        pledge_post(pledge=pledge, acting_user=None)
    assert JournalEntry.objects.count() == 1


def test_payments_settle_the_receivable_a_refund_reopens_and_the_rest_is_written_off(
    alpha: Tenant, ada: Donor
) -> None:
    with schema_context("alpha"):
        # Given an open pledge of 1,000 in four quarterly installments of 250
        pledge = PledgeFactory.create(donor=ada, amount="1000.00", posted=True)
        assert ledger("GEN") == {"1210": ("1000.00", "0.00"), "4010": ("0.00", "1000.00")}

        # When a check of 300 is posted against it
        first = payment_made(pledge, "300.00")

        # Then the receivable goes down, revenue does not go up again
        assert [(a.fund.code, a.amount) for a in first.allocations.all()] == [
            ("GEN", Decimal("300.00"))
        ]
        assert ledger("GEN") == {
            "1050": ("300.00", "0.00"),
            "1210": ("700.00", "0.00"),
            "4010": ("0.00", "1000.00"),
        }
        assert statuses(pledge) == [
            ("250.00", "250.00", "paid"),
            ("250.00", "50.00", "partly_paid"),
            ("250.00", "0.00", "unpaid"),
            ("250.00", "0.00", "unpaid"),
        ]
        assert pledge_paid_total(pledge) == Decimal("300.00")

        # When the rest is paid, the pledge is fulfilled and nothing is receivable
        second = payment_made(pledge, "700.00", method="ach")
        pledge.refresh_from_db()
        assert pledge.state == PledgeState.FULFILLED
        assert ledger("GEN") == {
            "1010": ("700.00", "0.00"),
            "1050": ("300.00", "0.00"),
            "4010": ("0.00", "1000.00"),
        }
        assert AuditEvent.objects.filter(action="pledge.fulfil", object_id=str(pledge.pk)).exists()

        # When the second payment is refunded, the pledge is open again for 700
        gift_refund(gift=second, acting_user=None, date=today())
        pledge.refresh_from_db()
        assert pledge.state == PledgeState.OPEN
        assert ledger("GEN") == {
            "1050": ("300.00", "0.00"),
            "1210": ("700.00", "0.00"),
            "4010": ("0.00", "1000.00"),
        }

        # When the unpaid balance is written off, contributions are reduced by it
        pledge = pledge_write_off(pledge=pledge, acting_user=alpha.owner, memo="Moved away")
        assert (pledge.state, pledge.written_off_amount) == (
            PledgeState.WRITTEN_OFF,
            Decimal("700.00"),
        )
        assert pledge.write_off_entry is not None
        assert pledge.write_off_entry.memo == "Moved away"
        assert ledger("GEN") == {"1050": ("300.00", "0.00"), "4010": ("0.00", "300.00")}
        assert statuses(pledge) == [
            ("250.00", "250.00", "paid"),
            ("250.00", "50.00", "written_off"),
            ("250.00", "0.00", "written_off"),
            ("250.00", "0.00", "written_off"),
        ]
        with pytest.raises(StateConflict, match="only an open pledge is written off"):
            pledge_write_off(pledge=pledge, acting_user=None)
        with pytest.raises(StateConflict, match="payments are recorded on an open pledge"):
            payment_made(pledge, "10.00", post=False)


def test_a_refunded_payment_of_a_written_off_pledge_is_written_off_too(
    in_alpha: Tenant, ada: Donor
) -> None:
    pledge = PledgeFactory.create(donor=ada, amount="600.00", fund="PRP", posted=True)
    payment = payment_made(pledge, "200.00", method="ach")
    pledge_write_off(pledge=pledge, acting_user=None)
    assert ledger("PRP") == {"1010": ("200.00", "0.00"), "4010": ("0.00", "200.00")}

    gift_refund(gift=payment, acting_user=None, date=today())

    pledge.refresh_from_db()
    assert (pledge.state, pledge.written_off_amount) == (
        PledgeState.WRITTEN_OFF,
        Decimal("600.00"),
    )
    assert ledger("PRP") == {}
    assert fund_balances().get("PRP", ("0.00", "0.00", "0.00")) == ("0.00", "0.00", "0.00")


def _counts() -> tuple[int, int, int]:
    return Gift.objects.count(), JournalLine.objects.count(), AuditEvent.objects.count()


def test_payments_the_pledge_cannot_take_are_refused_and_write_nothing(
    in_alpha: Tenant, ada: Donor
) -> None:
    other = donor_made("Charles", "Babbage")
    draft = PledgeFactory.create(donor=ada, amount="100.00")
    pledge = PledgeFactory.create(donor=ada, amount="500.00", fund="PRP", posted=True)
    payment_made(pledge, "200.00")
    before = _counts()

    with pytest.raises(StateConflict, match="is draft; .*post it first"):
        payment_made(draft, "10.00", post=False)
    with pytest.raises(ServiceError, match="comes from the same donor") as error:
        GiftFactory.create(donor=other, amount="10.00", pledge=pledge)
    assert "pledge" in error.value.fields
    with pytest.raises(ServiceError, match="goes to its fund PRP") as error:
        payment_made(pledge, "10.00", splits=(("GEN", "10.00"),))
    assert "allocations" in error.value.fields
    with pytest.raises(ServiceError, match="more than pledge .* remaining balance of 300.00"):
        payment_made(pledge, "300.01")
    with pytest.raises(ServiceError, match="paid in money"):
        payment_made(pledge, "10.00", method="in_kind", in_kind_description="Chairs")

    assert _counts() == before
    assert ledger("PRP")["1210"] == ("300.00", "0.00")


def test_two_drafts_over_the_balance_cannot_both_be_posted(in_alpha: Tenant, ada: Donor) -> None:
    pledge = PledgeFactory.create(donor=ada, amount="500.00", posted=True)
    first = payment_made(pledge, "400.00", post=False)
    second = payment_made(pledge, "400.00", post=False)
    gift_post(gift=first, acting_user=None)

    with pytest.raises(ServiceError, match="remaining balance of 100.00"):
        gift_post(gift=second, acting_user=None)

    second.refresh_from_db()
    assert second.state == GiftState.DRAFT
    assert second.journal_entry is None
    assert ledger("GEN")["1210"] == ("100.00", "0.00")


def test_a_draft_payment_keeps_to_its_pledge_when_edited(in_alpha: Tenant, ada: Donor) -> None:
    other = donor_made("Charles", "Babbage")
    pledge = PledgeFactory.create(donor=ada, amount="500.00", posted=True)
    payment = payment_made(pledge, "100.00", post=False)

    with pytest.raises(ServiceError, match="remaining balance of 500.00"):
        gift_update(gift=payment, acting_user=None, amount="600.00")
    with pytest.raises(ServiceError, match="same donor"):
        gift_update(gift=payment, acting_user=None, donor=other)
    with pytest.raises(ServiceError, match="goes to its fund GEN"):
        gift_update(
            gift=payment,
            acting_user=None,
            allocations=[AllocationSpec("PRP", "100.00")],
        )
    payment = gift_update(gift=payment, acting_user=None, amount="500.00")

    assert payment.amount == Decimal("500.00")
    assert payment.pledge_id == pledge.pk
    assert [(a.fund.code, a.amount) for a in payment.allocations.all()] == [
        ("GEN", Decimal("500.00"))
    ]


# --- Editing, deleting, cancelling ------------------------------------------------------------


def test_a_draft_pledge_is_edited_and_deleted(in_alpha: Tenant, ada: Donor) -> None:
    other = donor_made("Charles", "Babbage")
    pledge = pledge_create(donor=ada, amount="100.00", pledged_on=today(), acting_user=None)

    pledge = pledge_update(
        pledge=pledge, acting_user=None, amount="150.00", fund="PRP", donor=other, memo="Gala"
    )
    assert (pledge.amount, pledge.fund.code, pledge.donor, pledge.memo) == (
        Decimal("150.00"),
        "PRP",
        other,
        "Gala",
    )
    assert [(row.due_on, row.amount) for row in pledge.installments.all()] == [
        (today(), Decimal("150.00"))
    ]
    pledge = pledge_update(
        pledge=pledge,
        acting_user=None,
        schedule=ScheduleSpec(count=3, frequency="monthly", first_due_on=today()),
    )
    assert [row.amount for row in pledge.installments.all()] == [Decimal("50.00")] * 3
    with pytest.raises(ServiceError, match="give its new schedule"):
        pledge_update(pledge=pledge, acting_user=None, amount="90.00")

    pledge_delete(pledge=pledge, acting_user=None)

    assert not Pledge.objects.exists()
    assert not PledgeInstallment.objects.exists()
    assert AuditEvent.objects.filter(action="pledge.delete", object_id=str(pledge.pk)).exists()


def test_an_open_pledge_keeps_what_is_in_the_books_but_may_be_rescheduled(
    in_alpha: Tenant, ada: Donor
) -> None:
    pledge = PledgeFactory.create(donor=ada, amount="1000.00", posted=True)

    for change in ({"amount": "900.00"}, {"fund": "PRP"}, {"pledged_on": date(2026, 1, 2)}):
        with pytest.raises(StateConflict, match="are in the books"):
            pledge_update(pledge=pledge, acting_user=None, **change)
    with pytest.raises(StateConflict, match="only a draft is deleted"):
        pledge_delete(pledge=pledge, acting_user=None)
    with pytest.raises(ServiceError, match="add up to 999.00"):
        pledge_update(
            pledge=pledge,
            acting_user=None,
            installments=[InstallmentSpec(later(370), "999.00")],
        )
    pledge = pledge_update(
        pledge=pledge,
        acting_user=None,
        installments=[InstallmentSpec(later(370), "1000.00")],
        memo="One payment at year end",
    )

    assert [(row.due_on, row.amount) for row in pledge.installments.all()] == [
        (later(370), Decimal("1000.00"))
    ]
    assert ledger("GEN") == {"1210": ("1000.00", "0.00"), "4010": ("0.00", "1000.00")}


def test_cancelling_a_draft_writes_no_entry_and_a_posted_one_is_reversed(
    in_alpha: Tenant, ada: Donor
) -> None:
    draft = PledgeFactory.create(donor=ada, amount="100.00")
    draft = pledge_cancel(pledge=draft, acting_user=None)
    assert draft.state == PledgeState.CANCELLED
    assert draft.reversal_entry is None
    assert not JournalEntry.objects.exists()

    posted = PledgeFactory.create(donor=ada, amount="400.00", fund="PRP", posted=True)
    posted = pledge_cancel(pledge=posted, acting_user=None)

    assert posted.state == PledgeState.CANCELLED
    assert posted.reversal_entry is not None
    assert posted.reversal_entry.reverses_id == posted.journal_entry_id
    assert ledger("PRP") == {}
    with pytest.raises(StateConflict, match="only a draft or open pledge is cancelled"):
        pledge_cancel(pledge=posted, acting_user=None)

    paid = PledgeFactory.create(donor=ada, amount="400.00", posted=True)
    payment_made(paid, "100.00")
    with pytest.raises(StateConflict, match="write off its unpaid balance"):
        pledge_cancel(pledge=paid, acting_user=None)
    paid.refresh_from_db()
    assert paid.state == PledgeState.OPEN


def test_a_merged_donors_pledges_and_recurring_gifts_move_to_the_survivor(
    in_alpha: Tenant, ada: Donor
) -> None:
    duplicate = donor_made("Ada", "Lovelace", emails=("ada@old.example.org",))
    pledge = PledgeFactory.create(donor=duplicate, amount="300.00", posted=True)
    payment = payment_made(pledge, "100.00")
    recurring = recurring_gift_create(
        donor=duplicate,
        amount="25.00",
        frequency="monthly",
        next_on=today(),
        method="ach",
        acting_user=None,
    )

    result = donor_services.donor_merge(survivor=ada, merged=duplicate, acting_user=None)

    assert result.moved["donations.pledges"] == {"pledges": [pledge.pk]}
    assert result.record.moved["donations.recurring_gifts"] == {"recurring_gifts": [recurring.pk]}
    pledge.refresh_from_db()
    payment.refresh_from_db()
    assert pledge.donor == ada
    assert payment.donor == ada
    assert RecurringGift.objects.get().donor == ada
    # The payment and its pledge are one donor's again: the next payment is accepted.
    assert payment_made(pledge, "200.00").state == GiftState.POSTED


def test_postings_the_books_refuse_leave_the_pledge_as_it_was(in_alpha: Tenant, ada: Donor) -> None:
    pledge = PledgeFactory.create(donor=ada, amount="100.00", posted=True)
    with pytest.raises(ServiceError, match="on or after the day of the pledge"):
        pledge_write_off(pledge=pledge, acting_user=None, date=today() - timedelta(1))
    draft = PledgeFactory.create(donor=ada, amount="50.00")
    months_closed_through(today())

    with pytest.raises(StateConflict, match="is closed"):
        pledge_post(pledge=draft, acting_user=None)
    with pytest.raises(StateConflict, match="is closed"):
        pledge_write_off(pledge=pledge, acting_user=None)

    draft.refresh_from_db()
    pledge.refresh_from_db()
    assert (draft.state, draft.journal_entry_id) == (PledgeState.DRAFT, None)
    assert (pledge.state, pledge.write_off_entry_id) == (PledgeState.OPEN, None)
    assert not AuditEvent.objects.filter(action="pledge.write_off").exists()
    assert ledger("GEN") == {"1210": ("100.00", "0.00"), "4010": ("0.00", "100.00")}

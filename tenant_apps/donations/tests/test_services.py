"""Gift services and what they put in the books: the ledger is read back after each step."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from saas_platform.lib.errors import ServiceError, StateConflict
from tenant_apps.accounting.models import JournalEntry, JournalLine
from tenant_apps.accounting.tests.factories import months_closed_through
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.models import Gift, GiftAllocation, GiftState, SoftCredit
from tenant_apps.donations.services.allocations import AllocationSpec, SoftCreditSpec
from tenant_apps.donations.services.deposits import (
    deposit_add_gift,
    deposit_add_gifts,
    deposit_close,
    deposit_create,
)
from tenant_apps.donations.services.gifts import gift_create, gift_post, gift_refund, gift_update
from tenant_apps.donations.tests.factories import GiftFactory, today
from tenant_apps.donations.tests.readers import fund_balances, ledger
from tenant_apps.donors import services as donor_services
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def test_a_draft_gift_is_not_in_the_books(in_alpha: Tenant, ada: Donor) -> None:
    gift = GiftFactory.create(donor=ada, amount="250.00", acting_user=in_alpha.owner)

    assert gift.state == GiftState.DRAFT
    assert gift.currency == "USD"
    assert [(a.fund.code, a.amount) for a in gift.allocations.all()] == [("GEN", Decimal("250.00"))]
    assert ledger() == {}
    assert AuditEvent.objects.filter(action="gift.create", object_id=str(gift.pk)).exists()


def test_a_check_split_across_funds_posts_per_fund(in_alpha: Tenant, ada: Donor) -> None:
    gift = GiftFactory.create(
        donor=ada,
        amount="1000.00",
        splits=(("GEN", "600.00"), ("PRP", "400.00")),
        check_number="1234",
    )

    gift = gift_post(gift=gift, acting_user=in_alpha.owner)

    assert gift.state == GiftState.POSTED
    assert gift.posted_by == in_alpha.owner
    entry = gift.journal_entry
    assert entry is not None
    assert (entry.source, entry.source_reference, entry.state) == (
        "donation",
        f"gift:{gift.pk}",
        "posted",
    )
    assert sorted(
        (line.account.code, line.fund.code, line.net_asset_class, line.debit, line.credit)
        for line in entry.lines.select_related("account", "fund")
    ) == [
        ("1050", "GEN", "without", Decimal("600.00"), Decimal("0.00")),
        ("1050", "PRP", "with", Decimal("400.00"), Decimal("0.00")),
        ("4010", "GEN", "without", Decimal("0.00"), Decimal("600.00")),
        ("4010", "PRP", "with", Decimal("0.00"), Decimal("400.00")),
    ]
    assert ledger() == {"1050": ("1000.00", "0.00"), "4010": ("0.00", "1000.00")}
    assert ledger("PRP") == {"1050": ("400.00", "0.00"), "4010": ("0.00", "400.00")}
    assert fund_balances() == {
        "GEN": ("600.00", "600.00", "0.00"),
        "PRP": ("400.00", "0.00", "400.00"),
    }


def test_a_card_gift_posts_to_stripe_clearing_and_ach_to_cash(in_alpha: Tenant, ada: Donor) -> None:
    GiftFactory.create(
        donor=ada, amount="75.50", method="card", payment_reference="pi_123", posted=True
    )
    GiftFactory.create(donor=ada, amount="20.00", method="ach", posted=True)

    assert ledger() == {
        "1010": ("20.00", "0.00"),
        "1060": ("75.50", "0.00"),
        "4010": ("0.00", "95.50"),
    }


def test_an_in_kind_gift_is_donated_goods_used_at_once(in_alpha: Tenant, ada: Donor) -> None:
    gift = GiftFactory.create(
        donor=ada,
        amount="300.00",
        method="in_kind",
        in_kind_description="Office chairs",
        posted=True,
    )

    entry = gift.journal_entry
    assert entry is not None
    assert entry.source == "in_kind"
    line = entry.lines.get(account__code="8560")
    assert line.function == "management_general"
    assert ledger() == {"4110": ("0.00", "300.00"), "8560": ("300.00", "0.00")}
    assert fund_balances()["GEN"] == ("0.00", "0.00", "0.00")


def test_a_refund_reverses_the_gift_entry(in_alpha: Tenant, ada: Donor) -> None:
    gift = GiftFactory.create(
        donor=ada, amount="75.50", method="card", splits=(("PRP", "75.50"),), posted=True
    )

    gift = gift_refund(gift=gift, acting_user=in_alpha.owner, date=today())

    assert gift.state == GiftState.REFUNDED
    refund_entry = gift.refund_entry
    assert refund_entry is not None
    assert refund_entry.reverses_id == gift.journal_entry_id
    assert refund_entry.date == today()
    assert gift.journal_entry is not None
    assert JournalEntry.objects.get(pk=gift.journal_entry.pk).state == "reversed"
    assert ledger() == {}
    assert fund_balances()["PRP"] == ("0.00", "0.00", "0.00")
    with pytest.raises(StateConflict, match="only a posted gift is refunded"):
        gift_refund(gift=gift, acting_user=in_alpha.owner)


def test_a_deposit_moves_undeposited_funds_to_the_bank(in_alpha: Tenant, ada: Donor) -> None:
    check = GiftFactory.create(
        donor=ada, amount="1000.00", splits=(("GEN", "600.00"), ("PRP", "400.00")), posted=True
    )
    cash = GiftFactory.create(donor=ada, amount="50.00", method="cash", posted=True)
    deposit = deposit_create(
        deposit_on=today(),
        expected_count=2,
        expected_total=Decimal("1050.00"),
        acting_user=in_alpha.owner,
    )
    for gift in (check, cash):
        deposit_add_gift(deposit=deposit, gift=gift, acting_user=in_alpha.owner)
    assert ledger()["1050"] == ("1050.00", "0.00")

    deposit = deposit_close(deposit=deposit, acting_user=in_alpha.owner)

    assert deposit.state == "closed"
    entry = deposit.journal_entry
    assert entry is not None
    assert entry.memo == f"Deposit {deposit.pk}"
    assert entry.source == "donation"
    assert ledger() == {"1010": ("1050.00", "0.00"), "4010": ("0.00", "1050.00")}
    assert ledger("PRP") == {"1010": ("400.00", "0.00"), "4010": ("0.00", "400.00")}
    assert fund_balances()["GEN"] == ("650.00", "650.00", "0.00")


def test_refunding_a_deposited_check_takes_it_out_of_the_bank(in_alpha: Tenant, ada: Donor) -> None:
    check = GiftFactory.create(donor=ada, amount="80.00", posted=True)
    deposit = deposit_create(
        deposit_on=today(), expected_count=1, expected_total="80.00", acting_user=None
    )
    deposit_add_gift(deposit=deposit, gift=check, acting_user=None)
    deposit_close(deposit=deposit, acting_user=None)

    gift_refund(gift=check, acting_user=in_alpha.owner)

    assert ledger() == {}


def test_a_deposit_that_does_not_match_is_not_closed(in_alpha: Tenant, ada: Donor) -> None:
    check = GiftFactory.create(donor=ada, amount="100.00", posted=True)
    deposit = deposit_create(
        deposit_on=today(), expected_count=1, expected_total="100.01", acting_user=None
    )
    deposit_add_gift(deposit=deposit, gift=check, acting_user=None)
    entries = JournalEntry.objects.count()

    with pytest.raises(ServiceError, match=r"holds 1 gifts for 100.00; 1 for 100.01"):
        deposit_close(deposit=deposit, acting_user=None)

    deposit.refresh_from_db()
    assert deposit.state == "open"
    assert JournalEntry.objects.count() == entries
    assert ledger() == {"1050": ("100.00", "0.00"), "4010": ("0.00", "100.00")}


def test_gifts_added_together_go_in_all_or_none(in_alpha: Tenant, ada: Donor) -> None:
    deposit = deposit_create(
        deposit_on=today(), expected_count=2, expected_total="150.00", acting_user=None
    )
    check = GiftFactory.create(donor=ada, amount="100.00", posted=True)
    card = GiftFactory.create(donor=ada, amount="50.00", method="card", posted=True)

    with pytest.raises(ServiceError, match=r"deposits hold checks and cash"):
        deposit_add_gifts(deposit=deposit, gifts=[check, card], acting_user=None)
    assert not Gift.objects.filter(deposit=deposit).exists()

    cash = GiftFactory.create(donor=ada, amount="50.00", method="cash", posted=True)
    added = deposit_add_gifts(deposit=deposit, gifts=[check, cash], acting_user=None)
    assert [gift.pk for gift in added] == [check.pk, cash.pk]
    assert Gift.objects.filter(deposit=deposit).count() == 2
    assert AuditEvent.objects.filter(action="deposit.add_gift").count() == 2


def test_only_posted_checks_and_cash_go_in_a_deposit_once(in_alpha: Tenant, ada: Donor) -> None:
    deposit = deposit_create(
        deposit_on=today(), expected_count=1, expected_total="10.00", acting_user=None
    )
    other = deposit_create(
        deposit_on=today(), expected_count=1, expected_total="10.00", acting_user=None
    )
    card = GiftFactory.create(donor=ada, amount="10.00", method="card", posted=True)
    draft = GiftFactory.create(donor=ada, amount="10.00")
    check = GiftFactory.create(donor=ada, amount="10.00", posted=True)
    deposit_add_gift(deposit=other, gift=check, acting_user=None)

    with pytest.raises(ServiceError, match="deposits hold checks and cash"):
        deposit_add_gift(deposit=deposit, gift=card, acting_user=None)
    with pytest.raises(StateConflict, match="only posted gifts"):
        deposit_add_gift(deposit=deposit, gift=draft, acting_user=None)
    with pytest.raises(StateConflict, match="already in deposit"):
        deposit_add_gift(deposit=deposit, gift=check, acting_user=None)
    with pytest.raises(StateConflict, match="remove it from the deposit"):
        gift_refund(gift=check, acting_user=None)
    assert not Gift.objects.filter(deposit=deposit).exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"amount": Decimal("0")}, "more than zero"),
        ({"amount": Decimal("10.001")}, "two decimal places"),
        ({"method": "bitcoin"}, "A method is one of"),
        ({"splits": (("GEN", "60.00"), ("PRP", "30.00"))}, "add up to 90.00, not the gift's 100"),
        ({"splits": (("NOPE", "100.00"),)}, "no active fund"),
        ({"splits": (("GEN", "50.00"), ("GEN", "50.00"))}, "appears twice"),
        ({"tribute_type": "memory"}, "names the person"),
        ({"method": "in_kind"}, "in-kind gift is described"),
        ({"goods_services_value": Decimal("150.00")}, "more than the gift"),
        ({"goods_services_value": Decimal("25.00")}, "Describe the goods"),
    ],
)
def test_bad_gifts_are_refused_and_write_nothing(
    in_alpha: Tenant, ada: Donor, fields: dict[str, Any], message: str
) -> None:
    amount = fields.pop("amount", Decimal("100.00"))
    splits = fields.pop("splits", ())
    with pytest.raises(ServiceError, match=message):
        gift_create(
            donor=ada,
            amount=amount,
            received_on=today(),
            method=fields.pop("method", "check"),
            allocations=[AllocationSpec(f, Decimal(a)) for f, a in splits],
            acting_user=None,
            **fields,
        )
    assert not Gift.objects.exists()
    assert not GiftAllocation.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="gift.").exists()


def test_a_payment_reference_is_recorded_once(in_alpha: Tenant, ada: Donor) -> None:
    GiftFactory.create(donor=ada, method="card", payment_reference="pi_1")
    with pytest.raises(StateConflict, match="pi_1 is already recorded"):
        GiftFactory.create(donor=ada, method="card", payment_reference="pi_1")
    assert Gift.objects.count() == 1


def test_a_posted_gift_keeps_its_amount_and_funds(in_alpha: Tenant, ada: Donor) -> None:
    gift = GiftFactory.create(donor=ada, amount="100.00", posted=True)
    before = ledger()

    for change in (
        {"amount": Decimal("120.00")},
        {"allocations": [AllocationSpec("PRP", Decimal("100.00"))]},
    ):
        with pytest.raises(StateConflict, match="refund it and record a new gift"):
            gift_update(gift=gift, acting_user=None, **change)
    gift = gift_update(gift=gift, acting_user=None, designation="Roof")

    assert gift.designation == "Roof"
    assert gift.amount == Decimal("100.00")
    assert [a.fund.code for a in gift.allocations.all()] == ["GEN"]
    assert ledger() == before


def test_a_draft_is_edited_and_its_single_allocation_follows(in_alpha: Tenant, ada: Donor) -> None:
    gift = GiftFactory.create(donor=ada, amount="100.00")

    gift = gift_update(gift=gift, acting_user=None, amount=Decimal("120.00"))

    assert [(a.fund.code, a.amount) for a in gift.allocations.all()] == [("GEN", Decimal("120.00"))]
    gift = gift_post(gift=gift, acting_user=None)
    assert ledger()["4010"] == ("0.00", "120.00")
    with pytest.raises(StateConflict, match="only a draft can be posted"):
        gift_post(gift=gift, acting_user=None)


def test_a_gift_posted_into_a_closed_period_is_refused(in_alpha: Tenant, ada: Donor) -> None:
    gift = GiftFactory.create(donor=ada, amount="100.00")
    months_closed_through(today())

    with pytest.raises(StateConflict, match="is closed"):
        gift_post(gift=gift, acting_user=None)

    gift.refresh_from_db()
    assert gift.state == GiftState.DRAFT
    assert gift.journal_entry is None
    assert not JournalLine.objects.exists()


def test_a_merge_moves_gifts_and_soft_credits(in_alpha: Tenant, ada: Donor) -> None:
    duplicate = donor_made("Ada", "Lovelace", emails=("ada@old.example.org",))
    spouse = donor_made("William", "King")
    gift = GiftFactory.create(donor=duplicate, amount="100.00", posted=True)
    spouse_gift = GiftFactory.create(
        donor=spouse,
        amount="40.00",
        soft_credits=[
            SoftCreditSpec(duplicate, "40.00"),
        ],
    )
    own = GiftFactory.create(
        donor=ada, amount="10.00", soft_credits=[SoftCreditSpec(duplicate, "10.00")]
    )

    moved_credit = SoftCredit.objects.get(gift=spouse_gift).pk
    dropped_credit = SoftCredit.objects.get(gift=own).pk

    result = donor_services.donor_merge(survivor=ada, merged=duplicate, acting_user=None)

    gift.refresh_from_db()
    assert gift.donor == ada
    assert list(SoftCredit.objects.filter(gift=spouse_gift).values_list("donor", flat=True)) == [
        ada.pk
    ]
    assert not SoftCredit.objects.filter(gift=own).exists()  # ada's own gift: hard credit
    assert result.moved["donations.gifts"] == {"gifts": [gift.pk]}
    assert result.record.moved["donations.soft_credits"] == {
        "soft_credits": [moved_credit],
        "soft_credits_dropped": [dropped_credit],
    }
    assert not Gift.objects.filter(donor=duplicate).exists()
    assert not SoftCredit.objects.filter(donor=duplicate).exists()


def test_a_merged_donor_gets_no_new_gifts(in_alpha: Tenant, ada: Donor) -> None:
    duplicate = donor_made("Ada", "Lovelace")
    donor_services.donor_merge(survivor=ada, merged=duplicate, acting_user=None)
    duplicate.refresh_from_db()

    with pytest.raises(ServiceError, match="was merged into"):
        GiftFactory.create(donor=duplicate)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE donations_gift SET amount = amount + 1 WHERE id = %s",
        "UPDATE donations_giftallocation SET amount = amount - 1 WHERE gift_id = %s",
        "DELETE FROM donations_giftallocation WHERE gift_id = %s",
    ],
)
def test_the_database_refuses_allocations_that_do_not_add_up(
    in_alpha: Tenant, ada: Donor, statement: str
) -> None:
    from django.db import IntegrityError, connection, transaction

    gift = GiftFactory.create(
        donor=ada, amount="100.00", splits=(("GEN", "60.00"), ("PRP", "40.00"))
    )
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the gift above is sound
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        refused = pytest.raises(IntegrityError, match=f"Gift {gift.pk} is allocated")
        with refused, transaction.atomic():
            cursor.execute(statement, [gift.pk])
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_draft_gift_deleted_with_its_allocations_is_not_refused(
    in_alpha: Tenant, ada: Donor
) -> None:
    from django.db import connection

    gift = GiftFactory.create(
        donor=ada, amount="100.00", splits=(("GEN", "60.00"), ("PRP", "40.00"))
    )
    gift.delete()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert not GiftAllocation.objects.filter(gift_id=gift.pk).exists()

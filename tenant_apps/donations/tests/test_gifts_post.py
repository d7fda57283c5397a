"""Recording and posting many gifts at once (gifts_create, gifts_post): the same gifts,
entries, lines, audit rows and queued receipts as one by one, in the order given, all or none,
in a number of statements that does not grow with the gifts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import Max, Q
from django.test.utils import CaptureQueriesContext

from saas_platform.lib.errors import ServiceError, StateConflict
from tenant_apps.accounting.models import JournalEntry, JournalLine
from tenant_apps.accounting.tests.factories import months_closed_through
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.models import Gift, GiftState, Receipt
from tenant_apps.donations.services.allocations import AllocationSpec
from tenant_apps.donations.services.gifts import (
    GiftSpec,
    gift_create,
    gift_post,
    gifts_create,
    gifts_post,
)
from tenant_apps.donations.services.receipt_settings import receipt_settings_update
from tenant_apps.donations.tests.factories import GiftFactory, PledgeFactory, later, today
from tenant_apps.donations.tests.readers import fund_balances, ledger
from tenant_apps.donors.models import Donor
from tests.plugin import Tenant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("deferred_constraints_checked")]


def _lines(gift: Gift) -> list[tuple[str, str, str, Decimal, Decimal, str | None]]:
    assert gift.journal_entry is not None
    return sorted(
        (
            line.account.code,
            line.fund.code,
            line.net_asset_class,
            line.debit,
            line.credit,
            line.function,
        )
        for line in gift.journal_entry.lines.select_related("account", "fund")
    )


def _audit(gift: Gift) -> list[tuple[str, dict[str, object]]]:
    """The gift's audit rows and its entry's, with the entry's number left out (it differs)."""
    assert gift.journal_entry is not None
    rows = AuditEvent.objects.filter(
        Q(object_type="gift", object_id=str(gift.pk))
        | Q(object_type="journalentry", object_id=str(gift.journal_entry.pk))
    ).order_by("id")
    return [
        (row.action, {k: v for k, v in row.detail.items() if k not in ("number", "entry")})
        for row in rows
    ]


def _pair(donor: Donor, **fields: object) -> tuple[Gift, Gift]:
    return (
        GiftFactory.create(donor=donor, **fields),
        GiftFactory.create(donor=donor, **fields),
    )


def test_gifts_posted_together_are_in_the_books_as_posted_one_by_one(
    in_alpha: Tenant, ada: Donor
) -> None:
    kinds: list[dict[str, object]] = [
        {"amount": "1000.00", "splits": (("GEN", "600.00"), ("PRP", "400.00"))},
        {"amount": "75.00", "method": "card"},
        {"amount": "40.00", "method": "in_kind", "in_kind_description": "Paper"},
    ]
    pairs = [_pair(ada, **fields) for fields in kinds]
    alone = [gift_post(gift=one, acting_user=in_alpha.owner) for one, _ in pairs]
    first_number = JournalEntry.objects.order_by("-number").values_list("number", flat=True)[0]
    assert first_number is not None

    together = gifts_post(gifts=[other for _, other in pairs], acting_user=in_alpha.owner)

    assert [gift.pk for gift in together] == [other.pk for _, other in pairs]
    for one, other in zip(alone, together, strict=True):
        other.refresh_from_db()
        assert other.state == GiftState.POSTED
        assert other.posted_by == in_alpha.owner and other.posted_at is not None
        assert other.journal_entry is not None and one.journal_entry is not None
        assert other.journal_entry.state == "posted"
        assert other.journal_entry.posted_by == in_alpha.owner
        assert (other.journal_entry.source, other.journal_entry.date) == (
            one.journal_entry.source,
            one.journal_entry.date,
        )
        assert other.journal_entry.source_reference == f"gift:{other.pk}"
        assert other.journal_entry.memo == f"Gift {other.pk} from {ada.display_name}"
        assert _lines(other) == _lines(one)
        assert _audit(other) == _audit(one)
    # Numbered in the order given, after the entries before them.
    assert [gift.journal_entry.number for gift in together if gift.journal_entry] == [
        first_number + 1,
        first_number + 2,
        first_number + 3,
    ]
    assert ledger()["4010"] == ("0.00", "2150.00")
    assert fund_balances()["PRP"] == ("800.00", "0.00", "800.00")


def test_the_batch_is_receipted_by_one_task_after_commit(
    in_alpha: Tenant, ada: Donor, django_capture_on_commit_callbacks: Any
) -> None:
    receipt_settings_update(
        acting_user=in_alpha.owner,
        ein="12-3456789",
        address="1 Main Street\nSpringfield, IL 62701",
        signatory_name="Olivia Owner",
        signatory_title="Executive Director",
    )
    gifts = [GiftFactory.create(donor=ada, amount=f"{250 + n}.00") for n in range(3)]

    with django_capture_on_commit_callbacks() as callbacks:
        gifts_post(gifts=gifts, acting_user=in_alpha.owner)

    assert len(callbacks) == 1
    assert not Receipt.objects.exists()
    callbacks[0]()  # the commit: the one task issues each gift's receipt
    assert sorted(Receipt.objects.values_list("gift_id", flat=True)) == sorted(
        gift.pk for gift in gifts
    )


def test_the_statements_do_not_grow_with_the_gifts(in_alpha: Tenant, ada: Donor) -> None:
    counts = []
    for size in (2, 12):
        gifts = [GiftFactory.create(donor=ada, amount="10.00") for _ in range(size)]
        with CaptureQueriesContext(connection) as queries:
            gifts_post(gifts=gifts, acting_user=in_alpha.owner)
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert Gift.objects.filter(state=GiftState.POSTED).count() == 14


def test_a_pledge_payment_is_posted_in_its_place_against_its_pledge(
    in_alpha: Tenant, ada: Donor
) -> None:
    pledge = PledgeFactory.create(donor=ada, amount="1000.00", posted=True)
    before = GiftFactory.create(donor=ada, amount="10.00")
    payment = GiftFactory.create(donor=pledge.donor, amount="300.00", pledge=pledge)
    after = GiftFactory.create(donor=ada, amount="20.00")

    posted = gifts_post(gifts=[before, payment, after], acting_user=in_alpha.owner)

    numbers = [gift.journal_entry.number or 0 for gift in posted if gift.journal_entry]
    assert numbers == sorted(numbers) and len(numbers) == 3
    assert ledger("GEN")["1210"] == ("700.00", "0.00")
    assert ledger("GEN")["4010"] == ("0.00", "1030.00")


@pytest.mark.parametrize("problem", ["posted", "closed"])
def test_one_gift_refused_leaves_every_gift_a_draft(
    in_alpha: Tenant, ada: Donor, problem: str
) -> None:
    good = GiftFactory.create(donor=ada, amount="10.00")
    if problem == "posted":
        bad = gift_post(
            gift=GiftFactory.create(donor=ada, amount="20.00"), acting_user=in_alpha.owner
        )
        message = f"Gift {bad.pk} is posted"
    else:
        bad = GiftFactory.create(donor=ada, amount="20.00", received_on=later(-40))
        months_closed_through(later(-40))
        message = "is closed"
    entries, lines = JournalEntry.objects.count(), JournalLine.objects.count()

    with pytest.raises(StateConflict, match=message):
        gifts_post(gifts=[good, bad], acting_user=in_alpha.owner)

    good.refresh_from_db()
    assert good.state == GiftState.DRAFT and good.journal_entry is None
    assert (JournalEntry.objects.count(), JournalLine.objects.count()) == (entries, lines)
    assert not AuditEvent.objects.filter(action="gift.post", object_id=str(good.pk)).exists()


# --- Recording many drafts at once (gifts_create) ----------------------------------------------


def test_gifts_recorded_together_are_as_recorded_one_by_one(in_alpha: Tenant, ada: Donor) -> None:
    alone = gift_create(
        donor=ada,
        amount="1000.00",
        received_on=today(),
        method="check",
        check_number="77",
        allocations=[AllocationSpec("GEN", "600.00"), AllocationSpec("PRP", "400.00")],
        acting_user=in_alpha.owner,
    )

    together = gifts_create(
        gifts=[
            GiftSpec(
                donor=ada,
                amount="1000.00",
                received_on=today(),
                method="check",
                check_number="77",
                allocations=[AllocationSpec("GEN", "600.00"), AllocationSpec("PRP", "400.00")],
            ),
            GiftSpec(donor=ada, amount="25.00", received_on=today(), method="cash"),
        ],
        acting_user=in_alpha.owner,
    )

    first, second = together
    fields = ("donor_id", "amount", "currency", "received_on", "method", "check_number", "state")
    assert [getattr(first, name) for name in fields] == [getattr(alone, name) for name in fields]
    assert first.created_by == in_alpha.owner
    assert [(a.fund.code, a.amount) for a in first.allocations.order_by("id")] == [
        (a.fund.code, a.amount) for a in alone.allocations.order_by("id")
    ]
    assert [(a.fund.code, a.amount) for a in second.allocations.all()] == [
        ("GEN", Decimal("25.00"))
    ]
    for gift in (alone, first, second):
        assert list(
            AuditEvent.objects.filter(object_type="gift", object_id=str(gift.pk)).values_list(
                "action", "detail"
            )
        ) == [("gift.create", {"donor": ada.pk, "amount": f"{gift.amount:.2f}"})]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"amount": "-5"}, "Gift 2: "),
        ({"allocations": [AllocationSpec("NOPE", "10.00")]}, "Gift 2: There is no active fund"),
        ({"method": "barter"}, "Gift 2: "),
        ({"payment_reference": "ch_1"}, "payment reference ch_1 is already recorded"),
    ],
)
def test_one_gift_refused_records_none(
    in_alpha: Tenant, ada: Donor, bad: dict[str, object], message: str
) -> None:
    given: dict[str, object] = {
        "donor": ada,
        "amount": "10.00",
        "received_on": today(),
        "method": "card",
        "payment_reference": "ch_1",
    }

    with pytest.raises(ServiceError, match=message):
        gifts_create(
            gifts=[GiftSpec(**given), GiftSpec(**{**given, **bad})],  # type: ignore[arg-type]
            acting_user=None,
        )

    assert not Gift.objects.exists()
    assert not AuditEvent.objects.filter(action="gift.create").exists()


def test_each_gifts_own_entries_are_posted_right_after_its_entry(
    in_alpha: Tenant, ada: Donor
) -> None:
    """`entries_after` (an online gift's processing fee): each gift's own entry, then the
    entries it names, numbered in that order as gift_post numbers them one gift at a time."""
    from tenant_apps.accounting import services as accounting

    def fee(gift: Gift) -> list[accounting.EntrySpec]:
        return [
            accounting.fee_entry(
                date=gift.received_on,
                amount=Decimal("1.50"),
                memo=f"Fee on gift {gift.pk}",
                source_reference=f"gift:{gift.pk}",
                credit_account="1010",
            )
        ]

    gifts = [GiftFactory.create(donor=ada, amount="30.00", method="card") for _ in range(3)]
    before = JournalEntry.objects.aggregate(last=Max("number"))["last"] or 0

    posted = gifts_post(gifts=gifts, acting_user=in_alpha.owner, entries_after=fee)

    numbered = list(
        JournalEntry.objects.filter(number__gt=before)
        .order_by("number")
        .values_list("number", "memo", "source")
    )
    assert numbered == [
        row
        for index, gift in enumerate(posted)
        for row in (
            (before + 2 * index + 1, f"Gift {gift.pk} from {ada.display_name}", "donation"),
            (before + 2 * index + 2, f"Fee on gift {gift.pk}", "fee"),
        )
    ]
    for gift in posted:
        gift.refresh_from_db()
        assert gift.journal_entry is not None
        assert gift.journal_entry.memo.startswith(f"Gift {gift.pk} ")
    assert ledger()["8550"] == ("4.50", "0.00")

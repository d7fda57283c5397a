"""A donor's giving columns (posted total, last gift's day), which the database keeps from the
donor's gifts: right after each way a gift can change, after a merge, after a donor is saved
with values read earlier, and after the rebuild command."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from tenant_apps.donations.services.gifts import (
    GiftSpec,
    gift_delete,
    gift_post,
    gift_refund,
    gift_update,
    gifts_create_post,
    gifts_post,
)
from tenant_apps.donations.tests.factories import GiftFactory
from tenant_apps.donations.tests.test_donor_giving_years import _years
from tenant_apps.donors.models import Donor
from tenant_apps.donors.services import donor_merge
from tenant_apps.donors.tests.factories import DonorFactory
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def _giving(donor: Donor) -> tuple[Decimal, date | None]:
    donor.refresh_from_db(fields=["giving_total", "giving_last_on"])
    return donor.giving_total, donor.giving_last_on


def test_a_new_donor_has_given_nothing(in_alpha: Tenant) -> None:
    donor = DonorFactory.create()
    assert _giving(donor) == (Decimal("0.00"), None)


def test_posting_counts_a_gift_and_a_draft_does_not(in_alpha: Tenant) -> None:
    donor = DonorFactory.create()
    GiftFactory.create(donor=donor, amount="40.00", received_on=date(2026, 3, 1), posted=True)
    draft = GiftFactory.create(donor=donor, amount="500.00", received_on=date(2026, 5, 1))
    assert _giving(donor) == (Decimal("40.00"), date(2026, 3, 1))

    gift_post(gift=draft, acting_user=None)

    assert _giving(donor) == (Decimal("540.00"), date(2026, 5, 1))


def test_a_refund_takes_the_gift_out_and_the_last_gift_goes_back(in_alpha: Tenant) -> None:
    donor = DonorFactory.create()
    GiftFactory.create(donor=donor, amount="40.00", received_on=date(2026, 3, 1), posted=True)
    later = GiftFactory.create(
        donor=donor, amount="900.00", received_on=date(2026, 6, 1), posted=True
    )

    gift_refund(gift=later, acting_user=None, date=date(2026, 6, 2))

    assert _giving(donor) == (Decimal("40.00"), date(2026, 3, 1))


def test_editing_and_deleting_a_draft_changes_nothing_given(in_alpha: Tenant) -> None:
    donor = DonorFactory.create()
    GiftFactory.create(donor=donor, amount="10.00", received_on=date(2026, 1, 1), posted=True)
    draft = GiftFactory.create(donor=donor, amount="70.00", received_on=date(2026, 2, 1))

    draft = gift_update(gift=draft, acting_user=None, amount=Decimal("75.00"))
    assert _giving(donor) == (Decimal("10.00"), date(2026, 1, 1))
    gift_delete(gift=draft, acting_user=None)

    assert _giving(donor) == (Decimal("10.00"), date(2026, 1, 1))


def test_a_merge_moves_the_merged_donors_giving_to_the_survivor(in_alpha: Tenant) -> None:
    survivor = DonorFactory.create(first_name="Ada", last_name="Lovelace")
    merged = DonorFactory.create(first_name="Ada", last_name="Lovelace")
    GiftFactory.create(donor=survivor, amount="25.00", received_on=date(2025, 4, 1), posted=True)
    GiftFactory.create(donor=merged, amount="100.00", received_on=date(2026, 2, 1), posted=True)

    donor_merge(survivor=survivor, merged=merged, acting_user=None)

    assert _giving(survivor) == (Decimal("125.00"), date(2026, 2, 1))
    assert _giving(merged) == (Decimal("0.00"), None)


def test_a_donor_saved_with_stale_figures_keeps_the_right_ones(in_alpha: Tenant) -> None:
    donor = DonorFactory.create()
    stale = Donor.objects.get(pk=donor.pk)  # read before the gift
    GiftFactory.create(donor=donor, amount="60.00", received_on=date(2026, 4, 1), posted=True)

    stale.notes = "Prefers a call."
    stale.save()

    assert _giving(donor) == (Decimal("60.00"), date(2026, 4, 1))


def test_the_rebuild_command_restores_figures_written_around_the_rules(
    in_alpha: Tenant,
) -> None:
    donor = DonorFactory.create()
    GiftFactory.create(donor=donor, amount="60.00", received_on=date(2026, 4, 1), posted=True)
    with connection.cursor() as cursor:
        # As a restore or a bulk load with triggers off could leave them.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE donors_donor SET giving_total = 0, giving_last_on = NULL")
        cursor.execute("SET session_replication_role = origin")
    assert _giving(donor) == (Decimal("0.00"), None)

    call_command("donor_giving_rebuild", schema_name=in_alpha.organization.schema_name)

    assert _giving(donor) == (Decimal("60.00"), date(2026, 4, 1))


def test_one_statement_of_many_gifts_counts_each_of_them_for_every_donor_it_touched(
    in_alpha: Tenant,
) -> None:
    """Given drafts of three donors, two of them from one donor, when they are posted together
    (one UPDATE of the gifts), then each donor's figures and years count every posted gift;
    when one UPDATE then moves two gifts from one donor to another and changes a draft only,
    then both donors' figures follow and the draft's donor is not written at all."""
    ada, bea, cy = (DonorFactory.create() for _ in range(3))
    drafts = [
        GiftFactory.create(donor=ada, amount="10.00", received_on=date(2025, 12, 31)),
        GiftFactory.create(donor=ada, amount="15.00", received_on=date(2026, 2, 1)),
        GiftFactory.create(donor=bea, amount="40.00", received_on=date(2026, 3, 1)),
    ]
    draft = GiftFactory.create(donor=cy, amount="99.00", received_on=date(2026, 3, 1))

    gifts_post(gifts=drafts, acting_user=None)

    assert _giving(ada) == (Decimal("25.00"), date(2026, 2, 1))
    assert _giving(bea) == (Decimal("40.00"), date(2026, 3, 1))
    assert _years(ada) == {
        2025: (Decimal("10.00"), 1, date(2025, 12, 31)),
        2026: (Decimal("15.00"), 1, date(2026, 2, 1)),
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT ctid::text FROM donors_donor WHERE id = %s", [cy.pk])
        (cy_version,) = cursor.fetchone()
        cursor.execute(
            "UPDATE donations_gift SET donor_id = CASE WHEN state = 'posted' THEN %s"
            " ELSE donor_id END, received_on = received_on"
            " + CASE WHEN state = 'posted' THEN 0 ELSE 1 END"
            " WHERE id = ANY(%s)",
            [bea.pk, [drafts[0].pk, drafts[1].pk, draft.pk]],
        )
        cursor.execute("SELECT ctid::text FROM donors_donor WHERE id = %s", [cy.pk])
        (cy_after,) = cursor.fetchone()

    assert _giving(ada) == (Decimal("0.00"), None)
    assert _years(ada) == {}
    assert _giving(bea) == (Decimal("65.00"), date(2026, 3, 1))
    assert _years(bea) == {
        2025: (Decimal("10.00"), 1, date(2025, 12, 31)),
        2026: (Decimal("55.00"), 2, date(2026, 3, 1)),
    }
    assert _giving(cy) == (Decimal("0.00"), None)
    assert cy_after == cy_version  # a draft's change counts for nothing: its donor untouched


def _figures(*donors: Donor) -> list[tuple[tuple[Decimal, date | None], dict[int, tuple]]]:
    return [(_giving(donor), _years(donor)) for donor in donors]


def test_gifts_written_posted_add_to_what_their_donors_gave_as_a_rebuild_counts_it(
    in_alpha: Tenant,
) -> None:
    """Given donors who gave before (in two fiscal years, one of them later than the new gifts)
    and one with only a draft, when gifts are written already posted in one statement (as a
    drain writes online gifts), then each donor's figures and years hold the old gifts and the
    new, the draft counting for nothing: what the rebuild command computes from every gift."""
    ada, bea, cy = (DonorFactory.create() for _ in range(3))
    GiftFactory.create(donor=ada, amount="10.00", received_on=date(2025, 6, 1), posted=True)
    GiftFactory.create(donor=ada, amount="20.00", received_on=date(2026, 1, 10), posted=True)
    GiftFactory.create(donor=bea, amount="8.00", received_on=date(2026, 5, 1), posted=True)
    GiftFactory.create(donor=cy, amount="99.00", received_on=date(2026, 2, 1))  # a draft

    gifts_create_post(
        gifts=[
            GiftSpec(donor=ada, amount="30.00", received_on=date(2026, 1, 5), method="card"),
            GiftSpec(donor=ada, amount="7.50", received_on=date(2026, 4, 1), method="card"),
            GiftSpec(donor=bea, amount="40.00", received_on=date(2025, 12, 31), method="card"),
            GiftSpec(donor=cy, amount="1.00", received_on=date(2026, 2, 2), method="ach"),
        ],
        acting_user=None,
    )

    written = _figures(ada, bea, cy)
    assert written == [
        (
            (Decimal("67.50"), date(2026, 4, 1)),
            {
                2025: (Decimal("10.00"), 1, date(2025, 6, 1)),
                2026: (Decimal("57.50"), 3, date(2026, 4, 1)),
            },
        ),
        (
            (Decimal("48.00"), date(2026, 5, 1)),
            {
                2025: (Decimal("40.00"), 1, date(2025, 12, 31)),
                2026: (Decimal("8.00"), 1, date(2026, 5, 1)),
            },
        ),
        ((Decimal("1.00"), date(2026, 2, 2)), {2026: (Decimal("1.00"), 1, date(2026, 2, 2))}),
    ]
    call_command("donor_giving_rebuild", schema_name=in_alpha.organization.schema_name)
    assert _figures(ada, bea, cy) == written

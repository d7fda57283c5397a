"""A donor's giving columns (posted total, last gift's day), which the database keeps from the
donor's gifts: right after each way a gift can change, after a merge, after a donor is saved
with values read earlier, and after the rebuild command."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from tenant_apps.donations.services.gifts import gift_delete, gift_post, gift_refund, gift_update
from tenant_apps.donations.tests.factories import GiftFactory
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

"""Each donor's posted giving by fiscal year (DonorGivingYear), which the database keeps from the
gifts, and the dashboard's lapsed donors read from it: right after each way a gift can change
(posted, refunded, voided, moved by a merge), across a fiscal year's boundary, after the fiscal
year's first month changes, after the rebuild command, and always the same donors, in the same
order, as the LYBUNT report that sums the gifts themselves."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenant_apps.accounting import services as accounting
from tenant_apps.donations import dashboard
from tenant_apps.donations.models import DonorGivingYear, Gift
from tenant_apps.donations.reports import lybunt_donors
from tenant_apps.donations.services.gifts import gift_post, gift_refund, gift_void
from tenant_apps.donations.tests.factories import GiftFactory
from tenant_apps.donors.models import Donor
from tenant_apps.donors.services import donor_merge
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

TODAY = date(2026, 5, 15)  # FY2026 with calendar fiscal years


def _posted(donor: Donor, amount: str, day: date) -> Gift:
    return GiftFactory.create(donor=donor, amount=amount, received_on=day, posted=True)


def _years(donor: Donor) -> dict[int, tuple[Decimal, int, date]]:
    rows = DonorGivingYear.objects.filter(donor=donor).order_by("fiscal_year")
    return {row.fiscal_year: (row.total, row.gift_count, row.last_gift_on) for row in rows}


def _lapsed(today: date = TODAY) -> list[tuple[str, Decimal, date]]:
    lapsed = dashboard.lapsed_donors_to_call(years=dashboard.fiscal_years_on(today))
    return [(donor.display_name, donor.last_year, donor.last_gift_on) for donor in lapsed]


# --- The kept rows --------------------------------------------------------------------------


def test_posted_gifts_are_added_up_by_fiscal_year_and_a_draft_is_not(in_alpha: Tenant) -> None:
    donor = donor_made("Ada", "Giver")
    _posted(donor, "40.00", date(2025, 3, 1))
    _posted(donor, "60.00", date(2025, 11, 30))
    _posted(donor, "15.00", date(2026, 1, 1))
    draft = GiftFactory.create(donor=donor, amount="500.00", received_on=date(2026, 2, 1))

    assert _years(donor) == {
        2025: (Decimal("100.00"), 2, date(2025, 11, 30)),
        2026: (Decimal("15.00"), 1, date(2026, 1, 1)),
    }

    gift_post(gift=draft, acting_user=None)

    assert _years(donor)[2026] == (Decimal("515.00"), 2, date(2026, 2, 1))


def test_a_refund_and_a_void_take_the_gift_out_of_its_year(in_alpha: Tenant) -> None:
    donor = donor_made("Ben", "Giver")
    kept = _posted(donor, "40.00", date(2026, 3, 1))
    refunded = _posted(donor, "900.00", date(2026, 4, 1))
    voided = _posted(donor, "70.00", date(2025, 6, 1))

    gift_refund(gift=refunded, acting_user=None, date=date(2026, 4, 2))
    assert _years(donor) == {
        2025: (Decimal("70.00"), 1, date(2025, 6, 1)),
        2026: (Decimal("40.00"), 1, date(2026, 3, 1)),
    }

    gift_void(gift=voided, reason="A check that bounced.", acting_user=None)

    # A year with nothing left in it has no row.
    assert _years(donor) == {2026: (Decimal("40.00"), 1, kept.received_on)}


def test_the_fiscal_year_start_files_each_gift_and_a_change_of_it_files_them_again(
    in_alpha: Tenant,
) -> None:
    accounting.settings_update(fiscal_year_start_month=7, acting_user=None)
    donor = donor_made("Ann", "July")
    _posted(donor, "10.00", date(2026, 6, 30))  # the last day of FY2026
    _posted(donor, "20.00", date(2026, 7, 1))  # the first day of FY2027

    assert _years(donor) == {
        2026: (Decimal("10.00"), 1, date(2026, 6, 30)),
        2027: (Decimal("20.00"), 1, date(2026, 7, 1)),
    }

    # The books refuse the change once anything is posted; a load around them could make it.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounting_accountingsettings SET fiscal_year_start_month = 1")

    assert _years(donor) == {2026: (Decimal("30.00"), 2, date(2026, 7, 1))}


def test_a_merge_moves_the_years_to_the_survivor(in_alpha: Tenant) -> None:
    survivor = donor_made("Cy", "Same")
    merged = donor_made("Cy", "Same")
    _posted(survivor, "25.00", date(2025, 4, 1))
    _posted(merged, "100.00", date(2025, 8, 1))
    _posted(merged, "5.00", date(2026, 2, 1))

    donor_merge(survivor=survivor, merged=merged, acting_user=None)

    assert _years(survivor) == {
        2025: (Decimal("125.00"), 2, date(2025, 8, 1)),
        2026: (Decimal("5.00"), 1, date(2026, 2, 1)),
    }
    assert _years(merged) == {}


def test_the_rebuild_command_restores_years_written_around_the_rules(in_alpha: Tenant) -> None:
    donor = donor_made("Dee", "Giver")
    _posted(donor, "60.00", date(2026, 4, 1))
    with connection.cursor() as cursor:
        # As a restore or a bulk load with triggers off could leave them.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("DELETE FROM donations_donorgivingyear")
        cursor.execute("SET session_replication_role = origin")
    assert _years(donor) == {}

    call_command("donor_giving_rebuild", schema_name=in_alpha.organization.schema_name)

    assert _years(donor) == {2026: (Decimal("60.00"), 1, date(2026, 4, 1))}


# --- The dashboard's lapsed donors ----------------------------------------------------------


def test_the_lapsed_donors_change_as_gifts_post_refund_and_void(in_alpha: Tenant) -> None:
    lapsed = donor_made("Lee", "Lapsed")
    _posted(lapsed, "300.00", date(2025, 9, 1))
    other = donor_made("Max", "Lapsed")
    _posted(other, "50.00", date(2025, 2, 1))
    assert _lapsed() == [
        ("Lee Lapsed", Decimal("300.00"), date(2025, 9, 1)),
        ("Max Lapsed", Decimal("50.00"), date(2025, 2, 1)),
    ]

    # Given this year, Lee is back: no longer lapsed.
    back = _posted(lapsed, "20.00", date(2026, 5, 1))
    assert _lapsed() == [("Max Lapsed", Decimal("50.00"), date(2025, 2, 1))]

    # The gift is refunded: Lee has given nothing this year after all.
    gift_refund(gift=back, acting_user=None, date=date(2026, 5, 2))
    assert _lapsed()[0] == ("Lee Lapsed", Decimal("300.00"), date(2025, 9, 1))

    # Another gift this year, then voided: lapsed again.
    again = _posted(lapsed, "20.00", date(2026, 5, 3))
    assert [name for name, *_ in _lapsed()] == ["Max Lapsed"]
    gift_void(gift=again, reason="Entered twice.", acting_user=None)
    assert [name for name, *_ in _lapsed()] == ["Lee Lapsed", "Max Lapsed"]

    # Last year's gift of Max voided: Max gave nothing last year.
    (max_gift,) = Gift.objects.filter(donor=other)
    gift_void(gift=max_gift, reason="A check that bounced.", acting_user=None)
    assert [name for name, *_ in _lapsed()] == ["Lee Lapsed"]


def test_the_lapsed_donors_move_on_at_the_fiscal_year_boundary(in_alpha: Tenant) -> None:
    accounting.settings_update(fiscal_year_start_month=7, acting_user=None)
    june = donor_made("Jun", "Giver")  # gave in FY2026 (July 2025 to June 2026)
    _posted(june, "80.00", date(2026, 6, 30))
    older = donor_made("Old", "Giver")  # gave in FY2025 only
    _posted(older, "40.00", date(2025, 6, 30))

    # On the last day of FY2026, FY2025's donors who did not give in FY2026 are lapsed.
    assert _lapsed(date(2026, 6, 30)) == [("Old Giver", Decimal("40.00"), date(2025, 6, 30))]
    # The next day FY2027 begins: FY2026's donors have not given yet, FY2025's drop off.
    assert _lapsed(date(2026, 7, 1)) == [("Jun Giver", Decimal("80.00"), date(2026, 6, 30))]

    _posted(june, "10.00", date(2026, 7, 1))

    assert _lapsed(date(2026, 7, 1)) == []


def test_the_lapsed_donors_are_the_lybunt_reports_first_in_its_order(in_alpha: Tenant) -> None:
    """On varied giving (ties broken by name, gifts dated after this fiscal year, drafts,
    refunds), the tile shows the LYBUNT report's first donors, with the same figures."""
    rng = random.Random(20261204)  # noqa: S311 (test data, not security)
    years = dashboard.fiscal_years_on(TODAY)
    donors = [donor_made(f"Given{number:02}", rng.choice(["Ash", "Birch"])) for number in range(40)]
    for donor in donors:
        for _ in range(rng.randint(0, 4)):
            day = date(2024, 6, 1) + timedelta(days=rng.randint(0, 1000))  # to early 2027
            amount = rng.choice(["25.00", "50.00", "100.00", "250.00"])
            gift = GiftFactory.create(
                donor=donor, amount=amount, received_on=day, posted=rng.random() < 0.85
            )
            if gift.state == "posted" and rng.random() < 0.1:
                gift_refund(gift=gift, acting_user=None, date=day)

    expected = [
        (row["display_name"], row["last_year"], row["last_gift_on"])
        for row in lybunt_donors(years=years, limit=dashboard.LAPSED_DONORS_SHOWN)
    ]

    assert len(expected) >= 5  # enough lapsed donors for the order to be tested
    assert _lapsed() == expected


def test_the_lapsed_donors_are_one_query(
    in_alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    for number in range(3):
        _posted(donor_made("Query", f"Giver{number}"), "10.00", date(2025, 3, 1))
    years = dashboard.fiscal_years_on(TODAY)

    with count_queries() as queries:
        lapsed = dashboard.lapsed_donors_to_call(years=years)

    # django-tenants' search path aside.
    sql = [query["sql"] for query in queries.captured_queries if not query["sql"].startswith("SET")]
    assert len(sql) == 1, sql
    assert len(lapsed) == 3

"""The dashboard's reads, on gifts made on known dates and seen from a known day: giving against
the same days of last year, campaigns against goal, the lapsed donors to call, drafts, open
deposits, cash by fund and a new organization's first steps."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.selectors import cash_by_fund
from tenant_apps.donations import dashboard
from tenant_apps.donations.models import Gift
from tenant_apps.donations.services.campaigns import campaign_create, campaign_update
from tenant_apps.donations.services.deposits import deposit_add_gift, deposit_create
from tenant_apps.donations.services.gifts import gift_refund
from tenant_apps.donations.services.receipt_settings import receipt_settings_update
from tenant_apps.donations.tests.factories import GiftFactory
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import DonorFactory, donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

TODAY = date(2026, 5, 15)


def _posted(donor: Donor, amount: str, day: date, **fields: Any) -> Gift:
    return GiftFactory.create(donor=donor, amount=amount, received_on=day, posted=True, **fields)


def _giving(today: date = TODAY) -> dashboard.GivingComparison:
    return dashboard.giving_comparison(today=today, years=dashboard.fiscal_years_on(today))


# --- Giving against last year -----------------------------------------------------------------


def test_giving_compares_this_month_and_year_with_the_same_days_of_last_year(
    in_alpha: Tenant,
) -> None:
    donor = donor_made("Ada", "Giver")
    _posted(donor, "100.00", date(2026, 5, 1))  # this month
    _posted(donor, "200.00", date(2026, 2, 10))  # this year
    _posted(donor, "999.00", date(2026, 5, 20))  # after today: not yet counted
    GiftFactory.create(donor=donor, amount="500.00", received_on=date(2026, 5, 2))  # a draft
    _posted(donor, "50.00", date(2025, 5, 10))  # the same days of May last year
    _posted(donor, "70.00", date(2025, 5, 20))  # later in May last year
    _posted(donor, "30.00", date(2025, 1, 5))  # last year, by this day
    _posted(donor, "400.00", date(2025, 11, 1))  # last year, after this day
    _posted(donor, "8.00", date(2024, 12, 31))  # the year before last: not shown
    refunded = _posted(donor, "900.00", date(2026, 5, 3))
    gift_refund(gift=refunded, acting_user=None, date=date(2026, 5, 4))

    giving = _giving()

    assert giving.years.this_year == 2026
    assert giving.this_month == Decimal("100.00")
    assert giving.this_month_last_year == Decimal("50.00")
    assert giving.year_to_date == Decimal("300.00")
    assert giving.year_to_date_last_year == Decimal("80.00")
    by_month = {month.month: month for month in giving.months}
    assert [month.month for month in giving.months][0] == date(2026, 1, 1)
    assert len(giving.months) == 12
    assert (by_month[date(2026, 1, 1)].this_year, by_month[date(2026, 1, 1)].last_year) == (
        Decimal("0.00"),
        Decimal("30.00"),
    )
    assert by_month[date(2026, 2, 1)].this_year == Decimal("200.00")
    assert (by_month[date(2026, 5, 1)].this_year, by_month[date(2026, 5, 1)].last_year) == (
        Decimal("100.00"),
        Decimal("120.00"),
    )
    # A month still to come has no figure this year, and last year's figure all the same.
    assert (by_month[date(2026, 11, 1)].this_year, by_month[date(2026, 11, 1)].last_year) == (
        None,
        Decimal("400.00"),
    )
    assert giving.has_gifts


def test_giving_follows_the_fiscal_year_start(in_alpha: Tenant) -> None:
    accounting.settings_update(fiscal_year_start_month=7, acting_user=None)
    donor = donor_made("Ann", "July")
    _posted(donor, "10.00", date(2026, 6, 30))  # FY2026
    _posted(donor, "20.00", date(2026, 7, 1))  # FY2027
    _posted(donor, "40.00", date(2025, 7, 20))  # FY2026, by this day of it

    giving = _giving(date(2026, 8, 10))

    assert (giving.years.this_year, giving.years.this_start) == (2027, date(2026, 7, 1))
    assert giving.months[0].month == date(2026, 7, 1)
    assert giving.year_to_date == Decimal("20.00")
    assert giving.year_to_date_last_year == Decimal("40.00")
    assert giving.months[0].last_year == Decimal("40.00")
    assert giving.months[11].last_year == Decimal("10.00")


def test_a_year_before_the_29th_of_february_is_the_28th() -> None:
    assert dashboard.a_year_before(date(2028, 2, 29)) == date(2027, 2, 28)
    assert dashboard.a_year_before(date(2026, 5, 15)) == date(2025, 5, 15)


def test_no_gifts_is_said_plainly(in_alpha: Tenant) -> None:
    giving = _giving()

    assert not giving.has_gifts
    assert giving.this_month == giving.year_to_date == Decimal("0.00")


# --- Campaigns, lapsed donors, drafts, deposits -----------------------------------------------


def test_campaigns_show_posted_giving_against_goal_ending_soonest_first(in_alpha: Tenant) -> None:
    spring = campaign_create(
        code="SPRING", name="Spring appeal", goal="1000.00", end=date(2026, 6, 30), acting_user=None
    )
    fall = campaign_create(code="FALL", name="Fall appeal", acting_user=None)
    old = campaign_create(code="OLD", name="Old appeal", goal="10.00", acting_user=None)
    campaign_update(campaign=old, is_active=False, acting_user=None)
    donor = donor_made("Ben", "Giver")
    _posted(donor, "250.00", TODAY, campaign=spring)
    GiftFactory.create(donor=donor, amount="400.00", campaign=spring)  # a draft
    _posted(donor, "1200.00", TODAY, campaign=fall)

    campaigns = dashboard.campaigns_against_goal()

    assert [(c.code, c.goal, c.raised) for c in campaigns] == [
        ("SPRING", Decimal("1000.00"), Decimal("250.00")),
        ("FALL", Decimal("0.00"), Decimal("1200.00")),
    ]
    assert (campaigns[0].percent, campaigns[0].bar_percent) == (25, 25)
    assert (campaigns[1].percent, campaigns[1].bar_percent) == (None, 0)


def test_a_campaign_past_its_goal_shows_a_full_bar(in_alpha: Tenant) -> None:
    campaign = campaign_create(code="GALA", name="Gala", goal="100.00", acting_user=None)
    _posted(donor_made("Cy", "Giver"), "150.00", TODAY, campaign=campaign)

    (progress,) = dashboard.campaigns_against_goal()

    assert (progress.percent, progress.bar_percent) == (150, 100)


def test_lapsed_donors_to_call_are_last_years_largest_not_yet_back(in_alpha: Tenant) -> None:
    for number in range(1, 13):
        _posted(donor_made("Lapsed", f"Number{number:02}"), f"{number}0.00", date(2025, 3, 1))
    back = donor_made("Back", "Again")
    _posted(back, "999.00", date(2025, 3, 1))
    _posted(back, "5.00", date(2026, 1, 5))

    lapsed = dashboard.lapsed_donors_to_call(years=dashboard.fiscal_years_on(TODAY))

    assert [donor.display_name for donor in lapsed] == [
        f"Lapsed Number{number:02}" for number in range(12, 2, -1)
    ]
    assert lapsed[0].last_year == Decimal("120.00")
    assert lapsed[0].last_gift_on == date(2025, 3, 1)


def test_drafts_and_open_deposits_are_counted_and_totalled(in_alpha: Tenant) -> None:
    donor = donor_made("Dee", "Giver")
    GiftFactory.create(donor=donor, amount="75.00")
    GiftFactory.create(donor=donor, amount="25.50")
    check = _posted(donor, "100.00", TODAY)
    deposit = deposit_create(
        deposit_on=TODAY, expected_count=2, expected_total="300.00", acting_user=None
    )
    deposit_add_gift(deposit=deposit, gift=check, acting_user=None)
    deposit_create(
        deposit_on=date(2026, 5, 16), expected_count=1, expected_total="50.00", acting_user=None
    )

    drafts = dashboard.draft_gifts()
    deposits = dashboard.open_deposits()

    assert (drafts.count, drafts.total) == (2, Decimal("100.50"))
    assert (deposits.count, deposits.expected_total, deposits.entered_total) == (
        2,
        Decimal("350.00"),
        Decimal("100.00"),
    )
    first = deposits.deposits[0]
    assert (first.deposit_id, first.entered_count, first.entered_total) == (
        deposit.pk,
        1,
        Decimal("100.00"),
    )
    assert not first.matches


def test_nothing_waiting_is_zero(in_alpha: Tenant) -> None:
    assert dashboard.draft_gifts() == dashboard.DraftGifts(count=0, total=Decimal("0.00"))
    assert dashboard.open_deposits() == dashboard.OpenDeposits(
        count=0, expected_total=Decimal("0.00"), entered_total=Decimal("0.00"), deposits=[]
    )


# --- Cash by fund -----------------------------------------------------------------------------


def test_cash_by_fund_sums_the_cash_accounts_of_each_fund(in_alpha: Tenant) -> None:
    donor = donor_made("Eve", "Giver")
    _posted(donor, "100.00", date(2026, 5, 1), method="ach")  # Dr 1010 cash, GEN
    _posted(donor, "60.00", date(2026, 5, 2), splits=(("PRP", "60.00"),))  # Dr 1050, PRP
    _posted(donor, "40.00", date(2026, 5, 20))  # after the day asked about
    GiftFactory.create(donor=donor, amount="500.00", received_on=date(2026, 5, 3))  # a draft

    cash = cash_by_fund(as_of=TODAY)

    assert [(fund.code, fund.cash) for fund in cash.funds] == [
        ("GEN", Decimal("100.00")),
        ("PRP", Decimal("60.00")),
    ]
    assert cash.total == Decimal("160.00")


def test_cash_by_fund_is_empty_before_any_gift(in_alpha: Tenant) -> None:
    cash = cash_by_fund(as_of=TODAY)

    assert (cash.funds, cash.total) == ([], Decimal("0.00"))


# --- Setting up -------------------------------------------------------------------------------


def test_setup_progress_follows_the_first_steps(in_alpha: Tenant) -> None:
    assert dashboard.setup_progress() == dashboard.SetupProgress(
        ein_set=False, receipt_settings_done=False, has_donor=False, has_gift=False
    )

    receipt_settings_update(ein="12-3456789", acting_user=None)
    assert dashboard.setup_progress().ein_set
    assert not dashboard.setup_progress().receipt_settings_done  # no signer yet
    receipt_settings_update(
        legal_name="Alpha Relief Fund", signatory_name="Grace Hopper", acting_user=None
    )
    donor = DonorFactory.create()
    GiftFactory.create(donor=donor)

    assert dashboard.setup_progress() == dashboard.SetupProgress(
        ein_set=True, receipt_settings_done=True, has_donor=True, has_gift=True
    )

"""Reads for the dashboard: giving this month and fiscal year against the same stretch of last
year (and by month, for the chart), campaigns against their goals, the lapsed donors to call,
the drafts waiting to be posted, the open deposits, the months over and not yet closed, and how
far a new organization has got with setting up. Every figure is an aggregate in the database: a
fixed number of queries whatever the number of gifts, donors or campaigns.

Only posted gifts count as given (a draft is not yet given, a refunded gift was given back), as
in the fundraising reports. `today` is passed in, so the figures can be checked on known dates.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.selectors import (
    CashByFund,
    MonthsNotClosed,
    cash_by_fund,
    months_not_closed,
)
from tenant_apps.donations.models import (
    Campaign,
    Deposit,
    DepositState,
    DonorGivingYear,
    Gift,
    GiftState,
    ReceiptSettings,
)
from tenant_apps.donations.selectors import FiscalYears, fiscal_years_of
from tenant_apps.donors.models import Donor

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
CAMPAIGNS_SHOWN = 10
LAPSED_DONORS_SHOWN = 10
OPEN_DEPOSITS_SHOWN = 5


def fiscal_years_on(day: date) -> FiscalYears:
    """The fiscal year `day` is in and the one before (one query: the books' settings)."""
    start_month = accounting.accounting_settings().fiscal_year_start_month
    return fiscal_years_of(
        fiscal_year=accounting.fiscal_year_of(day, start_month=start_month),
        start_month=start_month,
    )


def a_year_before(day: date) -> date:
    """The same day a year earlier; February 29th becomes the 28th."""
    return date(day.year - 1, day.month, min(day.day, monthrange(day.year - 1, day.month)[1]))


def _months_from(start: date, count: int) -> list[date]:
    return [
        date(start.year + (start.month - 1 + step) // 12, (start.month - 1 + step) % 12 + 1, 1)
        for step in range(count)
    ]


# --- Giving against last year -----------------------------------------------------------------


@dataclass(frozen=True)
class MonthGiving:
    month: date  # the first day of the month, in this fiscal year
    this_year: Decimal | None  # None for a month still to come
    last_year: Decimal


@dataclass(frozen=True)
class GivingComparison:
    """Posted giving this month and fiscal year to date, each against the same days of last
    year, and each month of this fiscal year against the same month of last year."""

    today: date
    years: FiscalYears
    this_month: Decimal
    this_month_last_year: Decimal
    year_to_date: Decimal
    year_to_date_last_year: Decimal
    months: list[MonthGiving]

    @property
    def has_gifts(self) -> bool:
        return any(month.this_year or month.last_year for month in self.months)


def giving_comparison(*, today: date, years: FiscalYears) -> GivingComparison:
    """One query: last fiscal year's and this one's posted giving by day (at most about 730
    rows, read from the gift_posted_by_day index alone), added up here by month and into the
    stretches compared."""
    last_year_today = a_year_before(today)
    this_month_start = today.replace(day=1)
    this_month_last_year_start = a_year_before(this_month_start)
    by_day = (
        Gift.objects.filter(
            state=GiftState.POSTED, received_on__gte=years.last_start, received_on__lte=today
        )
        .values("received_on")
        .annotate(total=Sum("amount"))
        .order_by()
        .values_list("received_on", "total")
    )
    totals = dict.fromkeys(
        ("this_month", "this_month_last_year", "year_to_date", "year_to_date_last_year"), ZERO
    )
    by_month: dict[date, Decimal] = {}
    for day, total in by_day:
        month = day.replace(day=1)
        by_month[month] = by_month.get(month, ZERO) + total
        if day >= years.this_start:
            totals["year_to_date"] += total
            if day >= this_month_start:
                totals["this_month"] += total
        elif day <= last_year_today:
            totals["year_to_date_last_year"] += total
            if day >= this_month_last_year_start:
                totals["this_month_last_year"] += total
    months = [
        MonthGiving(
            month=this_month,
            this_year=None if this_month > this_month_start else by_month.get(this_month, ZERO),
            last_year=by_month.get(last_month, ZERO),
        )
        for this_month, last_month in zip(
            _months_from(years.this_start, 12), _months_from(years.last_start, 12), strict=True
        )
    ]
    return GivingComparison(today=today, years=years, months=months, **totals)


# --- Campaigns --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignProgress:
    code: str
    name: str
    goal: Decimal
    raised: Decimal
    campaign_id: int

    @property
    def percent(self) -> int | None:
        """The share of the goal raised, whole percent (None without a goal)."""
        if not self.goal:
            return None
        return int(self.raised * HUNDRED / self.goal)

    @property
    def bar_percent(self) -> int:
        """What the progress bar shows: past the goal, a full bar."""
        return min(self.percent or 0, 100)


def campaigns_against_goal(*, limit: int = CAMPAIGNS_SHOWN) -> list[CampaignProgress]:
    """The active campaigns, those ending soonest first, with their posted giving: one query.
    Only the campaigns shown are summed, each from the gift_posted_by_campaign index alone (a
    join summing every campaign's gifts read the whole gift table: 0.4 s on 300,000 gifts)."""
    raised = (
        Gift.objects.filter(campaign=OuterRef("pk"), state=GiftState.POSTED)
        .order_by()
        .values("campaign")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    rows = (
        Campaign.objects.filter(is_active=True)
        .order_by("end", "code")
        .annotate(raised=Coalesce(Subquery(raised), ZERO))
        .values_list("code", "name", "goal", "raised", "pk")[:limit]
    )
    return [CampaignProgress(*row) for row in rows]


# --- Lapsed donors ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LapsedDonor:
    donor_id: int
    display_name: str
    last_year: Decimal
    last_gift_on: date


def lapsed_donors_to_call(
    *, years: FiscalYears, limit: int = LAPSED_DONORS_SHOWN
) -> list[LapsedDonor]:
    """LYBUNT's first donors (gave last fiscal year, not yet this one), largest first, as the
    LYBUNT report orders them (then by name). One query over each donor's giving by fiscal
    year, which the database keeps from the gifts (DonorGivingYear): it reads last year's
    largest givers down an index and skips those with a row this year, instead of summing two
    fiscal years of gifts (0.8 s on 300,000 gifts: bench/pages.py)."""
    came_back = DonorGivingYear.objects.filter(donor=OuterRef("donor"), fiscal_year=years.this_year)
    rows = (
        DonorGivingYear.objects.filter(fiscal_year=years.last_year)
        .filter(~Exists(came_back))
        .order_by("-total", "donor__display_name", "donor_id")
        .values_list("donor_id", "donor__display_name", "total", "last_gift_on")[:limit]
    )
    return [LapsedDonor(*row) for row in rows]


# --- Drafts and deposits ----------------------------------------------------------------------


@dataclass(frozen=True)
class DraftGifts:
    count: int
    total: Decimal


def draft_gifts() -> DraftGifts:
    totals = Gift.objects.filter(state=GiftState.DRAFT).aggregate(
        count=Count("id"), total=Coalesce(Sum("amount"), ZERO)
    )
    return DraftGifts(**totals)


@dataclass(frozen=True)
class OpenDeposit:
    deposit_id: int
    deposit_on: date
    expected_count: int
    expected_total: Decimal
    entered_count: int
    entered_total: Decimal

    @property
    def matches(self) -> bool:
        return (self.entered_count, self.entered_total) == (
            self.expected_count,
            self.expected_total,
        )


@dataclass(frozen=True)
class OpenDeposits:
    count: int
    expected_total: Decimal
    entered_total: Decimal
    deposits: list[OpenDeposit]  # the oldest few


def open_deposits(*, limit: int = OPEN_DEPOSITS_SHOWN) -> OpenDeposits:
    """The open deposits' count and totals, expected and entered, and the oldest few: two
    queries (the totals over deposits and over their gifts apart, so neither is counted
    twice) and one for the rows."""
    open_ = Deposit.objects.filter(state=DepositState.OPEN)
    expected = open_.aggregate(count=Count("id"), total=Coalesce(Sum("expected_total"), ZERO))
    entered = Gift.objects.filter(deposit__state=DepositState.OPEN).aggregate(
        total=Coalesce(Sum("amount"), ZERO)
    )
    rows = (
        open_.annotate(
            entered_count=Count("gifts"), entered_total=Coalesce(Sum("gifts__amount"), ZERO)
        )
        .order_by("deposit_on", "id")
        .values_list(
            "id",
            "deposit_on",
            "expected_count",
            "expected_total",
            "entered_count",
            "entered_total",
        )[:limit]
    )
    return OpenDeposits(
        count=expected["count"],
        expected_total=expected["total"],
        entered_total=entered["total"],
        deposits=[OpenDeposit(*row) for row in rows],
    )


# --- Setting up -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetupProgress:
    """What a new organization has done of its first steps."""

    ein_set: bool
    receipt_settings_done: bool
    has_donor: bool
    has_gift: bool


def setup_progress() -> SetupProgress:
    """The EIN (receipts cannot go out without it); receipts' legal name and signer; then a
    first donor and a first gift. Three small queries, none writing."""
    settings_row = ReceiptSettings.objects.filter(pk=1).first()
    receipt_settings_done = bool(
        settings_row is not None and settings_row.legal_name and settings_row.signatory_name
    )
    return SetupProgress(
        ein_set=bool(settings_row is not None and settings_row.ein),
        receipt_settings_done=receipt_settings_done,
        has_donor=Donor.objects.exists(),
        has_gift=Gift.objects.exists(),
    )


# --- The summaries, by desk -------------------------------------------------------------------


@dataclass(frozen=True)
class FundraisingSummary:
    giving: GivingComparison
    campaigns: list[CampaignProgress]
    lapsed_donors: list[LapsedDonor]
    drafts: DraftGifts


def fundraising_summary(*, today: date) -> FundraisingSummary:
    """The fundraiser's desk: six queries."""
    years = fiscal_years_on(today)
    return FundraisingSummary(
        giving=giving_comparison(today=today, years=years),
        campaigns=campaigns_against_goal(),
        lapsed_donors=lapsed_donors_to_call(years=years),
        drafts=draft_gifts(),
    )


@dataclass(frozen=True)
class BooksSummary:
    drafts: DraftGifts
    deposits: OpenDeposits
    cash: CashByFund
    months: MonthsNotClosed


def books_summary(*, today: date) -> BooksSummary:
    """The bookkeeper's desk: six queries."""
    return BooksSummary(
        drafts=draft_gifts(),
        deposits=open_deposits(),
        cash=cash_by_fund(as_of=today),
        months=months_not_closed(today=today),
    )

"""The charts the fundraising reports draw on their pages, from the figures each report already
has (no query of their own): where the money is (funds, campaigns against their goals, top
donors), who stayed (retention), and what lapsed donors stand for (LYBUNT by giving level,
SYBUNT by how long ago they last gave). None where a chart would have nothing to show.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.template.defaultfilters import pluralize

from saas_platform.lib.charts import HorizontalBarChart, ValueStyle, horizontal_bar_chart
from saas_platform.lib.formatting import count

# The giving levels of LYBUNT's chart, largest first: each is from its amount up to the next.
GIVING_LEVELS: tuple[tuple[Decimal, str], ...] = (
    (Decimal(5000), "$5,000 or more"),
    (Decimal(1000), "$1,000 to under $5,000"),
    (Decimal(500), "$500 to under $1,000"),
    (Decimal(100), "$100 to under $500"),
    (Decimal(0), "Under $100"),
)
# SYBUNT's chart names this many fiscal years of last gifts one by one, and gathers the
# earlier ones in one row: past five years away the year matters less than that they left.
SYBUNT_YEARS = 5
# Top donors may list up to 500; the chart draws the first of them (the list has the rest).
TOP_DONORS_CHARTED = 25


def _donors(number: int) -> str:
    return f"{count(number)} donor{pluralize(number)}"


def giving_level(amount: Decimal) -> str:
    return next(label for floor, label in GIVING_LEVELS if amount >= floor)


def lybunt_chart(*, amounts: Sequence[Decimal], last_year: int) -> HorizontalBarChart | None:
    """Last year's giving of the LYBUNT donors (`amounts`, one a donor) by giving level: whether
    what is at risk is a few large gifts or many small ones, which decides how to ask again."""
    if not amounts:
        return None
    totals: dict[str, Decimal] = defaultdict(Decimal)
    donors: dict[str, int] = defaultdict(int)
    for amount in amounts:
        level = giving_level(amount)
        totals[level] += amount
        donors[level] += 1
    levels = [label for _, label in GIVING_LEVELS]
    return horizontal_bar_chart(
        title=f"FY{last_year} giving at risk, by giving level",
        label_heading="Giving level",
        series=[f"FY{last_year} giving"],
        rows=[(label, [totals[label]]) for label in levels],
        notes=[_donors(donors[label]) for label in levels],
        note_heading="Donors",
    )


def sybunt_chart(*, donors: Sequence[tuple[int, Decimal]]) -> HorizontalBarChart | None:
    """The SYBUNT donors' lifetime giving by the fiscal year of their last gift (`donors` is
    one (that year, lifetime giving) a donor): last year's giving is nothing by definition, and
    how long ago a donor left is what says whom to try first."""
    if not donors:
        return None
    years = sorted({year for year, _ in donors}, reverse=True)
    named, earlier = years[:SYBUNT_YEARS], years[SYBUNT_YEARS:]
    labels = {year: f"FY{year}" for year in named}
    if earlier:
        labels |= {year: f"FY{earlier[0]} or earlier" for year in earlier}
    totals: dict[str, Decimal] = defaultdict(Decimal)
    counts: dict[str, int] = defaultdict(int)
    for year, lifetime in donors:
        totals[labels[year]] += lifetime
        counts[labels[year]] += 1
    order = list(dict.fromkeys(labels[year] for year in years))
    return horizontal_bar_chart(
        title="Lifetime giving of lapsed donors, by the fiscal year of their last gift",
        label_heading="Last gift in",
        series=["Lifetime giving"],
        rows=[(label, [totals[label]]) for label in order],
        notes=[_donors(counts[label]) for label in order],
        note_heading="Donors",
    )


@dataclass(frozen=True)
class CampaignFigures:
    name: str
    goal: Decimal
    raised: Decimal
    percent: str | None  # of the goal, "50.0"; None without a goal


def campaign_chart(*, campaigns: Sequence[CampaignFigures]) -> HorizontalBarChart | None:
    if not campaigns:
        return None
    return horizontal_bar_chart(
        title="Raised against goal, by campaign",
        label_heading="Campaign",
        series=["Raised", "Goal"],
        rows=[(campaign.name, [campaign.raised, campaign.goal or None]) for campaign in campaigns],
        notes=[
            f"{campaign.percent}% of goal" if campaign.percent is not None else "No goal"
            for campaign in campaigns
        ],
        note_heading="Of the goal",
    )


@dataclass(frozen=True)
class FundFigures:
    name: str
    amount: Decimal
    gift_count: int


def fund_chart(*, funds: Sequence[FundFigures]) -> HorizontalBarChart | None:
    if not funds:
        return None
    return horizontal_bar_chart(
        title="Giving by fund",
        label_heading="Fund",
        series=["Amount"],
        rows=[(fund.name, [fund.amount]) for fund in funds],
        notes=[f"{count(fund.gift_count)} gift{pluralize(fund.gift_count)}" for fund in funds],
        note_heading="Gifts",
    )


def top_donors_chart(*, donors: Sequence[tuple[str, Decimal]]) -> HorizontalBarChart | None:
    """The first donors of the list (name, total), largest first."""
    if not donors:
        return None
    charted = donors[:TOP_DONORS_CHARTED]
    return horizontal_bar_chart(
        title=f"The top {len(charted)} donors by total giving",
        label_heading="Donor",
        series=["Total"],
        rows=[(name, [total]) for name, total in charted],
    )


def retention_chart(
    *,
    fiscal_year: int,
    last_year: int,
    rate: str | None,
    retained: int,
    lapsed: int,
    new: int,
    reactivated: int,
) -> HorizontalBarChart | None:
    """Last year's donors who stayed and who lapsed, and this year's who are new or came back:
    the rate alone hides whether lapsed donors are being replaced."""
    if not any((retained, lapsed, new, reactivated)):
        return None
    title = (
        f"FY{fiscal_year}: {rate}% of FY{last_year}'s donors gave again"
        if rate is not None
        else f"Donors of FY{fiscal_year} against FY{last_year}"
    )
    return horizontal_bar_chart(
        title=title,
        label_heading="Donors",
        series=["Donors"],
        rows=[
            (f"Retained: gave in FY{last_year} and FY{fiscal_year}", [Decimal(retained)]),
            (f"Lapsed: gave in FY{last_year}, not in FY{fiscal_year}", [Decimal(lapsed)]),
            (f"New: first gift in FY{fiscal_year}", [Decimal(new)]),
            (f"Reactivated: back in FY{fiscal_year} after a year or more", [Decimal(reactivated)]),
        ],
        style=ValueStyle.COUNT,
    )

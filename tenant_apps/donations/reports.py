"""The fundraising reports, as selectors: LYBUNT and SYBUNT lists, giving by campaign against
its goal, giving by fund, top donors and donor retention. Each is one aggregate query over the
gifts (plus the books' settings for the fiscal years), whatever the number of gifts, and
returns the report kit's `Report` (JSON data, a table of rows for CSV and pages, its donors'
rows linking to their pages, and the chart its page draws: report_charts).

Only posted gifts count: a draft is not yet given, a refunded gift was given back. Fiscal years
are named after the calendar year they end in (accounting.services.fiscal_year_of).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Max, Q, Sum
from django.template.defaultfilters import pluralize
from django.urls import reverse

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.reports import Choice, Column, Report, Row, Style, money
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import Restriction
from tenant_apps.donations import report_charts
from tenant_apps.donations.models import Campaign, Gift, GiftAllocation, GiftState
from tenant_apps.donations.selectors import FiscalYears, campaigns_with_progress, fiscal_years_of
from tenant_apps.donors.models import Donor

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
TOP_DONORS_LIMIT = 25
TOP_DONORS_MAX = 500
POSTED = Q(state=GiftState.POSTED)


def _fiscal_years(fiscal_year: int) -> tuple[FiscalYears, int]:
    """The fiscal year and the one before it, and the month fiscal years start in."""
    start_month = accounting.accounting_settings().fiscal_year_start_month
    try:
        return fiscal_years_of(fiscal_year=fiscal_year, start_month=start_month), start_month
    except ValueError:  # a year out of the calendar's range
        raise ServiceError(
            f"fiscal_year: {fiscal_year} is not a fiscal year the books can hold.",
            fields={"fiscal_year": ["Out of range."]},
        ) from None


def _range_check(start: date, end: date) -> None:
    if start > end:
        raise ServiceError(
            "start: the start date is after the end date.",
            fields={"start": ["After the end date."]},
        )


def _percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.1"))


def _percent_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.1f}"


def donor_page(donor_id: int) -> str:
    """The donor's page, where a report's row of that donor links to."""
    return reverse("donors:detail", kwargs={"pk": donor_id})


# The donor's id is in CSV, for a spreadsheet to join on; the page links the name instead.
DONOR_ID = Column("Donor", on_page=False)
DONOR_NAME = Column("Name", link=True)


# --- LYBUNT and SYBUNT ------------------------------------------------------------------------


# Each donor's posted giving up to the end of the fiscal year, by period, kept when they gave
# nothing in the fiscal year and `{gave}` holds; grouped by donor id alone (a hash aggregate),
# and only the donors kept are joined to their names.
_LAPSED_SQL = """
WITH by_donor AS (
    SELECT donor_id,
           coalesce(sum(amount) FILTER (
               WHERE received_on BETWEEN %(last_start)s AND %(last_end)s
           ), 0) AS last_year,
           coalesce(sum(amount) FILTER (WHERE received_on < %(last_start)s), 0) AS earlier,
           sum(amount) AS lifetime,
           count(*) AS gift_count,
           max(received_on) AS last_gift_on
      FROM donations_gift
     WHERE state = %(posted)s AND received_on <= %(this_end)s
     GROUP BY donor_id
    HAVING max(received_on) < %(this_start)s
)
SELECT b.donor_id, d.display_name, b.last_year, b.lifetime, b.gift_count, b.last_gift_on
  FROM by_donor b
  JOIN donors_donor d ON d.id = b.donor_id
 WHERE {gave}
 ORDER BY {order}, d.display_name, b.donor_id
 LIMIT %(limit)s
"""
_LAPSED_COLUMNS = (
    "donor_id",
    "display_name",
    "last_year",
    "lifetime",
    "gift_count",
    "last_gift_on",
)


def lapsed_donors(
    *, gave: str, order: str, years: FiscalYears, limit: int | None = None
) -> list[dict[str, Any]]:
    """Donors who gave nothing in the fiscal year and of whom `gave` (SQL over last_year and
    earlier, written here, never from input) holds, ordered by `order` then name; the first
    `limit` of them, or all."""
    with connection.cursor() as cursor:
        cursor.execute(
            _LAPSED_SQL.format(gave=gave, order=order),
            {
                "posted": GiftState.POSTED.value,
                "this_start": years.this_start,
                "this_end": years.this_end,
                "last_start": years.last_start,
                "last_end": years.last_end,
                "limit": limit,
            },
        )
        return [dict(zip(_LAPSED_COLUMNS, row, strict=True)) for row in cursor.fetchall()]


def lybunt_donors(*, years: FiscalYears, limit: int | None = None) -> list[dict[str, Any]]:
    """LYBUNT's donors: posted gifts last fiscal year, none in this one, by last year's giving,
    largest first (the first `limit`, or all)."""
    return lapsed_donors(gave="b.last_year > 0", order="b.last_year DESC", years=years, limit=limit)


def _lapsed_report(
    *,
    name: str,
    title: str,
    fiscal_year: int,
    years: FiscalYears,
    start_month: int,
    rows: list[dict[str, Any]],
) -> Report:
    report = Report(
        name=name,
        title=title,
        parameters={"fiscal_year": str(fiscal_year)},
        columns=[
            DONOR_ID,
            DONOR_NAME,
            Column(f"FY{years.last_year}", Style.MONEY),
            Column("Lifetime", Style.MONEY),
            Column("Gifts", Style.COUNT),
            "Last gift",
            "Last gift's fiscal year",
        ],
    )
    items = []
    total_last = total_lifetime = ZERO
    for row in rows:
        last_fiscal_year = accounting.fiscal_year_of(row["last_gift_on"], start_month=start_month)
        total_last += row["last_year"]
        total_lifetime += row["lifetime"]
        items.append(
            {
                "donor": row["donor_id"],
                "display_name": row["display_name"],
                "last_fiscal_year_total": money(row["last_year"]),
                "lifetime_total": money(row["lifetime"]),
                "gift_count": row["gift_count"],
                "last_gift_on": row["last_gift_on"].isoformat(),
                "last_gift_fiscal_year": last_fiscal_year,
            }
        )
        report.rows.append(
            Row(
                "line",
                [
                    row["donor_id"],
                    row["display_name"],
                    row["last_year"],
                    row["lifetime"],
                    row["gift_count"],
                    row["last_gift_on"],
                    last_fiscal_year,
                ],
                link=donor_page(row["donor_id"]),
            )
        )
    report.rows.append(
        Row(
            "total",
            [
                f"{len(items)} donor{pluralize(len(items))}",
                "",
                total_last,
                total_lifetime,
                "",
                "",
                "",
            ],
        )
    )
    report.data = {
        "fiscal_year": fiscal_year,
        "fiscal_year_start": years.this_start.isoformat(),
        "fiscal_year_end": years.this_end.isoformat(),
        "donor_count": len(items),
        "last_fiscal_year_total": money(total_last),
        "lifetime_total": money(total_lifetime),
        "donors": items,
    }
    return report


def lybunt(*, fiscal_year: int) -> Report:
    """Donors who gave Last Year But Unfortunately Not This (fiscal) year: posted gifts in the
    fiscal year before `fiscal_year` and none in it, by last year's giving, largest first."""
    years, start_month = _fiscal_years(fiscal_year)
    rows = lybunt_donors(years=years)
    report = _lapsed_report(
        name="lybunt",
        title=f"LYBUNT: gave in FY{years.last_year}, not in FY{fiscal_year}",
        fiscal_year=fiscal_year,
        years=years,
        start_month=start_month,
        rows=rows,
    )
    report.chart = lambda: report_charts.lybunt_chart(
        amounts=[row["last_year"] for row in rows], last_year=years.last_year
    )
    return report


def sybunt(*, fiscal_year: int) -> Report:
    """Donors who gave Some Year But Unfortunately Not This one: posted gifts in a fiscal year
    before last year, none last year nor in `fiscal_year`. Last year's donors are the LYBUNT
    list, so the two lists together are every lapsed donor, each on one list. By lifetime
    giving, largest first."""
    years, start_month = _fiscal_years(fiscal_year)
    rows = lapsed_donors(
        gave="b.earlier > 0 AND b.last_year = 0", order="b.lifetime DESC", years=years
    )
    report = _lapsed_report(
        name="sybunt",
        title=f"SYBUNT: gave before FY{years.last_year}, not since",
        fiscal_year=fiscal_year,
        years=years,
        start_month=start_month,
        rows=rows,
    )
    report.chart = lambda: report_charts.sybunt_chart(
        donors=[
            (
                accounting.fiscal_year_of(row["last_gift_on"], start_month=start_month),
                row["lifetime"],
            )
            for row in rows
        ]
    )
    return report


# --- Campaigns --------------------------------------------------------------------------------


def campaign_progress(*, campaign: str | None = None) -> Report:
    """Each campaign (or one, by code) against its goal: raised, gifts, donors and the percent
    of the goal, from posted gifts."""
    campaigns = Campaign.objects.order_by("code")
    if campaign:
        campaigns = campaigns.filter(code=campaign)
    rows = list(campaigns_with_progress(campaigns))
    if campaign and not rows:
        raise ServiceError(
            f"campaign: there is no campaign {campaign!r}.",
            fields={"campaign": ["Unknown campaign."]},
        )
    report = Report(
        name="campaign-progress",
        title="Giving by campaign",
        parameters={"campaign": campaign} if campaign else {},
        columns=[
            "Campaign",
            Column("Name", link=True),
            "Start",
            "End",
            Column("Goal", Style.MONEY),
            Column("Raised", Style.MONEY),
            Column("Gifts", Style.COUNT),
            Column("Donors", Style.COUNT),
            Column("% of goal", Style.PERCENT),
        ],
    )
    items = []
    percents = []
    total_goal = total_raised = ZERO
    for row in rows:
        percent = _percent(row.raised, row.goal)
        percents.append(percent)
        total_goal += row.goal
        total_raised += row.raised
        items.append(
            {
                "code": row.code,
                "name": row.name,
                "start": row.start.isoformat() if row.start else None,
                "end": row.end.isoformat() if row.end else None,
                "is_active": row.is_active,
                "goal": money(row.goal),
                "raised": money(row.raised),
                "gift_count": row.gift_count,
                "donor_count": row.donor_count,
                "percent_of_goal": _percent_text(percent),
            }
        )
        report.rows.append(
            Row(
                "line",
                [
                    row.code,
                    row.name,
                    row.start or "",
                    row.end or "",
                    row.goal,
                    row.raised,
                    row.gift_count,
                    row.donor_count,
                    _percent_text(percent) or "",
                ],
                link=reverse("campaigns:detail", kwargs={"pk": row.pk}),
            )
        )
    total_percent = _percent(total_raised, total_goal)
    report.rows.append(
        Row(
            "total",
            [
                "Total",
                "",
                "",
                "",
                total_goal,
                total_raised,
                sum(row.gift_count for row in rows),
                "",
                _percent_text(total_percent) or "",
            ],
        )
    )
    report.data = {
        "campaigns": items,
        "total_goal": money(total_goal),
        "total_raised": money(total_raised),
        "percent_of_goal": _percent_text(total_percent),
    }
    report.chart = lambda: report_charts.campaign_chart(
        campaigns=[
            report_charts.CampaignFigures(
                name=row.name, goal=row.goal, raised=row.raised, percent=_percent_text(percent)
            )
            for row, percent in zip(rows, percents, strict=True)
        ]
    )
    return report


# --- Funds ------------------------------------------------------------------------------------


def giving_by_fund(*, start: date, end: date) -> Report:
    """Posted gifts received in a date range, by the fund each part was given to (a split gift
    counts in each of its funds), with the fund's restriction."""
    _range_check(start, end)
    rows = list(
        GiftAllocation.objects.filter(
            gift__state=GiftState.POSTED,
            gift__received_on__gte=start,
            gift__received_on__lte=end,
        )
        .values("fund__code", "fund__name", "fund__restriction")
        .annotate(
            amount=Sum("amount"),
            gift_count=Count("gift_id", distinct=True),
            donor_count=Count("gift__donor_id", distinct=True),
        )
        .order_by("fund__code")
    )
    report = Report(
        name="giving-by-fund",
        title="Giving by fund",
        parameters={"start": start.isoformat(), "end": end.isoformat()},
        columns=[
            "Fund",
            "Name",
            "Restriction",
            Column("Amount", Style.MONEY),
            Column("Gifts", Style.COUNT),
            Column("Donors", Style.COUNT),
        ],
    )
    items = []
    total = ZERO
    for row in rows:
        total += row["amount"]
        items.append(
            {
                "fund": row["fund__code"],
                "name": row["fund__name"],
                "restriction": row["fund__restriction"],
                "amount": money(row["amount"]),
                "gift_count": row["gift_count"],
                "donor_count": row["donor_count"],
            }
        )
        report.rows.append(
            Row(
                "line",
                [
                    row["fund__code"],
                    row["fund__name"],
                    Choice(row["fund__restriction"], _restriction_label(row["fund__restriction"])),
                    row["amount"],
                    row["gift_count"],
                    row["donor_count"],
                ],
            )
        )
    report.rows.append(Row("total", ["Total", "", "", total, "", ""]))
    report.data = {"funds": items, "total": money(total)}
    report.chart = lambda: report_charts.fund_chart(
        funds=[
            report_charts.FundFigures(
                name=row["fund__name"], amount=row["amount"], gift_count=row["gift_count"]
            )
            for row in rows
        ]
    )
    return report


def _restriction_label(code: str) -> str:
    return str(Restriction(code).label) if code in Restriction.values else code


# --- Top donors -------------------------------------------------------------------------------


def top_donors(*, start: date, end: date, limit: int = TOP_DONORS_LIMIT) -> Report:
    """The donors who gave the most in a date range (posted gifts), largest total first (equal
    totals by donor id). Gifts are grouped by donor id alone, then the few donors on the list
    are named: two queries."""
    _range_check(start, end)
    if not 1 <= limit <= TOP_DONORS_MAX:
        raise ServiceError(
            f"limit: give a number from 1 to {TOP_DONORS_MAX}.",
            fields={"limit": [f"From 1 to {TOP_DONORS_MAX}."]},
        )
    rows = list(
        Gift.objects.filter(POSTED, received_on__gte=start, received_on__lte=end)
        .values("donor_id")
        .annotate(
            total=Sum("amount"),
            gift_count=Count("id"),
            largest=Max("amount"),
            last_gift_on=Max("received_on"),
        )
        .order_by("-total", "donor_id")[:limit]
    )
    names = dict(
        Donor.objects.filter(pk__in=[row["donor_id"] for row in rows]).values_list(
            "id", "display_name"
        )
    )
    report = Report(
        name="top-donors",
        title="Top donors",
        parameters={"start": start.isoformat(), "end": end.isoformat(), "limit": str(limit)},
        columns=[
            "Rank",
            DONOR_ID,
            DONOR_NAME,
            Column("Total", Style.MONEY),
            Column("Gifts", Style.COUNT),
            Column("Largest gift", Style.MONEY),
            "Last gift",
        ],
    )
    items = []
    for rank, row in enumerate(rows, start=1):
        items.append(
            {
                "rank": rank,
                "donor": row["donor_id"],
                "display_name": names[row["donor_id"]],
                "total": money(row["total"]),
                "gift_count": row["gift_count"],
                "largest_gift": money(row["largest"]),
                "last_gift_on": row["last_gift_on"].isoformat(),
            }
        )
        report.rows.append(
            Row(
                "line",
                [
                    rank,
                    row["donor_id"],
                    names[row["donor_id"]],
                    row["total"],
                    row["gift_count"],
                    row["largest"],
                    row["last_gift_on"],
                ],
                link=donor_page(row["donor_id"]),
            )
        )
    report.data = {"donors": items}
    report.chart = lambda: report_charts.top_donors_chart(
        donors=[(names[row["donor_id"]], row["total"]) for row in rows]
    )
    return report


# --- Retention --------------------------------------------------------------------------------

# Each donor's posted giving in the fiscal year, the year before and earlier, then counted.
_RETENTION_SQL = """
WITH by_donor AS (
    SELECT donor_id,
           sum(amount) FILTER (WHERE received_on >= %(this_start)s) AS this_year,
           sum(amount) FILTER (
               WHERE received_on BETWEEN %(last_start)s AND %(last_end)s
           ) AS last_year,
           bool_or(received_on < %(last_start)s) AS gave_earlier
      FROM donations_gift
     WHERE state = %(posted)s AND received_on <= %(this_end)s
     GROUP BY donor_id
)
SELECT count(*) FILTER (WHERE last_year IS NOT NULL),
       count(*) FILTER (WHERE last_year IS NOT NULL AND this_year IS NOT NULL),
       count(*) FILTER (WHERE this_year IS NOT NULL),
       count(*) FILTER (WHERE this_year IS NOT NULL AND last_year IS NULL AND NOT gave_earlier),
       count(*) FILTER (WHERE this_year IS NOT NULL AND last_year IS NULL AND gave_earlier),
       coalesce(sum(last_year) FILTER (WHERE this_year IS NOT NULL), 0),
       coalesce(sum(this_year) FILTER (WHERE last_year IS NOT NULL), 0),
       coalesce(sum(last_year) FILTER (WHERE this_year IS NULL), 0)
  FROM by_donor
"""


def _retention_rate_text(rate: Decimal | None, last_year: int) -> str:
    """The rate as the sentence a reader wants, not a percent under the donors' count."""
    if rate is None:
        return f"Retention rate: no donors in FY{last_year} to retain"
    return f"Retention rate: {rate:.1f}% of FY{last_year}'s donors gave again"


def retention(*, fiscal_year: int) -> Report:
    """Donor retention in a fiscal year: of last year's donors, how many gave again (and the
    rate), how many lapsed; this year's new donors (never gave before) and those who came back
    after a year or more away."""
    years, _ = _fiscal_years(fiscal_year)
    with connection.cursor() as cursor:
        cursor.execute(
            _RETENTION_SQL,
            {
                "posted": GiftState.POSTED.value,
                "this_start": years.this_start,
                "this_end": years.this_end,
                "last_start": years.last_start,
                "last_end": years.last_end,
            },
        )
        (
            last_year_donors,
            retained,
            this_year_donors,
            new,
            reactivated,
            retained_last_year_giving,
            retained_this_year_giving,
            lapsed_last_year_giving,
        ) = cursor.fetchone()
    lapsed = last_year_donors - retained
    rate = _percent(retained, last_year_donors)
    report = Report(
        name="retention",
        title=f"Donor retention in FY{fiscal_year}",
        parameters={"fiscal_year": str(fiscal_year)},
        columns=["Measure", Column("Donors", Style.COUNT), Column("Amount", Style.MONEY)],
    )
    report.rows = [
        Row("line", [f"Donors in FY{years.last_year}", last_year_donors, ""]),
        Row(
            "line",
            [f"Retained: gave again in FY{fiscal_year}", retained, retained_this_year_giving],
        ),
        Row(
            "line",
            [
                f"Lapsed: gave in FY{years.last_year}, not in FY{fiscal_year}",
                lapsed,
                lapsed_last_year_giving,
            ],
        ),
        Row("total", [_retention_rate_text(rate, years.last_year), "", ""]),
        Row("line", [f"New donors in FY{fiscal_year}", new, ""]),
        Row(
            "line",
            [
                f"Reactivated: gave before FY{years.last_year}, again in FY{fiscal_year}",
                reactivated,
                "",
            ],
        ),
        Row("total", [f"Donors in FY{fiscal_year}", this_year_donors, ""]),
    ]
    report.data = {
        "fiscal_year": fiscal_year,
        "fiscal_year_start": years.this_start.isoformat(),
        "fiscal_year_end": years.this_end.isoformat(),
        "last_year_donors": last_year_donors,
        "retained_donors": retained,
        "lapsed_donors": lapsed,
        "retention_rate": _percent_text(rate),
        "retained_last_year_giving": money(retained_last_year_giving),
        "retained_this_year_giving": money(retained_this_year_giving),
        "lapsed_last_year_giving": money(lapsed_last_year_giving),
        "this_year_donors": this_year_donors,
        "new_donors": new,
        "reactivated_donors": reactivated,
    }
    report.chart = lambda: report_charts.retention_chart(
        fiscal_year=fiscal_year,
        last_year=years.last_year,
        rate=_percent_text(rate),
        retained=retained,
        lapsed=lapsed,
        new=new,
        reactivated=reactivated,
    )
    return report


REPORTS: dict[str, Callable[..., Report]] = {
    "lybunt": lybunt,
    "sybunt": sybunt,
    "campaign-progress": campaign_progress,
    "giving-by-fund": giving_by_fund,
    "top-donors": top_donors,
    "retention": retention,
}
TITLES = {
    "lybunt": "LYBUNT: gave last fiscal year, not this one",
    "sybunt": "SYBUNT: gave in an earlier fiscal year, not last year nor this one",
    "campaign-progress": "Giving by campaign against its goal",
    "giving-by-fund": "Giving by fund over a period",
    "top-donors": "Top donors over a period",
    "retention": "Donor retention in a fiscal year",
}

"""The fundraising reports: their figures on a small set of donors over four fiscal years, a
fixed number of queries as gifts grow, and the API (JSON, CSV, bad parameters, other tenants)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, TypedDict

import pytest
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from shared_apps.users.roles import Role
from tenant_apps.donations import reports
from tenant_apps.donations.models import Campaign, Gift
from tenant_apps.donations.services.campaigns import campaign_create
from tenant_apps.donations.services.gifts import gift_refund
from tenant_apps.donations.tests.factories import GiftFactory
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.helpers import api_error
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

API = "/api/v1/donations/reports"


class GivingHistory(TypedDict):
    donors: dict[str, Donor]
    spring: Campaign


def _gift(donor: Donor, amount: str, day: date, **fields: Any) -> Gift:
    return GiftFactory.create(donor=donor, amount=amount, received_on=day, posted=True, **fields)


@pytest.fixture
def giving_history(alpha: Tenant) -> GivingHistory:
    """Donors over fiscal (calendar) years 2023 to 2026, seen from FY2026:
    Ada gave in 2024, 2025 and 2026 (retained); Ben in 2025 only (LYBUNT); Cy in 2023 only
    (SYBUNT); Dee first in 2026 (new); Eve in 2023 and 2026 (reactivated); Fay's only gift
    of 2025 was refunded, Gus's is a draft (neither gave)."""
    with schema_context("alpha"):
        spring = campaign_create(
            code="SPRING", name="Spring appeal", goal="1000.00", acting_user=None
        )
        campaign_create(code="FALL", name="Fall appeal", acting_user=None)
        donors = {
            name: donor_made(name, "Tester")
            for name in ("Ada", "Ben", "Cy", "Dee", "Eve", "Fay", "Gus")
        }
        _gift(donors["Ada"], "40.00", date(2024, 5, 1))
        _gift(donors["Ada"], "60.00", date(2025, 5, 1))
        _gift(
            donors["Ada"],
            "300.00",
            date(2026, 3, 1),
            campaign=spring,
            splits=(("GEN", "200.00"), ("PRP", "100.00")),
        )
        _gift(donors["Ben"], "75.00", date(2025, 8, 1))
        _gift(donors["Ben"], "25.00", date(2025, 9, 1))
        _gift(donors["Cy"], "500.00", date(2023, 2, 1))
        _gift(donors["Dee"], "200.00", date(2026, 4, 1), campaign=spring)
        GiftFactory.create(
            donor=donors["Dee"], amount="500.00", received_on=date(2026, 4, 2), campaign=spring
        )
        _gift(donors["Eve"], "20.00", date(2023, 6, 1))
        _gift(donors["Eve"], "50.00", date(2026, 6, 1), splits=(("PRP", "50.00"),))
        refunded = _gift(donors["Fay"], "900.00", date(2025, 3, 1), campaign=spring)
        gift_refund(gift=refunded, acting_user=None, date=date(2025, 3, 2))
        GiftFactory.create(donor=donors["Gus"], amount="45.00", received_on=date(2025, 3, 1))
    return {"donors": donors, "spring": spring}


def _names(rows: list[dict[str, Any]]) -> list[str]:
    return [row["display_name"] for row in rows]


def test_lybunt_lists_last_years_donors_who_have_not_given_this_year(
    in_alpha: Tenant,
    giving_history: GivingHistory,
) -> None:
    report = reports.lybunt(fiscal_year=2026).as_json()
    assert _names(report["donors"]) == ["Ben Tester"]
    (ben,) = report["donors"]
    assert ben["donor"] == giving_history["donors"]["Ben"].pk
    assert ben["last_fiscal_year_total"] == "100.00"
    assert ben["gift_count"] == 2
    assert ben["last_gift_on"] == "2025-09-01"
    assert ben["last_gift_fiscal_year"] == 2025
    assert report["donor_count"] == 1
    assert report["fiscal_year_start"] == "2026-01-01"


def test_sybunt_lists_earlier_donors_not_seen_last_year_or_this(
    in_alpha: Tenant, giving_history: GivingHistory
) -> None:
    report = reports.sybunt(fiscal_year=2026).as_json()
    earlier = reports.sybunt(fiscal_year=2025).as_json()
    assert _names(report["donors"]) == ["Cy Tester"]
    assert report["donors"][0]["lifetime_total"] == "500.00"
    assert report["donors"][0]["last_gift_fiscal_year"] == 2023
    # In FY2025, Cy and Eve (2023) had not given in 2024 nor 2025.
    assert _names(earlier["donors"]) == ["Cy Tester", "Eve Tester"]


def test_lybunt_follows_the_fiscal_year_start(in_alpha: Tenant) -> None:
    from tenant_apps.accounting import services as accounting

    accounting.settings_update(fiscal_year_start_month=7, acting_user=None)
    ann = donor_made("Ann", "July")
    _gift(ann, "10.00", date(2025, 6, 30))  # FY2025
    bo = donor_made("Bo", "July")
    _gift(bo, "10.00", date(2025, 7, 1))  # FY2026
    report = reports.lybunt(fiscal_year=2026).as_json()
    assert _names(report["donors"]) == ["Ann July"]
    assert report["fiscal_year_start"] == "2025-07-01"


def test_campaign_progress_against_the_goal(
    in_alpha: Tenant, giving_history: GivingHistory
) -> None:
    report = reports.campaign_progress().as_json()
    one = reports.campaign_progress(campaign="SPRING").as_json()
    by_code = {row["code"]: row for row in report["campaigns"]}
    assert by_code["SPRING"] == {
        "code": "SPRING",
        "name": "Spring appeal",
        "start": None,
        "end": None,
        "is_active": True,
        "goal": "1000.00",
        "raised": "500.00",  # the draft and the refunded gift do not count
        "gift_count": 2,
        "donor_count": 2,
        "percent_of_goal": "50.0",
    }
    assert by_code["FALL"]["raised"] == "0.00"
    assert by_code["FALL"]["percent_of_goal"] is None
    assert report["total_raised"] == "500.00"
    assert [row["code"] for row in one["campaigns"]] == ["SPRING"]


def test_giving_by_fund_counts_each_part_of_a_split_gift(
    in_alpha: Tenant, giving_history: GivingHistory
) -> None:
    report = reports.giving_by_fund(start=date(2026, 1, 1), end=date(2026, 12, 31)).as_json()
    assert report["funds"] == [
        {
            "fund": "GEN",
            "name": "General fund",
            "restriction": "without",
            "amount": "400.00",
            "gift_count": 2,
            "donor_count": 2,
        },
        {
            "fund": "PRP",
            "name": "Purpose-restricted gifts",
            "restriction": "purpose",
            "amount": "150.00",
            "gift_count": 2,
            "donor_count": 2,
        },
    ]
    assert report["total"] == "550.00"


def test_top_donors_of_a_period(in_alpha: Tenant, giving_history: GivingHistory) -> None:
    report = reports.top_donors(start=date(2023, 1, 1), end=date(2026, 12, 31), limit=3)
    data = report.as_json()
    assert [(row["rank"], row["display_name"], row["total"]) for row in data["donors"]] == [
        (1, "Cy Tester", "500.00"),
        (2, "Ada Tester", "400.00"),
        (3, "Dee Tester", "200.00"),
    ]
    assert data["donors"][1]["largest_gift"] == "300.00"
    assert data["donors"][1]["gift_count"] == 3


def test_retention_of_last_years_donors(in_alpha: Tenant, giving_history: GivingHistory) -> None:
    data = reports.retention(fiscal_year=2026).as_json()
    assert {key: data[key] for key in data if key.endswith(("donors", "rate", "giving"))} == {
        "last_year_donors": 2,  # Ada and Ben (Fay's gift was refunded)
        "retained_donors": 1,
        "lapsed_donors": 1,
        "retention_rate": "50.0",
        "retained_last_year_giving": "60.00",
        "retained_this_year_giving": "300.00",
        "lapsed_last_year_giving": "100.00",
        "this_year_donors": 3,
        "new_donors": 1,  # Dee
        "reactivated_donors": 1,  # Eve
    }


def test_a_bad_range_or_limit_is_refused(in_alpha: Tenant) -> None:
    from saas_platform.lib.errors import ServiceError

    with pytest.raises(ServiceError) as error:
        reports.giving_by_fund(start=date(2026, 2, 1), end=date(2026, 1, 1))
    assert "start" in error.value.fields
    with pytest.raises(ServiceError) as error:
        reports.top_donors(start=date(2026, 1, 1), end=date(2026, 2, 1), limit=0)
    assert "limit" in error.value.fields
    with pytest.raises(ServiceError) as error:
        reports.campaign_progress(campaign="NOPE")
    assert "campaign" in error.value.fields


CASES: dict[str, dict[str, Any]] = {
    "lybunt": {"fiscal_year": 2026},
    "sybunt": {"fiscal_year": 2026},
    "campaign-progress": {},
    "giving-by-fund": {"start": date(2023, 1, 1), "end": date(2026, 12, 31)},
    "top-donors": {"start": date(2023, 1, 1), "end": date(2026, 12, 31), "limit": 100},
    "retention": {"fiscal_year": 2026},
}


def test_every_report_is_tested() -> None:
    assert set(CASES) == set(reports.REPORTS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_report_runs_the_same_queries_as_gifts_grow(
    in_alpha: Tenant,
    giving_history: GivingHistory,
    count_queries: Callable[[], CaptureQueriesContext],
    name: str,
) -> None:
    def statements() -> tuple[int, int]:
        with count_queries() as queries:
            report = reports.REPORTS[name](**CASES[name])
            report.as_json()
            report.as_table()
        sql = [query["sql"] for query in queries.captured_queries]
        return len([text for text in sql if not text.startswith("SET")]), len(report.rows)

    few, few_rows = statements()
    spring = Campaign.objects.get(code="SPRING")
    for number in range(12):
        donor = donor_made("More", f"Donor{number}")
        _gift(donor, "10.00", date(2024 + number % 2, 3, 1), campaign=spring)
        _gift(donor, "15.00", date(2023, 3, 1), splits=(("PRP", "15.00"),))
    many, many_rows = statements()
    assert few == many <= 2, (few, many)
    if name in ("lybunt", "sybunt", "top-donors"):
        assert many_rows > few_rows  # the new donors are on the list: the count did not grow


# --- API ---------------------------------------------------------------------------------------


def test_the_index_lists_every_report(alpha: Tenant) -> None:
    response = alpha.api(alpha.user(Role.VIEWER)).get(f"{API}/")
    assert response.status_code == 200, response.content
    index = {row["name"]: row for row in response.json()}
    assert set(index) == set(reports.REPORTS)
    assert index["top-donors"]["parameters"] == ["start", "end", "limit"]
    assert index["lybunt"]["url"] == f"{API}/lybunt/"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FUNDRAISER])
def test_readers_get_a_report_as_json(
    alpha: Tenant, giving_history: GivingHistory, role: str
) -> None:
    response = alpha.api(alpha.user(role)).get(f"{API}/lybunt/", {"fiscal_year": 2026})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["report"] == "lybunt"
    assert body["parameters"] == {"fiscal_year": "2026"}
    assert _names(body["donors"]) == ["Ben Tester"]


def test_defaults_are_the_current_fiscal_year_and_today(alpha: Tenant) -> None:
    from django.utils import timezone

    client = alpha.api(alpha.owner)
    today = timezone.localdate()
    assert client.get(f"{API}/retention/").json()["parameters"] == {"fiscal_year": str(today.year)}
    assert client.get(f"{API}/top-donors/").json()["parameters"] == {
        "start": date(today.year, 1, 1).isoformat(),
        "end": today.isoformat(),
        "limit": "25",
    }


def test_a_report_as_csv(alpha: Tenant, giving_history: GivingHistory) -> None:
    response = alpha.api(alpha.owner).get(
        f"{API}/campaign-progress/", {"format": "csv", "campaign": "SPRING"}
    )
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="campaign-progress-SPRING.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:2] == ["Campaign", "Name"]
    assert rows[1] == ["SPRING", "Spring appeal", "", "", "1000.00", "500.00", "2", "2", "50.0"]


@pytest.mark.parametrize(
    ("name", "query", "field"),
    [
        ("lybunt", {"fiscal_year": "soon"}, "fiscal_year"),
        ("retention", {"fiscal_year": "12"}, "fiscal_year"),
        ("giving-by-fund", {"start": "2026-02-01", "end": "2026-01-01"}, "start"),
        ("giving-by-fund", {"start": "01/02/2026"}, "start"),
        ("top-donors", {"limit": "0"}, "limit"),
        ("top-donors", {"limit": "many"}, "limit"),
        ("top-donors", {"fiscal_year": "2026"}, "fiscal_year"),
        ("campaign-progress", {"campaign": "NOPE"}, "campaign"),
        ("campaign-progress", {"start": "2026-01-01"}, "start"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(
    alpha: Tenant, name: str, query: dict[str, str], field: str
) -> None:
    error = api_error(alpha.api(alpha.owner).get(f"{API}/{name}/", query), 400)
    assert field in error["fields"]
    assert error["message"].startswith(field)


def test_a_bad_parameter_in_csv_is_json(alpha: Tenant) -> None:
    error = api_error(
        alpha.api(alpha.owner).get(f"{API}/top-donors/", {"format": "csv", "limit": "0"}), 400
    )
    assert "limit" in error["fields"]


def test_an_unknown_report_is_a_404(alpha: Tenant) -> None:
    api_error(alpha.api(alpha.owner).get(f"{API}/nonsense/"), 404)


def test_reports_need_a_login(alpha: Tenant) -> None:
    assert alpha.api().get(f"{API}/").status_code == 401
    assert alpha.api().get(f"{API}/retention/").status_code == 401


def test_other_tenants_get_no_report(
    assert_other_tenant_denied: Callable[..., None], giving_history: GivingHistory
) -> None:
    assert_other_tenant_denied(f"{API}/")
    for name in reports.REPORTS:
        assert_other_tenant_denied(f"{API}/{name}/")
        assert_other_tenant_denied(f"{API}/{name}/?format=csv")


def test_beta_sees_only_its_own_gifts(
    alpha: Tenant, beta: Tenant, giving_history: GivingHistory
) -> None:
    response = beta.api(beta.owner).get(f"{API}/campaign-progress/")
    assert response.status_code == 200
    assert response.json()["campaigns"] == []
    assert Decimal(response.json()["total_raised"]) == 0


# --- Pages -------------------------------------------------------------------------------------

PAGES = "/donations/reports"


def test_the_pages_list_every_report(alpha: Tenant) -> None:
    response = alpha.client(alpha.user(Role.VIEWER)).get(f"{PAGES}/")
    assert response.status_code == 200
    for name in reports.REPORTS:
        assert f'href="{PAGES}/{name}/"' in response.content.decode()


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_report_page_shows_its_table_and_csv_link(
    alpha: Tenant, giving_history: GivingHistory, name: str
) -> None:
    response = alpha.client(alpha.user(Role.FUNDRAISER)).get(f"{PAGES}/{name}/")
    assert response.status_code == 200, response.content[:500]
    page = response.content.decode()
    assert '<table class="report">' in page
    assert f"/api/v1/donations/reports/{name}/?format=csv" in page


def test_a_report_page_shows_the_figures(alpha: Tenant, giving_history: GivingHistory) -> None:
    response = alpha.client(alpha.owner).get(f"{PAGES}/lybunt/", {"fiscal_year": "2026"})
    page = response.content.decode()
    assert "Ben Tester" in page
    assert "100.00" in page
    assert "Ada Tester" not in page


def test_a_bad_parameter_on_a_page_is_a_400_naming_it(alpha: Tenant) -> None:
    client = alpha.client(alpha.owner)
    response = client.get(f"{PAGES}/top-donors/", {"limit": "0"})
    assert response.status_code == 400
    assert 'id="id_limit_error"' in response.content.decode()
    response = client.get(f"{PAGES}/giving-by-fund/", {"start": "2026-02-01", "end": "2026-01-01"})
    assert response.status_code == 400
    assert 'id="id_start_error"' in response.content.decode()
    assert client.get(f"{PAGES}/nonsense/").status_code == 404


def test_the_pages_need_a_login_on_this_tenant(alpha: Tenant, beta: Tenant) -> None:
    response = alpha.client().get(f"{PAGES}/retention/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    beta_session = beta.client(beta.owner).cookies["sessionid"].value
    replay = alpha.client()
    replay.cookies["sessionid"] = beta_session
    assert replay.get(f"{PAGES}/retention/").status_code == 302
    assert replay.get(f"{PAGES}/").status_code == 302


# --- Charts and links on the pages --------------------------------------------------------------


def _page_query(name: str) -> dict[str, str]:
    return {
        key: value.isoformat() if isinstance(value, date) else str(value)
        for key, value in CASES[name].items()
    }


def _chart_rows(report_name: str) -> list[tuple[str, list[str], str]]:
    """The chart of a report of giving_history: each row's label, bars' values and note."""
    chart = reports.REPORTS[report_name](**CASES[report_name]).chart
    assert chart is not None
    drawn = chart()
    assert drawn is not None
    assert hasattr(drawn, "rows")
    return [(row.label, [bar.text for bar in row.bars], row.note) for row in drawn.rows]


def test_each_report_charts_its_figures(in_alpha: Tenant, giving_history: GivingHistory) -> None:
    # LYBUNT FY2026: Ben gave $100.00 in FY2025, at the $100 level.
    assert _chart_rows("lybunt") == [
        ("$5,000 or more", ["$0.00"], "0 donors"),
        ("$1,000 to under $5,000", ["$0.00"], "0 donors"),
        ("$500 to under $1,000", ["$0.00"], "0 donors"),
        ("$100 to under $500", ["$100.00"], "1 donor"),
        ("Under $100", ["$0.00"], "0 donors"),
    ]
    # SYBUNT FY2026: Cy, $500.00 in all, last gave in FY2023.
    assert _chart_rows("sybunt") == [("FY2023", ["$500.00"], "1 donor")]
    # Spring: $300.00 from Ada and $200.00 from Dee of $1,000.00; Fall has no goal.
    assert _chart_rows("campaign-progress") == [
        ("Fall appeal", ["$0.00", ""], "No goal"),
        ("Spring appeal", ["$500.00", "$1,000.00"], "50.0% of goal"),
    ]
    # 2023 to 2026: GEN 40 + 60 + 200 + 75 + 25 + 500 + 200 + 20 = 1,120.00 in 8 gifts; PRP
    # 100 + 50 = 150.00 in 2.
    assert _chart_rows("giving-by-fund") == [
        ("General fund", ["$1,120.00"], "8 gifts"),
        ("Purpose-restricted gifts", ["$150.00"], "2 gifts"),
    ]
    assert _chart_rows("top-donors") == [
        ("Cy Tester", ["$500.00"], ""),
        ("Ada Tester", ["$400.00"], ""),
        ("Dee Tester", ["$200.00"], ""),
        ("Ben Tester", ["$100.00"], ""),
        ("Eve Tester", ["$70.00"], ""),
    ]
    # FY2026: of Ada and Ben, Ada gave again (50.0%); Dee is new, Eve came back.
    retention = reports.retention(fiscal_year=2026).chart
    assert retention is not None
    drawn = retention()
    assert drawn is not None
    assert drawn.title == "FY2026: 50.0% of FY2025's donors gave again"
    assert _chart_rows("retention") == [
        ("Retained: gave in FY2025 and FY2026", ["1"], ""),
        ("Lapsed: gave in FY2025, not in FY2026", ["1"], ""),
        ("New: first gift in FY2026", ["1"], ""),
        ("Reactivated: back in FY2026 after a year or more", ["1"], ""),
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_report_page_draws_its_chart_above_the_table(
    alpha: Tenant, giving_history: GivingHistory, name: str
) -> None:
    response = alpha.client(alpha.user(Role.FUNDRAISER)).get(f"{PAGES}/{name}/", _page_query(name))
    assert response.status_code == 200, response.content[:500]
    page = response.content.decode()
    assert '<figure class="hbar-chart" aria-labelledby="report-chart-title">' in page
    assert page.index('class="hbar-chart"') < page.index('<table class="report">')
    assert '<div class="visually-hidden"><table>' in page


def test_a_report_with_nothing_to_draw_has_no_chart(alpha: Tenant) -> None:
    response = alpha.client(alpha.owner).get(f"{PAGES}/lybunt/", {"fiscal_year": "2026"})
    assert response.status_code == 200
    assert b"0 donors" in response.content
    assert b"hbar-chart" not in response.content


def test_donor_rows_link_to_the_donor_page_with_money_and_dates_in_words(
    alpha: Tenant, giving_history: GivingHistory
) -> None:
    donors = giving_history["donors"]
    client = alpha.client(alpha.user(Role.FUNDRAISER))
    lybunt = client.get(f"{PAGES}/lybunt/", {"fiscal_year": "2026"}).content.decode()
    ben = donors["Ben"].pk
    assert f'<th scope="row"><a href="/donors/{ben}/">Ben Tester</a></th>' in lybunt
    assert '<td class="num">$100.00</td>' in lybunt
    assert "<td>Sep 1, 2025</td>" in lybunt
    # The total's words, under the donor ids in CSV, head the total row on the page.
    assert '<th scope="row">1 donor</th>' in lybunt
    top = client.get(f"{PAGES}/top-donors/", _page_query("top-donors")).content.decode()
    for name in ("Ada", "Cy", "Dee"):
        assert f'<a href="/donors/{donors[name].pk}/">{name} Tester</a>' in top
    sybunt = client.get(f"{PAGES}/sybunt/", {"fiscal_year": "2026"}).content.decode()
    assert f'<a href="/donors/{donors["Cy"].pk}/">Cy Tester</a>' in sybunt
    funds = client.get(f"{PAGES}/giving-by-fund/", _page_query("giving-by-fund")).content.decode()
    assert "<td>Without donor restrictions</td>" in funds
    assert "<td>without</td>" not in funds
    campaigns = client.get(f"{PAGES}/campaign-progress/").content.decode()
    assert '<td class="num">50.0%</td>' in campaigns
    assert '<td class="num">$1,000.00</td>' in campaigns
    assert re.search(r'<a href="/campaigns/\d+/">Spring appeal</a>', campaigns)
    retention = client.get(f"{PAGES}/retention/", {"fiscal_year": "2026"}).content.decode()
    assert "Retention rate: 50.0% of FY2025&#x27;s donors gave again" in retention


def test_donor_names_are_escaped_in_the_table_and_the_chart(alpha: Tenant) -> None:
    with schema_context("alpha"):
        mallory = donor_made("<script>alert(1)</script>", "Tester")
        _gift(mallory, "80.00", date(2026, 2, 1))
    page = (
        alpha.client(alpha.owner)
        .get(f"{PAGES}/top-donors/", _page_query("top-donors"))
        .content.decode()
    )
    assert "<script>alert(1)</script>" not in page
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt; Tester"
    assert f'<a href="/donors/{mallory.pk}/">{escaped}</a>' in page
    assert f'<span class="hbar-label">{escaped}</span>' in page


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_report_page_runs_as_many_queries_for_many_donors_as_for_few(
    alpha: Tenant,
    giving_history: GivingHistory,
    count_queries: Callable[[], CaptureQueriesContext],
    name: str,
) -> None:
    client = alpha.client(alpha.user(Role.FUNDRAISER))
    client.get(f"{PAGES}/{name}/", _page_query(name))  # the session and the caches, once

    def page_queries() -> int:
        with count_queries() as queries:
            response = client.get(f"{PAGES}/{name}/", _page_query(name))
        assert response.status_code == 200
        return len(queries)

    few = page_queries()
    with schema_context("alpha"):
        spring = Campaign.objects.get(code="SPRING")
        campaign_create(code="WINTER", name="Winter appeal", goal="500.00", acting_user=None)
        for number in range(12):
            donor = donor_made("More", f"Donor{number}")
            _gift(donor, "10.00", date(2024 + number % 2, 3, 1), campaign=spring)
            _gift(donor, "15.00", date(2023, 3, 1), splits=(("PRP", "15.00"),))
    assert page_queries() == few


@pytest.mark.parametrize(
    ("role", "status"),
    [(role, 403 if role in (Role.VOLUNTEER, Role.VOLUNTEER_COORDINATOR) else 200) for role in Role],
)
def test_the_report_pages_are_for_report_readers(alpha: Tenant, role: str, status: int) -> None:
    client = alpha.client(alpha.user(role))
    for path in [f"{PAGES}/", *(f"{PAGES}/{name}/" for name in reports.REPORTS)]:
        response = client.get(path)
        assert response.status_code == status, path
        if status == 403:
            assert b"This page is for the" in response.content
            assert b"Fundraiser" in response.content

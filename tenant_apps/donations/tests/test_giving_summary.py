"""Giving summaries: the figures (posted gifts only, fiscal years from the books' settings, soft
credits), one aggregate for a page of donors, and the two API endpoints."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context
from pytest_django import DjangoAssertNumQueries

from shared_apps.users.roles import Role
from tenant_apps.accounting import services as accounting
from tenant_apps.donations import selectors
from tenant_apps.donations.services.allocations import SoftCreditSpec
from tenant_apps.donations.services.gifts import gift_create, gift_post, gift_refund
from tenant_apps.donations.tests.factories import GiftFactory, today
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

API = "/api/v1/donors"


@pytest.fixture
def ada(alpha: Tenant) -> Donor:
    with schema_context("alpha"):
        return donor_made("Ada", "Lovelace", emails=("ada@example.org",), tags=("board",))


@pytest.fixture
def william(alpha: Tenant) -> Donor:
    with schema_context("alpha"):
        return donor_made("William", "King")


def test_the_summary_counts_posted_gifts_by_fiscal_year(
    in_alpha: Tenant, ada: Donor, william: Donor
) -> None:
    # Given a fiscal year starting in July (FY2026 runs from July 2025 to June 2026)
    accounting.settings_update(fiscal_year_start_month=7, acting_user=None)
    GiftFactory.create(
        donor=ada, amount="50.00", received_on=date(2024, 3, 1), posted=True
    )  # FY2024
    GiftFactory.create(
        donor=ada, amount="300.00", received_on=date(2024, 9, 15), posted=True
    )  # FY2025
    GiftFactory.create(
        donor=ada, amount="120.00", received_on=date(2025, 6, 30), posted=True
    )  # FY2025, last day
    GiftFactory.create(
        donor=ada, amount="80.00", received_on=date(2025, 7, 1), posted=True
    )  # FY2026, first day
    last = GiftFactory.create(donor=ada, amount="25.00", received_on=date(2026, 2, 1), posted=True)
    refunded = GiftFactory.create(
        donor=ada, amount="900.00", received_on=date(2026, 1, 5), posted=True
    )
    gift_refund(gift=refunded, acting_user=None, date=date(2026, 1, 6))
    GiftFactory.create(donor=ada, amount="5000.00", received_on=date(2026, 3, 1))  # a draft
    # A soft credit to Ada on William's gift; a refunded one does not count.
    gift_post(
        gift=gift_create(
            donor=william,
            amount=Decimal("200.00"),
            received_on=date(2026, 1, 10),
            method="check",
            soft_credits=[SoftCreditSpec(donor=ada, amount="150.00")],
            acting_user=None,
        ),
        acting_user=None,
    )
    soft_refunded = gift_post(
        gift=gift_create(
            donor=william,
            amount=Decimal("40.00"),
            received_on=date(2026, 1, 11),
            method="check",
            soft_credits=[SoftCreditSpec(donor=ada, amount="40.00")],
            acting_user=None,
        ),
        acting_user=None,
    )
    gift_refund(gift=soft_refunded, acting_user=None, date=date(2026, 1, 12))
    nobody = donor_made("No", "Gifts")

    # When the summaries are read on a day of FY2026
    summaries = selectors.donor_giving_summaries(
        donor_ids=[ada.pk, william.pk, nobody.pk], today=date(2026, 4, 1)
    )

    # Then Ada's counts her five posted gifts only
    summary = summaries[ada.pk]
    assert summary.fiscal_year == 2026
    assert summary.first_gift_on == date(2024, 3, 1)
    assert summary.last_gift_on == last.received_on
    assert summary.last_gift_amount == Decimal("25.00")
    assert summary.largest_gift == Decimal("300.00")
    assert summary.lifetime_total == Decimal("575.00")
    assert summary.this_fiscal_year == Decimal("105.00")
    assert summary.last_fiscal_year == Decimal("420.00")
    assert summary.gift_count == 5
    assert summary.soft_credit_total == Decimal("150.00")
    assert summary.currency == "USD"
    # William's refunded gift is out of his figures too; a donor without gifts has zeros.
    assert summaries[william.pk].lifetime_total == Decimal("200.00")
    assert summaries[william.pk].gift_count == 1
    empty = summaries[nobody.pk]
    assert (empty.gift_count, empty.lifetime_total, empty.first_gift_on) == (0, Decimal(0), None)
    assert empty.largest_gift is None
    assert empty.soft_credit_total == Decimal(0)


def test_the_last_gift_of_a_day_is_the_one_recorded_last(in_alpha: Tenant, ada: Donor) -> None:
    GiftFactory.create(donor=ada, amount="10.00", posted=True)
    GiftFactory.create(donor=ada, amount="70.00", posted=True)
    summary = selectors.donor_giving_summaries(donor_ids=[ada.pk])[ada.pk]
    assert summary.last_gift_amount == Decimal("70.00")
    assert summary.this_fiscal_year == Decimal("80.00")


def statements(queries: CaptureQueriesContext) -> list[str]:
    """The SQL run, without the `SET search_path` django-tenants issues before each query."""
    return [
        query["sql"] for query in queries.captured_queries if not query["sql"].startswith("SET")
    ]


def test_a_page_of_summaries_is_two_queries_whatever_its_size(
    in_alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    def summarized(count: int) -> None:
        donors = [donor_made("Pat", f"Lee{count}x{number}") for number in range(count)]
        for donor in donors:
            GiftFactory.create(donor=donor, amount="15.00", posted=True)
        with count_queries() as queries:
            summaries = selectors.donor_giving_summaries(donor_ids=[donor.pk for donor in donors])
        # The books' settings, then one aggregate.
        assert len(statements(queries)) == 2, statements(queries)
        assert len(summaries) == count
        assert all(summary.gift_count == 1 for summary in summaries.values())

    summarized(3)
    summarized(30)


def test_no_donors_no_query(
    alpha: Tenant, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with schema_context("alpha"), django_assert_num_queries(0):
        assert selectors.donor_giving_summaries(donor_ids=[]) == {}


# --- API ---------------------------------------------------------------------------------------


def test_a_donors_giving_summary_is_read(in_alpha: Tenant, ada: Donor) -> None:
    GiftFactory.create(donor=ada, amount="250.00", posted=True)
    GiftFactory.create(
        donor=ada, amount="100.00", received_on=today() - timedelta(days=366), posted=True
    )
    GiftFactory.create(donor=ada, amount="999.00")  # a draft
    response = in_alpha.api(in_alpha.user(Role.VIEWER)).get(
        f"{API}/donors/{ada.pk}/giving-summary/"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert {key: body[key] for key in ("id", "display_name", "kind")} == {
        "id": ada.pk,
        "display_name": "Ada Lovelace",
        "kind": "individual",
    }
    giving = body["giving"]
    assert giving["lifetime_total"] == "350.00"
    assert giving["this_fiscal_year"] == "250.00"
    assert giving["last_fiscal_year"] == "100.00"
    assert giving["gift_count"] == 2
    assert giving["largest_gift"] == "250.00"
    assert giving["last_gift_on"] == today().isoformat()
    assert giving["soft_credit_total"] == "0.00"


def test_an_unknown_donor_has_no_summary(alpha: Tenant) -> None:
    response = alpha.api(alpha.owner).get(f"{API}/donors/999999/giving-summary/")
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404


def test_the_summary_list_pages_donors_with_the_list_filters(
    in_alpha: Tenant, ada: Donor, william: Donor
) -> None:
    GiftFactory.create(donor=ada, amount="40.00", posted=True)
    GiftFactory.create(donor=william, amount="60.00", posted=True)
    client = in_alpha.api(in_alpha.user(Role.VIEWER))

    everyone = client.get(f"{API}/donors/giving-summary/").json()
    tagged = client.get(f"{API}/donors/giving-summary/", {"tag": "board"}).json()
    searched = client.get(f"{API}/donors/giving-summary/", {"q": "william"}).json()
    paged = client.get(f"{API}/donors/giving-summary/", {"page_size": 1}).json()

    assert [
        (row["display_name"], row["giving"]["lifetime_total"]) for row in everyone["results"]
    ] == [
        ("Ada Lovelace", "40.00"),
        ("William King", "60.00"),
    ]
    assert [row["id"] for row in tagged["results"]] == [ada.pk]
    assert [row["id"] for row in searched["results"]] == [william.pk]
    assert len(paged["results"]) == 1
    assert paged["next"]
    follow = client.get(paged["next"]).json()
    assert [row["id"] for row in follow["results"]] == [william.pk]


def test_the_summary_list_runs_the_same_queries_for_3_and_30_donors(
    in_alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = in_alpha.api(in_alpha.user(Role.FUNDRAISER))
    client.get(f"{API}/donors/giving-summary/")  # resolves the host once (then cached)

    def listed(count: int) -> int:
        for number in range(count):
            donor = donor_made("Sam", f"Page{count}x{number}", tags=(f"batch{count}",))
            GiftFactory.create(donor=donor, amount="12.00", posted=True)
        with count_queries() as queries:
            query: dict[str, str | int] = {"tag": f"batch{count}", "page_size": 100}
            response = client.get(f"{API}/donors/giving-summary/", query)
        results = response.json()["results"]
        assert len(results) == count
        assert {row["giving"]["lifetime_total"] for row in results} == {"12.00"}
        return len(queries)

    assert listed(3) == listed(30)


def test_summaries_need_a_login(alpha: Tenant, ada: Donor) -> None:
    assert alpha.api().get(f"{API}/donors/{ada.pk}/giving-summary/").status_code == 401
    assert alpha.api().get(f"{API}/donors/giving-summary/").status_code == 401


def test_other_tenants_get_no_summary(
    assert_other_tenant_denied: Callable[..., None], ada: Donor
) -> None:
    assert_other_tenant_denied(f"{API}/donors/{ada.pk}/giving-summary/")
    assert_other_tenant_denied(f"{API}/donors/giving-summary/")


def test_the_summaries_answer_with_a_format_suffix_too(alpha: Tenant, ada: Donor) -> None:
    """The routes kept the router's format suffixes when they moved from donors to donations."""
    client = alpha.api(alpha.user(Role.VIEWER))
    listed = client.get(f"{API}/donors/giving-summary.json")
    one = client.get(f"{API}/donors/{ada.pk}/giving-summary.json")
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [ada.pk]
    assert one.status_code == 200
    assert one.json()["id"] == ada.pk

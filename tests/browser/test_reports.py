"""The fundraising reports in Chromium: a fundraiser opens each report from the reports' index,
sees its chart above the table, and follows a donor's name to the donor's page. Each report is
checked by axe and photographed at desktop and phone width; none overflows a phone's width."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pytest

from shared_apps.users.roles import Role
from tests.browser.conftest import axe_check, page_checked
from tests.browser.staff import StaffSite, staff_site  # noqa: F401
from tests.browser.test_content_security_policy import RECORD_VIOLATIONS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

pytestmark = pytest.mark.browser

DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def _years_of_giving(site: StaffSite) -> int:
    """Donors over four fiscal (calendar) years to this one: retained, lapsed last year
    (LYBUNT) at several giving levels, lapsed earlier (SYBUNT), new; two campaigns and two
    funds. The current fiscal year."""
    from django.utils import timezone

    from tenant_apps.donations.services.campaigns import campaign_create
    from tenant_apps.donations.tests.factories import GiftFactory
    from tenant_apps.donors.tests.factories import donor_made

    year = timezone.localdate().year
    with site.schema():
        spring = campaign_create(
            code="SPRING", name="Spring appeal", goal="5000.00", acting_user=None
        )
        campaign_create(code="GALA", name="Harbor gala", goal="2000.00", acting_user=None)

        def gave(donor: object, amount: str, on: date, **fields: object) -> None:
            GiftFactory.create(donor=donor, amount=amount, received_on=on, posted=True, **fields)

        ada = donor_made("Ada", "Lovelace")
        gave(ada, "1250.00", date(year, 3, 1), campaign=spring)
        gave(ada, "900.00", date(year - 1, 4, 1))
        grace = donor_made("Grace", "Hopper")
        gave(grace, "6200.00", date(year - 1, 5, 1), splits=(("PRP", "6200.00"),))
        for number, amount in enumerate(("450.00", "120.00", "60.00"), start=1):
            gave(donor_made("Lapsed", f"Donor {number}"), amount, date(year - 1, 6, number))
        gave(donor_made("Alan", "Turing"), "300.00", date(year - 3, 9, 1))
        gave(donor_made("Edsger", "Dijkstra"), "75.00", date(year - 2, 2, 1))
        gave(donor_made("Katherine", "Johnson"), "640.00", date(year, 2, 1), campaign=spring)
    return year


def _checked(page: Page, name: str) -> None:
    page_checked(page, f"reports-{name}", context=f"the {name} report")


def test_a_fundraiser_reads_each_report_and_follows_a_donor(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    chromium: Browser,
) -> None:
    year = _years_of_giving(staff_site)
    page = chromium.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    page.set_viewport_size(DESKTOP)
    staff_site.log_in(page, Role.FUNDRAISER)

    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Reports").click()
    page.get_by_role("heading", name="Fundraising reports").wait_for()
    axe_check(page, context="the fundraising reports' index")

    reports = [
        # (photographs' name, the index's link, the chart's title, a row of the chart's table,
        # a donor on the list)
        (
            "lybunt",
            "LYBUNT: gave last fiscal year, not this one",
            f"FY{year - 1} giving at risk, by giving level",
            "$5,000 or more",
            "Grace Hopper",
        ),
        (
            "sybunt",
            "SYBUNT: gave in an earlier fiscal year, not last year nor this one",
            "Lifetime giving of lapsed donors, by the fiscal year of their last gift",
            f"FY{year - 2}",
            "Alan Turing",
        ),
        (
            "campaigns",
            "Giving by campaign against its goal",
            "Raised against goal, by campaign",
            "Spring appeal",
            None,
        ),
        ("funds", "Giving by fund over a period", "Giving by fund", "General fund", None),
        (
            "top-donors",
            "Top donors over a period",
            "The top 2 donors by total giving",
            "Ada Lovelace",
            "Katherine Johnson",
        ),
        (
            "retention",
            "Donor retention in a fiscal year",
            f"FY{year}: 20.0% of FY{year - 1}'s donors gave again",
            f"New: first gift in FY{year}",
            None,
        ),
    ]
    for index, (name, link, chart_title, chart_row, donor) in enumerate(reports):
        if index:
            page.get_by_role("link", name="Fundraising reports").click()
        page.get_by_role("link", name=link).click()
        chart = page.get_by_role("figure", name=chart_title)
        chart.wait_for()
        # The bars are drawn, and their numbers are in the chart's table for screen readers.
        assert chart.locator("rect.series-0").count() >= 1
        assert chart.get_by_role("row", name=chart_row).count() == 1
        table = page.locator("table.report")
        chart_box, table_box = chart.bounding_box(), table.bounding_box()
        assert chart_box is not None and table_box is not None
        assert chart_box["y"] < table_box["y"]
        if donor:
            assert table.get_by_role("link", name=donor).count() == 1
        _checked(page, name)

    # From the LYBUNT list to the donor who gave the most last year.
    page.get_by_role("link", name="Fundraising reports").click()
    page.get_by_role("link", name="LYBUNT: gave last fiscal year, not this one").click()
    assert "$6,200.00" in page.get_by_role("row", name="Grace Hopper").inner_text()
    page.locator("table.report").get_by_role("link", name="Grace Hopper").click()
    page.get_by_role("heading", name="Grace Hopper", level=1).wait_for()
    assert "/donors/" in page.url
    axe_check(page, context="the donor's page, from the LYBUNT report")
    assert page.evaluate("window.__violations") == []  # nothing broke the page's policy
    page.close()

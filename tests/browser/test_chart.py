"""The chart in Chromium: a bookkeeper adds a program, adds a time-restricted fund (a release
date on a purpose fund is refused first, next to its field) and renames an account, reaching
each list through the bookkeeping tabs, which stay in reach at phone width; every page checked
by axe and photographed at desktop and phone widths."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from shared_apps.users.roles import Role
from tests.browser.conftest import axe_check, pages_photographed
from tests.browser.staff import StaffSite, staff_site  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

pytestmark = pytest.mark.browser

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


def _both_widths(page: Page, name: str) -> None:
    axe_check(page, context=f"chart: {name}")
    pages_photographed(page, f"chart-{name}")


def _tabs_in_reach_at_phone_width(page: Page) -> None:
    """At 390 px every tab is inside the viewport, and the page does not scroll sideways."""
    page.set_viewport_size(PHONE)
    try:
        tabs = page.get_by_role("navigation", name="Books").get_by_role("link")
        assert tabs.count() >= 4
        for index in range(tabs.count()):
            box = tabs.nth(index).bounding_box()
            assert box is not None
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than a phone"
    finally:
        page.set_viewport_size(DESKTOP)


# The fund sent with a release date on a purpose restriction answers 400, which Chromium logs.
@pytest.mark.console_errors_expected(r"status of 400 \(Bad Request\)")
def test_a_bookkeeper_adds_a_program_and_a_time_restricted_fund_and_renames_an_account(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    chromium: Browser,
) -> None:
    from playwright.sync_api import expect

    from tenant_apps.accounting.models import Account, Fund, Program

    page = chromium.new_page()
    page.set_viewport_size(DESKTOP)
    staff_site.log_in(page, Role.BOOKKEEPER)
    page.goto(staff_site.url("/accounting/"))
    tabs = page.get_by_role("navigation", name="Books")

    # A program, from the Programs tab.
    tabs.get_by_role("link", name="Programs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Programs")
    _tabs_in_reach_at_phone_width(page)
    _both_widths(page, "programs")
    page.get_by_role("link", name="Add a program").first.click()
    page.get_by_label("Code").fill("CAMP")
    page.get_by_label("Name").fill("Summer camp")
    page.get_by_label("Description").fill("Two weeks by the lake for forty children.")
    _both_widths(page, "program-form")
    page.get_by_role("button", name="Add the program").click()
    expect(page.get_by_role("status")).to_contain_text("Program CAMP Summer camp saved.")
    expect(page.get_by_role("cell", name="Summer camp", exact=True)).to_be_visible()

    # A fund: a release date on a purpose restriction is refused next to the field.
    tabs.get_by_role("link", name="Funds").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Funds")
    page.get_by_role("link", name="Add a fund").first.click()
    page.get_by_label("Code").fill("CAMP27")
    page.get_by_label("Name").fill("Camp 2027")
    page.get_by_label("Restriction").select_option(label="With donor restrictions: purpose")
    page.get_by_label("Release date").fill("2027-06-01")
    page.get_by_role("button", name="Add the fund").click()
    expect(page.get_by_role("alert")).to_contain_text("One thing needs fixing")
    expect(page.locator("#id_release_on_error")).to_have_text(
        "Only for a fund with a time restriction."
    )
    _both_widths(page, "fund-refused")
    page.get_by_label("Restriction").select_option(label="With donor restrictions: time")
    page.get_by_role("button", name="Add the fund").click()
    expect(page.get_by_role("status")).to_contain_text("Fund CAMP27 Camp 2027 saved.")
    expect(page.get_by_role("cell", name="Jun 1, 2027")).to_be_visible()
    _both_widths(page, "funds")

    # An account renamed, from the chart's list filtered to it.
    tabs.get_by_role("link", name="Chart of accounts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chart of accounts")
    _both_widths(page, "accounts")
    page.get_by_label("Code or name").fill("8110")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="Edit 8110").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit account 8110")
    page.get_by_label("Name").fill("Supplies and materials")
    _both_widths(page, "account-form")
    page.get_by_role("button", name="Save the account").click()
    expect(page.get_by_role("status")).to_contain_text("Account 8110 Supplies and materials saved.")

    with staff_site.schema():
        assert Program.objects.get(code="CAMP").name == "Summer camp"
        fund = Fund.objects.get(code="CAMP27")
        assert (fund.restriction, fund.release_on.isoformat() if fund.release_on else "") == (
            "time",
            "2027-06-01",
        )
        assert Account.objects.get(code="8110").name == "Supplies and materials"

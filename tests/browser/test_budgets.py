"""Budgets in Chromium: a bookkeeper makes a budget, types its amounts into the grid with the
keyboard only (the totals following each keystroke, the arrows moving between accounts),
spreads an annual amount, and reads budget versus actual for March, at desktop width and at a
phone's, with no accessibility violation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from shared_apps.users.roles import Role
from tests.browser.conftest import PHONE_VIEWPORT, axe_check, pages_photographed
from tests.browser.staff import StaffSite, staff_site  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

pytestmark = pytest.mark.browser

DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def _books(site: StaffSite) -> None:
    """March 2026: 1,250.50 given to GEN and 100.00 of supplies paid."""
    from tenant_apps.accounting.services import postings
    from tenant_apps.accounting.services.lines import LineSpec
    from tenant_apps.accounting.tests.factories import JournalEntryFactory

    with site.schema():
        postings.post_contribution(
            date=date(2026, 3, 10), amount=Decimal("1250.50"), fund="GEN", acting_user=None
        )
        JournalEntryFactory.create(
            date=date(2026, 3, 20),
            memo="Supplies",
            posted=True,
            lines=[
                LineSpec(account="8110", fund="GEN", debit="100.00", function="management_general"),
                LineSpec(account="1010", fund="GEN", credit="100.00"),
            ],
        )


def _fits_the_window(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_bookkeeper_enters_a_budget_with_the_keyboard_and_reads_it_against_the_books(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    chromium: Browser,
) -> None:
    _books(staff_site)
    page = chromium.new_page()
    page.set_viewport_size(DESKTOP)
    staff_site.log_in(page, Role.BOOKKEEPER)

    page.goto(staff_site.url("/accounting/budgets/"))
    axe_check(page, context="the budgets' list, empty")
    page.get_by_role("link", name="New budget").first.focus()
    page.keyboard.press("Enter")
    page.get_by_label("Name").fill("Operating budget")
    page.get_by_label("Fiscal year").fill("2026")
    page.keyboard.press("Enter")

    # The grid: January of individual contributions, then across the row with Tab.
    january = page.get_by_label("4010 Individual contributions, Jan", exact=True)
    january.wait_for()
    january.focus()
    for _ in range(12):
        page.keyboard.type("1000")
        page.keyboard.press("Tab")
    row = page.get_by_role("row").filter(has=january)
    assert row.locator(".row-total").inner_text() == "$12,000.00"  # live, before saving
    # Down from March of 4010 to March of the next account.
    page.get_by_label("4010 Individual contributions, Mar", exact=True).focus()
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "4020 Corporate contributions, Mar"
    # Supplies by the year, spread evenly.
    page.get_by_label("8110 Supplies, annual amount to spread").focus()
    page.keyboard.type("1000")
    page.get_by_role("button", name="Spread annual amounts evenly").focus()
    page.keyboard.press("Enter")
    page.get_by_text("Annual amounts spread evenly and saved").wait_for()
    assert page.get_by_label("8110 Supplies, Mar", exact=True).input_value() == "83.33"
    assert page.get_by_label("8110 Supplies, Dec", exact=True).input_value() == "83.34"
    assert page.get_by_label("4010 Individual contributions, Jun", exact=True).input_value() == (
        "1000.00"
    )
    axe_check(page, context="the budget grid")
    pages_photographed(page, "budgets-grid")
    page.set_viewport_size(PHONE_VIEWPORT)
    assert _fits_the_window(page)
    axe_check(page, context="the budget grid, at a phone's width")
    page.set_viewport_size(DESKTOP)

    page.get_by_role("link", name="Budget versus actual").first.click()
    page.get_by_label("Month").fill("2026-03")
    page.get_by_role("button", name="Show report").click()
    table = page.locator("table.report")
    table.wait_for()
    contributions = table.get_by_role("row").filter(has_text="4010 Individual contributions")
    assert contributions.inner_text().split("\t")[1:5] == [
        "$1,250.50", "$1,000.00", "$250.50", "25.1%",
    ]  # fmt: skip
    supplies = table.get_by_role("row").filter(has_text="8110 Supplies")
    assert supplies.inner_text().split("\t")[1:5] == ["$100.00", "$83.33", "($16.67)", "-20.0%"]
    assert page.get_by_role("link", name="Download PDF").is_visible()
    axe_check(page, context="budget versus actual")
    pages_photographed(page, "budgets-versus-actual")
    page.set_viewport_size(PHONE_VIEWPORT)
    assert _fits_the_window(page)
    axe_check(page, context="budget versus actual, at a phone's width")

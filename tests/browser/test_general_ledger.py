"""The general ledger of a busy account in Chromium: a bookkeeper pages through it with the
next and previous links, each page opening with the balance brought forward, and reloads a
page from its address. Each page is checked by axe and photographed at desktop and phone
width; none overflows a phone's width."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from shared_apps.users.roles import Role
from tenant_apps.accounting import reports
from tests.browser.conftest import page_checked
from tests.browser.staff import StaffSite, staff_site  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

pytestmark = pytest.mark.browser

DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def _gifts(site: StaffSite) -> None:
    """Seven gifts of 100.00 to GEN's cash in October 2026, one a day."""
    from tenant_apps.accounting.services import postings

    with site.schema():
        for day in range(1, 8):
            postings.post_contribution(
                date=date(2026, 10, day), amount=Decimal("100.00"), fund="GEN", acting_user=None
            )


def _checked(page: Page, name: str) -> None:
    page_checked(page, f"general-ledger-{name}", context=f"the general ledger, {name}")


def test_a_bookkeeper_pages_through_a_busy_ledger(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    chromium: Browser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reports, "LEDGER_PAGE_SIZE", 3)
    _gifts(staff_site)
    page = chromium.new_page()
    page.set_viewport_size(DESKTOP)
    staff_site.log_in(page, Role.BOOKKEEPER)

    page.goto(staff_site.url("/accounting/reports/general-ledger/"))
    page.locator("#id_account").select_option("1010")
    page.locator("#id_start").fill("2026-10-01")
    page.locator("#id_end").fill("2026-10-31")
    page.get_by_role("button", name="Show report").click()
    table = page.locator("table.report")
    table.wait_for()
    pager = page.get_by_role("navigation", name="Pages of the report, above the table")
    assert "Lines 1 to 3 of 7" in pager.inner_text()
    assert "300.00" in table.locator("tr.row-total").inner_text()  # carried forward
    _checked(page, "first-page")

    pager.get_by_role("link", name="Next page").click()
    page.get_by_text("Lines 4 to 6 of 7").first.wait_for()
    assert "Brought forward" in table.inner_text()
    assert "600.00" in table.locator("tr.row-total").inner_text()
    _checked(page, "middle-page")

    # The address is the page: opened again, it shows the same lines.
    address = page.url
    page.goto(address)
    assert "Lines 4 to 6 of 7" in page.locator("nav.pager").first.inner_text()

    page.get_by_role("navigation", name="Pages of the report, below the table").get_by_role(
        "link", name="Next page"
    ).click()
    page.get_by_text("Lines 7 to 7 of 7").first.wait_for()
    assert "Closing balance" in table.inner_text()
    assert page.get_by_role("link", name="Next page").count() == 0

    page.get_by_role("link", name="Previous page").first.click()
    page.get_by_text("Lines 4 to 6 of 7").first.wait_for()
    page.get_by_role("link", name="First page").first.click()
    page.get_by_text("Lines 1 to 3 of 7").first.wait_for()
    assert "Opening balance" in table.inner_text()

"""The fundraising desk in Chromium: a fundraiser reprints a receipt (finds it, opens it,
downloads its PDF, emails it again), and a bookkeeper takes the day's checks to the bank (opens
a deposit, adds its gifts, sees them match, closes it and prints the slip)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from shared_apps.users.roles import Role
from tests.browser.conftest import screenshot
from tests.browser.staff import StaffSite, staff_site  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

pytestmark = pytest.mark.browser

# The pages these tests visit, for the accessibility check (axe) to run on each.
PAGES_VISITED = [
    "/receipts/",
    "/receipts/<id>/",
    "/receipts/<id>/email/",
    "/receipts/statements/",
    "/deposits/",
    "/deposits/new/",
    "/deposits/<id>/",
]

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def _both_widths(page: Page, name: str) -> None:
    page.set_viewport_size(DESKTOP)
    screenshot(page, name)
    page.set_viewport_size(PHONE)
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)


# Fetches a link's target as the page would download it: its status, type and first bytes.
FETCH_HEAD = """async (url) => {
  const response = await fetch(url);
  const bytes = new Uint8Array(await response.arrayBuffer());
  return [response.status, response.headers.get("content-type"),
          String.fromCharCode(...bytes.slice(0, 5))];
}"""


def fetched(page: Page, link: str) -> list[object]:
    href = page.get_by_role("link", name=link).get_attribute("href")
    return list(page.evaluate(FETCH_HEAD, href))


def test_a_fundraiser_reprints_a_receipt(
    staff_site: StaffSite,  # noqa: F811
    chromium: Browser,
) -> None:
    from tenant_apps.donations.models import Receipt
    from tenant_apps.donations.services.receipt_settings import receipt_settings_update
    from tenant_apps.donations.tests.factories import GiftFactory, today
    from tenant_apps.donors.tests.factories import donor_made

    with staff_site.schema():
        receipt_settings_update(acting_user=None, legal_name="Harbor Food Bank", ein="12-3456789")
        ada = donor_made("Ada", "Lovelace", emails=("ada@example.org",))
        grace = donor_made("Grace", "Hopper", emails=("grace@example.org",))
        # Posting a gift issues its receipt (the task runs eagerly here).
        gift = GiftFactory.create(donor=ada, amount="250.00", posted=True)
        GiftFactory.create(donor=grace, amount="40.00", posted=True)
        receipt = Receipt.objects.get(gift=gift)
    page = chromium.new_page()
    staff_site.log_in(page, Role.FUNDRAISER)

    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Receipts").click()
    page.get_by_label("Donor").fill("Lovelace")
    page.get_by_role("button", name="Filter").click()
    results = page.locator("#receipt-results")
    page.wait_for_url("**/receipts/?*donor=Lovelace*")
    expect(results.get_by_text("Grace Hopper")).to_have_count(0)
    results.get_by_text("Ada Lovelace").wait_for()
    assert "$250.00" in results.inner_text()
    _both_widths(page, "receipts-list")

    page.get_by_role("link", name=f"{receipt.number:06d} v1").click()
    page.get_by_role("heading", name=f"Receipt {receipt.number:06d} v1").wait_for()
    _both_widths(page, "receipts-detail")

    assert fetched(page, "Download the PDF") == [200, "application/pdf", "%PDF-"]

    page.get_by_role("link", name="Email again").click()
    page.get_by_role("heading", name="Email receipt").wait_for()
    _both_widths(page, "receipts-email")
    page.get_by_role("button", name="Email it again").click()
    page.get_by_text("is on its way to Ada Lovelace").wait_for()
    _both_widths(page, "receipts-emailed")

    page.get_by_role("link", name="All receipts").click()
    page.get_by_role("link", name="Year-end statements").click()
    page.get_by_label("Calendar year").fill(str(today().year))
    page.get_by_role("button", name="Make the statements").click()
    page.get_by_text("statements are ready: 2 donors").wait_for()
    _both_widths(page, "receipts-statements")
    assert fetched(page, "Download the statements (ZIP)")[:2] == [200, "application/zip"]
    page.close()


def test_a_bookkeeper_closes_a_deposit_and_prints_its_slip(
    staff_site: StaffSite,  # noqa: F811
    chromium: Browser,
) -> None:
    from tenant_apps.donations.tests.factories import GiftFactory, today
    from tenant_apps.donors.tests.factories import donor_made

    with staff_site.schema():
        ada = donor_made("Ada", "Lovelace")
        grace = donor_made("Grace", "Hopper")
        GiftFactory.create(
            donor=ada, amount="100.00", method="check", check_number="1001", posted=True
        )
        GiftFactory.create(
            donor=grace, amount="50.00", method="check", check_number="2002", posted=True
        )
    page = chromium.new_page()
    staff_site.log_in(page, Role.BOOKKEEPER)

    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Deposits").click()
    page.get_by_role("link", name="Open a deposit").click()
    page.get_by_label("Deposit date").fill(today().isoformat())
    page.get_by_label("Number of checks and cash items").fill("2")
    page.get_by_label("Total").fill("150.00")
    _both_widths(page, "deposits-new")
    page.get_by_role("button", name="Open the deposit").click()
    page.get_by_text("2 short, $150.00 short").wait_for()

    page.get_by_label("Ada Lovelace").check()
    page.get_by_role("button", name="Add the chosen gifts").click()
    page.get_by_text("1 short, $50.00 short").wait_for()
    _both_widths(page, "deposits-detail-short")
    page.get_by_label("Grace Hopper").check()
    page.get_by_role("button", name="Add the chosen gifts").click()
    page.get_by_text("The gifts match the count and total.").wait_for()
    _both_widths(page, "deposits-detail-matched")

    page.get_by_role("button", name="Close the deposit").click()
    page.get_by_text("is closed and its gifts are in the bank").wait_for()
    assert page.get_by_role("button", name="Close the deposit").count() == 0

    assert fetched(page, "Deposit slip (PDF)") == [200, "application/pdf", "%PDF-"]

    page.get_by_role("link", name="Deposits", exact=True).first.click()
    page.get_by_role("cell", name="Closed").wait_for()
    _both_widths(page, "deposits-list")
    page.close()

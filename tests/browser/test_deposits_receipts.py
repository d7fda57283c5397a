"""The fundraising desk in Chromium: a fundraiser reprints a receipt (finds it, opens it,
downloads its PDF, emails it again) and makes the year's statements (one PDF and a ZIP), and a
bookkeeper takes the day's checks to the bank (opens a deposit, adds its gifts, sees them
match, closes it and prints the slip)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from shared_apps.users.roles import Role
from tests.browser.conftest import axe_check, page_checked, pages_photographed
from tests.browser.staff import StaffSite, staff_site  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser


def checked_and_photographed(page: Page, name: str, *, context: str) -> None:
    """axe on the page as it is now, then the page at desktop and phone width."""
    axe_check(page, context=context)
    pages_photographed(page, name)


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
    checked_and_photographed(
        page, "receipts-list", context="the receipts list, filtered by donor (after the htmx swap)"
    )

    page.get_by_role("link", name=f"{receipt.number:06d} v1").click()
    page.get_by_role("heading", name=f"Receipt {receipt.number:06d} v1").wait_for()
    checked_and_photographed(page, "receipts-detail", context="a receipt's page")

    assert fetched(page, "Download the PDF") == [200, "application/pdf", "%PDF-"]

    page.get_by_role("link", name="Email again").click()
    page.get_by_role("heading", name="Email receipt").wait_for()
    checked_and_photographed(page, "receipts-email", context="the form to email a receipt again")
    page.get_by_role("button", name="Email it again").click()
    page.get_by_text("is on its way to Ada Lovelace").wait_for()
    checked_and_photographed(
        page, "receipts-emailed", context="a receipt's page, with the message that it is emailed"
    )

    page.get_by_role("link", name="All receipts").click()
    page.get_by_role("link", name="Year-end statements").click()
    page.get_by_label("Calendar year").wait_for()
    axe_check(page, context="the year-end statements form")
    page.get_by_label("Calendar year").fill(str(today().year))
    page.get_by_role("button", name="Make the statements").click()
    page.get_by_text("statements are ready: 2 donors").wait_for()
    checked_and_photographed(
        page, "receipts-statements", context="the year-end statements page, the run finished"
    )
    assert fetched(page, "Download the statements (ZIP)")[:2] == [200, "application/zip"]
    # Every statement in one PDF, to print at once.
    assert fetched(page, "Download the statements (one PDF)") == [200, "application/pdf", "%PDF-"]
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
    checked_and_photographed(page, "deposits-new", context="the new deposit form, filled in")
    page.get_by_role("button", name="Open the deposit").click()
    page.get_by_text("2 short, $150.00 short").wait_for()

    page.get_by_label("Ada Lovelace").check()
    page.get_by_role("button", name="Add the chosen gifts").click()
    page.get_by_text("1 short, $50.00 short").wait_for()
    checked_and_photographed(
        page, "deposits-detail-short", context="a deposit's page, one gift short"
    )
    page.get_by_label("Grace Hopper").check()
    page.get_by_role("button", name="Add the chosen gifts").click()
    page.get_by_text("The gifts match the count and total.").wait_for()
    checked_and_photographed(
        page, "deposits-detail-matched", context="a deposit's page, its gifts matching"
    )

    page.get_by_role("button", name="Close the deposit").click()
    page.get_by_text("is closed and its gifts are in the bank").wait_for()
    assert page.get_by_role("button", name="Close the deposit").count() == 0
    axe_check(page, context="a closed deposit's page")

    assert fetched(page, "Deposit slip (PDF)") == [200, "application/pdf", "%PDF-"]

    page.get_by_role("link", name="Deposits", exact=True).first.click()
    page.get_by_role("cell", name="Closed").wait_for()
    checked_and_photographed(
        page, "deposits-list", context="the deposits list, with a closed deposit"
    )
    page.close()


# The refused addition answers 400, which Chromium logs; htmx swaps the answer in all the same.
@pytest.mark.console_errors_expected(r"status of 400 \(Bad Request\)")
def test_a_gift_another_deposit_took_meanwhile_is_refused_on_the_page(
    staff_site: StaffSite,  # noqa: F811
    chromium: Browser,
) -> None:
    from tenant_apps.donations.models import Gift
    from tenant_apps.donations.services.deposits import deposit_add_gift, deposit_create
    from tenant_apps.donations.tests.factories import GiftFactory, today
    from tenant_apps.donors.tests.factories import donor_made

    with staff_site.schema():
        ada = GiftFactory.create(
            donor=donor_made("Ada", "Lovelace"),
            amount="100.00",
            method="check",
            check_number="1001",
            posted=True,
        )
        GiftFactory.create(
            donor=donor_made("Grace", "Hopper"),
            amount="50.00",
            method="check",
            check_number="2002",
            posted=True,
        )
        mine, colleagues = (
            deposit_create(
                deposit_on=today(), expected_count=2, expected_total="150.00", acting_user=None
            )
            for _ in range(2)
        )
    page = chromium.new_page()
    staff_site.log_in(page, Role.BOOKKEEPER)

    # Given the bookkeeper on her deposit, Ada's check ticked to add
    page.goto(staff_site.url(f"/deposits/{mine.pk}/"))
    page.get_by_label("Ada Lovelace").check()

    # When a colleague puts the same check in another deposit first, and she adds it
    with staff_site.schema():
        deposit_add_gift(deposit=colleagues, gift=ada, acting_user=None)
    with page.expect_response(f"**/deposits/{mine.pk}/add/") as answer:
        page.get_by_role("button", name="Add the chosen gifts").click()

    # Then the page says why, in place, and offers only what can still be added
    assert answer.value.status == 400
    alert = page.locator("#deposit-work").get_by_role("alert")
    expect(alert).to_have_text(
        "A chosen gift can no longer be added: it is in another deposit now, or no longer "
        "posted. The gifts below are the ones that can be added."
    )
    expect(page.get_by_text("2 short, $150.00 short")).to_be_visible()
    expect(page.get_by_label("Ada Lovelace")).to_have_count(0)
    expect(page.get_by_label("Grace Hopper")).to_be_visible()
    assert page.url == staff_site.url(f"/deposits/{mine.pk}/")
    with staff_site.schema():
        assert Gift.objects.get(pk=ada.pk).deposit_id == colleagues.pk
    page_checked(page, "deposits-refused", context="a deposit's page after a refused addition")

    # When she adds nothing at all, that is refused in place too
    with page.expect_response(f"**/deposits/{mine.pk}/add/") as answer:
        page.get_by_role("button", name="Add the chosen gifts").click()
    assert answer.value.status == 400
    expect(alert).to_have_text("Choose at least one gift to add.")
    page.close()

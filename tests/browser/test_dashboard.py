"""The dashboard in Chromium, for the two roles that start their day there: a fundraiser sees
giving against last year, campaigns and whom to call; a bookkeeper sees what to post, the open
deposits and the cash by fund. Each state is checked by axe and photographed at desktop and
phone width."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from shared_apps.users.roles import Role
from tests.browser.conftest import axe_check, pages_photographed
from tests.browser.staff import StaffSite, staff_site  # noqa: F401
from tests.browser.test_content_security_policy import RECORD_VIOLATIONS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser


def _a_year_of_giving(site: StaffSite) -> None:
    """Gifts this fiscal year and last, a campaign, donors who lapsed, drafts and an open
    deposit: what an organization a year in looks like."""
    from django.utils import timezone

    from tenant_apps.donations.dashboard import a_year_before
    from tenant_apps.donations.services.campaigns import campaign_create
    from tenant_apps.donations.services.deposits import deposit_add_gift, deposit_create
    from tenant_apps.donations.services.receipt_settings import receipt_settings_update
    from tenant_apps.donations.tests.factories import GiftFactory
    from tenant_apps.donors.tests.factories import donor_made

    today = timezone.localdate()
    last_year = a_year_before(today)
    with site.schema():
        receipt_settings_update(
            legal_name="Harbor Food Bank",
            ein="12-3456789",
            signatory_name="Grace Hopper",
            acting_user=None,
        )
        spring = campaign_create(
            code="SPRING", name="Spring appeal", goal="5000.00", acting_user=None
        )
        ada = donor_made("Ada", "Lovelace")
        GiftFactory.create(donor=ada, amount="1250.00", posted=True, campaign=spring)
        GiftFactory.create(
            donor=ada, amount="900.00", received_on=last_year, posted=True, method="ach"
        )
        for number, amount in enumerate(("800.00", "450.00", "120.00"), start=1):
            GiftFactory.create(
                donor=donor_made("Lapsed", f"Donor {number}"),
                amount=amount,
                received_on=last_year - timedelta(days=30 * number),
                posted=True,
            )
        check = GiftFactory.create(donor=donor_made("Ben", "Check"), amount="300.00", posted=True)
        deposit = deposit_create(
            deposit_on=today, expected_count=2, expected_total="500.00", acting_user=None
        )
        deposit_add_gift(deposit=deposit, gift=check, acting_user=None)
        GiftFactory.create(donor=donor_made("Cy", "Draft"), amount="75.00")


def test_a_fundraiser_starts_the_day_on_the_dashboard(
    staff_site: StaffSite,  # noqa: F811
    chromium: Browser,
) -> None:
    _a_year_of_giving(staff_site)
    page: Page = chromium.new_page()
    page.add_init_script(RECORD_VIOLATIONS)

    staff_site.log_in(page, Role.FUNDRAISER)

    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard"
    giving = page.get_by_role("region", name="Giving")
    assert "$1,550.00" in giving.inner_text()  # this month: Ada's gift and Ben's check
    assert page.get_by_role("figure", name="Giving by month").is_visible()
    campaigns = page.get_by_role("region", name="Campaigns against goal").inner_text()
    assert "Spring appeal" in campaigns
    assert "$1,250.00 of $5,000.00 (25%)" in campaigns
    lapsed = page.get_by_role("region", name="Lapsed donors to call")
    names = lapsed.get_by_role("link").all_inner_texts()
    assert names == ["Lapsed Donor 1", "Lapsed Donor 2", "Lapsed Donor 3"]
    drafts = page.get_by_role("region", name="Drafts waiting").inner_text()
    assert "1 draft gift, $75.00 in all." in drafts
    assert page.get_by_role("region", name="Cash by fund").count() == 0
    # Keyboard first: the day's first task is a tab away from the skip link.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.get_by_role("link", name="Record a gift", exact=True).focus()
    assert page.evaluate("document.activeElement.getAttribute('href')") == "/gifts/new/"
    axe_check(page, context="the dashboard, as a fundraiser")
    pages_photographed(page, "dashboard-fundraiser")

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    axe_check(page, context="the dashboard, as a fundraiser, at phone width")
    assert page.evaluate("window.__violations") == []  # the chart runs under the policy
    page.close()


def test_a_bookkeeper_sees_what_to_post_deposit_and_the_cash(
    staff_site: StaffSite,  # noqa: F811
    chromium: Browser,
) -> None:
    _a_year_of_giving(staff_site)
    page: Page = chromium.new_page()
    page.add_init_script(RECORD_VIOLATIONS)

    staff_site.log_in(page, Role.BOOKKEEPER)

    assert page.get_by_role("region", name="Giving").count() == 0
    to_post = page.get_by_role("region", name="Drafts to post")
    assert "1 draft gift, $75.00 in all." in to_post.inner_text()
    assert to_post.get_by_role("link", name="Review and post them").get_attribute("href") == (
        "/gifts/?state=draft"
    )
    deposits = page.get_by_role("region", name="Open deposits").inner_text()
    assert "$300.00 entered of $500.00 expected." in deposits
    assert "Not balanced" in deposits
    cash = page.get_by_role("region", name="Cash by fund")
    # Ada's transfer is in the bank, the checks on their way to it: cash all the same.
    assert "$3,820.00" in cash.get_by_role("row", name="General fund").inner_text()
    axe_check(page, context="the dashboard, as a bookkeeper")
    pages_photographed(page, "dashboard-bookkeeper")

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate("window.__violations") == []
    page.close()


def test_a_new_organizations_administrator_is_shown_the_first_steps(
    staff_site: StaffSite,  # noqa: F811
    chromium: Browser,
) -> None:
    page: Page = chromium.new_page()
    page.add_init_script(RECORD_VIOLATIONS)

    staff_site.log_in(page, Role.ADMIN)

    steps = page.get_by_role("region", name="Getting started")
    # The owner provisioning made and this administrator: a colleague is there already.
    assert steps.get_by_role("link").all_inner_texts() == [
        "Add the EIN",
        "Set up receipts",
        "Import your donors from a spreadsheet",
        "Record a gift",
    ]
    assert "A colleague with their own login (done)" in steps.inner_text()
    # Connecting the Stripe account that gifts are paid into is the owner's step alone.
    assert "Stripe" not in steps.inner_text()
    giving = page.get_by_role("region", name="Giving")
    assert giving.get_by_role("link", name="Record your first gift").get_attribute("href") == (
        "/gifts/new/"
    )
    axe_check(page, context="the dashboard of a new organization, as an administrator")
    pages_photographed(page, "dashboard-administrator-new")
    assert page.evaluate("window.__violations") == []
    page.close()

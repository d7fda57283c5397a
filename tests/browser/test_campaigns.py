"""The campaigns desk in Chromium: a fundraiser adds a campaign (a mistake first, told next to
its field), gifts are credited to it, and its page shows what it raised, against the goal,
week by week; the list, the form and the page at desktop and phone widths."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.utils.dateformat import format as date_format

from shared_apps.users.roles import Role
from tests.browser.conftest import axe_check, pages_photographed
from tests.browser.staff import StaffSite, staff_site  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

pytestmark = pytest.mark.browser

DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def _both_widths(page: Page, name: str) -> None:
    """The page as it stands, checked by axe and photographed at desktop and phone width."""
    axe_check(page, context=f"campaigns: {name}")
    pages_photographed(page, f"campaigns-{name}")


def _no_sideways_scroll_at_phone_width(page: Page) -> None:
    viewport = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than a phone"
    finally:
        if viewport:
            page.set_viewport_size(viewport)


# The form sent with the end before the start answers 400, which Chromium logs.
@pytest.mark.console_errors_expected(r"status of 400 \(Bad Request\)")
def test_a_fundraiser_adds_a_campaign_and_follows_what_it_raises(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    chromium: Browser,
) -> None:
    from playwright.sync_api import expect

    from tenant_apps.donations.models import Campaign
    from tenant_apps.donations.services.gifts import gift_refund
    from tenant_apps.donations.tests.factories import GiftFactory, today
    from tenant_apps.donors.tests.factories import donor_made

    start = today() - timedelta(days=20)
    page = chromium.new_page()
    page.set_viewport_size(DESKTOP)
    staff_site.log_in(page, Role.FUNDRAISER)

    # Given no campaign yet, the list says how to add one.
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Campaigns").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Campaigns")
    expect(page.get_by_text("No campaigns yet. Add one for each appeal")).to_be_visible()
    _both_widths(page, "empty")
    page.get_by_role("link", name="Add a campaign").first.click()

    # When the end is before the start, the form says so next to the field and in a summary.
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a campaign")
    page.get_by_label("Code").fill("SPRING26")
    page.get_by_label("Name").fill("Spring food drive")
    page.get_by_label("Goal").fill("2000")
    page.get_by_label("Start").fill(start.isoformat())
    page.get_by_label("End").fill((start - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Add the campaign").click()
    expect(page.get_by_role("alert")).to_contain_text("One thing needs fixing")
    expect(page.locator("#id_end_error")).to_have_text("The end is before the start.")
    _both_widths(page, "form-refused")

    # Then, with the end put right, the campaign is added and its page opens.
    page.get_by_label("End").fill((today() + timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Add the campaign").click()
    expect(page.get_by_role("status")).to_contain_text("Campaign Spring food drive added.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Spring food drive")
    expect(
        page.get_by_text("The chart starts with the campaign’s first posted gift.")
    ).to_be_visible()

    # Gifts are credited to it: two in the first week, one this week, a draft and a refund
    # that do not count.
    with staff_site.schema():
        campaign = Campaign.objects.get(code="SPRING26")
        ada = donor_made("Ada", "Lovelace")
        grace = donor_made("Grace", "Hopper")
        for donor, amount, day in (
            (ada, "250.00", start + timedelta(days=1)),
            (grace, "100.00", start + timedelta(days=3)),
            (ada, "150.00", today()),
        ):
            GiftFactory.create(
                donor=donor, amount=amount, received_on=day, campaign=campaign, posted=True
            )
        GiftFactory.create(donor=grace, amount="700.00", campaign=campaign)
        refunded = GiftFactory.create(
            donor=grace, amount="900.00", received_on=start, campaign=campaign, posted=True
        )
        gift_refund(gift=refunded, acting_user=None)

    page.reload()
    expect(page.get_by_test_id("raised")).to_have_text("$500.00")
    summary = page.get_by_role("region", name="Against the goal")
    expect(summary).to_contain_text("Still to raise$1,500.00")
    expect(summary).to_contain_text("25% of the goal raised")
    chart = page.get_by_role("figure", name="Raised week by week against the goal of $2,000.00")
    table = chart.get_by_role("table")
    weeks = [
        (start + timedelta(days=6), "$350.00"),
        (start + timedelta(days=13), "$350.00"),
        (today(), "$500.00"),
    ]
    expect(table.get_by_role("row")).to_have_count(len(weeks) + 1)
    for day, raised in weeks:
        expect(table.get_by_role("row", name=date_format(day, "M j, Y"))).to_contain_text(raised)
    top_donors = page.get_by_role("region", name="Top donors")
    expect(top_donors.get_by_role("row").nth(1)).to_contain_text("Ada Lovelace$400.00")
    _both_widths(page, "detail")
    _no_sideways_scroll_at_phone_width(page)

    # The donor's link leads to the donor; the list shows the campaign against its goal.
    top_donors.get_by_role("link", name="Ada Lovelace").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ada Lovelace")
    page.go_back()
    page.get_by_role("link", name="Campaigns", exact=True).first.click()
    row = page.get_by_role("row", name="Spring food drive")
    expect(row).to_contain_text("$2,000.00")
    expect(row).to_contain_text("$500.00")
    expect(row).to_contain_text("25%")
    expect(row).to_contain_text("Active")
    _both_widths(page, "list")
    _no_sideways_scroll_at_phone_width(page)

    # And the dashboard's campaign row opens the campaign's page.
    page.goto(staff_site.url("/"))
    _no_sideways_scroll_at_phone_width(page)
    page.get_by_role("link", name="Spring food drive").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Spring food drive")

    page.get_by_role("link", name="Edit the campaign").click()
    expect(page.get_by_label("Code")).to_be_disabled()
    _both_widths(page, "edit")
    page.close()

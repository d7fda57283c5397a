"""Pledges and recurring gifts in Chromium: a fundraiser records a pledge paid in four
installments; a bookkeeper posts it, records and posts a payment from it, sees the schedule
settle, and writes off the rest. A recurring gift is set up, paused and resumed. Every page is
checked by axe and photographed at desktop and phone widths."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone
from django.utils.dateformat import format as date_format

from shared_apps.users.roles import Role
from tests.browser.conftest import page_checked
from tests.browser.staff import StaffSite, staff_site  # noqa: F401
from tests.browser.test_content_security_policy import RECORD_VIOLATIONS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

pytestmark = pytest.mark.browser

DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def _checked(page: Page, name: str) -> None:
    page_checked(page, f"pledges-{name}", context=f"pledges: {name}")
    assert page.evaluate("window.__violations") == [], name  # nothing the policy refused


def _new_page(chromium: Browser) -> Page:
    page = chromium.new_page()
    page.set_viewport_size(DESKTOP)
    page.add_init_script(RECORD_VIOLATIONS)
    return page


def test_a_pledge_in_four_installments_is_posted_paid_and_written_off(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    chromium: Browser,
) -> None:
    from playwright.sync_api import expect

    from tenant_apps.donors.tests.factories import donor_made

    with staff_site.schema():
        donor_made("Ada", "Lovelace", emails=("ada@example.org",))
    today = timezone.localdate()

    # Given a fundraiser on the pledges list, empty, in the gifts area.
    page = _new_page(chromium)
    staff_site.log_in(page, Role.FUNDRAISER)
    page.goto(staff_site.url("/pledges/"))
    expect(
        page.get_by_role("navigation", name="Sections").get_by_role("link", name="Gifts")
    ).to_have_attribute("aria-current", "page")
    expect(
        page.get_by_role("navigation", name="Gifts area").get_by_role("link", name="Pledges")
    ).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("No pledge yet.")).to_be_visible()
    _checked(page, "empty-list")

    # When they record a pledge of $1,000.00 in four quarterly installments, donor by keyboard.
    page.get_by_role("link", name="Record a pledge").first.click()
    donor = page.get_by_role("combobox", name="Donor")
    expect(donor).to_be_focused()
    page.keyboard.type("Lovelace")
    expect(
        page.get_by_role("listbox", name="Matching donors").get_by_role("option").first
    ).to_have_text("Ada Lovelace")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Amount pledged")).to_be_focused()
    page.keyboard.type("1000.00")
    page.get_by_label("Installments").fill("4")
    page.get_by_label("Paid", exact=True).select_option("quarterly")
    page.get_by_label("Memo").fill("For the new <b>roof</b>")
    _checked(page, "form")
    page.get_by_role("button", name="Record the pledge").click()

    # Then its page shows the draft and its schedule of four installments of $250.00.
    expect(page.get_by_role("status")).to_contain_text("Pledge recorded as a draft")
    expect(page.get_by_role("heading", level=1)).to_have_text("$1,000.00 pledged by Ada Lovelace")
    schedule = page.get_by_role("region", name="Schedule")
    expect(schedule.get_by_role("row")).to_have_count(5)
    expect(schedule.get_by_role("row").nth(1)).to_contain_text(date_format(today, "M j, Y"))
    expect(schedule.get_by_role("row").nth(1)).to_contain_text("$250.00")
    expect(page.get_by_text("For the new <b>roof</b>")).to_be_visible()
    expect(page.get_by_role("button", name="Post to the books")).to_have_count(0)
    _checked(page, "draft")
    pledge_url = page.url
    page.close()

    # When a bookkeeper posts it.
    page = _new_page(chromium)
    staff_site.log_in(page, Role.BOOKKEEPER)
    page.goto(pledge_url)
    page.get_by_role("button", name="Post to the books").click()
    expect(page.get_by_role("status")).to_contain_text("Pledge posted")
    expect(page.get_by_text(re.compile(r"Journal entry \d+"))).to_be_visible()
    _checked(page, "open")

    # And records the donor's first payment from the pledge's page, then posts it.
    page.get_by_role("link", name="Record a payment").click()
    expect(page.get_by_label("Amount", exact=True)).to_have_value("250.00")
    expect(page.locator("#pledge-payment")).to_contain_text("$1,000.00 still to pay")
    _checked(page, "payment-form")
    page.get_by_role("button", name="Record the gift").click()
    expect(page.get_by_role("status")).to_contain_text("recorded as a draft")
    page.get_by_role("button", name="Post to the books").click()
    expect(page.get_by_role("status")).to_contain_text("Gift posted")
    page.get_by_role("link", name=re.compile(r"^pledge \d+$")).click()

    # Then the schedule shows the first installment paid and $750.00 still to pay.
    schedule = page.get_by_role("region", name="Schedule")
    expect(schedule.get_by_role("row").nth(1)).to_contain_text("Paid")
    expect(schedule.get_by_role("row").nth(2)).to_contain_text("To come")
    payments = page.get_by_role("region", name="Payments")
    expect(payments.get_by_role("row")).to_have_count(2)
    expect(payments).to_contain_text("Posted")

    # When the rest is written off, with a reason.
    page.get_by_label("Reason").fill("The donor moved abroad")
    page.get_by_role("button", name="Write off $750.00").click()

    # Then the pledge is closed, its last three installments written off.
    expect(page.get_by_role("status")).to_contain_text("$750.00 written off")
    expect(page.locator(".facts")).to_contain_text("Written off")
    expect(schedule.get_by_role("cell", name="Written off", exact=True)).to_have_count(3)
    expect(page.get_by_text(re.compile(r"written off by entry \d+"))).to_be_visible()
    _checked(page, "written-off")

    # And the list says so, with what was paid and nothing left to pay.
    page.get_by_role("link", name="All pledges").click()
    row = page.get_by_role("row").filter(has_text="Ada Lovelace")
    expect(row).to_contain_text("Written off")
    expect(row.get_by_role("cell").nth(3)).to_have_text("$250.00")
    expect(row.get_by_role("cell").nth(4)).to_have_text("$0.00")
    _checked(page, "list")
    page.close()


def test_a_recurring_gift_is_set_up_paused_and_resumed(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    chromium: Browser,
) -> None:
    from datetime import timedelta

    from playwright.sync_api import expect

    from tenant_apps.donors.tests.factories import donor_made

    with staff_site.schema():
        grace = donor_made("Grace", "Hopper", emails=("grace@example.org",))
    today = timezone.localdate()
    first = today + timedelta(days=5)
    resume_on = today + timedelta(days=40)

    # Given a fundraiser on Grace's page, who sets up a monthly gift from there.
    page = _new_page(chromium)
    staff_site.log_in(page, Role.FUNDRAISER)
    page.goto(staff_site.url(f"/donors/{grace.pk}/"))
    page.get_by_role("link", name="Add recurring gift").click()
    expect(page.get_by_role("combobox", name="Donor")).to_have_value("Grace Hopper")
    page.get_by_label("Amount", exact=True).fill("40.00")
    page.get_by_label("First gift on").fill(first.isoformat())
    _checked(page, "recurring-form")
    page.get_by_role("button", name="Set up the recurring gift").click()

    # Then its page lists its coming dates, the first one first.
    expect(page.get_by_role("heading", level=1)).to_have_text("$40.00 monthly from Grace Hopper")
    coming = page.get_by_role("list", name="Coming gifts").get_by_role("listitem")
    expect(coming).to_have_count(6)
    expect(coming.first).to_have_text(date_format(first, "M j, Y"))
    _checked(page, "recurring-active")

    # When it is paused, the page says no gift is made until it is resumed.
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("status")).to_contain_text("Recurring gift paused")
    expect(page.get_by_text("Resumed today, its next gifts would be on")).to_be_visible()
    _checked(page, "recurring-paused")

    # And resumed from a date: the next gift is on that date.
    page.get_by_label("Next gift on").fill(resume_on.isoformat())
    page.get_by_role("button", name="Resume").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"the next gift is on {date_format(resume_on, 'M j, Y')}"
    )
    expect(page.locator(".facts")).to_contain_text("Active")
    expect(coming.first).to_have_text(date_format(resume_on, "M j, Y"))

    # And the list shows it with its next date.
    page.get_by_role("link", name="All recurring gifts").click()
    expect(
        page.get_by_role("navigation", name="Gifts area").get_by_role(
            "link", name="Recurring gifts"
        )
    ).to_have_attribute("aria-current", "page")
    row = page.get_by_role("row").filter(has_text="Grace Hopper")
    expect(row).to_contain_text(date_format(resume_on, "M j, Y"))
    expect(row).to_contain_text("Monthly")
    _checked(page, "recurring-list")
    page.close()

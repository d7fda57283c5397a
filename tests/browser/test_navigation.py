"""The sections bar in Chromium: for an owner, who has the most sections, it keeps to one row
of a 1,280 px window; its People menu opens, is walked and closes by keyboard alone, saying
whether it is open (aria-expanded); at a phone's width its links open in the scrolling row."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from shared_apps.users.roles import Role
from tests.browser.conftest import ARTIFACTS, PHONE_VIEWPORT, page_checked, screenshot
from tests.browser.staff import StaffSite, staff_site  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

# The tops of the bar's entries (its own <li>s, not the menus' links) and the bar's height.
ENTRY_ROWS = """() => {
  const list = document.querySelector("nav.sections > ul");
  const tops = [...list.children].map((entry) => Math.round(entry.getBoundingClientRect().top));
  return {tops: [...new Set(tops)], height: list.getBoundingClientRect().height,
          entryHeight: list.children[0].getBoundingClientRect().height};
}"""


def test_the_owner_s_sections_fit_one_row_and_the_people_menu_works_by_keyboard(
    staff_site: StaffSite,  # noqa: F811
    page: Page,
) -> None:
    from playwright.sync_api import expect

    from shared_apps.users.models import User
    from tests.browser.staff import PASSWORD

    with staff_site.schema():  # the owner provisioning made, with the staff site's password
        owner = User.objects.get(role=Role.OWNER)
        owner.set_password(PASSWORD)
        owner.save(update_fields=["password"])
    staff_site.users[Role.OWNER] = owner

    # Given the owner, who may open every section, at 1,280 px
    staff_site.log_in(page, Role.OWNER)
    sections = page.get_by_role("navigation", name="Sections")
    people = sections.get_by_role("button", name="People")

    # Then the bar is one row: every entry on the same line, the bar as high as one entry
    rows = page.evaluate(ENTRY_ROWS)
    assert len(rows["tops"]) == 1, rows
    assert rows["height"] <= rows["entryHeight"] + 1, rows
    expect(people).to_have_attribute("aria-expanded", "false")
    expect(sections.get_by_role("link", name="Pay runs")).to_be_hidden()

    # When she tabs to People and opens it with Enter
    people.focus()
    page.keyboard.press("Enter")

    # Then the menu says it is open, shows the people sections, and Tab walks into them
    expect(people).to_have_attribute("aria-expanded", "true")
    menu = page.locator("#sections-people")
    expect(menu.get_by_role("link")).to_have_text(
        ["Personnel reports", "Pay runs", "My hours", "Approvals", "Staff"]
    )
    page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name="Personnel reports")).to_be_focused()
    screenshot(page, "navigation-people-menu-desktop")

    # When she presses Escape, the menu closes and the focus is back on its button
    page.keyboard.press("Escape")
    expect(people).to_have_attribute("aria-expanded", "false")
    expect(people).to_be_focused()
    expect(menu).to_be_hidden()

    # When she opens it with Space and follows Pay runs with Enter
    page.keyboard.press("Space")
    expect(people).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name="Pay runs")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(staff_site.url("/pay-runs/"))

    # Then People is the current entry, Pay runs its current link, and the bar still one row
    expect(people).to_have_attribute("aria-current", "true")
    expect(people).to_have_attribute("aria-expanded", "false")
    assert len(page.evaluate(ENTRY_ROWS)["tops"]) == 1
    page_checked(page, "navigation-pay-runs", context="the pay runs, reached from the menu")

    # When the focus leaves the open menu, it closes
    people.focus()
    page.keyboard.press("Enter")
    expect(menu.get_by_role("link", name="Pay runs")).to_have_attribute("aria-current", "page")
    page.keyboard.press("Shift+Tab")
    expect(people).to_have_attribute("aria-expanded", "false")

    # At a phone's width the menu's links open in the row, which scrolls sideways
    page.set_viewport_size(PHONE_VIEWPORT)
    people.focus()
    page.keyboard.press("Enter")
    expect(menu.get_by_role("link", name="Staff")).to_be_visible()
    box = menu.bounding_box()
    bar = sections.bounding_box()
    assert box is not None and bar is not None
    assert bar["y"] <= box["y"] and box["y"] + box["height"] <= bar["y"] + bar["height"] + 1
    screenshot(page, "navigation-people-menu-phone")
    assert (ARTIFACTS / "navigation-people-menu-phone.png").exists()

"""The journal in Chromium, keyboard only: a bookkeeper writes a three-line entry (adding the third
line with the button), sees it refused while fund GEN is out of balance, fixes the credit and
posts it; the entry's page shows it, and the journal lists it. Every page is checked by axe and
photographed at desktop and phone width."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from shared_apps.users.roles import Role
from tests.browser.conftest import axe_check, pages_photographed
from tests.browser.staff import StaffSite, staff_site  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser


def _tab_to(page: Page, element_id: str, *, most: int = 80) -> None:
    """Press Tab until the field `element_id` has the focus."""
    for _ in range(most):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    pytest.fail(f"Tab never reached #{element_id}")


def _type_into(page: Page, element_id: str, text: str) -> None:
    _tab_to(page, element_id)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


# The entry posted out of balance answers 400, which Chromium logs.
@pytest.mark.console_errors_expected(r"status of 400 \(Bad Request\)")
def test_a_bookkeeper_writes_fixes_and_posts_an_entry_with_the_keyboard(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    chromium: Browser,
) -> None:
    page = chromium.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    staff_site.log_in(page, Role.BOOKKEEPER)

    page.goto(staff_site.url("/accounting/journal/"))
    axe_check(page, context="the empty journal")
    pages_photographed(page, "journal-empty")

    page.goto(staff_site.url("/accounting/journal/new/"))
    axe_check(page, context="the entry form")
    _type_into(page, "id_memo", "Office supplies")
    _type_into(page, "id_lines-0-account", "8110")
    _type_into(page, "id_lines-0-fund", "GEN")
    _type_into(page, "id_lines-0-debit", "200.00")
    _tab_to(page, "id_lines-0-function")
    page.keyboard.type("Man")  # Management and general
    _type_into(page, "id_lines-1-account", "8110")
    _type_into(page, "id_lines-1-fund", "GEN")
    _type_into(page, "id_lines-1-debit", "100.00")
    _tab_to(page, "id_lines-1-function")
    page.keyboard.type("Fun")  # Fundraising
    page.keyboard.press("Tab")
    while page.evaluate("document.activeElement.dataset.addLine === undefined"):
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Add a line: the script adds it and moves to its account
    assert page.evaluate("document.activeElement.id") == "id_lines-2-account"
    page.keyboard.type("1010")
    _type_into(page, "id_lines-2-fund", "GEN")
    _type_into(page, "id_lines-2-credit", "250.00")
    status = page.locator("#balance-status")
    assert "fund GEN is out of balance by $50.00" in status.inner_text()
    axe_check(page, context="the entry form, out of balance")
    pages_photographed(page, "journal-form-out-of-balance")

    _tab_to(page, "post-entry")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    summary = page.locator("#form-errors")
    assert "fund GEN is out of balance by $50.00" in summary.inner_text()
    assert "nothing was saved" in summary.inner_text()
    axe_check(page, context="the entry form, refused")
    pages_photographed(page, "journal-form-refused")

    _type_into(page, "id_lines-2-credit", "300.00")
    assert page.locator("#balance-status").inner_text() == "Balanced in every fund."
    _tab_to(page, "post-entry")
    page.keyboard.press("Enter")
    # The entry's own page, by its number: "*" would match the form's own "new/" at once.
    page.wait_for_url(re.compile(r".*/accounting/journal/\d+/$"))

    body = page.locator("main").inner_text()
    assert "Posted as entry 1." in body
    assert "Journal entry 1" in body
    assert "Management and general" in body and "Fundraising" in body
    assert "$300.00" in body
    assert f"bookkeeper@{staff_site.organization.slug}.org" in body
    axe_check(page, context="the entry's page")
    pages_photographed(page, "journal-entry")

    page.goto(staff_site.url("/accounting/journal/"))
    assert "Office supplies" in page.locator("table.journal").inner_text()
    axe_check(page, context="the journal")
    pages_photographed(page, "journal-list")

    page.goto(staff_site.url("/accounting/journal/recurring/"))
    assert "No recurring entry yet" in page.locator("main").inner_text()
    axe_check(page, context="the recurring entries, none yet")
    pages_photographed(page, "journal-recurring-empty")
    page.goto(staff_site.url("/accounting/journal/recurring/new/"))
    axe_check(page, context="the recurring entry form")
    pages_photographed(page, "journal-recurring-form")

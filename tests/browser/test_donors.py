"""The donors desk in Chromium, as a fundraiser does it with the keyboard alone: add a donor
(seeing that she may be here already, and creating her anyway), find her by a misspelled name
as the list narrows while typing, open her page and add a note, which appears without a
reload. Each page and state is checked by axe; the list, the form and the page are photographed at
desktop and phone width."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from shared_apps.users.roles import Role
from tenant_apps.donors.tests.factories import DonorFactory
from tests.browser.conftest import axe_check, pages_photographed
from tests.browser.staff import StaffSite, staff_site  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = pytest.mark.browser


def tab_to(page: Page, target: Locator, *, most: int = 60) -> None:
    """Press Tab until `target` has the focus, as someone without a mouse would."""
    for _ in range(most):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def test_a_fundraiser_adds_finds_and_notes_a_donor_by_keyboard(
    staff_site: StaffSite,  # noqa: F811
    chromium: Browser,
) -> None:
    with staff_site.schema():
        DonorFactory.create(
            first_name="Ada", last_name="Lovelace", emails=("ada@example.org",), tags=("Board",)
        )
        DonorFactory.create(first_name="Grace", last_name="Hopper")
    page = chromium.new_page()
    staff_site.log_in(page, Role.FUNDRAISER)

    # The list, and the way to add a donor.
    page.goto(staff_site.url("/donors/"))
    assert page.get_by_role("heading", name="Donors").is_visible()
    assert page.get_by_role("link", name="Grace Hopper").is_visible()
    axe_check(page, context="the donors list")
    pages_photographed(page, "donors-list")
    tab_to(page, page.get_by_role("link", name="Add a donor"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/donors/new/$"))

    # Ada a second time: the form says she may be here already.
    tab_to(page, page.get_by_label("First name"))
    page.keyboard.type("Ada")
    page.keyboard.press("Tab")
    page.keyboard.type("Lovelace")
    tab_to(page, page.get_by_label("Emails"))
    page.keyboard.type("ada@example.org")
    tab_to(page, page.get_by_label("Tags"))
    page.keyboard.type("Math")
    axe_check(page, context="the new donor form, filled in")
    pages_photographed(page, "donors-form")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="This donor may be here already").wait_for()
    it_is_her = page.get_by_role("link", name=re.compile(r"^It is this donor.*Ada Lovelace"))
    assert it_is_her.is_visible()
    axe_check(page, context="the new donor form, warning of a likely duplicate")
    pages_photographed(page, "donors-form-duplicate")
    tab_to(page, page.get_by_role("button", name="Create anyway"))
    page.keyboard.press("Enter")
    page.get_by_text("Ada Lovelace is added.").wait_for()
    axe_check(page, context="the new donor's page, with the message that she is added")

    # Find her by a misspelled name: the results narrow as she types, the URL follows.
    page.goto(staff_site.url("/donors/"))
    tab_to(page, page.get_by_label("Search"))
    page.keyboard.type("Lovelase", delay=40)
    page.wait_for_url(re.compile(r"q=Lovelase"))
    results = page.locator("#donor-results")
    results.get_by_role("link", name="Grace Hopper").wait_for(state="detached")
    assert results.get_by_role("link", name="Ada Lovelace").count() == 2
    assert page.get_by_role("heading", name="Donors").is_visible()
    axe_check(page, context="the donors list, narrowed by a search (after the htmx swap)")
    pages_photographed(page, "donors-list-search")

    # Her page, and a note added without leaving it.
    tab_to(page, results.get_by_role("link", name="Ada Lovelace").first)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/donors/\d+/$"))
    assert page.get_by_role("heading", name="Ada Lovelace", exact=True).is_visible()
    axe_check(page, context="a donor's page")
    tab_to(page, page.get_by_label("Add a note"))
    page.keyboard.type("Asked about the engine fund.")
    tab_to(page, page.get_by_role("button", name="Add note"))
    page.keyboard.press("Enter")
    page.get_by_text("The note is added.").wait_for()
    assert page.locator("ol.timeline").get_by_text("Asked about the engine fund.").is_visible()
    axe_check(page, context="a donor's page, after a note is added (htmx swap)")
    pages_photographed(page, "donors-page")
    page.close()

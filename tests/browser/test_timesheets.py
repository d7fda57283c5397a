"""Hours in Chromium: a volunteer fills last week's timesheet with the keyboard (the arrows move
between days, the totals follow), saves it and submits it; the volunteer coordinator, with the
keyboard alone, rejects one entry with a reason (Enter in the reason sends nothing) and approves
the rest of the week in bulk. Each page is checked by axe and photographed at desktop and phone
width, and none is wider than a phone's screen."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone

from shared_apps.users.roles import Role
from tests.browser.conftest import PHONE_VIEWPORT, axe_check, pages_photographed
from tests.browser.keyboard import tab_to
from tests.browser.staff import StaffSite, staff_site  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

pytestmark = pytest.mark.browser

DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def _fits_a_phone(page: Page) -> None:
    """At 390 px the page body does not scroll sideways (a wide table scrolls in its box)."""
    page.set_viewport_size(PHONE_VIEWPORT)
    try:
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{page.url} is {overflow} px wider than the phone"
    finally:
        page.set_viewport_size(DESKTOP)


def _states(site: StaffSite) -> list[tuple[str, str]]:
    from tenant_apps.personnel.models import HourEntry

    with site.schema():
        return [
            (f"{entry.hours}", entry.state)
            for entry in HourEntry.objects.filter(person__full_name="Val Volunteer").order_by(
                "date"
            )
        ]


def _decisions(site: StaffSite) -> dict[int, str]:
    from tenant_apps.personnel.models import HourEntry

    with site.schema():
        return dict(
            HourEntry.objects.filter(person__full_name="Val Volunteer")
            .order_by("pk")
            .values_list("pk", "state")
        )


def test_a_volunteer_fills_a_week_and_the_coordinator_decides_it_by_keyboard(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    chromium: Browser,
) -> None:
    from playwright.sync_api import expect

    from tenant_apps.personnel.tests.factories import PersonFactory, VolunteerFactory

    volunteer = staff_site.user(Role.VOLUNTEER)
    staff_site.user(Role.VOLUNTEER_COORDINATOR)
    with staff_site.schema():
        person = PersonFactory.create(full_name="Val Volunteer", user=volunteer)
        VolunteerFactory.create(person=person)
    today = timezone.localdate()
    last_monday = today - timedelta(days=today.weekday() + 7)

    # Given the volunteer on their timesheet, last week
    page = chromium.new_page()
    page.set_viewport_size(DESKTOP)
    staff_site.log_in(page, Role.VOLUNTEER)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="My hours").click()
    page.get_by_role("link", name="Previous week").click()
    page.wait_for_url(f"**/hours/timesheet/?week={last_monday.isoformat()}")

    # When they pick the program of a new row and type the hours with the keyboard
    page.get_by_label("Add a row").select_option("program:PRG")
    page.get_by_label("Add a row").focus()
    page.keyboard.press("Tab")
    page.keyboard.type("3")
    page.keyboard.press("ArrowRight")
    page.keyboard.type("2.5")
    page.keyboard.press("Tab")
    page.keyboard.type("4")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.type("1")

    # Then the totals follow what is typed
    assert page.locator("[data-row-total='0']").inner_text() == "10.5"
    assert page.locator("[data-day-total='1']").inner_text() == "2.5"
    assert page.locator("[data-week-total]").inner_text() == "10.5"

    # When they save with Enter, and then submit
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_text("Saved. Submit the week for approval").is_visible()
    assert [state for _, state in _states(staff_site)] == ["draft"] * 4
    axe_check(page, context="the timesheet, saved")
    pages_photographed(page, "timesheet-saved")
    _fits_a_phone(page)
    page.get_by_role("button", name="Submit for approval").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_text("Submitted 4 entries for approval.").is_visible()
    assert _states(staff_site) == [
        ("3.00", "submitted"),
        ("2.50", "submitted"),
        ("4.00", "submitted"),
        ("1.00", "submitted"),
    ]
    page.get_by_role("link", name="My year of volunteering").click()
    assert page.get_by_text("Awaiting approval").first.is_visible()
    axe_check(page, context="a volunteer's year")
    pages_photographed(page, "volunteering")
    _fits_a_phone(page)

    # Given the coordinator on the approvals queue, reached from the dashboard by keyboard:
    # from here on no click, only Tab, Space, Enter and typing
    coordinator = chromium.new_page()
    coordinator.set_viewport_size(DESKTOP)
    staff_site.log_in(coordinator, Role.VOLUNTEER_COORDINATOR)
    tab_to(coordinator, coordinator.get_by_role("link", name="4 entries awaiting approval"))
    with coordinator.expect_navigation():
        coordinator.keyboard.press("Enter")
    axe_check(coordinator, context="the approvals queue")
    pages_photographed(coordinator, "approvals")
    _fits_a_phone(coordinator)

    # The form's first button, which Enter would press, is out of sight: a person sees
    # Approve and Reject only
    expect(coordinator.locator("#decide button[disabled]")).to_be_hidden()

    # When they tick the last entry alone, type why it is rejected and press Enter there
    last = coordinator.locator("input.entry-select").last
    last_id = int(last.get_attribute("value") or 0)
    tab_to(coordinator, last)
    coordinator.keyboard.press("Space")
    tab_to(coordinator, coordinator.get_by_label("Reason for rejecting"))
    coordinator.keyboard.type("Not at the pantry that day")
    coordinator.keyboard.press("Enter")

    # Then Enter decides nothing (it used to approve what was meant to be rejected): the page
    # is not sent, and the reason is still there when they choose Reject selected
    reject = coordinator.get_by_role("button", name="Reject selected")
    tab_to(coordinator, reject)
    expect(coordinator.get_by_label("Reason for rejecting")).to_have_value(
        "Not at the pantry that day"
    )
    expect(last).to_be_checked()
    with coordinator.expect_navigation():
        coordinator.keyboard.press("Enter")
    expect(coordinator.get_by_text("Rejected 1 entry.")).to_be_visible()

    # and tick the rest of the volunteer's week at once with Space, and approve it
    tab_to(coordinator, coordinator.get_by_label("Select all of Val Volunteer"))
    coordinator.keyboard.press("Space")
    assert coordinator.locator("input.entry-select:checked").count() == 3
    tab_to(coordinator, coordinator.get_by_role("button", name="Approve selected"))
    with coordinator.expect_navigation():
        coordinator.keyboard.press("Enter")

    # Then the week is decided and the queue is empty
    expect(coordinator.get_by_text("Approved 3 entries.")).to_be_visible()
    assert coordinator.get_by_text("No hours await approval with these filters.").is_visible()
    axe_check(coordinator, context="the approvals queue, emptied")
    decisions = _decisions(staff_site)
    assert decisions.pop(last_id) == "rejected"
    assert list(decisions.values()) == ["approved"] * 3

    # and the volunteer's week shows the approved hours fixed, and why the rest was rejected
    page.goto(staff_site.url(f"/hours/timesheet/?week={last_monday.isoformat()}"))
    assert page.locator(".hours-locked").count() == 3
    expect(page.locator(".cell-state.rejected")).to_have_text(
        "Rejected 1: Not at the pantry that day"
    )
    axe_check(page, context="the timesheet, approved")
    pages_photographed(page, "timesheet-approved")

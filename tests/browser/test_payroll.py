"""A pay run in Chromium: the bookkeeper imports the payroll provider's March file with the
keyboard alone (Tab, Enter, Space and typing; no clicks, every stop showing the focus), reads
the allocation by approved hours and the entry it will post, posts it, and finds the split in
the statement of functional expenses; each page checked by axe and photographed at both widths,
none wider than a phone's screen."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from shared_apps.users.roles import Role
from tests.browser.conftest import PHONE_VIEWPORT, axe_check, page_checked, pages_photographed
from tests.browser.keyboard import tab_to
from tests.browser.staff import StaffSite, staff_site  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

pytestmark = pytest.mark.browser

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
SAMPLE = (
    Path(__file__).resolve().parents[2] / "tenant_apps/personnel/tests/data/pay_run_march_2026.csv"
)


def _staff(site: StaffSite) -> None:
    """The sample file's three people: Maria with 40 FOOD, 20 management and general and 10
    fundraising hours approved in March; Sam with none (his default split, all management and
    general); Olive, an officer, with 30 FOOD and 10 management and general hours."""
    from tenant_apps.accounting import services as accounting
    from tenant_apps.personnel.tests.factories import (
        HourEntryFactory,
        PersonFactory,
        StaffRecordFactory,
    )

    with site.schema():
        accounting.program_create(code="FOOD", name="Food pantry", acting_user=None)
        maria = StaffRecordFactory.create(
            person=PersonFactory.create(full_name="Maria Lopez", email="maria@alpha.org")
        )
        StaffRecordFactory.create(full_name="Sam Chen", pay_type="hourly", pay_rate="20.00")
        olive = StaffRecordFactory.create(full_name="Olive Grant", is_officer=True)
        for person, day, hours, function in (
            (maria.person, 2, "20", "program"),
            (maria.person, 3, "20", "program"),
            (maria.person, 4, "20", "management_general"),
            (maria.person, 5, "10", "fundraising"),
            (olive.person, 9, "15", "program"),
            (olive.person, 10, "15", "program"),
            (olive.person, 11, "10", "management_general"),
        ):
            HourEntryFactory.create(
                person=person,
                date=date(2026, 3, day),
                hours=hours,
                function=function,
                program="FOOD" if function == "program" else None,
                approve=True,
            )


def _fits_a_phone(page: Page, what: str) -> None:
    viewport = page.viewport_size
    page.set_viewport_size(PHONE_VIEWPORT)
    try:
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{what} is {overflow}px wider than a phone"
        axe_check(page, context=f"{what}, at a phone's width")
    finally:
        if viewport:
            page.set_viewport_size(viewport)


def test_the_bookkeeper_imports_previews_and_posts_a_pay_run(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    chromium: Browser,
) -> None:
    _staff(staff_site)
    page = chromium.new_page()
    page.set_viewport_size(DESKTOP)
    staff_site.log_in(page, Role.BOOKKEEPER)

    # The whole task by keyboard: Tab to each control, Enter or Space to use it, typing in
    # the fields; every stop on the way shows the focus.
    sections = page.get_by_role("navigation", name="Sections")
    people = sections.get_by_role("button", name="People")
    tab_to(page, people)
    page.keyboard.press("Enter")
    tab_to(page, sections.get_by_role("link", name="Pay runs"))
    page.keyboard.press("Enter")
    page.get_by_text("No pay runs yet").wait_for()
    tab_to(page, page.get_by_role("link", name="Import from the payroll provider"))
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Import a pay run").wait_for()
    for label, typed in (
        ("Period starts", "03012026"),
        ("Period ends", "03312026"),
        ("Pay date", "04032026"),
    ):
        tab_to(page, page.get_by_label(label))
        page.keyboard.type(typed)
    assert page.get_by_label("Period starts").input_value() == "2026-03-01"
    assert page.get_by_label("Pay date").input_value() == "2026-04-03"
    payroll_file = page.get_by_label("Payroll file (CSV)")
    tab_to(page, payroll_file)
    # The file itself is picked in the browser's own dialog, outside the page (Space opens it;
    # headless Chromium does not always report that dialog): set as the dialog would.
    payroll_file.set_input_files(str(SAMPLE))
    axe_check(page, context="the import page")
    pages_photographed(page, "pay-run-import")
    _fits_a_phone(page, "the import page")
    tab_to(page, page.get_by_role("button", name="Import"))
    page.keyboard.press("Enter")

    page.get_by_text("Pay run imported: 3 people.").wait_for()
    page.get_by_role("heading", name="Allocation and entry").wait_for()
    by_function = page.get_by_role("region", name="By function and program").inner_text()
    assert "Program services: Food pantry" in by_function
    assert "$10,627.58" in by_function  # Maria 3,418.57 + Olive 7,209.01
    assert "$5,404.09" in by_function  # 1,709.29 + Sam's 1,291.80 + 2,403.00
    assert "$854.64" in by_function
    assert "Sam Chen" in page.locator(".alert").filter(has_text="no approved hours").inner_text()
    entry = page.get_by_role("region", name="The entry to post").inner_text()
    assert "2020 Accrued payroll" in entry and "$16,886.31" in entry
    axe_check(page, context="the preview")
    pages_photographed(page, "pay-run-preview")
    _fits_a_phone(page, "the preview")

    tab_to(page, page.get_by_role("button", name="Post to the books"))
    page.keyboard.press("Enter")
    notice = page.get_by_text("Posted to the books in entry")
    notice.wait_for()
    assert "$16,886.31" in notice.inner_text()
    axe_check(page, context="the posted pay run")
    pages_photographed(page, "pay-run-detail")
    _fits_a_phone(page, "the pay run's page")

    tab_to(page, page.locator("main").get_by_role("link", name="Pay runs"))
    page.keyboard.press("Enter")
    assert "Posted in entry" in page.locator("table.list").inner_text()
    axe_check(page, context="the list of pay runs")
    pages_photographed(page, "pay-runs")
    _fits_a_phone(page, "the list of pay runs")

    page.goto(staff_site.url("/accounting/"))
    page.get_by_role("link", name="Statement of functional expenses").click()
    page.locator("#id_start").fill("2026-03-01")
    page.locator("#id_end").fill("2026-03-31")
    page.get_by_role("button", name="Show report").click()
    total = page.locator("table.report tr.row-total")
    total.wait_for()
    assert "10,627.58" in total.inner_text()
    assert "5,404.09" in total.inner_text()
    assert "854.64" in total.inner_text()
    assert "16,886.31" in total.inner_text()
    pages_photographed(page, "pay-run-functional-expenses")


def test_the_bookkeeper_changes_a_runs_amounts_and_picks_its_accounts(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    chromium: Browser,
) -> None:
    """Given the March file imported and not posted, the bookkeeper raises Sam's gross pay, takes
    Olive off the run, and has the run credit the bank rather than accrued payroll."""
    from tenant_apps.personnel.services.pay_runs import pay_run_import

    _staff(staff_site)
    with staff_site.schema():
        run = pay_run_import(
            period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 31),
            pay_date=date(2026, 4, 3),
            raw=SAMPLE.read_bytes(),
            source_name="march.csv",
            acting_user=None,
        )
    page = chromium.new_page()
    page.set_viewport_size(DESKTOP)
    staff_site.log_in(page, Role.BOOKKEEPER)

    page.goto(staff_site.url(f"/pay-runs/{run.pk}/"))
    page.get_by_role("link", name="Change the amounts").click()
    page.get_by_role("heading", name="Change the amounts").wait_for()
    page_checked(page, "pay-run-lines", context="the amounts of a pay run")
    page.get_by_label("Gross pay of Sam Chen").fill("1300.00")
    for label in ("Gross pay", "Employer taxes", "Benefits"):
        page.get_by_label(f"{label} of Olive Grant").fill("")
    page.get_by_role("button", name="Save the amounts").click()

    page.get_by_text("The amounts are saved.").wait_for()
    people = page.get_by_role("region", name="People paid").inner_text()
    assert "$1,300.00" in people and "Olive Grant" not in people
    assert "$7,374.30" in people  # 5,982.50 for Maria + 1,391.80 for Sam

    page.get_by_role("link", name="Pay runs").first.click()
    page.get_by_role("link", name="Accounts").click()
    page_checked(page, "pay-run-accounts", context="the accounts of pay runs")
    page.get_by_label("Credited with the cost").select_option("1010")
    page.get_by_role("button", name="Save the accounts").click()
    page.get_by_text("The accounts are saved").wait_for()
    assert page.get_by_label("Credited with the cost").input_value() == "1010"

    page.goto(staff_site.url(f"/pay-runs/{run.pk}/preview/"))
    entry = page.get_by_role("region", name="The entry to post").inner_text()
    assert "1010 Cash - operating (checking)" in entry and "$7,374.30" in entry
    assert "2020" not in entry

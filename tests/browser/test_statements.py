"""The statements in Chromium: a bookkeeper reads the statement of functional expenses beside the
prior year at desktop width, where it fits, and at a phone's, where it scrolls under a first
column that stays in view; then beside the approved budget; follows a figure down to its ledger
lines; and downloads the board packet, whose text the test reads for the statements' totals."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from pypdf import PdfReader

from shared_apps.users.roles import Role
from tests.browser.conftest import PHONE_VIEWPORT, axe_check, page_checked, pages_photographed
from tests.browser.staff import StaffSite, staff_site  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ViewportSize

pytestmark = pytest.mark.browser

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
START, END = "2026-10-01", "2026-10-31"


def _books(site: StaffSite) -> None:
    """October 2026: 2,500.00 given to GEN; salaries of 1,800.00 across two programs, management
    and fundraising; 250.00 of supplies. October 2025: 900.00 given. FY2026's approved budget:
    2,000.00 of salaries and 300.00 of supplies a month."""
    from tenant_apps.accounting.services import budgets, chart, postings
    from tenant_apps.accounting.services.lines import LineSpec
    from tenant_apps.accounting.tests.factories import JournalEntryFactory

    def expense(amount: str, function: str, program: str | None = None) -> LineSpec:
        return LineSpec(
            account="7020", fund="GEN", debit=amount, function=function, program=program
        )

    with site.schema():
        chart.program_create(code="YTH", name="Youth tutoring", acting_user=None)
        postings.post_contribution(
            date=date(2026, 10, 2), amount=Decimal("2500.00"), fund="GEN", acting_user=None
        )
        postings.post_contribution(
            date=date(2025, 10, 2), amount=Decimal("900.00"), fund="GEN", acting_user=None
        )
        JournalEntryFactory.create(
            date=date(2026, 10, 15),
            memo="October salaries",
            posted=True,
            lines=[
                expense("900.00", "program", "YTH"),
                expense("400.00", "program", "PRG"),
                expense("300.00", "management_general"),
                expense("200.00", "fundraising"),
                LineSpec(account="1010", fund="GEN", credit="1800.00"),
            ],
        )
        JournalEntryFactory.create(
            date=date(2026, 10, 20),
            memo="Supplies",
            posted=True,
            lines=[
                LineSpec(account="8110", fund="GEN", debit="250.00", function="management_general"),
                LineSpec(account="1010", fund="GEN", credit="250.00"),
            ],
        )
        budget = budgets.budget_create(name="Operating budget", fiscal_year=2026, acting_user=None)
        budgets.budget_amounts_save(
            budget=budget,
            rows=[
                budgets.BudgetRowSpec(account="7020", amounts=[Decimal("2000.00")] * 12),
                budgets.BudgetRowSpec(account="8110", amounts=[Decimal("300.00")] * 12),
            ],
            acting_user=None,
        )
        budgets.budget_approve(budget=budget, acting_user=None)


def test_a_bookkeeper_compares_drills_down_and_takes_the_board_packet(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    chromium: Browser,
) -> None:
    _books(staff_site)
    page = chromium.new_page(accept_downloads=True)
    page.set_viewport_size(DESKTOP)
    staff_site.log_in(page, Role.BOOKKEEPER)

    page.goto(staff_site.url("/accounting/"))
    page.get_by_role("link", name="Statement of functional expenses").click()
    page.locator("#id_start").fill(START)
    page.locator("#id_end").fill(END)
    page.get_by_label("Compare with").select_option("prior-year")
    page.get_by_role("button", name="Show report").click()
    table = page.locator("table.report")
    table.wait_for()
    assert table.locator("thead th").last.inner_text() == "Change"
    total = table.locator("tr.row-total")
    assert "2,050.00" in total.inner_text()
    # Fits the page at desktop width: nothing beyond the window, nor beyond its scroll box.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate(
        "(() => { const box = document.querySelector('.table-scroll');"
        " return box.scrollWidth <= box.clientWidth; })()"
    )
    axe_check(page, context="the statement of functional expenses beside the prior year")
    pages_photographed(page, "statements-functional-expenses")

    # At a phone's width the table scrolls inside its box; the account's name stays in view.
    page.set_viewport_size(PHONE_VIEWPORT)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box = page.locator(".table-scroll")
    box.evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    first = page.get_by_role("row").filter(has_text="Salaries").locator("th")
    assert first.bounding_box() is not None
    assert first.bounding_box()["x"] >= 0  # type: ignore[index]
    axe_check(page, context="the statement of functional expenses, at a phone's width")
    page.set_viewport_size(DESKTOP)

    # Beside the budget: October's 2,000.00 of salaries and 300.00 of supplies, under by
    # 200.00 and 50.00.
    page.get_by_label("Compare with").select_option(label="Budget")
    page.get_by_role("button", name="Show report").click()
    page.get_by_text("beside the approved budget “Operating budget” (FY2026)").wait_for()
    headings = table.locator("thead th").all_inner_texts()
    assert headings[-2:] == ["Budget", "Over (under) budget"]
    salaries = page.get_by_role("row").filter(has_text="Salaries").locator("td")
    assert salaries.all_inner_texts()[-3:] == ["1,800.00", "2,000.00", "(200.00)"]
    assert total.locator("td").all_inner_texts()[-3:] == ["2,050.00", "2,300.00", "(250.00)"]
    page_checked(page, "statements-functional-expenses-budget", context="beside the budget")

    # A figure leads to the general ledger lines behind it.
    page.get_by_role("row").filter(has_text="Salaries").get_by_role("link").first.click()
    page.get_by_role("heading", name="General ledger").wait_for()
    assert "October salaries" in page.locator("table.report").inner_text()

    page.goto(staff_site.url("/accounting/board-packet/"))
    page.locator("#id_start").fill(START)
    page.locator("#id_end").fill(END)
    page.get_by_label("Compare with").select_option("prior-year")
    axe_check(page, context="the board packet's page")
    pages_photographed(page, "statements-board-packet")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the board packet").click()
    path = download_info.value.path()
    text = [page_.extract_text() for page_ in PdfReader(io.BytesIO(path.read_bytes())).pages]
    assert len(text) == 3
    assert "Statement of financial position" in text[0]
    # Revenue 2,500.00 this October against 900.00 the October before.
    assert "Total revenue and support 2,500.00 0.00 2,500.00 900.00 1,600.00" in text[1]
    assert "Total expenses" in text[2] and "2,050.00" in text[2]

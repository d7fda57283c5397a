"""Bank reconciliation in Chromium: a bookkeeper imports the shipped OFX statement, matches one
line automatically and one by hand, creates the entry for the bank's fee, sees the difference
reach zero and finishes; each step checked by axe and photographed at both widths."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from shared_apps.users.roles import Role
from tests.browser.conftest import axe_check, pages_photographed
from tests.browser.staff import StaffSite, staff_site  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ViewportSize

pytestmark = pytest.mark.browser

DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def _books(site: StaffSite) -> None:
    """November 2026 on 1010: a deposit of 1,250.00 on the 3rd (the bank has it on the 4th) and
    check 1042 for 800.00 written on the 5th (cashed on the 20th, past the matching window)."""
    from tenant_apps.accounting.services import postings
    from tenant_apps.accounting.services.lines import LineSpec

    with site.schema():
        postings.post_contribution(
            date=date(2026, 11, 3), amount=Decimal("1250.00"), fund="GEN", acting_user=None
        )
        postings.entry_record(
            date=date(2026, 11, 5),
            memo="Check 1042 rent",
            lines=[
                LineSpec(account="8110", fund="GEN", debit="800.00", function="management_general"),
                LineSpec(account="1010", fund="GEN", credit="800.00"),
            ],
            source="manual",
            acting_user=None,
        )


def test_a_bookkeeper_reconciles_the_november_statement(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    chromium: Browser,
) -> None:
    from tenant_apps.banking.tests.factories import SAMPLE_OFX

    _books(staff_site)
    page = chromium.new_page()
    page.set_viewport_size(DESKTOP)
    staff_site.log_in(page, Role.BOOKKEEPER)

    page.goto(staff_site.url("/accounting/"))
    page.get_by_role("link", name="Bank", exact=True).click()
    assert page.get_by_role("cell", name="Never").count() >= 1
    axe_check(page, context="the bank accounts")
    pages_photographed(page, "bank-accounts")

    page.get_by_role("link", name="Import a statement").click()
    page.get_by_label("Bank account").select_option("1010")
    page.get_by_label("Statement file").set_input_files(str(SAMPLE_OFX))
    axe_check(page, context="the import page")
    pages_photographed(page, "bank-import")
    page.get_by_role("button", name="Import").click()
    page.get_by_text("3 lines imported").wait_for()
    assert page.locator("#difference").inner_text() == "$435.00"
    axe_check(page, context="the reconciliation, just imported")
    pages_photographed(page, "bank-reconcile-imported")

    page.get_by_role("button", name="Match automatically").click()
    page.get_by_text("1 line matched automatically.").wait_for()
    assert page.locator("#difference").inner_text() == "-$815.00"

    page.get_by_role("radio", name="CHECK 1042").check()
    page.get_by_role("checkbox", name="Check 1042 rent").check()
    page.get_by_role("button", name="Match the chosen lines").click()
    page.get_by_text("Matched CHECK 1042.").wait_for()
    assert page.locator("#difference").inner_text() == "-$15.00"

    page.get_by_role("button", name="Create entry for MONTHLY SERVICE FEE").click()
    page.get_by_text("Entry posted for the bank fee and matched.").wait_for()
    assert page.locator("#difference").inner_text() == "$0.00"
    axe_check(page, context="the reconciliation at a zero difference")
    pages_photographed(page, "bank-reconcile-zero")

    page.get_by_role("button", name="Finish the reconciliation").click()
    page.get_by_text("Reconciliation finished and locked.").wait_for()
    assert page.get_by_role("button", name="Unmatch").count() == 0
    pages_photographed(page, "bank-reconcile-finished")

    page.get_by_role("link", name="Reconciliation report").click()
    assert "$435.00" in page.locator("table.list").inner_text()
    axe_check(page, context="the reconciliation report")
    pages_photographed(page, "bank-report")

    page.goto(staff_site.url("/accounting/bank/"))
    assert page.get_by_role("cell", name="November 30, 2026").count() == 1

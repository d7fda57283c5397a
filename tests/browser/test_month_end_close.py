"""The month-end close in Chromium: a bookkeeper goes from the dashboard's "Months not closed"
to last month's checklist, is asked to confirm closing with a gift not yet posted, closes the
month, and reopens it with a reason."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from shared_apps.users.roles import Role
from tests.browser.conftest import axe_check, pages_photographed
from tests.browser.staff import StaffSite, staff_site  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser


def checked_and_photographed(page: Page, name: str, *, context: str) -> None:
    axe_check(page, context=context)
    pages_photographed(page, name)


# Closing with an open item and the box not ticked answers 400, which Chromium logs.
@pytest.mark.console_errors_expected(r"status of 400 \(Bad Request\)")
def test_a_bookkeeper_closes_a_month_through_its_checklist(
    staff_site: StaffSite,  # noqa: F811
    chromium: Browser,
) -> None:
    from django.utils import timezone

    from tenant_apps.accounting.models import FiscalPeriod, PeriodState
    from tenant_apps.accounting.services import period_for_date
    from tenant_apps.accounting.tests.factories import months_closed_before
    from tenant_apps.donations.tests.factories import GiftFactory
    from tenant_apps.donors.tests.factories import donor_made

    last_month_day = timezone.localdate().replace(day=1) - timedelta(days=1)
    with staff_site.schema():
        period = period_for_date(last_month_day)
        months_closed_before(last_month_day)
        GiftFactory.create(
            donor=donor_made("Ada", "Lovelace"), amount="75.00", received_on=last_month_day
        )
    month = f"{period.start:%B %Y}"
    page = chromium.new_page()
    staff_site.log_in(page, Role.BOOKKEEPER)

    # The dashboard says which month is next to close.
    tile = page.locator("section", has=page.get_by_role("heading", name="Months not closed"))
    expect(tile).to_contain_text("1 month over and still open.")
    checked_and_photographed(page, "close-dashboard", context="the bookkeeper's dashboard")
    tile.get_by_role("link", name=month).click()

    # The month's checklist: nothing blocks it, one gift is not yet posted.
    page.get_by_role("heading", name=month, level=1).wait_for()
    checklist = page.locator("section", has=page.get_by_role("heading", name="Checklist"))
    expect(checklist).to_contain_text("Draft journal entries dated in the month: none")
    expect(checklist).to_contain_text("Gifts received in the month, not yet posted: 1")
    expect(checklist.get_by_role("link", name="Post them")).to_have_attribute(
        "href", f"/gifts/?state=draft&received_from={period.start}&received_to={period.end}"
    )
    checked_and_photographed(page, "close-checklist", context="a month's checklist")

    # Closing with an open item needs the box ticked.
    page.get_by_role("button", name="Close the month").click()
    page.get_by_text("1 item is still open: settle it first, or tick this box").first.wait_for()
    checked_and_photographed(
        page, "close-confirm", context="the close refused until the open item is confirmed"
    )
    page.get_by_label("Close the month with the open items above").check()
    page.get_by_role("button", name="Close the month").click()
    page.get_by_text(f"{month} is closed: nothing more can be posted or drafted in it.").wait_for()
    expect(page.get_by_role("heading", name=f"Reopen {month}")).to_be_visible()
    checked_and_photographed(page, "close-closed", context="a closed month, with its message")

    # Reopening asks why, and says so when no reason is given.
    page.get_by_role("button", name="Reopen the month").click()
    page.get_by_text("Say why the month is reopened.").first.wait_for()
    page.get_by_label("Why reopen it").fill("A bank fee came in late")
    page.get_by_role("button", name="Reopen the month").click()
    page.get_by_text(f"{month} is open again: entries can be posted in it.").wait_for()

    page.get_by_role("link", name="All months").click()
    page.get_by_role("heading", name="Periods", level=1).wait_for()
    checked_and_photographed(page, "close-periods", context="the months of the books")

    with staff_site.schema():
        assert FiscalPeriod.objects.get(pk=period.pk).state == PeriodState.OPEN

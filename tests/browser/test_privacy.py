"""Pay and giving in Chromium: a volunteer coordinator finds a donor who volunteers and reads
how to reach her, with no giving column, filter or card; a fundraiser's people reports leave
out the payroll allocation, and its address answers with the page naming who may read pay.
Each page is checked by axe and photographed at desktop and phone width."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from shared_apps.users.roles import Role
from tenant_apps.donations.tests.factories import GiftFactory
from tenant_apps.donors.tests.factories import DonorFactory
from tests.browser.conftest import axe_check, pages_photographed
from tests.browser.staff import StaffSite, staff_site  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser


def test_a_coordinator_reaches_a_donor_without_seeing_her_giving(
    staff_site: StaffSite,  # noqa: F811
    chromium: Browser,
) -> None:
    with staff_site.schema():
        donor = DonorFactory.create(
            first_name="Ada", last_name="Lovelace", emails=("ada@example.org",), tags=("Kitchen",)
        )
        GiftFactory.create(donor=donor, amount="7345.67", posted=True)
    page = chromium.new_page()
    staff_site.log_in(page, Role.VOLUNTEER_COORDINATOR)

    page.goto(staff_site.url("/donors/"))
    assert page.get_by_role("link", name="Ada Lovelace").is_visible()
    assert page.get_by_role("columnheader", name="Lifetime giving").count() == 0
    assert "7,345.67" not in page.content()
    axe_check(page, context="the donors list without giving")
    pages_photographed(page, "privacy-coordinator-donors")

    page.get_by_role("link", name="Ada Lovelace").click()
    page.wait_for_url(staff_site.url(f"/donors/{donor.pk}/"))
    assert page.get_by_role("link", name="ada@example.org").is_visible()
    assert page.get_by_role("heading", name="Giving").count() == 0
    assert "7,345.67" not in page.content()
    axe_check(page, context="a donor's page without giving")
    pages_photographed(page, "privacy-coordinator-donor")


# The payroll allocation refused to a fundraiser answers 403, which Chromium logs.
@pytest.mark.console_errors_expected(r"status of 403 \(Forbidden\)")
def test_a_fundraiser_sees_no_payroll_allocation(
    staff_site: StaffSite,  # noqa: F811
    chromium: Browser,
) -> None:
    page = chromium.new_page()
    staff_site.log_in(page, Role.FUNDRAISER)

    page.goto(staff_site.url("/personnel/"))
    assert page.get_by_role("link", name="Hours by program and function").is_visible()
    assert page.get_by_role("link", name="Payroll allocation").count() == 0
    axe_check(page, context="the people reports without pay")
    pages_photographed(page, "privacy-fundraiser-personnel")

    response = page.goto(staff_site.url("/personnel/reports/payroll-allocation/"))
    assert response is not None and response.status == 403
    assert page.get_by_text("Owner, Administrator and Bookkeeper").is_visible()
    axe_check(page, context="the payroll allocation refused")
    pages_photographed(page, "privacy-fundraiser-refused")

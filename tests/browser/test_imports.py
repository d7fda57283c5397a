"""Imports in Chromium: a bookkeeper uploads a spreadsheet of gifts whose headers are words
("Email", "Gift Amount", "Check #"), sees each column read as its field and the first rows as
they will be imported, changes a choice and sees the preview follow, confirms, reads "3 of 3
rows imported", follows the link to the import's drafts and posts them. Each page is checked by
axe and photographed at desktop and phone width, and fits a phone's width."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone

from shared_apps.users.roles import Role
from tests.browser.conftest import PHONE_VIEWPORT, page_checked
from tests.browser.staff import StaffSite, staff_site  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser


def _checked(page: Page, name: str) -> None:
    page_checked(page, f"imports-{name}", context=f"imports: {name}")


def test_a_bookkeeper_imports_a_spreadsheet_of_gifts_and_posts_its_drafts(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    chromium: Browser,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    from tenant_apps.donors.tests.factories import donor_made

    with staff_site.schema():
        for first, last in (("Ada", "Lovelace"), ("Grace", "Hopper"), ("Alan", "Turing")):
            donor_made(first, last, emails=(f"{first.lower()}@example.org",))
    day = timezone.localdate()
    spreadsheet = tmp_path / "autumn-gifts.csv"
    spreadsheet.write_text(
        "Email,Gift Amount,Gift Date,Payment Method,Check #,Memo,Appeal\n"
        f'ada@example.org,"$1,250.00",{day:%m/%d/%Y},Check,1042,Library fund,Autumn\n'
        f"grace@example.org,75,{day:%m/%d/%Y},Cash,,,Autumn\n"
        f"alan@example.org,40.5,{day:%m/%d/%Y},Credit Card,,Gala,\n"
    )
    page = chromium.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    staff_site.log_in(page, Role.BOOKKEEPER)

    # Given the imports page, with its sample files and nothing imported yet,
    page.goto(staff_site.url("/donations/imports/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Import donors or gifts")
    expect(page.get_by_role("link", name="gifts (CSV)")).to_be_visible()
    expect(page.get_by_text("No file has been imported yet.")).to_be_visible()
    _checked(page, "index")

    # when the spreadsheet is uploaded,
    page.get_by_label("The file holds").select_option("gifts")
    page.get_by_label("CSV file").set_input_files(str(spreadsheet))
    page.get_by_role("button", name="Upload and check the columns").click()

    # then each column is read as the field its header names, the unknown one ignored,
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check the columns of autumn-gifts.csv"
    )
    expect(page.get_by_label("Email", exact=True)).to_have_value("donor_email")
    expect(page.get_by_label("Gift Amount")).to_have_value("amount")
    expect(page.get_by_label("Check #")).to_have_value("check_number")
    expect(page.get_by_label("Appeal")).to_have_value("")
    expect(page.locator("#unrecognised")).to_contain_text("“Appeal”")
    # and the preview shows the rows as they will be read: money as money, dates in words.
    preview = page.get_by_role("region", name=re.compile("Preview of the first 3 rows"))
    first_row = preview.get_by_role("row").nth(1)
    expect(first_row).to_contain_text("$1,250.00")
    expect(first_row).to_contain_text(f"{day:%b} {day.day}, {day.year}")
    expect(preview.get_by_role("row").nth(3)).to_contain_text("Card")
    expect(page.get_by_role("status").last).to_have_text("These rows read without errors.")
    _checked(page, "columns")

    # A changed choice changes the preview, without a reload.
    page.get_by_label("Memo").select_option("")
    expect(preview.get_by_role("columnheader", name=re.compile("^Memo"))).to_have_count(0)
    page.get_by_label("Memo").select_option("designation")
    expect(preview.get_by_role("columnheader", name=re.compile("^Memo"))).to_have_count(1)

    # When the columns are confirmed, the result is one line, and the drafts are a link away.
    page.get_by_role("button", name="Import 3 rows").click()
    expect(page.locator("#import-result")).to_have_text("3 of 3 rows imported")
    waiting = page.get_by_text("3 gifts of this import are drafts that wait to be posted")
    expect(waiting).to_be_visible()
    _checked(page, "result")
    page.get_by_role("link", name="Review and post the 3 drafts").click()

    # The list holds the import's drafts alone, ticked; posting them is one button.
    expect(page.get_by_text("Only the gifts imported from autumn-gifts.csv")).to_be_visible()
    boxes = page.get_by_role("checkbox")
    expect(boxes).to_have_count(3)
    for index in range(3):
        expect(boxes.nth(index)).to_be_checked()
    _checked(page, "drafts")
    page.get_by_role("button", name="Post selected").click()
    expect(page.get_by_role("status")).to_contain_text("Posted 3 gifts.")
    expect(page.get_by_text("No draft of this import is left.")).to_be_visible()
    _checked(page, "drafts-posted")
    page.get_by_role("link", name="autumn-gifts.csv").click()
    expect(page.get_by_text("Every gift of this import is posted.")).to_be_visible()

    with staff_site.schema():
        from tenant_apps.donations.models import Gift

        assert sorted(Gift.objects.values_list("state", "amount")) == [
            ("posted", Decimal("40.50")),
            ("posted", Decimal("75.00")),
            ("posted", Decimal("1250.00")),
        ]
    page.close()


def test_a_fundraiser_sees_each_problem_on_its_cell_before_and_after_importing(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    chromium: Browser,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    spreadsheet = tmp_path / "volunteers.csv"
    spreadsheet.write_text(
        "First Name,Last Name,E-mail,Street,Zip,Country\n"
        "Ada,Lovelace,ada@example.org,1 Main St,02139,US\n"
        "<script>window.__pwned = 1</script>,Doe,not-an-email,2 Elm St,,USA\n"
    )
    page = chromium.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    staff_site.log_in(page, Role.FUNDRAISER)
    page.goto(staff_site.url("/donations/imports/"))
    page.get_by_label("The file holds").select_option("donors")
    page.get_by_label("CSV file").set_input_files(str(spreadsheet))
    page.get_by_role("button", name="Upload and check the columns").click()

    # The preview marks the bad email and country on their cells, the script shown as text.
    status = page.get_by_role("status").last
    expect(status).to_have_text("1 of these rows has errors, marked below.")
    bad_row = page.get_by_role("row").filter(has_text="not-an-email")
    expect(bad_row).to_contain_text("<script>window.__pwned = 1</script>")
    expect(bad_row.locator("td.cell-error")).to_have_count(2)
    expect(bad_row).to_contain_text("two-letter country code")
    assert page.evaluate("window.__pwned") is None
    listed = page.get_by_role("list", name="Problems of these rows")
    expect(listed).to_be_hidden()  # at desktop width the cells say it
    page.set_viewport_size(PHONE_VIEWPORT)
    expect(listed.get_by_role("listitem")).to_have_count(2)
    expect(listed.get_by_role("listitem").first).to_have_text(
        "Row 3 · Email: not-an-email is not an email address."
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    _checked(page, "columns-with-errors")

    # Imported as they are, nothing is written, and each problem is listed by row and column.
    page.get_by_role("button", name="Import 2 rows").click()
    expect(page.locator("#import-result")).to_have_text("nothing imported: 1 row has errors")
    errors = page.get_by_role("region", name="Errors")
    expect(errors.get_by_role("row").filter(has_text="E-mail")).to_contain_text("3")
    expect(errors.get_by_role("row").filter(has_text="Country")).to_contain_text("3")
    _checked(page, "failed")
    page.close()

"""Scanned checks in Chromium: a bookkeeper uploads a PDF of ten checks (three on each of three
flatbed pages, one alone on the last) to a deposit, follows the reading on the deposit's page,
then reviews each check with the keyboard alone: Enter accepts the donor suggested, one amount
whose figures and words disagree is corrected, one payer unknown to the database is created as
a donor. The ten draft gifts are in the deposit, which is then posted and closed, and the bank
account's ledger shows it. Each page is checked by axe and photographed at desktop and phone
width."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from shared_apps.users.roles import Role
from tests.browser.conftest import page_checked
from tests.browser.keyboard import tab_to
from tests.browser.staff import StaffSite, staff_site  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

# The words on check 4 say $42.98, its figures $24.98: the words bind, the person corrects it.
WORDS_AMOUNT = Decimal("42.98")


def _checked(page: Page, name: str) -> None:
    page_checked(page, f"check-scans-{name}", context=f"check scans: {name}")


def test_a_bookkeeper_scans_ten_checks_into_a_deposit_and_reviews_them_with_the_keyboard(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    chromium: Browser,
    celery_worker: None,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    from tenant_apps.checks.tests.check_images import (
        CheckVariation,
        check_generate,
        checks_pdf,
        flatbed_page,
    )
    from tenant_apps.donations.models import Deposit, Gift, GiftSource
    from tenant_apps.donations.services import deposit_create
    from tenant_apps.donors.tests.factories import donor_made

    checks = [
        check_generate(
            seed, variation=CheckVariation(dpi=200, skew_degrees=(seed % 5) - 2.0, jpeg_quality=80)
        )
        for seed in range(20, 29)
    ]
    conflicting = check_generate(
        4,
        variation=CheckVariation(
            dpi=200, written_font="DejaVuSans-Oblique.ttf", skew_degrees=1.0, jpeg_quality=85
        ),
        amount_in_words_written=WORDS_AMOUNT,
    )
    scans = tmp_path / "deposit-scans.pdf"
    scans.write_bytes(
        checks_pdf(
            [
                flatbed_page(checks[0:3]),
                flatbed_page(checks[3:6]),
                flatbed_page(checks[6:9]),
                flatbed_page([conflicting]),
            ]
        )
    )
    unknown_payer = checks[8].truth.payer_name  # Aisha Nguyen: not in the donor database
    with staff_site.schema():
        for generated in [*checks[:8], conflicting]:
            truth = generated.truth
            if truth.payer_name.endswith("LLC"):
                donor_made(
                    organization_name=truth.payer_name,
                    postcodes=("78701", "62704"),
                )
            else:
                first, last = truth.payer_name.rsplit(" ", 1)
                donor_made(first, last, postcodes=(truth.payer_address[1][-5:],))
        total = sum((generated.truth.amount for generated in checks), WORDS_AMOUNT)
        deposit = deposit_create(
            deposit_on=checks[0].truth.check_date.replace(year=2026, month=12, day=1),
            expected_count=10,
            expected_total=total,
            acting_user=None,
        )
    page = chromium.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    staff_site.log_in(page, Role.BOOKKEEPER)

    # Given the deposit's page with its scans panel,
    page.goto(staff_site.url(f"/deposits/{deposit.pk}/"))
    upload_field = page.get_by_label("Scans of checks")
    expect(upload_field).to_be_visible()
    _checked(page, "deposit")

    # when the PDF is uploaded, the page follows its reading until the ten checks are found.
    upload_field.set_input_files(str(scans))
    page.get_by_role("button", name="Upload and read").click()
    page.wait_for_url(re.compile(rf"/deposits/{deposit.pk}/(#scanned-checks)?$"))
    upload = page.get_by_test_id("scan-upload")
    expect(upload).to_contain_text("deposit-scans.pdf")
    expect(page.get_by_test_id("scan-state")).to_have_text("Read", timeout=120_000)
    expect(upload).to_contain_text("10 checks found on 4 pages")
    _checked(page, "read")

    # Then each check is reviewed with the keyboard, from the first one.
    review_link = page.get_by_role("link", name="Review the scanned checks")
    tab_to(page, review_link)
    page.keyboard.press("Enter")
    for number in range(1, 11):
        page.wait_for_url(re.compile(rf"/deposits/{deposit.pk}/checks/\d+/$"))
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_be_visible()
        if number == 1:
            _checked(page, "review")
        title = heading.inner_text()
        if unknown_payer in title:
            # Nobody suggested: the donor field has the focus; the payer becomes a donor.
            expect(page.get_by_label("Donor", exact=True)).to_be_focused()
            tab_to(page, page.get_by_role("button", name="Create a donor from the payer"))
            page.keyboard.press("Enter")
            expect(page.get_by_role("status").first).to_contain_text(
                f"{unknown_payer} is a new donor"
            )
            expect(page.get_by_label("Donor", exact=True)).to_have_value(unknown_payer)
        if conflicting.truth.payer_name in title:
            amount = page.get_by_label(re.compile("^Amount"))
            expect(amount).to_be_focused()
            expect(page.locator(".readings .flagged").first).to_contain_text("differ")
            _checked(page, "review-flagged")
            page.keyboard.press("Control+A")
            page.keyboard.type(str(WORDS_AMOUNT))
        page.keyboard.press("Enter")
        expect(page.get_by_role("status").first).to_contain_text("Accepted: a draft gift")

    # The last one leads back to the deposit: ten draft gifts that match the count and total.
    page.wait_for_url(re.compile(rf"/deposits/{deposit.pk}/$"))
    expect(page.get_by_role("status").first).to_contain_text("Every scanned check is reviewed.")
    expect(page.locator("#difference")).to_have_text("The gifts match the count and total.")
    expect(page.locator("#deposit-work table.list tbody tr")).to_have_count(10)
    _checked(page, "reviewed")

    # Posted and closed as any batch: the deposit's entry is in the ledger.
    page.goto(staff_site.url(f"/gifts/batch/{deposit.pk}/"))
    page.get_by_role("button", name="Post the batch").click()
    expect(page.get_by_role("status").first).to_contain_text("Posted 10 gifts")
    page.get_by_role("button", name="Close the deposit").click()
    expect(page.get_by_role("status").first).to_contain_text("Deposit closed")

    # The bank account's ledger shows the deposit, for the checks' total.
    page.goto(
        staff_site.url(
            "/accounting/reports/general-ledger/?account=1010&start=2026-12-01&end=2026-12-31"
        )
    )
    deposit_line = page.locator("table.report tr", has_text=f"Deposit {deposit.pk}")
    expect(deposit_line).to_contain_text(f"{total:,.2f}")
    _checked(page, "ledger")

    with staff_site.schema():
        gifts = list(Gift.objects.filter(deposit_id=deposit.pk))
        assert {gift.source for gift in gifts} == {GiftSource.CHECK_SCAN}
        assert sorted(gift.amount for gift in gifts) == sorted(
            [generated.truth.amount for generated in checks] + [WORDS_AMOUNT]
        )
        closed = Deposit.objects.get(pk=deposit.pk)
        assert closed.state == "closed" and closed.journal_entry_id is not None
    page.close()

"""The gifts desk in Chromium: a bookkeeper enters a batch of twenty checks with the keyboard
alone, posts it and finds its total in the statement of activities; the list, a gift's page and
the batch screen at desktop and phone widths."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone

from shared_apps.users.roles import Role
from tests.browser.conftest import axe_check, pages_photographed, screenshot
from tests.browser.keyboard import tab_to
from tests.browser.staff import StaffSite, staff_site  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

pytestmark = pytest.mark.browser

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
SURNAMES = [
    "Abernathy", "Brightwater", "Castellano", "Delacroix", "Eastwood",
    "Fairweather", "Goldsmith", "Hawthorne", "Ironside", "Jefferson",
    "Kingsley", "Lockhart", "Montgomery", "Northcott", "Oakenfold",
    "Pemberton", "Quartermain", "Rutherford", "Silverstone", "Thistlewood",
]  # fmt: skip


def _both_widths(page: Page, name: str) -> None:
    """The page as it stands, checked by axe and photographed at desktop and phone width."""
    axe_check(page, context=f"gifts: {name}")
    pages_photographed(page, f"gifts-{name}")


def _tab_to(page: Page, name: str, most: int = 30) -> None:
    """Tab forward until the control `name` (a button's text or a field's id) has the focus,
    as a keyboard user would."""
    focused = "[document.activeElement.id, document.activeElement.textContent.trim()]"
    for _ in range(most):
        page.keyboard.press("Tab")
        if name in page.evaluate(focused):
            return
    pytest.fail(f"{name!r} was not reached with Tab")


def test_a_bookkeeper_enters_posts_and_finds_a_batch_of_checks_with_the_keyboard(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    chromium: Browser,
) -> None:
    from playwright.sync_api import expect

    from tenant_apps.donors.tests.factories import donor_made

    amounts = [Decimal(25 + 5 * n) for n in range(20)]
    total = sum(amounts, Decimal("0"))
    with staff_site.schema():
        for index, surname in enumerate(SURNAMES):
            donor_made("Donor", surname, emails=(f"donor{index}@example.org",))
    page = chromium.new_page()
    page.set_viewport_size(DESKTOP)
    staff_site.log_in(page, Role.BOOKKEEPER)

    # Given the count and total counted by hand, a batch is opened with the keyboard.
    page.goto(staff_site.url("/gifts/batch/"))
    # The date is today's already: Tab to the count.
    _tab_to(page, "id_expected_count")
    page.keyboard.type("20")
    page.keyboard.press("Tab")
    page.keyboard.type(f"{total}")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Batch")
    donor_field = page.get_by_role("combobox", name="Donor")
    expect(donor_field).to_be_focused()
    # The field has the focus as soon as it is drawn; what asks for suggestions as one types
    # (htmx, a deferred script) is there once the page has loaded. A person does not type
    # within those milliseconds; the test waits for them.
    page.wait_for_load_state("load")

    # When each check is typed: donor (Enter picks the suggestion), Tab, amount, Tab, check
    # number, Enter saves; the focus is back on the donor field of a new row.
    for index, (surname, amount) in enumerate(zip(SURNAMES, amounts, strict=True)):
        page.keyboard.type(surname)
        expect(
            page.get_by_role("listbox", name="Matching donors").get_by_role("option").first
        ).to_have_text(f"Donor {surname}")
        if index == 0:
            screenshot(page, "gifts-batch-suggestions")
        page.keyboard.press("Enter")
        expect(page.get_by_label("Amount")).to_be_focused()
        page.keyboard.type(f"{amount}")
        page.keyboard.press("Tab")
        page.keyboard.type(f"{1000 + index}")
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("batch-count")).to_have_text(str(index + 1))
        expect(donor_field).to_be_focused()

    # Then it shows 20 / $total against what was expected.
    expect(page.get_by_test_id("batch-count")).to_have_text("20")
    expect(page.get_by_test_id("batch-total")).to_have_text(f"${total:,.2f}")
    expect(page.locator(".batch-totals")).to_contain_text("Matches what was counted")
    _both_widths(page, "batch")

    # And posting the batch is one action, reached with Tab.
    _tab_to(page, "Post the batch")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(f"Posted 20 gifts for ${total:,.2f}.")

    # The statement of activities has the total in contributions without donor restrictions.
    day = timezone.localdate().isoformat()
    page.goto(staff_site.url(f"/accounting/reports/activities/?start={day}&end={day}"))
    contributions = page.get_by_role("row").filter(has_text=re.compile(r"^\s*4010"))
    expect(contributions.locator("td").nth(0)).to_have_text(f"{total:,.2f}")
    screenshot(page, "gifts-activities")

    # The list shows them posted; a gift's page shows its entry.
    page.goto(staff_site.url("/gifts/"))
    expect(page.get_by_text("1–20 of 20 gifts")).to_be_visible()
    _both_widths(page, "list")
    page.get_by_role("row").filter(has_text="Donor Abernathy").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("$25.00 from Donor Abernathy")
    expect(page.get_by_text(re.compile(r"Journal entry \d+"))).to_be_visible()
    _both_widths(page, "detail")
    page.close()


def test_a_fundraiser_records_a_split_gift_in_honor_of_someone(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    chromium: Browser,
) -> None:
    from playwright.sync_api import expect

    from tenant_apps.donors.tests.factories import donor_made

    with staff_site.schema():
        donor_made("Ada", "Lovelace", emails=("ada@example.org",))
    page = chromium.new_page()
    page.set_viewport_size(DESKTOP)
    staff_site.log_in(page, Role.FUNDRAISER)
    page.goto(staff_site.url("/gifts/"))
    page.get_by_role("link", name="Record a gift").click()

    # Given the form, the donor is found by typing and picked with Enter.
    donor = page.get_by_role("combobox", name="Donor", exact=True)
    expect(donor).to_be_focused()
    page.keyboard.type("Lovelace")
    expect(
        page.get_by_role("listbox", name="Matching donors").get_by_role("option").first
    ).to_have_text("Ada Lovelace")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Amount", exact=True)).to_be_focused()
    page.keyboard.type("250.00")
    page.get_by_label("Fund 1", exact=True).select_option("GEN")
    page.get_by_label("Amount to fund 1").fill("150.00")
    page.get_by_label("Fund 2", exact=True).select_option("PRP")
    page.get_by_label("Amount to fund 2").fill("100.00")
    page.get_by_label("Tribute", exact=True).select_option("honor")
    page.get_by_label("In honor or memory of").fill("Grace Hopper")
    _both_widths(page, "form")

    # When it is recorded, then its page shows the split and the tribute.
    page.get_by_role("button", name="Record the gift").click()
    expect(page.get_by_role("status")).to_contain_text("Gift recorded as a draft")
    expect(page.get_by_role("heading", level=1)).to_have_text("$250.00 from Ada Lovelace")
    expect(page.get_by_text("In honor of Grace Hopper")).to_be_visible()
    funds = page.get_by_role("table").first
    expect(funds.get_by_role("row", name="General fund")).to_contain_text("$150.00")
    expect(funds.get_by_role("row", name="Purpose-restricted gifts")).to_contain_text("$100.00")
    expect(page.get_by_role("button", name="Post to the books")).to_have_count(0)
    _both_widths(page, "draft")
    page.close()


def test_a_fundraiser_gives_a_posted_tribute_gift_the_person_to_tell(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    chromium: Browser,
) -> None:
    from django.core import mail
    from playwright.sync_api import expect

    from tenant_apps.donations.tests.factories import GiftFactory
    from tenant_apps.donors.tests.factories import donor_made

    with staff_site.schema():
        gift = GiftFactory.create(
            donor=donor_made("Ada", "Lovelace"),
            amount="75.00",
            tribute_type="memory",
            tribute_name="Mary Somerville",
            posted=True,
        )
    page = chromium.new_page()
    page.set_viewport_size(DESKTOP)
    staff_site.log_in(page, Role.FUNDRAISER)
    page.goto(staff_site.url(f"/gifts/{gift.pk}/"))
    section = page.get_by_role("region", name="Person to tell")
    expect(section).to_contain_text("Whom to tell of this gift in memory of Mary Somerville")
    _both_widths(page, "person-to-tell")

    # With the keyboard alone: Tab to the name, type, Tab to the email, type, Enter.
    tab_to(page, section.get_by_label("Their name"))
    page.keyboard.type("Charles Babbage")
    tab_to(page, section.get_by_label("Their email"))
    page.keyboard.type("charles@example.org")
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text(
        "Saved: charles@example.org will be told of the gift by email."
    )
    expect(page.get_by_role("region", name="Person to tell")).to_contain_text(
        "charles@example.org was told on"
    )
    assert any("charles@example.org" in " ".join(m.to) for m in mail.outbox)
    _both_widths(page, "person-to-tell-told")

    # Taken off again with the keyboard: no one else is told, and the gift keeps when Charles was.
    tab_to(page, page.get_by_role("button", name="Tell no one"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Saved: no one will be told of the gift.")
    expect(page.get_by_role("button", name="Tell no one")).to_have_count(0)
    page.close()


def test_what_is_typed_before_the_page_scripts_load_still_finds_the_donor(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    chromium: Browser,
) -> None:
    """The donor field has the focus as soon as it is drawn, before htmx (a deferred script)
    listens: a quick typist's first letters must still bring the suggestions."""
    from playwright.sync_api import Route, expect

    from tenant_apps.donors.tests.factories import donor_made

    with staff_site.schema():
        donor_made("Grace", "Hopper", emails=("grace@example.org",))
    page = chromium.new_page()
    page.set_viewport_size(DESKTOP)
    staff_site.log_in(page, Role.FUNDRAISER)
    held: list[Route] = []
    page.route(re.compile(r"/static/vendor/htmx-[^/]*\.js$"), lambda route: held.append(route))

    # Given the gift form whose htmx is held back, the name is typed into the focused field.
    page.goto(staff_site.url("/gifts/new/"), wait_until="commit")
    donor = page.get_by_role("combobox", name="Donor", exact=True)
    expect(donor).to_be_focused()
    page.keyboard.type("Hopper")
    assert len(held) == 1, "htmx was loaded before the typing"
    expect(page.get_by_role("listbox", name="Matching donors")).to_have_count(0)

    # When htmx arrives, then the suggestions for what was typed come without another key.
    held[0].continue_()
    expect(
        page.get_by_role("listbox", name="Matching donors").get_by_role("option").first
    ).to_have_text("Grace Hopper")
    page.keyboard.press("Enter")
    expect(donor).to_have_value("Grace Hopper")


def test_a_fundraiser_credits_a_spouse_with_a_gift_and_both_donor_pages_show_it(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    chromium: Browser,
) -> None:
    from playwright.sync_api import expect

    from tenant_apps.donors.tests.factories import donor_made

    with staff_site.schema():
        ada = donor_made("Ada", "Lovelace", emails=("ada@example.org",))
        william = donor_made("William", "King", emails=("william@example.org",))
    page = chromium.new_page()
    page.set_viewport_size(DESKTOP)
    staff_site.log_in(page, Role.FUNDRAISER)
    page.goto(staff_site.url("/gifts/new/"))

    # Given the gift form, the donor is picked by typing, then the amount.
    page.keyboard.type("Lovelace")
    expect(
        page.get_by_role("listbox", name="Matching donors").get_by_role("option").first
    ).to_have_text("Ada Lovelace")
    page.keyboard.press("Enter")
    page.keyboard.type("500.00")

    # When the spouse is found by typing in the first soft credit's donor field (a misspelling
    # finds him too), picked with Enter, and credited with the whole gift
    credited = page.get_by_role("combobox", name="Donor credited 1")
    credited.focus()
    page.keyboard.type("Wiliam Kng")
    suggestions = page.locator("#id_credit-0-donor_query_suggestions")
    expect(suggestions.get_by_role("option").first).to_have_text("William King")
    _both_widths(page, "soft-credit-suggestions")
    page.keyboard.press("Enter")
    expect(credited).to_have_value("William King")
    expect(page.get_by_label("Amount credited 1")).to_be_focused()
    page.keyboard.type("500.00")
    page.get_by_role("button", name="Record the gift").click()

    # Then the gift's page lists the soft credit
    expect(page.get_by_role("status")).to_contain_text("Gift recorded as a draft")
    credits = page.get_by_role("table").filter(has_text="William King")
    expect(credits.get_by_role("row", name="William King")).to_contain_text("$500.00")
    gift_url = page.url

    # and each donor's page shows it: Ada's gift, William's soft credit, each a link to it.
    page.goto(staff_site.url(f"/donors/{ada.pk}/"))
    expect(page.locator(".timeline")).to_contain_text("Gift by check (Draft)")
    expect(page.locator(".timeline")).to_contain_text("$500.00")
    page.goto(staff_site.url(f"/donors/{william.pk}/"))
    entry = page.locator(".timeline li").filter(has_text="Soft credit on a gift from Ada Lovelace")
    expect(entry).to_contain_text("$500.00")
    _both_widths(page, "soft-credited-donor")
    entry.get_by_role("link").click()
    expect(page).to_have_url(gift_url)
    page.close()

"""Organization settings in Chromium, with the keyboard alone: an owner opens them from the
sections bar, renames the organization and picks its time zone, uploads a logo that then shows
in the header, is refused a malformed EIN with the reason next to the field, saves the receipt
settings, the fiscal year and the value of a volunteer hour, and sees the dashboard's
getting-started item for the EIN ticked. Each page is checked by axe, kept within a
phone's width and photographed at desktop and phone width."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pytest
from PIL import Image

from shared_apps.users.roles import Role
from tests.browser.conftest import page_checked
from tests.browser.keyboard import tab_to
from tests.browser.staff import StaffSite, staff_site  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = pytest.mark.browser


def _checked(page: Page, name: str, context: str) -> None:
    page_checked(page, name, context=context)


def _type_into(page: Page, field: Locator, text: str) -> None:
    """Tabs to `field` and types `text` over what it holds."""
    tab_to(page, field)
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type(text)


def _press(page: Page, control: Locator, key: str) -> None:
    """Tabs to `control` and presses `key` on it, which sends its form."""
    tab_to(page, control)
    with page.expect_navigation():
        page.keyboard.press(key)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 48), (14, 98, 81)).save(buffer, format="PNG")
    return buffer.getvalue()


# The EIN refused on purpose answers 400, which Chromium logs.
@pytest.mark.console_errors_expected(r"status of 400 \(Bad Request\)")
def test_an_owner_edits_the_settings_uploads_a_logo_and_the_checklist_ticks(
    staff_site: StaffSite,  # noqa: F811
    chromium: Browser,
) -> None:
    from playwright.sync_api import expect

    from shared_apps.users.models import User
    from tests.browser.staff import PASSWORD

    with staff_site.schema():  # the owner provisioning made, with the staff site's password
        owner = User.objects.get(role=Role.OWNER)
        owner.set_password(PASSWORD)
        owner.save(update_fields=["password"])
    staff_site.users[Role.OWNER] = owner
    page: Page = chromium.new_page()
    staff_site.log_in(page, Role.OWNER)

    # Given a new organization's owner on the dashboard, the EIN still to add
    checklist = page.get_by_role("region", name="Getting started")
    expect(checklist.get_by_role("link", name="Add the EIN")).to_be_visible()
    expect(checklist.get_by_role("link", name="Connect Stripe")).to_be_visible()
    _checked(page, "organization-dashboard-before", "the dashboard before the settings")

    # When she opens the settings from the sections bar; from here on with the keyboard alone
    # (Tab, Shift+Tab, Enter, Space and typing), every stop on the way showing the focus
    tab_to(
        page, page.get_by_role("navigation", name="Sections").get_by_role("link", name="Settings")
    )
    page.keyboard.press("Enter")
    page.wait_for_url(staff_site.url("/settings/organization/"))
    expect(page.get_by_role("heading", name="Organization settings", level=1)).to_be_visible()
    _checked(page, "organization-settings", "the organization settings")

    # and renames the organization and picks its time zone
    _type_into(page, page.get_by_label("Name", exact=True), "Harbor Aid Society")
    tab_to(page, page.get_by_label("Time zone"))
    page.keyboard.type("America/Chicago")  # a closed list picks the option typed
    expect(page.get_by_label("Time zone")).to_have_value("America/Chicago")
    _press(page, page.get_by_role("button", name="Save name and time zone"), "Enter")
    expect(page.get_by_text("The organization's name and time zone are saved.")).to_be_visible()
    expect(page.locator("header.site .brand")).to_contain_text("Harbor Aid Society")

    # and uploads a logo, which the header then shows
    logo_input = page.get_by_role("region", name="Logo").get_by_label("Logo")
    tab_to(page, logo_input)
    expect(logo_input).to_be_focused()
    # The file itself is picked in the browser's own dialog, outside the page (Space opens it;
    # headless Chromium does not always report that dialog): set as the dialog would.
    logo_input.set_input_files({"name": "harbor.png", "mimeType": "image/png", "buffer": _png()})
    _press(page, page.get_by_role("button", name="Upload the logo"), "Enter")
    expect(page.get_by_text("The logo is saved")).to_be_visible()
    header_logo = page.locator("header.site img.brand-logo")
    expect(header_logo).to_be_visible()
    assert page.evaluate("document.querySelector('header.site img.brand-logo').naturalWidth") == 160

    # and types the EIN without its dash: refused, the reason next to the field
    _type_into(page, page.get_by_label("Legal name"), "Harbor Aid Society, Inc.")
    _type_into(page, page.get_by_label("EIN"), "123456789")
    _type_into(page, page.get_by_label("Signer's name"), "Rosa Parks")
    _type_into(page, page.get_by_label("Signer's title"), "Executive Director")
    _press(page, page.get_by_role("button", name="Save the receipt settings"), "Enter")
    expect(page.locator("#id_ein_error")).to_contain_text("NN-NNNNNNN")
    _checked(page, "organization-settings-refused", "the settings with a refused EIN")

    # and writes it as the IRS does, sending it with Enter in the field
    _type_into(page, page.get_by_label("EIN"), "12-3456789")
    page.keyboard.press("Enter")
    expect(page.get_by_text("The receipt settings are saved")).to_be_visible()
    _checked(page, "organization-settings-saved", "the organization settings, saved")

    # and starts the fiscal year in July, and values a volunteer hour at $30.50
    tab_to(page, page.get_by_label("The fiscal year starts in"))
    page.keyboard.type("July")
    _press(page, page.get_by_role("button", name="Save the fiscal year"), "Space")
    expect(page.get_by_text("The fiscal year starts in July.")).to_be_visible()
    _type_into(page, page.get_by_label("Value of a volunteer hour"), "30.50")
    page.keyboard.press("Enter")
    expect(page.get_by_text("The value of a volunteer hour is saved.")).to_be_visible()
    expect(page.get_by_label("Value of a volunteer hour")).to_have_value("30.50")

    # Then the dashboard ticks the EIN and the receipts
    tab_to(
        page, page.get_by_role("navigation", name="Sections").get_by_role("link", name="Dashboard")
    )
    page.keyboard.press("Enter")
    page.wait_for_url(staff_site.url("/"))
    checklist = page.get_by_role("region", name="Getting started")
    expect(checklist.get_by_text("Your EIN, which every receipt states (done)")).to_be_visible()
    expect(checklist.get_by_text("Receipts: legal name and signer (done)")).to_be_visible()
    expect(checklist.get_by_role("link", name="Add the EIN")).to_have_count(0)
    _checked(page, "organization-dashboard-after", "the dashboard after the settings")

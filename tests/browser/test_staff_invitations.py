"""Staff invitations in Chromium: an owner invites a bookkeeper from the staff page; the link in
the invitation email is followed in a fresh browser, where the new person chooses their name and
password and lands on the bookkeeper's dashboard; then they find their account page. Each page
is checked by axe, kept within a phone's width and photographed at desktop and phone width."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

import pytest

from shared_apps.users.roles import Role
from tests.browser.conftest import page_checked
from tests.browser.staff import StaffSite, staff_site  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Ledger-Lantern-2026"


def _checked(page: Page, name: str, context: str) -> None:
    page_checked(page, name, context=context)


def _mail_to(address: str, seconds: float = 20) -> Any:
    from django.core import mail

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for message in mail.outbox:
            if address in message.to:
                return message
        time.sleep(0.05)
    pytest.fail(f"no email to {address} within {seconds} s")


# The invitation accepted with a too common password answers 400, and its link followed
# again once used answers 410: Chromium logs both.
@pytest.mark.console_errors_expected(r"status of 400 \(Bad Request\)", r"status of 410 \(Gone\)")
def test_an_owner_invites_a_bookkeeper_who_joins_from_the_email(
    staff_site: StaffSite,  # noqa: F811
    chromium: Browser,
) -> None:
    from playwright.sync_api import expect

    from shared_apps.users.models import User
    from tests.browser.staff import PASSWORD

    staff_site.user(Role.FUNDRAISER)  # someone else already on the staff
    with staff_site.schema():  # the owner provisioning made, with the staff site's password
        owner = User.objects.get(role=Role.OWNER)
        owner.set_password(PASSWORD)
        owner.save(update_fields=["password"])
    staff_site.users[Role.OWNER] = owner
    owner_page: Page = chromium.new_page()
    staff_site.log_in(owner_page, Role.OWNER)

    # Given the owner on the staff page, reached from the navigation
    sections = owner_page.get_by_role("navigation", name="Sections")
    sections.get_by_role("button", name="People").click()
    sections.get_by_role("link", name="Staff").click()
    owner_page.wait_for_url(staff_site.url("/settings/staff/"))
    expect(owner_page.get_by_role("heading", name="Staff", level=1)).to_be_visible()
    expect(owner_page.get_by_text("No invitation is waiting for an answer.")).to_be_visible()
    _checked(owner_page, "staff-page", "the staff page before inviting")

    # When she invites a bookkeeper, by keyboard
    address = f"nia@{staff_site.organization.slug}.org"
    owner_page.get_by_label("Email").fill(address)
    owner_page.get_by_label("Role", exact=True).select_option(label="Bookkeeper")
    owner_page.get_by_label("Role", exact=True).press("Tab")
    owner_page.keyboard.press("Enter")

    # Then the invitation is listed and the email carries a link to the organization's host
    expect(owner_page.get_by_text(f"Invitation sent to {address} as Bookkeeper.")).to_be_visible()
    invitations = owner_page.get_by_role("region", name="Invitations")
    expect(invitations).to_contain_text(address)
    expect(invitations).to_contain_text("Waiting; the link works until")
    _checked(owner_page, "staff-invited", "the staff page with an invitation waiting")
    message = _mail_to(address)
    link = re.search(r"http://\S+/invitations/\S+/", message.body)
    assert link is not None, message.body
    assert link.group(0).startswith(staff_site.url("/invitations/"))

    # When the invited person follows it in their own browser and chooses a password
    context = chromium.new_context()
    page = context.new_page()
    page.goto(link.group(0))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Join")
    expect(page.get_by_text("You are invited as Bookkeeper")).to_be_visible()
    _checked(page, "invitation-accept", "the invitation's page")
    page.get_by_label("Your name").fill("Nia Okafor")
    page.get_by_label("Choose a password").fill("password")
    page.get_by_label("The password again").fill("password")
    page.get_by_role("button", name="Join and sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("This password is too common.")
    _checked(page, "invitation-refused", "the invitation's page refusing a weak password")
    page.get_by_label("Choose a password").fill(NEW_PASSWORD)
    page.get_by_label("The password again").fill(NEW_PASSWORD)
    page.get_by_label("The password again").press("Enter")

    # Then they are signed in on the bookkeeper's dashboard
    page.wait_for_url(staff_site.url("/"))
    expect(
        page.get_by_text("Your login is ready: you are signed in as Bookkeeper.")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Drafts to post")).to_be_visible()
    expect(page.get_by_role("heading", name="Cash by fund")).to_be_visible()
    expect(page.locator("summary .role")).to_have_text("Bookkeeper")
    _checked(page, "invitation-dashboard", "the new bookkeeper's dashboard")

    # and their account page lists this browser
    page.goto(staff_site.url("/account/"))
    expect(page.get_by_label("Your name")).to_have_value("Nia Okafor")
    expect(page.get_by_role("region", name="Where you are signed in")).to_contain_text(
        "This browser"
    )
    _checked(page, "account-page", "the account page")

    # and the link cannot be used again
    again = context.new_page()
    again.goto(link.group(0))
    expect(again.get_by_role("heading", level=1)).to_have_text("This invitation is used")
    _checked(again, "invitation-used", "a used invitation link")

    # and the owner sees the new colleague among the staff
    owner_page.reload()
    staff = owner_page.get_by_role("region", name="People with a login")
    expect(staff).to_contain_text("Nia Okafor")
    expect(owner_page.get_by_text("No invitation is waiting for an answer.")).to_be_visible()
    context.close()

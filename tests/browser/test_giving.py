"""Online giving in Chromium: a donor on a phone gives $50 with the card fee covered on the
organization's /give/ page, pays on (a stand-in for) Stripe Checkout and lands on the
thank-you page; Stripe's signed webhook then records the gift, and a bookkeeper finds it on the
gift's page with the fee Stripe kept, and refunds part of it to the donor's card at Stripe."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import TYPE_CHECKING

import pytest

from shared_apps.billing.tests.conftest import fake_stripe, fake_stripe_server  # noqa: F401
from shared_apps.billing.tests.fake_stripe import (
    CONNECT_WEBHOOK_SECRET,
    FakeStripe,
    event,
    signed,
)
from shared_apps.users.roles import Role
from tests.browser.conftest import page_checked
from tests.browser.staff import StaffSite, staff_site  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Route, ViewportSize

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 390, "height": 844}
ACCOUNT = "acct_1TestBrowserGiving"
CHECKOUT = "https://checkout.stripe.com/"


def test_a_donor_gives_on_a_phone_and_the_gift_reaches_the_books(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    fake_stripe: FakeStripe,  # noqa: F811
    chromium: Browser,
) -> None:
    from playwright.sync_api import expect

    from shared_apps.billing.models import ConnectEvent
    from shared_apps.tenants.models import Organization

    with staff_site.blocker.unblock():
        organization = Organization.objects.get(pk=staff_site.organization.pk)
        organization.stripe_account_id = ACCOUNT
        organization.stripe_charges_enabled = True
        organization.stripe_default_currency = "usd"
        organization.save()

    def checkout_page(route: Route) -> None:
        """Stripe's hosted page, played here: the total and a button back to the success URL."""
        session_id = route.request.url.split("/pay/", 1)[-1].split("#")[0]
        session = fake_stripe.sessions.get(session_id)
        if session is None:
            route.fulfill(status=404, body="")
            return
        total = int(session["amount_total"]) / 100
        route.fulfill(
            content_type="text/html",
            body=(
                '<!doctype html><html lang="en"><head><title>Checkout</title>'
                '<link rel="icon" href="data:,"></head><body><main><h1>Pay '
                f'${total:,.2f}</h1><a href="{session["success_url"]}">Pay</a></main></body>'
                "</html>"
            ),
        )

    page = chromium.new_page()
    page.set_viewport_size(PHONE)
    page.route(f"{CHECKOUT}**", checkout_page)

    try:
        # Given the giving page on a phone.
        page.goto(staff_site.url("/give/"))
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Give to {organization.name}")
        page_checked(page, "give-page", context="the giving page")

        # When the donor gives $50, covers the fee, and pays on Checkout.
        page.get_by_label("$50").check()
        page.get_by_label("Cover the processing fee").check()
        page.get_by_label("Your name").fill("Ada Lovelace")
        page.get_by_label("Your email").fill("ada@example.org")
        page.get_by_role("button", name="Continue to payment").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Pay $51.80")
        (session_id,) = fake_stripe.sessions
        completed = fake_stripe.checkout_session_pay(session_id)
        page.get_by_role("link", name="Pay").click()

        # Then the thank-you page.
        expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your gift")
        page_checked(page, "give-thanks", context="the giving page's thank-you")

        # And Stripe's webhook records the gift in the organization's books.
        body, signature = signed(
            event(
                "checkout.session.completed",
                completed,
                created=int(time.time()),
                account=ACCOUNT,
            ),
            secret=CONNECT_WEBHOOK_SECRET,
        )
        request = urllib.request.Request(  # noqa: S310 - the local test server
            staff_site.platform.url("/stripe/connect/webhook/"),
            data=body,
            headers={"Content-Type": "application/json", "Stripe-Signature": signature},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            assert json.loads(answer.read())["received"]
        with staff_site.blocker.unblock():
            assert ConnectEvent.objects.get(account_id=ACCOUNT).outcome == "processed"

        # The bookkeeper finds the gift and the fee Stripe kept.
        staff_site.log_in(page, Role.BOOKKEEPER)
        page.goto(staff_site.url("/gifts/"))
        page.get_by_role("row").filter(has_text="Ada Lovelace").get_by_role("link").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("$51.80 from Ada Lovelace")
        expect(page.locator("dl.facts")).to_contain_text("Online")
        expect(page.locator("dl.facts")).to_contain_text(
            "$1.80, kept by Stripe (the organization nets $50.00)"
        )
        page_checked(page, "give-gift", context="an online gift's page")

        # Part of it goes back to the donor's card at Stripe, then to the books.
        page.get_by_label("Amount to refund").fill("20.00")
        page.get_by_label("Reason").fill("Gave twice by mistake")
        page.get_by_role("button", name="Refund the gift").click()
        expect(page.locator(".messages")).to_contain_text("Refund made at Stripe")
        (refund,) = fake_stripe.refunds_of(completed["payment_intent"])
        assert refund["amount"] == 2000
        expect(page.get_by_text(f"(Stripe refund {refund['id']})")).to_contain_text("$20.00 on")
        page_checked(page, "give-gift-refunded", context="an online gift refunded in part")
    finally:
        page.close()
        with staff_site.blocker.unblock():
            ConnectEvent.objects.filter(account_id=ACCOUNT).delete()

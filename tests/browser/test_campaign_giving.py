"""A campaign's giving page in Chromium, on a phone: a donor opens /give/<campaign>/, gives $50
once with the fee covered and in memory of someone, pays on (a stand-in for) Stripe Checkout
and lands on the thank-you page that names the campaign; Stripe's signed webhook then records
the gift, and a fundraiser finds it with its tribute, and the campaign's progress moved, on the
staff pages. A monthly gift reaches Checkout in subscription mode. The page embedded in an
allowed site's frame shows without the site's header. A monthly gift paid, its events out of
order, is then paid out by Stripe into a deposit."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
from tests.browser.conftest import page_checked, screenshot
from tests.browser.staff import StaffSite, staff_site  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route, ViewportSize

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 390, "height": 844}
ACCOUNT = "acct_1TestBrowserCampaign"
CHECKOUT = "https://checkout.stripe.com/"
PAGE = "/give/clean-water/"


def _checkout_played(fake: FakeStripe) -> Callable[[Route], None]:
    def checkout_page(route: Route) -> None:
        """Stripe's hosted page, played here: the total and a button back to the success URL."""
        session_id = route.request.url.split("/pay/", 1)[-1].split("#")[0]
        session = fake.sessions.get(session_id)
        if session is None:
            route.fulfill(status=404, body="")
            return
        total = int(session["amount_total"]) / 100
        every = " a month" if session["mode"] == "subscription" else ""
        route.fulfill(
            content_type="text/html",
            body=(
                '<!doctype html><html lang="en"><head><title>Checkout</title>'
                '<link rel="icon" href="data:,"></head><body><main><h1>Pay '
                f'${total:,.2f}{every}</h1><a href="{session["success_url"]}">Pay</a></main>'
                "</body></html>"
            ),
        )

    return checkout_page


def _delivered(site: StaffSite, payload: dict[str, object]) -> None:
    body, signature = signed(payload, secret=CONNECT_WEBHOOK_SECRET)
    request = urllib.request.Request(  # noqa: S310 - the local test server
        site.platform.url("/stripe/connect/webhook/"),
        data=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": signature},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        assert json.loads(answer.read())["received"]


@contextmanager
def _website_framing(url: str) -> Iterator[str]:
    """The organization's own website, played by a server on loopback (Chromium lets a page
    frame a local one only from a local address): a page holding `url` in an iframe. Yields
    the site's origin."""
    body = (
        '<!doctype html><html lang="en"><head><title>Our site</title></head><body>'
        f'<iframe src="{url}" title="Give" width="360" height="900"></iframe></body></html>'
    ).encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://friends-site.localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _gift_filled(page: Page, *, frequency: str) -> None:
    page.get_by_label("$50", exact=True).check()
    page.get_by_label(frequency, exact=True).check()
    page.get_by_label("Cover the processing fee").check()
    page.get_by_label("In memory of someone").check()
    page.get_by_label("Their name", exact=True).fill("Mary Somerville")
    page.get_by_label("Tell someone of your gift: their name").fill("Charles Babbage")
    page.get_by_label("Their email").fill("charles@example.org")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Your email").fill("ada@example.org")
    page.get_by_label("Email me news").check()


# Chromium's refusal of the frame on a site the organization does not list.
@pytest.mark.console_errors_expected(r"Framing .* violates .*\"frame-ancestors 'none'\"")
def test_a_donor_gives_on_a_campaign_page_on_a_phone_and_its_progress_moves(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    fake_stripe: FakeStripe,  # noqa: F811
    chromium: Browser,
) -> None:
    from playwright.sync_api import expect

    from shared_apps.billing.models import ConnectEvent
    from shared_apps.tenants.models import Organization
    from tenant_apps.donations.models import Gift
    from tenant_apps.donations.services.campaigns import campaign_create
    from tenant_apps.donations.services.giving_pages import (
        campaign_giving_page_update,
        giving_frame_ancestors_set,
    )

    with staff_site.blocker.unblock():
        organization = Organization.objects.get(pk=staff_site.organization.pk)
        organization.stripe_account_id = ACCOUNT
        organization.stripe_charges_enabled = True
        organization.stripe_default_currency = "usd"
        organization.save()
    with staff_site.schema():
        campaign = campaign_create(
            code="WATER", name="Clean water", goal=Decimal("1000"), acting_user=None
        )
        campaign_giving_page_update(
            campaign=campaign,
            slug="clean-water",
            is_public=True,
            story="Three villages walk an hour for water.\n\nA well changes that for good.",
            giving_fund="",
            acting_user=None,
        )

    page = chromium.new_page()
    page.set_viewport_size(PHONE)
    page.route(f"{CHECKOUT}**", _checkout_played(fake_stripe))
    try:
        # Given the campaign's page on a phone: its story, goal and progress.
        page.goto(staff_site.url(PAGE))
        expect(page.get_by_role("heading", level=1)).to_have_text("Clean water")
        expect(page.get_by_test_id("raised")).to_have_text("$0.00")
        page_checked(page, "give-campaign", context="a campaign's giving page")

        # When the donor gives $50 once, covers the fee, in memory of someone, and pays.
        _gift_filled(page, frequency="Once")
        page.get_by_role("button", name="Continue to payment").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Pay $51.80")
        (session_id,) = fake_stripe.sessions
        assert fake_stripe.sessions[session_id]["mode"] == "payment"
        completed = fake_stripe.checkout_session_pay(session_id)
        page.get_by_role("link", name="Pay").click()

        # Then the thank-you page names the campaign.
        page.wait_for_url("**/give/thanks/?campaign=clean-water")
        expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your gift")
        expect(page.locator("main")).to_contain_text("for your gift to Clean water")
        page_checked(page, "give-campaign-thanks", context="a campaign gift's thank-you")

        # And Stripe's webhook records the gift with its campaign and tribute.
        _delivered(
            staff_site,
            event(
                "checkout.session.completed", completed, created=int(time.time()), account=ACCOUNT
            ),
        )
        with staff_site.blocker.unblock():
            assert ConnectEvent.objects.get(account_id=ACCOUNT).outcome == "processed"
        page.goto(staff_site.url(PAGE))
        expect(page.get_by_test_id("raised")).to_have_text("$51.80")

        # A fundraiser sees the campaign's progress move and the gift's tribute.
        staff_site.log_in(page, Role.FUNDRAISER)
        with staff_site.schema():
            gift = Gift.objects.get(campaign=campaign)
        page.goto(staff_site.url(f"/campaigns/{campaign.pk}/"))
        expect(page.get_by_test_id("raised")).to_have_text("$51.80")
        expect(page.locator(".giving-page")).to_contain_text("Open to donors")
        page_checked(page, "give-campaign-staff", context="the campaign's staff page")
        page.goto(staff_site.url(f"/gifts/{gift.pk}/"))
        expect(page.get_by_role("heading", level=1)).to_have_text("$51.80 from Ada Lovelace")
        facts = page.locator("dl.facts")
        expect(facts).to_contain_text("In memory of Mary Somerville")
        expect(facts).to_contain_text("Charles Babbage (charles@example.org)")
        expect(facts).to_contain_text("Gift of $50.00 with $1.80 added to cover the fee")
        page_checked(page, "give-campaign-gift", context="a campaign gift's page")

        # A monthly gift reaches Checkout in subscription mode.
        page.goto(staff_site.url(PAGE))
        _gift_filled(page, frequency="Monthly")
        page.get_by_role("button", name="Continue to payment").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Pay $51.80 a month")
        (monthly,) = (s for s in fake_stripe.sessions.values() if s["mode"] == "subscription")
        assert monthly["_subscription_metadata"]["campaign"] == "clean-water"
        assert monthly["_subscription_metadata"]["tribute_name"] == "Mary Somerville"

        # The page in the frame of a site the organization lists: no site header, and the
        # form opens Checkout in the whole window. A site it does not list shows nothing.
        with _website_framing(staff_site.url(PAGE) + "?embed=1") as website:
            page.goto(f"{website}/give-here/")
            expect(page.frame_locator("iframe").get_by_role("heading", level=1)).to_have_count(0)
            with staff_site.schema():
                giving_frame_ancestors_set(text=website, acting_user=None)
            page.goto(f"{website}/give-here/")
            frame = page.frame_locator("iframe")
            expect(frame.get_by_role("heading", level=1)).to_have_text("Clean water")
            expect(frame.locator("header.site")).to_have_count(0)
            expect(frame.locator("form.give-form")).to_have_attribute("target", "_top")
            screenshot(page, "give-campaign-embedded")
    finally:
        page.close()
        with staff_site.blocker.unblock():
            ConnectEvent.objects.filter(account_id=ACCOUNT).delete()


def test_a_monthly_gift_arrives_out_of_order_and_is_paid_out_into_the_bank(
    staff_site: StaffSite,  # noqa: F811 (the fixture imported above)
    fake_stripe: FakeStripe,  # noqa: F811
    chromium: Browser,
) -> None:
    """A donor on a phone gives $50 a month with the fee covered, in memory of someone; Stripe's
    events arrive out of order (the first month's invoice before the checkout); the staff see
    the donor, the posted installment with its fee, its receipt, the monthly gift and the
    campaign's progress; then Stripe's payout becomes a deposit into the bank."""
    from playwright.sync_api import expect

    from shared_apps.billing.models import ConnectEvent
    from shared_apps.tenants.models import Organization
    from tenant_apps.donations.models import Deposit, Gift, RecurringGift
    from tenant_apps.donations.services.campaigns import campaign_create
    from tenant_apps.donations.services.giving_pages import campaign_giving_page_update
    from tenant_apps.donations.services.receipt_settings import receipt_settings_update

    with staff_site.blocker.unblock():
        organization = Organization.objects.get(pk=staff_site.organization.pk)
        organization.stripe_account_id = ACCOUNT
        organization.stripe_charges_enabled = True
        organization.stripe_default_currency = "usd"
        organization.save()
    with staff_site.schema():
        receipt_settings_update(
            legal_name="Browser Relief Fund",
            ein="12-3456789",
            signatory_name="Grace Hopper",
            acting_user=None,
        )
        campaign = campaign_create(
            code="WELLS", name="Village wells", goal=Decimal("5000"), acting_user=None
        )
        campaign_giving_page_update(
            campaign=campaign,
            slug="village-wells",
            is_public=True,
            story="A well for every village on the river.",
            giving_fund="",
            acting_user=None,
        )

    page = chromium.new_page()
    page.set_viewport_size(PHONE)
    page.route(f"{CHECKOUT}**", _checkout_played(fake_stripe))
    try:
        # A donor on a phone gives $50 a month, the fee covered, in memory of someone.
        page.goto(staff_site.url("/give/village-wells/"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Village wells")
        _gift_filled(page, frequency="Monthly")
        page.get_by_role("button", name="Continue to payment").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Pay $51.80 a month")
        (monthly,) = (s for s in fake_stripe.sessions.values() if s["mode"] == "subscription")
        completed, first = fake_stripe.subscription_checkout_pay(
            account=ACCOUNT,
            amount=int(monthly["amount_total"]),
            metadata=monthly["_subscription_metadata"],
        )
        page.get_by_role("link", name="Pay").click()
        page.wait_for_url("**/give/thanks/?campaign=village-wells")
        expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your gift")
        page_checked(page, "give-monthly-thanks", context="a monthly gift's thank-you, phone")

        # Stripe's events arrive out of order: the first month's invoice, then the checkout.
        now = int(time.time())
        _delivered(staff_site, event("invoice.paid", first, created=now, account=ACCOUNT))
        _delivered(
            staff_site,
            event("checkout.session.completed", completed, created=now - 5, account=ACCOUNT),
        )
        with staff_site.blocker.unblock():
            outcomes = set(
                ConnectEvent.objects.filter(account_id=ACCOUNT).values_list("outcome", flat=True)
            )
        assert outcomes == {"processed"}
        page.goto(staff_site.url("/give/village-wells/"))
        expect(page.get_by_test_id("raised")).to_have_text("$51.80")

        # The staff see the installment posted with its fee, its receipt and the monthly gift.
        with staff_site.schema():
            gift = Gift.objects.get(campaign=campaign)
            recurring = RecurringGift.objects.get(stripe_subscription_id=completed["subscription"])
            assert gift.recurring_gift_id == recurring.pk
        page.set_viewport_size({"width": 1280, "height": 900})
        staff_site.log_in(page, Role.BOOKKEEPER)
        page.goto(staff_site.url(f"/gifts/{gift.pk}/"))
        expect(page.get_by_role("heading", level=1)).to_have_text("$51.80 from Ada Lovelace")
        expect(page.locator("main")).to_contain_text("In memory of Mary Somerville")
        expect(page.locator("main")).to_contain_text("Posted")
        expect(page.locator("main")).to_contain_text("$1.80, kept by Stripe")
        expect(page.locator("main")).to_contain_text("emailed to ada@example.org")
        page_checked(page, "give-monthly-gift", context="a monthly installment's page")
        page.goto(staff_site.url(f"/recurring/{recurring.pk}/"))
        expect(page.locator("main")).to_contain_text("Monthly via Stripe")
        expect(page.locator("main")).to_contain_text("$51.80")
        page_checked(page, "give-monthly-recurring", context="a monthly gift via Stripe")

        # Stripe pays the month out: a deposit from Stripe clearing into the bank, net of the fee.
        payout = fake_stripe.payout_make(ACCOUNT)
        _delivered(staff_site, event("payout.paid", payout, created=now + 5, account=ACCOUNT))
        with staff_site.blocker.unblock():
            applied = ConnectEvent.objects.get(account_id=ACCOUNT, type="payout.paid")
            assert applied.outcome == "processed", applied.outcome_detail
        assert payout["amount"] == 5000  # $51.80 less the fee
        with staff_site.schema():
            deposit = Deposit.objects.get(stripe_payout_id=payout["id"])
        page.goto(staff_site.url(f"/deposits/{deposit.pk}/"))
        main = page.locator("main")
        expect(main).to_contain_text(f"Stripe payout {payout['id']}")
        expect(main).to_contain_text("Ada Lovelace")
        expect(main).to_contain_text("$50.00")  # $51.80 less Stripe's $1.80 fee
        page_checked(page, "give-monthly-payout", context="a Stripe payout's deposit")
    finally:
        page.close()
        with staff_site.blocker.unblock():
            ConnectEvent.objects.filter(account_id=ACCOUNT).delete()

"""The public giving page, /give/ on an organization's host: no login; without a connected
account that takes charges it says online giving is not set up; a gift (a preset or another
amount, a fund offered, the fee covered or not) becomes a Stripe Checkout session on the
organization's own account, with what the webhook needs in its metadata; bad input is a 400
that opens nothing at Stripe; one client opens a limited number of sessions a minute."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context
from pytest_django import Settings

from shared_apps.billing.tests.conftest import fake_stripe, fake_stripe_server  # noqa: F401
from shared_apps.billing.tests.fake_stripe import FakeStripe
from shared_apps.tenants.models import Organization
from shared_apps.users.roles import Role
from tenant_apps.accounting.models import Restriction
from tenant_apps.accounting.tests.factories import FundFactory
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.services.online import (
    giving_funds,
    giving_funds_set,
    gross_covering_fees,
)
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

GIVE = "/give/"
ACCOUNT = "acct_1TestGiving0001"


def _connect(alpha: Tenant, *, charges: bool = True) -> None:
    organization = Organization.objects.get(pk=alpha.organization.pk)
    organization.stripe_account_id = ACCOUNT
    organization.stripe_charges_enabled = charges
    organization.stripe_default_currency = "usd"
    organization.save()  # a save: the routing cache forgets the organization it held


@pytest.fixture
def donor_client(alpha: Tenant, fake_stripe: FakeStripe) -> Client:  # noqa: F811
    """Anyone on alpha's host, with alpha's Stripe account taking charges."""
    _connect(alpha)
    return Client(HTTP_HOST=alpha.host)


def gift(**changes: Any) -> dict[str, str]:
    return {
        "preset": "50",
        "other_amount": "",
        "fund": "GEN",
        "name": "Ada Lovelace",
        "email": "Ada@Example.org",
        **changes,
    }


# --- The fee covered -----------------------------------------------------------------------------


def _net_after_stripe(gross: Decimal) -> Decimal:
    fee = (gross * Decimal("0.029") + Decimal("0.30")).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    return gross - fee


@pytest.mark.parametrize(
    ("net", "gross"),
    [
        ("5.00", "5.46"),
        ("10.00", "10.61"),
        ("25.00", "26.06"),
        ("50.00", "51.80"),
        ("100.00", "103.30"),
        ("250.00", "257.78"),
        ("1234.56", "1271.74"),
    ],
)
def test_covering_the_fee_charges_just_enough_for_the_organization_to_net_the_gift(
    net: str, gross: str
) -> None:
    charged = gross_covering_fees(Decimal(net))

    assert charged == Decimal(gross)
    assert _net_after_stripe(charged) >= Decimal(net)
    # A cent less and the organization would be short, Stripe's fee rounded as Stripe rounds it.
    assert _net_after_stripe(charged - Decimal("0.01")) < Decimal(net)


# --- Not set up ----------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["no-account", "charges-disabled", "stripe-not-configured"])
def test_without_giving_live_the_page_says_it_is_not_set_up(
    alpha: Tenant,
    fake_stripe: FakeStripe,  # noqa: F811
    settings: Settings,
    state: str,
) -> None:
    if state == "charges-disabled":
        _connect(alpha, charges=False)
    elif state == "stripe-not-configured":
        _connect(alpha)
        settings.STRIPE_SECRET_KEY = ""
    client = Client(HTTP_HOST=alpha.host)

    page = client.get(GIVE)
    posted = client.post(GIVE, gift())

    for response in (page, posted):
        assert response.status_code == 200
        assert "Online giving is not set up for Alpha Relief Fund yet." in response.content.decode()
    assert fake_stripe.requests == []


# --- The page ------------------------------------------------------------------------------------


def test_the_page_needs_no_login_and_offers_the_presets(donor_client: Client) -> None:
    response = donor_client.get(GIVE)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Give to Alpha Relief Fund</h1>" in html
    for preset in ("$25", "$50", "$100", "$250", "Another amount"):
        assert preset in html
    # One fund only: nothing to choose.
    assert '<input type="hidden" name="fund" value="GEN"' in html
    assert "$25 becomes $26.06 by card, $25.20 from a bank account" in html
    for choice in ("Once", "Monthly", "Card", "US bank account (ACH)", "In memory of someone"):
        assert choice in html


def test_a_gift_opens_checkout_on_the_organizations_own_account(
    donor_client: Client,
    fake_stripe: FakeStripe,  # noqa: F811
    alpha: Tenant,
) -> None:
    response = donor_client.post(GIVE, gift(cover_fees="on"))

    assert response.status_code == 303
    assert response["Location"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    (call,) = fake_stripe.calls("/v1/checkout/sessions")
    assert call.headers["stripe-account"] == ACCOUNT
    params = call.params
    assert params["mode"] == "payment"
    assert params["submit_type"] == "donate"
    assert params["customer_email"] == "ada@example.org"
    assert params["line_items[0][price_data][unit_amount]"] == "5180"
    assert params["line_items[0][price_data][currency]"] == "usd"
    assert params["success_url"] == "http://alpha.localhost/give/thanks/"
    assert params["cancel_url"] == "http://alpha.localhost/give/"
    for prefix in ("metadata", "payment_intent_data[metadata]"):
        assert params[f"{prefix}[fund]"] == "GEN"
        assert params[f"{prefix}[donor_name]"] == "Ada Lovelace"
        assert params[f"{prefix}[donor_email]"] == "ada@example.org"
        assert params[f"{prefix}[amount_chosen]"] == "50.00"
        assert params[f"{prefix}[cover_fees]"] == "yes"
        assert params[f"{prefix}[ifm_organization_id]"] == str(alpha.organization.pk)


def test_another_amount_is_charged_as_typed(
    donor_client: Client,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    response = donor_client.post(GIVE, gift(preset="other", other_amount="$1,234.50"))

    assert response.status_code == 303
    (call,) = fake_stripe.calls("/v1/checkout/sessions")
    assert call.params["line_items[0][price_data][unit_amount]"] == "123450"
    assert call.params["metadata[cover_fees]"] == "no"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"preset": "", "other_amount": ""}, "Choose an amount"),
        ({"preset": "other", "other_amount": "4.99"}, "The smallest gift online is $5.00."),
        ({"other_amount": "25000.01"}, "Online gifts are at most $25,000.00"),
        ({"other_amount": "12.345"}, "dollars and cents"),
        ({"other_amount": "1e400"}, "Online gifts are at most $25,000.00"),
        ({"other_amount": "NaN"}, "Give an amount in dollars"),
        ({"other_amount": "-50"}, "The smallest gift online is $5.00."),
        ({"other_amount": "ten"}, "Choose an amount"),
        ({"preset": "1"}, "Select a valid choice"),
        ({"fund": "NOPE"}, "Select a valid choice"),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"name": "   "}, "This field is required."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_opens_nothing(
    donor_client: Client,
    fake_stripe: FakeStripe,  # noqa: F811
    changes: dict[str, str],
    message: str,
) -> None:
    response = donor_client.post(GIVE, gift(**changes))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert fake_stripe.calls("/v1/checkout/sessions") == []


def test_only_the_funds_offered_can_be_chosen(
    donor_client: Client,
    fake_stripe: FakeStripe,  # noqa: F811
    alpha: Tenant,
) -> None:
    with schema_context("alpha"):
        FundFactory.create(code="WELLS", name="Clean water", restriction=Restriction.PURPOSE)
        FundFactory.create(code="HIDDEN", name="Not offered", restriction=Restriction.PURPOSE)
        giving_funds_set(fund_codes=["WELLS"], acting_user=None)

    html = donor_client.get(GIVE).content.decode()
    refused = donor_client.post(GIVE, gift(fund="HIDDEN"))
    given = donor_client.post(GIVE, gift(fund="WELLS"))

    assert '<option value="WELLS">Clean water</option>' in html
    assert "Not offered" not in html
    assert refused.status_code == 400
    assert given.status_code == 303
    (call,) = fake_stripe.calls("/v1/checkout/sessions")
    assert call.params["metadata[fund]"] == "WELLS"
    assert call.params["line_items[0][price_data][product_data][name]"] == (
        "Gift to Alpha Relief Fund (Clean water)"
    )


def test_one_client_opens_a_limited_number_of_checkouts_a_minute(
    donor_client: Client,
    fake_stripe: FakeStripe,  # noqa: F811
    settings: Settings,
) -> None:
    settings.GIVING_CHECKOUTS_PER_MINUTE = 2

    statuses = [donor_client.post(GIVE, gift()).status_code for _ in range(3)]

    assert statuses == [303, 303, 429]
    assert len(fake_stripe.calls("/v1/checkout/sessions")) == 2
    # Another client is not held back by this one.
    other = Client(HTTP_HOST=donor_client.defaults["HTTP_HOST"], REMOTE_ADDR="203.0.113.9")
    assert other.post(GIVE, gift()).status_code == 303


def test_stripe_refusing_is_a_message_not_a_500(
    donor_client: Client,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    fake_stripe.failures["/v1/checkout/sessions"] = 500

    response = donor_client.post(GIVE, gift())

    assert response.status_code == 400
    assert "The payment page could not be opened; nothing was charged." in (
        response.content.decode()
    )


def test_the_thank_you_page(donor_client: Client) -> None:
    response = donor_client.get("/give/thanks/")

    assert response.status_code == 200
    assert "Thank you for your gift" in response.content.decode()


def test_the_page_runs_a_fixed_number_of_queries(
    donor_client: Client,
    alpha: Tenant,
    count_queries: Callable[[], CaptureQueriesContext],
) -> None:
    donor_client.get(GIVE)
    with count_queries() as few:
        donor_client.get(GIVE)
    with schema_context("alpha"):
        codes = [FundFactory.create(restriction=Restriction.PURPOSE).code for _ in range(5)]
        giving_funds_set(fund_codes=codes, acting_user=None)
    with count_queries() as many:
        html = donor_client.get(GIVE).content.decode()

    assert all(f'value="{code}"' in html for code in codes)
    # The schema, the funds offered, and the sites allowed to frame the page.
    assert len(many.captured_queries) == len(few.captured_queries) <= 4


# --- The funds offered, in the organization settings ---------------------------------------------

FUNDS = "/settings/organization/giving/funds/"


def test_an_administrator_chooses_the_funds_offered(alpha: Tenant) -> None:
    with schema_context("alpha"):
        FundFactory.create(code="WELLS", name="Clean water", restriction=Restriction.PURPOSE)
        FundFactory.create(code="SCHOOL", name="Schools", restriction=Restriction.PURPOSE)
    admin = alpha.client(alpha.user(Role.ADMIN))

    response = admin.post(FUNDS, {"funds": ["WELLS", "SCHOOL"]})
    again = admin.post(FUNDS, {"funds": ["SCHOOL"]})

    assert response.status_code == again.status_code == 302
    with schema_context("alpha"):
        assert [fund.code for fund in giving_funds()] == ["GEN", "SCHOOL"]
        (first, second) = AuditEvent.objects.filter(action="giving.funds_set").order_by("id")
    assert first.detail["funds"] == [[], ["SCHOOL", "WELLS"]]
    assert second.detail["funds"] == [["SCHOOL", "WELLS"], ["SCHOOL"]]
    html = admin.get("/settings/organization/").content.decode()
    assert re.search(r'<input type="checkbox" name="funds" value="SCHOOL"[^>]* checked>', html)
    assert not re.search(r'<input type="checkbox" name="funds" value="WELLS"[^>]* checked>', html)


def test_a_fund_that_is_not_active_is_refused_and_nothing_changes(alpha: Tenant) -> None:
    with schema_context("alpha"):
        FundFactory.create(code="OLD", name="Closed fund", is_active=False)
    owner = alpha.client(alpha.owner)

    response = owner.post(FUNDS, {"funds": ["OLD"]})

    assert response.status_code == 400
    with schema_context("alpha"):
        assert [fund.code for fund in giving_funds()] == ["GEN"]


@pytest.mark.parametrize("role", [Role.FUNDRAISER, Role.BOOKKEEPER, Role.VIEWER])
def test_only_owners_and_administrators_choose_the_funds(alpha: Tenant, role: str) -> None:
    with schema_context("alpha"):
        FundFactory.create(code="WELLS", name="Clean water", restriction=Restriction.PURPOSE)

    response = alpha.client(alpha.user(role)).post(FUNDS, {"funds": ["WELLS"]})

    assert response.status_code == 403
    with schema_context("alpha"):
        assert [fund.code for fund in giving_funds()] == ["GEN"]

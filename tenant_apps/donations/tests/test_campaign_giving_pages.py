"""Campaign giving pages, /give/<slug>/: the campaign's goal, progress (its posted gifts), story
and image; closed and unknown pages; the form (once or monthly, a tribute, anonymous, the email
opt-in, the fee for the way the donor pays, the campaign's fixed fund) and the Checkout session
it opens (payment or subscription mode, with the shared metadata); the gift the webhook then
records with its campaign, tribute, anonymity and the donor's preference; the card-testing
defences (per client, per organization, the hidden field, the minimum); framing by the sites the
organization lists only; and the fundraisers' side: the page's settings, its image, the embed
codes, roles and bad input."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context
from PIL import Image
from pytest_django import Settings

from shared_apps.billing.tests.conftest import fake_stripe, fake_stripe_server  # noqa: F401
from shared_apps.billing.tests.fake_stripe import FakeStripe
from shared_apps.users.roles import Role
from tenant_apps.accounting.models import Restriction
from tenant_apps.accounting.tests.factories import FundFactory
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.models import Campaign, Gift, GiftState, TributeType
from tenant_apps.donations.services.campaigns import campaign_create
from tenant_apps.donations.services.giving_pages import (
    campaign_giving_page_update,
    giving_frame_ancestors_set,
)
from tenant_apps.donations.tests.factories import GiftFactory
from tenant_apps.donations.tests.test_online_gifts import (  # noqa: F401 - fixtures
    ACCOUNT,
    Deliver,
    completed,
    connected,
    deliver,
)
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

PAGE = "/give/spring-appeal/"


def _campaign(**page: Any) -> Campaign:
    campaign = campaign_create(
        code="SPRING", name="Spring appeal", goal=Decimal("1000"), acting_user=None
    )
    return campaign_giving_page_update(
        campaign=campaign,
        acting_user=None,
        **{
            "slug": "spring-appeal",
            "is_public": True,
            "story": "Wells for three villages.\n\nEvery gift digs.",
            "giving_fund": "",
            **page,
        },
    )


@pytest.fixture
def campaign(alpha: Tenant, connected: FakeStripe) -> Campaign:  # noqa: F811
    with schema_context("alpha"):
        return _campaign()


def gift(**changes: str) -> dict[str, str]:
    return {
        "preset": "50",
        "other_amount": "",
        "frequency": "once",
        "payment_method": "card",
        "fund": "GEN",
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        **changes,
    }


def _png(size: tuple[int, int] = (40, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (11, 92, 173)).save(out, format="PNG")
    return out.getvalue()


# --- The page ------------------------------------------------------------------------------------


def test_the_campaign_page_shows_its_goal_progress_and_story(
    alpha: Tenant, campaign: Campaign
) -> None:
    with schema_context("alpha"):
        GiftFactory.create(campaign=campaign, amount="250.00", posted=True)
        GiftFactory.create(campaign=campaign, amount="999.00")  # a draft: not raised yet

    response = Client(HTTP_HOST=alpha.host).get(PAGE)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Spring appeal</h1>" in html
    assert '<strong data-testid="raised">$250.00</strong> raised of the $1,000.00 goal' in html
    assert '<progress max="100" value="25"' in html
    assert "<p>Wells for three villages.</p>" in html and "<p>Every gift digs.</p>" in html
    assert 'action="/give/spring-appeal/"' in html
    # Not embedded: the site's header, and a form that posts in place.
    assert '<header class="site">' in html and 'target="_top"' not in html


def test_the_image_is_served_to_donors_with_its_type(alpha: Tenant, campaign: Campaign) -> None:
    fundraiser = alpha.client(alpha.user(Role.FUNDRAISER))
    upload = io.BytesIO(_png())
    upload.name = "wells.png"

    saved = fundraiser.post(f"/campaigns/{campaign.pk}/giving-page/image/", {"image": upload})

    assert saved.status_code == 302
    with schema_context("alpha"):
        stored = Campaign.objects.get(pk=campaign.pk).image
        assert stored.startswith("campaigns/") and stored.endswith(".png")
        assert default_storage.exists(stored)
    page = Client(HTTP_HOST=alpha.host).get(PAGE).content.decode()
    assert f'src="/give/spring-appeal/image/?v={stored}"' in page
    image = Client(HTTP_HOST=alpha.host).get("/give/spring-appeal/image/")
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert image["X-Content-Type-Options"] == "nosniff"
    assert b"".join(image.streaming_content) == _png()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"GIF89a not really", "Not a PNG, JPEG or WebP image."),
        (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "Not a PNG, JPEG or WebP image."),
        (b"0" * (2 * 1024 * 1024 + 1), "At most 2 MB."),
    ],
)
def test_an_image_that_is_not_one_or_too_large_is_refused(
    alpha: Tenant, campaign: Campaign, content: bytes, message: str
) -> None:
    upload = io.BytesIO(content)
    upload.name = "wells.png"

    response = alpha.client(alpha.user(Role.FUNDRAISER)).post(
        f"/campaigns/{campaign.pk}/giving-page/image/", {"image": upload}
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    with schema_context("alpha"):
        assert Campaign.objects.get(pk=campaign.pk).image == ""


def test_an_unknown_page_is_a_404_and_a_closed_one_says_so(
    alpha: Tenant, campaign: Campaign
) -> None:
    donor = Client(HTTP_HOST=alpha.host)

    unknown = donor.get("/give/no-such-campaign/")
    bad_slug = donor.get("/give/Not A Slug!/")
    with schema_context("alpha"):
        campaign_giving_page_update(
            campaign=campaign,
            slug="spring-appeal",
            is_public=False,
            story="",
            giving_fund="",
            acting_user=None,
        )
    not_open = donor.get(PAGE)
    not_open_posted = donor.post(PAGE, gift())
    with schema_context("alpha"):
        Campaign.objects.filter(pk=campaign.pk).update(
            is_public=True, end=timezone.localdate() - timedelta(days=1)
        )
    ended = donor.get(PAGE)

    assert unknown.status_code == 404
    assert bad_slug.status_code == 404
    assert not_open.status_code == not_open_posted.status_code == 404
    assert "not open for gifts" in not_open.content.decode()
    assert ended.status_code == 410
    assert "This campaign has ended" in ended.content.decode()


def test_the_thank_you_page_names_the_campaign(alpha: Tenant, campaign: Campaign) -> None:
    donor = Client(HTTP_HOST=alpha.host)

    named = donor.get("/give/thanks/?campaign=spring-appeal").content.decode()
    unnamed = donor.get("/give/thanks/?campaign=<script>").content.decode()

    assert "for your gift to <strong>Spring appeal</strong>" in named
    assert "for your gift to" not in unnamed and "<script>" not in unnamed


# --- The form and the Checkout session ---------------------------------------------------------


def test_a_one_time_gift_with_a_tribute_opens_checkout_with_the_metadata(
    alpha: Tenant,
    campaign: Campaign,
    connected: FakeStripe,  # noqa: F811
) -> None:
    response = Client(HTTP_HOST=alpha.host).post(
        PAGE,
        gift(
            cover_fees="on",
            tribute_type="memory",
            tribute_name="Mary Somerville",
            tribute_notify_name="Charles Babbage",
            tribute_notify_email="Charles@Example.org",
            anonymous="on",
            email_opt_in="on",
        ),
    )

    assert response.status_code == 303
    (call,) = connected.calls("/v1/checkout/sessions")
    params = call.params
    assert params["mode"] == "payment"
    assert params["payment_method_types[0]"] == "card"
    assert params["line_items[0][price_data][unit_amount]"] == "5180"
    assert params["success_url"] == "http://alpha.localhost/give/thanks/?campaign=spring-appeal"
    assert params["cancel_url"] == "http://alpha.localhost/give/spring-appeal/"
    assert not any(key.startswith("subscription_data") for key in params)
    for prefix in ("metadata", "payment_intent_data[metadata]"):
        assert params[f"{prefix}[frequency]"] == "once"
        assert params[f"{prefix}[campaign]"] == "spring-appeal"
        assert params[f"{prefix}[tribute_type]"] == "memory"
        assert params[f"{prefix}[tribute_name]"] == "Mary Somerville"
        assert params[f"{prefix}[tribute_notify_name]"] == "Charles Babbage"
        assert params[f"{prefix}[tribute_notify_email]"] == "charles@example.org"
        assert params[f"{prefix}[anonymous]"] == "yes"
        assert params[f"{prefix}[email_opt_in]"] == "yes"
        assert params[f"{prefix}[cover_fees]"] == "yes"


def test_a_monthly_gift_opens_checkout_in_subscription_mode(
    alpha: Tenant,
    campaign: Campaign,
    connected: FakeStripe,  # noqa: F811
) -> None:
    response = Client(HTTP_HOST=alpha.host).post(PAGE, gift(frequency="monthly"))

    assert response.status_code == 303
    (call,) = connected.calls("/v1/checkout/sessions")
    params = call.params
    assert call.headers["stripe-account"] == ACCOUNT
    assert params["mode"] == "subscription"
    assert params["line_items[0][price_data][unit_amount]"] == "5000"
    assert params["line_items[0][price_data][recurring][interval]"] == "month"
    assert params["line_items[0][price_data][recurring][interval_count]"] == "1"
    assert "submit_type" not in params
    assert not any(key.startswith("payment_intent_data") for key in params)
    for prefix in ("metadata", "subscription_data[metadata]"):
        assert params[f"{prefix}[frequency]"] == "monthly"
        assert params[f"{prefix}[campaign]"] == "spring-appeal"
        assert params[f"{prefix}[amount_chosen]"] == "50.00"
        assert params[f"{prefix}[email_opt_in]"] == "no"


def test_covering_the_fee_from_a_bank_account_adds_the_ach_fee_only(
    alpha: Tenant,
    campaign: Campaign,
    connected: FakeStripe,  # noqa: F811
) -> None:
    response = Client(HTTP_HOST=alpha.host).post(
        PAGE,
        gift(
            payment_method="us_bank_account", cover_fees="on", preset="other", other_amount="1000"
        ),  # fmt: skip
    )

    assert response.status_code == 303
    (call,) = connected.calls("/v1/checkout/sessions")
    # 0.8% capped at $5.00: $1,005.00 nets $1,000.00; by card it would be $1,030.18.
    assert call.params["line_items[0][price_data][unit_amount]"] == "100500"
    assert call.params["payment_method_types[0]"] == "us_bank_account"


def test_a_campaign_with_its_own_fund_sends_every_gift_there(
    alpha: Tenant,
    campaign: Campaign,
    connected: FakeStripe,  # noqa: F811
) -> None:
    with schema_context("alpha"):
        wells = FundFactory.create(code="WELLS", name="Wells", restriction=Restriction.PURPOSE)
        campaign_giving_page_update(
            campaign=campaign,
            slug="spring-appeal",
            is_public=True,
            story="",
            giving_fund=wells.code,
            acting_user=None,
        )
    donor = Client(HTTP_HOST=alpha.host)

    html = donor.get(PAGE).content.decode()
    response = donor.post(PAGE, gift(fund="GEN"))  # a fund the page does not offer

    assert '<input type="hidden" name="fund" value="WELLS"' in html
    assert response.status_code == 303
    (call,) = connected.calls("/v1/checkout/sessions")
    assert call.params["metadata[fund]"] == "WELLS"
    assert call.params["line_items[0][price_data][product_data][name]"] == (
        "Gift to Alpha Relief Fund (Wells)"
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"preset": "other", "other_amount": "4.99"}, "The smallest gift online is $5.00."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"tribute_type": "honor", "tribute_name": " "}, "Give the name of the person the gift"),
        (
            {"tribute_type": "memory", "tribute_name": "Mary", "tribute_notify_email": "x@"},
            "Enter a valid email address.",
        ),
        (
            {"tribute_type": "honor", "tribute_name": "Mary", "tribute_notify_name": "Charles"},
            "Give their email address",
        ),
        (
            {"tribute_type": "memory", "tribute_name": "M", "tribute_notify_email": "c@e.org"},
            "Give the name of the person to tell.",
        ),
        ({"tribute_type": "roast"}, "Select a valid choice"),
        ({"frequency": "weekly"}, "Select a valid choice"),
        ({"payment_method": "paypal"}, "Select a valid choice"),
        ({"name": ""}, "This field is required."),
    ],
)
def test_bad_input_on_a_campaign_page_is_refused_and_opens_nothing(
    alpha: Tenant,
    campaign: Campaign,
    connected: FakeStripe,  # noqa: F811
    changes: dict[str, str],
    message: str,
) -> None:
    response = Client(HTTP_HOST=alpha.host).post(PAGE, gift(**changes))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert connected.calls("/v1/checkout/sessions") == []


# --- Card testing --------------------------------------------------------------------------------


def test_the_hidden_field_filled_in_opens_nothing(
    alpha: Tenant,
    campaign: Campaign,
    connected: FakeStripe,  # noqa: F811
) -> None:
    response = Client(HTTP_HOST=alpha.host).post(PAGE, gift(website="http://spam.example"))

    assert response.status_code == 400
    assert "could not be taken from this form" in response.content.decode()
    assert connected.calls("/v1/checkout/sessions") == []


def test_one_client_is_limited_a_minute_with_a_page_that_says_so(
    alpha: Tenant,
    campaign: Campaign,
    connected: FakeStripe,  # noqa: F811
    settings: Settings,
) -> None:
    settings.GIVING_CHECKOUTS_PER_MINUTE = 2
    donor = Client(HTTP_HOST=alpha.host, REMOTE_ADDR="203.0.113.7")

    answers = [donor.post(PAGE, gift()).status_code for _ in range(3)]
    other = Client(HTTP_HOST=alpha.host, REMOTE_ADDR="203.0.113.8").post(PAGE, gift())

    assert answers == [303, 303, 429]
    assert other.status_code == 303
    refused = donor.post(PAGE, gift())
    assert refused["Retry-After"] == "60"
    html = refused.content.decode()
    assert "Too many payment pages were opened from your connection" in html
    assert '<header class="site">' in html  # the site's look
    assert len(connected.calls("/v1/checkout/sessions")) == 3


def test_the_organization_is_limited_a_minute_whatever_the_client(
    alpha: Tenant,
    campaign: Campaign,
    connected: FakeStripe,  # noqa: F811
    settings: Settings,
) -> None:
    settings.GIVING_CHECKOUTS_PER_ORGANIZATION_PER_MINUTE = 3
    answers = [
        Client(HTTP_HOST=alpha.host, REMOTE_ADDR=f"198.51.100.{number}").post(PAGE, gift())
        for number in range(1, 6)
    ]

    assert [answer.status_code for answer in answers] == [303, 303, 303, 429, 429]
    assert "Many payment pages were opened for Alpha Relief Fund" in answers[3].content.decode()
    assert len(connected.calls("/v1/checkout/sessions")) == 3


# --- Framing -------------------------------------------------------------------------------------


def test_only_the_giving_pages_may_be_framed_and_by_the_sites_listed_only(
    alpha: Tenant, campaign: Campaign
) -> None:
    donor = Client(HTTP_HOST=alpha.host)
    before = donor.get(PAGE + "?embed=1")
    with schema_context("alpha"):
        giving_frame_ancestors_set(
            text="https://www.example.org\nhttps://*.friends.example:8443/", acting_user=None
        )

    framed = donor.get(PAGE + "?embed=1")
    general = donor.get("/give/")
    login = donor.get("/accounts/login/")

    assert "frame-ancestors 'none'" in before["Content-Security-Policy"]
    for response in (framed, general):
        policy = response["Content-Security-Policy"]
        assert "frame-ancestors https://www.example.org https://*.friends.example:8443" in policy
        assert "script-src 'self'" in policy
        assert "X-Frame-Options" not in response
    assert "frame-ancestors 'none'" in login["Content-Security-Policy"]
    html = framed.content.decode()
    assert '<header class="site">' not in html and 'class="embedded"' in html
    assert 'target="_top"' in html


@pytest.mark.parametrize(
    "text",
    [
        "http://www.example.org",
        "https://www.example.org/path",
        "*",
        "'self'",
        "https://example.org; script-src *",
        "https://exa_mple.org",
        "\n".join(f"https://site{number}.example.org" for number in range(11)),
    ],
)
def test_a_site_that_is_not_an_https_origin_is_refused(
    alpha: Tenant, text: str, settings: Settings
) -> None:
    settings.PLATFORM_SCHEME = "https"  # as in production: http origins are refused
    owner = alpha.client(alpha.owner)

    response = owner.post("/settings/organization/giving/frames/", {"frame_ancestors": text})

    assert response.status_code == 400
    assert "https" in response.content.decode() or "At most 10" in response.content.decode()
    with schema_context("alpha"):
        assert not AuditEvent.objects.filter(action="giving.frame_ancestors_set").exists()


def test_an_administrator_lists_the_sites_in_the_settings(alpha: Tenant) -> None:
    owner = alpha.client(alpha.owner)

    response = owner.post(
        "/settings/organization/giving/frames/",
        {"frame_ancestors": "HTTPS://www.Example.org/\nhttps://www.example.org"},
    )

    assert response.status_code == 302
    page = owner.get("/settings/organization/").content.decode()
    assert "https://www.example.org</textarea>" in page
    viewer = alpha.client(alpha.user(Role.VIEWER))
    refused = viewer.post("/settings/organization/giving/frames/", {"frame_ancestors": ""})
    assert refused.status_code == 403


# --- The webhook records the gift with what the page asked ----------------------------------------


def _paid(alpha: Tenant, fake: FakeStripe, **form: str) -> dict[str, Any]:
    response = Client(HTTP_HOST=alpha.host).post(PAGE, gift(**form))
    assert response.status_code == 303, response.content
    session_id = response["Location"].rsplit("/", 1)[1].split("#")[0]
    return fake.checkout_session_pay(session_id)


def test_the_gift_is_recorded_with_its_campaign_tribute_and_the_donors_wishes(
    alpha: Tenant,
    campaign: Campaign,
    connected: FakeStripe,  # noqa: F811
    deliver: Deliver,  # noqa: F811
) -> None:
    session = _paid(
        alpha,
        connected,
        cover_fees="on",
        tribute_type="honor",
        tribute_name="Mary Somerville",
        tribute_notify_name="Charles Babbage",
        tribute_notify_email="charles@example.org",
        anonymous="on",
        email_opt_in="on",
    )

    assert deliver(completed(session)).status_code == 200

    with schema_context("alpha"):
        recorded = Gift.objects.select_related("campaign", "donor").get()
        assert recorded.state == GiftState.POSTED
        assert recorded.amount == Decimal("51.80")
        assert recorded.campaign == campaign
        assert recorded.tribute_type == TributeType.HONOR
        assert recorded.tribute_name == "Mary Somerville"
        assert recorded.notify_name == "Charles Babbage"
        assert recorded.notify_email == "charles@example.org"
        assert recorded.anonymous is True
        assert recorded.designation == "Gift of $50.00 with $1.80 added to cover the fee"
        assert recorded.donor.email_news_ok is True
        assert recorded.donor.email_ok is True  # receipts go out whatever the opt-in
    # The campaign's progress moved, on its public page and on the staff's.
    assert "$51.80</strong> raised" in Client(HTTP_HOST=alpha.host).get(PAGE).content.decode()
    staff = alpha.client(alpha.owner).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert '<dd data-testid="raised">$51.80</dd>' in staff


def test_a_known_donor_keeps_their_preference_unless_they_opt_in(
    alpha: Tenant,
    campaign: Campaign,
    connected: FakeStripe,  # noqa: F811
    deliver: Deliver,  # noqa: F811
) -> None:
    with schema_context("alpha"):
        known = donor_made("Ada", "Lovelace", emails=("ada@example.org",))
        Donor.objects.filter(pk=known.pk).update(email_news_ok=True)

    deliver(completed(_paid(alpha, connected)))  # not ticked: stays opted in
    with schema_context("alpha"):
        assert Donor.objects.get(pk=known.pk).email_news_ok is True
        Donor.objects.filter(pk=known.pk).update(email_news_ok=False)
    deliver(completed(_paid(alpha, connected, email_opt_in="on")))

    with schema_context("alpha"):
        assert Donor.objects.get(pk=known.pk).email_news_ok is True
        assert Gift.objects.filter(donor=known, anonymous=False).count() == 2
        assert Donor.objects.count() == 1


def test_a_new_donor_who_did_not_opt_in_gets_receipts_but_no_news(
    alpha: Tenant,
    campaign: Campaign,
    connected: FakeStripe,  # noqa: F811
    deliver: Deliver,  # noqa: F811
) -> None:
    deliver(completed(_paid(alpha, connected)))

    with schema_context("alpha"):
        donor = Donor.objects.get()
        assert donor.email_news_ok is False and donor.email_ok is True
        assert Gift.objects.get().designation == ""  # the fee was not covered


# --- The fundraisers' side -----------------------------------------------------------------------


def test_a_fundraiser_sets_up_the_page_and_gets_the_embed_codes(alpha: Tenant) -> None:
    with schema_context("alpha"):
        made = campaign_create(code="GALA", name="Winter gala", acting_user=None)
    fundraiser = alpha.client(alpha.user(Role.FUNDRAISER))

    before = fundraiser.get(f"/campaigns/{made.pk}/").content.decode()
    form = fundraiser.get(f"/campaigns/{made.pk}/giving-page/")
    saved = fundraiser.post(
        f"/campaigns/{made.pk}/giving-page/",
        {"slug": "winter-gala", "is_public": "on", "story": "A night.", "giving_fund": ""},
    )
    after = fundraiser.get(f"/campaigns/{made.pk}/").content.decode()

    assert "This campaign has no public giving page yet." in before
    assert form.status_code == 200
    assert saved.status_code == 302
    assert "http://alpha.localhost/give/winter-gala/" in after
    assert (
        "&lt;a href=&quot;http://alpha.localhost/give/winter-gala/&quot; style=" in after
    )  # the button, as text to copy
    assert "&lt;iframe src=&quot;http://alpha.localhost/give/winter-gala/?embed=1&quot;" in after
    assert "donations/copy_code" in after
    with schema_context("alpha"):
        assert AuditEvent.objects.filter(action="campaign.giving_page_update").count() == 1


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"slug": "Spring Appeal"}, "3 to 60 lowercase letters, digits and dashes"),
        ({"slug": "ab"}, "3 to 60 lowercase letters, digits and dashes"),
        ({"slug": "-spring"}, "3 to 60 lowercase letters, digits and dashes"),
        ({"slug": "thanks"}, "This address is taken by another page."),
        ({"slug": "manage"}, "This address is taken by another page."),
        ({"slug": "taken-page"}, "Another campaign has this address."),
        ({"slug": "", "is_public": "on"}, "Required for a page open to donors."),
        ({"slug": "fine-page", "giving_fund": "NOPE"}, "Select a valid choice"),
    ],
)
def test_a_bad_page_setting_is_refused_and_changes_nothing(
    alpha: Tenant, form: dict[str, str], message: str
) -> None:
    with schema_context("alpha"):
        made = campaign_create(code="GALA", name="Winter gala", acting_user=None)
        other = campaign_create(code="OTHER", name="Other", acting_user=None)
        campaign_giving_page_update(
            campaign=other, slug="taken-page", is_public=False, story="", giving_fund="",
            acting_user=None,
        )  # fmt: skip

    response = alpha.client(alpha.user(Role.FUNDRAISER)).post(
        f"/campaigns/{made.pk}/giving-page/", {"story": "", "giving_fund": "", **form}
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    with schema_context("alpha"):
        assert Campaign.objects.get(pk=made.pk).slug == ""


@pytest.mark.parametrize("role", [Role.VIEWER, Role.VOLUNTEER])
def test_those_who_do_not_record_gifts_cannot_change_the_page(
    alpha: Tenant, campaign: Campaign, role: str
) -> None:
    client = alpha.client(alpha.user(role))
    upload = io.BytesIO(_png())
    upload.name = "wells.png"

    answers = [
        client.get(f"/campaigns/{campaign.pk}/giving-page/"),
        client.post(f"/campaigns/{campaign.pk}/giving-page/", {"slug": "stolen"}),
        client.post(f"/campaigns/{campaign.pk}/giving-page/image/", {"image": upload}),
        client.post(f"/campaigns/{campaign.pk}/giving-page/image/delete/"),
    ]

    assert [answer.status_code for answer in answers] == [403] * 4
    with schema_context("alpha"):
        assert Campaign.objects.get(pk=campaign.pk).slug == "spring-appeal"


def test_another_organizations_campaign_page_is_not_found(
    alpha: Tenant, beta: Tenant, campaign: Campaign
) -> None:
    assert Client(HTTP_HOST=beta.host).get(PAGE).status_code == 404
    beta_fundraiser = beta.client(beta.user(Role.FUNDRAISER))
    assert beta_fundraiser.get(f"/campaigns/{campaign.pk}/giving-page/").status_code == 404


def test_before_giving_is_live_a_campaign_page_tells_its_story_without_the_form(
    alpha: Tenant,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    with schema_context("alpha"):
        _campaign()

    response = Client(HTTP_HOST=alpha.host).get(PAGE)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Spring appeal</h1>" in html and "Every gift digs." in html
    assert "Online giving is not set up for Alpha Relief Fund yet." in html
    assert "give-form" not in html

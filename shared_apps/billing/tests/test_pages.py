"""The billing page on an organization's host: who sees it, what it shows with and without
Stripe, and its Checkout and portal buttons."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django import Settings

from shared_apps.billing.models import Subscription
from shared_apps.billing.tests.fake_stripe import FakeStripe
from shared_apps.users.roles import Role
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

PAGE, CHECKOUT, PORTAL = "/billing/", "/billing/checkout/", "/billing/portal/"


def test_an_owner_sees_the_plan_status_trial_end_and_usage_without_stripe(
    alpha: Tenant, on_trial: Subscription, settings: Settings
) -> None:
    settings.STRIPE_SECRET_KEY = ""

    page = alpha.client(alpha.owner).get(PAGE)

    assert page.status_code == 200
    text = page.content.decode()
    assert "<strong>Standard</strong>" in text
    assert "Trial" in text
    assert on_trial.trial_ends_at is not None
    assert on_trial.trial_ends_at.strftime("%Y") in text
    assert "Trial ends" in text
    assert "Stripe is not configured" in text
    assert "Subscribe to" not in text
    assert "Manage card" not in text
    assert "Donors: 0 of 10000" in text
    assert "Staff users: 1 of 15" in text


def test_with_stripe_an_owner_can_subscribe_and_lands_on_stripe_checkout(
    alpha: Tenant, on_trial: Subscription, fake_stripe: FakeStripe
) -> None:
    client = alpha.client(alpha.owner)
    page = client.get(PAGE)
    assert "Subscribe to Plus" in page.content.decode()

    response = client.post(CHECKOUT, {"plan": "plus"})

    assert response.status_code == 302
    assert response["Location"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    [call] = fake_stripe.calls("/v1/checkout/sessions")
    assert call.params["success_url"] == "http://alpha.localhost/billing/?checkout=done"
    assert "Manage card" in client.get(PAGE).content.decode()


def test_an_admin_opens_the_portal(
    alpha: Tenant, on_trial: Subscription, fake_stripe: FakeStripe
) -> None:
    Subscription.objects.filter(pk=on_trial.pk).update(stripe_customer_id="cus_page")
    client = alpha.client(alpha.user(Role.ADMIN, email="admin@alpha.org"))

    response = client.post(PORTAL)

    assert response.status_code == 302
    assert response["Location"].startswith("https://billing.stripe.com/p/session/")
    [call] = fake_stripe.calls("/v1/billing_portal/sessions")
    assert call.params["return_url"] == "http://alpha.localhost/billing/"


def test_refusals_come_back_to_the_page_with_their_message(
    alpha: Tenant, on_trial: Subscription, settings: Settings
) -> None:
    settings.STRIPE_SECRET_KEY = ""
    client = alpha.client(alpha.owner)

    for path, data in ((CHECKOUT, {"plan": "plus"}), (PORTAL, {}), (CHECKOUT, {"plan": "nope"})):
        response = client.post(path, data, follow=True)
        assert response.status_code == 200
        assert response.redirect_chain == [("/billing/", 302)]
        messages = [str(m) for m in response.context["messages"]]
        assert messages
        assert "Stripe is not configured" in messages[0] or "Choose" in messages[0]


def test_a_stripe_error_is_a_message_not_a_500(
    alpha: Tenant, on_trial: Subscription, fake_stripe: FakeStripe
) -> None:
    fake_stripe.failures["/v1/customers"] = 402

    response = alpha.client(alpha.owner).post(CHECKOUT, {"plan": "plus"}, follow=True)

    assert response.status_code == 200
    assert "Stripe could not be reached" in response.content.decode()


@pytest.mark.parametrize("role", [Role.BOOKKEEPER, Role.FUNDRAISER, Role.VIEWER, Role.VOLUNTEER])
def test_staff_who_do_not_manage_the_organization_are_refused(
    alpha: Tenant, on_trial: Subscription, fake_stripe: FakeStripe, role: str
) -> None:
    client = alpha.client(alpha.user(role, email=f"{role}@alpha.org"))

    assert client.get(PAGE).status_code == 403
    assert client.post(CHECKOUT, {"plan": "plus"}).status_code == 403
    assert client.post(PORTAL).status_code == 403
    assert fake_stripe.requests == []


def test_anonymous_visitors_go_to_the_login_page(alpha: Tenant, on_trial: Subscription) -> None:
    for method, path in (("get", PAGE), ("post", CHECKOUT), ("post", PORTAL)):
        response = getattr(alpha.client(), method)(path)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_another_tenants_session_is_no_login_here(
    alpha: Tenant, beta: Tenant, on_trial: Subscription, fake_stripe: FakeStripe
) -> None:
    session = beta.client(beta.owner).cookies["sessionid"].value
    replay = Client(HTTP_HOST=alpha.host)
    replay.cookies["sessionid"] = session

    for method, path in (("get", PAGE), ("post", CHECKOUT), ("post", PORTAL)):
        response = getattr(replay, method)(path, {"plan": "plus"} if method == "post" else {})
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    assert fake_stripe.requests == []


def test_beta_sees_its_own_plan_not_alphas(
    alpha: Tenant, beta: Tenant, on_trial: Subscription, settings: Settings
) -> None:
    settings.STRIPE_SECRET_KEY = ""
    page = beta.client(beta.owner).get(PAGE).content.decode()
    assert "Standard" not in page
    assert "no plan yet" in page


def test_the_billing_page_is_only_on_tenant_hosts(public_client: Client) -> None:
    assert public_client.get(PAGE).status_code == 404


def test_the_page_answers_get_and_the_buttons_post_only(
    alpha: Tenant, on_trial: Subscription
) -> None:
    client = alpha.client(alpha.owner)
    assert client.get(CHECKOUT).status_code == 405
    assert client.get(PORTAL).status_code == 405
    assert client.post(PAGE).status_code == 405

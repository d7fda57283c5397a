"""Stripe Connect for online giving, through the organization settings: the owner connects
the organization's own Stripe account (created once, onboarded through Account Links), comes
back to a state read again from Stripe, and disconnects; every change is audited; nobody but
the owner does any of it; Stripe refusing or not configured changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context
from pytest_django import Settings

from shared_apps.billing.tests.fake_stripe import FakeStripe
from shared_apps.tenants.models import Organization
from shared_apps.users.roles import Role
from tenant_apps.core.models import AuditEvent
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

SETTINGS = "/settings/organization/"
CONNECT = f"{SETTINGS}giving/connect/"
RETURN = f"{SETTINGS}giving/return/"
REFRESH = f"{SETTINGS}giving/refresh/"
DISCONNECT = f"{SETTINGS}giving/disconnect/"


def _alpha() -> Organization:
    return Organization.objects.get(slug="alpha")


def _audited(action: str) -> list[AuditEvent]:
    with schema_context("alpha"):
        return list(AuditEvent.objects.filter(action=action))


@pytest.fixture
def owner(alpha: Tenant, fake_stripe: FakeStripe) -> Client:
    return alpha.client(alpha.owner)


def test_the_owner_connects_an_account_and_is_sent_to_stripes_onboarding(
    owner: Client, fake_stripe: FakeStripe
) -> None:
    response = owner.post(CONNECT)

    assert response.status_code == 302
    assert response["Location"].startswith("https://connect.stripe.com/setup/s/acct_1Test")
    organization = _alpha()
    assert organization.stripe_account_id.startswith("acct_1Test")
    assert not organization.stripe_charges_enabled and not organization.stripe_payouts_enabled
    (created,) = fake_stripe.calls("/v1/accounts")
    assert created.params["type"] == "standard"
    assert created.params["metadata[organization_id]"] == str(organization.pk)
    (link,) = fake_stripe.calls("/v1/account_links")
    assert link.params == {
        "account": organization.stripe_account_id,
        "refresh_url": "http://alpha.localhost/settings/organization/giving/refresh/",
        "return_url": "http://alpha.localhost/settings/organization/giving/return/",
        "type": "account_onboarding",
    }
    (audit,) = _audited("organization.stripe_connect")
    assert audit.detail["stripe_account_id"] == ["", organization.stripe_account_id]


def test_coming_back_reads_the_account_again_and_giving_goes_live_once_it_takes_charges(
    owner: Client, fake_stripe: FakeStripe
) -> None:
    owner.post(CONNECT)
    account = _alpha().stripe_account_id

    # Back with onboarding left half done: still not live, and said so.
    response = owner.get(RETURN, follow=True)
    assert "Stripe does not take charges on the account yet" in response.content.decode()
    assert not _alpha().stripe_charges_enabled

    fake_stripe.account_onboarded(account)
    response = owner.get(RETURN, follow=True)

    html = response.content.decode()
    assert "Online giving is live" in html
    assert "Yes: online giving is live" in html
    organization = _alpha()
    assert organization.stripe_charges_enabled and organization.stripe_payouts_enabled
    assert organization.stripe_default_currency == "usd"
    assert [call.method for call in fake_stripe.calls(f"/v1/accounts/{account}")] == [
        "GET",
        "GET",
    ]
    (audit,) = _audited("organization.stripe_account_update")
    assert audit.detail["stripe_charges_enabled"] == [False, True]
    # The dashboard's step is done.
    assert "Online giving is live" in owner.get("/").content.decode()


def test_an_expired_link_gets_a_new_one_for_the_same_account(
    owner: Client, fake_stripe: FakeStripe
) -> None:
    owner.post(CONNECT)
    account = _alpha().stripe_account_id

    response = owner.get(REFRESH)

    assert response.status_code == 302
    assert f"/setup/s/{account}/" in response["Location"]
    assert len(fake_stripe.calls("/v1/accounts")) == 1
    assert len(fake_stripe.calls("/v1/account_links")) == 2


def test_the_owner_disconnects_and_the_account_is_forgotten(
    owner: Client, fake_stripe: FakeStripe
) -> None:
    owner.post(CONNECT)
    account = _alpha().stripe_account_id
    fake_stripe.account_onboarded(account)
    owner.get(RETURN)

    response = owner.post(DISCONNECT, follow=True)

    assert "The Stripe account is disconnected" in response.content.decode()
    organization = _alpha()
    assert organization.stripe_account_id == ""
    assert not organization.stripe_charges_enabled
    (audit,) = _audited("organization.stripe_disconnect")
    assert audit.detail["stripe_account_id"] == [account, ""]
    # Nothing left to disconnect: a message, no change.
    response = owner.post(DISCONNECT, follow=True)
    assert "No Stripe account is connected." in response.content.decode()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.BOOKKEEPER, Role.FUNDRAISER, Role.VIEWER])
def test_only_the_owner_connects_or_disconnects(
    alpha: Tenant, fake_stripe: FakeStripe, role: str
) -> None:
    client = alpha.client(alpha.user(role))

    assert client.post(CONNECT).status_code == 403
    assert client.get(REFRESH).status_code == 403
    assert client.get(RETURN).status_code == 403
    assert client.post(DISCONNECT).status_code == 403
    assert _alpha().stripe_account_id == ""
    assert fake_stripe.requests == []


def test_an_administrator_sees_the_state_but_no_button(
    alpha: Tenant, fake_stripe: FakeStripe
) -> None:
    html = alpha.client(alpha.user(Role.ADMIN)).get(SETTINGS).content.decode()

    assert '<h2 id="giving-heading">Online giving</h2>' in html
    assert "Only the organization's owner connects" in html
    assert CONNECT not in html


def test_another_organizations_owner_gets_nothing(
    alpha: Tenant, beta: Tenant, fake_stripe: FakeStripe
) -> None:
    # Beta's owner's session is bound to beta's host: on alpha's, it is nobody's.
    client = beta.client(beta.owner)
    client.defaults["HTTP_HOST"] = alpha.host

    response = client.post(CONNECT)

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert _alpha().stripe_account_id == ""


def test_stripe_refusing_changes_nothing(owner: Client, fake_stripe: FakeStripe) -> None:
    fake_stripe.failures["/v1/accounts"] = 500

    response = owner.post(CONNECT, follow=True)

    assert "Stripe could not be reached or refused the request" in response.content.decode()
    assert _alpha().stripe_account_id == ""
    assert _audited("organization.stripe_connect") == []


def test_without_stripe_configured_nothing_is_connected(alpha: Tenant, settings: Settings) -> None:
    settings.STRIPE_SECRET_KEY = ""
    owner = alpha.client(alpha.owner)

    assert "Stripe is not configured on this installation" in owner.get(SETTINGS).content.decode()
    response = owner.post(CONNECT, follow=True)

    assert "Stripe is not configured on this installation" in response.content.decode()
    assert _alpha().stripe_account_id == ""

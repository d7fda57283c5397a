"""Session login for pages: host-only cookies, per-schema sessions, throttled failures."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.test import Client

from tests.plugin import OWNER_PASSWORD, Tenant

if TYPE_CHECKING:
    from tests.helpers import TestResponse


pytestmark = pytest.mark.django_db


def _login(client: Client, email: str, password: str) -> TestResponse:
    return client.post("/accounts/login/", {"username": email, "password": password})


def test_login_page_logs_staff_in_and_shows_their_organization(alpha: Tenant) -> None:
    client = alpha.client()

    response = _login(client, "owner@alpha.org", OWNER_PASSWORD)
    home = client.get("/")

    assert response.status_code == 302
    assert home.status_code == 200
    assert b"Alpha Relief Fund" in home.content
    assert b"<h1>Dashboard</h1>" in home.content


def test_session_cookie_is_host_only(alpha: Tenant) -> None:
    client = alpha.client()

    _login(client, "owner@alpha.org", OWNER_PASSWORD)

    cookie = client.cookies["sessionid"]
    assert cookie["domain"] == ""  # no Domain attribute: browsers send it to this host only
    assert cookie["httponly"]


def test_session_of_one_tenant_is_not_a_login_on_another(alpha: Tenant, beta: Tenant) -> None:
    client = alpha.client()
    _login(client, "owner@alpha.org", OWNER_PASSWORD)
    intruder = beta.client()
    intruder.cookies["sessionid"] = client.cookies["sessionid"].value

    response = intruder.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_wrong_password_shows_the_form_again(alpha: Tenant) -> None:
    response = _login(alpha.client(), "owner@alpha.org", "nope")

    assert response.status_code == 200
    assert b"Please enter a correct" in response.content


def test_failed_page_logins_are_throttled(alpha: Tenant) -> None:
    client = alpha.client()
    for _ in range(settings.LOGIN_ATTEMPTS_PER_MINUTE):
        _login(client, "owner@alpha.org", "nope")

    response = _login(client, "owner@alpha.org", OWNER_PASSWORD)

    assert response.status_code == 429
    assert b"Too many login attempts" in response.content
    assert "sessionid" not in client.cookies


def test_tenant_staff_cannot_log_in_on_the_public_host(
    alpha: Tenant, public_client: Client
) -> None:
    response = _login(public_client, "owner@alpha.org", OWNER_PASSWORD)
    assert response.status_code == 200  # the form again: no such operator
    assert "sessionid" not in public_client.cookies

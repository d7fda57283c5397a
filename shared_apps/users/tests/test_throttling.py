"""Login throttling: failures lock a client out per schema, whichever login they use, and a
client cannot escape its counter by writing its own X-Forwarded-For; successes only meet a
higher ceiling, so an office behind one address is never locked out by its own staff."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client
from pytest_django import Settings
from rest_framework.test import APIClient

from tests.plugin import OWNER_PASSWORD, Tenant

if TYPE_CHECKING:
    from tests.helpers import TestResponse


pytestmark = pytest.mark.django_db


def _api_login(tenant: Tenant, password: str, **extra: Any) -> TestResponse:
    return APIClient(HTTP_HOST=tenant.host).post(
        "/api/v1/auth/login/",
        {"email": f"owner@{tenant.slug}.org", "password": password},
        format="json",
        **extra,
    )


def _page_login(client: Client, email: str, password: str, **extra: Any) -> TestResponse:
    return client.post("/accounts/login/", {"username": email, "password": password}, **extra)


def _forged(number: int) -> dict[str, Any]:
    return {"HTTP_X_FORWARDED_FOR": f"203.0.113.{number}"}


def test_api_login_failures_with_a_new_forwarded_for_each_are_still_throttled(
    alpha: Tenant, settings: Settings
) -> None:
    limit = settings.LOGIN_ATTEMPTS_PER_MINUTE

    statuses = [_api_login(alpha, "wrong", **_forged(n)).status_code for n in range(limit)]
    blocked = _api_login(alpha, OWNER_PASSWORD, **_forged(200))

    assert statuses == [400] * limit
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "throttled"


@pytest.mark.parametrize("host", ["alpha.localhost", "localhost"])
def test_page_login_failures_with_a_new_forwarded_for_each_are_still_throttled(
    alpha: Tenant, settings: Settings, host: str
) -> None:
    from django.test import Client

    client = Client(HTTP_HOST=host)
    limit = settings.LOGIN_ATTEMPTS_PER_MINUTE

    statuses = [
        _page_login(client, "owner@alpha.org", "wrong", **_forged(n)).status_code
        for n in range(limit)
    ]
    blocked = _page_login(client, "owner@alpha.org", OWNER_PASSWORD, **_forged(200))

    assert statuses == [200] * limit
    assert blocked.status_code == 429
    assert b"Too many login attempts" in blocked.content
    assert "sessionid" not in client.cookies


def test_successful_logins_of_an_office_behind_one_address_are_not_locked_out(
    alpha: Tenant,
) -> None:
    api_statuses = [_api_login(alpha, OWNER_PASSWORD).status_code for _ in range(15)]
    page_statuses = [
        _page_login(alpha.client(), "owner@alpha.org", OWNER_PASSWORD).status_code
        for _ in range(15)
    ]

    assert api_statuses == [200] * 15
    assert page_statuses == [302] * 15


def test_the_eleventh_failure_is_refused_after_successes(alpha: Tenant, settings: Settings) -> None:
    settings.LOGIN_ATTEMPTS_PER_MINUTE = 10
    for _ in range(5):
        assert _api_login(alpha, OWNER_PASSWORD).status_code == 200

    failures = [_api_login(alpha, "wrong").status_code for _ in range(10)]
    eleventh = _api_login(alpha, "wrong")

    assert failures == [400] * 10
    assert eleventh.status_code == 429


def test_pages_and_api_share_one_failure_counter(alpha: Tenant, settings: Settings) -> None:
    settings.LOGIN_ATTEMPTS_PER_MINUTE = 4
    client = alpha.client()
    for _ in range(2):
        assert _api_login(alpha, "wrong").status_code == 400
        assert _page_login(client, "owner@alpha.org", "wrong").status_code == 200

    assert _api_login(alpha, OWNER_PASSWORD).status_code == 429
    assert _page_login(client, "owner@alpha.org", OWNER_PASSWORD).status_code == 429


def test_all_attempts_meet_the_ceiling(alpha: Tenant, settings: Settings) -> None:
    settings.LOGIN_REQUESTS_PER_MINUTE = 6
    statuses = [_api_login(alpha, OWNER_PASSWORD).status_code for _ in range(3)]
    statuses += [
        _page_login(alpha.client(), "owner@alpha.org", OWNER_PASSWORD).status_code for _ in range(3)
    ]

    assert statuses == [200, 200, 200, 302, 302, 302]
    assert _api_login(alpha, OWNER_PASSWORD).status_code == 429
    assert _page_login(alpha.client(), "owner@alpha.org", OWNER_PASSWORD).status_code == 429
    # another address has its own ceiling
    assert _api_login(alpha, OWNER_PASSWORD, REMOTE_ADDR="10.0.0.9").status_code == 200


def test_failures_in_one_tenant_do_not_lock_out_another(
    alpha: Tenant, beta: Tenant, settings: Settings
) -> None:
    for _ in range(settings.LOGIN_ATTEMPTS_PER_MINUTE):
        _api_login(alpha, "wrong")

    assert _api_login(alpha, OWNER_PASSWORD).status_code == 429
    assert _api_login(beta, OWNER_PASSWORD).status_code == 200


def test_password_reset_requests_are_limited_like_failed_logins(
    alpha: Tenant, settings: Settings
) -> None:
    client = APIClient(HTTP_HOST=alpha.host)
    limit = settings.LOGIN_ATTEMPTS_PER_MINUTE

    statuses = [
        client.post(
            "/api/v1/auth/password/reset/",
            {"email": "nobody@alpha.org"},
            format="json",
            **_forged(n),
        ).status_code
        for n in range(limit + 1)
    ]

    assert statuses == [200] * limit + [429]


def test_the_password_reset_page_sends_no_more_emails_past_the_limit(
    alpha: Tenant, settings: Settings
) -> None:
    from django.core import mail
    from django.test import Client

    client = Client(HTTP_HOST=alpha.host)
    limit = settings.LOGIN_ATTEMPTS_PER_MINUTE

    statuses = [
        client.post(
            "/accounts/password_reset/", {"email": "owner@alpha.org"}, **_forged(n)
        ).status_code
        for n in range(limit + 1)
    ]

    assert statuses == [302] * limit + [429]
    assert len(mail.outbox) == limit
    refused = client.post("/accounts/password_reset/", {"email": "owner@alpha.org"})
    assert b"Too many password-reset requests" in refused.content


def test_token_refresh_is_limited_per_client(alpha: Tenant, settings: Settings) -> None:
    client = APIClient(HTTP_HOST=alpha.host)
    limit = settings.LOGIN_REQUESTS_PER_MINUTE

    statuses = [
        client.post(
            "/api/v1/auth/token/refresh/", {"refresh": "junk"}, format="json", **_forged(n)
        ).status_code
        for n in range(limit + 1)
    ]

    assert statuses == [401] * limit + [429]

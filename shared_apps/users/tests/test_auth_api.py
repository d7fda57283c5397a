"""JWT login, refresh, logout and password flows under /api/v1/auth/, bound to the tenant."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jwt
import pytest
from django.conf import settings
from django.core import mail

from shared_apps.users.tests.factories import PASSWORD
from tests.plugin import OWNER_PASSWORD, Tenant

if TYPE_CHECKING:
    from tests.helpers import TestResponse


pytestmark = pytest.mark.django_db


def _login(tenant: Tenant, email: str, password: str) -> TestResponse:
    return tenant.api().post(
        "/api/v1/auth/login/", {"email": email, "password": password}, format="json"
    )


def test_login_answers_access_and_refresh_tokens_that_name_the_schema(alpha: Tenant) -> None:
    response = _login(alpha, "owner@alpha.org", OWNER_PASSWORD)

    assert response.status_code == 200
    body = response.json()
    for kind in ("access", "refresh"):
        claims = jwt.decode(body[kind], settings.SECRET_KEY, algorithms=["HS256"])
        assert claims["schema"] == "alpha"
    assert body["user"]["email"] == "owner@alpha.org"
    assert body["user"]["role"] == "owner"


def test_login_is_case_insensitive_on_email(alpha: Tenant) -> None:
    assert _login(alpha, "Owner@Alpha.ORG", OWNER_PASSWORD).status_code == 200


def test_wrong_password_gets_400_in_the_error_shape(alpha: Tenant) -> None:
    response = _login(alpha, "owner@alpha.org", "wrong")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400
    assert error["code"] == "invalid"
    assert "Unable to log in" in error["message"]


def test_missing_fields_name_the_fields(alpha: Tenant) -> None:
    response = alpha.api().post("/api/v1/auth/login/", {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"email", "password"}


def test_a_user_of_one_tenant_cannot_log_in_on_another(alpha: Tenant, beta: Tenant) -> None:
    assert _login(beta, "owner@alpha.org", OWNER_PASSWORD).status_code == 400


def test_token_works_on_its_own_host(alpha: Tenant) -> None:
    access = _login(alpha, "owner@alpha.org", OWNER_PASSWORD).json()["access"]
    client = alpha.api()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    response = client.get("/api/v1/auth/user/")

    assert response.status_code == 200
    assert response.json()["email"] == "owner@alpha.org"


def test_token_of_one_tenant_gets_401_on_another_even_with_the_same_user_id(
    alpha: Tenant, beta: Tenant
) -> None:
    access = _login(alpha, "owner@alpha.org", OWNER_PASSWORD).json()["access"]
    assert alpha.owner.pk == beta.owner.pk  # the id exists on beta too
    client = beta.api()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    response = client.get("/api/v1/auth/user/")

    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401


def test_token_of_a_tenant_gets_401_on_the_public_host(alpha: Tenant) -> None:
    from rest_framework.test import APIClient

    access = _login(alpha, "owner@alpha.org", OWNER_PASSWORD).json()["access"]
    client = APIClient(HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    assert client.get("/api/v1/auth/user/").status_code == 401


def test_refresh_rotates_and_the_used_refresh_token_is_blacklisted(alpha: Tenant) -> None:
    refresh = _login(alpha, "owner@alpha.org", OWNER_PASSWORD).json()["refresh"]
    client = alpha.api()

    first = client.post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")
    again = client.post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")

    assert first.status_code == 200
    assert set(first.json()) == {"access", "refresh"}
    assert first.json()["refresh"] != refresh
    assert (
        jwt.decode(first.json()["access"], settings.SECRET_KEY, algorithms=["HS256"])["schema"]
        == "alpha"
    )
    assert again.status_code == 401


def test_refresh_token_of_another_tenant_is_refused(alpha: Tenant, beta: Tenant) -> None:
    refresh = _login(alpha, "owner@alpha.org", OWNER_PASSWORD).json()["refresh"]

    response = beta.api().post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")

    assert response.status_code == 401


def test_token_verify_refuses_another_tenants_token(alpha: Tenant, beta: Tenant) -> None:
    access = _login(alpha, "owner@alpha.org", OWNER_PASSWORD).json()["access"]

    on_alpha = alpha.api().post("/api/v1/auth/token/verify/", {"token": access}, format="json")
    on_beta = beta.api().post("/api/v1/auth/token/verify/", {"token": access}, format="json")

    assert on_alpha.status_code == 200
    assert on_beta.status_code == 401


def test_logout_blacklists_the_refresh_token(alpha: Tenant) -> None:
    tokens = _login(alpha, "owner@alpha.org", OWNER_PASSWORD).json()
    client = alpha.api()

    logout = client.post("/api/v1/auth/logout/", {"refresh": tokens["refresh"]}, format="json")
    refresh = client.post(
        "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )

    assert logout.status_code == 200
    assert refresh.status_code == 401


def test_logout_refuses_another_tenants_refresh_token(alpha: Tenant, beta: Tenant) -> None:
    tokens = _login(alpha, "owner@alpha.org", OWNER_PASSWORD).json()

    response = beta.api().post(
        "/api/v1/auth/logout/", {"refresh": tokens["refresh"]}, format="json"
    )
    still_valid = alpha.api().post(
        "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )

    assert response.status_code == 401
    assert still_valid.status_code == 200


def test_refresh_for_a_deleted_user_is_401_not_500(in_alpha: Tenant) -> None:
    user = in_alpha.user("viewer")
    refresh = in_alpha.refresh_token(user)

    user.delete()

    response = in_alpha.api().post(
        "/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json"
    )

    assert response.status_code == 401


def test_login_attempts_are_throttled(alpha: Tenant) -> None:
    limit = settings.LOGIN_ATTEMPTS_PER_MINUTE
    statuses = [_login(alpha, "owner@alpha.org", "wrong").status_code for _ in range(limit)]
    blocked = _login(alpha, "owner@alpha.org", OWNER_PASSWORD)

    assert statuses == [400] * limit
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "throttled"


def test_login_throttle_of_one_tenant_does_not_block_another(alpha: Tenant, beta: Tenant) -> None:
    for _ in range(settings.LOGIN_ATTEMPTS_PER_MINUTE):
        _login(alpha, "owner@alpha.org", "wrong")

    assert _login(beta, "owner@beta.org", OWNER_PASSWORD).status_code == 200


def test_password_change_requires_the_old_password(alpha: Tenant) -> None:
    user = alpha.user("bookkeeper")
    client = alpha.api(user)

    wrong = client.post(
        "/api/v1/auth/password/change/",
        {"old_password": "nope", "new_password1": "Brand-New-77", "new_password2": "Brand-New-77"},
        format="json",
    )
    right = client.post(
        "/api/v1/auth/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "Brand-New-77",
            "new_password2": "Brand-New-77",
        },
        format="json",
    )

    assert wrong.status_code == 400
    assert "old_password" in wrong.json()["error"]["fields"]
    assert right.status_code == 200
    assert _login(alpha, user.email, "Brand-New-77").status_code == 200


def test_password_reset_mails_a_link_on_the_tenants_own_host(alpha: Tenant) -> None:
    user = alpha.user("fundraiser")

    response = alpha.api().post(
        "/api/v1/auth/password/reset/", {"email": user.email}, format="json"
    )

    assert response.status_code == 200
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    assert "http://alpha.localhost/accounts/reset/" in mail.outbox[0].body


def test_password_reset_for_an_email_of_another_tenant_sends_nothing(
    alpha: Tenant, beta: Tenant
) -> None:
    response = beta.api().post(
        "/api/v1/auth/password/reset/", {"email": "owner@alpha.org"}, format="json"
    )

    assert response.status_code == 200  # no account enumeration
    assert mail.outbox == []

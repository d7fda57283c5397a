"""Which address a request comes from, for every throttle: the socket's address with no proxy
in front, the Nth address from the right of X-Forwarded-For behind N proxies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.test import RequestFactory
from pytest_django import Settings
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from saas_platform.lib.client_address import (
    AnonRateThrottle,
    ScopedRateThrottle,
    UserRateThrottle,
    client_address,
)
from tests.plugin import Tenant

if TYPE_CHECKING:
    from tests.helpers import TestResponse


def _request(*, remote: str = "198.51.100.7", forwarded: str | None = None) -> WSGIRequest:
    extra: dict[str, Any] = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_with_no_proxy_the_socket_address_is_the_client_whatever_the_header_says(
    settings: Settings,
) -> None:
    settings.NUM_PROXIES = 0

    assert client_address(request=_request(forwarded="203.0.113.1")) == "198.51.100.7"
    assert client_address(request=_request(forwarded="1.1.1.1, 2.2.2.2")) == "198.51.100.7"
    assert client_address(request=_request()) == "198.51.100.7"


def test_behind_one_proxy_the_rightmost_address_is_the_client(settings: Settings) -> None:
    settings.NUM_PROXIES = 1

    # the client wrote 6.6.6.6; the proxy appended the address it saw
    assert client_address(request=_request(forwarded="6.6.6.6, 203.0.113.9")) == "203.0.113.9"
    assert client_address(request=_request(forwarded=" 203.0.113.9 ")) == "203.0.113.9"


def test_behind_two_proxies_the_second_from_the_right_is_the_client(settings: Settings) -> None:
    settings.NUM_PROXIES = 2

    forwarded = "6.6.6.6, 203.0.113.9, 10.0.0.2"
    assert client_address(request=_request(forwarded=forwarded)) == "203.0.113.9"
    # fewer addresses than proxies: the leftmost
    assert client_address(request=_request(forwarded="203.0.113.9")) == "203.0.113.9"


def test_behind_a_proxy_without_the_header_the_socket_address_is_used(settings: Settings) -> None:
    settings.NUM_PROXIES = 1

    assert client_address(request=_request()) == "198.51.100.7"
    assert client_address(request=_request(forwarded=" , ")) == "198.51.100.7"


def test_drf_throttles_identify_clients_by_the_same_rule(settings: Settings) -> None:
    settings.NUM_PROXIES = 0
    request = _request(forwarded="203.0.113.1")

    for throttle in (AnonRateThrottle(), UserRateThrottle(), ScopedRateThrottle()):
        assert throttle.get_ident(request) == "198.51.100.7"
    configured = api_settings.user_settings["DEFAULT_THROTTLE_CLASSES"]
    assert configured == [
        "saas_platform.lib.client_address.AnonRateThrottle",
        "saas_platform.lib.client_address.UserRateThrottle",
        "saas_platform.lib.client_address.ScopedRateThrottle",
    ]
    # DRF's own rule, for any other throttle class, never trusts the header either
    assert api_settings.NUM_PROXIES is not None


@pytest.mark.django_db
def test_behind_one_proxy_api_login_failures_are_counted_by_the_rightmost_address(
    alpha: Tenant, settings: Settings
) -> None:
    settings.NUM_PROXIES = 1
    limit = settings.LOGIN_ATTEMPTS_PER_MINUTE
    client = APIClient(HTTP_HOST=alpha.host)

    def login(forwarded: str) -> TestResponse:
        return client.post(
            "/api/v1/auth/login/",
            {"email": "owner@alpha.org", "password": "wrong"},
            format="json",
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    # what the client writes to the left changes nothing: the proxy's address is what counts
    statuses = [login(f"10.9.{n}.1, 203.0.113.9").status_code for n in range(limit + 1)]
    other_client = login("203.0.113.10")

    assert statuses == [400] * limit + [429]
    assert other_client.status_code == 400


def test_num_proxies_defaults_to_zero_not_none() -> None:
    # None made DRF take the client-written header as the client
    assert settings.NUM_PROXIES == 0

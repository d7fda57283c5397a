"""The client every call to Stripe goes through: its HTTP on urllib3's pools, a Stripe that does
not answer reported and retried as the stripe library's own clients report it, and the proxy
the environment names. The calls themselves are tested wherever billing and online giving
talk to the fake Stripe server."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
import stripe
import urllib3
from pytest_django import Settings

from shared_apps.billing.stripe_api import (
    Urllib3Client,
    stripe_client,
    stripe_get,
    stripe_proxy_for,
)
from shared_apps.billing.tests.fake_stripe import FakeStripe


@pytest.fixture
def hanging_up(settings: Settings) -> Iterator[list[int]]:
    """Stripe's address a server that takes each connection and closes it unanswered; yields
    how many connections it took."""
    listener = socket.create_server(("127.0.0.1", 0))
    taken: list[int] = []

    def serve() -> None:
        while True:
            try:
                accepted, _ = listener.accept()
            except OSError:
                return  # closed: the test is over
            taken.append(1)
            accepted.close()

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    settings.STRIPE_SECRET_KEY = "sk_test_0123456789"
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{listener.getsockname()[1]}"
    yield taken
    listener.shutdown(socket.SHUT_RDWR)  # wakes the waiting accept(), which a close does not
    listener.close()
    server.join(timeout=5)
    assert not server.is_alive()


def test_a_read_is_answered_through_the_pool_and_its_connection_kept(
    fake_stripe: FakeStripe, settings: Settings
) -> None:
    session = fake_stripe.gift_paid_on_checkout(
        account="acct_1Reads", cents=5000, email="ada@example.org", metadata={}
    )
    path = f"/v1/payment_intents/{session['payment_intent']}"
    client = stripe_client()._requestor._get_http_client()
    assert isinstance(client, Urllib3Client)
    pool = client._pools.connection_from_url(settings.STRIPE_API_BASE)
    opened_before = pool.num_connections  # by earlier tests of this process, if any

    answers = [
        stripe_get(path, account="acct_1Reads", expand=["latest_charge.balance_transaction"])
        for _ in range(3)
    ]

    assert [answer["id"] for answer in answers] == [session["payment_intent"]] * 3
    assert answers[0]["latest_charge"]["balance_transaction"]["fee"] > 0
    assert len(fake_stripe.calls(path)) == 3
    assert fake_stripe.requests[-1].headers["stripe-account"] == "acct_1Reads"
    # The three calls on one kept-alive connection (one an earlier test left, or a new one).
    assert pool.num_connections - opened_before <= 1


def test_a_stripe_that_hangs_up_is_a_connection_error_after_the_librarys_retries(
    hanging_up: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stripe.HTTPClient, "_sleep_time_seconds", lambda self, *_: 0)

    with pytest.raises(stripe.APIConnectionError, match="communicating with Stripe"):
        stripe_get("/v1/charges", account="acct_1Unknown")

    assert len(hanging_up) == 3  # the call and max_network_retries (2) more


def test_the_proxy_the_environment_names_is_used_unless_no_proxy_names_stripe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("no_proxy", "NO_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert stripe_proxy_for("https://api.stripe.com") is None

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.org:3128")
    assert stripe_proxy_for("https://api.stripe.com") == "http://proxy.example.org:3128"
    assert isinstance(
        Urllib3Client(proxy=stripe_proxy_for("https://api.stripe.com"))._pools, urllib3.ProxyManager
    )

    monkeypatch.setenv("NO_PROXY", "localhost,.stripe.com")
    assert stripe_proxy_for("https://api.stripe.com") is None
    assert stripe_proxy_for("https://files.example.org") == "http://proxy.example.org:3128"

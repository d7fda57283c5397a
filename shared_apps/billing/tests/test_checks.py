"""Start-up checks of billing's settings."""

from __future__ import annotations

from pytest_django import Settings

from shared_apps.billing.apps import stripe_settings_check


def test_half_a_stripe_configuration_is_a_warning(settings: Settings) -> None:
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_1", ""
    [warning] = stripe_settings_check()
    assert warning.id == "billing.W001"
    assert "STRIPE_WEBHOOK_SECRET" in warning.msg

    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "", "whsec_1"
    assert "STRIPE_SECRET_KEY" in stripe_settings_check()[0].msg

    settings.STRIPE_SECRET_KEY = "sk_test_1"
    assert stripe_settings_check() == []
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "", ""
    assert stripe_settings_check() == []

"""The console's health page: the readiness checks /readyz gives the probes, in words."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from pytest_django import Settings

from saas_platform.lib.health import heartbeat_record
from shared_apps.billing.models import StripeEventOutcome
from tests.plugin import Tenant
from tests.test_readiness import connect_event_stored

pytestmark = pytest.mark.django_db


def _rows(html: str) -> dict[str, str]:
    """Check label -> state label, read from the table."""
    found = re.findall(
        r'<th scope="row">([^<]+)</th>\s*<td><span class="state state-\w+">([^<]+)</span>', html
    )
    return dict(found)


def test_operators_see_every_check_in_words(console: Client) -> None:
    heartbeat_record("worker")
    heartbeat_record("beat")

    response = console.get("/console/health/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Everything is working." in html
    assert _rows(html) == {
        "Database": "OK", "Redis": "OK", "Migrations": "OK", "Template schema": "OK",
        "Spare schemas": "OK", "Celery worker": "OK", "Celery beat": "OK",
        "Online giving events": "OK",
    }  # fmt: skip


def test_a_stopped_worker_and_missing_spares_show_what_to_do(
    console: Client, settings: Settings
) -> None:
    settings.PROVISIONING_SPARE_SCHEMAS = 2
    heartbeat_record("beat")

    html = console.get("/console/health/").content.decode()

    assert "Serving, but something needs an operator." in html
    rows = _rows(html)
    assert rows["Celery worker"] == "Down"
    assert rows["Spare schemas"] == "Running low"
    assert "No worker has reported." in html
    assert "0 of 2 ready. Signups clone the template until the worker makes more." in html


def test_online_giving_events_needing_attention_are_shown_in_words(
    console: Client, alpha: Tenant
) -> None:
    heartbeat_record("worker")
    heartbeat_record("beat")
    connect_event_stored(alpha.organization, outcome=StripeEventOutcome.NEEDS_ATTENTION)

    html = console.get("/console/health/").content.decode()

    assert "Serving, but something needs an operator." in html
    assert _rows(html)["Online giving events"] == "Needs attention"
    assert '<span class="state state-attention">' in html
    assert "1 event charged at Stripe not in the books (alpha)" in html


def test_redis_down_is_shown_not_a_server_error(console: Client, settings: Settings) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = console.get("/console/health/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Not serving" in html
    assert _rows(html)["Celery beat"] == "Not checked"

"""/metrics on the platform's host: Prometheus' text format for a scraper with the token, and
nothing (404) for anyone else or on an organization's host."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django_tenants.utils import schema_context
from pytest_django import DjangoDbBlocker, Settings

from provisioning.tasks import tenant_welcome_email_send
from saas_platform.lib.metrics import duration_record
from shared_apps.billing.models import StripeEventOutcome
from tests.plugin import Tenant
from tests.test_readiness import connect_event_stored

TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def scraper(settings: Settings) -> Client:
    settings.METRICS_TOKEN = TOKEN
    return Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")


def _value(body: str, sample: str) -> float:
    match = re.search(rf"^{re.escape(sample)} (\S+)$", body, re.MULTILINE)
    assert match, f"{sample} not in the exposition"
    return float(match.group(1))


@pytest.mark.django_db
def test_metrics_count_requests_tasks_provisioning_and_spares(
    scraper: Client, alpha: Tenant
) -> None:
    alpha.client().get("/accounts/login/")
    with schema_context(alpha.organization.schema_name):
        tenant_welcome_email_send.delay(alpha.organization.pk)
    duration_record(name="provisioning", seconds=0.25)
    duration_record(name="provisioning", seconds=0.5)

    response = scraper.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    body = response.content.decode()
    assert _value(body, 'ifm_http_requests_total{method="GET",status="200"}') >= 1
    assert "ifm_http_request_duration_seconds_bucket" in body
    task = "provisioning.tasks.tenant_welcome_email_send"
    assert _value(body, f'ifm_celery_tasks_total{{outcome="succeeded",task="{task}"}}') == 1
    assert _value(body, "ifm_provisioning_seconds_count") == 2
    assert _value(body, "ifm_provisioning_seconds_sum") == 0.75
    assert _value(body, "ifm_spare_schemas_ready") == 0
    assert _value(body, "ifm_spare_schemas_wanted") == 0
    assert _value(body, "ifm_template_ready") == 1
    assert _value(body, "ifm_migrations_missing") == 0
    assert _value(body, "ifm_connect_events_waiting") == 0
    assert _value(body, "ifm_connect_events_oldest_waiting_seconds") == 0
    assert _value(body, "ifm_connect_events_needing_attention") == 0


@pytest.mark.django_db
def test_metrics_give_online_givings_waiting_events(scraper: Client, alpha: Tenant) -> None:
    """Given two events waiting (one for ten minutes, one failed and waiting for the retry), one
    needing attention and one applied, the gauges count what waits and how long."""
    organization = alpha.organization
    connect_event_stored(organization, received_ago=timedelta(minutes=10))
    connect_event_stored(organization, outcome=StripeEventOutcome.FAILED)
    connect_event_stored(organization, outcome=StripeEventOutcome.NEEDS_ATTENTION)
    connect_event_stored(organization, outcome=StripeEventOutcome.PROCESSED)

    body = scraper.get("/metrics").content.decode()

    assert _value(body, "ifm_connect_events_waiting") == 2
    assert 600 <= _value(body, "ifm_connect_events_oldest_waiting_seconds") < 660
    assert _value(body, "ifm_connect_events_needing_attention") == 1


@pytest.mark.django_db
def test_a_failed_task_is_counted_as_failed(scraper: Client, alpha: Tenant) -> None:
    with schema_context(alpha.organization.schema_name):
        # no such organization; not thrown here, as a worker would not
        result = tenant_welcome_email_send.apply(args=(10**9,), throw=False)
    assert result.failed()

    body = scraper.get("/metrics").content.decode()

    task = "provisioning.tasks.tenant_welcome_email_send"
    assert _value(body, f'ifm_celery_tasks_total{{outcome="failed",task="{task}"}}') == 1


def test_provisioning_records_its_duration(
    scraper: Client, committed_tenant: object, django_db_blocker: DjangoDbBlocker
) -> None:
    with django_db_blocker.unblock():
        body = scraper.get("/metrics").content.decode()

    assert _value(body, "ifm_provisioning_seconds_count") == 1
    assert _value(body, "ifm_provisioning_seconds_sum") > 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization", ["", "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x"]
)
def test_without_the_token_there_is_nothing(scraper: Client, authorization: str) -> None:
    response = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=authorization).get("/metrics")

    assert response.status_code == 404
    assert b"ifm_" not in response.content


@pytest.mark.django_db
def test_without_a_configured_token_metrics_are_off(public_client: Client) -> None:
    response = public_client.get("/metrics", HTTP_AUTHORIZATION="Bearer ")

    assert response.status_code == 404


@pytest.mark.django_db
def test_an_organizations_host_has_no_metrics(scraper: Client, alpha: Tenant) -> None:
    response = alpha.client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 404

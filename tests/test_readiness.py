"""/readyz: liveness plus migrations, the template, spare schemas, the worker's and beat's
heartbeats and online giving's waiting events; 503 only when the web cannot serve (database,
Redis, migrations), `degraded` when an operator must act but requests are still answered. One
test per state of each check."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, NoReturn

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import Settings

from provisioning.health import giving_check
from provisioning.models import SpareSchema
from provisioning.template import template_state
from saas_platform.lib.health import HEARTBEAT_KEY, heartbeat_record, redis_client
from shared_apps.billing.models import ConnectEvent, StripeEventOutcome
from shared_apps.billing.services.connect_events import ConnectBacklog, connect_events_backlog
from shared_apps.tenants.models import Organization, OrganizationState
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def alive() -> None:
    """The worker and beat have just reported."""
    heartbeat_record("worker")
    heartbeat_record("beat")


def _heartbeat_at(name: str, seconds_ago: float) -> None:
    redis_client().set(HEARTBEAT_KEY.format(name=name), f"{time.time() - seconds_ago:.3f}")


def _ready(client: Client) -> tuple[int, dict[str, Any]]:
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"].startswith("max-age=0")
    return response.status_code, response.json()


@pytest.mark.parametrize("host", ["localhost", "alpha.localhost"])
def test_everything_ready_answers_200_ok_on_every_host(alive: None, host: str) -> None:
    status, body = _ready(Client(HTTP_HOST=host))

    assert status == 200
    assert body["status"] == "ok"
    assert body["checks"] == {
        "database": "ok", "redis": "ok", "migrations": "ok", "template": "ok",
        "spares": "ok", "worker": "ok", "beat": "ok", "giving": "ok",
    }  # fmt: skip
    assert body["details"]["spares"] == "None wanted."
    assert body["details"]["giving"] == "None waiting."


def test_readiness_is_cheap(
    alive: None, public_client: Client, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    public_client.get("/readyz")  # the routing cache is warm from here on

    with count_queries() as queries:
        public_client.get("/readyz")

    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SET ")]
    # SELECT 1, the template's two, the public schema's migrations, the spares' count, the
    # Connect events waiting
    assert len(statements) == 6


def test_a_suspended_tenants_host_still_answers(alpha: Tenant) -> None:
    from django.core.cache import caches

    from shared_apps.tenants.models import Organization, OrganizationState

    Organization.objects.filter(pk=alpha.organization.pk).update(state=OrganizationState.SUSPENDED)
    caches["tenant_routing"].clear()  # the update skipped the invalidation (and flushed Redis)
    heartbeat_record("worker")
    heartbeat_record("beat")

    status, body = _ready(alpha.client())

    assert (status, body["status"]) == (200, "ok")
    assert alpha.client().get("/accounts/login/").status_code == 403


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_a_heartbeat_never_recorded_is_down_and_degraded(public_client: Client, name: str) -> None:
    heartbeat_record("beat" if name == "worker" else "worker")

    status, body = _ready(public_client)

    assert (status, body["status"]) == (200, "degraded")
    assert body["checks"][name] == "down"
    assert [check for check, state in body["checks"].items() if state != "ok"] == [name]


@pytest.mark.parametrize(("name", "limit"), [("worker", 120), ("beat", 180)])
def test_an_old_heartbeat_is_stale(
    alive: None, public_client: Client, name: str, limit: int
) -> None:
    _heartbeat_at(name, limit - 5)
    assert _ready(public_client)[1]["checks"][name] == "ok"

    _heartbeat_at(name, limit + 5)
    status, body = _ready(public_client)

    assert (status, body["status"], body["checks"][name]) == (200, "degraded", "stale")
    assert f"more than {limit} s" in body["details"][name]


def test_spares_below_the_number_wanted_are_low(
    alive: None, public_client: Client, settings: Settings
) -> None:
    settings.PROVISIONING_SPARE_SCHEMAS = 2
    _, key = template_state()
    assert key is not None
    SpareSchema.objects.create(schema_name="_spare_readyz1", template_key=key)
    # a spare of another template state is never handed out, so it does not count
    SpareSchema.objects.create(schema_name="_spare_readyz2", template_key="old")

    status, body = _ready(public_client)

    assert (status, body["status"], body["checks"]["spares"]) == (200, "degraded", "low")
    assert body["details"]["spares"].startswith("1 of 2 ready.")

    SpareSchema.objects.create(schema_name="_spare_readyz3", template_key=key)
    assert _ready(public_client)[1]["checks"]["spares"] == "ok"


def test_a_template_behind_the_code_is_stale(alive: None, public_client: Client) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM _template.django_migrations WHERE id = "
            "(SELECT max(id) FROM _template.django_migrations)"
        )

    status, body = _ready(public_client)

    assert (status, body["status"], body["checks"]["template"]) == (200, "degraded", "stale")
    assert "provisioning_template_refresh" in body["details"]["template"]


def test_migrations_not_applied_answer_503(alive: None, public_client: Client) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM public.django_migrations WHERE id IN "
            "(SELECT id FROM public.django_migrations ORDER BY id DESC LIMIT 2)"
        )

    status, body = _ready(public_client)

    assert (status, body["status"], body["checks"]["migrations"]) == (503, "unavailable", "stale")
    assert body["details"]["migrations"].startswith("2 migration(s) not applied")


def test_redis_down_answers_503_and_the_heartbeats_are_unknown(
    public_client: Client, settings: Settings
) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    status, body = _ready(public_client)

    assert (status, body["status"]) == (503, "unavailable")
    assert body["checks"]["redis"] == "down"
    assert body["checks"]["worker"] == body["checks"]["beat"] == "unknown"
    assert body["checks"]["migrations"] == "ok"


def test_database_down_answers_503_whatever_the_routing_cache_holds(
    alive: None, alpha: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = alpha.client()
    client.get("/readyz")  # routed and cached while the database is up

    from saas_platform.lib import health

    def failing_cursor() -> NoReturn:
        raise OperationalError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", failing_cursor)
    status, body = _ready(client)

    assert (status, body["status"]) == (503, "unavailable")
    assert body["checks"]["database"] == "down"
    assert body["checks"]["migrations"] == "unknown"
    assert body["checks"]["giving"] == "unknown"
    assert body["checks"]["worker"] == "ok"


def test_readiness_refuses_writes(public_client: Client) -> None:
    assert public_client.post("/readyz").status_code == 405


def connect_event_stored(
    organization: Organization, *, outcome: str = "", received_ago: timedelta = timedelta(0)
) -> ConnectEvent:
    """A Connect event of the organization's account, received `received_ago`, with `outcome`
    (empty: waiting for its first application)."""
    number = ConnectEvent.objects.count() + 1
    received_at = timezone.now() - received_ago
    event = ConnectEvent.objects.create(
        stripe_id=f"evt_readyz{number}",
        type="checkout.session.completed",
        account_id="acct_1Readyz",
        created=received_at,
        payload={},
        organization=organization,
        outcome=outcome,
    )
    # received_at is set on creation: moved back afterwards
    ConnectEvent.objects.filter(pk=event.pk).update(received_at=received_at)
    return event


def test_online_giving_events_waiting_too_long_are_behind_and_degraded(
    alive: None, public_client: Client, alpha: Tenant
) -> None:
    """Given events waiting for a few minutes, failed ones waiting for the retry and those
    already applied or ignored, the check is ok; an event waiting past the limit makes it
    behind, with the count and the oldest's wait, and the site still serves."""
    organization = alpha.organization
    connect_event_stored(organization, received_ago=timedelta(minutes=3))
    connect_event_stored(organization, outcome=StripeEventOutcome.FAILED)
    for outcome in (StripeEventOutcome.PROCESSED, StripeEventOutcome.IGNORED):
        connect_event_stored(organization, outcome=outcome, received_ago=timedelta(hours=3))

    status, body = _ready(public_client)

    assert (status, body["status"], body["checks"]["giving"]) == (200, "ok", "ok")
    assert body["details"]["giving"] == "2 waiting, the oldest for 3 min."

    connect_event_stored(
        organization, outcome=StripeEventOutcome.FAILED, received_ago=timedelta(minutes=6)
    )
    status, body = _ready(public_client)

    assert (status, body["status"], body["checks"]["giving"]) == (200, "degraded", "stale")
    assert body["details"]["giving"] == (
        "3 waiting, the oldest for 6 min. Is the worker running and keeping up?"
    )


def test_online_giving_events_needing_attention_say_what_to_do(
    alive: None, public_client: Client, alpha: Tenant, settings: Settings
) -> None:
    """Given an event that needs attention, the check says so whatever else waits; events of
    a closed organization are left out (they are no longer applied)."""
    settings.HEALTH_GIVING_MAX_WAIT_SECONDS = 60
    connect_event_stored(alpha.organization, outcome=StripeEventOutcome.NEEDS_ATTENTION)
    connect_event_stored(alpha.organization, received_ago=timedelta(minutes=4))

    status, body = _ready(public_client)

    assert (status, body["status"], body["checks"]["giving"]) == (200, "degraded", "attention")
    assert body["details"]["giving"].startswith(
        "1 event charged at Stripe not in the books: in the admin's Connect events"
    )
    assert body["details"]["giving"].endswith("1 waiting, the oldest for 4 min.")

    Organization.objects.filter(pk=alpha.organization.pk).update(state=OrganizationState.CLOSED)
    status, body = _ready(public_client)

    assert (body["status"], body["checks"]["giving"]) == ("ok", "ok")
    assert body["details"]["giving"] == "None waiting."


def test_the_organizations_whose_events_need_attention_are_named(
    alpha: Tenant, beta: Tenant
) -> None:
    """Given events needing attention in two organizations (two in one), the operators' check
    names both, in order, and past five names five and counts the rest; /readyz, which answers
    anyone on every organization's host, names none."""
    for organization in (beta.organization, alpha.organization, beta.organization):
        connect_event_stored(organization, outcome=StripeEventOutcome.NEEDS_ATTENTION)

    check = giving_check(connect_events_backlog(), name_organizations=True)

    assert check.state == "attention"
    assert check.detail.startswith("3 events charged at Stripe not in the books (alpha, beta):")
    for client in (Client(HTTP_HOST="localhost"), beta.client()):
        detail = _ready(client)[1]["details"]["giving"]
        assert detail.startswith("3 events charged at Stripe not in the books: in the admin's")
        assert "alpha" not in detail and "beta" not in detail

    many = ConnectBacklog(
        waiting=0,
        oldest_received_at=None,
        needing_attention=7,
        attention_organizations=tuple("abcdefg"),
    )
    assert "(a, b, c, d, e and 2 more)" in giving_check(many, name_organizations=True).detail


@pytest.mark.parametrize(
    ("waited", "said"),
    [
        (timedelta(seconds=45), "45 s"),
        (timedelta(minutes=25), "25 min"),
        (timedelta(hours=3), "3 h"),
    ],
)
def test_the_oldest_waits_wait_is_said_in_seconds_minutes_or_hours(
    waited: timedelta, said: str
) -> None:
    backlog = ConnectBacklog(
        waiting=1, oldest_received_at=timezone.now() - waited, needing_attention=0
    )

    assert giving_check(backlog).detail.startswith(f"1 waiting, the oldest for {said}.")

"""What a warm authenticated API read costs: its SQL statements and its Redis round trips,
counted exactly; and how a persistent connection is kept healthy without a query per request."""

from __future__ import annotations

import copy
import re
import select
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis.connection
from django.db import OperationalError
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from saas_platform.database.base import DatabaseWrapper
from saas_platform.lib.connection import connection
from saas_platform.lib.filters import DjangoFilterBackend
from shared_apps.tenants import selectors as tenant_selectors
from shared_apps.users.roles import Role
from tenant_apps.accounting.api.views import AccountViewSet
from tenant_apps.accounting.models import Account
from tenant_apps.donations.views import connect_webhook as connect_webhook_module
from tests.plugin import Tenant, python_printed

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent

ACCOUNTS = "/api/v1/accounting/accounts/"
_COMMAND_NAME = re.compile(rb"\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n")


@dataclass
class RedisTraffic:
    """Redis round trips (one per packet sent; a pipeline or a script is one) and the commands
    each carried."""

    round_trips: list[list[str]] = field(default_factory=list)


@pytest.fixture
def redis_traffic(monkeypatch: pytest.MonkeyPatch) -> Callable[[], RedisTraffic]:
    """`with` nothing: call it to start recording what every Redis connection sends."""
    send = redis.connection.AbstractConnection.send_packed_command

    def start() -> RedisTraffic:
        traffic = RedisTraffic()

        def recording(self: Any, command: Any, check_health: bool = True) -> None:
            packets = command if isinstance(command, list) else [command]
            payload = b"".join(bytes(packet) for packet in packets)
            names = [name.decode().upper() for name in _COMMAND_NAME.findall(payload)]
            traffic.round_trips.append(names)
            send(self, command, check_health)

        monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", recording)
        return traffic

    return start


@pytest.fixture
def bookkeeper_api(alpha: Tenant) -> APIClient:
    return alpha.api(alpha.user(Role.BOOKKEEPER, email="books@alpha.org"))


def _sql(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries]


def test_a_warm_read_runs_the_user_and_the_list_and_no_health_check(
    alpha: Tenant, bookkeeper_api: APIClient
) -> None:
    assert bookkeeper_api.get(ACCOUNTS).status_code == 200  # warms routing and the connection

    with CaptureQueriesContext(connection) as queries:
        response = bookkeeper_api.get(ACCOUNTS)

    assert response.status_code == 200
    assert len(response.json()["results"]) == 50
    statements = _sql(queries)
    # the connection's session already holds alpha's path: no SET, no SELECT 1
    assert len(statements) == 2
    assert 'FROM "users" WHERE' in statements[0]
    assert 'FROM "accounting_account"' in statements[1]
    assert not any(sql.startswith(("SET ", "SELECT 1")) for sql in statements)


def test_a_list_s_filter_set_is_made_once_for_its_view(alpha: Tenant) -> None:
    def made() -> Any:
        view = AccountViewSet(action="list")
        return DjangoFilterBackend().get_filterset_class(view, Account.objects.all())

    first = made()

    assert first is made()
    assert set(first.base_filters) == {"type", "is_active"}


def test_a_read_after_another_tenant_sets_the_path_once(
    alpha: Tenant, beta: Tenant, bookkeeper_api: APIClient
) -> None:
    beta_api = beta.api(beta.owner)
    assert bookkeeper_api.get(ACCOUNTS).status_code == 200
    assert beta_api.get(ACCOUNTS).status_code == 200

    with CaptureQueriesContext(connection) as queries:
        response = bookkeeper_api.get(ACCOUNTS)

    assert response.status_code == 200
    statements = _sql(queries)
    assert len(statements) == 3
    assert statements[0] == 'SET search_path = "alpha","public"'
    assert sum(sql.startswith("SET ") for sql in statements) == 1


def test_a_warm_read_makes_one_redis_round_trip_the_throttle(
    alpha: Tenant,
    bookkeeper_api: APIClient,
    redis_traffic: Callable[[], RedisTraffic],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The routing generation is read again only after this long; an hour here, so that the
    # count does not depend on how long the warming request took.
    monkeypatch.setattr(tenant_selectors, "GENERATION_CHECK_SECONDS", 3600.0)
    assert bookkeeper_api.get(ACCOUNTS).status_code == 200

    traffic = redis_traffic()
    response = bookkeeper_api.get(ACCOUNTS)

    assert response.status_code == 200
    assert traffic.round_trips == [["EVALSHA"]]


def test_once_the_second_has_passed_the_routing_generation_is_read_again(
    alpha: Tenant,
    bookkeeper_api: APIClient,
    redis_traffic: Callable[[], RedisTraffic],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tenant_selectors, "GENERATION_CHECK_SECONDS", 0.0)
    assert bookkeeper_api.get(ACCOUNTS).status_code == 200

    traffic = redis_traffic()
    response = bookkeeper_api.get(ACCOUNTS)

    assert response.status_code == 200
    # the generation is unchanged, so the entry still comes from this process's copy
    assert traffic.round_trips == [["GET"], ["EVALSHA"]]


def test_a_change_made_by_another_process_is_seen_at_the_next_check(
    alpha: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.cache import caches

    from shared_apps.tenants.models import Organization, OrganizationState

    monkeypatch.setattr(tenant_selectors, "GENERATION_CHECK_SECONDS", 3600.0)
    assert alpha.client().get("/accounts/login/").status_code == 200
    # another process suspends alpha: the row changes and it sets a new generation in Redis,
    # which this process has not read yet
    Organization.objects.filter(pk=alpha.organization.pk).update(state=OrganizationState.SUSPENDED)
    caches["tenant_routing"].set("generation", "set-by-another-process", timeout=None)
    assert alpha.client().get("/accounts/login/").status_code == 200  # its copy, this second

    monkeypatch.setattr(tenant_selectors, "GENERATION_CHECK_SECONDS", 0.0)

    assert alpha.client().get("/accounts/login/").status_code == 403


def test_the_copy_handed_to_a_request_is_its_own(alpha: Tenant) -> None:
    first = tenant_selectors.organization_for_host(hostname="alpha.localhost")
    assert first is not None
    first.name = "Changed by one request"

    second = tenant_selectors.organization_for_host(hostname="alpha.localhost")

    assert second is not None
    assert second.name == alpha.organization.name


@pytest.fixture
def second_connection() -> Iterator[DatabaseWrapper]:
    """A connection of its own to the test database, as a web thread holds one."""
    wrapper = DatabaseWrapper(copy.deepcopy(connection.settings_dict), alias="default")
    try:
        yield wrapper
    finally:
        wrapper.close()


def _backend_pid(wrapper: DatabaseWrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def test_a_healthy_connection_is_kept_without_a_query(
    second_connection: DatabaseWrapper,
) -> None:
    pid = _backend_pid(second_connection)
    raw = second_connection.connection
    second_connection.queries_log.clear()
    second_connection.force_debug_cursor = True

    second_connection.close_if_unusable_or_obsolete()  # what each request's start runs

    assert second_connection.health_check_enabled is False
    assert second_connection.connection is raw
    assert list(second_connection.queries_log) == []
    assert _backend_pid(second_connection) == pid


def test_a_connection_the_server_ended_is_replaced_before_the_next_request(
    second_connection: DatabaseWrapper,
) -> None:
    pid = _backend_pid(second_connection)
    raw = second_connection.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    # the server's farewell reaches the socket
    select.select([raw.fileno()], [], [], 5)

    second_connection.close_if_unusable_or_obsolete()

    assert second_connection.connection is None
    assert _backend_pid(second_connection) != pid


def test_the_caches_and_the_throttles_share_one_redis_client_in_every_thread() -> None:
    import threading

    from django.core.cache import caches

    from saas_platform.lib.redis_pool import redis_client

    seen = []

    def clients() -> None:
        seen.append(
            {
                id(caches["default"]._cache.get_client()),  # type: ignore[attr-defined]
                id(caches["tenant_routing"]._cache.get_client(write=True)),  # type: ignore[attr-defined]
                id(redis_client()),
            }
        )

    threads = [threading.Thread(target=clients) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    clients()

    assert seen == [{id(redis_client())}] * 4


def test_a_web_process_loads_its_url_maps_and_puts_them_out_of_the_collector_s_reach() -> None:
    """In a process of its own, as gunicorn starts one: what the WSGI module loaded (the URL
    maps and the views they import) is frozen, and a collection walks only what came since."""
    script = (
        "import gc, sys\n"
        "import saas_platform.wsgi\n"
        "print(gc.get_freeze_count())\n"
        "print(len(gc.get_objects()))\n"
        "print('tenant_apps.accounting.api.views' in sys.modules)\n"
    )
    frozen, tracked, views_loaded = python_printed(script)
    assert int(frozen) > 100_000
    assert int(tracked) < 1_000
    assert views_loaded == "True"


@pytest.mark.parametrize("path", ["/stripe/connect/webhook/", "/billing/webhook/"])
def test_stripe_s_webhooks_are_answered_by_routing_past_the_browser_s_middleware(
    alpha: Tenant, path: str, settings: Any
) -> None:
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_request_path"  # noqa: S105 - a test's
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_test_request_path_connect"  # noqa: S105
    stripe_host = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)

    response = stripe_host.post(
        path, data=b"{}", content_type="application/json", HTTP_STRIPE_SIGNATURE="t=1,v1=0"
    )
    page = stripe_host.get("/")

    # The view answered (a bad signature, nothing stored), with the request id and the security
    # headers; the clickjacking header of the browser's middleware after routing was not added.
    assert response.status_code == 400
    assert "signature" in response.json()["error"]["message"].lower()
    assert response["X-Request-ID"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "X-Frame-Options" not in response
    assert response["Content-Length"] == str(len(response.content))
    # A page of the same host still goes through all of it.
    assert page["X-Frame-Options"] == "DENY"
    assert stripe_host.get(path).status_code == 405
    # On an organization's host the path is not Stripe's: routed as any other, not found.
    tenant_host = Client(HTTP_HOST=alpha.host)
    assert tenant_host.post(path, data=b"{}", content_type="application/json").status_code == 404


def test_a_webhook_that_loses_the_database_answers_503_for_stripe_to_send_it_again(
    alpha: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    def lost(**_: Any) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(connect_webhook_module, "connect_event_receive", lost)

    response = Client(HTTP_HOST="localhost").post(
        "/stripe/connect/webhook/", data=b"{}", content_type="application/json"
    )

    assert response.status_code == 503
    assert response["Retry-After"]

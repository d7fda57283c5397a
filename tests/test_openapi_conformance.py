"""The tenant API does what its OpenAPI schema says: schemathesis generates requests for every
operation of the schema served on a tenant host and checks each answer against it (no 5xx, and
status code, content type, headers and body as documented).

Bounded so that it runs in about a minute: a fixed seed (derandomized), a few examples per
operation, valid and invalid data, no shrinking and no deadline. The requests go in process to
the WSGI application as alpha's owner; each one runs in a savepoint that is rolled back, so a
write never changes what the next case sees and nothing outlives the test (pytest-django's `db`
rolls back the rest). Work queued with on_commit never runs (nothing commits) and mail goes to
locmem; Stripe lives on the public host, which is not in this schema.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core.cache import caches
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.plugin import Tenant

logger = logging.getLogger(__name__)

pytestmark = pytest.mark.django_db

# About 800 cases over the 133 operations: near a minute on a small machine. Raise it locally to
# search harder (IFM_OPENAPI_EXAMPLES=40 make test); the seed stays fixed either way.
EXAMPLES_PER_OPERATION = int(os.environ.get("IFM_OPENAPI_EXAMPLES", "6"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Paths that are not the tenant API: the schema itself and the documentation page.
NOT_API = ("/api/schema/", "/api/docs/")


class _Rollback(Exception):
    """Raised inside a case's savepoint to undo whatever the request wrote."""


@dataclass
class Tally:
    cases: int = 0
    server_errors: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)


def _operations(schema: Any) -> Iterator[Any]:
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(NOT_API):
            yield operation


@contextmanager
def _connection_kept() -> Iterator[None]:
    """The WSGI handler closes the database connection around each request, which would end
    the test's transaction; Django's own test client unhooks the same signals (and hooks them
    again after each of its requests, so this wraps no use of it)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _run_operation(operation: Any, *, tenant: Tenant, token: str, tally: Tally) -> None:
    base_url = f"http://{tenant.host}"
    headers = {"Authorization": f"Bearer {token}"}
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        # Requests to a database are slow next to what hypothesis expects, and schemathesis
        # filters out generated values the schema's formats reject.
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
        report_multiple_bugs=False,
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        # The throttles count in Redis: a run this size would otherwise be answered 429.
        caches["default"].clear()
        tally.cases += 1
        try:
            with transaction.atomic():
                response = case.call(base_url=base_url, headers=headers)
                raise _Rollback
        except _Rollback:
            pass
        if response.status_code >= 500:
            tally.server_errors += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (Failure, FailureGroup) as error:
            failures = error.exceptions if isinstance(error, FailureGroup) else [error]
            key = f"{operation.method.upper()} {operation.path}"
            for failure in failures:
                tally.failures[failure.title] += 1
                tally.examples.setdefault(
                    f"{key}: {failure.title}",
                    f"{case.method} {case.formatted_path} -> {response.status_code} "
                    f"{response.text[:200]}",
                )

    check()


def test_the_tenant_api_answers_as_its_schema_says(alpha: Tenant) -> None:
    document = alpha.client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert document.status_code == 200
    schema = schemathesis.openapi.from_dict(document.json())
    # The handler itself: get_wsgi_application() would set Django up again, and with it logging.
    schema.app = WSGIHandler()
    token = alpha.access_token(alpha.owner)
    tally = Tally()

    operations = list(_operations(schema))
    with _connection_kept():
        for operation in operations:
            _run_operation(operation, tenant=alpha, token=token, tally=tally)

    logger.info(
        "OpenAPI conformance: %d operations, %d cases, %d server errors, %d failures %s",
        len(operations),
        tally.cases,
        tally.server_errors,
        sum(tally.failures.values()),
        dict(tally.failures),
    )
    assert len(operations) > 100
    assert tally.examples == {}, "\n".join(
        f"{where}\n    {example}" for where, example in sorted(tally.examples.items())
    )

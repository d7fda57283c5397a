"""One log line per request, carrying the request id and the schema."""

from __future__ import annotations

import json
import logging

import pytest

from saas_platform.lib.logging import RequestContextFilter
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def test_each_request_logs_one_line_with_its_id_and_schema(
    alpha: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ifm.request")

    response = alpha.client().get("/accounts/login/", HTTP_X_REQUEST_ID="req-12345678")

    lines = [record for record in caplog.records if record.name == "ifm.request"]
    assert len(lines) == 1
    assert response["X-Request-ID"] == "req-12345678"
    assert lines[0].getMessage().startswith("GET /accounts/login/ 200 ")
    RequestContextFilter().filter(lines[0])
    assert lines[0].__dict__["schema"] == "alpha"  # set by the filter


def test_malformed_request_ids_are_replaced(alpha: Tenant) -> None:
    response = alpha.client().get("/accounts/login/", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["X-Request-ID"] != "bad id\nwith newline"
    assert len(response["X-Request-ID"]) == 32


def test_json_format_carries_request_id_and_schema(alpha: Tenant) -> None:
    from pythonjsonlogger.json import JsonFormatter

    from saas_platform.lib.request_context import request_id_var

    formatter = JsonFormatter("%(levelname)s %(name)s %(request_id)s %(schema)s %(message)s")
    record = logging.LogRecord("ifm.request", logging.INFO, __file__, 1, "GET / 200", None, None)
    token = request_id_var.set("abc12345")
    try:
        RequestContextFilter().filter(record)
    finally:
        request_id_var.reset(token)

    payload = json.loads(formatter.format(record))
    assert payload["request_id"] == "abc12345"
    assert payload["schema"] == "public"
    assert payload["message"] == "GET / 200"

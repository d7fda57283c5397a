"""A statement cancelled by its time limit answers 503 with what to do, not a 500 and not
"the database is down"."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError, connection, transaction
from django.test import RequestFactory

from saas_platform.lib.http_errors import TIMED_OUT_MESSAGE, database_unavailable


def _cancelled_by_postgresql() -> OperationalError:
    with (
        pytest.raises(OperationalError) as caught,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL statement_timeout = 20")
        cursor.execute("SELECT pg_sleep(2)")
    return caught.value


def test_the_api_says_the_request_took_too_long(db: None) -> None:
    error = _cancelled_by_postgresql()
    request = RequestFactory().get("/api/v1/accounting/reports/general-ledger/")

    response = database_unavailable(request, error)

    assert response.status_code == 503
    assert json.loads(response.content)["error"] == {
        "status": 503,
        "code": "timed_out",
        "message": TIMED_OUT_MESSAGE,
    }


def test_a_page_says_the_request_took_too_long(db: None) -> None:
    error = _cancelled_by_postgresql()

    response = database_unavailable(RequestFactory().get("/books/reports/"), error)

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert "This took too long" in body and "Briefly unavailable" not in body


def test_a_lost_connection_is_still_briefly_unavailable(db: None) -> None:
    response = database_unavailable(
        RequestFactory().get("/books/reports/"), OperationalError("server closed the connection")
    )
    assert "Briefly unavailable" in response.content.decode()

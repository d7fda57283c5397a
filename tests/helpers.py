"""Assertions the API tests of every app share."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.test import Client
    from django.test.client import _MonkeyPatchedWSGIResponse
    from rest_framework.response import _MonkeyPatchedResponse

    # What the test clients answer: Django's, and DRF's APIClient.
    TestResponse = _MonkeyPatchedWSGIResponse | _MonkeyPatchedResponse


def api_error(response: TestResponse, status: int) -> dict[str, Any]:
    """The error of a 4xx answer, checked to be in the one error shape (a JSON object with only
    `error`, which carries the status and a message)."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status
    assert body["error"]["message"]
    return body["error"]


def list_queries_fixed(
    client: Client, url: str, grow: Callable[[int], None], *, few: int = 3, more: int = 27
) -> list[dict[str, Any]]:
    """Check that the list at `url` runs as many queries for many rows as for few (no query a
    row): `grow(few)` rows, list them; `grow(more)` rows, list them all again. Returns the
    rows of the last page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    grow(few)
    client.get(url)  # warm: the host's tenant is cached after the first request
    with CaptureQueriesContext(connection) as first:
        assert len(client.get(url).json()["results"]) == few
    grow(more)
    with CaptureQueriesContext(connection) as second:
        response = client.get(url)
    rows = response.json()["results"]
    assert len(rows) == few + more
    assert len(second.captured_queries) == len(first.captured_queries)
    return rows

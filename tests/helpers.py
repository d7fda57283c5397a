"""Assertions the API tests of every app share."""

from __future__ import annotations

from typing import Any


def api_error(response: Any, status: int) -> dict[str, Any]:
    """The error of a 4xx answer, checked to be in the one error shape (a JSON object with only
    `error`, which carries the status and a message)."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status
    assert body["error"]["message"]
    return body["error"]

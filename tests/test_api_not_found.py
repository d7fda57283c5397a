"""A path that no URL of a tenant host matches: JSON under /api/, a page elsewhere."""

from __future__ import annotations

import pytest

from tests.helpers import api_error
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def test_an_unknown_api_path_is_a_404_in_the_error_shape(alpha: Tenant) -> None:
    client = alpha.api(alpha.owner)

    assert api_error(client.get("/api/v1/donors/donors/1.5/"), 404)["code"] == "not_found"
    assert api_error(client.get("/api/v1/nothing-here/"), 404)["code"] == "not_found"


def test_an_unknown_page_is_still_a_page(alpha: Tenant) -> None:
    response = alpha.client(alpha.owner).get("/nothing-here/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")

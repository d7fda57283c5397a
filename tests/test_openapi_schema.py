"""What the OpenAPI schema of a tenant host says, where it used to say something untrue."""

from __future__ import annotations

from typing import Any

import pytest

from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

ERROR = {"$ref": "#/components/schemas/ErrorOutput"}
FILTERS = {"is_active", "kind", "household", "q", "tag", "ordering"}


@pytest.fixture
def schema(alpha: Tenant) -> dict[str, Any]:
    response = alpha.client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def _parameters(operation: dict[str, Any]) -> set[str]:
    return {parameter["name"] for parameter in operation.get("parameters", [])}


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def test_detail_routes_document_no_list_filters(schema: dict[str, Any]) -> None:
    donors = "/api/v1/donors/donors/"

    assert _parameters(schema["paths"][donors]["get"]) >= FILTERS
    for path in ("{id}/", "{id}/duplicates/", "{id}/notes/", "{id}/giving-summary/"):
        assert not FILTERS & _parameters(schema["paths"][donors + path]["get"]), path
    assert not _parameters(schema["paths"][donors + "{id}/duplicates/"]["get"]) - {"id"}


def test_a_donors_notes_are_paged_and_duplicates_a_plain_list(schema: dict[str, Any]) -> None:
    donor = schema["paths"]["/api/v1/donors/donors/{id}/"]
    notes = schema["paths"]["/api/v1/donors/donors/{id}/notes/"]["get"]
    duplicates = schema["paths"]["/api/v1/donors/donors/{id}/duplicates/"]["get"]

    assert "patch" in donor
    assert notes["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaginatedNoteOutputList"
    }
    assert {"cursor", "page_size"} <= _parameters(notes)
    assert duplicates["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/DuplicateOutput"},
    }


def test_a_partial_update_requires_nothing(schema: dict[str, Any]) -> None:
    for path, method, operation in _operations(schema):
        if method != "patch":
            continue
        reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        component = schema["components"]["schemas"][reference.rsplit("/", 1)[1]]
        assert not component.get("required"), path


def test_every_operation_documents_its_error_answers(schema: dict[str, Any]) -> None:
    for path, method, operation in _operations(schema):
        if not path.startswith("/api/v1/") or path.startswith("/api/v1/auth/"):
            continue
        responses = operation["responses"]
        expected = {"401", "403", "429"}
        if "{" in path:
            expected.add("404")
        if method != "get":
            expected |= {"409"}
        if "requestBody" in operation or any(
            parameter["in"] == "query" for parameter in operation.get("parameters", [])
        ):
            expected.add("400")
        assert expected <= set(responses), (method, path, sorted(responses))
        for code in expected:
            assert responses[code]["content"]["application/json"]["schema"] == ERROR, (path, code)


def test_request_bodies_admit_no_unknown_field(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]

    assert components["HouseholdCreateInputRequest"]["additionalProperties"] is False
    assert components["PatchedHouseholdCreateInputRequest"]["additionalProperties"] is False
    assert "additionalProperties" not in components["DonorOutput"]


def test_the_donor_export_is_documented_as_csv(schema: dict[str, Any]) -> None:
    export = schema["paths"]["/api/v1/donors/donors/export/"]["get"]

    assert set(export["responses"]["200"]["content"]) == {"text/csv"}
    assert export["responses"]["406"]["content"]["application/json"]["schema"] == ERROR


def test_the_schema_documents_news_by_email_and_a_gifts_anonymity_and_tribute_notice(
    schema: dict[str, Any],
) -> None:
    components = schema["components"]["schemas"]
    for name in ("DonorOutput", "DonorCreateInputRequest", "PatchedDonorUpdateInputRequest"):
        assert components[name]["properties"]["email_news_ok"]["type"] == "boolean", name
    assert "email_news_ok" in components["DonorOutput"]["required"]
    gift = components["GiftOutput"]["properties"]
    assert gift["anonymous"]["type"] == "boolean"
    assert gift["notify_sent_at"]["format"] == "date-time"

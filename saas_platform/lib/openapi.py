"""The OpenAPI schema says what the API does: every operation lists the error answers it can
give (in the one error shape), detail routes carry no list filters, and request bodies admit
no field they do not name. Set as REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]; the hook is in
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"].
"""

from __future__ import annotations

from typing import Any

import uritemplate
from drf_spectacular import openapi
from rest_framework.pagination import BasePagination
from rest_framework.permissions import AllowAny

from saas_platform.lib.api import ErrorOutput

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

ERROR_DESCRIPTIONS = {
    "400": "The input is not valid: a body field, or a query value such as a filter.",
    "401": "No credentials, or credentials that are not valid on this organization's host.",
    "403": "The user's role does not allow this.",
    "404": "There is no such object (or page cursor, or format).",
    "409": "The object's state does not allow this now.",
    "415": "The body is not in a media type this operation reads.",
    "429": "Too many requests: wait and retry.",
}


class AutoSchema(openapi.AutoSchema):
    def _is_detail_route(self) -> bool:
        detail = getattr(self.view, "detail", None)
        if detail is not None:
            return bool(detail)
        return bool(uritemplate.variables(self.path))

    def _action_declares_pagination(self) -> bool:
        """A detail action that pages its answer says so with its own `pagination_class`."""
        action = getattr(self.view, "action", None)
        handler = getattr(self.view, action, None) if action else None
        return "pagination_class" in getattr(handler, "kwargs", {})

    def get_filter_backends(self) -> list[Any]:
        # The list's filters and ordering do not apply to one object (saas_platform.lib.filters).
        if self._is_detail_route():
            return []
        return super().get_filter_backends()

    def _get_paginator(self) -> BasePagination | None:
        # A list under one object (a donor's duplicates) is a plain array unless its action
        # pages it (a donor's notes).
        if self._is_detail_route() and not self._action_declares_pagination():
            return None
        return super()._get_paginator()

    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: Any
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        error = self._get_response_for_code(ErrorOutput, "400")
        for code in self._error_codes(operation):
            if code not in responses:
                responses[code] = {**error, "description": ERROR_DESCRIPTIONS[code]}
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_codes(self, operation: dict[str, Any]) -> list[str]:
        """The 4xx answers this operation can give, from what the view is made of."""
        parameters = operation.get("parameters", [])
        takes_input = "requestBody" in operation or any(
            parameter["in"] == "query" for parameter in parameters
        )
        codes = []
        if takes_input:
            codes.append("400")
        # Even where anyone may call, a bearer token that is not valid on this host is refused,
        # and the token endpoints refuse a token in the body the same way.
        codes.append("401")
        if not all(isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            codes.append("403")
        # DRF answers 404 to a page cursor or a `format` it does not know, as to a path.
        if any(
            parameter["in"] == "path" or parameter["name"] in ("cursor", "format")
            for parameter in parameters
        ):
            codes.append("404")
        if self.method in WRITE_METHODS and type(self.view).__module__.startswith("tenant_apps."):
            # The organization's objects have states their services guard (StateConflict).
            codes.append("409")
        if "requestBody" in operation:
            codes.append("415")
        if self.view.get_throttles():
            codes.append("429")
        return codes


def refuse_unknown_request_fields(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Request bodies are refused when they carry a field the input does not name, so their
    components say `additionalProperties: false` (clients and generated tests then agree)."""
    schemas = result.get("components", {}).get("schemas", {})
    for name, component in schemas.items():
        if (
            name.endswith("Request")
            and component.get("type") == "object"
            and "additionalProperties" not in component
        ):
            component["additionalProperties"] = False
    return result

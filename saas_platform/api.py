"""API conventions shared by every app: one error shape for 4xx answers and cursor pagination.

Every 4xx answer is {"error": {"status": 400, "code": "invalid", "message": "...", "fields": {...}}}
where `fields` maps a field name to its messages (validation errors only).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, pagination, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from saas_platform.errors import ServiceError


class CursorPagination(pagination.CursorPagination):
    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200


def _flatten(detail: Any) -> Any:
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ServiceError):
        error: dict[str, Any] = {"status": exc.status, "code": exc.code, "message": exc.message}
        if exc.fields:
            error["fields"] = _flatten(exc.fields)
        return Response({"error": error}, status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response

    error = {"status": response.status_code}
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        error["code"] = "invalid"
        if isinstance(detail, dict):
            fields = _flatten(detail)
            non_field = fields.pop("non_field_errors", None)
            error["message"] = " ".join(non_field) if non_field else "Some fields are not valid."
            if fields:
                error["fields"] = fields
        else:
            messages = _flatten(detail)
            error["message"] = " ".join(messages) if isinstance(messages, list) else messages
    else:
        codes = exc.get_codes()
        error["code"] = codes if isinstance(codes, str) else exc.default_code
        detail = exc.detail
        error["message"] = (
            str(detail.get("detail", detail)) if isinstance(detail, dict) else str(detail)
        )
    response.data = {"error": error}
    return response


def validated_data(
    serializer_class: type[serializers.Serializer], request: Request, *, instance: Any = None
) -> dict[str, Any]:
    """The request body checked by an input serializer (a 400 in the error shape if not);
    bound to `instance`, a partial update."""
    serializer = serializer_class(instance, data=request.data, partial=instance is not None)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)

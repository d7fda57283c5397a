"""API conventions shared by every app: one error shape for 4xx answers, cursor pagination, and
the base of request bodies (unknown fields refused, numbers bounded by the columns they write).

Every 4xx answer is {"error": {"status": 400, "code": "invalid", "message": "...", "fields": {...}}}
where `fields` maps a field name to its messages (validation errors only).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from django.core import validators as django_validators
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import connection, models
from django.http import Http404
from rest_framework import exceptions, pagination, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import EARLIEST_DATE, LATEST_DATE


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


def _path(path: str, key: Any) -> str:
    if isinstance(key, int):  # an item of a list (list errors are keyed by index)
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _unknown_fields(detail: Any, path: str = "") -> list[str]:
    """Where in a validation error's detail fields were refused as unknown, as paths such as
    `addresses[0].postal_cod`, so that the message can name them."""
    if isinstance(detail, dict):
        return [
            found
            for key, value in detail.items()
            for found in _unknown_fields(value, _path(path, key))
        ]
    if isinstance(detail, list):
        if any(getattr(item, "code", None) == UNKNOWN_FIELD for item in detail):
            return [path]
        return [
            found
            for index, item in enumerate(detail)
            for found in _unknown_fields(item, f"{path}[{index}]")
        ]
    return []


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
            non_field = fields.pop(api_settings.NON_FIELD_ERRORS_KEY, None)
            unknown = _unknown_fields(detail)
            messages = [*(non_field or [])]
            if unknown:
                messages.append(
                    f"Unknown field{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}."
                )
            error["message"] = " ".join(messages) if messages else "Some fields are not valid."
            if fields:
                error["fields"] = fields
        else:
            messages = _flatten(detail)
            error["message"] = " ".join(messages) if isinstance(messages, list) else messages
    else:
        codes = exc.get_codes()
        error["code"] = codes if isinstance(codes, str) else exc.default_code
        raw_detail = exc.detail
        error["message"] = (
            str(raw_detail.get("detail", raw_detail))
            if isinstance(raw_detail, dict)
            else str(raw_detail)
        )
    response.data = {"error": error}
    return response


# --- Request bodies ----------------------------------------------------------------------------

UNKNOWN_FIELD = "unknown_field"
# What the browsable API's HTML forms post besides the fields: not the client's data.
_FORM_PLUMBING = frozenset({"csrfmiddlewaretoken"})


def column_range(column: models.Field) -> tuple[Decimal | int | None, Decimal | int | None]:
    """The smallest and largest numbers `column` holds (None where it has no bound): what its
    database type stores, narrowed by the model's min/max validators. A foreign key holds what
    the primary key it points to holds."""
    # Relations have target_field; Django's types declare it on RelatedField only.
    target = getattr(column, "target_field", None) if column.is_relation else None
    if target is not None:
        return column_range(target)
    lowest: Decimal | int | None = None
    highest: Decimal | int | None = None
    if isinstance(column, models.DecimalField):
        step = Decimal(1).scaleb(-column.decimal_places)
        highest = Decimal(10) ** (column.max_digits - column.decimal_places) - step
        lowest = -highest
    elif isinstance(column, models.IntegerField | models.AutoField):
        lowest, highest = connection.ops.integer_field_range(column.get_internal_type())
    else:
        return None, None
    for validator in column.validators:
        if isinstance(validator, django_validators.MinValueValidator):
            lowest = max(lowest, validator.limit_value)
        elif isinstance(validator, django_validators.MaxValueValidator):
            highest = min(highest, validator.limit_value)
    return lowest, highest


def _tighter(declared: Any, bound: Any, pick: Any) -> Any:
    return bound if declared is None else pick(Decimal(str(declared)), bound)


class RangeFirstDecimalField(serializers.DecimalField):
    """A DecimalField that checks its range before its digits: a number too large for its column
    is told the largest it may be ("less than or equal to 99999999.99"), not a count of digits."""

    def validate_precision(self, value: Decimal) -> Decimal:
        if self.max_value is not None and value > self.max_value:
            self.fail("max_value", max_value=self.max_value)
        if self.min_value is not None and value < self.min_value:
            self.fail("min_value", min_value=self.min_value)
        return super().validate_precision(value)


def bounded_by_column(field: serializers.Field, column: models.Field) -> serializers.Field:
    """`field` rebuilt with the bounds of the column it writes, keeping any tighter bound it
    declares. Rebuilt rather than changed: a serializer deep-copies its declared fields from the
    arguments they were made with."""
    lowest, highest = column_range(column)
    if lowest is None and highest is None:
        return field
    # Field.__new__ keeps the constructor's arguments (for deepcopy); drf-stubs do not declare them.
    args, kwargs = field._args, dict(field._kwargs)  # type: ignore[attr-defined]
    field_class: type[serializers.Field] = type(field)
    if isinstance(field, serializers.DecimalField) and isinstance(column, models.DecimalField):
        if field_class is serializers.DecimalField:
            field_class = RangeFirstDecimalField
        kwargs["max_digits"] = min(field.max_digits or column.max_digits, column.max_digits)
        kwargs["decimal_places"] = min(
            field.decimal_places or column.decimal_places, column.decimal_places
        )
    elif not isinstance(field, serializers.IntegerField) or isinstance(column, models.DecimalField):
        return field
    kwargs["max_value"] = _tighter(field.max_value, highest, min)
    kwargs["min_value"] = _tighter(field.min_value, lowest, max)
    if isinstance(field, serializers.IntegerField):
        kwargs["max_value"], kwargs["min_value"] = (
            int(kwargs["max_value"]),
            int(kwargs["min_value"]),
        )
    return field_class(*args, **kwargs)


def model_column(model: type[models.Model], name: str | None) -> models.Field | None:
    """The concrete field of `model` called `name`, or None."""
    if name is None:
        return None
    try:
        column = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    # get_field also answers reverse relations and generic foreign keys, which are not concrete.
    return column if isinstance(column, models.Field) and column.concrete else None


class Input(serializers.Serializer):
    """The body of a write (POST, PUT, PATCH), or a part of one (a nested input).

    A field the input does not take is refused (a 400 naming it): dropping it would lose what the
    client meant to save (a misspelt `postal_cod`). Its Meta says which model it writes, and each
    number field takes its bounds from the column it writes, so that a value the column cannot
    hold is a 400 here rather than a database error:

        class StaffCreateInput(Input):
            class Meta:
                model = StaffRecord  # None for an input that writes no model's columns
                columns = {"rate": "pay_rate"}  # where a field's name is not its column's
    """

    class Meta:
        model: type[models.Model] | None = None

    # Fields refused with their own message rather than "Unknown field.": a field clients may
    # expect to work, and the way to do what they meant.
    refused_fields: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        model = getattr(cls.Meta, "model", None)
        if model is None:
            return
        columns: dict[str, str | None] = getattr(cls.Meta, "columns", {})
        declared: dict[str, serializers.Field] = cls._declared_fields
        for name, field in list(declared.items()):
            column = model_column(model, columns.get(name, name))
            if column is not None:
                declared[name] = bounded_by_column(field, column)

    def accepted_fields(self) -> set[str]:
        """The names a body may hold: the fields that are written, not the read-only ones."""
        return {name for name, field in self.fields.items() if not field.read_only}

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return super().to_internal_value(data)
        accepted = self.accepted_fields()
        unknown = {
            key: [
                serializers.ErrorDetail(
                    self.refused_fields.get(key, "Unknown field."), code=UNKNOWN_FIELD
                )
            ]
            for key in data
            if key not in accepted and key not in _FORM_PLUMBING
        }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if unknown and isinstance(error.detail, dict):
                raise serializers.ValidationError({**error.detail, **unknown}) from None
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


def validated_data(
    serializer_class: type[Input], request: Request, *, instance: Any = None
) -> dict[str, Any]:
    """The request body checked by an input serializer (a 400 in the error shape if not);
    bound to `instance`, a partial update."""
    if not issubclass(serializer_class, Input):
        # A plain serializer would drop unknown fields and leave numbers unbounded.
        raise TypeError(f"{serializer_class.__name__} must be an Input to read a request body.")
    serializer = serializer_class(instance, data=request.data, partial=instance is not None)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --- Output shapes every app documents ------------------------------------------------------


class ErrorBodyOutput(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    # drf-stubs: a declared field leaves the class body, so it shadows no Field attribute.
    fields = serializers.DictField(  # type: ignore[assignment]
        required=False, help_text="Messages per input field (validation errors only)."
    )


class ErrorOutput(serializers.Serializer):
    """The one shape of every 4xx answer (see exception_handler above)."""

    error = ErrorBodyOutput()


class BooksDateField(serializers.DateField):
    """A date in YYYY-MM-DD, from EARLIEST_DATE to LATEST_DATE."""

    default_error_messages = {
        "out_of_range": f"Give a date from {EARLIEST_DATE} to {LATEST_DATE}.",
    }

    def to_internal_value(self, value: Any) -> date:
        day = super().to_internal_value(value)
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            self.fail("out_of_range")
        return day

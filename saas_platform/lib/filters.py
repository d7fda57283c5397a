"""Filtering of API lists: a query value that is not valid is a 400 in the error shape, never
"no filter", and a detail route (one object, or an action on one) is not filtered at all.

Filter sets derive from `FilterSet` here; the filter backends in REST_FRAMEWORK are the ones here.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db import models
from django.db.models import QuerySet
from django_filters import rest_framework as drf_filters
from rest_framework import filters
from rest_framework.request import Request
from rest_framework.views import APIView

TRUE_VALUES = frozenset({"true", "1"})
FALSE_VALUES = frozenset({"false", "0"})


def is_detail_route(view: APIView) -> bool:
    """Whether the view answers about one object (retrieve, update, an action on one): the
    list's filters and ordering do not apply there, and a value for them must not hide the
    object (a 404 for `?is_active=false` on an active donor would be a lie)."""
    detail = getattr(view, "detail", None)
    if detail is not None:  # a viewset routed by a router knows
        return bool(detail)
    lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", None)
    return bool(lookup) and lookup in getattr(view, "kwargs", {})


class StrictBooleanField(forms.Field):
    """true or false (1 or 0); anything else is an error rather than Django's "unknown",
    which a filter reads as "do not filter" and so answers the whole list."""

    widget = forms.TextInput
    default_error_messages = {"invalid": "Give true or false."}

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        normalized = str(value).strip().lower()
        if normalized in TRUE_VALUES:
            return True
        if normalized in FALSE_VALUES:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class FilterSet(drf_filters.FilterSet):
    """The base of every API filter set: boolean model fields filter strictly."""

    FILTER_DEFAULTS = {
        **drf_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": BooleanFilter},
    }


class ListsOnlyMixin:
    """A filter backend that applies, and is documented, on lists only: one object is never
    filtered out by the list's query parameters."""

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: APIView) -> Any:
        if is_detail_route(view):
            return queryset
        # A mixin: the backend class it is mixed into has the method.
        return super().filter_queryset(request, queryset, view)  # type: ignore[misc]

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        if is_detail_route(view):
            return []
        # A mixin: the backend class it is mixed into has the method.
        return super().get_schema_operation_parameters(view)  # type: ignore[misc]


# The filter set django-filter builds from a view's `filterset_fields`, by view class and model.
_FILTERSET_CLASSES: dict[tuple[type[APIView], type[models.Model]], type[FilterSet] | None] = {}


class DjangoFilterBackend(ListsOnlyMixin, drf_filters.DjangoFilterBackend):
    """django-filter on lists only; an invalid value raises (a 400 through the API's exception
    handler) rather than being dropped."""

    filterset_base = FilterSet
    raise_exception = True

    def get_filterset_class(
        self, view: APIView, queryset: QuerySet[Any] | None = None
    ) -> type[FilterSet] | None:
        """From `filterset_fields`, django-filter makes a new FilterSet class on every request,
        reading the model's fields again; `filterset_fields` is a view class's attribute, so
        the class is made once for a view class and a model."""
        if getattr(view, "filterset_class", None) is not None or queryset is None:
            return super().get_filterset_class(view, queryset)
        key = (type(view), queryset.model)
        if key not in _FILTERSET_CLASSES:
            _FILTERSET_CLASSES[key] = super().get_filterset_class(view, queryset)
        return _FILTERSET_CLASSES[key]

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: APIView) -> Any:
        # A filter set made from `filterset_fields` filters on exact values, none of them
        # required: with none of its parameters in the query it changes nothing, and building
        # and validating its form for that is most of its cost.
        if getattr(view, "filterset_class", None) is None:
            filterset_class = self.get_filterset_class(view, queryset)
            if filterset_class is None or filterset_class.base_filters.keys().isdisjoint(
                request.query_params
            ):
                return queryset
        return super().filter_queryset(request, queryset, view)


class OrderingFilter(ListsOnlyMixin, filters.OrderingFilter):
    """`ordering` on lists only."""


def code_filter(label: str, queryset: QuerySet[Any]) -> forms.ModelChoiceField[Any]:
    """A list page's optional filter on a row named by its code in the URL (`?fund=GEN`), "Any"
    when not given."""
    return forms.ModelChoiceField(
        label=label, queryset=queryset, to_field_name="code", required=False, empty_label="Any"
    )

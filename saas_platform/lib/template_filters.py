"""Filters every template has without `{% load %}` (TEMPLATES' builtins): `money`,
`money_statement` (negatives in parentheses), `count`, `hours` (7.5, no trailing zeros), and
`query_with` for links that keep a list's filters while changing one parameter."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict

from saas_platform.lib import formatting

register = template.Library()


@register.filter
def money(value: Any) -> str:
    return formatting.money(value)


@register.filter
def money_statement(value: Any) -> str:
    return formatting.money(value, parentheses=True)


@register.filter
def count(value: Any) -> str:
    return formatting.count(value)


@register.filter
def hours(value: Any) -> str:
    return formatting.hours(value)


@register.simple_tag
def query_with(query: QueryDict, **changes: Any) -> str:
    """The query string of `query` with `changes` set (a None or "" value removes the key): the
    links of a list's pager and column headers keep its search and filters."""
    updated = query.copy()
    for key, value in changes.items():
        if value is None or value == "":
            updated.pop(key, None)
        else:
            updated[key] = str(value)
    encoded = updated.urlencode()
    return f"?{encoded}" if encoded else "?"

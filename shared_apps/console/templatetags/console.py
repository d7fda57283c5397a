"""Small template helpers for the console pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def equals(value: Any, other: Any) -> bool:
    """`{% with failed=failed_action|equals:action %}`: which form the error belongs to."""
    return bool(value) and str(value) == str(other)

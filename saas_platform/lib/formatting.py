"""How the staff pages show values: money as money, labels in words. Template filters
(`saas_platform.lib.template_filters`, a builtin of every template) and CSV exports both use
these, so a page and its CSV say the same thing."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def money(value: Any, *, parentheses: bool = False) -> str:
    """$1,234.50; a negative amount as -$1,234.50, or ($1,234.50) in statements. Nothing (None,
    "") shows as an empty string; anything that is not a number as itself."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return str(value)
    text = f"${abs(amount):,.2f}"
    if amount < 0:
        return f"({text})" if parentheses else f"-{text}"
    return text


def count(value: Any) -> str:
    """A whole number with thousands separators (12,345)."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def hours(value: Any) -> str:
    """A number of hours as a person writes it: 8, 7.5, 7.25, 1,234.5 (no trailing zeros).
    Nothing (None, "") shows as an empty string; anything that is not a number as itself."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{number:,.2f}".rstrip("0").rstrip(".")

"""Parsing and checking what people type, for every app's services: amounts and dates. A bad
value is a ServiceError naming its field, so it comes back as a 400 on the API and next to the
field on a page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from saas_platform.lib.errors import ServiceError

MAX_AMOUNT = Decimal("999999999999.99")

# Dates the books take: past these, a fiscal year cannot be named or opened (its bounds leave
# Python's date range: a 500), and a date this far out is a typo anyway (3026 for 2026).
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(2999, 12, 31)


def amount_parse(value: Any, *, field: str) -> Decimal:
    """A positive amount of at most two decimal places, or a ServiceError naming the field."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ServiceError(
            f"{field}: {value!r} is not an amount.", fields={field: ["Not an amount."]}
        ) from None
    if not amount.is_finite() or amount <= 0:
        raise ServiceError(
            f"{field}: an amount must be more than zero.",
            fields={field: ["Must be more than zero."]},
        )
    if amount > MAX_AMOUNT:
        raise ServiceError(f"{field}: the amount is too large.", fields={field: ["Too large."]})
    if amount != amount.quantize(Decimal("0.01")):
        raise ServiceError(
            f"{field}: at most two decimal places.",
            fields={field: ["At most two decimal places."]},
        )
    return amount.quantize(Decimal("0.01"))


def date_check(day: Any, *, field: str = "date") -> date:
    """`day` if it is a date the books can hold (the years 1900 to 2999), else a ServiceError
    on `field`; every app's services check their dates with it."""
    if not isinstance(day, date):
        raise ServiceError(f"{field}: a date is required.", fields={field: ["A date is required."]})
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ServiceError(
            f"{field}: {day.isoformat()} is outside the years 1900 to 2999.",
            fields={field: ["Outside the years 1900 to 2999."]},
        )
    return day


def text_check(value: Any, *, field: str, max_length: int, required: bool = False) -> str:
    """A line of text, trimmed, of at most `max_length` characters (and not empty if
    `required`); a value that is not text is taken as written (`str()`)."""
    text = "" if value is None else (value if isinstance(value, str) else str(value)).strip()
    if required and not text:
        raise ServiceError(f"{field}: required.", fields={field: ["Required."]})
    if len(text) > max_length:
        raise ServiceError(
            f"{field}: at most {max_length} characters.", fields={field: ["Too long."]}
        )
    return text


def number_parse(value: Any, *, field: str, places: int = 2) -> Decimal:
    """A finite number of at most `places` decimal places (zero and negatives allowed: a rate,
    a count of hours; amounts of money use amount_parse)."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ServiceError(
            f"{field}: {value!r} is not a number.", fields={field: ["Not a number."]}
        ) from None
    if not number.is_finite():
        raise ServiceError(f"{field}: not a number.", fields={field: ["Not a number."]})
    quantum = Decimal(1).scaleb(-places)
    try:
        quantized = number.quantize(quantum)
    except InvalidOperation:  # more digits than a Decimal holds: 1e400
        raise ServiceError(f"{field}: too large.", fields={field: ["Too large."]}) from None
    if number != quantized:
        raise ServiceError(
            f"{field}: at most {places} decimal places.",
            fields={field: [f"At most {places} decimal places."]},
        )
    return quantized

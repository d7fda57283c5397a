"""Checks the gift, pledge, recurring-gift and import services share: the descriptive fields
of a gift, its donor and method, dates, funds, and the changes an update service accepts. Each
refuses with a ServiceError naming the field."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from saas_platform.lib import inputs
from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import EARLIEST_DATE, LATEST_DATE, amount_parse
from tenant_apps.accounting.models import Fund
from tenant_apps.donations.models import GiftMethod, TributeType
from tenant_apps.donors.models import Donor

TEXT_LIMITS = {
    "designation": 500,
    "tribute_name": 200,
    "notify_name": 200,
    "goods_services_description": 500,
    "in_kind_description": 1000,
    "check_number": 40,
    "payment_reference": 200,
}


def changes_check(changes: dict[str, Any], allowed: Collection[str], *, of: str) -> None:
    """Refuse, naming them, the changes an update service does not make (`of` names the thing:
    "a gift")."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ServiceError(
            f"Cannot change {', '.join(sorted(unknown))} of {of}.",
            fields={name: ["Cannot be changed."] for name in sorted(unknown)},
        )


def text_check(value: str | None, *, field: str) -> str:
    """A descriptive field, trimmed, within its TEXT_LIMITS length."""
    return inputs.text_check(value, field=field, max_length=TEXT_LIMITS[field])


def date_required(value: Any, *, field: str) -> date:
    """A date the books can hold; anything else is "a date is required" on `field`."""
    if not isinstance(value, date) or not EARLIEST_DATE <= value <= (LATEST_DATE):
        raise ServiceError(f"{field}: a date is required.", fields={field: ["A date is required."]})
    return value


def amount_or_zero(value: Any, *, field: str) -> Decimal:
    """An amount that may be zero or left out (a goal, a value given in return)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal("0.00")
    try:
        if Decimal(str(value).strip()) == 0:
            return Decimal("0.00")
    except ArithmeticError:
        pass  # amount_parse names the problem
    return amount_parse(value, field=field)


def donor_check(donor: Donor, *, field: str = "donor") -> Donor:
    """A donor a gift may name: not one merged into another."""
    if donor.merged_into_id is not None:
        raise ServiceError(
            f"Donor {donor.pk} was merged into donor {donor.merged_into_id}; use that one.",
            fields={field: ["A merged donor."]},
        )
    return donor


def method_check(method: str) -> str:
    """One of the gift methods, by its value."""
    if method not in GiftMethod.values:
        raise ServiceError(
            f"A method is one of {', '.join(GiftMethod.values)}.",
            fields={"method": ["Unknown method."]},
        )
    return method


def gift_details_check(values: dict[str, Any], *, amount: Decimal, method: str) -> dict[str, Any]:
    """Check and normalize the descriptive fields (all present in `values`)."""
    for field in TEXT_LIMITS:
        if field in values:
            values[field] = text_check(values[field], field=field)
    if values["tribute_type"] not in TributeType.values:
        raise ServiceError(
            f"A tribute is one of {', '.join(TributeType.values)}.",
            fields={"tribute_type": ["Unknown tribute type."]},
        )
    if values["tribute_type"] != TributeType.NONE and not values["tribute_name"]:
        raise ServiceError(
            "A tribute names the person honored or remembered.",
            fields={"tribute_name": ["Required with a tribute."]},
        )
    email = (values["notify_email"] or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ServiceError(
                f"{email} is not an email address.", fields={"notify_email": ["Not an email."]}
            ) from None
    values["notify_email"] = email
    value = amount_or_zero(values["goods_services_value"], field="goods_services_value")
    if value > amount:
        raise ServiceError(
            "The value of goods or services given in return is more than the gift.",
            fields={"goods_services_value": ["More than the amount."]},
        )
    if value and not values["goods_services_description"]:
        raise ServiceError(
            "Describe the goods or services given in return (the receipt must).",
            fields={"goods_services_description": ["Required with a value."]},
        )
    values["goods_services_value"] = value
    if method == GiftMethod.IN_KIND and not values["in_kind_description"]:
        raise ServiceError(
            "An in-kind gift is described (its receipt describes it, without a value).",
            fields={"in_kind_description": ["Required for an in-kind gift."]},
        )
    return values


def fund_check(code: str) -> Fund:
    """An active fund, by its code."""
    fund = Fund.objects.filter(code=code).first()
    if fund is None or not fund.is_active:
        raise ServiceError(
            f"There is no active fund {code!r}.", fields={"fund": ["Unknown or inactive fund."]}
        )
    return fund

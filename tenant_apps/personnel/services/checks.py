"""What several personnel services share: the refusal of acting on someone else's hours, checks of
choices, date ranges and programs, and the text form of personnel's audit rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import date_check
from tenant_apps.accounting.models import Program

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
GENERAL_FUND = "GEN"


class NotAllowed(ServiceError):
    """The acting user may not do this to this object (their own hours, someone else's)."""

    status = 403
    code = "permission_denied"


# --- Checks several services share ---------------------------------------------------------


def choice_check(value: Any, *, field: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ServiceError(
            f"{field}: one of {', '.join(choices)}.", fields={field: [f"Unknown {field}."]}
        )
    return str(value)


def dates_check(start: Any, end: Any) -> None:
    date_check(start, field="start_date")
    if end is not None:
        date_check(end, field="end_date")
        if end < start:
            raise ServiceError(
                "end_date: the end date is before the start date.",
                fields={"end_date": ["Before the start date."]},
            )


def program_check(
    code: str | None, *, field: str = "program", known: Mapping[str, Program] | None = None
) -> Program | None:
    """The program of that code, active; `known` are the programs by code when the caller has
    read them for many entries."""
    if not code:
        return None
    program = known.get(code) if known is not None else Program.objects.filter(code=code).first()
    if program is None:
        raise ServiceError(f"There is no program {code!r}.", fields={field: ["Unknown program."]})
    if not program.is_active:
        raise ServiceError(f"Program {code} is inactive.", fields={field: ["Inactive program."]})
    return program


def audit_text(changes: dict[str, Any]) -> dict[str, Any]:
    """Changed values as personnel's audit rows hold them: a related row by its key, any other
    value as its text (a flag as "True", a cleared date as "None")."""
    return {
        name: (value.pk if hasattr(value, "pk") else str(value)) for name, value in changes.items()
    }

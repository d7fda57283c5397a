"""Staff records: position, pay, officer status, dates and the default split of time between
program services, management and general, and fundraising."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import amount_parse, number_parse, text_check
from tenant_apps.accounting.models import Program
from tenant_apps.personnel.models import EmploymentType, PayType, Person, StaffRecord, WorkerKind
from tenant_apps.personnel.services.checks import HUNDRED, choice_check, dates_check, program_check
from tenant_apps.personnel.services.work_records import work_record_create, work_record_update

if TYPE_CHECKING:
    from shared_apps.users.models import User

# --- Staff records -----------------------------------------------------------------------------

STAFF_FIELDS = (
    "position",
    "department",
    "employment_type",
    "pay_type",
    "pay_rate",
    "is_officer",
    "start_date",
    "end_date",
    "split_program",
    "split_management_general",
    "split_fundraising",
    "default_program",
)


def _staff_values_check(values: dict[str, Any]) -> dict[str, Any]:
    """The full set of a staff record's values, checked together (the split adds up to 100,
    its program share names a program, the dates are in order)."""
    checked = dict(values)
    checked["position"] = text_check(
        values["position"], field="position", max_length=200, required=True
    )
    checked["department"] = text_check(values["department"], field="department", max_length=200)
    checked["employment_type"] = choice_check(
        values["employment_type"], field="employment_type", choices=EmploymentType.values
    )
    checked["pay_type"] = choice_check(values["pay_type"], field="pay_type", choices=PayType.values)
    checked["pay_rate"] = amount_parse(values["pay_rate"], field="pay_rate")
    dates_check(values["start_date"], values["end_date"])
    for name in ("split_program", "split_management_general", "split_fundraising"):
        checked[name] = number_parse(values[name], field=name)
        if not 0 <= checked[name] <= HUNDRED:
            raise ServiceError(
                f"{name}: a percent from 0 to 100.", fields={name: ["From 0 to 100."]}
            )
    total = (
        checked["split_program"]
        + checked["split_management_general"]
        + checked["split_fundraising"]
    )
    if total != HUNDRED:
        raise ServiceError(
            f"The default split adds up to {total}%, not 100%.",
            fields={"split": [f"Adds up to {total}%, not 100%."]},
        )
    program = values["default_program"]
    if isinstance(program, str) or program is None:
        program = program_check(program, field="default_program")
    checked["default_program"] = program
    if checked["split_program"] and program is None:
        raise ServiceError(
            "default_program: a program share needs the program it goes to.",
            fields={"default_program": ["Required when the program share is above 0."]},
        )
    return checked


def staff_record_create(
    *,
    person: Person,
    position: str,
    employment_type: str,
    pay_type: str,
    pay_rate: Decimal | str,
    start_date: date,
    acting_user: User | None,
    department: str = "",
    is_officer: bool = False,
    end_date: date | None = None,
    split_program: Decimal | str = "0",
    split_management_general: Decimal | str = "100",
    split_fundraising: Decimal | str = "0",
    default_program: str | Program | None = None,
) -> StaffRecord:
    values = _staff_values_check(
        {
            "position": position,
            "department": department,
            "employment_type": employment_type,
            "pay_type": pay_type,
            "pay_rate": pay_rate,
            "is_officer": bool(is_officer),
            "start_date": start_date,
            "end_date": end_date,
            "split_program": split_program,
            "split_management_general": split_management_general,
            "split_fundraising": split_fundraising,
            "default_program": default_program,
        }
    )
    return work_record_create(
        StaffRecord,
        person,
        values,
        refusal=f"{person} already has a staff record; change that one.",
        action="staff_record.create",
        acting_user=acting_user,
        position=values["position"],
    )


def staff_record_update(
    *, record: StaffRecord, acting_user: User | None, **changes: Any
) -> StaffRecord:
    """Change any of STAFF_FIELDS; the record is checked whole after the change. Dates may not
    leave hours already logged outside them."""
    return work_record_update(
        record,
        changes,
        fields=STAFF_FIELDS,
        check=_staff_values_check,
        kind=WorkerKind.STAFF,
        noun="a staff record",
        action="staff_record.update",
        acting_user=acting_user,
    )

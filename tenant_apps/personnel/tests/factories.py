"""People, staff, volunteers and hours as tests need them, made through personnel.services like
the app makes them (call inside the tenant's schema_context)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import factory

from tenant_apps.accounting.models import Function
from tenant_apps.personnel.models import HourEntry, PayType, Person, StaffRecord, Volunteer
from tenant_apps.personnel.services.approvals import hour_entry_approve
from tenant_apps.personnel.services.hours import hour_entry_submit
from tenant_apps.personnel.services.people import person_create
from tenant_apps.personnel.services.staff import staff_record_create
from tenant_apps.personnel.services.volunteers import volunteer_create

LONG_AGO = date(2025, 1, 1)


class PersonFactory(factory.django.DjangoModelFactory):
    """A bare person row (no staff or volunteer record): for lists and query counts."""

    class Meta:
        model = Person

    full_name = factory.Sequence(lambda n: f"Person {n:03d}")
    email = factory.Sequence(lambda n: f"person{n}@example.org")


def person_made(full_name: str, **fields: Any) -> Person:
    return person_create(full_name=full_name, acting_user=None, **fields)


def staff_made(
    full_name: str,
    *,
    pay_type: str = PayType.SALARIED,
    pay_rate: str = "52000.00",
    start_date: date = LONG_AGO,
    employment_type: str = "full_time",
    person: Person | None = None,
    **fields: Any,
) -> StaffRecord:
    return staff_record_create(
        person=person or person_made(full_name),
        position=fields.pop("position", "Program officer"),
        employment_type=employment_type,
        pay_type=pay_type,
        pay_rate=Decimal(pay_rate),
        start_date=start_date,
        acting_user=None,
        **fields,
    )


def volunteer_made(
    full_name: str, *, start_date: date = LONG_AGO, person: Person | None = None, **fields: Any
) -> Volunteer:
    return volunteer_create(
        person=person or person_made(full_name), start_date=start_date, acting_user=None, **fields
    )


def hours_logged(
    person: Person,
    day: date,
    hours: str,
    function: str = Function.PROGRAM,
    program: str | None = "PRG",
    *,
    approve: bool = False,
    **fields: Any,
) -> HourEntry:
    entry = hour_entry_submit(
        person=person,
        date=day,
        hours=Decimal(hours),
        function=function,
        program=program if function == Function.PROGRAM else None,
        acting_user=None,
        **fields,
    )
    if approve:
        entry = hour_entry_approve(entry=entry, acting_user=None)
    return entry

"""People, staff records, volunteers and hour entries as tests need them, made through the
personnel services as the app makes them (checked, audited). Call inside the tenant's schema:
the `in_alpha` fixture, or a `schema_context`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import factory

from tenant_apps.accounting.models import Function
from tenant_apps.personnel.models import (
    EmploymentType,
    HourEntry,
    PayType,
    Person,
    StaffRecord,
    Volunteer,
)
from tenant_apps.personnel.services.approvals import hour_entry_approve
from tenant_apps.personnel.services.hours import hour_entry_submit
from tenant_apps.personnel.services.people import person_create
from tenant_apps.personnel.services.staff import staff_record_create
from tenant_apps.personnel.services.volunteers import volunteer_create

LONG_AGO = date(2025, 1, 1)


class PersonFactory(factory.Factory[Person]):
    """A person made by person_create, with no staff or volunteer record."""

    class Meta:
        model = Person

    full_name = factory.Sequence(lambda number: f"Person {number:03d}")

    @classmethod
    def _create(cls, model_class: type[Person], *args: Any, **fields: Any) -> Person:
        return person_create(acting_user=None, **fields)


class StaffRecordFactory(factory.Factory[StaffRecord]):
    """A salaried, full-time program officer since LONG_AGO, made by staff_record_create; the
    person is made too (named `full_name`) unless given."""

    class Meta:
        model = StaffRecord

    class Params:
        full_name = factory.Sequence(lambda number: f"Staff {number:03d}")

    person = factory.LazyAttribute(lambda record: PersonFactory.create(full_name=record.full_name))
    position = "Program officer"
    employment_type = EmploymentType.FULL_TIME
    pay_type = PayType.SALARIED
    pay_rate = Decimal("52000.00")
    start_date = LONG_AGO

    @classmethod
    def _create(cls, model_class: type[StaffRecord], *args: Any, **fields: Any) -> StaffRecord:
        return staff_record_create(acting_user=None, **fields)


class VolunteerFactory(factory.Factory[Volunteer]):
    """A volunteer since LONG_AGO, made by volunteer_create; the person is made too (named
    `full_name`) unless given."""

    class Meta:
        model = Volunteer

    class Params:
        full_name = factory.Sequence(lambda number: f"Volunteer {number:03d}")

    person = factory.LazyAttribute(
        lambda volunteer: PersonFactory.create(full_name=volunteer.full_name)
    )
    start_date = LONG_AGO

    @classmethod
    def _create(cls, model_class: type[Volunteer], *args: Any, **fields: Any) -> Volunteer:
        return volunteer_create(acting_user=None, **fields)


class HourEntryFactory(factory.Factory[HourEntry]):
    """Hours submitted by hour_entry_submit (for a new volunteer unless `person` is given), on
    program PRG for program work; `approve=True` approves them too."""

    class Meta:
        model = HourEntry

    person = factory.LazyAttribute(lambda entry: VolunteerFactory.create().person)
    date = LONG_AGO
    hours = Decimal("1.00")
    function = Function.PROGRAM
    program = factory.LazyAttribute(
        lambda entry: "PRG" if entry.function == Function.PROGRAM else None
    )
    approve = False

    @classmethod
    def _create(cls, model_class: type[HourEntry], *args: Any, **fields: Any) -> HourEntry:
        approve = fields.pop("approve")
        entry = hour_entry_submit(acting_user=None, **fields)
        if approve:
            entry = hour_entry_approve(entry=entry, acting_user=None)
        return entry


# --- The names other folders' tests import ----------------------------------------------------


def person_made(full_name: str, **fields: Any) -> Person:
    return PersonFactory.create(full_name=full_name, **fields)


def staff_made(full_name: str, **fields: Any) -> StaffRecord:
    return StaffRecordFactory.create(full_name=full_name, **fields)


def volunteer_made(full_name: str, **fields: Any) -> Volunteer:
    return VolunteerFactory.create(full_name=full_name, **fields)

"""What staff records and volunteer records share: a person has at most one of each, and a
change of dates may not leave hours already logged outside them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction

from saas_platform.lib.errors import ServiceError, StateConflict
from tenant_apps.core.services import audit_record, changes_save
from tenant_apps.personnel.models import HourEntry, HourState, Person, StaffRecord, Volunteer
from tenant_apps.personnel.services.checks import audit_text

if TYPE_CHECKING:
    from shared_apps.users.models import User

# --- A person's one staff or volunteer record ----------------------------------------------


def work_record_create[Record: (StaffRecord, Volunteer)](
    model: type[Record],
    person: Person,
    values: dict[str, Any],
    *,
    refusal: str,
    action: str,
    acting_user: User | None,
    **detail: Any,
) -> Record:
    """A person's one staff or volunteer record, made from checked `values`; a second one is
    refused with `refusal`."""
    with transaction.atomic():
        Person.objects.select_for_update().get(pk=person.pk)
        if model.objects.filter(person=person).exists():
            raise StateConflict(refusal)
        record = model.objects.create(person=person, **values)
        audit_record(action, acting_user=acting_user, obj=record, person=person.pk, **detail)
    return record


def _outside_hours(person: Person, kind: str, start: date, end: date | None) -> int:
    entries = HourEntry.objects.filter(person=person, kind=kind).exclude(state=HourState.REJECTED)
    outside = entries.filter(date__lt=start)
    if end is not None:
        outside = outside | entries.filter(date__gt=end)
    return outside.count()


def work_record_update[Record: (StaffRecord, Volunteer)](
    record: Record,
    changes: dict[str, Any],
    *,
    fields: tuple[str, ...],
    check: Callable[[dict[str, Any]], dict[str, Any]],
    kind: str,
    noun: str,
    action: str,
    acting_user: User | None,
) -> Record:
    """Change any of `fields` of a staff or volunteer record; `check` checks the record whole
    after the change. Dates may not leave hours of that `kind` already logged outside them."""
    unknown = [name for name in changes if name not in fields]
    if unknown:
        raise ServiceError(
            f"{unknown[0]}: not a field of {noun}.", fields={unknown[0]: ["Unknown."]}
        )
    values = check({name: getattr(record, name) for name in fields} | changes)
    changed = {name: values[name] for name in fields if getattr(record, name) != values[name]}
    if not changed:
        return record
    with transaction.atomic():
        if {"start_date", "end_date"} & set(changed) and _outside_hours(
            record.person, kind, values["start_date"], values["end_date"]
        ):
            raise StateConflict(
                f"{record.person} has {kind} hours outside {values['start_date']} to "
                f"{values['end_date'] or 'now'}; those dates would leave them out."
            )
        return changes_save(
            record, changed, action=action, acting_user=acting_user, **audit_text(changed)
        )

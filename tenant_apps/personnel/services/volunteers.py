"""Volunteers: skills, availability, emergency contact, background check, dates and the rate
their specialized services are recognized at."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import amount_parse, date_check, text_check
from tenant_apps.personnel.models import Person, Volunteer, VolunteerStatus, WorkerKind
from tenant_apps.personnel.services.checks import choice_check, dates_check
from tenant_apps.personnel.services.work_records import work_record_create, work_record_update

if TYPE_CHECKING:
    from shared_apps.users.models import User

# --- Volunteers --------------------------------------------------------------------------------

VOLUNTEER_FIELDS = (
    "skills",
    "availability",
    "emergency_contact_name",
    "emergency_contact_phone",
    "background_check_on",
    "status",
    "start_date",
    "end_date",
    "specialized_rate",
)


def _volunteer_values_check(values: dict[str, Any]) -> dict[str, Any]:
    checked = dict(values)
    skills = values["skills"] or []
    if not isinstance(skills, list | tuple) or not all(isinstance(s, str) for s in skills):
        raise ServiceError("skills: a list of tags.", fields={"skills": ["A list of tags."]})
    tags = sorted({skill.strip().lower() for skill in skills if skill.strip()})
    if any(len(tag) > 50 for tag in tags) or len(tags) > 50:
        raise ServiceError(
            "skills: at most 50 tags of at most 50 characters.", fields={"skills": ["Too long."]}
        )
    checked["skills"] = tags
    checked["availability"] = text_check(
        values["availability"], field="availability", max_length=500
    )
    checked["emergency_contact_name"] = text_check(
        values["emergency_contact_name"], field="emergency_contact_name", max_length=200
    )
    checked["emergency_contact_phone"] = text_check(
        values["emergency_contact_phone"], field="emergency_contact_phone", max_length=40
    )
    if values["background_check_on"] is not None:
        date_check(values["background_check_on"], field="background_check_on")
    checked["status"] = choice_check(
        values["status"], field="status", choices=VolunteerStatus.values
    )
    dates_check(values["start_date"], values["end_date"])
    if values["specialized_rate"] is not None:
        checked["specialized_rate"] = amount_parse(
            values["specialized_rate"], field="specialized_rate"
        )
    return checked


def volunteer_create(
    *,
    person: Person,
    start_date: date,
    acting_user: User | None,
    skills: Sequence[str] = (),
    availability: str = "",
    emergency_contact_name: str = "",
    emergency_contact_phone: str = "",
    background_check_on: date | None = None,
    status: str = VolunteerStatus.ACTIVE,
    end_date: date | None = None,
    specialized_rate: Decimal | str | None = None,
) -> Volunteer:
    values = _volunteer_values_check(
        {
            "skills": list(skills),
            "availability": availability,
            "emergency_contact_name": emergency_contact_name,
            "emergency_contact_phone": emergency_contact_phone,
            "background_check_on": background_check_on,
            "status": status,
            "start_date": start_date,
            "end_date": end_date,
            "specialized_rate": specialized_rate,
        }
    )
    return work_record_create(
        Volunteer,
        person,
        values,
        refusal=f"{person} is already a volunteer; change that record.",
        action="volunteer.create",
        acting_user=acting_user,
    )


def volunteer_update(
    *, volunteer: Volunteer, acting_user: User | None, **changes: Any
) -> Volunteer:
    """Change any of VOLUNTEER_FIELDS, as staff_record_update changes a staff record."""
    return work_record_update(
        volunteer,
        changes,
        fields=VOLUNTEER_FIELDS,
        check=_volunteer_values_check,
        kind=WorkerKind.VOLUNTEER,
        noun="a volunteer",
        action="volunteer.update",
        acting_user=acting_user,
    )

"""Reads of the personnel app: the lists the API and pages show, with what they need joined."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from saas_platform.lib.singletons import singleton_get
from shared_apps.users.roles import Capability
from tenant_apps.donors.selectors import MergePreviewPart, PreviewItem, preview_rows
from tenant_apps.personnel.models import (
    HourEntry,
    Person,
    PersonnelSettings,
    StaffRecord,
    Volunteer,
)

if TYPE_CHECKING:
    from shared_apps.users.models import User
    from tenant_apps.donors.models import Donor


def person_list() -> QuerySet[Person]:
    return Person.objects.select_related("user", "donor", "staff_record", "volunteer")


def staff_list() -> QuerySet[StaffRecord]:
    return StaffRecord.objects.select_related("person", "default_program")


def volunteer_list() -> QuerySet[Volunteer]:
    return Volunteer.objects.select_related("person")


def hour_entry_list(*, user: User) -> QuerySet[HourEntry]:
    """Every entry for those who read personnel records; a person's own entries for anyone
    else (a volunteer's login)."""
    entries = HourEntry.objects.select_related(
        "person", "program", "submitted_by", "decided_by", "in_kind_entry"
    )
    if user.has_capability(Capability.PERSONNEL_READ):
        return entries
    return entries.filter(person__user=user)


def person_of(user: User) -> Person | None:
    return Person.objects.filter(user=user).first()


def personnel_settings() -> PersonnelSettings:
    return singleton_get(PersonnelSettings)


def people_merge_preview(survivor: Donor, merged: Donor) -> MergePreviewPart:
    """The people (staff, volunteers) linked to the merged donor: a merge links them to the
    survivor (services.people.merge_personnel)."""
    items, count = preview_rows(
        Person.objects.filter(donor=merged).order_by("full_name", "id"),
        lambda person: PreviewItem(f"{person.full_name}, of the organization's people"),
    )
    return MergePreviewPart(label="People linked", moving=items, moving_count=count)

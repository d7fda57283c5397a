"""People: anyone who works for the organization, staff or volunteer, with their login and the
donor they may also be; a merge of duplicate donors moves the link."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import text_check
from tenant_apps.core.services import audit_record, changes_save
from tenant_apps.personnel.models import Person
from tenant_apps.personnel.services.checks import audit_text

if TYPE_CHECKING:
    from shared_apps.users.models import User
    from tenant_apps.donors.models import Donor

# --- People ------------------------------------------------------------------------------------


def _user_link_check(user: User | None, *, person: Person | None = None) -> User | None:
    if user is None:
        return None
    taken = Person.objects.filter(user=user)
    if person is not None:
        taken = taken.exclude(pk=person.pk)
    if taken.exists():
        raise ServiceError(
            f"The login {user.email} is already linked to another person.",
            fields={"user": ["Already linked to another person."]},
        )
    return user


def person_create(
    *,
    full_name: str,
    acting_user: User | None,
    email: str = "",
    phone: str = "",
    user: User | None = None,
    donor: Donor | None = None,
) -> Person:
    full_name = text_check(full_name, field="full_name", max_length=200, required=True)
    email = text_check(email, field="email", max_length=254).lower()
    phone = text_check(phone, field="phone", max_length=40)
    user = _user_link_check(user)
    with transaction.atomic():
        person = Person.objects.create(
            full_name=full_name, email=email, phone=phone, user=user, donor=donor
        )
        audit_record("person.create", acting_user=acting_user, obj=person, name=full_name)
    return person


PERSON_FIELDS = ("full_name", "email", "phone", "user", "donor")


def person_update(*, person: Person, acting_user: User | None, **changes: Any) -> Person:
    """Change any of PERSON_FIELDS (user and donor may be None to unlink)."""
    checked: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "full_name":
            checked[name] = text_check(value, field=name, max_length=200, required=True)
        elif name == "email":
            checked[name] = text_check(value, field=name, max_length=254).lower()
        elif name == "phone":
            checked[name] = text_check(value, field=name, max_length=40)
        elif name == "user":
            checked[name] = _user_link_check(value, person=person)
        elif name == "donor":
            checked[name] = value
        else:
            raise ServiceError(f"{name}: not a field of a person.", fields={name: ["Unknown."]})
    checked = {name: value for name, value in checked.items() if getattr(person, name) != value}
    if not checked:
        return person
    return changes_save(
        person, checked, action="person.update", acting_user=acting_user, **audit_text(checked)
    )


# --- Donor merges ------------------------------------------------------------------------------


def merge_personnel(survivor: Donor, merged: Donor) -> dict[str, Any]:
    """People linked to the merged donor now point at the survivor."""
    people = list(Person.objects.filter(donor=merged).values_list("pk", flat=True))
    Person.objects.filter(pk__in=people).update(donor=survivor, updated_at=timezone.now())
    return {"people": people}

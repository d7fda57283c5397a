"""Households: a family or other group of donors, made, renamed, joined and left."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.inputs import text_check
from tenant_apps.core.services import audit_record, changes_save
from tenant_apps.donors.models import Donor, Household
from tenant_apps.donors.services.checks import not_merged_check

if TYPE_CHECKING:
    from shared_apps.users.models import User

# --- Households ------------------------------------------------------------------------------


def _household_name_check(name: str) -> str:
    name = text_check(name, field="name", max_length=200)
    if not name:
        raise ServiceError("A household needs a name.", fields={"name": ["Required."]})
    return name


def household_create(*, name: str, acting_user: User | None) -> Household:
    name = _household_name_check(name)
    with transaction.atomic():
        household = Household.objects.create(name=name)
        audit_record("household.create", acting_user=acting_user, obj=household, name=name)
    return household


def household_update(*, household: Household, name: str, acting_user: User | None) -> Household:
    name = _household_name_check(name)
    if name == household.name:
        return household
    return changes_save(
        household, {"name": name}, action="household.update", acting_user=acting_user
    )


def household_add(*, household: Household, donor: Donor, acting_user: User | None) -> Donor:
    """Make the donor a member. A member of another household must leave it first: moving
    someone silently out of a family is a mistake more often than not."""
    not_merged_check(donor)
    if donor.household_id == household.pk:
        return donor
    if donor.household_id is not None:
        raise StateConflict(
            f"{donor.display_name} is in another household ({donor.household_id}); "
            "remove them from it first.",
        )
    with transaction.atomic():
        donor.household = household
        donor.save(update_fields=["household", "updated_at"])
        audit_record("household.add", acting_user=acting_user, obj=household, donor=donor.pk)
    return donor


def household_remove(*, household: Household, donor: Donor, acting_user: User | None) -> Donor:
    if donor.household_id != household.pk:
        raise ServiceError(
            f"{donor.display_name} is not a member of {household.name}.",
            fields={"donor": ["Not a member of this household."]},
        )
    with transaction.atomic():
        donor.household = None
        donor.save(update_fields=["household", "updated_at"])
        audit_record("household.remove", acting_user=acting_user, obj=household, donor=donor.pk)
    return donor

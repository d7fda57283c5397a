"""Tags: made on their own or as a donor is tagged, found ignoring case, and in bulk for an
import."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models.functions import Lower

from saas_platform.lib.errors import ServiceError
from tenant_apps.core.services import audit_record
from tenant_apps.donors.models import Donor, Tag
from tenant_apps.donors.services.checks import not_merged_check, tag_name_check

if TYPE_CHECKING:
    from shared_apps.users.models import User

# --- Tags ------------------------------------------------------------------------------------


def tag_create(*, name: str, acting_user: User | None) -> Tag:
    name = tag_name_check(name)
    if Tag.objects.filter(name__iexact=name).exists():
        raise ServiceError(f"The tag {name} exists already.", fields={"name": ["Already used."]})
    with transaction.atomic():
        tag = Tag.objects.create(name=name)
        audit_record("tag.create", acting_user=acting_user, obj=tag, name=name)
    return tag


def donor_tag_add(*, donor: Donor, name: str, acting_user: User | None) -> Tag:
    """Tag the donor, creating the tag if no tag has this name (ignoring case)."""
    name = tag_name_check(name)
    not_merged_check(donor)
    with transaction.atomic():
        (tag,) = tags_get_or_create([name])
        donor.tags.add(tag)
        audit_record("donor.tag_add", acting_user=acting_user, obj=donor, tag=tag.name)
    return tag


def donor_tag_remove(*, donor: Donor, tag: Tag, acting_user: User | None) -> None:
    not_merged_check(donor)
    with transaction.atomic():
        donor.tags.remove(tag)
        audit_record("donor.tag_remove", acting_user=acting_user, obj=donor, tag=tag.name)


# --- Finding tags by name ---------------------------------------------------------------------


def tags_get_or_create(names: Iterable[str]) -> list[Tag]:
    """The tags of these names, found ignoring case or created as written."""
    tags: dict[str, Tag] = {}
    for raw in names:
        name = tag_name_check(raw)
        if name.lower() in tags:
            continue
        tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
        tags[name.lower()] = tag
    return list(tags.values())


def tags_bulk_get_or_create(names: Iterable[str]) -> dict[str, Tag]:
    """The tags of these names by lowercased name: found ignoring case, or created as first
    written. Two queries (three when some are new), whatever the number of names."""
    wanted: dict[str, str] = {}
    for name in names:
        wanted.setdefault(name.lower(), name)
    if not wanted:
        return {}

    def existing() -> dict[str, Tag]:
        return {
            tag.name.lower(): tag
            for tag in Tag.objects.annotate(lowered=Lower("name")).filter(lowered__in=wanted)
        }

    tags = existing()
    missing = [Tag(name=name) for key, name in wanted.items() if key not in tags]
    if missing:
        # Another request may create one of them meanwhile: the unique index settles it.
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        tags = existing()
    return tags

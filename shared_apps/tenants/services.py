"""Writes of organizations: their state, which more than one part of the platform sets, and
the profile (name, time zone, logo) their owners and administrators edit."""

from __future__ import annotations

import functools
import hashlib
import io
import zoneinfo
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import Image

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import text_check
from shared_apps.tenants.models import Organization
from tenant_apps.core.services import audit_record

if TYPE_CHECKING:
    from shared_apps.users.models import User


def organization_state_set(
    *, organization: Organization, state: str, reason: str, changed_at: datetime | None = None
) -> datetime:
    """Put an organization in `state`, saying why, and return when it changed. A save, not a
    queryset update: the post_save signal retires the routing cache, so the tenant's hosts
    refuse (or serve) it from the next request on. The caller owns the transaction.

    `changed_at` is now unless given: putting back a state that was interrupted (a deletion that
    failed) gives its original moment, which billing compares with when it suspended."""
    organization.state = state
    organization.state_reason = reason
    organization.state_changed_at = changed_at or timezone.now()
    organization.save(update_fields=["state", "state_reason", "state_changed_at", "updated_at"])
    return organization.state_changed_at


# --- The organization's profile, edited by its owners and administrators ----------------------

# A logo shows at the height of a line of text in the header: anything past these is an upload
# mistake (a photograph, a print file), refused with a message rather than stored.
LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 4000
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg"}
LOGO_FOLDER = "branding"


@functools.cache
def time_zone_names() -> frozenset[str]:
    """The IANA time zone names this machine knows (read once: it walks the zone files)."""
    return frozenset(zoneinfo.available_timezones())


def _locked(organization: Organization) -> Organization:
    """The organization's row, locked: the instance a request holds comes from the routing
    cache and may be older than the table."""
    return Organization.objects.select_for_update().get(pk=organization.pk)


def organization_profile_update(
    *, organization: Organization, name: str, time_zone: str, acting_user: User | None
) -> Organization:
    """Rename the organization (what its pages and emails call it) and set the time zone its
    dates are read in. Receipts name it by the legal name of the receipt settings instead."""
    name = text_check(name, field="name", max_length=200, required=True)
    time_zone = text_check(time_zone, field="time_zone", max_length=64, required=True)
    if time_zone not in time_zone_names():
        raise ServiceError(
            f"{time_zone!r} is not a time zone name; choose one from the list, such as "
            "America/New_York.",
            fields={"time_zone": ["Not a time zone name."]},
        )
    with transaction.atomic():
        row = _locked(organization)
        changed = {
            field: [getattr(row, field), value]
            for field, value in (("name", name), ("time_zone", time_zone))
            if getattr(row, field) != value
        }
        if changed:
            row.name, row.time_zone = name, time_zone
            # A save, not an update: the post_save signal retires the routing cache.
            row.save(update_fields=["name", "time_zone", "updated_at"])
            audit_record("organization.update", acting_user=acting_user, obj=row, **changed)
    return row


def logo_check(content: bytes) -> str:
    """The file extension of `content` if it is a PNG or JPEG image a header can show;
    otherwise a ServiceError that says what is wrong. Judged by what the bytes are, never by
    the file's name or the type the browser claims."""
    if len(content) > LOGO_MAX_BYTES:
        raise ServiceError(
            "The logo is larger than 1 MB. Save it smaller: a few hundred pixels wide is "
            "plenty for a header and a receipt.",
            fields={"logo": ["At most 1 MB."]},
        )
    not_an_image = ServiceError(
        "The logo must be a PNG or JPEG image; this file is not one.",
        fields={"logo": ["Not a PNG or JPEG image."]},
    )
    try:
        with Image.open(io.BytesIO(content)) as image:
            image_format, (width, height) = image.format, image.size
            image.verify()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_an_image from None
    if image_format not in LOGO_FORMATS:
        raise not_an_image
    if max(width, height) > LOGO_MAX_SIDE:
        raise ServiceError(
            f"The logo is {width} by {height} pixels; at most {LOGO_MAX_SIDE} a side is accepted.",
            fields={"logo": [f"At most {LOGO_MAX_SIDE} pixels a side."]},
        )
    return LOGO_FORMATS[image_format]


def organization_logo_set(
    *, organization: Organization, content: bytes, acting_user: User | None
) -> Organization:
    """Store `content` as the organization's logo, in its own storage, replacing any logo it
    had. The file's name carries a digest of its content, so a browser's cached copy of the
    previous logo is never shown for the new one."""
    extension = logo_check(content)
    digest = hashlib.sha256(content).hexdigest()[:16]
    with transaction.atomic():
        row = _locked(organization)
        previous = row.logo
        stored = default_storage.save(
            f"{LOGO_FOLDER}/logo-{digest}.{extension}", ContentFile(content)
        )
        row.logo = stored
        row.save(update_fields=["logo", "updated_at"])
        audit_record(
            "organization.logo_set", acting_user=acting_user, obj=row, logo=[previous, stored]
        )
        if previous and previous != stored:
            transaction.on_commit(functools.partial(default_storage.delete, previous))
    return row


def organization_logo_remove(*, organization: Organization, acting_user: User | None) -> None:
    """Take the logo away: the header shows the name alone again."""
    with transaction.atomic():
        row = _locked(organization)
        previous = row.logo
        if not previous:
            return
        row.logo = ""
        row.save(update_fields=["logo", "updated_at"])
        audit_record(
            "organization.logo_remove", acting_user=acting_user, obj=row, logo=[previous, ""]
        )
        transaction.on_commit(functools.partial(default_storage.delete, previous))


def organization_setup_checklist_dismiss(
    *, organization: Organization, acting_user: User | None
) -> None:
    """Put the dashboard's getting-started checklist away for everyone in the organization."""
    with transaction.atomic():
        row = _locked(organization)
        if row.setup_checklist_dismissed:
            return
        row.setup_checklist_dismissed = True
        row.save(update_fields=["setup_checklist_dismissed", "updated_at"])
        audit_record("organization.setup_checklist_dismiss", acting_user=acting_user, obj=row)

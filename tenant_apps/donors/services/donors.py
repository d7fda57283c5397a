"""Donors: creating and changing one, replacing its contacts, its notes, and the plan's limit on
how many an organization keeps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import text_check
from saas_platform.lib.plan_limits import PlanLimit, plan_limit_check
from tenant_apps.core.services import actor_of, audit_record, changes_save
from tenant_apps.donors.models import (
    Donor,
    DonorAddress,
    DonorEmail,
    DonorNote,
    DonorPhone,
    Household,
)
from tenant_apps.donors.services.checks import (
    NOTE_MAX_LENGTH,
    AddressSpec,
    DonorNames,
    EmailSpec,
    PhoneSpec,
    addresses_build,
    display_name_of,
    emails_build,
    names_check,
    not_merged_check,
    phones_build,
    tag_name_check,
)
from tenant_apps.donors.services.tags import tags_get_or_create

if TYPE_CHECKING:
    from shared_apps.users.models import User

# --- Donors ----------------------------------------------------------------------------------


def donor_create(
    *,
    names: DonorNames,
    acting_user: User | None,
    emails: Sequence[EmailSpec] = (),
    phones: Sequence[PhoneSpec] = (),
    addresses: Sequence[AddressSpec] = (),
    tags: Sequence[str] = (),
    household: Household | None = None,
    email_ok: bool = True,
    email_news_ok: bool = False,
    mail_ok: bool = True,
    phone_ok: bool = True,
    do_not_contact: bool = False,
    notes: str = "",
) -> Donor:
    """A donor with its emails, phones, addresses and tags (created if new); the first of each
    kind of contact is primary unless another is marked so."""
    names = names_check(names)
    email_rows = emails_build(emails)
    phone_rows = phones_build(phones)
    address_rows = addresses_build(addresses)
    tag_names = [tag_name_check(name) for name in tags]
    notes = text_check(notes, field="notes", max_length=NOTE_MAX_LENGTH)
    with transaction.atomic():
        donor_plan_limit_check(adding=1)
        donor = Donor.objects.create(
            kind=names.kind,
            first_name=names.first_name,
            last_name=names.last_name,
            organization_name=names.organization_name,
            display_name=display_name_of(names),
            email_ok=email_ok,
            email_news_ok=email_news_ok,
            mail_ok=mail_ok,
            phone_ok=phone_ok,
            do_not_contact=do_not_contact,
            notes=notes,
            household=household,
            created_by=actor_of(acting_user),
        )
        contacts: list[DonorEmail | DonorPhone | DonorAddress] = [
            *email_rows,
            *phone_rows,
            *address_rows,
        ]
        for contact in contacts:
            contact.donor = donor
        DonorEmail.objects.bulk_create(email_rows)
        DonorPhone.objects.bulk_create(phone_rows)
        DonorAddress.objects.bulk_create(address_rows)
        if tag_names:
            donor.tags.add(*tags_get_or_create(tag_names))
        audit_record(
            "donor.create",
            acting_user=acting_user,
            obj=donor,
            display_name=donor.display_name,
            kind=donor.kind,
        )
    return donor


DONOR_UPDATABLE = (
    "kind",
    "first_name",
    "last_name",
    "organization_name",
    "email_ok",
    "email_news_ok",
    "mail_ok",
    "phone_ok",
    "do_not_contact",
    "notes",
    "is_active",
)


def donor_update(
    *,
    donor: Donor,
    acting_user: User | None,
    emails: Sequence[EmailSpec] | None = None,
    phones: Sequence[PhoneSpec] | None = None,
    addresses: Sequence[AddressSpec] | None = None,
    tags: Sequence[str] | None = None,
    **changes: Any,
) -> Donor:
    """Change a donor's names, kind, preferences, notes or active flag (the keys of
    DONOR_UPDATABLE; None or a missing key leaves a field as it is), and replace the kinds of
    contact given (see donor_contacts_replace) and the tags if given (by name, created if
    new), all or nothing."""
    unknown = set(changes) - set(DONOR_UPDATABLE)
    if unknown:
        raise TypeError(f"donor_update does not change {', '.join(sorted(unknown))}")
    not_merged_check(donor)
    given = {key: value for key, value in changes.items() if value is not None}
    names = names_check(
        DonorNames(
            kind=given.get("kind", donor.kind),
            first_name=given.get("first_name", donor.first_name),
            last_name=given.get("last_name", donor.last_name),
            organization_name=given.get("organization_name", donor.organization_name),
        )
    )
    tag_names = None if tags is None else [tag_name_check(name) for name in tags]
    if "notes" in given:
        given["notes"] = text_check(given["notes"], field="notes", max_length=NOTE_MAX_LENGTH)
    given.update(
        kind=names.kind,
        first_name=names.first_name,
        last_name=names.last_name,
        organization_name=names.organization_name,
        display_name=display_name_of(names),
    )
    changed = {key: value for key, value in given.items() if getattr(donor, key) != value}
    with transaction.atomic():
        changes_save(donor, changed, action="donor.update", acting_user=acting_user)
        donor_contacts_replace(
            donor=donor, acting_user=acting_user, emails=emails, phones=phones, addresses=addresses
        )
        if tag_names is not None:
            _tags_replace(donor, tag_names, acting_user=acting_user)
    return donor


def _tags_replace(donor: Donor, names: Sequence[str], *, acting_user: User | None) -> None:
    """The donor's tags become those named; an audit row keeps the names before and after."""
    before = sorted(tag.name for tag in donor.tags.all())
    wanted = tags_get_or_create(names)
    after = sorted(tag.name for tag in wanted)
    if before != after:
        donor.tags.set(wanted)
        audit_record(
            "donor.tags_replace", acting_user=acting_user, obj=donor, before=before, after=after
        )


def donor_contacts_replace(
    *,
    donor: Donor,
    acting_user: User | None,
    emails: Sequence[EmailSpec] | None = None,
    phones: Sequence[PhoneSpec] | None = None,
    addresses: Sequence[AddressSpec] | None = None,
) -> Donor:
    """Replace a donor's emails, phones or addresses: each kind given (an empty list removes
    them all) is replaced by the new list, checked as at creation; a kind left as None stays.
    The audit row keeps what each replaced kind held before."""
    not_merged_check(donor)
    builders: list[tuple[str, type[DonorEmail | DonorPhone | DonorAddress], list[Any]]] = []
    if emails is not None:
        builders.append(("emails", DonorEmail, list(emails_build(emails))))
    if phones is not None:
        builders.append(("phones", DonorPhone, list(phones_build(phones))))
    if addresses is not None:
        builders.append(("addresses", DonorAddress, list(addresses_build(addresses))))
    if not builders:
        return donor
    with transaction.atomic():
        before: dict[str, list[str]] = {}
        for kind, model, rows in builders:
            current = model.objects.filter(donor=donor).order_by("id")
            before[kind] = [str(contact) for contact in current]
            current.delete()
            for row in rows:
                row.donor = donor
            model.objects.bulk_create(rows)
        donor.save(update_fields=["updated_at"])
        audit_record("donor.contacts_replace", acting_user=acting_user, obj=donor, before=before)
    return donor


def donor_note_add(*, donor: Donor, body: str, acting_user: User | None) -> DonorNote:
    body = (body or "").strip()
    if not body:
        raise ServiceError("A note needs some text.", fields={"body": ["Required."]})
    if len(body) > NOTE_MAX_LENGTH:
        raise ServiceError(
            f"A note has at most {NOTE_MAX_LENGTH} characters.", fields={"body": ["Too long."]}
        )
    not_merged_check(donor)
    with transaction.atomic():
        note = DonorNote.objects.create(donor=donor, body=body, author=actor_of(acting_user))
        audit_record("donor.note_add", acting_user=acting_user, obj=donor, note=note.pk)
    return note


# --- Plan limits -------------------------------------------------------------------------------


def donor_plan_limit_check(*, adding: int) -> None:
    """Refuse donors past the organization's plan (PlanLimitReached, a 409)."""
    plan_limit_check(limit=PlanLimit.DONORS, adding=adding)

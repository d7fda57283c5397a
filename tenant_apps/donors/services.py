"""Writes to the donor database: donors with their contacts, notes, households, tags, and the
merge of a duplicate into the donor that survives.

Each top-level service owns its transaction and writes its audit row (core's AuditEvent: one
audit log per organization) in it. They raise ServiceError, with nothing written, for input
or state they refuse.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.plan_limits import PlanLimit, plan_limit_check
from tenant_apps.core.services import actor_of, audit_record
from tenant_apps.donors.models import (
    Donor,
    DonorAddress,
    DonorEmail,
    DonorKind,
    DonorMergeRecord,
    DonorNote,
    DonorPhone,
    Household,
    Tag,
)

if TYPE_CHECKING:
    from shared_apps.users.models import User

NAME_MAX_LENGTH = 100
ORGANIZATION_NAME_MAX_LENGTH = 200
TAG_NAME_MAX_LENGTH = 100
NOTE_MAX_LENGTH = 10_000
PHONE_MIN_DIGITS, PHONE_MAX_DIGITS = 7, 15


@dataclass(frozen=True)
class EmailSpec:
    email: str
    is_primary: bool = False


@dataclass(frozen=True)
class PhoneSpec:
    number: str
    is_primary: bool = False


@dataclass(frozen=True)
class AddressSpec:
    line1: str
    line2: str = ""
    city: str = ""
    region: str = ""
    postcode: str = ""
    country: str = "US"
    is_primary: bool = False


@dataclass(frozen=True)
class DonorNames:
    kind: str
    first_name: str = ""
    last_name: str = ""
    organization_name: str = ""


# --- Normalizing and checking input -------------------------------------------------------------


def phone_digits_of(number: str) -> str:
    """The digits of a phone number as stored and compared: "+1 (555) 010-2030" and
    "555.010.2030" are both "5550102030" (a leading US country code is dropped)."""
    digits = re.sub(r"\D", "", number or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits


def email_normalize(email: str, *, field_name: str = "emails") -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ServiceError(
            f"{email or 'An empty value'} is not an email address.",
            fields={field_name: [f"Not an email address: {email!r}."]},
        ) from None
    return email


def postcode_normalize(postcode: str) -> str:
    return " ".join((postcode or "").upper().split())


def display_name_of(names: DonorNames) -> str:
    if names.kind == DonorKind.ORGANIZATION:
        return names.organization_name.strip()
    return " ".join(part for part in (names.first_name.strip(), names.last_name.strip()) if part)


def _text(value: str, *, field_name: str, max_length: int) -> str:
    value = (value or "").strip()
    if len(value) > max_length:
        raise ServiceError(
            f"{field_name}: at most {max_length} characters.", fields={field_name: ["Too long."]}
        )
    return value


def _names_check(names: DonorNames) -> DonorNames:
    if names.kind not in DonorKind.values:
        raise ServiceError(
            f"A donor's kind is one of {', '.join(DonorKind.values)}.",
            fields={"kind": [f"Unknown kind {names.kind!r}."]},
        )
    names = DonorNames(
        kind=names.kind,
        first_name=_text(names.first_name, field_name="first_name", max_length=NAME_MAX_LENGTH),
        last_name=_text(names.last_name, field_name="last_name", max_length=NAME_MAX_LENGTH),
        organization_name=_text(
            names.organization_name,
            field_name="organization_name",
            max_length=ORGANIZATION_NAME_MAX_LENGTH,
        ),
    )
    if names.kind == DonorKind.INDIVIDUAL and not (names.first_name or names.last_name):
        raise ServiceError(
            "An individual needs a first or a last name.",
            fields={"last_name": ["A first or a last name is required."]},
        )
    if names.kind == DonorKind.ORGANIZATION and not names.organization_name:
        raise ServiceError(
            "An organization needs its name.",
            fields={"organization_name": ["Required for an organization."]},
        )
    return names


def _one_primary[Spec: (EmailSpec, PhoneSpec, AddressSpec)](
    specs: Sequence[Spec], *, field_name: str
) -> list[bool]:
    """Which of the specs is primary: the one marked, or the first if none is."""
    marked = [spec.is_primary for spec in specs]
    if sum(marked) > 1:
        raise ServiceError(
            f"{field_name}: only one can be primary.", fields={field_name: ["Several primaries."]}
        )
    if specs and not any(marked):
        marked[0] = True
    return marked


def _emails_build(specs: Sequence[EmailSpec]) -> list[DonorEmail]:
    primaries = _one_primary(specs, field_name="emails")
    emails: list[DonorEmail] = []
    seen: set[str] = set()
    for spec, is_primary in zip(specs, primaries, strict=True):
        email = email_normalize(spec.email)
        if email in seen:
            raise ServiceError(
                f"{email} is given twice.", fields={"emails": [f"{email} is given twice."]}
            )
        seen.add(email)
        emails.append(DonorEmail(email=email, is_primary=is_primary))
    return emails


def _phones_build(specs: Sequence[PhoneSpec]) -> list[DonorPhone]:
    primaries = _one_primary(specs, field_name="phones")
    phones: list[DonorPhone] = []
    for spec, is_primary in zip(specs, primaries, strict=True):
        number = (spec.number or "").strip()
        digits = phone_digits_of(number)
        if not PHONE_MIN_DIGITS <= len(digits) <= PHONE_MAX_DIGITS or len(number) > 40:
            raise ServiceError(
                f"{number or 'An empty value'} is not a phone number "
                f"({PHONE_MIN_DIGITS} to {PHONE_MAX_DIGITS} digits).",
                fields={"phones": [f"Not a phone number: {number!r}."]},
            )
        phones.append(DonorPhone(number=number, phone_digits=digits, is_primary=is_primary))
    return phones


def _addresses_build(specs: Sequence[AddressSpec]) -> list[DonorAddress]:
    primaries = _one_primary(specs, field_name="addresses")
    addresses: list[DonorAddress] = []
    for spec, is_primary in zip(specs, primaries, strict=True):
        line1 = _text(spec.line1, field_name="addresses", max_length=200)
        if not line1:
            raise ServiceError(
                "An address needs its first line.", fields={"addresses": ["line1 is required."]}
            )
        country = (spec.country or "US").strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise ServiceError(
                f"{spec.country!r} is not a two-letter country code (US, CA, GB...).",
                fields={"addresses": ["country is a two-letter code."]},
            )
        addresses.append(
            DonorAddress(
                line1=line1,
                line2=_text(spec.line2, field_name="addresses", max_length=200),
                city=_text(spec.city, field_name="addresses", max_length=100),
                region=_text(spec.region, field_name="addresses", max_length=100),
                postcode=_text(
                    postcode_normalize(spec.postcode), field_name="addresses", max_length=20
                ),
                country=country,
                is_primary=is_primary,
            )
        )
    return addresses


def _tag_name_check(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError("A tag needs a name.", fields={"name": ["Required."]})
    if len(name) > TAG_NAME_MAX_LENGTH:
        raise ServiceError(
            f"A tag name has at most {TAG_NAME_MAX_LENGTH} characters.",
            fields={"name": ["Too long."]},
        )
    return name


def _tags_get_or_create(names: Iterable[str]) -> list[Tag]:
    """The tags of these names, found ignoring case or created as written."""
    tags: dict[str, Tag] = {}
    for raw in names:
        name = _tag_name_check(raw)
        if name.lower() in tags:
            continue
        tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
        tags[name.lower()] = tag
    return list(tags.values())


def _not_merged(donor: Donor) -> None:
    if donor.merged_into_id is not None:
        raise StateConflict(
            f"Donor {donor.pk} was merged into donor {donor.merged_into_id}; change that one.",
        )


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
    mail_ok: bool = True,
    phone_ok: bool = True,
    do_not_contact: bool = False,
    notes: str = "",
) -> Donor:
    """A donor with its emails, phones, addresses and tags (created if new); the first of each
    kind of contact is primary unless another is marked so."""
    names = _names_check(names)
    email_rows = _emails_build(emails)
    phone_rows = _phones_build(phones)
    address_rows = _addresses_build(addresses)
    tag_names = [_tag_name_check(name) for name in tags]
    notes = _text(notes, field_name="notes", max_length=NOTE_MAX_LENGTH)
    with transaction.atomic():
        _donor_plan_limit_check(adding=1)
        donor = Donor.objects.create(
            kind=names.kind,
            first_name=names.first_name,
            last_name=names.last_name,
            organization_name=names.organization_name,
            display_name=display_name_of(names),
            email_ok=email_ok,
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
            donor.tags.add(*_tags_get_or_create(tag_names))
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
    **changes: Any,
) -> Donor:
    """Change a donor's names, kind, preferences, notes or active flag (the keys of
    DONOR_UPDATABLE; None or a missing key leaves a field as it is), and replace the kinds of
    contact given (see donor_contacts_replace), all or nothing."""
    unknown = set(changes) - set(DONOR_UPDATABLE)
    if unknown:
        raise TypeError(f"donor_update does not change {', '.join(sorted(unknown))}")
    _not_merged(donor)
    given = {key: value for key, value in changes.items() if value is not None}
    names = _names_check(
        DonorNames(
            kind=given.get("kind", donor.kind),
            first_name=given.get("first_name", donor.first_name),
            last_name=given.get("last_name", donor.last_name),
            organization_name=given.get("organization_name", donor.organization_name),
        )
    )
    if "notes" in given:
        given["notes"] = _text(given["notes"], field_name="notes", max_length=NOTE_MAX_LENGTH)
    given.update(
        kind=names.kind,
        first_name=names.first_name,
        last_name=names.last_name,
        organization_name=names.organization_name,
        display_name=display_name_of(names),
    )
    changed = {key: value for key, value in given.items() if getattr(donor, key) != value}
    with transaction.atomic():
        if changed:
            for key, value in changed.items():
                setattr(donor, key, value)
            donor.save(update_fields=[*changed, "updated_at"])
            audit_record("donor.update", acting_user=acting_user, obj=donor, **changed)
        donor_contacts_replace(
            donor=donor, acting_user=acting_user, emails=emails, phones=phones, addresses=addresses
        )
    return donor


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
    _not_merged(donor)
    builders: list[tuple[str, type[DonorEmail | DonorPhone | DonorAddress], list[Any]]] = []
    if emails is not None:
        builders.append(("emails", DonorEmail, list(_emails_build(emails))))
    if phones is not None:
        builders.append(("phones", DonorPhone, list(_phones_build(phones))))
    if addresses is not None:
        builders.append(("addresses", DonorAddress, list(_addresses_build(addresses))))
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
    _not_merged(donor)
    with transaction.atomic():
        note = DonorNote.objects.create(donor=donor, body=body, author=actor_of(acting_user))
        audit_record("donor.note_add", acting_user=acting_user, obj=donor, note=note.pk)
    return note


# --- Households ------------------------------------------------------------------------------


def _household_name_check(name: str) -> str:
    name = _text(name, field_name="name", max_length=200)
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
    with transaction.atomic():
        household.name = name
        household.save(update_fields=["name", "updated_at"])
        audit_record("household.update", acting_user=acting_user, obj=household, name=name)
    return household


def household_add(*, household: Household, donor: Donor, acting_user: User | None) -> Donor:
    """Make the donor a member. A member of another household must leave it first: moving
    someone silently out of a family is a mistake more often than not."""
    _not_merged(donor)
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


# --- Tags ------------------------------------------------------------------------------------


def tag_create(*, name: str, acting_user: User | None) -> Tag:
    name = _tag_name_check(name)
    if Tag.objects.filter(name__iexact=name).exists():
        raise ServiceError(f"The tag {name} exists already.", fields={"name": ["Already used."]})
    with transaction.atomic():
        tag = Tag.objects.create(name=name)
        audit_record("tag.create", acting_user=acting_user, obj=tag, name=name)
    return tag


def donor_tag_add(*, donor: Donor, name: str, acting_user: User | None) -> Tag:
    """Tag the donor, creating the tag if no tag has this name (ignoring case)."""
    name = _tag_name_check(name)
    _not_merged(donor)
    with transaction.atomic():
        (tag,) = _tags_get_or_create([name])
        donor.tags.add(tag)
        audit_record("donor.tag_add", acting_user=acting_user, obj=donor, tag=tag.name)
    return tag


def donor_tag_remove(*, donor: Donor, tag: Tag, acting_user: User | None) -> None:
    _not_merged(donor)
    with transaction.atomic():
        donor.tags.remove(tag)
        audit_record("donor.tag_remove", acting_user=acting_user, obj=donor, tag=tag.name)


# --- Merge -----------------------------------------------------------------------------------

# What one step of a merge moved, for the merge record: JSON-ready.
Moved = dict[str, Any]
MergeStep = Callable[[Donor, Donor], Moved]


def _contacts_move[Contact: (DonorEmail, DonorPhone, DonorAddress)](
    model: type[Contact],
    survivor: Donor,
    merged: Donor,
    *,
    name: str,
    key: Callable[[Contact], Any],
    shown: Callable[[Contact], Any],
) -> Moved:
    """Move the merged donor's contacts of one kind to the survivor. One the survivor already
    has (same `key`) stays on the tombstone; the survivor's primary stays primary."""
    own = list(model.objects.filter(donor=survivor))
    kept = {key(row) for row in own}
    has_primary = any(row.is_primary for row in own)
    moved, left = [], []
    for row in model.objects.filter(donor=merged).order_by("-is_primary", "id"):
        if key(row) in kept:
            left.append(shown(row))
            continue
        row.donor = survivor
        row.is_primary = row.is_primary and not has_primary
        has_primary = has_primary or row.is_primary
        row.save(update_fields=["donor", "is_primary"])
        moved.append(row.pk)
    return {name: moved, f"{name}_already_on_survivor": left}


def _merge_emails(survivor: Donor, merged: Donor) -> Moved:
    return _contacts_move(
        DonorEmail, survivor, merged, name="emails", key=lambda r: r.email, shown=lambda r: r.email
    )


def _merge_phones(survivor: Donor, merged: Donor) -> Moved:
    return _contacts_move(
        DonorPhone,
        survivor,
        merged,
        name="phones",
        key=lambda r: r.phone_digits,
        shown=lambda r: r.number,
    )


def _merge_addresses(survivor: Donor, merged: Donor) -> Moved:
    return _contacts_move(
        DonorAddress,
        survivor,
        merged,
        name="addresses",
        key=lambda r: (" ".join(r.line1.lower().split()), r.postcode),
        shown=lambda r: r.pk,
    )


def _merge_notes(survivor: Donor, merged: Donor) -> Moved:
    notes = list(DonorNote.objects.filter(donor=merged).values_list("pk", flat=True))
    DonorNote.objects.filter(pk__in=notes).update(donor=survivor)
    moved: Moved = {"notes": notes}
    if merged.notes:
        # The free-text notes field is appended, marked with where it came from.
        survivor.notes = "\n\n".join(
            part
            for part in (
                survivor.notes,
                f"From {merged.display_name} (#{merged.pk}):\n{merged.notes}",
            )
            if part
        )
        moved["notes_text_appended"] = True
    return moved


def _merge_tags(survivor: Donor, merged: Donor) -> Moved:
    tags = list(merged.tags.all())
    survivor.tags.add(*tags)
    merged.tags.clear()
    return {"tags": sorted(tag.name for tag in tags)}


def _merge_household(survivor: Donor, merged: Donor) -> Moved:
    moved: Moved = {"household_from_merged": merged.household_id}
    if merged.household_id is not None and survivor.household_id is None:
        survivor.household_id = merged.household_id
        moved["household_moved_to_survivor"] = True
    merged.household = None  # the tombstone leaves the household either way
    return moved


def _merge_preferences(survivor: Donor, merged: Donor) -> Moved:
    # The stricter choice wins: a person who opted out on either record has opted out.
    changed: Moved = {}
    for name in ("email_ok", "mail_ok", "phone_ok"):
        if getattr(survivor, name) and not getattr(merged, name):
            setattr(survivor, name, False)
            changed[name] = False
    if merged.do_not_contact and not survivor.do_not_contact:
        survivor.do_not_contact = True
        changed["do_not_contact"] = True
    return {"preferences_changed": changed}


def _merge_earlier_merges(survivor: Donor, merged: Donor) -> Moved:
    # Donors merged into `merged` before now point at the survivor: merged_into is never a chain.
    earlier = list(Donor.objects.filter(merged_into=merged).values_list("pk", flat=True))
    Donor.objects.filter(pk__in=earlier).update(merged_into=survivor)
    return {"earlier_merges_repointed": earlier}


# The steps of a merge, in order. Each moves one kind of thing and says what it moved; the
# donors' own fields they change are saved once at the end. Gifts and soft credits belong to
# the donations app, which depends on this one: it appends its steps (gifts, soft credits,
# pledges, recurring gifts) with merge_step_register() from its AppConfig.ready().
MERGE_STEPS: list[tuple[str, MergeStep]] = [
    ("emails", _merge_emails),
    ("phones", _merge_phones),
    ("addresses", _merge_addresses),
    ("notes", _merge_notes),
    ("tags", _merge_tags),
    ("household", _merge_household),
    ("preferences", _merge_preferences),
    ("earlier_merges", _merge_earlier_merges),
]


def merge_step_register(name: str, step: MergeStep) -> None:
    """Add a step to every merge (another app's rows that point at donors). Idempotent by name."""
    if name not in {existing for existing, _ in MERGE_STEPS}:
        MERGE_STEPS.append((name, step))


@dataclass(frozen=True)
class MergeResult:
    survivor: Donor
    merged: Donor
    record: DonorMergeRecord
    moved: Moved = field(default_factory=dict)


def donor_merge(
    *,
    survivor: Donor,
    merged: Donor,
    acting_user: User | None,
    allow_different_kinds: bool = False,
) -> MergeResult:
    """Merge a duplicate into the donor that survives: its contacts, notes, tags, household
    (and, once registered, gifts and soft credits) move to the survivor; the merged donor stays
    as an inactive tombstone pointing at the survivor; a DonorMergeRecord says what moved."""
    if survivor.pk == merged.pk:
        raise ServiceError(
            "A donor cannot be merged into itself.", fields={"merged": ["Same donor."]}
        )
    with transaction.atomic():
        # Both rows locked, in id order so two merges of the same pair cannot deadlock; the
        # checks below run on the locked rows, not on what the caller read earlier.
        locked = {
            donor.pk: donor
            for donor in Donor.objects.select_for_update()
            .filter(pk__in=[survivor.pk, merged.pk])
            .order_by("pk")
        }
        survivor, merged = locked[survivor.pk], locked[merged.pk]
        if merged.merged_into_id is not None:
            raise StateConflict(
                f"Donor {merged.pk} was already merged into donor {merged.merged_into_id}."
            )
        if survivor.merged_into_id is not None:
            raise StateConflict(
                f"Donor {survivor.pk} was merged into donor {survivor.merged_into_id}; "
                "merge into that one."
            )
        if survivor.kind != merged.kind and not allow_different_kinds:
            raise ServiceError(
                f"{merged.display_name} is an {merged.kind} and {survivor.display_name} an "
                f"{survivor.kind}; merging them needs allow_different_kinds.",
                fields={"allow_different_kinds": ["Required to merge different kinds."]},
            )
        moved: Moved = {}
        for name, step in MERGE_STEPS:
            moved[name] = step(survivor, merged)
        survivor.save()
        merged.is_active = False
        merged.merged_into = survivor
        merged.save(update_fields=["is_active", "merged_into", "household", "updated_at"])
        record = DonorMergeRecord.objects.create(
            survivor=survivor, merged=merged, acting_user=actor_of(acting_user), moved=moved
        )
        audit_record(
            "donor.merge",
            acting_user=acting_user,
            obj=survivor,
            merged=merged.pk,
            record=record.pk,
        )
    return MergeResult(survivor=survivor, merged=merged, record=record, moved=moved)


# --- Bulk import -----------------------------------------------------------------------------
# A CSV import (donations.imports) checks every row with the rules donor_create applies, then
# writes all the donors in a few bulk statements: 10,000 donors one donor_create at a time
# would take minutes. The import owns the transaction and writes the one audit row.

IMPORT_BATCH_SIZE = 1000
# The columns of a donor CSV file: what the import reads and the export writes, in this order,
# so that an exported file imports as it is. One email, phone and address (the primary) a row;
# tags separated by ";"; yes/no for the preferences.
DONOR_CSV_COLUMNS = (
    "type",
    "first_name",
    "last_name",
    "organization_name",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postcode",
    "country",
    "tags",
    "email_ok",
    "mail_ok",
    "phone_ok",
    "do_not_contact",
    "notes",
)
TAG_SEPARATOR = ";"


@dataclass(frozen=True)
class DonorImportSpec:
    """One donor as a file gives it, before any check."""

    names: DonorNames
    emails: Sequence[EmailSpec] = ()
    phones: Sequence[PhoneSpec] = ()
    addresses: Sequence[AddressSpec] = ()
    tags: Sequence[str] = ()
    email_ok: bool = True
    mail_ok: bool = True
    phone_ok: bool = True
    do_not_contact: bool = False
    notes: str = ""


@dataclass
class DonorPrepared:
    """A checked donor, unsaved, with its unsaved contacts and its tags' names."""

    donor: Donor
    emails: list[DonorEmail]
    phones: list[DonorPhone]
    addresses: list[DonorAddress]
    tags: list[str]


def donor_import_check(spec: DonorImportSpec) -> tuple[DonorPrepared | None, list[ServiceError]]:
    """The donor checked by donor_create's rules, or every refusal (not only the first: a
    person fixing a file wants to see all that is wrong with a row at once)."""
    refusals: list[ServiceError] = []

    def checked[T](check: Callable[[], T], default: T) -> T:
        try:
            return check()
        except ServiceError as error:
            refusals.append(error)
            return default

    names = checked(lambda: _names_check(spec.names), spec.names)
    no_emails: list[DonorEmail] = []
    no_phones: list[DonorPhone] = []
    no_addresses: list[DonorAddress] = []
    emails = checked(lambda: _emails_build(spec.emails), no_emails)
    phones = checked(lambda: _phones_build(spec.phones), no_phones)
    addresses = checked(lambda: _addresses_build(spec.addresses), no_addresses)
    tags = [checked(functools.partial(_tag_name_check, name), "") for name in spec.tags]
    notes = checked(lambda: _text(spec.notes, field_name="notes", max_length=NOTE_MAX_LENGTH), "")
    if refusals:
        return None, refusals
    donor = Donor(
        kind=names.kind,
        first_name=names.first_name,
        last_name=names.last_name,
        organization_name=names.organization_name,
        display_name=display_name_of(names),
        email_ok=spec.email_ok,
        mail_ok=spec.mail_ok,
        phone_ok=spec.phone_ok,
        do_not_contact=spec.do_not_contact,
        notes=notes,
    )
    return DonorPrepared(donor, emails, phones, addresses, tags), []


def _tags_bulk_get_or_create(names: Iterable[str]) -> dict[str, Tag]:
    """The tags of these names by lowercased name: found ignoring case, or created as first
    written. Two queries (three when some are new), whatever the number of names."""
    from django.db.models.functions import Lower  # here: this section is appended to the module

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


def donors_bulk_create(
    *,
    prepared: Sequence[DonorPrepared],
    acting_user: User | None,
    progress: Callable[[int], None] | None = None,
) -> list[Donor]:
    """Save checked donors (from donor_import_check) with their contacts and tags, a batch of
    IMPORT_BATCH_SIZE at a time, calling `progress(saved so far)` after each batch. Runs in
    the caller's transaction; the caller writes the audit row."""
    actor = actor_of(acting_user)
    tags = _tags_bulk_get_or_create(name for row in prepared for name in row.tags)
    saved: list[Donor] = []
    with transaction.atomic():
        _donor_plan_limit_check(adding=len(prepared))
        for start in range(0, len(prepared), IMPORT_BATCH_SIZE):
            batch = prepared[start : start + IMPORT_BATCH_SIZE]
            for row in batch:
                row.donor.created_by = actor
            Donor.objects.bulk_create([row.donor for row in batch])
            emails, phones, addresses, links = [], [], [], []
            for row in batch:
                contacts: list[DonorEmail | DonorPhone | DonorAddress] = [
                    *row.emails,
                    *row.phones,
                    *row.addresses,
                ]
                for contact in contacts:
                    contact.donor = row.donor
                emails += row.emails
                phones += row.phones
                addresses += row.addresses
                links += [
                    Donor.tags.through(donor_id=row.donor.pk, tag_id=tag_id)
                    for tag_id in dict.fromkeys(tags[name.lower()].pk for name in row.tags)
                ]
            DonorEmail.objects.bulk_create(emails)
            DonorPhone.objects.bulk_create(phones)
            DonorAddress.objects.bulk_create(addresses)
            Donor.tags.through.objects.bulk_create(links)
            saved += [row.donor for row in batch]
            if progress is not None:
                progress(len(saved))
    return saved


# --- Plan limits -------------------------------------------------------------------------------


def _donor_plan_limit_check(*, adding: int) -> None:
    """Refuse donors past the organization's plan (PlanLimitReached, a 409)."""
    plan_limit_check(limit=PlanLimit.DONORS, adding=adding)

"""Donors from a CSV file: each row checked by donor_create's rules, then all of them written in a
few bulk statements; the columns an export writes and an import reads."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction

from saas_platform.lib.bulk import rows_insert
from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import text_check
from saas_platform.lib.transactions import all_or_none
from tenant_apps.core.services import actor_of, audit_event, audit_events_record
from tenant_apps.donors.models import Donor, DonorAddress, DonorEmail, DonorPhone
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
    phones_build,
    tag_name_check,
)
from tenant_apps.donors.services.donors import donor_plan_limit_check
from tenant_apps.donors.services.tags import tags_bulk_get_or_create

if TYPE_CHECKING:
    from shared_apps.users.models import User

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
    "email_news_ok",
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
    email_news_ok: bool = False
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

    names = checked(lambda: names_check(spec.names), spec.names)
    no_emails: list[DonorEmail] = []
    no_phones: list[DonorPhone] = []
    no_addresses: list[DonorAddress] = []
    emails = checked(lambda: emails_build(spec.emails), no_emails)
    phones = checked(lambda: phones_build(spec.phones), no_phones)
    addresses = checked(lambda: addresses_build(spec.addresses), no_addresses)
    tags = [checked(functools.partial(tag_name_check, name), "") for name in spec.tags]
    notes = checked(lambda: text_check(spec.notes, field="notes", max_length=NOTE_MAX_LENGTH), "")
    if refusals:
        return None, refusals
    donor = Donor(
        kind=names.kind,
        first_name=names.first_name,
        last_name=names.last_name,
        organization_name=names.organization_name,
        display_name=display_name_of(names),
        email_ok=spec.email_ok,
        email_news_ok=spec.email_news_ok,
        mail_ok=spec.mail_ok,
        phone_ok=spec.phone_ok,
        do_not_contact=spec.do_not_contact,
        notes=notes,
    )
    return DonorPrepared(donor, emails, phones, addresses, tags), []


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
    tags = tags_bulk_get_or_create(name for row in prepared for name in row.tags)
    saved: list[Donor] = []
    # The caller's transaction (one is begun if none is open), without a savepoint of its own:
    # a failure here undoes the caller's work too, as the caller's own refusal would.
    with transaction.atomic(savepoint=False):
        donor_plan_limit_check(adding=len(prepared))
        for start in range(0, len(prepared), IMPORT_BATCH_SIZE):
            batch = prepared[start : start + IMPORT_BATCH_SIZE]
            for row in batch:
                row.donor.created_by = actor
            rows_insert([row.donor for row in batch])
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
            rows_insert(emails)
            rows_insert(phones)
            rows_insert(addresses)
            rows_insert(links)
            saved += [row.donor for row in batch]
            if progress is not None:
                progress(len(saved))
    return saved


def donors_create(*, donors: Sequence[DonorImportSpec], acting_user: User | None) -> list[Donor]:
    """Many donors in one transaction, all or none, each checked by donor_create's rules and
    written with the same rows (contacts, tags, its "donor.create" audit row), a batch at a
    time (donors_bulk_create). A refusal names the donor by its place in the list."""
    prepared = []
    for index, spec in enumerate(donors):
        checked, refusals = donor_import_check(spec)
        if checked is None:
            raise ServiceError(
                f"Donor {index + 1}: {refusals[0].message}", fields=refusals[0].fields
            )
        prepared.append(checked)
    with all_or_none():
        saved = donors_bulk_create(prepared=prepared, acting_user=acting_user)
        audit_events_record(
            [
                audit_event(
                    "donor.create",
                    acting_user=acting_user,
                    obj=donor,
                    display_name=donor.display_name,
                    kind=donor.kind,
                )
                for donor in saved
            ]
        )
    return saved

"""The rows of a donors import, checked by donor_create's rules (every problem of every row
listed), and the rows that look like a donor already recorded or an earlier row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import connection

from tenant_apps.donations.services.import_csv import (
    COLUMN_MAX_LENGTH,
    FALSE_WORDS,
    TRUE_WORDS,
    CsvFile,
    CsvRow,
    DuplicateSuggestion,
    RowError,
    refusal_errors,
    row_error,
)
from tenant_apps.donors import services as donors
from tenant_apps.donors.models import Donor, DonorAddress, DonorEmail, DonorKind, DonorPhone
from tenant_apps.donors.selectors import (
    DUPLICATE_NAME_SIMILARITY,
    DUPLICATES_LIMIT,
    DuplicateReason,
)


def _yes_no(row: CsvRow, column: str, default: bool, errors: list[RowError]) -> bool:
    value = row.values.get(column, "").lower()
    if not value:
        return default
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    errors.append(row_error(row.number, column, f"{row.values[column]!r} is not yes or no."))
    return default


def _lengths_check(row: CsvRow, errors: list[RowError]) -> set[str]:
    """The columns whose cell is too long, each with its error (the part they belong to is not
    checked further: the service would name the whole address, not the column)."""
    too_long = set()
    for column, limit in COLUMN_MAX_LENGTH.items():
        if len(row.values.get(column, "")) > limit:
            errors.append(row_error(row.number, column, f"At most {limit} characters."))
            too_long.add(column)
    return too_long


def _donor_column(service_field: str, detail: str) -> str:
    if service_field == "addresses":
        return "country" if "country" in detail else "address_line1"
    return {
        "kind": "type",
        "emails": "email",
        "phones": "phone",
        "name": "tags",  # a tag's name
    }.get(service_field, service_field)


def _donor_kind(row: CsvRow, errors: list[RowError]) -> str:
    value = row.values.get("type", "").lower()
    if not value:
        named = row.values.get("first_name") or row.values.get("last_name")
        if row.values.get("organization_name") and not named:
            return DonorKind.ORGANIZATION
        return DonorKind.INDIVIDUAL
    if value == "organisation":
        return DonorKind.ORGANIZATION
    if value not in DonorKind.values:
        errors.append(
            row_error(
                row.number, "type", f"{row.values['type']!r} is not individual or organization."
            )
        )
    return value


def _donor_spec(
    row: CsvRow, errors: list[RowError], *, too_long: set[str]
) -> donors.DonorImportSpec:
    values = row.values
    kind = _donor_kind(row, errors)
    address_parts = ("address_line1", "address_line2", "city", "region", "postcode", "country")
    addresses = []
    if any(values.get(part) for part in address_parts[:-1]) and not too_long & set(address_parts):
        addresses.append(
            donors.AddressSpec(
                line1=values.get("address_line1", ""),
                line2=values.get("address_line2", ""),
                city=values.get("city", ""),
                region=values.get("region", ""),
                postcode=values.get("postcode", ""),
                country=values.get("country", "") or "US",
            )
        )
    tags = [
        name.strip() for name in values.get("tags", "").split(donors.TAG_SEPARATOR) if name.strip()
    ]
    return donors.DonorImportSpec(
        names=donors.DonorNames(
            kind=kind if kind in DonorKind.values else DonorKind.INDIVIDUAL,
            first_name=values.get("first_name", ""),
            last_name=values.get("last_name", ""),
            organization_name=values.get("organization_name", ""),
        ),
        emails=[donors.EmailSpec(values["email"])]
        if values.get("email") and "email" not in too_long
        else [],
        phones=[donors.PhoneSpec(values["phone"])]
        if values.get("phone") and "phone" not in too_long
        else [],
        addresses=addresses,
        tags=tags,
        email_ok=_yes_no(row, "email_ok", True, errors),
        email_news_ok=_yes_no(row, "email_news_ok", False, errors),
        mail_ok=_yes_no(row, "mail_ok", True, errors),
        phone_ok=_yes_no(row, "phone_ok", True, errors),
        do_not_contact=_yes_no(row, "do_not_contact", False, errors),
        notes=values.get("notes", ""),
    )


@dataclass
class DonorPlan:
    prepared: list[tuple[int, donors.DonorPrepared]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def donors_validate(parsed: CsvFile, *, progress: Callable[[int], None]) -> DonorPlan:
    """Every row checked by donor_create's rules; every problem of every row listed."""
    plan = DonorPlan()
    for done, row in enumerate(parsed.rows, start=1):
        errors = row.shape_errors()
        spec = _donor_spec(row, errors, too_long=_lengths_check(row, errors))
        prepared, refusals = donors.donor_import_check(spec)
        errors += refusal_errors(row.number, refusals, _donor_column)
        # Each problem once, even when two checks see it (a type that is not a kind).
        errors = list({(error["column"], error["message"]): error for error in errors}.values())
        if errors:
            plan.errors += errors
        elif prepared is not None:
            plan.prepared.append((row.number, prepared))
        progress(done)
    return plan


def _existing_duplicates(
    prepared: Sequence[tuple[int, donors.DonorPrepared]],
) -> list[DuplicateSuggestion]:
    """donor_duplicates_suggest's tests (same email, same phone digits, a similar name at the
    same postcode) for every row at once: three queries, not one a row."""
    by_email: dict[str, list[int]] = defaultdict(list)
    by_digits: dict[str, list[int]] = defaultdict(list)
    rows, names, postcodes = [], [], []
    for number, row in prepared:
        for donor_email in row.emails:
            by_email[donor_email.email].append(number)
        for phone in row.phones:
            by_digits[phone.phone_digits].append(number)
        for address in row.addresses:
            if address.postcode:
                rows.append(number)
                names.append(row.donor.display_name)
                postcodes.append(address.postcode)
    found: dict[tuple[int, int], list[str]] = defaultdict(list)
    donor_names: dict[int, str] = {}
    active = {"donor__merged_into__isnull": True}
    for email, donor_id, name in DonorEmail.objects.filter(
        email__in=by_email, **active
    ).values_list("email", "donor_id", "donor__display_name"):
        donor_names[donor_id] = name
        for number in by_email[email]:
            found[number, donor_id].append(DuplicateReason.EMAIL)
    for digits, donor_id, name in DonorPhone.objects.filter(
        phone_digits__in=by_digits, **active
    ).values_list("phone_digits", "donor_id", "donor__display_name"):
        donor_names[donor_id] = name
        for number in by_digits[digits]:
            if DuplicateReason.PHONE not in found[number, donor_id]:
                found[number, donor_id].append(DuplicateReason.PHONE)
    if rows:
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT DISTINCT candidate.row, donor.id, donor.display_name
                FROM unnest(%s::int[], %s::text[], %s::text[])
                     AS candidate(row, name, postcode)
                JOIN {DonorAddress._meta.db_table} address
                     ON address.postcode = candidate.postcode
                JOIN {Donor._meta.db_table} donor
                     ON donor.id = address.donor_id AND donor.merged_into_id IS NULL
                WHERE similarity(donor.display_name, candidate.name) >= %s
                """,  # noqa: S608 (table names from the models; values are parameters)
                [rows, names, postcodes, DUPLICATE_NAME_SIMILARITY],
            )
            for number, donor_id, name in cursor.fetchall():
                donor_names[donor_id] = name
                found[number, donor_id].append(DuplicateReason.NAME_AND_POSTCODE)
    suggestions: dict[int, list[DuplicateSuggestion]] = defaultdict(list)
    for (number, donor_id), reasons in sorted(found.items()):
        suggestions[number].append(
            {
                "row": number,
                "reasons": reasons,
                "donor": donor_id,
                "donor_name": donor_names[donor_id],
            }
        )
    return [
        suggestion
        for number in sorted(suggestions)
        for suggestion in sorted(suggestions[number], key=lambda s: -len(s["reasons"]))[
            :DUPLICATES_LIMIT
        ]
    ]


def _file_duplicates(
    prepared: Sequence[tuple[int, donors.DonorPrepared]],
) -> list[DuplicateSuggestion]:
    """Rows that repeat an earlier row of the file: same email, same phone digits, or the same
    name (ignoring case) at the same postcode."""
    first_row: dict[tuple[str, str], int] = {}
    suggestions = []
    for number, row in prepared:
        keys = [(DuplicateReason.EMAIL, email.email) for email in row.emails]
        keys += [(DuplicateReason.PHONE, phone.phone_digits) for phone in row.phones]
        keys += [
            (DuplicateReason.NAME_AND_POSTCODE, f"{row.donor.display_name.lower()}|{a.postcode}")
            for a in row.addresses
            if a.postcode
        ]
        earlier: dict[int, list[str]] = defaultdict(list)
        for key in keys:
            if key in first_row:
                earlier[first_row[key]].append(key[0])
            else:
                first_row[key] = number
        suggestions += [
            DuplicateSuggestion(row=number, reasons=reasons, same_as_row=other)
            for other, reasons in sorted(earlier.items())
        ]
    return suggestions


def donors_duplicates(
    prepared: Sequence[tuple[int, donors.DonorPrepared]],
) -> list[DuplicateSuggestion]:
    both = [*_existing_duplicates(prepared), *_file_duplicates(prepared)]
    return sorted(both, key=lambda suggestion: suggestion["row"])

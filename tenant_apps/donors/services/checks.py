"""Checks and normal forms of what donor services take: names, emails, phones, addresses and
tag names, as a donor is created, changed or imported, and the refusal to change a merged donor."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.inputs import text_check
from tenant_apps.donors.models import Donor, DonorAddress, DonorEmail, DonorKind, DonorPhone

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


def names_check(names: DonorNames) -> DonorNames:
    if names.kind not in DonorKind.values:
        raise ServiceError(
            f"A donor's kind is one of {', '.join(DonorKind.values)}.",
            fields={"kind": [f"Unknown kind {names.kind!r}."]},
        )
    names = DonorNames(
        kind=names.kind,
        first_name=text_check(names.first_name, field="first_name", max_length=NAME_MAX_LENGTH),
        last_name=text_check(names.last_name, field="last_name", max_length=NAME_MAX_LENGTH),
        organization_name=text_check(
            names.organization_name,
            field="organization_name",
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


def emails_build(specs: Sequence[EmailSpec]) -> list[DonorEmail]:
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


def phones_build(specs: Sequence[PhoneSpec]) -> list[DonorPhone]:
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


def addresses_build(specs: Sequence[AddressSpec]) -> list[DonorAddress]:
    primaries = _one_primary(specs, field_name="addresses")
    addresses: list[DonorAddress] = []
    for spec, is_primary in zip(specs, primaries, strict=True):
        line1 = text_check(spec.line1, field="addresses", max_length=200)
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
                line2=text_check(spec.line2, field="addresses", max_length=200),
                city=text_check(spec.city, field="addresses", max_length=100),
                region=text_check(spec.region, field="addresses", max_length=100),
                postcode=text_check(
                    postcode_normalize(spec.postcode), field="addresses", max_length=20
                ),
                country=country,
                is_primary=is_primary,
            )
        )
    return addresses


def address_match_key(address: DonorAddress) -> tuple[str, str]:
    """What makes two addresses the same one (a merge keeps one of them): the first line, any
    case and spacing, and the postcode (stored in its normal form)."""
    return (" ".join(address.line1.lower().split()), address.postcode)


def tag_name_check(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError("A tag needs a name.", fields={"name": ["Required."]})
    if len(name) > TAG_NAME_MAX_LENGTH:
        raise ServiceError(
            f"A tag name has at most {TAG_NAME_MAX_LENGTH} characters.",
            fields={"name": ["Too long."]},
        )
    return name


def not_merged_check(donor: Donor) -> None:
    if donor.merged_into_id is not None:
        raise StateConflict(
            f"Donor {donor.pk} was merged into donor {donor.merged_into_id}; change that one.",
        )

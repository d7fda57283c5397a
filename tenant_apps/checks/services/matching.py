"""Who paid a scanned check and whether it was deposited before: the account's fingerprint (a
keyed hash of routing and account numbers: the account number itself is never stored), the
donor learned from earlier accepted checks of the same account, else the donor database's own
duplicate rules on the payer's name and postcode; and a check already scanned (the same account
and check number, or the same image)."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from django.conf import settings

from tenant_apps.checks.models import CheckState, ScannedCheck
from tenant_apps.donors.models import Donor, DonorKind
from tenant_apps.donors.selectors import DuplicateCandidate, donor_duplicates_suggest
from tenant_apps.donors.services import DonorNames

ORGANIZATION_WORDS = re.compile(
    r"\b(llc|inc|corp|corporation|company|co|ltd|foundation|trust|church|association|"
    r"society|fund|club|partners|lp|llp|pc)\b\.?",
    re.IGNORECASE,
)
POSTCODE = re.compile(r"\b(\d{5})(?:-\d{4})?\s*$")
ADDRESS_LAST_LINE = re.compile(
    r"^(?P<city>.+?),?\s+(?P<region>[A-Z]{2})\s+(?P<postcode>\d{5}(-\d{4})?)$"
)


def account_fingerprint(*, routing_number: str, account_number: str) -> str:
    """HMAC-SHA256 of the routing and account numbers with CHECK_FINGERPRINT_KEY, as hex. The
    same account gives the same fingerprint; nobody without the key can test an account
    number against it."""
    digits = re.sub(r"\D", "", account_number)
    message = f"{routing_number}:{digits}".encode()
    key = settings.CHECK_FINGERPRINT_KEY.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def account_last4(account_number: str) -> str:
    return re.sub(r"\D", "", account_number)[-4:]


def payer_names(payer_name: str) -> DonorNames:
    """The payer printed on a check as a donor's names: an organization when its name says so
    ("Okafor Dental LLC"), else a person, the last word the last name."""
    name = " ".join(payer_name.split())
    if ORGANIZATION_WORDS.search(name):
        return DonorNames(kind=DonorKind.ORGANIZATION, organization_name=name[:200])
    first, _, last = name.rpartition(" ")
    return DonorNames(kind=DonorKind.INDIVIDUAL, first_name=first[:100], last_name=last[:100])


@dataclass(frozen=True)
class PayerAddress:
    line1: str
    city: str
    region: str
    postcode: str


def payer_address_parse(text: str) -> PayerAddress | None:
    """ "5238 Elm Court, Springfield, IL 62704" as its parts, or None when it does not end in a
    US city, state and ZIP code."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if len(parts) < 2:
        return None
    last = ", ".join(parts[1:])
    found = ADDRESS_LAST_LINE.match(last)
    if found is None:
        return None
    return PayerAddress(
        line1=parts[0][:200],
        city=found["city"].strip(" ,")[:100],
        region=found["region"],
        postcode=found["postcode"],
    )


@dataclass(frozen=True)
class DonorSuggestion:
    donor: Donor | None
    reason: str


def _not_merged(donor: Donor) -> Donor:
    seen = set()
    while donor.merged_into_id is not None and donor.pk not in seen:
        seen.add(donor.pk)
        donor = Donor.objects.get(pk=donor.merged_into_id)
    return donor


def donor_suggest(*, fingerprint: str, payer_name: str, payer_address: str) -> DonorSuggestion:
    """The donor who most likely wrote the check: the one an earlier accepted check of the same
    account was given to (followed through merges); else the best match of the donor
    database's duplicate rules on the payer's name and postcode; else nobody."""
    if fingerprint:
        earlier = (
            ScannedCheck.objects.filter(fingerprint=fingerprint, state=CheckState.ACCEPTED)
            .select_related("donor")
            .order_by("-reviewed_at", "-id")
            .first()
        )
        if earlier is not None and earlier.donor is not None:
            donor = _not_merged(earlier.donor)
            return DonorSuggestion(
                donor=donor,
                reason=f"Paid from the same account before (check {earlier.check_number}).",
            )
    postcode = POSTCODE.search(payer_address or "")
    if payer_name.strip() and postcode:
        suggestions = donor_duplicates_suggest(
            candidate=DuplicateCandidate(
                names=payer_names(payer_name), postcodes=[postcode.group(1)]
            )
        )
        if suggestions:
            return DonorSuggestion(
                donor=suggestions[0].donor, reason="Same name and ZIP code as the payer."
            )
    return DonorSuggestion(donor=None, reason="")


@dataclass(frozen=True)
class Duplicate:
    of: ScannedCheck
    reason: str


def duplicate_find(
    *, fingerprint: str, check_number: str, image_sha256: str, exclude_pk: int | None = None
) -> Duplicate | None:
    """An earlier scan of the same check that was not rejected: the same account and check
    number (deposited before, or in this very upload), or the very same image."""
    others = ScannedCheck.objects.exclude(state=CheckState.REJECTED).select_related("deposit")
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if fingerprint and check_number:
        same = others.filter(fingerprint=fingerprint, check_number=check_number).order_by("id")
        earlier = same.first()
        if earlier is not None:
            return Duplicate(
                of=earlier,
                reason=f"Check {check_number} of the same account is already in deposit "
                f"{earlier.deposit_id} ({earlier.get_state_display().lower()}).",
            )
    if image_sha256:
        earlier = others.filter(image_sha256=image_sha256).order_by("id").first()
        if earlier is not None:
            return Duplicate(
                of=earlier,
                reason=f"The same image was uploaded already, to deposit {earlier.deposit_id}.",
            )
    return None

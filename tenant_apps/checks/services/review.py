"""A person's review of a scanned check: correcting what was read, accepting it into a draft
gift in its deposit (source check scan, method check, its check number), rejecting it, or
creating the payer as a new donor. A check flagged as a duplicate is accepted only once what
flagged it no longer holds (the other scan was rejected): it is never posted silently."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from saas_platform.lib import inputs
from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.inputs import EARLIEST_DATE, LATEST_DATE, amount_parse
from tenant_apps.checks.models import CheckState, ScannedCheck
from tenant_apps.checks.services.matching import (
    duplicate_find,
    payer_address_parse,
    payer_names,
)
from tenant_apps.core.services import actor_of, audit_record
from tenant_apps.donations import services as donations
from tenant_apps.donations.models import GiftSource
from tenant_apps.donors import services as donors
from tenant_apps.donors.models import Donor

if TYPE_CHECKING:
    from shared_apps.users.models import User

CORRECTABLE = ("amount", "check_number", "check_date", "payer_name", "payer_address", "memo")
TEXT_LIMITS = {"check_number": 40, "payer_name": 200, "payer_address": 300, "memo": 200}


def _locked(scanned_check: ScannedCheck) -> ScannedCheck:
    return (
        ScannedCheck.objects.select_for_update(of=("self",))
        .select_related("deposit")
        .get(pk=scanned_check.pk)
    )


def _reviewable(scanned_check: ScannedCheck) -> None:
    if scanned_check.state in (CheckState.ACCEPTED, CheckState.REJECTED):
        raise StateConflict(
            f"Check {scanned_check.pk} was {scanned_check.get_state_display().lower()} already."
        )


def _corrected_value(field: str, value: Any) -> Any:
    if field == "amount":
        return amount_parse(value, field="amount")
    if field == "check_date":
        if value in (None, ""):
            return None
        if isinstance(value, str):
            try:
                value = datetime.date.fromisoformat(value.strip())
            except ValueError:
                raise ServiceError(
                    "check_date: a date is required.", fields={"check_date": ["Not a date."]}
                ) from None
        if not isinstance(value, datetime.date) or not EARLIEST_DATE <= value <= LATEST_DATE:
            raise ServiceError(
                "check_date: a date is required.", fields={"check_date": ["Not a date."]}
            )
        return value
    text = inputs.text_check(value, field=field, max_length=TEXT_LIMITS[field])
    if field == "check_number":
        if text and not text.isdigit():
            raise ServiceError(
                "A check number is digits only.", fields={"check_number": ["Digits only."]}
            )
        text = text.lstrip("0")
    return text


def _corrections_apply(
    scanned_check: ScannedCheck, corrections: Mapping[str, Any]
) -> dict[str, list[str]]:
    """Apply the corrections; what changed, as [read, corrected] for the audit row (the amount
    and the names only: nothing of the account)."""
    unknown = set(corrections) - set(CORRECTABLE)
    if unknown:
        raise ServiceError(
            f"Cannot correct {', '.join(sorted(unknown))} of a scanned check.",
            fields={name: ["Cannot be corrected."] for name in sorted(unknown)},
        )
    changed: dict[str, list[str]] = {}
    for field, raw in corrections.items():
        value = _corrected_value(field, raw)
        before = getattr(scanned_check, field)
        if value != before:
            changed[field] = [str(before or ""), str(value or "")]
            setattr(scanned_check, field, value)
    return changed


def scanned_check_correct(
    *, scanned_check: ScannedCheck, corrections: Mapping[str, Any], acting_user: User | None
) -> ScannedCheck:
    """Correct fields of a check still to review (amount, check number, date, payer, memo);
    a new check number is checked again for duplicates."""
    with transaction.atomic():
        scanned_check = _locked(scanned_check)
        _reviewable(scanned_check)
        changed = _corrections_apply(scanned_check, corrections)
        if changed:
            scanned_check.save()
            audit_record(
                "checks.correct", acting_user=acting_user, obj=scanned_check, changed=changed
            )
    return scanned_check


def scanned_check_accept(
    *,
    scanned_check: ScannedCheck,
    donor: Donor,
    acting_user: User | None,
    corrections: Mapping[str, Any] | None = None,
) -> ScannedCheck:
    """Accept a check as `donor`'s, with the person's corrections: a draft gift by check in its
    deposit, for the amount and check number as reviewed (donations' deposit_gift_enter). The
    account's fingerprint then suggests this donor for the account's later checks."""
    with transaction.atomic():
        scanned_check = _locked(scanned_check)
        _reviewable(scanned_check)
        changed = _corrections_apply(scanned_check, corrections or {})
        if donor.merged_into_id is not None:
            raise ServiceError(
                f"{donor.display_name} was merged into another donor; choose that one.",
                fields={"donor": ["A merged donor."]},
            )
        if scanned_check.amount is None or scanned_check.amount <= Decimal("0"):
            raise ServiceError(
                "The amount could not be read: type it before accepting.",
                fields={"amount": ["Required."]},
            )
        duplicate = duplicate_find(
            fingerprint=scanned_check.fingerprint,
            check_number=scanned_check.check_number,
            image_sha256=scanned_check.image_sha256,
            exclude_pk=scanned_check.pk,
        )
        if duplicate is not None and (
            scanned_check.state == CheckState.DUPLICATE or duplicate.of.state == CheckState.ACCEPTED
        ):
            raise StateConflict(
                f"{duplicate.reason} Reject this scan, or reject the other one first."
            )
        gift = donations.deposit_gift_enter(
            deposit=scanned_check.deposit,
            donor=donor,
            amount=scanned_check.amount,
            check_number=scanned_check.check_number,
            source=GiftSource.CHECK_SCAN,
            acting_user=acting_user,
        )
        scanned_check.state = CheckState.ACCEPTED
        scanned_check.donor = donor
        scanned_check.gift = gift
        scanned_check.duplicate_of = None
        scanned_check.duplicate_reason = ""
        scanned_check.reviewed_by = actor_of(acting_user)
        scanned_check.reviewed_at = timezone.now()
        scanned_check.save()
        audit_record(
            "checks.accept",
            acting_user=acting_user,
            obj=scanned_check,
            gift=gift.pk,
            donor=donor.pk,
            amount=f"{scanned_check.amount:.2f}",
            changed=changed,
        )
    return scanned_check


def scanned_check_reject(
    *, scanned_check: ScannedCheck, reason: str, acting_user: User | None
) -> ScannedCheck:
    """Reject a check (not a check, a duplicate, returned to the donor): it never becomes a
    gift. The reason is kept."""
    reason = inputs.text_check(reason, field="reason", max_length=300)
    if not reason:
        raise ServiceError("Say why the check is rejected.", fields={"reason": ["Required."]})
    with transaction.atomic():
        scanned_check = _locked(scanned_check)
        _reviewable(scanned_check)
        scanned_check.state = CheckState.REJECTED
        scanned_check.reject_reason = reason
        scanned_check.reviewed_by = actor_of(acting_user)
        scanned_check.reviewed_at = timezone.now()
        scanned_check.save()
        audit_record("checks.reject", acting_user=acting_user, obj=scanned_check, reason=reason)
        # Scans flagged only because of this one are plain checks to review again.
        ScannedCheck.objects.filter(duplicate_of=scanned_check, state=CheckState.DUPLICATE).update(
            state=CheckState.PENDING, duplicate_of=None, duplicate_reason=""
        )
    return scanned_check


def scanned_check_donor_create(
    *, scanned_check: ScannedCheck, payer_name: str, acting_user: User | None
) -> Donor:
    """A new donor for the payer of a check still to review, named `payer_name` (as read or
    corrected), with the address printed on the check; the check then suggests that donor."""
    with transaction.atomic():
        scanned_check = _locked(scanned_check)
        _reviewable(scanned_check)
        name = inputs.text_check(payer_name, field="payer_name", max_length=200)
        if not name:
            raise ServiceError(
                "Type the payer's name to create the donor.",
                fields={"payer_name": ["Required."]},
            )
        address = payer_address_parse(scanned_check.payer_address)
        donor = donors.donor_create(
            names=payer_names(name),
            addresses=[
                donors.AddressSpec(
                    line1=address.line1,
                    city=address.city,
                    region=address.region,
                    postcode=address.postcode,
                )
            ]
            if address
            else [],
            acting_user=acting_user,
        )
        scanned_check.payer_name = name
        scanned_check.suggested_donor = donor
        scanned_check.suggestion_reason = "Created from this check."
        scanned_check.save(update_fields=["payer_name", "suggested_donor", "suggestion_reason"])
    return donor

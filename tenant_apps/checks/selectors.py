"""Reads of scanned checks: a deposit's uploads and checks, one check for review, the next one
to review, and the scan of a gift."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from tenant_apps.checks.models import CheckState, ScannedCheck, ScanUpload

# The order of a review: the checks to review first, in the order they were scanned.
REVIEW_ORDER = ("upload_id", "page_index", "position", "id")
OPEN_STATES = (CheckState.PENDING, CheckState.DUPLICATE)
# Fields shown on the review page, with their labels, in the order a check is read.
FIELD_LABELS = {
    "payer_name": "Payer",
    "payer_address": "Payer's address",
    "check_date": "Date",
    "amount": "Amount",
    "courtesy_amount": "Amount in figures",
    "legal_amount": "Amount in words",
    "memo": "Memo",
    "routing_number": "Routing number",
    "account_number": "Account",
    "check_number": "Check number",
}


def deposit_uploads(*, deposit_id: int) -> QuerySet[ScanUpload]:
    return ScanUpload.objects.filter(deposit_id=deposit_id).order_by("-created_at", "-id")


def deposit_checks(*, deposit_id: int) -> QuerySet[ScannedCheck]:
    return (
        ScannedCheck.objects.filter(deposit_id=deposit_id)
        .select_related("suggested_donor", "donor", "gift")
        .order_by(*REVIEW_ORDER)
    )


def scanned_check_of(*, pk: int, deposit_id: int | None = None) -> ScannedCheck | None:
    checks = ScannedCheck.objects.select_related(
        "deposit", "suggested_donor", "donor", "gift", "upload"
    )
    if deposit_id is not None:
        checks = checks.filter(deposit_id=deposit_id)
    return checks.filter(pk=pk).first()


def next_to_review(*, deposit_id: int, after: ScannedCheck | None = None) -> ScannedCheck | None:
    """The next check of the deposit still to review, after `after` in scanning order (or the
    first), wrapping round to the first one left."""
    left = ScannedCheck.objects.filter(deposit_id=deposit_id, state__in=OPEN_STATES).order_by(
        *REVIEW_ORDER
    )
    if after is not None:
        later = [
            check
            for check in left
            if (check.upload_id, check.page_index, check.position, check.pk)
            > (after.upload_id, after.page_index, after.position, after.pk)
        ]
        if later:
            return later[0]
    return left.first()


@dataclass(frozen=True)
class ReviewCounts:
    to_review: int
    accepted: int
    rejected: int


def review_counts(*, deposit_id: int) -> ReviewCounts:
    """The deposit's scanned checks by where their review stands: one aggregate (the panel
    asks for it on every poll while an upload is read)."""
    counts = ScannedCheck.objects.filter(deposit_id=deposit_id).aggregate(
        to_review=Count("id", filter=Q(state__in=OPEN_STATES)),
        accepted=Count("id", filter=Q(state=CheckState.ACCEPTED)),
        rejected=Count("id", filter=Q(state=CheckState.REJECTED)),
    )
    return ReviewCounts(**counts)


def scanned_check_of_gift(*, gift_id: int) -> ScannedCheck | None:
    return ScannedCheck.objects.filter(gift_id=gift_id).first()

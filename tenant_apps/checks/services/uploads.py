"""Taking a file of check scans for a deposit, and reading it. The file is checked by its
content (its first bytes, then opened as an image or PDF) and its size before anything is
kept; a refused file leaves nothing behind. Reading runs in a Celery task bound to the
organization's schema: page by page, the checks found on each are cropped, read, matched to a
donor and checked for duplicates, and the upload's counts move on so the deposit's page can show
the progress. Nothing becomes a gift here: a person reviews each check (services.review)."""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from saas_platform.lib.errors import StateConflict
from saas_platform.lib.tasks import enqueue_on_commit
from saas_platform.lib.uploads import file_refusal, upload_read
from tenant_apps.checks.models import (
    STALLED_AFTER,
    CheckState,
    ScannedCheck,
    ScanState,
    ScanUpload,
)
from tenant_apps.checks.reading.fields import CheckReading, FieldReading
from tenant_apps.checks.reading.images import CheckImageError, GreyImage
from tenant_apps.checks.reading.pages import (
    checks_find,
    crop_png,
    file_kind,
    pages_count,
    pages_read,
)
from tenant_apps.checks.reading.reader import check_read
from tenant_apps.checks.services.matching import (
    account_fingerprint,
    account_last4,
    donor_suggest,
    duplicate_find,
)
from tenant_apps.core.services import actor_of, audit_record
from tenant_apps.donations.models import Deposit, DepositState

if TYPE_CHECKING:
    from django.core.files import File

    from shared_apps.users.models import User

logger = logging.getLogger(__name__)

EXTENSIONS = {"jpeg": "jpg", "png": "png", "tiff": "tif", "pdf": "pdf"}


def scan_upload_create(*, deposit: Deposit, upload: File, acting_user: User | None) -> ScanUpload:
    """Keep a file of scans for an open deposit and queue its reading. Refused, with nothing
    kept: a file over CHECK_SCAN_MAX_BYTES, one that is not a JPEG, PNG, TIFF or PDF by its
    content, or one that cannot be opened (damaged, cut short)."""
    # Imported when queueing: the tasks module calls back into these services.
    from tenant_apps.checks.tasks import scan_upload_read as scan_upload_read_task

    if deposit.state != DepositState.OPEN:
        raise StateConflict(f"Deposit {deposit.pk} is closed: scans go to an open deposit.")
    content = upload_read(upload, max_bytes=settings.CHECK_SCAN_MAX_BYTES)
    if not content:
        raise file_refusal("The file is empty.")
    try:
        kind = file_kind(content)
        total = pages_count(content, kind)
    except CheckImageError as error:
        raise file_refusal(str(error)) from None
    name = (getattr(upload, "name", "") or "scan").replace("\\", "/").rsplit("/", 1)[-1][:255]
    with transaction.atomic():
        scan = ScanUpload(
            deposit=deposit,
            original_filename=name,
            kind=kind,
            size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            pages_total=total,
            uploaded_by=actor_of(acting_user),
        )
        scan.file.save(f"{uuid.uuid4().hex}.{EXTENSIONS[kind]}", ContentFile(content), save=False)
        scan.save()
        audit_record(
            "checks.upload",
            acting_user=acting_user,
            obj=scan,
            deposit=deposit.pk,
            file=name,
            pages=total,
        )
        enqueue_on_commit(scan_upload_read_task, scan.pk)
    return scan


def _claimed(upload_id: int) -> ScanUpload | None:
    """The upload, marked as being read, if it is still waiting: a task delivered twice reads
    it once."""
    with transaction.atomic():
        scan = ScanUpload.objects.select_for_update().filter(pk=upload_id).first()
        if scan is None or scan.state != ScanState.QUEUED:
            return None
        scan.state = ScanState.READING
        scan.started_at = timezone.now()
        scan.save(update_fields=["state", "started_at"])
    return scan


def scan_upload_read(*, upload_id: int) -> ScanUpload | None:
    """Read every page of an upload: each check found is kept with its image and fields, or the
    page's problem is noted. The upload ends `done` with its checks, or `failed` saying why
    when no check at all was found (its file is then deleted: nothing of it is kept)."""
    scan = _claimed(upload_id)
    if scan is None:
        return None
    page_errors: list[str] = []
    found = 0
    try:
        with scan.file.open("rb") as stored:
            content = stored.read()
        for page_index, page in enumerate(pages_read(content, scan.kind)):
            found += _page_read(scan, page_index, page, page_errors)
            scan.pages_read = page_index + 1
            scan.checks_found = found
            scan.page_errors = page_errors
            scan.save(update_fields=["pages_read", "checks_found", "page_errors"])
    except CheckImageError as error:
        page_errors.append(str(error))
    except Exception:
        logger.exception("Reading scan upload %s failed", scan.pk)
        page_errors.append(
            f"Reading stopped at page {scan.pages_read + 1} on an unexpected error; "
            "upload the rest of the file again."
        )
    scan.finished_at = timezone.now()
    scan.page_errors = page_errors
    scan.checks_found = found
    if found:
        scan.state = ScanState.DONE
    else:
        scan.state = ScanState.FAILED
        scan.error = ("No check was found. " + " ".join(page_errors))[:1000]
    # The checks are kept one by one, cropped; the whole file is not needed any more.
    scan.file.delete(save=False)
    scan.save()
    return scan


def _page_read(scan: ScanUpload, page_index: int, page: GreyImage, errors: list[str]) -> int:
    crops = checks_find(page)
    kept = 0
    for position, crop in enumerate(crops):
        image = crop_png(page, crop)
        reading = check_read(image)
        if reading.error is not None:
            where = f"Page {page_index + 1}" + (f", check {position + 1}" if len(crops) > 1 else "")
            errors.append(f"{where}: {reading.error}")
            continue
        scanned_check_record(
            scan=scan, page_index=page_index, position=position, image=image, reading=reading
        )
        kept += 1
    return kept


def _field(reading: FieldReading[Any], *, value: str | None = None) -> dict[str, Any]:
    shown = value if value is not None else reading.value
    if isinstance(shown, Decimal):
        shown = f"{shown:.2f}"
    elif shown is not None and not isinstance(shown, str):
        shown = shown.isoformat()
    return {
        "value": shown,
        "confidence": round(reading.confidence, 3),
        "flagged": reading.flagged,
        "reason": reading.reason,
    }


def fields_of(reading: CheckReading) -> dict[str, dict[str, Any]]:
    """What was read, per field, for the review page and the API: the account number masked."""
    account = reading.micr.account_number
    masked = f"••••{account_last4(account.value)}" if account.value else None
    return {
        "routing_number": _field(reading.micr.routing_number),
        "account_number": _field(account, value=masked),
        "check_number": _field(reading.micr.check_number),
        "amount": _field(reading.amount),
        "courtesy_amount": _field(reading.courtesy_amount),
        "legal_amount": _field(reading.legal_amount),
        "check_date": _field(reading.check_date),
        "payer_name": _field(reading.payer_name),
        "payer_address": _field(reading.payer_address),
        "memo": _field(reading.memo),
    }


def scanned_check_record(
    *, scan: ScanUpload, page_index: int, position: int, image: bytes, reading: CheckReading
) -> ScannedCheck:
    """Keep one check read from an upload: its image, its fields, the donor suggested, and a
    duplicate flag when the same check was scanned before."""
    routing = reading.micr.routing_number.value or ""
    account = reading.micr.account_number.value or ""
    fingerprint = (
        account_fingerprint(routing_number=routing, account_number=account)
        if routing and account
        else ""
    )
    check_number = (reading.micr.check_number.value or "").lstrip("0")[:40]
    image_sha256 = hashlib.sha256(image).hexdigest()
    payer_name = (reading.payer_name.value or "")[:200]
    payer_address = (reading.payer_address.value or "")[:300]
    with transaction.atomic():
        duplicate = duplicate_find(
            fingerprint=fingerprint, check_number=check_number, image_sha256=image_sha256
        )
        suggestion = donor_suggest(
            fingerprint=fingerprint, payer_name=payer_name, payer_address=payer_address
        )
        scanned = ScannedCheck(
            upload=scan,
            deposit_id=scan.deposit_id,
            page_index=page_index,
            position=position,
            image_sha256=image_sha256,
            fields=fields_of(reading),
            routing_number=routing,
            account_last4=account_last4(account),
            fingerprint=fingerprint,
            check_number=check_number,
            amount=reading.amount.value,
            check_date=reading.check_date.value,
            payer_name=payer_name,
            payer_address=payer_address,
            memo=(reading.memo.value or "")[:200],
            suggested_donor=suggestion.donor,
            suggestion_reason=suggestion.reason,
            duplicate_of=duplicate.of if duplicate else None,
            duplicate_reason=duplicate.reason if duplicate else "",
            state=CheckState.DUPLICATE if duplicate else CheckState.PENDING,
        )
        scanned.image.save(f"{uuid.uuid4().hex}.png", ContentFile(image), save=False)
        scanned.save()
    return scanned


def scan_uploads_stalled_fail(*, now: datetime) -> int:
    """Fail the uploads whose reading stopped without finishing, saying so, so that the deposit's
    page stops waiting for them; the checks read before it stopped stay. How many."""
    stalled = list(
        ScanUpload.objects.filter(
            state__in=(ScanState.QUEUED, ScanState.READING), created_at__lt=now - STALLED_AFTER
        )
    )
    for scan in stalled:
        scan.file.delete(save=False)
        scan.state = ScanState.FAILED
        scan.finished_at = now
        scan.error = scan.stalled_error
        scan.save(update_fields=["file", "state", "finished_at", "error"])
    return len(stalled)

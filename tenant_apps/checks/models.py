"""Scanned checks: an upload of scans to a deposit, each check found in it with the fields read
from it, and the organization's retention period for the images. The account number of a
check is never stored: only its last four digits and a keyed hash (the fingerprint) of the
routing and account numbers, which recognises the payer's account on later checks."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone


class ScanState(models.TextChoices):
    QUEUED = "queued", "Waiting to be read"
    READING = "reading", "Being read"
    DONE = "done", "Read"
    FAILED = "failed", "Failed"


class ScanKind(models.TextChoices):
    JPEG = "jpeg", "JPEG image"
    PNG = "png", "PNG image"
    TIFF = "tiff", "TIFF image"
    PDF = "pdf", "PDF document"


class CheckState(models.TextChoices):
    PENDING = "pending", "To review"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    DUPLICATE = "duplicate", "Possible duplicate"


class ScanUpload(models.Model):
    """One file of scans uploaded to a deposit, and how far reading it has gone. The task that
    reads it updates the counts page by page, so the deposit's page can show the progress."""

    deposit = models.ForeignKey(
        "donations.Deposit", on_delete=models.PROTECT, related_name="scan_uploads"
    )
    # Kept in the tenant's storage (saas_platform.lib.storage) until it is read; emptied once
    # its checks are cropped (they are kept one by one) or when no check was found in it.
    file = models.FileField(upload_to="checks/uploads/%Y/%m/", max_length=300, blank=True)
    original_filename = models.CharField(max_length=255)
    kind = models.CharField(max_length=10, choices=ScanKind.choices)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=ScanState.choices, default=ScanState.QUEUED)
    pages_total = models.PositiveIntegerField(default=0)
    pages_read = models.PositiveIntegerField(default=0)
    checks_found = models.PositiveIntegerField(default=0)
    # Why the upload failed, or what was wrong with some of its pages, in words.
    error = models.CharField(max_length=1000, blank=True)
    page_errors = models.JSONField(default=list, blank=True)
    uploaded_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=ScanState.values), name="scanupload_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ScanKind.values), name="scanupload_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(pages_read__lte=models.F("pages_total")),
                name="scanupload_pages_read_within_total",
            ),
            models.CheckConstraint(
                condition=~models.Q(state=ScanState.FAILED) | ~models.Q(error=""),
                name="scanupload_failed_says_why",
            ),
        ]

    def __str__(self) -> str:
        return f"Scan upload {self.pk} ({self.original_filename})"

    @property
    def is_finished(self) -> bool:
        return self.state in (ScanState.DONE, ScanState.FAILED)

    @property
    def is_stalled(self) -> bool:
        """Still waiting or being read STALLED_AFTER after it was made: its reading stopped
        (a worker stopped mid-way, a queue flushed). The nightly pass fails it with
        `stalled_error`; until then the pages and the API say so, and stop waiting for it."""
        return not self.is_finished and self.created_at < timezone.now() - STALLED_AFTER

    @property
    def stalled_error(self) -> str:
        return (
            f"Reading stopped after page {self.pages_read} of {self.pages_total}: "
            "upload the rest of the file again."
        )


# An upload still waiting or being read this long after it was made lost its task (a worker
# stopped mid-way, a queue flushed): the longest file, 50 pages, reads in a few minutes.
STALLED_AFTER = timedelta(hours=1)


class ScannedCheck(models.Model):
    """One check found in an upload: its cropped front image, what was read from it (each field
    with its confidence, `fields`), the values a person reviews and may correct, the donor
    suggested, and, once accepted, the draft gift it became."""

    upload = models.ForeignKey(ScanUpload, on_delete=models.PROTECT, related_name="checks")
    deposit = models.ForeignKey(
        "donations.Deposit", on_delete=models.PROTECT, related_name="scanned_checks"
    )
    page_index = models.PositiveIntegerField()  # 0 for the first page
    position = models.PositiveIntegerField(default=0)  # top to bottom on its page
    # The front of the check, cropped (PNG). Emptied when the retention period has passed.
    image = models.FileField(upload_to="checks/images/%Y/%m/", max_length=300, blank=True)
    image_sha256 = models.CharField(max_length=64)
    image_deleted_at = models.DateTimeField(null=True, blank=True)
    # What the reader returned, per field: {"amount": {"value": "125.50", "confidence": 0.93,
    # "flagged": false, "reason": ""}, ...}; the account number's value is masked.
    fields = models.JSONField(default=dict)
    reading_error = models.CharField(max_length=500, blank=True)
    # The values as read, then as corrected by the person reviewing.
    routing_number = models.CharField(max_length=9, blank=True)
    account_last4 = models.CharField(max_length=4, blank=True)
    # HMAC-SHA256 of routing and account numbers with CHECK_FINGERPRINT_KEY; "" when unread.
    fingerprint = models.CharField(max_length=64, blank=True)
    check_number = models.CharField(max_length=40, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    check_date = models.DateField(null=True, blank=True)
    payer_name = models.CharField(max_length=200, blank=True)
    payer_address = models.CharField(max_length=300, blank=True)
    memo = models.CharField(max_length=200, blank=True)
    suggested_donor = models.ForeignKey(
        "donors.Donor", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    suggestion_reason = models.CharField(max_length=200, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    duplicate_reason = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=10, choices=CheckState.choices, default=CheckState.PENDING)
    donor = models.ForeignKey(
        "donors.Donor", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    gift = models.OneToOneField(
        "donations.Gift",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="scanned_check",
    )
    reject_reason = models.CharField(max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["upload_id", "page_index", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=CheckState.values), name="scannedcheck_state_valid"
            ),
            # Never more of the account number than its last four digits.
            models.CheckConstraint(
                condition=models.Q(account_last4__regex=r"^[0-9]{0,4}$"),
                name="scannedcheck_account_last4_only",
            ),
            models.CheckConstraint(
                condition=models.Q(fingerprint__regex=r"^([0-9a-f]{64})?$"),
                name="scannedcheck_fingerprint_is_a_hash",
            ),
            models.CheckConstraint(
                condition=models.Q(routing_number__regex=r"^([0-9]{9})?$"),
                name="scannedcheck_routing_number_digits",
            ),
            models.CheckConstraint(
                condition=~models.Q(state=CheckState.ACCEPTED)
                | (
                    models.Q(gift__isnull=False)
                    & models.Q(donor__isnull=False)
                    & models.Q(amount__gt=0)
                ),
                name="scannedcheck_accepted_has_gift",
            ),
            models.CheckConstraint(
                condition=models.Q(state=CheckState.ACCEPTED) | models.Q(gift__isnull=True),
                name="scannedcheck_gift_only_when_accepted",
            ),
            # The same check (account and number) is accepted once: a second scan of it is
            # flagged, and the database refuses it even if a flag were missed.
            models.UniqueConstraint(
                fields=["fingerprint", "check_number"],
                condition=models.Q(state=CheckState.ACCEPTED)
                & ~models.Q(fingerprint="")
                & ~models.Q(check_number=""),
                name="scannedcheck_accepted_once",
            ),
        ]
        indexes = [
            models.Index(fields=["deposit", "state"], name="scannedcheck_deposit_state"),
            models.Index(fields=["fingerprint", "state"], name="scannedcheck_fingerprint"),
            models.Index(fields=["image_sha256"], name="scannedcheck_image_hash"),
        ]

    def __str__(self) -> str:
        return f"Scanned check {self.pk}"

    @property
    def account_masked(self) -> str:
        return f"••••{self.account_last4}" if self.account_last4 else ""


class CheckScanSettings(models.Model):
    """The organization's settings for scanned checks (one row, pk 1)."""

    # How long the image of a check is kept after it was scanned; a daily task deletes older
    # ones (the gift and the fields read stay).
    image_retention_days = models.PositiveIntegerField(default=7 * 365)

    class Meta:
        verbose_name_plural = "check scan settings"
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="checkscansettings_single_row"),
            models.CheckConstraint(
                condition=models.Q(image_retention_days__gte=1, image_retention_days__lte=36500),
                name="checkscansettings_retention_range",
            ),
        ]

    def __str__(self) -> str:
        return "Check scan settings"

"""How long the images of scanned checks are kept: the organization's period, and the daily
deletion of the images older than it (the checks' fields and their gifts stay)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.singletons import singleton_get
from tenant_apps.checks.models import CheckScanSettings, ScannedCheck
from tenant_apps.core.services import audit_record

if TYPE_CHECKING:
    from shared_apps.users.models import User

logger = logging.getLogger(__name__)

RETENTION_DAYS_RANGE = (1, 36500)


def check_scan_settings() -> CheckScanSettings:
    return singleton_get(CheckScanSettings)


def check_scan_settings_update(
    *, image_retention_days: Any, acting_user: User | None
) -> CheckScanSettings:
    """Set how many days the images of scanned checks are kept (1 to 36,500)."""
    low, high = RETENTION_DAYS_RANGE
    if (
        isinstance(image_retention_days, bool)
        or not isinstance(image_retention_days, int)
        or not (low <= image_retention_days <= high)
    ):
        raise ServiceError(
            f"Images are kept between {low} and {high:,} days.",
            fields={"image_retention_days": [f"A whole number of days, {low} to {high:,}."]},
        )
    with transaction.atomic():
        settings_row = CheckScanSettings.objects.select_for_update().filter(pk=1).first()
        if settings_row is None:
            settings_row = check_scan_settings()
        before = settings_row.image_retention_days
        settings_row.image_retention_days = image_retention_days
        settings_row.save()
        audit_record(
            "checks.settings",
            acting_user=acting_user,
            obj=settings_row,
            image_retention_days=[before, image_retention_days],
        )
    return settings_row


def check_images_expire(*, now: datetime) -> int:
    """Delete the images of checks scanned longer ago than the retention period; how many."""
    cutoff = now - timedelta(days=check_scan_settings().image_retention_days)
    expired = list(
        ScannedCheck.objects.filter(created_at__lt=cutoff, image_deleted_at__isnull=True)
        .exclude(image="")
        .only("pk", "image")
    )
    for scanned in expired:
        # The file goes first: a row that says "deleted" always means the file is gone.
        scanned.image.delete(save=False)
        ScannedCheck.objects.filter(pk=scanned.pk).update(image="", image_deleted_at=now)
    if expired:
        audit_record("checks.images_expire", acting_user=None, count=len(expired))
    return len(expired)

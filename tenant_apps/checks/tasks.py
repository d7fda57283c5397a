"""Background work of scanned checks: reading an upload, and the daily deletion of check
images past the organization's retention period. Tasks take ids and run in the schema of the
tenant that queued them."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from shared_apps.tenants.tasks import organization_of_task, queue_in_every_active_tenant

logger = logging.getLogger(__name__)


@shared_task
def scan_upload_read(upload_id: int) -> str | None:
    """Read an upload of check scans. Not retried: an upload is read once (the service claims
    it), and a failure is recorded on it for the person who uploaded it."""
    # Imported when the task runs: the services import this module to queue it.
    from tenant_apps.checks.services.uploads import scan_upload_read as read

    scan = read(upload_id=upload_id)
    return scan.state if scan is not None else None


@shared_task
def check_images_expire_all(at_local_hour: int | None = None) -> int:
    """Daily (CELERY_BEAT_SCHEDULE): queue the deletion of expired check images in every active
    tenant, at an hour of its own night."""
    return queue_in_every_active_tenant(check_images_expire, at_local_hour=at_local_hour)


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def check_images_expire(organization_id: int) -> int:
    """Delete the tenant's check images older than its retention period, and fail its uploads
    whose reading stopped without finishing. Safe to run twice."""
    from tenant_apps.checks.services.retention import check_images_expire as expire
    from tenant_apps.checks.services.uploads import scan_uploads_stalled_fail

    with organization_of_task(organization_id, what="Check image retention") as organization:
        now = timezone.now()
        deleted = expire(now=now)
        # The same nightly pass ends the uploads whose reading was cut off.
        stalled = scan_uploads_stalled_fail(now=now)
    logger.info(
        "Check scans of %s: %d images deleted, %d stalled uploads failed",
        organization.schema_name,
        deleted,
        stalled,
    )
    return deleted

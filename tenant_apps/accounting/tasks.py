"""Background work of accounting. Tasks take plain values, run in the schema of the tenant that
queued them, and call a service."""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task
from django.utils import timezone

from shared_apps.tenants.tasks import organization_of_task, queue_in_every_active_tenant

logger = logging.getLogger(__name__)


@shared_task
def board_packet_build(token: str, start: str, end: str, compare: str | None) -> str:
    """Draw a long range's board packet (see services.board_packets). Not retried: a failure is
    recorded in the run's progress for the page to show."""
    # Imported when the task runs: the services import this module to queue it.
    from tenant_apps.accounting.services.board_packets import board_packet_build as build

    progress = build(
        token=token, start=date.fromisoformat(start), end=date.fromisoformat(end), compare=compare
    )
    return progress["state"]


@shared_task
def time_releases_run_all(at_local_hour: int | None = None) -> int:
    """Hourly (CELERY_BEAT_SCHEDULE, with the hour of the organization's day it runs at): queue
    the release of time-restricted funds in every active tenant, each in its own schema.
    Suspended, failed or closed tenants are skipped. Returns how many were queued."""
    return queue_in_every_active_tenant(time_releases_run, at_local_hour=at_local_hour)


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def time_releases_run(organization_id: int) -> int:
    """Release the tenant's time-restricted funds whose date has come. Safe to run twice on a
    day. Returns how many entries were posted."""
    from tenant_apps.accounting.services.releases import time_releases_run as run

    with organization_of_task(organization_id, what="Time releases") as organization:
        result = run(today=timezone.localdate())
    logger.info(
        "Time releases of %s: %d funds released, %d refused",
        organization.schema_name,
        len(result.released),
        len(result.refused),
    )
    return len(result.released)

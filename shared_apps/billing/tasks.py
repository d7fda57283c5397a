"""Background work of billing, in the public schema."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task
def billing_grace_enforce() -> list[int]:
    """Daily (CELERY_BEAT_SCHEDULE): suspend organizations whose payment failed, or whose trial
    ended unpaid, longer ago than BILLING_GRACE_DAYS, and process again the webhook events whose
    processing failed.
    Returns the ids of the organizations suspended."""
    # Imported when the task runs: the services import this module to queue it.
    from shared_apps.billing.services import events, suspension

    retried = events.stripe_events_retry()
    if retried:
        logger.info("%s Stripe events processed on retry", retried)
    suspended = suspension.billing_grace_enforce(now=timezone.now())
    return [organization.pk for organization in suspended]

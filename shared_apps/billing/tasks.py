"""Background work of billing, in the public schema."""

from __future__ import annotations

import logging

from django.utils import timezone

from saas_platform.celery import app

logger = logging.getLogger(__name__)


@app.task
def billing_grace_enforce() -> list[int]:
    """Daily (CELERY_BEAT_SCHEDULE): suspend organizations whose payment failed, or whose trial
    ended unpaid, longer ago than BILLING_GRACE_DAYS, and process again the webhook events whose
    processing failed.
    Returns the ids of the organizations suspended."""
    from shared_apps.billing import services

    retried = services.stripe_events_retry()
    if retried:
        logger.info("%s Stripe events processed on retry", retried)
    suspended = services.billing_grace_enforce(now=timezone.now())
    return [organization.pk for organization in suspended]

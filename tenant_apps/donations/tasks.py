"""Background work of donations: receipts and CSV imports. Tasks take ids, run in the schema of
the tenant that queued them, and call a service."""

from __future__ import annotations

import logging

from saas_platform.celery import app

logger = logging.getLogger(__name__)


@app.task
def receipt_issue_for_gift(gift_id: int) -> int | None:
    """Issue the receipt of a gift just posted, when it needs one (see the service)."""
    from tenant_apps.donations.receipts import receipt_issue_for_posted_gift

    receipt = receipt_issue_for_posted_gift(gift_id=gift_id)
    return receipt.pk if receipt is not None else None


@app.task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def receipt_email(receipt_id: int) -> bool:
    """Email a receipt to its donor; a mail server that cannot be reached is retried."""
    from tenant_apps.donations.models import Receipt
    from tenant_apps.donations.receipts import receipt_email_send

    receipt = Receipt.objects.select_related("donor").filter(pk=receipt_id).first()
    if receipt is None:
        logger.warning("receipt %s to email does not exist", receipt_id)
        return False
    return receipt_email_send(receipt=receipt)


@app.task
def import_run(job_id: int) -> None:
    """Import an uploaded CSV file. Not retried: a job runs once (the service claims it), and
    a failure is recorded on the job for the person who uploaded it."""
    from tenant_apps.donations.imports import import_run as run

    run(job_id=job_id)
